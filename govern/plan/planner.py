"""From constraints to a plan: stages of services that may deploy in parallel, in order.

Changed services are the nodes, constraints the edges ("first" before "then"). Strongly
connected components with more than one service are cycles: no rolling order exists, so they
become deploy-together groups (with a warning and a two-phase suggestion). The condensed graph is
layered by longest path, so every service sits in the earliest stage its constraints allow.
Unchanged services are not deployed, but their links still constrain (and are proven).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from govern.plan.constraints import AvroPairs, Blocker, Constraint, ConstraintSource, Link, derive
from govern.plan.model import Change
from govern.plan.pacts import MessagePacts
from govern.plan.pairs import CanRead, PairChecker, compat_can_read, compat_explain
from govern.plan.proof import Proof, prove


@dataclass(frozen=True)
class Group:
    """Services in a cycle of constraints: they can only deploy together (atomically)."""

    services: tuple[str, ...]
    constraints: tuple[Constraint, ...]

    @property
    def warning(self) -> str:
        return (
            f"{', '.join(self.services)} form a cycle: no rolling order is safe; deploying them together "
            "needs their traffic stopped during the switch"
        )

    @property
    def suggestion(self) -> str:
        return (
            "split the change in two releases: first add the field with a default (or widen the type) "
            "everywhere and release, then make it required (or narrow it) in a second release"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "services": list(self.services),
            "warning": self.warning,
            "suggestion": self.suggestion,
            "reasons": [c.text() for c in self.constraints],
        }


@dataclass(frozen=True)
class Stage:
    """Services (and groups) that may deploy in parallel, and why they are here."""

    index: int
    units: tuple[tuple[str, ...], ...]
    reasons: tuple[str, ...]

    @property
    def services(self) -> list[str]:
        return [s for unit in self.units for s in unit]


@dataclass
class Plan:
    """The planner's answer: stages, groups, constraints, blockers and the proof."""

    before: str
    after: str
    stages: list[Stage]
    groups: list[Group]
    constraints: list[Constraint]
    blockers: list[Blocker]
    unchanged: list[str]
    proof: Proof
    drained: list[str] = field(default_factory=list)

    @property
    def safe(self) -> bool:
        """Safe means: a rolling order exists and every state it can pass through was proven safe."""
        return not self.blockers and not self.groups and self.proof.ok

    def as_dict(self) -> dict[str, object]:
        """The documented JSON shape; findings in govern.report's one shape (docs/findings.md)."""
        from govern.report.model import FORMAT_VERSION

        return {
            "format_version": FORMAT_VERSION,
            "safe": self.safe,
            "before": self.before,
            "after": self.after,
            "stages": [
                {
                    "services": s.services,
                    "groups": [list(u) for u in s.units if len(u) > 1],
                    "reasons": list(s.reasons),
                }
                for s in self.stages
            ],
            "groups": [g.as_dict() for g in self.groups],
            "constraints": [{"first": c.first, "then": c.then, "reason": c.text()} for c in self.constraints],
            "blocking": [b.as_dict() for b in self.blockers],
            "unchanged": self.unchanged,
            "drained": self.drained,
            "proof": self.proof.as_dict(),
        }


def components(nodes: Sequence[str], edges: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components (iterative Tarjan), each sorted, in a deterministic order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[tuple[str, ...]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                found.append(tuple(sorted(members)))
    return found


def layer(units: Sequence[tuple[str, ...]], constraints: Sequence[Constraint]) -> list[list[tuple[str, ...]]]:
    """Assign each unit the earliest stage after all units that must precede it (longest path)."""
    unit_of = {s: unit for unit in units for s in unit}
    preds: dict[tuple[str, ...], set[tuple[str, ...]]] = {unit: set() for unit in units}
    succs: dict[tuple[str, ...], set[tuple[str, ...]]] = {unit: set() for unit in units}
    for c in constraints:
        a, b = unit_of[c.first], unit_of[c.then]
        if a != b:
            preds[b].add(a)
            succs[a].add(b)
    depth: dict[tuple[str, ...], int] = {}
    ready = sorted(u for u in units if not preds[u])
    waiting = {u: len(preds[u]) for u in units}
    while ready:
        unit = ready.pop()
        depth[unit] = max((depth[p] + 1 for p in preds[unit]), default=0)
        for nxt in succs[unit]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    stages: list[list[tuple[str, ...]]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for unit in sorted(units):
        stages[depth[unit]].append(unit)
    return stages


def _reasons(units: Sequence[tuple[str, ...]], touching: dict[str, list[Constraint]]) -> tuple[str, ...]:
    """Why this stage holds what it holds: every constraint touching it, or "no constraint"."""
    members = sorted(s for unit in units for s in unit)
    texts: dict[str, None] = {}
    for service in members:
        for c in touching.get(service, ()):
            texts.setdefault(c.text())
    for unit in units:
        if len(unit) > 1:
            texts.setdefault(f"deploy together ({', '.join(unit)}): their constraints form a cycle")
    free = [s for s in members if s not in touching]
    if free:
        texts.setdefault(f"{', '.join(free)}: no ordering constraint (any order)")
    return tuple(texts)


def make_plan(
    change: Change,
    can_read: CanRead | None = None,
    *,
    sources: Sequence[ConstraintSource] | None = None,
    checker: PairChecker | None = None,
) -> Plan:
    """Plan and prove a release: derive constraints, stage the changed services, simulate.

    `can_read(reader, writer)` defaults to `govern.compat.check_pair`; pass `checker` to share a
    memo across calls (the benchmark does, to count pairs).
    """
    checker = checker or (PairChecker(can_read) if can_read else PairChecker(compat_can_read, compat_explain))
    sources = list(sources) if sources is not None else [AvroPairs(), MessagePacts()]
    links: list[Link] = [link for source in sources for link in source.links(change)]
    derived = derive(change, links, checker)

    changed = change.changed()
    set_changed = set(changed)
    edges: dict[str, set[str]] = {}
    for c in derived.constraints:
        edges.setdefault(c.first, set()).add(c.then)
    units = components(changed, edges)
    groups = []
    blockers = list(derived.blockers)
    for unit in units:
        if len(unit) > 1:
            inside = tuple(c for c in derived.constraints if c.first in unit and c.then in unit)
            groups.append(Group(unit, inside))
            blockers.extend(Blocker("cycle", c.because) for c in inside)
    layered = layer(units, derived.constraints)
    touching: dict[str, list[Constraint]] = {}
    for c in derived.constraints:
        touching.setdefault(c.first, []).append(c)
        touching.setdefault(c.then, []).append(c)
    stages = [Stage(i + 1, tuple(units_), _reasons(units_, touching)) for i, units_ in enumerate(layered)]

    proof = prove(change, links, checker, [stage.units for stage in stages])
    explained = {b.violation.key() for b in blockers}
    for failure in proof.failures:
        if failure.violation.key() not in explained:
            blockers.append(Blocker("proof", failure.violation))
            explained.add(failure.violation.key())

    return Plan(
        before=change.before.label,
        after=change.after.label,
        stages=stages,
        groups=groups,
        constraints=derived.constraints,
        blockers=_dedupe(blockers),
        unchanged=[s for s in change.service_names() if s not in set_changed],
        proof=proof,
        drained=sorted(change.drained),
    )


def _dedupe(blockers: list[Blocker]) -> list[Blocker]:
    seen: set[tuple[object, ...]] = set()
    kept = []
    for b in blockers:
        key = (b.kind, *b.violation.key())
        if key not in seen:
            seen.add(key)
            kept.append(b)
    return kept
