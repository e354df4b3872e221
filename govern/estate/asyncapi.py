"""AsyncAPI, both ways: a catalog as one AsyncAPI 3.0 document, and AsyncAPI 3.0 / 2.x documents
read back into contracts/ and schemas/.

The mapping (docs/asyncapi.md has it in full):

- a topic is a channel whose `address` is the topic name, with Kafka's channel binding
  (partitions, `cleanup.policy`) and govern's own settings as extensions: `x-govern-key` (what the
  key holds), `x-govern-compatibility`, `x-govern-subject-strategy`, `x-govern-internal`;
- each event type of a topic is a message whose payload is the Avro schema, self-contained
  (`schemaFormat: application/vnd.apache.avro+json;version=1.9.0`); the Kafka message binding
  says how it is framed (Confluent's wire format) and looked up, and carries the key's shape;
  an Avro key schema itself is `x-govern-key-schema`;
- each service's topics are operations, `send` for what it produces and `receive` for what it
  consumes, marked `x-govern-service` (a pinned reader schema is `x-govern-reader-schema`).

Reading: AsyncAPI 2.x's `subscribe` is what the application sends and `publish` what it
receives; a document without `x-govern-service` describes one application named by its title.
Only local `$ref`s (`#/...`) are followed; payloads in another schema format are skipped, each
with a note.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from govern.catalog.model import Catalog, SchemaRef, Topic
from govern.errors import InputError
from govern.estate.plan import (
    PLACEHOLDER_SERVICE,
    UNKNOWN_KEY,
    ImportPlan,
    SchemaFiles,
    ServiceEntry,
    TopicEntry,
    full_name,
    primitive_name,
    render,
)

AVRO_FORMAT = "application/vnd.apache.avro+json;version=1.9.0"
KAFKA_BINDING = "0.5.0"
#: Confluent's subject name strategies as AsyncAPI's Kafka binding names the lookup
LOOKUP = {"topic": "TopicIdStrategy", "record": "RecordIdStrategy", "topic_record": "TopicRecordIdStrategy"}
_JSON_TYPES = {
    "null": "null",
    "boolean": "boolean",
    "int": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "bytes": "string",
    "string": "string",
}
_ID = re.compile(r"[^A-Za-z0-9_.-]")


# ---------------------------------------------------------------- export


def to_asyncapi(catalog: Catalog, *, title: str | None = None) -> dict[str, Any]:
    """The catalog as one AsyncAPI 3.0 document (a JSON-ready dict)."""
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channel_messages: dict[str, list[str]] = {}
    for topic in catalog.topics:
        cid = _id(topic.name)
        refs: dict[str, Any] = {}
        for event in topic.value_types or (topic.value_schema,):
            mid = _id(f"{topic.name}.{event.name}")
            messages[mid] = _message(topic, event)
            refs[mid] = {"$ref": f"#/components/messages/{mid}"}
        channel_messages[cid] = list(refs)
        channels[cid] = _drop_none(
            {
                "address": topic.name,
                "title": topic.name,
                "description": topic.description or None,
                "messages": refs,
                "bindings": {
                    "kafka": {
                        "topic": topic.name,
                        "partitions": topic.partitions,
                        "topicConfiguration": {"cleanup.policy": topic.cleanup_policy.split(",")},
                        "bindingVersion": KAFKA_BINDING,
                    }
                },
                "x-govern-key": topic.key,
                "x-govern-compatibility": topic.compatibility,
                "x-govern-subject-strategy": {
                    "value": topic.subject_strategy,
                    "key": topic.key_subject_strategy,
                },
                "x-govern-internal": topic.internal or None,
            }
        )
    operations: dict[str, Any] = {}
    for service in catalog.services:
        for action, names in (("send", service.produces), ("receive", service.consumes)):
            for name in names:
                cid = _id(name)
                reader = service.reader_schemas.get(name) if action == "receive" else None
                operations[_id(f"{service.name}.{action}.{name}")] = _drop_none(
                    {
                        "action": action,
                        "channel": {"$ref": f"#/channels/{cid}"},
                        "messages": [
                            {"$ref": f"#/channels/{cid}/messages/{m}"} for m in channel_messages[cid]
                        ],
                        "x-govern-service": service.name,
                        "x-govern-reader-schema": _plain(reader.expanded) if reader else None,
                    }
                )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": title or f"{Path(catalog.root).resolve().name} events",
            "version": "1.0.0",
            "description": "Topics, event schemas and services (`govern catalog --format asyncapi`).",
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
        "x-govern-services": {s.name: {"description": s.description} for s in catalog.services},
    }


def _message(topic: Topic, event: SchemaRef) -> dict[str, Any]:
    strategy = topic.subject_strategy
    key: dict[str, Any] = {"type": "string", "description": topic.key}
    if topic.key_schema is not None:
        key = {**_json_schema_of(topic.key_schema.expanded), "description": topic.key}
    return _drop_none(
        {
            "name": event.name,
            "title": event.name.rsplit(".", 1)[-1],
            "contentType": "application/vnd.apache.avro",
            "payload": {"schemaFormat": AVRO_FORMAT, "schema": _plain(event.expanded)},
            "bindings": {
                "kafka": {
                    "key": key,
                    "schemaIdLocation": "payload",
                    "schemaIdPayloadEncoding": "confluent",
                    "schemaLookupStrategy": LOOKUP[strategy],
                    "bindingVersion": KAFKA_BINDING,
                }
            },
            "x-govern-key-schema": _plain(topic.key_schema.expanded) if topic.key_schema else None,
        }
    )


def _json_schema_of(avro: Any) -> dict[str, Any]:
    """A JSON Schema shape for an Avro key, for tools that read bindings (govern reads the Avro)."""
    name = avro.get("type") if isinstance(avro, dict) else avro
    if isinstance(name, str) and name in _JSON_TYPES:
        return {"type": _JSON_TYPES[name]}
    return {"type": "object"}


def _plain(value: Any) -> Any:
    """A JSON copy (Mapping proxies and tuples made plain)."""
    return json.loads(json.dumps(value))


def _drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


def _id(text: str) -> str:
    return _ID.sub("_", text)


# ---------------------------------------------------------------- import


def load_documents(paths: Iterable[Path]) -> list[tuple[str, dict[str, Any]]]:
    """(display name, document) of each AsyncAPI file (YAML or JSON); bad files exit 2."""
    import yaml

    out = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise InputError(f"cannot read {path}: {error.strerror}", hint="check the path") from None
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            raise InputError(f"{where}: not valid YAML or JSON", hint="fix the document's syntax") from None
        version = str(doc.get("asyncapi", "")) if isinstance(doc, dict) else ""
        if not re.match(r"^[23]\.\d+\.\d+$", version):
            raise InputError(
                f"{path}: not an AsyncAPI 2.x or 3.x document (asyncapi: {version or 'missing'})",
                hint="govern reads AsyncAPI 3.0 and 2.x (2.6 is what most tools write)",
            )
        out.append((str(path), doc))
    return out


def plan_from_asyncapi(
    documents: Sequence[tuple[str, dict[str, Any]]],
    *,
    schemas_dir: str = "schemas",
    contracts_dir: str = "contracts",
) -> ImportPlan:
    """The catalog files that `documents` describe."""
    notes: list[str] = []
    schemas = SchemaFiles()
    topics: dict[str, TopicEntry] = {}
    services: dict[str, ServiceEntry] = {}
    readers = [_V3(d, doc) if str(doc["asyncapi"]).startswith("3.") else _V2(d, doc) for d, doc in documents]
    for reader in readers:  # every document's topics first: another document's operations use them
        for channel in reader.channels(notes):
            _add_topic(channel, topics, schemas, schemas_dir, notes)
    for reader in readers:
        display = reader.display
        for service_name, action, address, reader_schema in reader.operations(notes):
            service = services.setdefault(service_name, ServiceEntry(service_name))
            service.description = service.description or reader.description(service_name)
            names = service.produces if action == "send" else service.consumes
            if address in topics and address not in names:
                names.append(address)
            if reader_schema is not None and action == "receive":
                path = f"{contracts_dir}/readers/{service_name}/{address}.avsc"
                service.reader_schemas[address] = schemas.add(
                    path, reader_schema, f"{display} ({service_name})"
                )
    produced = {t for s in services.values() for t in s.produces}
    orphans = [name for name in topics if name not in produced]
    if orphans:
        services[PLACEHOLDER_SERVICE] = ServiceEntry(
            PLACEHOLDER_SERVICE,
            "Producers not described by the AsyncAPI documents.",
            produces=orphans,
            header=("Written by `govern import`: no document says who sends these topics.",),
        )
        notes.extend(
            f"topic {name!r}: no operation sends it; listed under {PLACEHOLDER_SERVICE}" for name in orphans
        )
    contracts = render(
        list(topics.values()),
        [services[name] for name in sorted(services)],
        header=(f"Written by `govern import` from {', '.join(d for d, _ in documents)}.",),
        contracts_dir=contracts_dir,
    )
    return ImportPlan({**schemas.files, **contracts}, list(topics), notes)


def _add_topic(
    channel: dict[str, Any],
    topics: dict[str, TopicEntry],
    schemas: SchemaFiles,
    schemas_dir: str,
    notes: list[str],
) -> None:
    address = channel["address"]
    events = []
    for origin, schema in channel["payloads"]:
        events.append(_schema_place(schema, schemas, schemas_dir, origin))
    if not events:
        notes.append(f"channel {address!r} has no Avro message: not declared")
        return
    strategy = channel.get("strategy") or ("topic", "topic")
    named = [e for e in events if primitive_name(e) is None]
    if len(events) == 1:
        value: Any = events[0]
    else:
        value = sorted(_type_name(schema) for _, schema in channel["payloads"])
        if len(named) != len(events):
            raise InputError(f"{channel['origin']}: channel {address!r} mixes primitive and named payloads")
    key_schema = None
    if channel.get("key_schema") is not None:
        key_schema = _schema_place(channel["key_schema"], schemas, schemas_dir, channel["origin"])
    entry = TopicEntry(
        address,
        value,
        key=channel.get("key") or UNKNOWN_KEY,
        key_schema=key_schema,
        subject_strategy=strategy,
        compatibility=channel.get("compatibility"),
        partitions=channel.get("partitions"),
        cleanup_policy=channel.get("cleanup_policy"),
        internal=bool(channel.get("internal")),
        description=channel.get("description") or "",
    )
    if address in topics and topics[address] != entry:
        notes.append(f"channel {address!r} is described differently in {channel['origin']}; kept the first")
        return
    topics[address] = entry


def _schema_place(schema: Any, schemas: SchemaFiles, schemas_dir: str, origin: str) -> str:
    """How contracts name `schema`: a primitive's name, else the file it is written to."""
    return primitive_name(schema) or schemas.add(f"{schemas_dir}/{_type_name(schema)}.avsc", schema, origin)


