"""Seeded generators of valid Avro schemas and of evolutions of them, shared by tests and benchmarks.

Everything draws from one ``random.Random``-like object, so the same code serves the plain seeded
generator (``bench/compat.py``, the differential test) and hypothesis (``st.randoms()`` feeds it,
``schemas()``/``evolutions()`` below wrap that), without a second copy of the generation rules.

Schemas are always *valid* (Avro Java 1.12 strict parsing): names are legal and unique, unions
hold no duplicates and no nested unions, defaults are valid for their type (union defaults for
the first branch, valid under both Avro 1.11 and 1.12). Named types are referenced by full name.
Evolutions are functions of a JSON document returning a new document and an ``Evolution``
describing the change and what Avro's rules say about it (``backward``/``forward`` when known).
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

PRIMITIVES = ("boolean", "int", "long", "float", "double", "bytes", "string")
NAMESPACES = ("com.acme", "com.acme.events", "org.example.v2", "payments")
LOGICAL = (
    {"type": "long", "logicalType": "timestamp-millis"},
    {"type": "long", "logicalType": "timestamp-micros"},
    {"type": "int", "logicalType": "date"},
    {"type": "int", "logicalType": "time-millis"},
    {"type": "long", "logicalType": "time-micros"},
    {"type": "string", "logicalType": "uuid"},
    {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2},
    {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 4},
)
PROMOTIONS = {"int": ("long", "float", "double"), "long": ("float", "double"), "float": ("double",),
              "string": ("bytes",), "bytes": ("string",)}  # fmt: skip
WORDS = ("id", "amount", "currency", "account", "created", "status", "note", "rate", "owner", "tags",
         "region", "score", "kind", "count", "active", "payload", "ref", "meta", "limit", "guid")  # fmt: skip


class Rng(Protocol):
    """The part of ``random.Random`` the generators use (hypothesis' ``st.randoms()`` has it too)."""

    def random(self) -> float: ...
    def randint(self, a: int, b: int) -> int: ...
    def choice(self, seq: Any) -> Any: ...
    def sample(self, population: Any, k: int) -> list[Any]: ...
    def shuffle(self, x: list[Any]) -> None: ...


@dataclass
class Profile:
    """Shape knobs: how big and how varied the generated schemas are."""

    min_fields: int = 1
    max_fields: int = 6
    max_depth: int = 3
    nested_fields: tuple[int, int] = (1, 4)  # fields of nested records
    p_nested: float = 0.25  # chance a field type is complex (record, enum, array, ...)
    p_default: float = 0.4
    namespaces: bool = True
    recursion: bool = True
    logical: bool = True
    extras: bool = True  # doc, custom props, order, aliases on fields
    empty_namespace: bool = False  # explicit "namespace": "" (Python avro treats it differently)
    error_type: bool = False  # "type": "error" records (Python avro cannot check them)


QUICK = Profile()
REALISTIC = Profile(min_fields=20, max_fields=200, max_depth=3, nested_fields=(3, 12), p_nested=0.15)


class SchemaGen:
    """Generates one schema document (a root record) with unique names, drawing from ``rng``."""

    def __init__(self, rng: Rng, profile: Profile = QUICK, prefix: str = "") -> None:
        self.rng = rng
        self.p = profile
        self.prefix = prefix
        self.counter = 0
        self.named: list[dict[str, Any]] = []  # definitions, to refer to them later by full name
        self.open: list[str] = []  # full names of records being defined (recursion targets)

    # -- names ------------------------------------------------------------------------------------
    def new_name(self, kind: str) -> str:
        self.counter += 1
        return f"{self.prefix}{kind}{self.counter}"

    def name_props(self, kind: str, space: str | None) -> tuple[dict[str, Any], str]:
        """``name`` (+ ``namespace``) of a new named type and its full name."""
        name = self.new_name(kind)
        props: dict[str, Any] = {"name": name}
        roll = self.rng.random() if self.p.namespaces else 1.0
        if roll < 0.2:
            props["namespace"] = ns = self.rng.choice(NAMESPACES)
            return props, f"{ns}.{name}"
        if roll < 0.25 and self.p.empty_namespace and space:
            props["namespace"] = ""
            return props, name
        return props, f"{space}.{name}" if space else name

    # -- types ------------------------------------------------------------------------------------
    def record(
        self, depth: int = 0, space: str | None = None, fields: tuple[int, int] | None = None
    ) -> dict[str, Any]:
        """A record with unique field names; nested types up to ``max_depth``."""
        props, full = self.name_props("R", space)
        kind = "error" if self.p.error_type and depth > 0 and self.rng.random() < 0.2 else "record"
        doc: dict[str, Any] = {"type": kind, **props}
        if depth == 0 and self.p.namespaces and "namespace" not in doc and self.rng.random() < 0.7:
            doc["namespace"] = self.rng.choice(NAMESPACES)
            full = f"{doc['namespace']}.{doc['name']}"
        own_space = full.rpartition(".")[0] or None
        if self.p.extras and self.rng.random() < 0.3:
            doc["doc"] = "generated record"
        lo, hi = fields or ((self.p.min_fields, self.p.max_fields) if depth == 0 else self.p.nested_fields)
        count = self.rng.randint(lo, hi)
        self.open.append(full)
        doc["fields"] = [self.field(i, depth, own_space) for i in range(count)]
        self.open.pop()
        self.named.append(doc)
        doc["__full"] = full  # stripped by ``clean``; lets evolutions find full names cheaply
        return doc

    def field(self, index: int, depth: int, space: str | None) -> dict[str, Any]:
        name = f"{self.rng.choice(WORDS)}_{index}"
        ftype = self.type(depth + 1, space)
        out: dict[str, Any] = {"name": name, "type": ftype}
        if self.rng.random() < self.p.p_default:
            out["default"] = self.default(ftype)
        if self.p.extras:
            roll = self.rng.random()
            if roll < 0.1:
                out["doc"] = f"the {name}"
            elif roll < 0.13:
                out["order"] = self.rng.choice(["descending", "ignore"])
            elif roll < 0.16:
                out["x-owner"] = "team-a"
        return out

    def type(self, depth: int, space: str | None, *, in_union: bool = False) -> Any:
        rng = self.rng
        if depth >= self.p.max_depth or rng.random() >= self.p.p_nested:
            if self.p.logical and rng.random() < 0.12:
                return dict(rng.choice(LOGICAL))
            return rng.choice(PRIMITIVES)
        roll = rng.random()
        if roll < 0.2:
            return self.record(depth, space)
        if roll < 0.35:
            return self.enum(space)
        if roll < 0.42:
            return self.fixed(space)
        if roll < 0.55:
            return {"type": "array", "items": self.type(depth + 1, space)}
        if roll < 0.65:
            return {"type": "map", "values": self.type(depth + 1, space)}
        if roll < 0.72 and self.named:
            return self.named_ref()
        if roll < 0.76 and self.p.recursion and self.open and not in_union:
            return ["null", self.open[-1]]  # recursion through a named reference (default null)
        if in_union:
            return rng.choice(PRIMITIVES)
        return self.union(depth, space)

    def named_ref(self) -> str:
        """A reference by full name to a type defined earlier in this document."""
        return str(self.rng.choice(self.named)["__full"])

    def enum(self, space: str | None) -> dict[str, Any]:
        props, full = self.name_props("E", space)
        symbols = self.rng.sample(list(string.ascii_uppercase), self.rng.randint(1, 6))
        doc: dict[str, Any] = {"type": "enum", **props, "symbols": symbols}
        if self.rng.random() < 0.3:
            doc["default"] = self.rng.choice(symbols)
        self.named.append(doc)
        doc["__full"] = full
        return doc

    def fixed(self, space: str | None) -> dict[str, Any]:
        props, full = self.name_props("F", space)
        size = self.rng.randint(4, 16)
        doc: dict[str, Any] = {"type": "fixed", **props, "size": size}
        if self.p.logical and self.rng.random() < 0.25:
            doc.update(logicalType="decimal", precision=self.rng.randint(1, 9), scale=0)
        self.named.append(doc)
        doc["__full"] = full
        return doc

    def union(self, depth: int, space: str | None) -> list[Any]:
        """2-4 distinct branches, often ``null`` first (the optional-field idiom)."""
        branches: list[Any] = ["null"] if self.rng.random() < 0.6 else []
        keys = {"null"} if branches else set()
        for _ in range(self.rng.randint(1, 3)):
            branch = self.type(depth + 1, space, in_union=True)
            key = branch_key(branch)
            if key not in keys:
                keys.add(key)
                branches.append(branch)
        if len(branches) < 2:
            branches.append(
                "boolean" if "boolean" not in keys else "double" if "double" not in keys else "null"
            )
        return branches

    # -- defaults ---------------------------------------------------------------------------------
    def default(self, t: Any, depth: int = 0) -> Any:
        """A value valid for type ``t`` (unions: for the first branch)."""
        rng = self.rng
        if isinstance(t, list):
            return self.default(t[0], depth)
        if isinstance(t, str):
            if t in PRIMITIVES or t == "null":
                return primitive_default(t, rng)
            return self.default(self.definition(t), depth)
        kind = t["type"]
        if kind in PRIMITIVES or kind == "null":
            return primitive_default(kind, rng)
        if kind == "enum":
            return rng.choice(t["symbols"])
        if kind == "fixed":
            return "x" * t["size"]
        if kind == "array":
            return [] if depth > 1 or rng.random() < 0.5 else [self.default(t["items"], depth + 1)]
        if kind == "map":
            return {} if depth > 1 or rng.random() < 0.5 else {"k": self.default(t["values"], depth + 1)}
        return {f["name"]: self.default(f["type"], depth + 1) for f in t["fields"]}

    def definition(self, full: str) -> dict[str, Any]:
        for doc in self.named:
            if doc["__full"] == full:
                return doc
        raise KeyError(full)


def branch_key(branch: Any) -> str:
    """What makes a union branch a duplicate: its type, or its full name for named types."""
    if isinstance(branch, str):
        return branch
    if isinstance(branch, list):
        return "union"
    return str(branch.get("__full") or branch["type"])


def primitive_default(kind: str, rng: Rng) -> Any:
    if kind == "null":
        return None
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("int", "long"):
        return rng.randint(-1000, 1000)
    if kind in ("float", "double"):
        return rng.choice([0.0, 1.5, -2.25, 10])
    return rng.choice(["", "n/a", "EUR", "abc"])


def clean(doc: Any) -> Any:
    """The JSON document without the generator's private ``__full`` bookkeeping."""
    if isinstance(doc, dict):
        return {k: clean(v) for k, v in doc.items() if k != "__full"}
    if isinstance(doc, list):
        return [clean(v) for v in doc]
    return doc


def gen_schema(rng: Rng, profile: Profile = QUICK, *, ensure: tuple[str, ...] = ()) -> dict[str, Any]:
    """One schema document (root record, with ``__full`` bookkeeping: pass it to ``clean``).

    ``ensure``: kinds ("enum", "fixed") the document must define; a root field is added if needed.
    """
    gen = SchemaGen(rng, profile)
    doc = gen.record()
    space = str(doc["__full"]).rpartition(".")[0] or None
    for kind in ensure:
        if not any(s.node.get("type") == kind for s in walk(doc)):
            ftype = gen.enum(space) if kind == "enum" else gen.fixed(space)
            doc["fields"].append({"name": f"ensured_{kind}", "type": ftype})
    return doc


def is_valid_default(t: Any, value: Any, defs: dict[str, dict[str, Any]]) -> bool:
    """Avro Java 1.12 ``isValidDefault`` (a union takes any branch), written apart from govern."""
    if isinstance(t, list):
        return any(is_valid_default(b, value, defs) for b in t)
    if isinstance(t, str):
        t = defs.get(t, {"type": t})
    kind = t["type"]
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks: dict[str, Callable[[], bool]] = {
        "null": lambda: value is None,
        "boolean": lambda: isinstance(value, bool),
        "int": lambda: isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31,
        "long": lambda: isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63,
        "float": lambda: number,
        "double": lambda: number,
        "bytes": lambda: isinstance(value, str),
        "string": lambda: isinstance(value, str),
        "enum": lambda: isinstance(value, str),  # Java checks only the JSON kind
        "fixed": lambda: isinstance(value, str),
        "array": lambda: (
            isinstance(value, list) and all(is_valid_default(t["items"], v, defs) for v in value)
        ),
        "map": lambda: (
            isinstance(value, dict) and all(is_valid_default(t["values"], v, defs) for v in value.values())
        ),
    }
    if kind in checks:
        return checks[kind]()
    if not isinstance(value, dict):
        return False
    return all(
        is_valid_default(f["type"], value[f["name"]], defs) if f["name"] in value else "default" in f
        for f in t["fields"]
    )


def repair_defaults(doc: dict[str, Any], rng: Rng) -> dict[str, Any]:
    """Replace field defaults a change made invalid (e.g. a record default after a field was added).

    Only the value changes, never whether a field has a default (which is what compatibility sees).
    """
    defs = {str(s.node["__full"]): s.node for s in walk(doc) if "__full" in s.node}
    gen = SchemaGen(rng, QUICK)
    gen.named = list(defs.values())
    for site in _records(doc):
        for f in site.node["fields"]:
            if "default" in f and not is_valid_default(f["type"], f["default"], defs):
                f["default"] = gen.default(f["type"])
    return doc


# -- evolutions -------------------------------------------------------------------------------------


@dataclass
class Evolution:
    """One change from an old document to a new one, and what Avro's rules say about it.

    ``backward`` (new reads old) / ``forward`` (old reads new) are the expected verdicts when the
    change alone decides them (None: depends on context). ``rules`` are the incompatibility types
    the failing direction may report; ``root`` tells a change made to the root record's own fields.
    """

    kind: str
    backward: bool | None = None
    forward: bool | None = None
    rules: frozenset[str] = frozenset()
    root: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Site:
    """A place in a document: a record definition, a field, a named type, ``under_union`` if inside one."""

    node: dict[str, Any]
    under_union: bool
    parent_field: dict[str, Any] | None = None
    depth: int = 0


def walk(
    doc: Any, under_union: bool = False, parent: dict[str, Any] | None = None, depth: int = 0
) -> Iterator[Site]:
    """Every schema object (dict) of the document, in document order, with its context."""
    if isinstance(doc, list):
        for branch in doc:
            yield from walk(branch, True, parent, depth)
        return
    if not isinstance(doc, dict):
        return
    yield Site(doc, under_union, parent, depth)
    kind = doc.get("type")
    if kind in ("record", "error"):
        for f in doc["fields"]:
            yield from walk(f["type"], under_union, f, depth + 1)
    elif kind == "array":
        yield from walk(doc["items"], under_union, parent, depth)
    elif kind == "map":
        yield from walk(doc["values"], under_union, parent, depth)


def _records(doc: dict[str, Any]) -> list[Site]:
    return [s for s in walk(doc) if s.node.get("type") in ("record", "error")]


def _all_names(doc: Any) -> set[str]:
    return {str(s.node["__full"]) for s in walk(doc) if "__full" in s.node}


def _replace_refs(doc: Any, old: str, new: str) -> Any:
    """Rewrite by-name references ``old`` -> ``new`` (definitions keep their dicts)."""
    if isinstance(doc, str):
        return new if doc == old else doc
    if isinstance(doc, list):
        return [_replace_refs(v, old, new) for v in doc]
    if isinstance(doc, dict):
        out = dict(doc)
        for key in ("type", "items", "values"):
            if key in out and not (
                key == "type" and isinstance(out[key], str) and out[key] in ("record", "error")
            ):
                out[key] = _replace_refs(out[key], old, new)
        if "fields" in out:
            out["fields"] = [_replace_refs(f, old, new) for f in out["fields"]]
        return out
    return doc


Mutation = Callable[[dict[str, Any], Rng], "tuple[dict[str, Any], Evolution] | None"]


def add_field(
    doc: dict[str, Any], rng: Rng, *, with_default: bool = True, root: bool | None = None
) -> tuple[dict[str, Any], Evolution] | None:
    """Add a field (primitive or a new enum/record) to the root or a nested record."""
    new = copy.deepcopy(doc)
    recs = _records(new)
    target = recs[0] if root or (root is None and rng.random() < 0.5) else rng.choice(recs)
    existing = _all_names(new)
    tag = next(f"Add{i}x" for i in range(10_000) if not any(f"Add{i}x" in n for n in existing))
    gen = SchemaGen(rng, QUICK, prefix=tag)  # its named refs only reach types it defines itself
    space = str(target.node["__full"]).rpartition(".")[0] or None
    rec = target.node
    ftype = gen.type(2, space) if rng.random() < 0.5 else rng.choice(PRIMITIVES)
    names = {f["name"] for f in rec["fields"]}
    name = next(n for n in (f"added_{i}" for i in range(1000)) if n not in names)
    fld: dict[str, Any] = {"name": name, "type": ftype}
    if with_default:
        fld["default"] = gen.default(ftype)
    rec["fields"].insert(rng.randint(0, len(rec["fields"])), fld)
    is_root = target is recs[0]
    enum_quirk = _defaulted_enum(ftype, new)
    rules = frozenset({"READER_FIELD_MISSING_DEFAULT_VALUE", "TYPE_MISMATCH", "MISSING_UNION_BRANCH"})
    return new, Evolution(
        "add_field" if with_default else "add_field_no_default",
        backward=True if with_default else False,
        forward=True,
        rules=frozenset() if with_default else rules,
        root=is_root,
        detail={"field": name, "pos": rec["fields"].index(fld), "enum_quirk": enum_quirk},
    )


def remove_field(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Remove a field: always BACKWARD; FORWARD iff the field had a default."""
    new = copy.deepcopy(doc)
    recs = [s for s in _records(new) if len(s.node["fields"]) > 1]
    if not recs:
        return None
    site = recs[0] if recs[0].node is new and rng.random() < 0.5 else rng.choice(recs)
    fields = site.node["fields"]
    index = rng.randint(0, len(fields) - 1)
    victim = fields[index]
    del fields[index]
    if _still_referenced(victim, new):
        return None
    enum_quirk = _defaulted_enum(victim["type"], new)
    has_default = "default" in victim
    return new, Evolution(
        "remove_field",
        backward=True,
        forward=has_default,
        rules=frozenset({"READER_FIELD_MISSING_DEFAULT_VALUE", "TYPE_MISMATCH", "MISSING_UNION_BRANCH"}),
        root=site.node is new,
        detail={"field": victim["name"], "pos": index, "enum_quirk": enum_quirk},
    )


def _still_referenced(fld: dict[str, Any], doc: dict[str, Any]) -> bool:
    """Whether the removed ``fld`` defined a named type that ``doc`` still refers to by name."""
    defined = _all_names(fld["type"])
    if not defined:
        return False
    text = repr(clean(doc))
    return any(repr(name) in text for name in defined)


def promote(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Widen a plain primitive field: int->long->float->double (any step up), string<->bytes."""
    new = copy.deepcopy(doc)
    candidates = [
        (s, f)
        for s in _records(new)
        for f in s.node["fields"]
        if isinstance(f["type"], str) and f["type"] in PROMOTIONS
    ]
    if not candidates:
        return None
    site, fld = rng.choice(candidates)
    old_type = fld["type"]
    fld["type"] = new_type = rng.choice(PROMOTIONS[old_type])
    both = {old_type, new_type} == {"string", "bytes"}
    return new, Evolution(
        "promote",
        backward=True,
        forward=both,
        rules=frozenset({"TYPE_MISMATCH", "MISSING_UNION_BRANCH"}),
        root=site.node is new,
        detail={"from": old_type, "to": new_type, "field": fld["name"]},
    )


def _defaulted_enum(ftype: Any, doc: dict[str, Any]) -> bool:
    """Whether a field's type is an enum with a default, given inline or by its full name (Java's
    quirk, TYPE_MISMATCH instead of READER_FIELD_MISSING_DEFAULT_VALUE, applies to both)."""
    if isinstance(ftype, str):
        ftype = next((s.node for s in walk(doc) if s.node.get("__full") == ftype), None)
    return isinstance(ftype, dict) and ftype.get("type") == "enum" and "default" in ftype


def _enums(doc: dict[str, Any]) -> list[Site]:
    return [s for s in walk(doc) if s.node.get("type") == "enum"]


def remove_symbol(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Remove one or more enum symbols (the new enum has no default): FORWARD only."""
    new = copy.deepcopy(doc)
    enums = [s for s in _enums(new) if len(s.node["symbols"]) > 1]
    if not enums:
        return None
    site = rng.choice(enums)
    removed = rng.sample(site.node["symbols"], rng.randint(1, len(site.node["symbols"]) - 1))
    site.node["symbols"] = [s for s in site.node["symbols"] if s not in removed]
    site.node.pop("default", None)
    for symbol in removed:
        _drop_defaults(new, json.dumps(symbol))
    return new, Evolution(
        "remove_symbol",
        backward=False,
        forward=True,
        rules=frozenset({"MISSING_ENUM_SYMBOLS", "MISSING_UNION_BRANCH"}),
        detail={"symbols": removed, "enum": site.node["__full"]},
    )


def add_symbol(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Add an enum symbol: BACKWARD; FORWARD iff the old enum has a default."""
    new = copy.deepcopy(doc)
    enums = _enums(new)
    if not enums:
        return None
    site = rng.choice(enums)
    free = [c for c in string.ascii_uppercase if c not in site.node["symbols"]]
    symbol = rng.choice(free)
    site.node["symbols"].insert(rng.randint(0, len(site.node["symbols"])), symbol)
    return new, Evolution(
        "add_symbol",
        backward=True,
        forward="default" in site.node,
        rules=frozenset({"MISSING_ENUM_SYMBOLS", "MISSING_UNION_BRANCH"}),
        detail={"symbol": symbol, "enum": site.node["__full"]},
    )


def _drop_defaults(doc: dict[str, Any], needle: str) -> None:
    """Drop field defaults whose JSON contains ``needle`` (values a change made invalid)."""
    for site in _records(doc):
        for f in site.node["fields"]:
            if "default" in f and needle in json.dumps(f["default"]):
                del f["default"]


def add_union_branch(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Widen a field type T to [T, X] (or append X to a union) with X no old branch can read."""
    new = copy.deepcopy(doc)
    fields = [f for s in _records(new) for f in s.node["fields"]]
    fld = rng.choice(fields)
    t = fld["type"]
    branches = list(t) if isinstance(t, list) else [t]
    keys = {branch_key(b) for b in branches}
    options = [x for x in ("null", "boolean") if x not in keys]
    if not options:
        return None
    extra = rng.choice(options)
    fld["type"] = [*branches, extra]
    return new, Evolution(
        "add_union_branch",
        backward=True,
        forward=False,
        rules=frozenset({"TYPE_MISMATCH", "MISSING_UNION_BRANCH"}),
        detail={"field": fld["name"], "branch": extra},
    )


def rename_type(
    doc: dict[str, Any], rng: Rng, *, alias: str | None = "full"
) -> tuple[dict[str, Any], Evolution] | None:
    """Rename a named type (same namespace); ``alias``: "full", "short" (Java resolves it) or None."""
    new = copy.deepcopy(doc)
    named = [s for s in walk(new) if "__full" in s.node]
    site = rng.choice(named)
    node = site.node
    old_full = str(node["__full"])
    space, _, short = old_full.rpartition(".")
    new_short = f"{short}Renamed"
    new_full = f"{space}.{new_short}" if space else new_short
    if new_full in _all_names(new):
        return None
    if "." in node["name"]:
        node["name"] = new_full
    else:
        node["name"] = new_short
    node["__full"] = new_full
    if alias == "full":
        node["aliases"] = [old_full]
    elif alias == "short":
        node["aliases"] = [short]
    new = _replace_refs(new, old_full, new_full)
    ok = alias is not None
    return new, Evolution(
        f"rename_type_{alias or 'no_alias'}",
        backward=ok,
        forward=False,
        rules=frozenset({"NAME_MISMATCH", "MISSING_UNION_BRANCH"}),
        root=node is new,
        detail={"old": old_full, "new": new_full, "namespaced": bool(space), "kind": node["type"]},
    )


def move_namespace(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Move an enum or fixed type to another namespace: Java compares short names, so FULL."""
    new = copy.deepcopy(doc)
    leaves = [
        s.node for s in walk(new) if s.node.get("type") in ("enum", "fixed") and "." not in s.node["name"]
    ]
    if not leaves:
        return None
    node = rng.choice(leaves)
    old_full = str(node["__full"])
    space = rng.choice([ns for ns in (*NAMESPACES, "moved.elsewhere") if f"{ns}.{node['name']}" != old_full])
    new_full = f"{space}.{node['name']}"
    if new_full in _all_names(new):
        return None
    node["namespace"] = space
    node["__full"] = new_full
    return _replace_refs(new, old_full, new_full), Evolution(
        "move_namespace", backward=True, forward=True, detail={"old": old_full, "new": new_full}
    )


def rename_field(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Rename a field, keeping the old name as an alias: BACKWARD; FORWARD iff it has a default."""
    new = copy.deepcopy(doc)
    site = rng.choice(_records(new))
    fld = rng.choice(site.node["fields"])
    names = {f["name"] for f in site.node["fields"]}
    new_name = f"{fld['name']}_v2"
    if new_name in names:
        return None
    old_name = fld["name"]
    fld["name"] = new_name
    fld["aliases"] = [old_name]
    return new, Evolution(
        "rename_field_alias",
        backward=True,
        forward="default" in fld,
        rules=frozenset({"READER_FIELD_MISSING_DEFAULT_VALUE", "TYPE_MISMATCH", "MISSING_UNION_BRANCH"}),
        detail={"old": old_name, "new": new_name},
    )


def change_type(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Replace a primitive field type with one neither direction can convert (e.g. int -> string)."""
    new = copy.deepcopy(doc)
    fields = [
        f
        for s in _records(new)
        for f in s.node["fields"]
        if isinstance(f["type"], str) and f["type"] in PRIMITIVES
    ]
    if not fields:
        return None
    fld = rng.choice(fields)
    old = fld["type"]
    choices = [
        t
        for t in PRIMITIVES
        if t != old and t not in PROMOTIONS.get(old, ()) and old not in PROMOTIONS.get(t, ())
    ]
    fld["type"] = rng.choice(choices)
    fld.pop("default", None)
    return new, Evolution(
        "change_type",
        backward=False,
        forward=False,
        rules=frozenset({"TYPE_MISMATCH", "MISSING_UNION_BRANCH", "READER_FIELD_MISSING_DEFAULT_VALUE"}),
        detail={"from": old, "to": fld["type"]},
    )


def resize_fixed(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Change a fixed type's size: neither direction."""
    new = copy.deepcopy(doc)
    fixed = [s.node for s in walk(new) if s.node.get("type") == "fixed"]
    if not fixed:
        return None
    node = rng.choice(fixed)
    node["size"] += 1
    node.pop("logicalType", None)
    node.pop("precision", None)
    node.pop("scale", None)
    _drop_defaults(new, json.dumps("x" * (node["size"] - 1)))
    return new, Evolution(
        "resize_fixed",
        backward=False,
        forward=False,
        rules=frozenset({"FIXED_SIZE_MISMATCH", "MISSING_UNION_BRANCH"}),
        detail={"fixed": node["__full"]},
    )


def make_optional(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """T -> ["null", T] with default null: BACKWARD, not FORWARD."""
    new = copy.deepcopy(doc)
    fields = [f for s in _records(new) for f in s.node["fields"] if not isinstance(f["type"], list)]
    if not fields:
        return None
    fld = rng.choice(fields)
    fld["type"] = ["null", fld["type"]]
    fld["default"] = None
    return new, Evolution(
        "make_optional",
        backward=True,
        forward=False,
        rules=frozenset({"TYPE_MISMATCH", "MISSING_UNION_BRANCH"}),
        detail={"field": fld["name"]},
    )


def defined_before_use(doc: Any, known: set[str] | None = None) -> bool:
    """Whether every by-name reference follows its definition in document order."""
    known = set() if known is None else known
    if isinstance(doc, str):
        return doc in PRIMITIVES or doc == "null" or doc in known
    if isinstance(doc, list):
        return all(defined_before_use(b, known) for b in doc)
    if "__full" in doc:
        known.add(str(doc["__full"]))
    kind = doc["type"]
    if kind in ("record", "error"):
        return all(defined_before_use(f["type"], known) for f in doc["fields"])
    if kind == "array":
        return defined_before_use(doc["items"], known)
    if kind == "map":
        return defined_before_use(doc["values"], known)
    return True


def cosmetic(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
    """Changes that never matter: field/branch/symbol order, docs, custom props, logical types."""
    new = copy.deepcopy(doc)
    for site in walk(new):
        node = site.node
        kind = node.get("type")
        if kind in ("record", "error"):
            node["doc"] = "reworded"
            before = list(node["fields"])
            rng.shuffle(node["fields"])
            if not defined_before_use(new):  # a reference would precede its definition
                node["fields"][:] = before
            for f in node["fields"]:
                f["x-cosmetic"] = 1
                if isinstance(f["type"], list) and "default" not in f:
                    rng.shuffle(f["type"])
        elif kind == "enum":
            rng.shuffle(node["symbols"])
            node["doc"] = "reworded"
        elif kind in ("long", "int", "bytes", "string") and "logicalType" in node:
            node.pop("logicalType")
            node.pop("precision", None)
            node.pop("scale", None)
    return new, Evolution("cosmetic", backward=True, forward=True)


MUTATIONS: dict[str, Mutation] = {
    "add_field": add_field,
    "add_field_no_default": lambda d, r: add_field(d, r, with_default=False),
    "remove_field": remove_field,
    "promote": promote,
    "remove_symbol": remove_symbol,
    "add_symbol": add_symbol,
    "add_union_branch": add_union_branch,
    "rename_type_full": rename_type,
    "rename_type_short": lambda d, r: rename_type(d, r, alias="short"),
    "rename_type_no_alias": lambda d, r: rename_type(d, r, alias=None),
    "rename_field_alias": rename_field,
    "move_namespace": move_namespace,
    "change_type": change_type,
    "resize_fixed": resize_fixed,
    "make_optional": make_optional,
    "cosmetic": cosmetic,
}
COMPATIBLE_BOTH_WAYS = ("add_field", "cosmetic", "move_namespace")


def _repaired(mutation: Mutation) -> Mutation:
    def run(doc: dict[str, Any], rng: Rng) -> tuple[dict[str, Any], Evolution] | None:
        out = mutation(doc, rng)
        return None if out is None else (repair_defaults(out[0], rng), out[1])

    run.__doc__ = mutation.__doc__
    return run


MUTATIONS = {name: _repaired(m) for name, m in MUTATIONS.items()}


def evolve(
    doc: dict[str, Any], rng: Rng, kinds: tuple[str, ...] | None = None, tries: int = 20
) -> tuple[dict[str, Any], Evolution]:
    """Apply one random mutation (of ``kinds``, default all) that fits the document."""
    names = list(kinds or MUTATIONS)
    for _ in range(tries):
        out = MUTATIONS[rng.choice(names)](doc, rng)
        if out is not None:
            return out
    return copy.deepcopy(doc), Evolution("unchanged", backward=True, forward=True)


def history(
    rng: Rng, versions: int, profile: Profile = QUICK, kinds: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """A subject's versions (oldest first, cleaned): a schema and ``versions - 1`` successive evolutions."""
    docs = [gen_schema(rng, profile)]
    for _ in range(versions - 1):
        docs.append(evolve(docs[-1], rng, kinds)[0])
    return [clean(d) for d in docs]
