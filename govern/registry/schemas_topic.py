"""Confluent's `_schemas` topic format, and the registry state rebuilt from it.

Confluent Schema Registry and Karapace keep their state in one compacted single-partition topic;
every instance replays it into memory. Keys are compact JSON with a fixed property order
(`keytype`, `subject`, `version`, `magic`: the bytes must match Confluent's so compaction
supersedes records whoever wrote them); values are Confluent's JSON, a null value (tombstone)
deleting the key:

- `SCHEMA` `{keytype, subject, version, magic: 1}` → `{subject, version, id, schemaType?,
  references?, metadata?, ruleSet?, schema, deleted}`; a tombstone is a permanent version delete.
- `CONFIG` `{keytype, subject (null: global), magic: 0}` → `{compatibilityLevel, normalize, ...}`.
- `MODE` `{keytype, subject (null: global), magic: 0}` → `{mode}`.
- `DELETE_SUBJECT` → `{subject, version}`: versions up to `version` are soft-deleted.
- `CLEAR_SUBJECT` → `{subject}`: soft-deleted versions of the subject are dropped.
- `NOOP` `{keytype, magic: 0}`: written by a new leader to find the end of the log.

`TopicState` applies records (`apply`) and answers the store's read primitives; `StagedWrite` is
one write unit over it: reads see its own changes, and each change becomes the record(s) that
express it, produced by the Kafka store and acknowledged once read back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govern.registry.store import GLOBAL, Reference, SchemaRecord, VersionRecord

log = logging.getLogger("govern.registry.kafka")

KEYTYPES = ("SCHEMA", "CONFIG", "MODE", "DELETE_SUBJECT", "CLEAR_SUBJECT", "NOOP")
Record = tuple[bytes, bytes | None]


def _compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def schema_key(subject: str, version: int) -> bytes:
    return _compact({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1})


def config_key(scope: str) -> bytes:
    return _compact({"keytype": "CONFIG", "subject": None if scope == GLOBAL else scope, "magic": 0})


def mode_key(scope: str) -> bytes:
    return _compact({"keytype": "MODE", "subject": None if scope == GLOBAL else scope, "magic": 0})


NOOP_KEY = _compact({"keytype": "NOOP", "magic": 0})


def schema_value(record: SchemaRecord, subject: str, version: int, deleted: bool) -> bytes:
    """A SCHEMA value in Confluent's property order; empty parts left out, AVRO implied."""
    value: dict[str, Any] = {"subject": subject, "version": version, "id": record.id}
    if record.schema_type != "AVRO":
        value["schemaType"] = record.schema_type
    value.update(record.optional_parts())
    value["schema"] = record.schema
    value["deleted"] = deleted
    return _compact(value)


class RecordError(ValueError):
    """A `_schemas` record this registry cannot apply (named by offset by the caller)."""