def _type_name(schema: Any) -> str:
    """The full name of a named schema; an unnamed one is named by its type."""
    named = full_name(schema)
    if named is not None:
        return named
    if isinstance(schema, str):
        return schema
    return str(schema.get("type", "schema")) if isinstance(schema, dict) else "union"


def _is_avro(schema_format: str | None) -> bool:
    return bool(schema_format) and str(schema_format).startswith("application/vnd.apache.avro")


class _Document:
    """What both AsyncAPI versions share: local $refs and the service naming."""

    def __init__(self, display: str, doc: dict[str, Any]) -> None:
        self.display = display
        self.doc = doc
        title = str((doc.get("info") or {}).get("title") or Path(display).stem)
        self.application = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "service"

    def deref(self, node: Any, depth: int = 0) -> Any:
        """`node` with a local `$ref` followed (bounded: a cycle of references is an error)."""
        while isinstance(node, dict) and "$ref" in node:
            ref = str(node["$ref"])
            if not ref.startswith("#/") or depth > 32:
                raise InputError(
                    f"{self.display}: cannot follow $ref {ref!r}",
                    hint="govern follows references inside the document (#/...): bundle the document first",
                )
            node = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise InputError(
                        f"{self.display}: $ref {ref!r} points at nothing", hint="fix the reference"
                    )
                node = node[part]
            depth += 1
        return node

    def description(self, service: str) -> str:
        described = (self.doc.get("x-govern-services") or {}).get(service) or {}
        if described.get("description"):
            return str(described["description"])
        if service == self.application:
            return str((self.doc.get("info") or {}).get("description") or "")
        return ""

    def _channel(
        self, origin: str, address: str, channel: dict[str, Any], messages: list[Any], notes: list[str]
    ):  # noqa: ANN202
        payloads = []
        key_schema = None
        lookup = None
        for raw in messages:
            message = self.deref(raw)
            schema_format, schema = self._payload(message)
            if not _is_avro(schema_format):
                notes.append(f"{origin}: a message of {address!r} is not Avro ({schema_format}): skipped")
                continue
            payloads.append((origin, self.deref(schema)))
            binding = (self.deref(message.get("bindings") or {}).get("kafka")) or {}
            lookup = lookup or binding.get("schemaLookupStrategy")
            if message.get("x-govern-key-schema") is not None:
                key_schema = message["x-govern-key-schema"]
        kafka = (self.deref(channel.get("bindings") or {}).get("kafka")) or {}
        policy = (kafka.get("topicConfiguration") or {}).get("cleanup.policy")
        strategy = channel.get("x-govern-subject-strategy")
        if strategy:
            pair = (strategy.get("value", "topic"), strategy.get("key", "topic"))
        else:
            by_lookup = {v: k for k, v in LOOKUP.items()}.get(str(lookup), "topic")
            pair = (by_lookup, "topic")
        return {
            "origin": origin,
            "address": address,
            "payloads": payloads,
            "key_schema": key_schema,
            "key": channel.get("x-govern-key"),
            "compatibility": channel.get("x-govern-compatibility"),
            "strategy": pair,
            "partitions": kafka.get("partitions"),
            "cleanup_policy": ",".join(sorted(policy)) if isinstance(policy, list) and policy else None,
            "internal": channel.get("x-govern-internal"),
            "description": channel.get("description"),
        }


