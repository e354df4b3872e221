"""A constraint source from message pacts: a consumer's pact against a producer's writer schema.

Consumers' tests write Pact V4 asynchronous-message files under contracts/pacts/ (see
tests/exchange/test_pact_consumers.py): each interaction's body is the JSON form of the decoded
record the consumer relies on, and its metadata names the topic. The pact names consumer and
provider, which are service names of the catalog.

A pact link holds at a combination of sides when every field the consumer's pact (of that side)
names exists in the provider's writer schema (of that side) for that topic. So a new consumer
whose pact expects a field only the new producer writes fails on (new consumer, old producer):
the producer must go first. A default the consumer's reader schema would fill in does not count:
the pact says the consumer needs the producer's value, not a placeholder.

Only field presence is checked here; value shapes (types, formats) are the provider
verification's job, against real produced records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.errors import InputError
from govern.plan.constraints import Link, Violation
from govern.plan.model import Change, Issue, Side
from govern.plan.pairs import PairChecker

PACT_DIR = Path("contracts") / "pacts"
"""Where pacts live, relative to the project root."""

RULE = "PACT_FIELD_MISSING"


@dataclass(frozen=True)
class Expectation:
    """One message interaction: the topic it comes from and the JSON pointers of the fields it names."""

    description: str
    topic: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class MessagePact:
    """A consumer's expectations of one provider's messages, read from a pact file."""

    consumer: str
    provider: str
    file: str  #: e.g. contracts/pacts/ui-wallet.json (or HEAD:contracts/pacts/ui-wallet.json)
    expectations: tuple[Expectation, ...]


def load_pacts(root: Path, label: str = "") -> tuple[MessagePact, ...]:
    """Every message pact under `root`/contracts/pacts (none when the directory is absent).

    `label` prefixes the file names shown to people (a git ref for the base). InputError for a
    file that is not a readable pact.
    """
    directory = root / PACT_DIR
    if not directory.is_dir():
        return ()
    pacts = []
    for path in sorted(directory.glob("*.json")):
        shown = f"{label}:{PACT_DIR / path.name}" if label else str(PACT_DIR / path.name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            consumer, provider = data["consumer"]["name"], data["provider"]["name"]
            interactions = data.get("interactions") or data.get("messages") or []
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(
                f"{shown}: not a pact file ({error})", hint="regenerate it with the consumer's tests"
            ) from None
        expectations = [
            Expectation(
                str(i.get("description", "")),
                str((i.get("metadata") or {}).get("topic", "")),
                tuple(sorted(set(_pointers(_content(i))))),
            )
            for i in interactions
            if isinstance(i, dict) and (i.get("type", "Asynchronous/Messages") == "Asynchronous/Messages")
        ]
        pacts.append(MessagePact(consumer, provider, shown, tuple(e for e in expectations if e.topic)))
    return tuple(pacts)


def _content(interaction: Mapping[str, Any]) -> Any:
    contents = interaction.get("contents")
    if isinstance(contents, dict) and "content" in contents:
        body = contents["content"]
    else:  # V3 message pacts keep the body under "contents" directly
        body = contents
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return None
    return body


def _pointers(body: Any, prefix: str = "") -> Iterator[str]:
    """JSON pointers of every object member the body names; array elements are `*`."""
    if isinstance(body, dict):
        for key, value in body.items():
            pointer = f"{prefix}/{key}"
            yield pointer
            yield from _pointers(value, pointer)
    elif isinstance(body, list):
        for item in body:
            yield from _pointers(item, f"{prefix}/*")


def missing_fields(schema: Any, pointers: Iterable[str]) -> list[str]:
    """The pointers that name no field of the Avro `schema` (records through unions and arrays)."""
    names: dict[str, Any] = {}
    _collect_names(schema, names, "")
    return [p for p in pointers if not _has(schema, p.strip("/").split("/"), names)]


def _collect_names(schema: Any, names: dict[str, Any], namespace: str) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect_names(branch, names, namespace)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "enum", "fixed", "error"):
            space = schema.get("namespace", namespace)
            name = schema["name"]
            full = name if "." in name else f"{space}.{name}" if space else name
            names[full] = schema
            names.setdefault(name, schema)
            namespace = full.rpartition(".")[0]
        for child in schema.get("fields") or []:
            _collect_names(child.get("type"), names, namespace)
        for key in ("items", "values"):
            if key in schema:
                _collect_names(schema[key], names, namespace)
        if isinstance(kind, dict | list):
            _collect_names(kind, names, namespace)


def _has(schema: Any, path: list[str], names: Mapping[str, Any]) -> bool:
    if not path or path == [""]:
        return True
    if isinstance(schema, str):
        schema = names.get(schema, schema)
    if isinstance(schema, list):
        return any(_has(branch, path, names) for branch in schema if branch != "null")
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if isinstance(kind, dict | list) or (isinstance(kind, str) and kind in names):
        return _has(kind, path, names)
    head, rest = path[0], path[1:]
    if kind == "array":
        return head == "*" and _has(schema["items"], rest, names)
    if kind == "map":
        return _has(schema["values"], rest, names)
    if kind in ("record", "error"):
        for field in schema.get("fields", []):
            if field["name"] == head:
                return _has(field["type"], rest, names)
    return False


class MessagePacts:
    """Links from message pacts (see the module doc); the pacts of each side come with the change."""

    name = "pact"

    def _pacts(self, change: Change, side: Side) -> tuple[MessagePact, ...]:
        return tuple(change.pacts.get(side, ()))

    def links(self, change: Change) -> Iterable[Link]:
        seen: set[tuple[str, str, str]] = set()
        for side in ("old", "new"):
            for pact in self._pacts(change, side):
                for expectation in pact.expectations:
                    key = (expectation.topic, pact.consumer, pact.provider)
                    if key not in seen:
                        seen.add(key)
                        yield Link(
                            expectation.topic, pact.consumer, pact.provider, retained=False, source=self
                        )

    def check(
        self, change: Change, checker: PairChecker, link: Link, reader_side: Side, writer_side: Side
    ) -> Violation | None:
        writer = change.view(link.writer, writer_side).writes.get(link.topic)
        if writer is None:
            return None  # the provider does not write the topic on that side: not this source's question
        value = json.loads(writer.value) if isinstance(writer.value, str) else writer.value
        issues: list[Issue] = []
        pact_file = ""
        for pact in self._pacts(change, reader_side):
            if (pact.consumer, pact.provider) != (link.reader, link.writer):
                continue
            for expectation in pact.expectations:
                if expectation.topic != link.topic:
                    continue
                pact_file = pact.file
                for pointer in missing_fields(value, expectation.fields):
                    issues.append(
                        Issue(
                            RULE,
                            pointer,
                            f"{link.reader}'s pact ({expectation.description!r}) expects {pointer} in "
                            f"{link.topic} records, which {writer.label} does not write",
                            hint=f"deploy {link.writer} with the field before {link.reader} relies on it",
                        )
                    )
        if not issues:
            return None
        return Violation(
            link,
            reader_side,
            writer_side,
            f"pact {link.reader}-{link.writer}@{'new' if reader_side == 'new' else 'old'}",
            writer.label,
            tuple(issues),
            reader_changed=change.is_changed(link.reader),
            writer_changed=change.is_changed(link.writer),
            reader_file=pact_file,
            writer_file=writer.file,
        )
