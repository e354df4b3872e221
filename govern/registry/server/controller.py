"""The registry's logic (Confluent semantics), independent of HTTP and of the storage engine.

Routers turn requests into calls here and results into JSON; every method runs its reads and
writes inside one store unit of work, so each REST operation is atomic. Error classes and
messages follow Confluent's (`shared/reference/confluent-schema-registry.md` §3).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from govern.compat.levels import INVALID_LEVEL_MESSAGE, Level
from govern.compat.limits import ComplexityExceeded, Limits, admit, current_limits, limits_in_force
from govern.registry.errors import (
    BadRequest,
    IdMismatch,
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidMode,
    InvalidSchema,
    InvalidSubject,
    InvalidVersion,
    OperationNotPermitted,
    ReferenceExists,
    SchemaNotFound,
    SchemaTooLarge,
    SubjectConfigNotFound,
    SubjectModeNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)
from govern.registry.server import contracts
from govern.registry.server.parsing import ParsedSchema, SchemaParser, identity_of
from govern.registry.store import GLOBAL, Reference, SchemaRecord, Store, StoreTx, VersionRecord

LEVELS: tuple[str, ...] = tuple(level.value for level in Level)
MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT")
SCHEMA_TYPES = ("AVRO",)
CONTEXT = "."
MAX_VERSION = 2**31 - 1
LATEST = -1

_MODE_MESSAGE = "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD."


def parse_version(raw: str) -> int:
    """A version path parameter: `latest`/`-1` → LATEST, else an int in [1, 2^31-1] (42202)."""
    text = raw.strip()
    if text.lower() == "latest":
        return LATEST
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == -1:
        return LATEST
    if not 1 <= value <= MAX_VERSION or not text.lstrip("-").isdecimal():
        raise InvalidVersion(
            f"The specified version '{raw}' is not a valid version id. Allowed values are between "
            '[1, 2^31-1] and the string "latest"'
        )
    return value


def validate_subject(subject: str) -> None:
    """Refuse names Confluent refuses (control characters, the reserved scopes) with 42208."""
    if subject in ("__GLOBAL", "__EMPTY") or any(unicodedata.category(ch) == "Cc" for ch in subject):
        raise InvalidSubject(f"The specified subject '{subject}' is not a valid.")


def _is_int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_text(value: object) -> bool:
    """A str that can be stored as UTF-8 (JSON may carry lone surrogates, SQLite cannot)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _too_complex(error: ComplexityExceeded) -> InvalidSchema:
    return InvalidSchema(f"Schema too complex: {error.message}")


def _read_only(subject: str) -> OperationNotPermitted:
    return OperationNotPermitted(f"Subject {subject} in context {CONTEXT} is in read-only mode")


