"""pytest plugin (entry point `pytest11: govern`): markers and fixtures for testing against real Kafka.

Fixtures:
- `kafka_cluster` (session): the bootstrap address of a real cluster: `KAFKA_BOOTSTRAP_SERVERS` when
  set, else one local Apache Kafka started for the session (or testcontainers with
  `GOVERN_KAFKA_PROVIDER=testcontainers`), stopped at the end even when tests fail.
- `kafka_admin` (function): a `KafkaAdmin` for the test that deletes the topics it created.
- `unique_topic` (function): a factory of topic names unique to the test: `unique_topic("orders")`.
- `kafka_provider` (session): the provider behind `kafka_cluster` (name, bootstrap, check_alive).
- `kafka_connection` (session): the client settings `kafka_cluster` needs, for the clients a test
  makes (`client_config(kafka_cluster, connection=kafka_connection)`): for an external cluster that
  requires a login or TLS, those of the file `GOVERN_KAFKA_CONFIG` names; none otherwise. Every
  fixture here uses them.
- `registry` (session): base URL of an embedded schema registry (a thread, over a SQLite file).
- `registry_client` (function): a `govern.registry.Client` for it.
- `replay(source, topic=None, *, schemas=None, subject_strategy="topic", ...)`: replays a fixture
  file (path) or a list of records (dicts in the file's line shape) into the session's cluster and
  registry, creating the topic when missing; hand-written schemas go under the subjects
  `subject_strategy` names; returns the `ReplaySummary`.
- `topic_reader(topic, *, count=None, timeout=10.0)`: the committed records of a topic as fixture
  JSON objects (values decoded through the registry), for assertions.

Every test using the session's Kafka is checked before and after: a broker process that died
fails the test with the last lines of the broker log.

Tests using `kafka_cluster` or `kafka_admin` get the `kafka` marker automatically, so
`-m "not kafka"` deselects them; `docker` tests are skipped when no Docker engine answers.

pytest loads this module in every session of an environment where govern is installed, so it
imports only pytest and the standard library: the broker, registry server and Kafka client are
imported inside the fixtures that need them (tests/unit/test_imports.py keeps it so).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from govern.kafka import KafkaAdmin, KafkaProvider
    from govern.recording import FixtureRecord, Header, ReplaySummary
    from govern.registry import Client

SchemasArg = Mapping[str, str | Path | dict[str, Any]] | Sequence[dict[str, Any]] | None

KAFKA_FIXTURES = frozenset({"kafka_provider", "kafka_cluster", "kafka_connection", "kafka_admin"})
"""Fixtures whose users need a broker, and so get the `kafka` marker."""

TOPIC_NAME_MAX = 249
"""Kafka's limit on topic name length."""

_STARTUP_KEY = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "kafka: needs a real Apache Kafka broker (started by the kafka_cluster fixture)",
        "slow: takes more than a few seconds",
        "docker: needs a reachable Docker engine (testcontainers); skipped when none answers",
    ):
        config.addinivalue_line("markers", line)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark broker users `kafka` (before `-m` filtering runs) and skip `docker` tests without Docker."""
    docker_items = []
    for item in items:
        if KAFKA_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)
        if item.get_closest_marker("docker") is not None:
            docker_items.append(item)
    if docker_items:
        from govern.kafka import docker_available

        if not docker_available():
            skip = pytest.mark.skip(reason="no Docker engine answers (docker.from_env().ping() failed)")
            for item in docker_items:
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which Kafka the session used and how long it took to start (startup time matters)."""
    line = terminalreporter.config.stash.get(_STARTUP_KEY, None)
    if line:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def kafka_provider(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KafkaProvider]:
    """The session's cluster provider, started once; stopped at session end whatever happened."""
    from govern.kafka import provider_from_env

    provider = provider_from_env(tmp_path_factory.mktemp("kafka"))
    started = time.monotonic()
    try:
        bootstrap = provider.start()
        request.config.stash[_STARTUP_KEY] = (
            f"govern: Kafka via {provider.name} at {bootstrap}, ready in {time.monotonic() - started:.1f} s"
        )
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="session")
def kafka_cluster(kafka_provider: KafkaProvider) -> str:
    """Bootstrap address (`host:port`) of a real Kafka cluster shared by the test session."""
    assert kafka_provider.bootstrap is not None
    return kafka_provider.bootstrap


@pytest.fixture(scope="session")
def kafka_connection(kafka_provider: KafkaProvider) -> Mapping[str, str]:
    """Client settings to reach `kafka_cluster` (govern.kafka.settings); empty unless it is secured."""
    return kafka_provider.connection


@pytest.fixture
def kafka_admin(
    kafka_provider: KafkaProvider, kafka_cluster: str, kafka_connection: Mapping[str, str]
) -> Iterator[KafkaAdmin]:
    """Topic admin for one test; deletes the topics it created when the test ends."""
    from govern.kafka import KafkaAdmin

    admin = KafkaAdmin(kafka_cluster, connection=kafka_connection)
    yield admin
    admin.delete_created_topics()


