"""Lint: changes Avro resolves (so every level passes) that still put readers or generated code at risk.

One walk over the old and the new schema side by side, pairing record fields by name (or the new
field's aliases), union branches by type and name, and array items and map values. Each finding
is a ``LINT`` rule of ``govern.report.rules``: a warning, placed on the new schema. Pure: no I/O.
"""

from __future__ import annotations

import json
from typing import Any

from govern.avro import AvroSchema
from govern.avro.model import Node
from govern.compat.findings import place_of
from govern.compat.rules import PROMOTIONS
from govern.report.model import Finding, Side


def _shown(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


class _Linter:
    """The paired walk; `tokens` is the location of the current pair (as compat's locations)."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()
        self.tokens: list[str] = []
        self.found: list[Finding] = []

    def add(
        self, rule: str, old: Node, new: Node, message: str, reason: str, hint: str, suffix: str = ""
    ) -> None:
        location = "/" + "/".join(self.tokens)
        new_pointer, old_pointer = new.pointer + suffix, old.pointer + suffix
        self.found.append(
            Finding(
                rule=rule,
                location=location,
                message=message,
                reason=reason,
                hint=hint,
                place=place_of(new.origin, new_pointer),
                other=place_of(old.origin, old_pointer),
                reader=Side("new", new_pointer, place_of(new.origin, new_pointer)),
                writer=Side("old", old_pointer, place_of(old.origin, old_pointer)),
            )
        )

    def at(self, tokens: tuple[str, ...], old: Node, new: Node) -> None:
        self.tokens.extend(tokens)
        try:
            self.pair(old, new)
        finally:
            del self.tokens[len(self.tokens) - len(tokens) :]

    def pair(self, old: Node, new: Node) -> None:
        key = (id(old), id(new))
        if key in self.seen:  # recursive types, and types shared by many fields, once
            return
        self.seen.add(key)
        if old.type != new.type:
            self.changed_type(old, new)
            return
        self.logical(old, new)
        if new.fullname is not None:
            self.name(old, new)
        if new.type == "record":
            self.fields(old, new)
        elif new.type == "enum":
            self.enum(old, new)
        elif new.type == "array":
            self.at(("items",), old.items, new.items)  # type: ignore[arg-type]
        elif new.type == "map":
            self.at(("values",), old.values, new.values)  # type: ignore[arg-type]
        elif new.type == "union":
            for index, branch in enumerate(new.branches):
                match = _counterpart(branch, old.branches)
                if match is not None:
                    self.at((str(index),), match, branch)

    def changed_type(self, old: Node, new: Node) -> None:
        if new.type == "union":  # a type made nullable (or widened into a union): follow its branch
            match = _counterpart(old, new.branches)
            if match is not None:
                self.at((str(new.branches.index(match)),), old, match)
        elif old.type == "union":
            match = _counterpart(new, old.branches)
            if match is not None:
                self.pair(match, new)
        elif old.type in PROMOTIONS.get(new.type, ()):
            self.add(
                "TYPE_PROMOTED",
                old,
                new,
                f"{old.type} -> {new.type}",
                f"{old.type} is promoted to {new.type} here: Avro reads old data with the new schema, but "
                f"readers and code generated from the old schema cannot take {new.type} values",
                f"keep {old.type} until every consumer reads {new.type}; or add a new field of type "
                f"{new.type} beside this one",
            )

    def logical(self, old: Node, new: Node) -> None:
        if old.logical_type != new.logical_type:
            before, after = old.logical_type or "none", new.logical_type or "none"
            self.add(
                "LOGICAL_TYPE_CHANGED",
                old,
                new,
                f"logicalType {before} -> {after}",
                f"the {new.type} here changes logical type from {before} to {after}: Avro ignores logical "
                "types, so the same bytes reach readers' code as a different kind of value",
                "keep the logical type as it was; to change it, add a new field with the new logical type",
            )
        elif new.logical_type == "decimal":
            for prop, rule in (
                ("scale", "DECIMAL_SCALE_CHANGED"),
                ("precision", "DECIMAL_PRECISION_CHANGED"),
            ):
                before, after = old.props.get(prop, 0 if prop == "scale" else None), new.props.get(prop)
                if prop == "scale" and after is None:
                    after = 0
                if before != after:
                    self.add(rule, old, new, f"{prop} {before} -> {after}", *_decimal(prop, before, after))

    def name(self, old: Node, new: Node) -> None:
        if old.fullname != new.fullname and old.fullname in new.aliases:
            self.add(
                "NAME_CHANGED_BEHIND_ALIAS",
                old,
                new,
                f"{old.fullname} -> {new.fullname}",
                f"the {new.type} `{old.fullname}` is renamed `{new.fullname}`; the alias keeps new readers "
                "working, but old readers of new data, generated classes and RecordNameStrategy subjects "
                "follow the name",
                f"keep the name `{old.fullname}` unless every consumer regenerates its code and reads the "
                "new name first",
                "/name",
            )

    def fields(self, old: Node, new: Node) -> None:
        for field in new.fields:
            match = old.field_map.get(field.name)
            if match is None:
                match = next((old.field_map[a] for a in field.aliases if a in old.field_map), None)
            if match is None:
                continue
            self.tokens.extend(("fields", str(field.pos)))
            try:
                same_type = match.type.type == field.type.type  # else the type change is the news
                if same_type and match.has_default and field.has_default and match.default != field.default:
                    self.found.append(_default_changed(self.tokens, match, field, old, new))
                self.at(("type",), match.type, field.type)
            finally:
                del self.tokens[-2:]

    def enum(self, old: Node, new: Node) -> None:
        added = [s for s in new.symbols if s not in old.symbol_set]
        if added and old.enum_default is None:
            listed = ", ".join(f"`{s}`" for s in added)
            self.add(
                "ENUM_SYMBOLS_ADDED_WITHOUT_DEFAULT",
                old,
                new,
                f"added {', '.join(added)}",
                f"enum `{new.fullname}` gains {listed} but the old enum has no default: readers still on the "
                "old schema fail on every record carrying a new symbol",
                "first give the enum a default and deploy that to every reader, then add the symbols",
                "/symbols",
            )


def _decimal(prop: str, before: Any, after: Any) -> tuple[str, str]:
    if prop == "scale":
        return (
            f"the decimal's scale changes from {before} to {after}: Avro does not rescale, so a reader with "
            "the other scale reads the same bytes as another amount",
            f"keep scale {before}; for another scale add a new field and migrate its values",
        )
    return (
        f"the decimal's precision changes from {before} to {after}: code generated for {before} digits "
        "may reject or overflow the new values",
        f"keep precision {before}, or check that every reader accepts {after} digits before writing them",
    )


def _default_changed(tokens: list[str], old_field: Any, new_field: Any, old: Node, new: Node) -> Finding:
    pointer_new, pointer_old = new_field.pointer + "/default", old_field.pointer + "/default"
    before, after = _shown(old_field.default), _shown(new_field.default)
    return Finding(
        rule="FIELD_DEFAULT_CHANGED",
        location="/" + "/".join(tokens),
        message=f"default {before} -> {after}",
        reason=f"field `{new_field.name}` changes its default from {before} to {after}: readers fill in "
        "their own default for records without the field, so old and new readers disagree on them",
        hint=f"keep the default {before}, unless readers may disagree until all of them are deployed",
        place=place_of(new.origin, pointer_new),
        other=place_of(old.origin, pointer_old),
        reader=Side("new", pointer_new, place_of(new.origin, pointer_new)),
        writer=Side("old", pointer_old, place_of(old.origin, pointer_old)),
    )


def _counterpart(node: Node, branches: list[Node]) -> Node | None:
    """The branch of `branches` that stands for `node`: same type and (for named types) name or alias."""
    same = [b for b in branches if b.type == node.type]
    if node.fullname is not None:
        named = [b for b in same if b.fullname == node.fullname or node.fullname in b.aliases]
        return named[0] if named else (same[0] if len(same) == 1 else None)
    return same[0] if same else None


def lint(old: AvroSchema, new: AvroSchema) -> list[Finding]:
    """The LINT findings of changing `old` into `new` (compatible or not), in walk order."""
    linter = _Linter()
    linter.pair(old.root, new.root)
    return linter.found
