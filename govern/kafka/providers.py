"""Where a Kafka cluster comes from: an external one, a local JVM broker, or testcontainers.

`KAFKA_BOOTSTRAP_SERVERS` always wins (the team's config precedence: flags > environment > files).
Otherwise `GOVERN_KAFKA_PROVIDER` picks `jvm` (default: Maven Central jars, no Docker) or
`testcontainers` (needs a Docker engine; imported and constructed only when chosen).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from govern.config import load_config
from govern.errors import EnvironmentProblem, InputError
from govern.kafka.admin import wait_for_cluster
from govern.kafka.broker import BROKER_STARTUP_TIMEOUT_S, LocalBroker, start_local_broker
from govern.kafka.distribution import KAFKA_VERSION
from govern.kafka.settings import connection_settings
from govern.kafka.state import read_state

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
PROVIDER_ENV = "GOVERN_KAFKA_PROVIDER"
IMAGE_ENV = "GOVERN_KAFKA_IMAGE"

TESTCONTAINERS_IMAGE = "confluentinc/cp-kafka:7.6.0"
"""Image for the testcontainers provider (its KafkaContainer drives Confluent's cp-kafka images)."""

EXTERNAL_READY_TIMEOUT_S = 30.0
"""How long an external cluster may take to answer its first metadata request."""

DOCKER_PING_TIMEOUT_S = 3
"""Docker SDK timeout when probing for an engine (its default is 60 s)."""

PROVIDERS = ("jvm", "testcontainers")

NO_SETTINGS: Mapping[str, str] = MappingProxyType({})
"""The client settings of a cluster govern starts itself: a plain listener needs none."""


class KafkaProvider(Protocol):
    """Something that gives a reachable cluster for a while: start it, check it, stop it."""

    name: str
    bootstrap: str | None
    """The bootstrap address once `start` returned (None before)."""
    connection: Mapping[str, str]
    """Client settings to reach it (govern.kafka.settings): a secured external cluster's."""

    def start(self) -> str:
        """Make the cluster available and return its bootstrap address once it answers metadata."""
        ...

    def check_alive(self) -> None:
        """Raise EnvironmentProblem when the cluster's process died (cheap; called per test)."""
        ...

    def stop(self) -> None:
        """Release whatever `start` created (idempotent)."""
        ...


class ExternalKafka:
    """A cluster someone else runs (`KAFKA_BOOTSTRAP_SERVERS`): checked, never started or stopped."""

    name = "external"

    def __init__(self, bootstrap: str, *, timeout: float = EXTERNAL_READY_TIMEOUT_S) -> None:
        self.bootstrap: str | None = bootstrap
        self.timeout = timeout
        self.connection: Mapping[str, str] = NO_SETTINGS

    def start(self) -> str:
        """Check that it answers, with the settings GOVERN_KAFKA_CONFIG names when it is secured."""
        assert self.bootstrap is not None
        self.connection = connection_settings()
        wait_for_cluster(self.bootstrap, self.timeout, connection=self.connection)
        return self.bootstrap

    def check_alive(self) -> None:
        """Nothing to watch: an external cluster's failures show up as client timeouts."""

    def stop(self) -> None:
        """Not ours to stop."""


class JvmKafka:
    """A one-node Apache Kafka from Maven Central jars, in `workdir` (a temp folder by default)."""

    name = "jvm"
    connection = NO_SETTINGS

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        version: str = KAFKA_VERSION,
        timeout: float = BROKER_STARTUP_TIMEOUT_S,
    ) -> None:
        self.workdir = workdir
        self.version = version
        self.timeout = timeout
        self.broker: LocalBroker | None = None
        self.bootstrap: str | None = None
        self._scratch: Path | None = None

    def start(self) -> str:
        workdir = self.workdir
        if workdir is None:
            workdir = self._scratch = Path(tempfile.mkdtemp(prefix="govern-kafka-"))
        self.broker = start_local_broker(
            workdir, version=self.version, timeout=self.timeout, die_with_parent=True
        )
        self.bootstrap = self.broker.bootstrap
        return self.bootstrap

    def check_alive(self) -> None:
        if self.broker is not None:
            self.broker.check_alive()

    def stop(self) -> None:
        if self.broker is not None:
            self.broker.stop()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


class TestcontainersKafka:
    """Kafka in Docker through testcontainers' KafkaContainer in KRaft mode (needs a Docker engine)."""

    name = "testcontainers"
    connection = NO_SETTINGS
    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, image: str | None = None) -> None:
        self.image = image or os.environ.get(IMAGE_ENV) or TESTCONTAINERS_IMAGE
        self.container: Any = None
        self.bootstrap: str | None = None

    def start(self) -> str:
        try:  # an optional dependency: govern[testing]
            from testcontainers.community.kafka import KafkaContainer
        except ImportError:
            raise EnvironmentProblem(
                "GOVERN_KAFKA_PROVIDER=testcontainers but the testcontainers package is not installed",
                hint="pip install 'govern[testing]', or unset GOVERN_KAFKA_PROVIDER for the JVM broker",
            ) from None
        if not docker_available():
            raise EnvironmentProblem(
                "GOVERN_KAFKA_PROVIDER=testcontainers but no Docker engine answers",
                hint="start Docker (or set DOCKER_HOST), or unset GOVERN_KAFKA_PROVIDER for the JVM broker",
            )

        self.container = KafkaContainer(self.image).with_kraft()
        self.container.start()
        bootstrap = str(self.container.get_bootstrap_server())
        wait_for_cluster(bootstrap, EXTERNAL_READY_TIMEOUT_S)
        self.bootstrap = bootstrap
        return bootstrap

    def check_alive(self) -> None:
        """Container health is left to client timeouts."""

    def stop(self) -> None:
        if self.container is not None:
            self.container.stop()
            self.container = None


def provider_from_env(workdir: Path | None = None) -> KafkaProvider:
    """The provider the environment asks for: external, else GOVERN_KAFKA_PROVIDER (default jvm)."""
    bootstrap = os.environ.get(BOOTSTRAP_ENV, "").strip()
    if bootstrap:
        return ExternalKafka(bootstrap)
    choice = os.environ.get(PROVIDER_ENV, "jvm").strip().lower() or "jvm"
    if choice == "jvm":
        return JvmKafka(workdir)
    if choice == "testcontainers":
        return TestcontainersKafka()
    raise InputError(
        f"{PROVIDER_ENV}={choice!r} is not a Kafka provider",
        hint=f"use one of {', '.join(PROVIDERS)}, or set {BOOTSTRAP_ENV} to use a running cluster",
    )


def resolve_bootstrap(project_dir: Path | None = None) -> str | None:
    """The cluster to talk to: `KAFKA_BOOTSTRAP_SERVERS`, else `bootstrap_servers` from the project
    config (govern.toml / [tool.govern]), else the project's running `govern broker`.

    Returns None when none exists; callers decide whether that is an error.
    """
    root = project_dir or Path.cwd()
    bootstrap = os.environ.get(BOOTSTRAP_ENV, "").strip() or load_config(root).bootstrap_servers
    if bootstrap:
        return bootstrap
    broker = read_state(root)
    if broker is not None and broker.is_running():
        return broker.bootstrap
    return None


@functools.lru_cache(maxsize=1)
def docker_available() -> bool:
    """True when a Docker engine answers a ping within a few seconds (cached for the process)."""
    try:
        import docker

        docker.from_env(timeout=DOCKER_PING_TIMEOUT_S).ping()
        return True
    except Exception:
        return False
