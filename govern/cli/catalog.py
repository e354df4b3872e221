"""`govern catalog`: the topic table of contracts/ and schemas/, as a rich table or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from govern.cli.options import OutputFormat, RootOption

if TYPE_CHECKING:  # the catalog loads yaml and fastavro: imported by the command, not by `govern --help`
    from rich.table import Table

    from govern.catalog import Catalog


def _table(catalog: Catalog) -> Table:
    from rich.table import Table

    table = Table(title=f"Topics ({len(catalog.topics)}) in {catalog.root}", title_justify="left")
    table.add_column("topic", no_wrap=True)
    table.add_column("key")
    table.add_column("value schema", no_wrap=True)
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
            f"{topic.value_schema.name}\n[dim]{topic.value_schema.file.as_posix()}[/]",
            ", ".join(topic.producers),
            ", ".join(topic.consumers) or "[dim]-[/]",
            topic.compatibility,
            str(topic.partitions),
            topic.cleanup_policy,
        )
    return table


def catalog_command(
    root: RootOption = Path("."),
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text (a table) or json.")
    ] = OutputFormat.text,
) -> None:
    """List the topics: key, value schema, producers, consumers, compatibility and settings."""
    from govern.catalog import catalog_to_dict, load_catalog

    catalog = load_catalog(root)
    if output is OutputFormat.json:
        typer.echo(json.dumps(catalog_to_dict(catalog), indent=2))
        return
    render_table(Console(highlight=False), catalog)


def render_table(console: Console, catalog: Catalog) -> None:
    """Print the topic table; piped output is not squeezed into 80 columns."""
    if not console.is_terminal:
        console = Console(highlight=False, width=max(console.width, 160))
    console.print(_table(catalog))