def decode(key: bytes | None, value: bytes | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The JSON key and value of a record; `RecordError` for anything that is not one."""
    if not key:
        raise RecordError("record without a key")
    try:
        parsed_key = json.loads(key)
        parsed_value = json.loads(value) if value else None
    except (ValueError, RecursionError) as error:
        raise RecordError(f"not JSON: {error}") from None
    if not isinstance(parsed_key, dict) or parsed_key.get("keytype") not in KEYTYPES:
        raise RecordError(f"unknown key {key[:200]!r}")
    if parsed_value is not None and not isinstance(parsed_value, dict):
        raise RecordError("value is not a JSON object")
    return parsed_key, parsed_value


@dataclass(slots=True)
class _Version:
    schema_id: int
    deleted: bool


class TopicState:
    """The registry as the topic says, kept in memory: what every instance serves reads from.

    One thread applies records; a record's schema is stored before the version that uses it, so
    concurrent readers never find a version whose schema is missing."""

    def __init__(self, identity: Any) -> None:
        # identity(schema_type, text, references, metadata, rule_set) -> the dedup key
        self._identity = identity
        self.versions: dict[str, dict[int, _Version]] = {}
        self.schemas: dict[int, SchemaRecord] = {}
        self.identities: dict[str, int] = {}
        self.users: dict[int, set[tuple[str, int]]] = {}
        self.referrers: dict[tuple[str, int], set[int]] = {}
        self.configs: dict[str, dict[str, Any]] = {}
        self.modes: dict[str, str] = {}
        self.max_id = 0

    # ------------------------------------------------------------- applying records

    def apply(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        """Apply one decoded record (Confluent's semantics for each key type)."""
        try:
            self._apply(key["keytype"], key, value)
        except (TypeError, AttributeError, KeyError, ValueError) as error:  # a malformed value
            raise RecordError(f"{key.get('keytype')} record not applied: {error!r}") from None

    def _apply(self, keytype: str, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        if keytype == "SCHEMA":
            self._apply_schema(key, value)
        elif keytype == "CONFIG":
            scope = key.get("subject") or GLOBAL
            if value is None:
                self.configs.pop(scope, None)
            else:
                self.configs[scope] = {k: v for k, v in value.items() if v is not None}
        elif keytype == "MODE":
            scope = key.get("subject") or GLOBAL
            if value is None or not isinstance(value.get("mode"), str):
                self.modes.pop(scope, None)
            else:
                self.modes[scope] = value["mode"]
        elif keytype == "DELETE_SUBJECT" and value is not None:
            subject, upto = _text(value, "subject"), _int(value, "version")
            for number, version in self.versions.get(subject, {}).items():
                if number <= upto:
                    version.deleted = True
        elif keytype == "CLEAR_SUBJECT" and value is not None:
            subject = _text(value, "subject")
            for number, version in list(self.versions.get(subject, {}).items()):
                if version.deleted:
                    self._remove(subject, number)

    def _apply_schema(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        subject, number = _text(key, "subject"), _int(key, "version")
        if value is None:
            self._remove(subject, number)
            return
        schema_id = _int(value, "id")
        record = self.schemas.get(schema_id)
        if record is None:
            references = tuple(
                Reference(_text(r, "name"), _text(r, "subject"), _int(r, "version"))
                for r in value.get("references") or ()
            )
            schema_type = value.get("schemaType") or "AVRO"
            text = _text(value, "schema")
            metadata, rule_set = value.get("metadata"), value.get("ruleSet")
            record = SchemaRecord(schema_id, schema_type, text, references, metadata, rule_set)
            self.schemas[schema_id] = record
            self.identities.setdefault(
                self._identity(schema_type, text, references, metadata, rule_set), schema_id
            )
            for ref in references:
                self.referrers.setdefault((ref.subject, ref.version), set()).add(schema_id)
            self.max_id = max(self.max_id, schema_id)
        elif record.schema != value.get("schema"):
            log.warning("schema id %s given to two schemas in the topic: keeping the first", schema_id)
        previous = self.versions.get(subject, {}).get(number)
        if previous is not None and previous.schema_id != schema_id:
            self._remove(subject, number)
        self.versions.setdefault(subject, {})[number] = _Version(schema_id, bool(value.get("deleted")))
        self.users.setdefault(schema_id, set()).add((subject, number))

    def _remove(self, subject: str, number: int) -> None:
        versions = self.versions.get(subject, {})
        version = versions.pop(number, None)
        if version is not None:
            self.users.get(version.schema_id, set()).discard((subject, number))
        if not versions:
            self.versions.pop(subject, None)

    # ------------------------------------------------------------- the store's read primitives

    def subjects(self) -> list[tuple[str, bool]]:
        return sorted(
            (subject, any(not v.deleted for v in list(versions.values())))
            for subject, versions in list(self.versions.items())
        )

    def versions_of(self, subject: str) -> list[VersionRecord]:
        versions = dict(self.versions.get(subject, {}))
        return [VersionRecord(subject, n, v.schema_id, v.deleted) for n, v in sorted(versions.items())]

    def usages(self, schema_id: int) -> list[VersionRecord]:
        found = []
        for subject, number in sorted(list(self.users.get(schema_id, ()))):
            version = self.versions.get(subject, {}).get(number)
            if version is not None:
                found.append(VersionRecord(subject, number, schema_id, version.deleted))
        return found


def _text(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise RecordError(f"'{name}' is not a string")
    return value


def _int(obj: dict[str, Any], name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError(f"'{name}' is not an integer")
    return value


class _ReadTx:
    """`StoreTx` reads straight from the state, which only the reader thread changes (see
    `KafkaStore._read_unit` for why that needs no lock)."""

    def __init__(self, state: TopicState) -> None:
        self._state = state

    def subjects(self) -> list[tuple[str, bool]]:
        return self._state.subjects()

    def versions(self, subject: str) -> list[VersionRecord]:
        return self._state.versions_of(subject)

    def schema(self, schema_id: int) -> SchemaRecord | None:
        return self._state.schemas.get(schema_id)

    def schema_id_for(self, identity: str) -> int | None:
        return self._state.identities.get(identity)

    def usages(self, schema_id: int) -> list[VersionRecord]:
        return self._state.usages(schema_id)

    def referenced_by(self, subject: str, version: int) -> list[int]:
        return sorted(
            sid
            for sid in list(self._state.referrers.get((subject, version), ()))
            if any(not u.deleted for u in self.usages(sid))
        )

    def config(self, scope: str) -> dict[str, object] | None:
        config = self._state.configs.get(scope)
        return None if config is None else dict(config)

    def mode(self, scope: str) -> str | None:
        return self._state.modes.get(scope)

    def _read_only(self, *args: object, **kwargs: object) -> Any:
        raise RuntimeError("a read unit cannot change the registry")

    add_schema = add_schema_with_id = add_version = mark_deleted = remove_version = _read_only
    set_config = delete_config = set_mode = delete_mode = _read_only


class StagedWrite(_ReadTx):
    """One write unit: changes staged over the state, and the `_schemas` records that make them."""

    def __init__(self, state: TopicState) -> None:
        super().__init__(state)
        self.records: list[Record] = []
        self._versions: dict[str, dict[int, _Version]] = {}  # touched subjects, whole
        self._schemas: dict[int, SchemaRecord] = {}
        self._identities: dict[str, int] = {}
        self._configs: dict[str, dict[str, Any] | None] = {}
        self._modes: dict[str, str | None] = {}
        self._next_id = state.max_id + 1

    def _subject(self, subject: str) -> dict[int, _Version]:
        if subject not in self._versions:
            base = self._state.versions.get(subject, {})
            self._versions[subject] = {n: _Version(v.schema_id, v.deleted) for n, v in list(base.items())}
        return self._versions[subject]

    def _emit_version(self, subject: str, number: int) -> None:
        version = self._subject(subject)[number]
        record = self.schema(version.schema_id)
        if record is None:
            raise RuntimeError(f"schema id {version.schema_id} is unknown")  # controller invariant
        self.records.append(
            (schema_key(subject, number), schema_value(record, subject, number, version.deleted))
        )

    # reads that see the staged changes

    def subjects(self) -> list[tuple[str, bool]]:
        merged = dict(self._state.subjects())
        for subject, versions in self._versions.items():
            if versions:
                merged[subject] = any(not v.deleted for v in versions.values())
            else:
                merged.pop(subject, None)
        return sorted(merged.items())

    def versions(self, subject: str) -> list[VersionRecord]:
        if subject not in self._versions:
            return self._state.versions_of(subject)
        return [
            VersionRecord(subject, n, v.schema_id, v.deleted)
            for n, v in sorted(self._versions[subject].items())
        ]

    def schema(self, schema_id: int) -> SchemaRecord | None:
        return self._schemas.get(schema_id) or self._state.schemas.get(schema_id)

    def schema_id_for(self, identity: str) -> int | None:
        return self._identities.get(identity) or self._state.identities.get(identity)

    def usages(self, schema_id: int) -> list[VersionRecord]:
        found = [u for u in self._state.usages(schema_id) if u.subject not in self._versions]
        for subject, versions in self._versions.items():
            found += [
                VersionRecord(subject, n, schema_id, v.deleted)
                for n, v in versions.items()
                if v.schema_id == schema_id
            ]
        return sorted(found, key=lambda u: (u.subject, u.version))

    def referenced_by(self, subject: str, version: int) -> list[int]:
        candidates = set(self._state.referrers.get((subject, version), ()))
        candidates |= {
            sid
            for sid, r in self._schemas.items()
            if any((x.subject, x.version) == (subject, version) for x in r.references)
        }
        return sorted(sid for sid in candidates if any(not u.deleted for u in self.usages(sid)))

    def config(self, scope: str) -> dict[str, object] | None:
        if scope in self._configs:
            staged = self._configs[scope]
            return None if staged is None else dict(staged)
        return super().config(scope)

    def mode(self, scope: str) -> str | None:
        return self._modes[scope] if scope in self._modes else super().mode(scope)

    # changes

    def add_schema(
        self,
        identity: str,
        schema_type: str,
        text: str,
        references: Sequence[Reference],
        metadata: dict[str, Any] | None = None,
        rule_set: dict[str, Any] | None = None,
    ) -> int:
        schema_id = self._next_id
        self.add_schema_with_id(schema_id, identity, schema_type, text, references, metadata, rule_set)
        return schema_id

    def add_schema_with_id(
        self,
        schema_id: int,
        identity: str,
        schema_type: str,
        text: str,
        references: Sequence[Reference],
        metadata: dict[str, Any] | None = None,
        rule_set: dict[str, Any] | None = None,
    ) -> None:
        self._schemas[schema_id] = SchemaRecord(
            schema_id, schema_type, text, tuple(references), metadata, rule_set
        )
        self._identities[identity] = schema_id
        self._next_id = max(self._next_id, schema_id + 1)

    def add_version(self, subject: str, version: int, schema_id: int) -> None:
        self._subject(subject)[version] = _Version(schema_id, False)
        self._emit_version(subject, version)

    def mark_deleted(self, subject: str, version: int) -> None:
        self._subject(subject)[version].deleted = True
        self._emit_version(subject, version)

    def remove_version(self, subject: str, version: int) -> None:
        self._subject(subject).pop(version, None)
        self.records.append((schema_key(subject, version), None))

    def set_config(self, scope: str, config: dict[str, object]) -> None:
        self._configs[scope] = dict(config)
        self.records.append((config_key(scope), _compact(config)))

    def delete_config(self, scope: str) -> None:
        self._configs[scope] = None
        self.records.append((config_key(scope), None))

    def set_mode(self, scope: str, mode: str) -> None:
        self._modes[scope] = mode
        self.records.append((mode_key(scope), _compact({"mode": mode})))

    def delete_mode(self, scope: str) -> None:
        self._modes[scope] = None
        self.records.append((mode_key(scope), None))
