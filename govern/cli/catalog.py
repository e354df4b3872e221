"""`govern catalog`: the topic table of contracts/ and schemas/, as a rich table or JSON."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from govern.cli.options import RootOption

if TYPE_CHECKING:  # the catalog loads yaml and the parser: imported by the command, not by `govern --help`
    from rich.table import Table

    from govern.catalog import Catalog, Topic


_HEADERS = ("topic", "key", "value schema", "subjects", "producers → consumers", "settings")

Row = tuple[str, str, str, str, str, str]


def _rows(catalog: Catalog) -> list[Row]:
    """Each topic's cells as plain text, one line per item."""
    return [
        (
            f"{topic.name}\n(internal)" if topic.internal else topic.name,
            topic.key,
            _value(topic),
            "\n".join(s.name for s in catalog.subjects if topic.name in s.topics),
            f"{', '.join(topic.producers) or '-'} → {', '.join(topic.consumers) or '-'}",
            f"{topic.compatibility}, {topic.partitions} partitions, {topic.cleanup_policy}",
        )
        for topic in catalog.topics
    ]


def _value(topic: Topic) -> str:
    """The value schema: its type and file, or a multi-event topic's event types one per line."""
    ref = topic.value_schema
    if ref.types:
        return f"{len(ref.types)} event types\n" + "\n".join(ref.types)
    return f"{ref.name}\n{ref.where}"


def _natural_width(rows: list[Row]) -> int:
    """Columns the table needs to show every cell unfolded (two of padding per column, plus edges)."""
    widths = [
        max([len(h)] + [len(line) for row in rows for line in row[i].splitlines()])
        for i, h in enumerate(_HEADERS)
    ]
    return sum(widths) + 2 * len(widths) + 2


def _table(catalog: Catalog, rows: list[Row]) -> Table:
    """The topic table, each cell on its own lines (printed only where it fits whole)."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"Topics ({len(catalog.topics)}) in {catalog.root}", title_justify="left", box=box.SIMPLE_HEAD
    )
    for header in _HEADERS:
        table.add_column(header, no_wrap=True)
    for topic, key, value, subjects, flow, settings in rows:
        first, *rest = value.splitlines()
        shown = escape(first) + "".join(f"\n[dim]{escape(line)}[/]" for line in rest)
        table.add_row(escape(topic), escape(key), shown, escape(subjects), escape(flow), escape(settings))
    return table


def render_table(console: Console, catalog: Catalog) -> None:
    """Print the topics at the console's width (the terminal's, or COLUMNS when piped): a table when
    it fits whole, else one short block per topic, so that no cell is folded or cut with `…`."""
    rows = _rows(catalog)
    if _natural_width(rows) <= console.width:
        console.print(_table(catalog, rows))
        return
    console.print(f"[bold]Topics ({len(catalog.topics)}) in {escape(str(catalog.root))}[/]")
    for topic, key, value, subjects, flow, settings in rows:
        first, *rest = value.splitlines()
        console.print()
        console.print(f"[bold]{escape(topic.replace(chr(10), ' '))}[/]  key: {escape(key)}")
        console.print(f"  value: {escape(first)} [dim]({escape(', '.join(rest))})[/]")
        console.print(f"  subjects: {escape(', '.join(subjects.splitlines()))}")
        console.print(f"  {escape(flow)}")
        console.print(f"  [dim]{escape(settings)}[/]")


class CatalogFormat(StrEnum):
    """Output formats of `govern catalog`."""

    text = "text"
    json = "json"
    asyncapi = "asyncapi"


def catalog_command(
    root: RootOption = Path("."),
    output: Annotated[
        CatalogFormat,
        typer.Option(
            "--format", help="text (a table), json, or asyncapi (one AsyncAPI 3.0 document, in YAML)."
        ),
    ] = CatalogFormat.text,
) -> None:
    """List the topics: key, value schema, producers, consumers, compatibility and settings."""
    from govern.catalog import catalog_to_dict, load_catalog

    catalog = load_catalog(root)
    if output is CatalogFormat.json:
        typer.echo(json.dumps(catalog_to_dict(catalog), indent=2))
        return
    if output is CatalogFormat.asyncapi:
        import yaml

        from govern.estate.asyncapi import to_asyncapi

        typer.echo(yaml.safe_dump(to_asyncapi(catalog), sort_keys=False, allow_unicode=True), nl=False)
        return
    render_table(Console(highlight=False), catalog)
