"""What an existing estate holds: a registry's subjects and, given a cluster, its topics and readers.

Read-only: nothing here writes to the registry or the cluster. The cluster part samples the
newest records of each topic (a bounded number, partitions assigned directly, no consumer group
joined, no offset committed) to see which schema ids its keys and values carry: the only way to
tell which topic a RecordNameStrategy subject belongs to, since its name does not say.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from govern.errors import InputError
from govern.estate.plan import full_name
from govern.registry import Client, Reference
from govern.registry.errors import NotFound

#: records read from the end of each partition when sampling a topic's schema ids
SAMPLE_PER_PARTITION = 20
SAMPLE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RegisteredSubject:
    """A subject's latest version as the registry holds it."""

    name: str
    version: int
    text: str  #: the schema text the registry returns
    references: tuple[Reference, ...]
    level: str | None  #: the subject's own compatibility level; None: it follows the global one

    @property
    def schema(self) -> Any:
        return json.loads(self.text)

    @property
    def full_name(self) -> str | None:
        """The full name of the top-level named type (record, enum, fixed), else None."""
        return full_name(self.schema)


@dataclass(frozen=True)
class KafkaTopic:
    """A topic of the cluster, its settings and who reads it."""

    name: str
    partitions: int
    cleanup_policy: str
    groups: tuple[str, ...] = ()  #: consumer groups with committed offsets on it
    value_ids: tuple[int, ...] = ()  #: schema ids seen in sampled values
    key_ids: tuple[int, ...] = ()  #: schema ids seen in sampled keys


@dataclass
class Estate:
    """A registry's subjects (and a cluster's topics, when one was surveyed)."""

    registry: str  #: the registry's URL, without user info
    global_level: str
    subjects: dict[str, RegisteredSubject] = field(default_factory=dict)
    topics: dict[str, KafkaTopic] | None = None  #: None: no cluster was surveyed
    #: schema id -> the subjects whose latest version has it
    ids: dict[int, tuple[str, ...]] = field(default_factory=dict)


def survey_registry(
    client: Client, pattern: str | None = None, progress: Callable[[str], None] | None = None
) -> Estate:
    """The latest version of every live subject matching `pattern` (a full-match regex), with the
    subjects their references name (matched or not: a schema is unreadable without them)."""
    matcher = _regex(pattern, "--subjects")
    estate = Estate(client.url, (client.get_config().compatibility or "BACKWARD").upper())
    wanted = [s for s in sorted(client.subjects()) if matcher is None or matcher.fullmatch(s)]
    queue = list(wanted)
    while queue:
        name = queue.pop(0)
        if name in estate.subjects:
            continue
        if progress and len(estate.subjects) % 50 == 0:
            progress(f"reading subject {len(estate.subjects) + 1} of at least {len(wanted)}: {name}")
        latest = client.get_latest(name)
        try:
            level = client.get_config(name).compatibility
        except NotFound:
            level = None
        estate.subjects[name] = RegisteredSubject(
            name, latest.version, latest.schema, tuple(latest.references), level and level.upper()
        )
        estate.ids.setdefault(latest.id, ())
        estate.ids[latest.id] = tuple(sorted({*estate.ids[latest.id], name}))
        queue.extend(ref.subject for ref in latest.references if ref.subject not in estate.subjects)
    return estate