class _V3(_Document):
    """AsyncAPI 3.x: channels with addresses, operations with actions."""

    def _payload(self, message: dict[str, Any]) -> tuple[str | None, Any]:
        payload = self.deref(message.get("payload"))
        if isinstance(payload, dict) and "schemaFormat" in payload:
            return payload["schemaFormat"], payload.get("schema")
        return None, payload  # an AsyncAPI (JSON) Schema: not Avro

    def channels(self, notes: list[str]) -> list[dict[str, Any]]:
        out = []
        for cid, raw in (self.doc.get("channels") or {}).items():
            channel = self.deref(raw)
            address = channel.get("address")
            if not address or "{" in str(address):
                notes.append(f"{self.display}: channel {cid!r} has no fixed address: skipped")
                continue
            messages = list((channel.get("messages") or {}).values())
            out.append(self._channel(f"{self.display} channel {cid}", str(address), channel, messages, notes))
        return out

    def operations(self, notes: list[str]) -> list[tuple[str, str, str, Any]]:
        out = []
        for oid, raw in (self.doc.get("operations") or {}).items():
            operation = self.deref(raw)
            action = operation.get("action")
            channel = self.deref(operation.get("channel") or {})
            address = channel.get("address") if isinstance(channel, dict) else None
            if action not in ("send", "receive") or not address:
                notes.append(f"{self.display}: operation {oid!r} has no action or channel address: skipped")
                continue
            service = str(operation.get("x-govern-service") or self.application)
            out.append((service, action, str(address), operation.get("x-govern-reader-schema")))
        return out


