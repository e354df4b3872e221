"""`govern catalog`: the topic table of contracts/ and schemas/, as a rich table or JSON."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from govern.cli.app import app
from govern.cli.options import RootOption

if TYPE_CHECKING:  # the catalog loads yaml and the parser: imported by the command, not by `govern --help`
    from rich.table import Table

    from govern.catalog import Catalog, Topic


def _table(catalog: Catalog) -> Table:
    from rich.table import Table

    table = Table(title=f"Topics ({len(catalog.topics)}) in {catalog.root}", title_justify="left")
    table.add_column("topic", no_wrap=True)
    table.add_column("key")
    table.add_column("value schema", no_wrap=True)
    table.add_column("subjects", no_wrap=True)
    for column in ("producers", "consumers"):
        table.add_column(column)
    table.add_column("compat", no_wrap=True)
    table.add_column("parts", justify="right")
    table.add_column("cleanup", no_wrap=True)
    for topic in catalog.topics:
        name = f"{topic.name}\n[dim](internal)[/]" if topic.internal else topic.name
        table.add_row(
            name,
            topic.key,
            _value(topic),
            "\n".join(s.name for s in catalog.subjects if topic.name in s.topics),
            ", ".join(topic.producers),
            ", ".join(topic.consumers) or "[dim]-[/]",
            topic.compatibility,
            str(topic.partitions),
            topic.cleanup_policy,
        )
    return table


def _value(topic: Topic) -> str:
    """The value schema: its type and file, or a multi-event topic's event types one per line."""
    ref = topic.value_schema
    if ref.types:
        return f"{len(ref.types)} event types\n[dim]" + "\n".join(ref.types) + "[/]"
    return f"{ref.name}\n[dim]{ref.where}[/]"


class CatalogFormat(StrEnum):
    """Output formats of `govern catalog`."""

    text = "text"
    json = "json"
    asyncapi = "asyncapi"


@app.command("catalog")
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


def render_table(console: Console, catalog: Catalog) -> None:
    """Print the topic table; piped output is not squeezed into 80 columns."""
    if not console.is_terminal:
        console = Console(highlight=False, width=max(console.width, 160))
    console.print(_table(catalog))
