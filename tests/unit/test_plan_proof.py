"""The graph algorithm and the proof, against brute force on random small graphs.

These tests are about ordering, not Avro: schemas are version numbers and compatibility is a
random relation between them, so hypothesis can explore many shapes. The oracle here is an
independent transcription of the safety rule (every live reader reads every live writer and
every retained old writer), evaluated on every prefix of every permutation.
"""

from __future__ import annotations

from itertools import permutations
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from govern.plan import Change, PairChecker, SchemaRef, ServiceView, Snapshot, make_plan
from govern.plan import proof as proof_module
from govern.plan.planner import components, layer

VERSIONS = range(3)


def ref(version: int) -> SchemaRef:
    return SchemaRef(key=f"v{version}", label=f"v{version}", value=version)


@st.composite
def scenarios(draw):
    """A random before/after over up to 5 services and 3 topics, a random compat relation, drained topics."""
    services = [f"s{i}" for i in range(draw(st.integers(2, 5)))]
    topics = [f"t{i}" for i in range(draw(st.integers(1, 3)))]
    sides = {}
    for side in ("old", "new"):
        views = []
        for name in services:
            writes, reads = {}, {}
            for topic in topics:
                if draw(st.integers(0, 3)) == 0:
                    writes[topic] = ref(draw(st.sampled_from(VERSIONS)))
                if draw(st.integers(0, 2)) == 0:
                    reads[topic] = ref(draw(st.sampled_from(VERSIONS)))
            views.append(ServiceView(name, writes, reads))
        sides[side] = views
    # Let about half the services keep their old release, so unchanged services are common.
    after = [old if draw(st.booleans()) else new for old, new in zip(sides["old"], sides["new"], strict=True)]
    pairs = [(r, w) for r in VERSIONS for w in VERSIONS if r != w]
    incompatible = frozenset(draw(st.sets(st.sampled_from(pairs))))
    drained = frozenset(draw(st.sets(st.sampled_from(topics))))
    return Change(Snapshot.of(sides["old"]), Snapshot.of(after), drained), incompatible


def oracle(incompatible: frozenset[tuple[int, int]]):
    def can_read(reader: int, writer: int) -> list:
        return [_Finding()] if (reader, writer) in incompatible else []

    return can_read


class _Finding:
    rule = "INCOMPATIBLE"
    location = "/"
    message = "the random relation says no"


def state_is_safe(change: Change, upgraded: frozenset[str], incompatible: frozenset[tuple[int, int]]) -> bool:
    """The safety rule, written out directly from its definition."""
    names = change.service_names()
    for topic in change.topics():
        readers, data = [], set()
        for name in names:
            view = change.view(name, "new" if name in upgraded else "old")
            if topic in view.writes:
                data.add(view.writes[topic].value)
            if topic in view.reads:
                readers.append(view.reads[topic].value)
            old = change.view(name, "old").writes.get(topic)
            if old is not None and change.retains_old_data(topic):
                data.add(old.value)
        if any((r, w) in incompatible for r in readers for w in data):
            return False
    return True


def some_order_is_safe(change: Change, incompatible: frozenset[tuple[int, int]]) -> bool:
    changed = change.changed()
    for order in permutations(changed):
        if all(state_is_safe(change, frozenset(order[:i]), incompatible) for i in range(len(order) + 1)):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_the_plan_is_safe_exactly_when_some_rolling_order_is(scenario) -> None:
    change, incompatible = scenario
    plan = make_plan(change, oracle(incompatible))
    assert plan.safe == some_order_is_safe(change, incompatible)
    if plan.safe:
        # Every state the plan can pass through (any subset of a stage on top of the earlier ones).
        done: frozenset[str] = frozenset()
        assert state_is_safe(change, done, incompatible)
        for stage in plan.stages:
            members = stage.services
            for mask in range(1, 2 ** len(members)):
                chosen = {m for i, m in enumerate(members) if mask >> i & 1}
                assert state_is_safe(change, done | chosen, incompatible)
            done |= set(members)
    # No failure the proof finds goes unexplained: the derivation is complete.
    assert all(b.kind != "proof" for b in plan.blockers)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_the_pairwise_reduction_finds_what_every_subset_finds(scenario) -> None:
    change, incompatible = scenario
    full = make_plan(change, oracle(incompatible))
    with mock.patch.object(proof_module, "EXHAUSTIVE_UNITS", 0):
        reduced = make_plan(change, oracle(incompatible))
    assert reduced.proof.ok == full.proof.ok
    assert {f.violation.key() for f in reduced.proof.failures} == {
        f.violation.key() for f in full.proof.failures
    }
    assert reduced.proof.reduced_stages == sum(1 for s in full.stages if s.units)


def test_a_large_stage_is_proven_with_n_plus_one_states_not_two_to_the_n() -> None:
    v0, v1 = ref(0), ref(1)
    consumers = [f"c{i:02}" for i in range(40)]
    before = Snapshot.of([ServiceView("p", {"t": v0}), *(ServiceView(c, {}, {"t": v0}) for c in consumers)])
    after = Snapshot.of([ServiceView("p", {"t": v1}), *(ServiceView(c, {}, {"t": v1}) for c in consumers)])
    plan = make_plan(Change(before, after), oracle(frozenset()), checker=None)
    assert plan.safe and len(plan.stages) == 1 and len(plan.stages[0].units) == 41
    assert plan.proof.reduced_stages == 1
    assert plan.proof.states == 1 + 41 + 1


def test_components_find_cycles_and_singletons() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert sorted(components(["a", "b", "c", "d", "e"], edges)) == [("a", "b", "c"), ("d",), ("e",)]


def test_layer_puts_each_unit_after_its_longest_chain_of_predecessors() -> None:
    class C:
        def __init__(self, first: str, then: str) -> None:
            self.first, self.then = first, then

    units = [("a",), ("b",), ("c",), ("d",)]
    stages = layer(units, [C("a", "b"), C("b", "c"), C("a", "c"), C("d", "c")])
    assert stages == [[("a",), ("d",)], [("b",)], [("c",)]]


def test_the_memo_asks_once_per_distinct_pair() -> None:
    asked = []
    checker = PairChecker(lambda r, w: asked.append((r, w)) or [])
    for _ in range(3):
        checker.issues(ref(0), ref(1))
        checker.issues(ref(1), ref(1))
    assert asked == [(0, 1)] and checker.lookups == 6 and checker.distinct_pairs == 2