def survey_cluster(
    estate: Estate,
    bootstrap: str,
    *,
    topics: str | None = None,
    connection: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Add the cluster's non-internal topics (those matching the full-match regex `topics`), their
    settings, the consumer groups reading them and the schema ids in their newest records.
    `connection`: a secured cluster's client settings (govern.kafka.settings)."""
    from confluent_kafka.admin import AdminClient, ConfigResource

    from govern.errors import EnvironmentProblem
    from govern.kafka import ADMIN_TIMEOUT_S, client_config

    matcher = _regex(topics, "--topics")
    admin = AdminClient(client_config(bootstrap, connection=connection))
    try:
        metadata = admin.list_topics(timeout=ADMIN_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001 - librdkafka's KafkaException: the cluster is not there
        raise EnvironmentProblem(
            f"Kafka at {bootstrap} did not answer: {error}",
            hint="check --bootstrap and that the cluster runs",
        ) from None
    names = sorted(
        name
        for name in metadata.topics
        if not name.startswith("_") and (matcher is None or matcher.fullmatch(name))
    )
    partitions = {name: len(metadata.topics[name].partitions) for name in names}
    resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in names]
    policies: dict[str, str] = {}
    for resource, future in admin.describe_configs(resources).items() if resources else ():
        policy = future.result(timeout=ADMIN_TIMEOUT_S).get("cleanup.policy")
        policies[resource.name] = str(policy.value) if policy is not None else "delete"
    groups = _readers(admin, set(names))
    if progress:
        progress(f"sampling the newest records of {len(names)} topic(s)")
    keys, values = _sample_ids(bootstrap, partitions, connection)
    estate.topics = {
        name: KafkaTopic(
            name,
            partitions[name],
            policies.get(name, "delete"),
            tuple(sorted(groups.get(name, ()))),
            tuple(sorted(values.get(name, ()))),
            tuple(sorted(keys.get(name, ()))),
        )
        for name in names
    }


def _regex(pattern: str | None, option: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern) if pattern else None
    except re.error as error:
        raise InputError(f"{option} {pattern!r} is not a valid regular expression: {error}") from None


def _readers(admin: Any, topics: set[str]) -> dict[str, set[str]]:
    """topic -> the consumer groups that have committed offsets on it."""
    from confluent_kafka import ConsumerGroupTopicPartitions

    from govern.kafka import ADMIN_TIMEOUT_S

    listing = admin.list_consumer_groups(request_timeout=ADMIN_TIMEOUT_S).result(timeout=ADMIN_TIMEOUT_S)
    out: dict[str, set[str]] = {}
    for group in sorted(g.group_id for g in listing.valid):
        futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
        for future in futures.values():
            for partition in future.result(timeout=ADMIN_TIMEOUT_S).topic_partitions or ():
                if partition.topic in topics and partition.offset >= 0:
                    out.setdefault(partition.topic, set()).add(group)
    return out


def _sample_ids(
    bootstrap: str, partitions: dict[str, int], connection: Mapping[str, str] | None
) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """topic -> schema ids in the Confluent wire prefix of its newest keys, and of its values.

    One consumer, partitions assigned directly at most `SAMPLE_PER_PARTITION` records from their
    ends; it stops when all were read or after `SAMPLE_TIMEOUT_S`.
    """
    from confluent_kafka import Consumer, TopicPartition

    from govern.kafka import client_config

    consumer = Consumer(
        client_config(
            bootstrap, connection=connection, **{"group.id": "govern-import", "enable.auto.commit": False}
        )
    )
    keys: dict[str, set[int]] = {}
    values: dict[str, set[int]] = {}
    try:
        assignment = []
        remaining = 0
        for topic, count in partitions.items():
            for partition in range(count):
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=5.0)
                if high > low >= 0:
                    start = max(low, high - SAMPLE_PER_PARTITION)
                    assignment.append(TopicPartition(topic, partition, start))
                    remaining += high - start
        if assignment:
            consumer.assign(assignment)
        deadline = time.monotonic() + SAMPLE_TIMEOUT_S
        while remaining > 0 and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error() is not None:
                continue
            remaining -= 1
            for found, data in ((keys, message.key()), (values, message.value())):
                schema_id = _wire_id(data)
                if schema_id is not None:
                    found.setdefault(message.topic(), set()).add(schema_id)
    finally:
        consumer.close()
    return keys, values


def _wire_id(data: bytes | None) -> int | None:
    """The schema id of Confluent's wire format (magic byte 0, 4-byte id), else None."""
    from govern.serde import SerdeError, unframe

    try:
        return unframe(data)[0] if data else None
    except SerdeError:
        return None


def subjects_with_ids(estate: Estate, ids: Iterable[int]) -> list[str]:
    """The surveyed subjects whose latest version has one of `ids`."""
    return sorted({name for schema_id in ids for name in estate.ids.get(schema_id, ())})
