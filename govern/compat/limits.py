"""The complexity budget of compatibility work: how big and deep a schema, how long a check.

Two kinds of limit, both refusals with one clear line naming the limit and its setting
(``ComplexityExceeded``, an ``InputError``: exit 2 in the CLI, 422/42201 in the registry):

- *admission* (``admit``): a schema coming in (registered, or checked against a subject) may nest
  at most ``max_depth`` complex types and hold at most ``max_nodes`` schema nodes. The registry
  applies this to every submission, so a schema it accepted can always be checked later;
- *walk* (``rules.Checker``): one reader/writer check may compare at most ``max_pairs`` pairs of
  complex nodes and descend at most ``check_depth`` pairs deep. Two admitted schemas evolved
  from one another stay far inside this (the walk pairs each node with its counterpart); only
  contrived pairs (thousands of same-named records, none compatible) reach it.

Defaults suit any real schema (the deepest public ones nest about 20) and keep one check of two
1 MB schemas to seconds and tens of MB. Settings, read from the environment once per process
(`GOVERN_COMPAT_MAX_DEPTH`, `GOVERN_COMPAT_MAX_NODES`, `GOVERN_COMPAT_MAX_PAIRS`), or passed as a
``Limits`` value (``govern registry serve`` takes them as options too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from govern.avro.model import Node
from govern.errors import InputError

DEPTH_SETTING = "GOVERN_COMPAT_MAX_DEPTH"
NODES_SETTING = "GOVERN_COMPAT_MAX_NODES"
PAIRS_SETTING = "GOVERN_COMPAT_MAX_PAIRS"


class ComplexityExceeded(InputError):
    """A schema or a check beyond the complexity budget: refused, never half-checked."""


@dataclass(frozen=True, slots=True)
class Limits:
    """The budget; see the module docstring for what each bound means. Keep ``max_pairs`` above
    twice ``max_nodes``: checking an admitted schema against a compatible evolution of itself
    compares each complex node with its counterpart, plus one (union, branch) pair per branch."""

    max_depth: int = 64
    max_nodes: int = 100_000
    max_pairs: int = 250_000

    @property
    def check_depth(self) -> int:
        """How deep the walk may go: a pair descends in the reader, the writer or both, so two
        admitted schemas without recursion never need more than twice ``max_depth``."""
        return 2 * self.max_depth + 8

    @classmethod
    def from_environment(cls) -> Limits:
        """The defaults, overridden by the GOVERN_COMPAT_MAX_* environment variables."""
        default = cls()
        return cls(
            max_depth=_setting(DEPTH_SETTING, default.max_depth),
            max_nodes=_setting(NODES_SETTING, default.max_nodes),
            max_pairs=_setting(PAIRS_SETTING, default.max_pairs),
        )


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdecimal() or not 1 <= int(raw) <= 10**9:
        raise InputError(f"{name}={raw!r} is not a whole number from 1 to 10^9", hint=f"fix or unset {name}")
    return int(raw)


@cache
def _from_environment() -> Limits:
    return Limits.from_environment()


_in_force: ContextVar[Limits | None] = ContextVar("govern_compat_limits", default=None)


def current_limits() -> Limits:
    """The limits in force: those of ``limits_in_force``, else the environment's (read once)."""
    return _in_force.get() or _from_environment()


@contextmanager
def limits_in_force(limits: Limits) -> Iterator[None]:
    """Apply ``limits`` to every check made inside (in this thread or task), e.g. a server's own."""
    token = _in_force.set(limits)
    try:
        yield
    finally:
        _in_force.reset(token)


def _children(node: Node) -> list[Node]:
    kind = node.type
    if kind == "record":
        return [field.type for field in node.fields]
    if kind == "union":
        return node.branches
    if kind == "array":
        return [node.items] if node.items is not None else []
    if kind == "map":
        return [node.values] if node.values is not None else []
    return []


def measure(root: Node) -> tuple[int, int]:
    """(nesting depth, node count) of a schema graph, walked depth-first in document order as the
    compatibility walk goes; a named type is entered once, where first met.

    Iterative, so that absurd nesting is measured rather than overflowing the stack.
    """
    seen = {id(root)}
    depth = 1
    stack = [iter(_children(root))]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif id(child) not in seen:
            seen.add(id(child))
            stack.append(iter(_children(child)))
            depth = max(depth, len(stack))
    return depth, len(seen)


def admit(root: Node, limits: Limits | None = None, *, what: str = "schema") -> None:
    """Refuse a schema nesting deeper than ``max_depth`` or bigger than ``max_nodes``."""
    limits = limits or current_limits()
    depth, nodes = measure(root)
    if depth > limits.max_depth:
        raise ComplexityExceeded(
            f"{what} nests {depth} levels deep, beyond the limit of {limits.max_depth} ({DEPTH_SETTING})",
            hint=f"flatten the nesting, or raise {DEPTH_SETTING}",
        )
    if nodes > limits.max_nodes:
        raise ComplexityExceeded(
            f"{what} has {nodes} schema nodes, beyond the limit of {limits.max_nodes} ({NODES_SETTING})",
            hint=f"split the schema, or raise {NODES_SETTING}",
        )


def too_many_pairs(limits: Limits) -> ComplexityExceeded:
    return ComplexityExceeded(
        f"the compatibility check compares more than {limits.max_pairs} pairs of schema nodes, beyond the "
        f"limit ({PAIRS_SETTING})",
        hint=f"give unions fewer branches with the same name, or raise {PAIRS_SETTING}",
    )


def too_deep(limits: Limits) -> ComplexityExceeded:
    return ComplexityExceeded(
        f"the compatibility check descends more than {limits.check_depth} levels (twice the depth limit "
        f"{limits.max_depth}, {DEPTH_SETTING})",
        hint=f"flatten the nesting, or raise {DEPTH_SETTING}",
    )
