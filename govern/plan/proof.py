"""Simulate every state a plan can pass through and check every live pair in it.

A state is the set of services already upgraded. Stages deploy in order; inside a stage the
units (a service, or a deploy-together group) go in any order and in parallel, so any subset of
a stage's units can be live on top of the earlier stages. Every subset is a prefix of some order
and every order's prefix is a subset, so subsets cover all orders at 2**n instead of n! states.

Each safety condition (a `Link`) depends on at most two services. A subset state therefore
differs from the stage's starting state only on links touching the units in it, and only those
are evaluated (exact, not an approximation). For stages of more than `EXHAUSTIVE_UNITS` units the
same binary property shrinks the work further: every link's projection onto its two services
is already reached by the start state, one unit alone, or the whole stage, so checking those
n + 1 states is equivalent to checking all 2**n subsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from govern.plan.constraints import Link, Violation
from govern.plan.model import Change
from govern.plan.pairs import PairChecker

EXHAUSTIVE_UNITS = 8


@dataclass(frozen=True)
class Failure:
    """A violation found in one simulated state (the services upgraded at that point)."""

    upgraded: frozenset[str]
    violation: Violation

    def text(self) -> str:
        state = ", ".join(sorted(self.upgraded)) or "nothing"
        return f"with {state} upgraded: {self.violation.sentence()}"


@dataclass
class Proof:
    """How much was simulated and what failed; `ok` means every reachable state is safe."""

    states: int = 0
    pairs: int = 0
    distinct_pairs: int = 0
    reduced_stages: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, object]:
        return {
            "states": self.states,
            "pairs": self.pairs,
            "distinct_pairs": self.distinct_pairs,
            "reduced_stages": self.reduced_stages,
            "ok": self.ok,
            "failures": [f.text() for f in self.failures],
        }


class _Simulator:
    """Evaluates links for a state, indexed by service so a step only re-checks what it touches."""

    def __init__(self, change: Change, links: Sequence[Link], checker: PairChecker) -> None:
        self.change = change
        self.links = links
        self.checker = checker
        self.by_service: dict[str, list[int]] = {}
        for index, link in enumerate(links):
            self.by_service.setdefault(link.reader, []).append(index)
            if link.writer != link.reader:
                self.by_service.setdefault(link.writer, []).append(index)
        self.proof = Proof()
        self._seen: set[tuple[int, str, str]] = set()

    def touching(self, services: Iterable[str]) -> list[int]:
        found: set[int] = set()
        for service in services:
            found.update(self.by_service.get(service, ()))
        return sorted(found)

    def check(self, upgraded: frozenset[str], indices: Iterable[int]) -> None:
        """Check the given links in the state where `upgraded` run their new release."""
        self.proof.states += 1
        for index in indices:
            link = self.links[index]
            reader_side = "new" if link.reader in upgraded else "old"
            if link.retained and reader_side == "old":
                continue  # the old reader against old records is the live link's base pair
            writer_side = "new" if link.writer in upgraded else "old"
            lookups = self.checker.lookups
            violation = link.check(self.change, self.checker, reader_side, writer_side)
            self.proof.pairs += self.checker.lookups - lookups
            # One failure per (link, sides) is enough: later states repeat it.
            if violation and (index, reader_side, writer_side) not in self._seen:
                self._seen.add((index, reader_side, writer_side))
                self.proof.failures.append(Failure(upgraded, violation))


def prove(
    change: Change, links: Sequence[Link], checker: PairChecker, stages: Sequence[Sequence[Sequence[str]]]
) -> Proof:
    """Simulate the plan: `stages` is a list of stages, each a list of units (lists of services)."""
    sim = _Simulator(change, links, checker)
    upgraded: frozenset[str] = frozenset()
    sim.check(upgraded, range(len(links)))
    for units in stages:
        start = upgraded
        if len(units) <= EXHAUSTIVE_UNITS:
            subsets: Iterable[Sequence[Sequence[str]]] = (
                chosen for size in range(1, len(units) + 1) for chosen in combinations(units, size)
            )
        else:
            sim.proof.reduced_stages += 1
            subsets = [*((unit,) for unit in units), tuple(units)]
        for chosen in subsets:
            services = [s for unit in chosen for s in unit]
            sim.check(start | frozenset(services), sim.touching(services))
        upgraded = start | frozenset(s for unit in units for s in unit)
    sim.proof.distinct_pairs = checker.distinct_pairs
    return sim.proof