class _V2(_Document):
    """AsyncAPI 2.x: channels keyed by address; `subscribe` is what the application sends."""

    def _payload(self, message: dict[str, Any]) -> tuple[str | None, Any]:
        return message.get("schemaFormat"), message.get("payload")

    def _messages(self, operation: dict[str, Any] | None) -> list[Any]:
        if not operation:
            return []
        message = self.deref(operation.get("message") or {})
        return list(message["oneOf"]) if isinstance(message, dict) and "oneOf" in message else [message]

    def channels(self, notes: list[str]) -> list[dict[str, Any]]:
        out = []
        for address, raw in (self.doc.get("channels") or {}).items():
            channel = self.deref(raw)
            if "{" in str(address):
                notes.append(f"{self.display}: channel {address!r} has parameters: skipped")
                continue
            messages = self._messages(channel.get("subscribe")) + self._messages(channel.get("publish"))
            out.append(
                self._channel(f"{self.display} channel {address}", str(address), channel, messages, notes)
            )
        return out

    def operations(self, notes: list[str]) -> list[tuple[str, str, str, Any]]:
        out = []
        for address, raw in (self.doc.get("channels") or {}).items():
            channel = self.deref(raw)
            for verb, action in (("subscribe", "send"), ("publish", "receive")):
                operation = channel.get(verb)
                if operation:
                    service = str(operation.get("x-govern-service") or self.application)
                    out.append((service, action, str(address), operation.get("x-govern-reader-schema")))
        return out
