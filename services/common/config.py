"""Where a service finds Kafka, the registry and its topics.

Topic names come from the catalog (`contracts/topics.yaml`), never from string literals scattered
in services; `topic_prefix` namespaces every topic, consumer group and transactional id so that
several copies of the exchange (tests, benchmarks) can share one cluster.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NoReturn

from govern.catalog import Catalog, Topic, load_catalog
from govern.config import load_config
from govern.errors import ExitCode

DEFAULT_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (holds contracts/ and schemas/) when run from a checkout."""

PREFIX_ENV = "GOVERN_TOPIC_PREFIX"


@dataclass(frozen=True)
class ServiceConfig:
    """Connection settings and naming shared by every service of one exchange deployment."""

    bootstrap: str
    registry_url: str
    root: Path = DEFAULT_ROOT
    topic_prefix: str = ""
    instance: str = "0"  #: part of the stable transactional.id: one per running copy of a service
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @cached_property
    def catalog(self) -> Catalog:
        """The project's catalog (topics and their schemas)."""
        return load_catalog(self.root)

    def topic(self, name: str) -> str:
        """The real topic name of catalog topic `name` (with the prefix); KeyError if not declared."""
        self.spec(name)
        return self.topic_prefix + name

    def spec(self, name: str) -> Topic:
        """The catalog's declaration of topic `name`."""
        for topic in self.catalog.topics:
            if topic.name == name:
                return topic
        raise KeyError(f"topic {name!r} is not declared in contracts/topics.yaml")

    def group_id(self, service: str) -> str:
        """Consumer group of a service (prefixed like the topics)."""
        return f"{self.topic_prefix}{service}"

    def transactional_id(self, service: str) -> str:
        """Stable transactional.id of one instance: a restart fences its previous incarnation."""
        return f"{self.topic_prefix}{service}-{self.instance}"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every service's command line takes."""
    parser.add_argument(
        "--bootstrap", help="Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS / govern.toml)"
    )
    parser.add_argument("--registry", help="schema registry URL (default: GOVERN_REGISTRY_URL / govern.toml)")
    parser.add_argument(
        "--root", type=Path, default=DEFAULT_ROOT, help="project root with contracts/ and schemas/"
    )
    parser.add_argument(
        "--topic-prefix",
        default=os.environ.get(PREFIX_ENV, ""),
        help=f"prefix of every topic and group ({PREFIX_ENV})",
    )
    parser.add_argument("--instance", default="0", help="instance id, part of the stable transactional.id")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING")


def _usage_error(message: str, hint: str) -> NoReturn:
    """Missing settings are bad usage: exit 2 (DESIGN §3), one line of cause and one of remedy."""
    print(f"error: {message}\nhint: {hint}", file=sys.stderr)
    raise SystemExit(ExitCode.BAD_INPUT)


def config_from_args(args: argparse.Namespace) -> ServiceConfig:
    """Resolve flags > environment > govern.toml into a ServiceConfig; SystemExit(2) when incomplete."""
    project = load_config(args.root, registry_url=args.registry, bootstrap_servers=args.bootstrap)
    if not project.bootstrap_servers:
        _usage_error("no Kafka: pass --bootstrap or set KAFKA_BOOTSTRAP_SERVERS",
                     "`govern broker up` starts a local one")  # fmt: skip
    if not project.registry_url:
        _usage_error("no schema registry: pass --registry or set GOVERN_REGISTRY_URL",
                     "`govern registry serve` starts a local one")  # fmt: skip
    return ServiceConfig(
        bootstrap=project.bootstrap_servers,
        registry_url=project.registry_url,
        root=args.root,
        topic_prefix=args.topic_prefix,
        instance=args.instance,
    )
