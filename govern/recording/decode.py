"""Record's decode stage: payloads in the Confluent wire format are decoded through their writer
schema, fetched from the registry once per id and compiled into the codec extension's recorder
(`_native.Recorder`), which writes every line. Anything else is kept as bytes; a payload that does
not decode is kept as bytes too, counted and warned about, never a crash."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from govern import _native
from govern.errors import InputError
from govern.recording.format import Header, SchemaEntry, SchemaRef, _full_name
from govern.recording.schemas import FixtureSchemas
from govern.registry import Client, NotFound
from govern.serde import SerdeError, unframe

__all__ = ["PayloadDecoder"]


class PayloadDecoder:
    """Loads the schemas a batch of messages names into `recorder`; `entries` accumulates the
    header's schema entries (and their references) as ids are met."""

    def __init__(self, client: Client | None) -> None:
        self.client = client
        self.recorder = _native.Recorder()
        self.entries: dict[str, SchemaEntry] = {}

    def load_missing(self, message: Any) -> None:
        """Load every schema id `message` names that the recorder does not know yet."""
        while (schema_id := self.recorder.missing(message)) is not None:
            self._load(schema_id, message.topic(), "key" if _names(message.key(), schema_id) else "value")

    def _load(self, schema_id: int, topic: str, kind: str) -> None:
        if self.client is None:
            raise InputError(
                f"{topic}: a {kind} is in the Confluent wire format (schema id {schema_id}) but no registry "
                "was given to decode it",
                hint="pass --registry URL or set GOVERN_REGISTRY_URL",
            )
        try:
            schema = self.client.get_schema(schema_id)
            versions = self.client.get_schema_versions(schema_id)
        except NotFound:
            self.recorder.absent(schema_id)
            return
        if schema.schema_type != "AVRO" or not versions:
            self.recorder.absent(schema_id)
            return
        subject, version = _preferred(versions, topic, kind, schema.schema)
        name = self._add(subject, version, schema_id, schema.schema, schema.references)
        codec = FixtureSchemas(Header(schemas=tuple(self.entries.values())), "registry").codecs[name]
        self.recorder.add_schema(schema_id, name, codec.compiled)

    def _add(self, subject: str, version: int, schema_id: int, text: str, references: Sequence[Any]) -> str:
        name = f"{subject}@{version}"
        if name in self.entries:
            return name
        refs = []
        for ref in references:
            registered = self.client.get_version(ref.subject, ref.version)  # type: ignore[union-attr]
            self._add(
                ref.subject,
                int(registered.version or ref.version),
                registered.id,
                registered.schema,
                registered.references,
            )
            refs.append(SchemaRef(ref.name, ref.subject, int(registered.version or ref.version)))
        self.entries[name] = SchemaEntry(name, json.loads(text), subject, version, schema_id, tuple(refs))
        return name

    def sorted_entries(self) -> list[SchemaEntry]:
        """Entries by subject then version, so a replay registers versions in their original order."""
        return sorted(self.entries.values(), key=lambda e: (e.subject or "", e.version or 0))

    @property
    def undecoded(self) -> int:
        return int(self.recorder.undecoded)

    def warnings(self) -> list[str]:
        """The first undecodable payloads, each with where it was and why."""
        return [
            f"{topic}[{partition}]@{offset}: {kind} kept as bytes: {reason}"
            for topic, partition, offset, kind, reason in self.recorder.warnings
        ]


def _preferred(versions: Sequence[tuple[str, int]], topic: str, kind: str, text: str) -> tuple[str, int]:
    """The (subject, version) a schema id is recorded under: the one a serializer of `topic` uses
    under some strategy (`govern.catalog.subject_name`; those naming the topic first), else the
    first the registry lists."""
    from govern.catalog.model import subject_name

    try:
        value = json.loads(text)
    except ValueError:
        value = None
    record = _full_name(value) if isinstance(value, dict) else None
    for strategy in ("topic", "topic_record", "record"):
        if strategy != "topic" and record is None:
            continue
        wanted = subject_name(strategy, topic, kind, record)
        for subject, version in versions:
            if subject == wanted:
                return subject, version
    return versions[0]


def _names(data: bytes | None, schema_id: int) -> bool:
    """Whether `data` is framed with `schema_id`."""
    try:
        return data is not None and len(data) > 5 and unframe(data)[0] == schema_id
    except SerdeError:
        return False