class Registry:
    """Confluent Schema Registry behaviour over a `Store`."""

    def __init__(
        self,
        store: Store,
        *,
        default_level: str = "BACKWARD",
        max_schema_bytes: int = 1024 * 1024,
        limits: Limits | None = None,
    ) -> None:
        self.store = store
        self.default_level = default_level.upper()
        self.max_schema_bytes = max_schema_bytes
        self.limits = limits or current_limits()
        self.parser = SchemaParser()
        # A file-backed SQLite store in WAL mode: reads never block on writers, so the HTTP layer
        # may run them on the event loop. Other stores (":memory:" behind a lock) read in threads.
        self.inline_reads = bool(getattr(store, "reads_never_wait", False))

    # ---------------------------------------------------------------- helpers

    def _effective_mode(self, tx: StoreTx, subject: str | None) -> str:
        if subject is not None:
            mode = tx.mode(subject)
            if mode is not None:
                return mode
        return tx.mode(GLOBAL) or "READWRITE"

    def _check_writable(self, tx: StoreTx, subject: str) -> None:
        if self._effective_mode(tx, subject) in ("READONLY", "READONLY_OVERRIDE"):
            raise _read_only(subject)

    def _config_value(self, tx: StoreTx, subject: str | None, key: str) -> Any:
        if subject is not None:
            config = tx.config(subject)
            if config and config.get(key) is not None:
                return config[key]
        config = tx.config(GLOBAL)
        if config and config.get(key) is not None:
            return config[key]
        return None

    def _effective_config(self, tx: StoreTx, subject: str | None) -> dict[str, Any]:
        """The global config with the subject's keys over it (each key falls back on its own)."""
        merged = dict(tx.config(GLOBAL) or {})
        if subject is not None:
            merged.update({k: v for k, v in (tx.config(subject) or {}).items() if v is not None})
        return merged

    def _contract(
        self, tx: StoreTx, subject: str, body: dict[str, Any], live: Sequence[VersionRecord]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The metadata and rule set a new version of `subject` gets from this request."""
        asked_metadata = contracts.metadata(body.get("metadata"))
        asked_rules = contracts.rule_set(body.get("ruleSet"))
        previous = tx.schema(live[-1].schema_id) if live else None
        inherited = (previous.metadata, previous.rule_set) if previous is not None else None
        config = self._effective_config(tx, subject)
        return contracts.effective(config, asked_metadata, asked_rules, inherited)

    def _same_group(
        self, tx: StoreTx, subject: str, metadata: dict[str, Any] | None, live: Sequence[VersionRecord]
    ) -> list[VersionRecord]:
        """The versions a new one is checked against: with `compatibilityGroup`, those of its group."""
        group = self._effective_config(tx, subject).get("compatibilityGroup")
        if not group:
            return list(live)
        value = contracts.property_of(metadata, group)
        return [v for v in live if contracts.property_of(self._record(tx, v).metadata, group) == value]

    @staticmethod
    def _record(tx: StoreTx, version: VersionRecord) -> SchemaRecord:
        record = tx.schema(version.schema_id)
        assert record is not None  # store invariant: every version's schema exists
        return record

    def _level(self, tx: StoreTx, subject: str | None) -> str:
        return str(self._config_value(tx, subject, "compatibilityLevel") or self.default_level)

    def _reference_texts(self, tx: StoreTx, references: Sequence[Reference]) -> list[str]:
        """Texts of every schema the references reach, dependencies first (each once)."""
        texts: list[str] = []
        seen: set[int] = set()

        def visit(ref: Reference, depth: int) -> None:
            if depth > 64:
                raise InvalidSchema("Invalid schema: references nested too deeply")
            version = self._find_reference(tx, ref)
            if version.schema_id in seen:
                return
            seen.add(version.schema_id)
            record = tx.schema(version.schema_id)
            if record is None:  # pragma: no cover - store invariant
                raise InvalidSchema(f"Invalid schema: reference {ref.name} has no schema")
            for inner in record.references:
                visit(inner, depth + 1)
            texts.append(record.schema)

        for ref in references:
            visit(ref, 0)
        return texts

    def _find_reference(self, tx: StoreTx, ref: Reference) -> VersionRecord:
        versions = tx.versions(ref.subject)
        if ref.version == LATEST:
            live = [v for v in versions if not v.deleted]
            if live:
                return live[-1]
        for version in versions:
            if version.version == ref.version:
                return version
        raise InvalidSchema(
            f"Invalid schema: reference '{ref.name}' to subject '{ref.subject}' "
            f"version {ref.version} not found"
        )

    def _parse_body(self, tx: StoreTx, body: Any, *, normalize: bool, strict: bool = True) -> ParsedSchema:
        """Validate a RegisterSchemaRequest body and parse its schema (42201 for any schema problem)."""
        schema_type, text, references = self._request_fields(body)
        if not text:
            raise InvalidSchema("Empty schema")
        return self.parser.parse_submitted(
            schema_type,
            text,
            references,
            lambda: self._reference_texts(tx, references),
            normalize=normalize,
            strict=strict,
        )

    def _admit(self, parsed: ParsedSchema) -> None:
        """Refuse (42201) a schema beyond the complexity budget as it comes in, so that every
        stored schema can be checked later."""
        try:
            admit(parsed.avro.root, self.limits)
        except ComplexityExceeded as error:
            raise _too_complex(error) from None

    def _request_fields(self, body: Any) -> tuple[str, str, tuple[Reference, ...]]:
        if not isinstance(body, dict):
            raise BadRequest("Request body must be a JSON object")
        schema_type = body.get("schemaType")
        if schema_type is None:
            schema_type = "AVRO"
        if schema_type not in SCHEMA_TYPES:
            raise InvalidSchema(f"Invalid schema type {schema_type}: this registry supports AVRO only")
        text = body.get("schema")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise InvalidSchema("Invalid schema: the 'schema' field must be a string holding the schema JSON")
        if not _is_text(text):
            raise InvalidSchema("Invalid schema: contains a lone UTF-16 surrogate (not valid Unicode)")
        if len(text.encode("utf-8", "surrogatepass")) > self.max_schema_bytes:
            raise SchemaTooLarge(
                f"Schema too large: {len(text.encode('utf-8', 'surrogatepass'))} bytes exceeds the limit of "
                f"{self.max_schema_bytes} bytes"
            )
        raw_refs = body.get("references") or []
        if not isinstance(raw_refs, list):
            raise InvalidSchema("Invalid schema: 'references' must be a list")
        references: list[Reference] = []
        for raw in raw_refs:
            if not (
                isinstance(raw, dict)
                and _is_text(raw.get("name"))
                and _is_text(raw.get("subject"))
                and (_is_int_in(raw.get("version"), 1, MAX_VERSION) or raw.get("version") == LATEST)
            ):
                raise InvalidSchema(
                    "Invalid schema: each reference needs a string name, string subject and int version"
                )
            references.append(Reference(raw["name"], raw["subject"], raw["version"]))
        return str(schema_type), text, tuple(references)

    def _normalize(self, tx: StoreTx, subject: str, requested: bool) -> bool:
        return requested or bool(self._config_value(tx, subject, "normalize"))

    def _schema_json(self, tx: StoreTx, version: VersionRecord) -> dict[str, Any]:
        record = self._record(tx, version)
        body: dict[str, Any] = {
            "subject": version.subject,
            "version": version.version,
            "id": record.id,
            "schemaType": record.schema_type,
            "schema": record.schema,
        }
        return _with_contract(body, record)

    def _history(self, tx: StoreTx, versions: Sequence[VersionRecord]) -> list[Any]:
        history = []
        for version in versions:
            record = tx.schema(version.schema_id)
            assert record is not None
            try:
                parsed = self.parser.parse_stored(
                    record.id, record.schema, lambda r=record: self._reference_texts(tx, r.references)
                )
            except Exception:  # noqa: BLE001 - let the checker fail on it: "incompatible", never a 500
                parsed = record.schema
            history.append(parsed)
        return history

    def _compatibility(
        self, level: str, new: ParsedSchema, history: Sequence[Any], versions: Sequence[VersionRecord]
    ) -> tuple[bool, list[str]]:
        """Check `new` against the history at `level`; Confluent's verbose messages when incompatible."""
        from govern.compat import check_level
        from govern.registry.server.messages import confluent_messages

        if level == "NONE" or not history:
            return True, []
        try:
            with limits_in_force(self.limits):
                result = check_level(level, new.avro, list(history), versions=[v.version for v in versions])
        except ComplexityExceeded as error:
            raise _too_complex(error) from None
        except Exception as error:  # noqa: BLE001 - Confluent: an exception in the checker means incompatible
            return False, [f"Unexpected exception during compatibility check: {error}"]
        if result.compatible:
            return True, []
        return False, confluent_messages(result)

    # ---------------------------------------------------------------- subjects

    def list_subjects(self, *, prefix: str | None, deleted: bool, deleted_only: bool) -> list[str]:
        """Subject names, sorted; soft-deleted subjects only with `deleted` / `deleted_only`."""
        with self.store.read() as tx:
            rows = tx.subjects()
        if prefix in (None, "", ":*:"):
            prefix = ""
        names = []
        for subject, live in rows:
            if deleted_only:
                keep = not live
            else:
                keep = live or deleted
            if keep and subject.startswith(prefix or ""):
                names.append(subject)
        return names

    def list_versions(
        self, subject: str, *, deleted: bool, deleted_only: bool = False, deleted_as_negative: bool = False
    ) -> list[int]:
        """A subject's version numbers (40401 when none are visible)."""
        with self.store.read() as tx:
            versions = tx.versions(subject)
        result = []
        for v in versions:
            if deleted_only and not v.deleted:
                continue
            if v.deleted and not (deleted or deleted_only or deleted_as_negative):
                continue
            result.append(-v.version if (v.deleted and deleted_as_negative) else v.version)
        if not result:
            raise SubjectNotFound(f"Subject '{subject}' not found.")
        return result

    def _resolve(self, tx: StoreTx, subject: str, version: int, *, deleted: bool) -> VersionRecord:
        versions = tx.versions(subject)
        visible = [v for v in versions if deleted or not v.deleted]
        if not visible:
            raise SubjectNotFound(f"Subject '{subject}' not found.")
        if version == LATEST:
            live = [v for v in versions if not v.deleted] or visible
            return live[-1]
        for v in visible:
            if v.version == version:
                return v
        raise VersionNotFound(f"Version {version} not found.")

    def get_version(self, subject: str, raw_version: str, *, deleted: bool) -> dict[str, Any]:
        """One version as Confluent's Schema entity (`latest` = newest non-deleted)."""
        version = parse_version(raw_version)
        with self.store.read() as tx:
            return self._schema_json(tx, self._resolve(tx, subject, version, deleted=deleted))

    def get_version_schema(self, subject: str, raw_version: str, *, deleted: bool) -> str:
        """One version's schema text, unwrapped."""
        return str(self.get_version(subject, raw_version, deleted=deleted)["schema"])

    def referenced_by(self, subject: str, raw_version: str) -> list[int]:
        """Ids of live schemas that reference this subject version."""
        version = parse_version(raw_version)
        with self.store.read() as tx:
            record = self._resolve(tx, subject, version, deleted=False)
            return tx.referenced_by(subject, record.version)

    def register(self, subject: str, body: Any, *, normalize: bool, force: bool) -> dict[str, Any]:
        """Register a schema under a subject (Confluent §3.6): idempotent, checked, atomic."""
        validate_subject(subject)
        schema_type, text, references = self._request_fields(body)
        explicit_id = body.get("id")
        explicit_version = body.get("version")
        for name, value in (("id", explicit_id), ("version", explicit_version)):
            if value is not None and not _is_int_in(value, 1, MAX_VERSION):
                raise InvalidSchema(f"Invalid '{name}': must be an integer in [1, 2^31-1]")
        with self.store.read() as tx:
            mode = self._effective_mode(tx, subject)
            if mode in ("READONLY", "READONLY_OVERRIDE"):
                raise _read_only(subject)
            if explicit_id is not None and mode != "IMPORT":
                raise OperationNotPermitted(f"Subject {subject} in context {CONTEXT} is not in import mode")
            if explicit_id is None and mode == "IMPORT":
                raise OperationNotPermitted(
                    f"Subject {subject} in context {CONTEXT} is not in read-write mode"
                )
            normalize = self._normalize(tx, subject, normalize)
            if not text:
                live = [v for v in tx.versions(subject) if not v.deleted]
                if not live:
                    raise InvalidSchema("Empty schema")
                previous = tx.schema(live[-1].schema_id)
                assert previous is not None
                text, references = previous.schema, previous.references
            parsed = self.parser.parse_submitted(
                schema_type,
                text,
                references,
                lambda: self._reference_texts(tx, references),
                normalize=normalize,
                strict=explicit_id is None,
            )
        self._admit(parsed)
        with self.store.write() as tx:
            # Re-check the mode inside the write unit: it may have changed since the read.
            self._check_writable(tx, subject)
            versions = tx.versions(subject)
            live = [v for v in versions if not v.deleted]
            if explicit_id is None:
                metadata, rules = self._contract(tx, subject, body, live)
            else:  # an import keeps the contract it brings, as it keeps its id
                metadata = contracts.metadata(body.get("metadata"))
                rules = contracts.rule_set(body.get("ruleSet"))
            identity = identity_of(parsed.schema_type, parsed.text, parsed.references, metadata, rules)
            existing_id = tx.schema_id_for(identity)
            if existing_id is not None:
                same = [v for v in live if v.schema_id == existing_id]
                if same and explicit_id in (None, existing_id):
                    return self._register_answer(tx, same[-1])
            if explicit_id is not None:
                contract = (identity, metadata, rules)
                return self._import(tx, subject, parsed, contract, existing_id, explicit_id, explicit_version)
            if not force:
                level = self._level(tx, subject)
                compared = self._same_group(tx, subject, metadata, live)
                ok, messages = self._compatibility(level, parsed, self._history(tx, compared), compared)
                if not ok:
                    raise IncompatibleSchema(
                        "Schema being registered is incompatible with an earlier schema for subject "
                        f'"{subject}", '
                        f"details: [{', '.join(messages)}]"
                    )
            next_version = (versions[-1].version + 1) if versions else 1
            if existing_id is None:
                schema_id = tx.add_schema(
                    identity, parsed.schema_type, parsed.text, parsed.references, metadata, rules
                )
            else:
                schema_id = existing_id
                for old in versions:  # tombstone soft-deleted versions of the same schema
                    if (
                        old.deleted
                        and old.schema_id == schema_id
                        and not tx.referenced_by(subject, old.version)
                    ):
                        tx.remove_version(subject, old.version)
            tx.add_version(subject, next_version, schema_id)
            return self._register_answer(tx, VersionRecord(subject, next_version, schema_id, False))

    def _import(
        self,
        tx: StoreTx,
        subject: str,
        parsed: ParsedSchema,
        contract: tuple[str, dict[str, Any] | None, dict[str, Any] | None],
        existing_id: int | None,
        explicit_id: int,
        explicit_version: int | None,
    ) -> dict[str, Any]:
        identity, metadata, rules = contract
        versions = tx.versions(subject)
        if existing_id is not None and existing_id != explicit_id:
            raise IdMismatch("The ID of an imported schema does not match the existing ID")
        record = tx.schema(explicit_id)
        if record is not None and existing_id != explicit_id:
            raise OperationNotPermitted(
                f"Overwrite new schema with id {explicit_id} in context {CONTEXT} is not permitted."
            )
        version = explicit_version or ((versions[-1].version + 1) if versions else 1)
        if any(v.version == version for v in versions):
            raise OperationNotPermitted(
                f"Overwrite new schema with version {version} of subject {subject} is not permitted."
            )
        if record is None:
            tx.add_schema_with_id(
                explicit_id, identity, parsed.schema_type, parsed.text, parsed.references, metadata, rules
            )
        tx.add_version(subject, version, explicit_id)
        return self._register_answer(tx, VersionRecord(subject, version, explicit_id, False))

    def _register_answer(self, tx: StoreTx, version: VersionRecord) -> dict[str, Any]:
        body = self._schema_json(tx, version)
        body.pop("subject")
        return body

    def lookup(self, subject: str, body: Any, *, normalize: bool, deleted: bool) -> dict[str, Any]:
        """Find the version of a subject holding this schema (40401 / 40403 otherwise)."""
        with self.store.read() as tx:
            normalized = self._normalize(tx, subject, normalize)
            parsed = self._parse_body(tx, body, normalize=normalized, strict=False)
            versions = [v for v in tx.versions(subject) if deleted or not v.deleted]
            if not versions:
                raise SubjectNotFound(f"Subject '{subject}' not found.")
            # Confluent matches on the schema; a contract in the request must match too.
            asked_metadata = contracts.metadata(body.get("metadata"))
            asked_rules = contracts.rule_set(body.get("ruleSet"))
            matches = []
            for version in versions:
                record = self._record(tx, version)
                if (
                    (record.schema_type, record.schema, record.references)
                    == (parsed.schema_type, parsed.text, parsed.references)
                    and asked_metadata in (None, record.metadata)
                    and asked_rules in (None, record.rule_set)
                ):
                    matches.append(version)
            if not matches:
                # The same schema in another stored form (registered with or without normalize=true)
                # is still found: Confluent compares the parsed schemas with each version.
                matches = [
                    v
                    for v in versions
                    if self._identity_as(tx, v.schema_id, normalized) == parsed.identity
                    and asked_metadata in (None, self._record(tx, v).metadata)
                    and asked_rules in (None, self._record(tx, v).rule_set)
                ]
            if not matches:
                raise SchemaNotFound("Schema not found")
            return self._schema_json(tx, matches[-1])

    def latest_with_metadata(self, subject: str, wanted: dict[str, str], *, deleted: bool) -> dict[str, Any]:
        """The newest version whose metadata properties hold every `key=value` asked (40403 if none)."""
        with self.store.read() as tx:
            versions = [v for v in tx.versions(subject) if deleted or not v.deleted]
            if not versions:
                raise SubjectNotFound(f"Subject '{subject}' not found.")
            for version in reversed(versions):
                if contracts.matches(self._record(tx, version).metadata, wanted):
                    return self._schema_json(tx, version)
        raise SchemaNotFound(f"Schema with metadata {wanted} not found in subject '{subject}'")

    def _identity_as(self, tx: StoreTx, schema_id: int, normalize: bool) -> Any:
        record = tx.schema(schema_id)
        return self.parser.parse_submitted(
            record.schema_type,
            record.schema,
            record.references,
            lambda: self._reference_texts(tx, record.references),
            normalize=normalize,
            strict=False,
        ).identity

    def delete_version(self, subject: str, raw_version: str, *, permanent: bool) -> int:
        """Soft-delete a version, or hard-delete an already soft-deleted one (Confluent's rules)."""
        version = parse_version(raw_version)
        with self.store.write() as tx:
            self._check_writable(tx, subject)
            versions = tx.versions(subject)
            if not versions:
                raise SubjectNotFound(f"Subject '{subject}' not found.")
            if version == LATEST:
                candidates = versions if permanent else [v for v in versions if not v.deleted]
                if not candidates:
                    raise SubjectNotFound(f"Subject '{subject}' not found.")
                record = candidates[-1]
            else:
                found = [v for v in versions if v.version == version]
                if not found:
                    raise VersionNotFound(f"Version {version} not found.")
                record = found[0]
            if permanent and not record.deleted:
                raise VersionNotSoftDeleted(
                    f"Subject '{subject}' Version {record.version} was not deleted first before being "
                    "permanently deleted"
                )
            if not permanent and record.deleted:
                raise VersionSoftDeleted(
                    f"Subject '{subject}' Version {record.version} was soft deleted.Set permanent=true to "
                    "delete permanently"
                )
            self._refuse_if_referenced(tx, subject, [record.version])
            if permanent:
                tx.remove_version(subject, record.version)
                if not tx.versions(subject):
                    tx.delete_config(subject)
                    tx.delete_mode(subject)
            else:
                tx.mark_deleted(subject, record.version)
            return record.version

    def _refuse_if_referenced(self, tx: StoreTx, subject: str, versions: Sequence[int]) -> None:
        for version in versions:
            if tx.referenced_by(subject, version):
                raise ReferenceExists(
                    "One or more references exist to the schema "
                    f"{{magic=1,keytype=SCHEMA,subject={subject},version={version}}}."
                )

    def delete_subject(self, subject: str, *, permanent: bool) -> list[int]:
        """Soft-delete every live version, or hard-delete a soft-deleted subject (and its config/mode)."""
        with self.store.write() as tx:
            self._check_writable(tx, subject)
            versions = tx.versions(subject)
            if not versions:
                raise SubjectNotFound(f"Subject '{subject}' not found.")
            live = [v.version for v in versions if not v.deleted]
            if permanent:
                if live:
                    raise SubjectNotSoftDeleted(
                        f"Subject '{subject}' was not deleted first before being permanently deleted"
                    )
                all_versions = [v.version for v in versions]
                self._refuse_if_referenced(tx, subject, all_versions)
                for version in all_versions:
                    tx.remove_version(subject, version)
                tx.delete_config(subject)
                tx.delete_mode(subject)
                return all_versions
            if not live:
                raise SubjectSoftDeleted(
                    f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
                )
            self._refuse_if_referenced(tx, subject, live)
            for version in live:
                tx.mark_deleted(subject, version)
            return live

    # ---------------------------------------------------------------- schemas by id

    def _schema_and_usages(self, tx: StoreTx, schema_id: int) -> tuple[Any, list[VersionRecord]]:
        record = tx.schema(schema_id)
        usages = tx.usages(schema_id) if record is not None else []
        if record is None or not usages:
            raise SchemaNotFound(f"Schema {schema_id} not found")
        return record, usages

    def schema_by_id(self, schema_id: int) -> dict[str, Any]:
        """SchemaString by id; 40403 unless some (possibly soft-deleted) version still uses it."""
        with self.store.read() as tx:
            record, _ = self._schema_and_usages(tx, schema_id)
        return _with_contract({"schemaType": record.schema_type, "schema": record.schema}, record)

    def subjects_by_id(self, schema_id: int, *, deleted: bool) -> list[str]:
        """Subjects using a schema id."""
        with self.store.read() as tx:
            _, usages = self._schema_and_usages(tx, schema_id)
        return sorted({u.subject for u in usages if deleted or not u.deleted})

    def versions_by_id(self, schema_id: int, *, deleted: bool) -> list[dict[str, Any]]:
        """(subject, version) pairs using a schema id."""
        with self.store.read() as tx:
            _, usages = self._schema_and_usages(tx, schema_id)
        return [{"subject": u.subject, "version": u.version} for u in usages if deleted or not u.deleted]

    # ---------------------------------------------------------------- compatibility

    def check_compatibility(
        self, subject: str, raw_version: str | None, body: Any, *, normalize: bool, verbose: bool
    ) -> dict[str, Any]:
        """Would `body` be accepted: against version `raw_version`, or the subject's level when None."""
        version = parse_version(raw_version) if raw_version is not None else None
        with self.store.read() as tx:
            try:
                parsed = self._parse_body(tx, body, normalize=self._normalize(tx, subject, normalize))
            except InvalidSchema as error:
                if verbose:
                    return {"is_compatible": False, "messages": [error.message]}
                raise
            self._admit(parsed)  # a refusal, never a verdict: 422 even when verbose
            versions = tx.versions(subject)
            live = [v for v in versions if not v.deleted]
            if version is None:
                metadata, _ = self._contract(tx, subject, body, live)
                compared = self._same_group(tx, subject, metadata, live)
            elif version == LATEST:
                compared = live[-1:]
            else:
                compared = [v for v in live if v.version == version]
                if not compared:
                    raise VersionNotFound(f"Version {version} not found.")
            level = self._level(tx, subject)
            ok, messages = self._compatibility(level, parsed, self._history(tx, compared), compared)
        answer: dict[str, Any] = {"is_compatible": ok}
        if verbose:
            answer["messages"] = messages
        return answer

    # ---------------------------------------------------------------- config

    @staticmethod
    def _config_out(config: dict[str, Any], key: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if config.get("compatibilityLevel") is not None:
            out[key] = config["compatibilityLevel"]
        if config.get("normalize") is not None:
            out["normalize"] = config["normalize"]
        for name in contracts.CONFIG_KEYS:
            if config.get(name) is not None:
                out[name] = config[name]
        return out

    def get_config(self, subject: str | None, *, default_to_global: bool) -> dict[str, Any]:
        """Global config, or a subject's (40408 unless `default_to_global`)."""
        with self.store.read() as tx:
            if subject is not None:
                config = tx.config(subject)
                if config is not None:
                    return self._config_out(config, "compatibilityLevel")
                if not default_to_global:
                    raise SubjectConfigNotFound(
                        f"Subject '{subject}' does not have subject-level compatibility configured"
                    )
            config = dict(tx.config(GLOBAL) or {})
        config.setdefault("compatibilityLevel", self.default_level)
        return self._config_out(config, "compatibilityLevel")

    def set_config(self, subject: str | None, body: Any) -> dict[str, Any]:
        """Merge a ConfigUpdateRequest into the global or a subject's config; echo the result."""
        if subject is not None:
            validate_subject(subject)
        if not isinstance(body, dict):
            raise BadRequest("Request body must be a JSON object")
        level = body.get("compatibility", body.get("compatibilityLevel"))
        update: dict[str, Any] = {}
        if level is not None:
            if not isinstance(level, str) or level.upper() not in LEVELS:
                raise InvalidCompatibilityLevel(INVALID_LEVEL_MESSAGE)
            update["compatibilityLevel"] = level.upper()
        normalize = body.get("normalize")
        if normalize is not None:
            if not isinstance(normalize, bool):
                raise BadRequest("Invalid 'normalize': must be true or false")
            update["normalize"] = normalize
        update.update(contracts.config_update(body))
        scope = subject if subject is not None else GLOBAL
        with self.store.write() as tx:
            config = dict(tx.config(scope) or {})
            config.update(update)
            tx.set_config(scope, config)
        return self._config_out(config, "compatibility")

    def delete_config(self, subject: str | None) -> dict[str, Any]:
        """Remove a subject's config (40401 if none) or reset the global one; the previous config."""
        scope = subject if subject is not None else GLOBAL
        with self.store.write() as tx:
            config = tx.config(scope)
            if config is None:
                if subject is not None:
                    raise SubjectNotFound(f"Subject '{subject}' not found.")
                config = {}
            tx.delete_config(scope)
        if subject is None:
            config = dict(config)
            config.setdefault("compatibilityLevel", self.default_level)
        return self._config_out(config, "compatibilityLevel")

    # ---------------------------------------------------------------- mode

    def get_mode(self, subject: str | None, *, default_to_global: bool) -> dict[str, str]:
        """Global mode, or a subject's (40409 unless `default_to_global`)."""
        with self.store.read() as tx:
            if subject is not None:
                mode = tx.mode(subject)
                if mode is not None:
                    return {"mode": mode}
                if not default_to_global:
                    raise SubjectModeNotFound(
                        f"Subject '{subject}' does not have subject-level mode configured"
                    )
            return {"mode": tx.mode(GLOBAL) or "READWRITE"}

    def set_mode(self, subject: str | None, body: Any, *, force: bool) -> dict[str, str]:
        """Set the global or a subject's mode; entering IMPORT with live subjects needs `force`."""
        if subject is not None:
            validate_subject(subject)
        if not isinstance(body, dict):
            raise BadRequest("Request body must be a JSON object")
        mode = body.get("mode")
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise InvalidMode(_MODE_MESSAGE)
        mode = mode.upper()
        with self.store.write() as tx:
            if mode == "IMPORT" and not force:
                if subject is None:
                    has_subjects = any(live for _, live in tx.subjects())
                else:
                    has_subjects = any(not v.deleted for v in tx.versions(subject))
                if has_subjects:
                    raise OperationNotPermitted("Cannot import since found existing subjects")
            tx.set_mode(subject if subject is not None else GLOBAL, mode)
        return {"mode": mode}

    def delete_mode(self, subject: str | None) -> dict[str, str]:
        """Remove a subject's mode (40401 if none) or reset the global one; the previous mode."""
        scope = subject if subject is not None else GLOBAL
        with self.store.write() as tx:
            mode = tx.mode(scope)
            if mode is None and subject is not None:
                raise SubjectNotFound(f"Subject '{subject}' not found.")
            tx.delete_mode(scope)
        return {"mode": mode or "READWRITE"}


def _with_contract(body: dict[str, Any], record: SchemaRecord) -> dict[str, Any]:
    """A schema entity with its references and data contract, each only when present."""
    return {**body, **record.optional_parts()}
