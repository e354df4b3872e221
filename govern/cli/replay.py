"""`govern replay`: validate fixture files, register their schemas, produce their records."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.options import KafkaConfigOption, OutputFormat, err_console
from govern.cli.record import progress_bar, resolve_bootstrap_flag


class PartitionMode(StrEnum):
    """Where replayed records go."""

    preserve = "preserve"
    key = "key"


class TimestampMode(StrEnum):
    """Which timestamp replayed records get."""

    preserve = "preserve"
    now = "now"


def replay_command(
    files: Annotated[
        list[Path], typer.Argument(help="Fixture files (.jsonl or .jsonl.gz).", show_default=False)
    ],
    topic: Annotated[
        str | None, typer.Option("--topic", help="Produce every record to this topic instead of its own.")
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option("--registry", help="Target registry URL (default: GOVERN_REGISTRY_URL / govern.toml)."),
    ] = None,
    bootstrap: Annotated[
        str | None,
        typer.Option("--bootstrap", help="Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)."),
    ] = None,
    kafka_config: KafkaConfigOption = None,
    partitions: Annotated[
        PartitionMode,
        typer.Option(
            "--partitions", help="preserve the recorded partition (key hash if too few), or key hash."
        ),
    ] = PartitionMode.preserve,
    timestamps: Annotated[
        TimestampMode, typer.Option("--timestamps", help="preserve recorded timestamps, or now.")
    ] = TimestampMode.preserve,
    transactional: Annotated[
        bool,
        typer.Option(
            "--transactional/--no-transactional",
            help="One transaction: read_committed consumers see all of the replay or none of it.",
        ),
    ] = True,
    rate: Annotated[
        float | None, typer.Option("--rate", min=0.001, help="At most N records per second.")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Validate and check schemas against the registry; produce nothing."),
    ] = False,
    create: Annotated[
        bool, typer.Option("--create", help="Create missing topics with the recorded partition count.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.1, help="Seconds to reach the cluster and for each Kafka step."),
    ] = 30.0,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Summary as text or json.")
    ] = OutputFormat.text,
) -> None:
    """Replay FILEs into Kafka: the whole input is validated first and nothing is produced if any
    line is bad; schemas are registered in the target registry and values framed with its ids.

    Exit 0 done, 1 a schema is incompatible with the target registry, 2 bad input (file:line and
    field named), 3 cluster or registry unreachable.
    """
    from govern.config import load_config
    from govern.kafka.settings import connection_settings
    from govern.recording import ReplayOptions, file_source, replay

    connection = connection_settings(kafka_config or ())
    registry_url = load_config(".", registry_url=registry).registry_url
    server = None if dry_run else resolve_bootstrap_flag(bootstrap)
    options = ReplayOptions(
        topic=topic,
        partitions=partitions.value,
        timestamps=timestamps.value,
        transactional=transactional,
        rate=rate,
        dry_run=dry_run,
        create_topics=create,
        timeout=timeout,
    )
    sources = []
    try:
        for path in files:
            sources.append(file_source(path))
    except Exception:
        for source in sources:
            source.close()
        raise
    with progress_bar("replaying") as progress:
        summary = replay(
            sources,
            bootstrap=server,
            registry_url=registry_url,
            options=options,
            progress=progress,
            connection=connection,
        )
    for warning in summary.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    topics = [{"topic": t, "records": n} for t, n in sorted(summary.per_topic.items())]
    partitions_out = [
        {"topic": t, "partition": p, "records": n} for (t, p), n in sorted(summary.per_partition.items())
    ]
    schemas = [
        {
            "file": r.source,
            "name": r.entry,
            "subject": r.subject,
            "version": r.version,
            "id": r.id,
            "original_id": r.original_id,
        }
        for r in summary.registrations
    ]
    if fmt is OutputFormat.json:
        payload = {
            "version": 1,
            "dry_run": summary.dry_run,
            "transactional": summary.transactional,
            "records": summary.records,
            "topics": topics,
            "partitions": partitions_out,
            "schemas": schemas,
            "warnings": summary.warnings,
            "elapsed_s": round(summary.elapsed, 3),
            "phases_s": {name: round(seconds, 3) for name, seconds in summary.phases.items()},
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    verb = "would replay" if summary.dry_run else "replayed"
    rate_text = f" ({summary.records / summary.elapsed:,.0f}/s)" if summary.elapsed > 0 else ""
    typer.echo(f"{verb} {summary.records} record(s) in {summary.elapsed:.1f} s{rate_text}")
    for item in topics:
        typer.echo(f"  {item['topic']}: {item['records']}")
    for item in partitions_out:
        typer.echo(f"    [{item['partition']}]: {item['records']}")
    for schema in schemas:
        typer.echo(
            f"  schema {schema['name']} -> subject {schema['subject']} "
            f"version {schema['version']} id {schema['id']}"
        )
