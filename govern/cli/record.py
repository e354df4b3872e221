"""`govern record`: write what topics hold to a fixture file (docs/fixtures.md)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.options import KafkaConfigOption, OutputFormat, RegistryOption, err_console
from govern.errors import EnvironmentProblem, InputError


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int | None], None] | None]:
    """A rich progress bar on stderr when it is a terminal; None (no output) otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def resolve_bootstrap_flag(bootstrap: str | None) -> str:
    """--bootstrap, else KAFKA_BOOTSTRAP_SERVERS / govern.toml / the project's running broker."""
    from govern.kafka import resolve_bootstrap

    found = bootstrap or resolve_bootstrap()
    if not found:
        raise EnvironmentProblem(
            "no Kafka cluster given",
            hint="pass --bootstrap HOST:PORT, set KAFKA_BOOTSTRAP_SERVERS or run `govern broker up`",
        )
    return found


def _parse_time(value: str) -> int:
    if value.lstrip("-").isdecimal():
        return int(value)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"--from-time {value!r} is neither epoch milliseconds nor an ISO-8601 time",
            hint="e.g. --from-time 2026-01-31T12:00:00Z or --from-time 1769860800000",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def record_command(
    topics: Annotated[list[str], typer.Argument(help="Topics to record.", show_default=False)],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Fixture file to write (.gz: gzip). Default: <topic>.jsonl."),
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at each partition's first record (default).")
    ] = False,
    from_offset: Annotated[
        int | None, typer.Option("--from-offset", help="Start at this offset in every partition.")
    ] = None,
    from_time: Annotated[
        str | None,
        typer.Option(
            "--from-time", help="Start at the first record at/after this time (ISO-8601 or epoch ms)."
        ),
    ] = None,
    max_messages: Annotated[
        int | None, typer.Option("--max-messages", min=1, help="Stop after this many records.")
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=0.1, help="Seconds to reach the cluster, and the longest wait without a record."
        ),
    ] = 30.0,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", help="Go on past the end offsets seen at start, until --max-messages/--timeout."
        ),
    ] = False,
    registry: RegistryOption = None,
    bootstrap: Annotated[
        str | None,
        typer.Option("--bootstrap", help="Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)."),
    ] = None,
    kafka_config: KafkaConfigOption = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Summary as text or json.")
    ] = OutputFormat.text,
) -> None:
    """Record committed records of TOPICs up to the end offsets seen at start into a fixture file.

    Values in the Confluent wire format are decoded to JSON through the registry; the file's header
    carries every schema used. The file is written atomically: a failed recording leaves none.
    Exit 0 done, 2 bad input (unknown topic), 3 cluster or registry unreachable / no progress.
    """
    from govern.config import load_config
    from govern.kafka.settings import connection_settings
    from govern.recording import StartAt, record_topics

    if sum(x for x in (from_beginning, from_offset is not None, from_time is not None)) > 1:
        raise InputError("give at most one of --from-beginning, --from-offset, --from-time")
    start = StartAt.beginning()
    if from_offset is not None:
        start = StartAt.offset(from_offset)
    elif from_time is not None:
        start = StartAt.time(_parse_time(from_time))
    connection = connection_settings(kafka_config or ())
    server = resolve_bootstrap_flag(bootstrap)
    registry_url = load_config(".", registry_url=registry).registry_url
    path = output or Path("+".join(topics) + ".jsonl")
    with progress_bar(f"recording {', '.join(topics)}") as progress:
        summary = record_topics(
            topics,
            path,
            bootstrap=server,
            registry_url=registry_url,
            start=start,
            max_messages=max_messages,
            timeout=timeout,
            follow=follow,
            progress=progress,
            connection=connection,
        )
    partitions = [
        {"topic": t, "partition": p, "records": n} for (t, p), n in sorted(summary.per_partition.items())
    ]
    schemas = [
        {"name": s.name, "subject": s.subject, "version": s.version, "id": s.id} for s in summary.schemas
    ]
    if fmt is OutputFormat.json:
        payload = {
            "version": 1,
            "file": str(summary.path),
            "records": summary.records,
            "partitions": partitions,
            "schemas": schemas,
            "undecoded": summary.undecoded,
            "warnings": summary.warnings,
            "elapsed_s": round(summary.elapsed, 3),
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    rate = summary.records / summary.elapsed if summary.elapsed > 0 else 0.0
    typer.echo(
        f"recorded {summary.records} record(s) to {summary.path} in {summary.elapsed:.1f} s ({rate:,.0f}/s)"
    )
    for item in partitions:
        typer.echo(f"  {item['topic']}[{item['partition']}]: {item['records']}")
    for schema in schemas:
        typer.echo(f"  schema {schema['name']} (subject {schema['subject']}, id {schema['id']})")
    if summary.undecoded:
        err_console.print(
            f"[yellow]warning:[/] {summary.undecoded} framed payload(s) could not be decoded (a schema id "
            "the registry does not know, or a body that is not valid for its schema) and were kept as bytes"
        )
        for warning in summary.warnings:
            err_console.print(f"  {warning}", soft_wrap=True)