@pytest.fixture(autouse=True)
def _kafka_still_alive(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before and after every test that uses the session's Kafka, check its process still runs.

    A broker that died fails the test at once with the broker log's last lines, rather than
    letting clients retry until their timeouts.
    """
    if "kafka_provider" not in request.fixturenames:
        yield
        return
    provider = request.getfixturevalue("kafka_provider")
    provider.check_alive()
    yield
    provider.check_alive()


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> Callable[..., str]:
    """A factory of topic names unique to this test: `unique_topic()` or `unique_topic("orders")`."""
    return lambda label="": topic_name_for(request.node.name, label)


def topic_name_for(test_name: str, label: str = "") -> str:
    """`<test name>[-<label>]-<8 hex>` with only [A-Za-z0-9-], within Kafka's 249 characters.

    Dots and underscores are replaced because Kafka treats them as colliding in metric names.
    """
    suffix = secrets.token_hex(4)
    stem = "-".join(part for part in (_clean(test_name), _clean(label)) if part) or "topic"
    return f"{stem[: TOPIC_NAME_MAX - len(suffix) - 1]}-{suffix}"


def _clean(text: str) -> str:
    return re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9-]", "-", text)).strip("-")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (http://127.0.0.1:PORT) of an embedded registry shared by the test session."""
    from govern.registry.server import serve_in_thread

    path = tmp_path_factory.mktemp("registry") / "registry.sqlite"
    with serve_in_thread(path) as url:
        yield url


@pytest.fixture
def registry_client(registry: str) -> Iterator[Client]:
    """A `govern.registry.Client` for the session's embedded registry."""
    from govern.registry import Client

    with Client(registry, retries=0) as client:
        yield client


@pytest.fixture
def replay(
    kafka_cluster: str, kafka_connection: Mapping[str, str], registry: str
) -> Callable[..., ReplaySummary]:
    """Replay a fixture file or a list of records into the session's Kafka (and registry)."""
    from govern.recording import ReplayOptions, file_source, records_source
    from govern.recording import replay as replay_sources

    def run(
        source: str | Path | Iterable[dict[str, Any] | FixtureRecord],
        topic: str | None = None,
        *,
        schemas: SchemasArg = None,
        subject_strategy: str = "topic",
        partitions: str = "preserve",
        timestamps: str = "preserve",
        transactional: bool = True,
    ) -> ReplaySummary:
        if isinstance(source, str | Path):
            sources = [file_source(source)]
        else:
            sources = [records_source(_header_for(schemas, topic, subject_strategy), source)]
        options = ReplayOptions(
            topic=topic,
            partitions=partitions,
            timestamps=timestamps,
            transactional=transactional,
            create_topics=True,
        )
        return replay_sources(
            sources,
            bootstrap=kafka_cluster,
            registry_url=registry,
            options=options,
            connection=kafka_connection,
        )

    return run


@pytest.fixture
def topic_reader(
    kafka_cluster: str, kafka_connection: Mapping[str, str], registry: str
) -> Callable[..., list[dict[str, Any]]]:
    """Read a topic's committed records back, decoded: `topic_reader("orders", count=3)`."""
    from govern.recording import read_topic

    def read(topic: str, *, count: int | None = None, timeout: float = 10.0) -> list[dict[str, Any]]:
        return read_topic(
            kafka_cluster,
            topic,
            registry_url=registry,
            count=count,
            timeout=timeout,
            connection=kafka_connection,
        )

    return read


def _header_for(schemas: SchemasArg, topic: str | None = None, subject_strategy: str = "topic") -> Header:
    """A header for hand-written records: `{"name": path or schema JSON}` or header-style entries.

    Entries without a subject are registered under the subject `subject_strategy` names
    (`govern.catalog.subject_name`: `topic`, `record` or `topic_record`, as the service's
    serializers are configured); under `topic`, replay names it `<topic>-value` / `-key`.
    """
    from dataclasses import replace

    from govern.recording.format import _full_name, parse_header

    entries: list[dict[str, Any]] = []
    if isinstance(schemas, Mapping):
        for name, schema in schemas.items():
            if isinstance(schema, Path):
                entries.append({"name": name, "path": str(schema.resolve())})
            else:
                entries.append({"name": name, "schema": schema})
    elif schemas:
        entries = [dict(entry) for entry in schemas]
    data: dict[str, Any] = {"format": "govern.topic-fixture", "version": 1, "schemas": entries}
    if topic is not None:
        data["topics"] = [{"name": topic}]
    try:
        header = parse_header(data, Path.cwd())
        if subject_strategy == "topic":
            return header
        from govern.catalog.model import subject_name  # the one computation of subject names

        named = [
            replace(e, subject=subject_name(subject_strategy, topic or "", "value", _full_name(e.schema)))
            if e.subject is None and isinstance(e.schema, dict)
            else e
            for e in header.schemas
        ]
        return replace(header, schemas=tuple(named))
    except ValueError as error:
        raise ValueError(f"replay(schemas=...): {error}") from None
