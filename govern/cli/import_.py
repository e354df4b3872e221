"""`govern import`: an existing registry (and cluster) written as schemas/ and contracts/."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.options import KafkaConfigOption, RegistryOption
from govern.errors import InputError


def import_command(
    registry: RegistryOption = None,
    bootstrap: Annotated[
        str | None,
        typer.Option(
            "--bootstrap",
            metavar="SERVERS",
            help="Kafka bootstrap servers: also read every topic's partitions, cleanup policy and "
            "consumer groups, and sample its newest records to place record-strategy subjects.",
            show_default=False,
        ),
    ] = None,
    kafka_config: KafkaConfigOption = None,
    root: Annotated[
        Path, typer.Option("--root", metavar="DIR", help="Where to write schemas/ and contracts/.")
    ] = Path("."),
    subjects: Annotated[
        str | None,
        typer.Option(
            "--subjects",
            metavar="REGEX",
            help="Import only subjects whose whole name matches (the subjects they reference come too).",
            show_default=False,
        ),
    ] = None,
    topics: Annotated[
        str | None,
        typer.Option(
            "--topics",
            metavar="REGEX",
            help="With --bootstrap: survey only topics whose whole name matches (default: every "
            "topic not starting with '_').",
            show_default=False,
        ),
    ] = None,
    asyncapi: Annotated[
        list[Path] | None,
        typer.Option(
            "--asyncapi",
            metavar="FILE",
            help="Read AsyncAPI 3.0 or 2.x documents (repeat for several) instead of a registry.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
) -> None:
    """Write schemas/ and contracts/ for an existing registry (or AsyncAPI documents), as they are.

    Every subject's latest version becomes a schema file; topics are read back from the subject
    names (topic, record and topic_record strategies), with each subject's level where it differs
    from the global one and key schemas. Kafka cannot say who produces a topic: every topic is
    put under a placeholder service, contracts/unassigned.yaml, to be split by hand. Nothing is
    written when a file exists (without --force) or the result would not load as a catalog.
    With --asyncapi, the documents' channels, Avro messages and operations are read instead
    (docs/asyncapi.md). Exit 0 written, 2 bad input, 3 registry or cluster unreachable.
    """
    from govern.catalog import load_catalog
    from govern.config import load_config
    from govern.estate import plan_files, survey_cluster, survey_registry, write_files
    from govern.estate.asyncapi import load_documents, plan_from_asyncapi
    from govern.kafka.settings import connection_settings
    from govern.registry.credentials import connect

    config = load_config(root, registry_url=registry, bootstrap_servers=bootstrap)
    dirs = _dirs(config)

    def validate(folder: Path) -> None:
        load_catalog(folder, config=type(config)(root=folder, **dirs))

    if asyncapi:
        plan = plan_from_asyncapi(load_documents(asyncapi), **dirs)
        write_files(root, plan, force=force, validate=validate)
        typer.echo(
            f"imported {len(plan.topics)} topic(s) from {len(asyncapi)} AsyncAPI document(s) into {root}"
        )
        for note in plan.notes:
            typer.echo(f"note: {note}")
        return
    connection = connection_settings(kafka_config or ()) if bootstrap else {}
    if not config.registry_url:
        raise InputError(
            "no registry to import from",
            hint="pass --registry URL or set GOVERN_REGISTRY_URL",
        )

    def progress(message: str) -> None:
        print(f"govern import: {message}", file=sys.stderr)

    with connect(config.registry_url, vars(config), retries=1) as client:
        estate = survey_registry(client, subjects, progress)
        if bootstrap:
            survey_cluster(estate, bootstrap, topics=topics, connection=connection, progress=progress)
    plan = plan_files(estate, **dirs)
    write_files(root, plan, force=force, validate=validate)
    typer.echo(
        f"imported {len(estate.subjects)} subject(s) and {len(plan.topics)} topic(s) from {estate.registry} "
        f"into {root}: {len(plan.files)} file(s)"
    )
    for note in plan.notes:
        typer.echo(f"note: {note}")


def _dirs(config: object) -> dict[str, str]:
    return {"schemas_dir": config.schemas_dir, "contracts_dir": config.contracts_dir}  # type: ignore[attr-defined]
