"""govern.plan on small graphs with real tiny Avro schemas and the real compat engine.

Each case builds a before/after by hand (who writes and reads which schema per topic) and
checks the stages, the reasons and the blockers the planner derives, and that the proof agrees.
"""

from __future__ import annotations

from collections.abc import Iterable

from govern.plan import (
    AvroPairs,
    Change,
    Link,
    PairChecker,
    SchemaRef,
    ServiceView,
    Snapshot,
    Violation,
    make_plan,
)
from govern.plan.model import Issue, Side
from govern.plan.pairs import compat_can_read


def rec(name: str, *fields: tuple) -> SchemaRef:
    """A record schema; each field is (name, type) or (name, type, default)."""
    body = [{"name": f[0], "type": f[1], **({"default": f[2]} if len(f) > 2 else {})} for f in fields]
    return SchemaRef.of({"type": "record", "name": name, "fields": body}, label=name)


# One record in four shapes, relative to V1 = {id, amount}:
V1 = rec("T", ("id", "string"), ("amount", "long"))
DROPPED = rec("T", ("id", "string"))  # amount removed: new readers fine, old readers break (backward)
WITH_DEFAULT = rec("T", ("id", "string"), ("amount", "long"), ("note", "string", ""))  # full
REQUIRED = rec("T", ("id", "string"), ("amount", "long"), ("note", "string"))  # forward only
RETYPED = rec("T", ("id", "int"), ("amount", "long"))  # string -> int: neither way


def svc(name: str, writes: dict[str, SchemaRef] | None = None, reads: dict[str, SchemaRef] | None = None):
    return ServiceView(name, writes or {}, reads or {})


def change(
    before: Iterable[ServiceView], after: Iterable[ServiceView], drained: Iterable[str] = ()
) -> Change:
    return Change(Snapshot.of(before, "base"), Snapshot.of(after, "head"), frozenset(drained))


def stages(plan) -> list[list[str]]:
    return [stage.services for stage in plan.stages]


def one_topic(
    new: SchemaRef, consumers: Iterable[str] = ("wallet", "ui"), drained: Iterable[str] = ()
) -> Change:
    """transaction writes `t`; the consumers read it with the topic's schema (old V1, new `new`)."""
    before = [svc("transaction", {"t": V1}), *(svc(c, reads={"t": V1}) for c in consumers)]
    after = [svc("transaction", {"t": new}), *(svc(c, reads={"t": new}) for c in consumers)]
    return change(before, after, drained)


def test_backward_only_change_puts_consumers_before_the_producer() -> None:
    plan = make_plan(one_topic(DROPPED))
    assert plan.safe
    assert stages(plan) == [["ui", "wallet"], ["transaction"]]
    reasons = plan.stages[0].reasons
    assert any(
        r.startswith("wallet before transaction: wallet's old reader of t")
        and "READER_FIELD_MISSING_DEFAULT_VALUE" in r
        for r in reasons
    ), reasons
    assert plan.proof.ok and plan.proof.states == 1 + 3 + 1  # start, subsets of {ui, wallet}, {transaction}


def test_chain_with_changes_on_both_topics_orders_the_whole_chain() -> None:
    # a -> t1 -> b -> t2 -> c; both topics drop a field: each consumer goes before its producer.
    t2_v1, t2_dropped = rec("U", ("k", "string"), ("v", "int")), rec("U", ("k", "string"))
    before = [svc("a", {"t1": V1}), svc("b", {"t2": t2_v1}, {"t1": V1}), svc("c", reads={"t2": t2_v1})]
    after = [
        svc("a", {"t1": DROPPED}),
        svc("b", {"t2": t2_dropped}, {"t1": DROPPED}),
        svc("c", reads={"t2": t2_dropped}),
    ]
    plan = make_plan(change(before, after))
    assert plan.safe
    assert stages(plan) == [["c"], ["b"], ["a"]]
    assert {(c.first, c.then) for c in plan.constraints} == {("b", "a"), ("c", "b")}


def test_forward_only_change_needs_producer_first_and_old_records_gone() -> None:
    plan = make_plan(one_topic(REQUIRED))
    assert stages(plan) == [["transaction"], ["ui", "wallet"]]
    assert "transaction before wallet: wallet's new reader of t" in "\n".join(plan.stages[1].reasons)
    # The records transaction wrote before the change stay in the topic: new readers cannot read them.
    assert not plan.safe
    assert {(b.kind, b.violation.link.reader) for b in plan.blockers} == {
        ("migration", "ui"),
        ("migration", "wallet"),
    }
    blocker = plan.blockers[0]
    assert (
        blocker.violation.link.retained
        and blocker.violation.issues[0].rule == "READER_FIELD_MISSING_DEFAULT_VALUE"
    )
    assert "--drained t" in blocker.hint


def test_forward_only_change_is_safe_once_the_topic_is_drained() -> None:
    plan = make_plan(one_topic(REQUIRED, drained=["t"]))
    assert plan.safe, [b.text() for b in plan.blockers]
    assert stages(plan) == [["transaction"], ["ui", "wallet"]]


def test_full_change_is_one_stage_in_any_order() -> None:
    plan = make_plan(one_topic(WITH_DEFAULT))
    assert plan.safe
    assert stages(plan) == [["transaction", "ui", "wallet"]]
    assert plan.constraints == []
    assert plan.proof.states == 1 + 7  # the start and every non-empty subset of the three
    assert any("no ordering constraint" in r for r in plan.stages[0].reasons)


def test_type_change_blocks_with_the_pair_and_the_rule() -> None:
    plan = make_plan(one_topic(RETYPED, consumers=["wallet"]))
    assert not plan.safe
    assert [g.services for g in plan.groups] == [("transaction", "wallet")]
    kinds = {b.kind for b in plan.blockers}
    assert kinds == {"cycle", "migration"}
    assert all(b.violation.issues[0].rule == "TYPE_MISMATCH" for b in plan.blockers)


def test_cycle_becomes_a_deploy_together_group_with_a_two_phase_suggestion() -> None:
    # a writes t1 read by b, b writes t2 read by a; both drop a field: b before a and a before b.
    t2_v1, t2_dropped = rec("U", ("k", "string"), ("v", "int")), rec("U", ("k", "string"))
    before = [svc("a", {"t1": V1}, {"t2": t2_v1}), svc("b", {"t2": t2_v1}, {"t1": V1}), svc("c", {"t3": V1})]
    after = [
        svc("a", {"t1": DROPPED}, {"t2": t2_dropped}),
        svc("b", {"t2": t2_dropped}, {"t1": DROPPED}),
        svc("c", {"t3": WITH_DEFAULT}),
    ]
    plan = make_plan(change(before, after))
    assert not plan.safe
    assert len(plan.groups) == 1 and plan.groups[0].services == ("a", "b")
    assert "two releases" in plan.groups[0].suggestion
    assert stages(plan) == [["a", "b", "c"]]
    assert plan.stages[0].units == (("a", "b"), ("c",))
    assert {b.kind for b in plan.blockers} == {"cycle"}
    assert plan.proof.ok  # deployed atomically, the group itself reaches no mixed state


def test_unchanged_services_are_not_staged_but_constrain_the_plan() -> None:
    # audit pins its own reader (V1) and does not change: it cannot read transaction's new writer.
    before = [
        svc("transaction", {"t": V1}),
        svc("wallet", reads={"t": V1}),
        svc("audit", reads={"t": V1}),
        svc("rate", {"r": V1}),
    ]
    after = [
        svc("transaction", {"t": DROPPED}),
        svc("wallet", reads={"t": DROPPED}),
        svc("audit", reads={"t": V1}),
        svc("rate", {"r": V1}),
    ]
    plan = make_plan(change(before, after))
    assert plan.unchanged == ["audit", "rate"]
    assert all("audit" not in s and "rate" not in s for s in stages(plan))
    assert not plan.safe
    [blocker] = plan.blockers
    assert blocker.kind == "head" and blocker.violation.link.reader == "audit"
    assert blocker.violation.issues[0].rule == "READER_FIELD_MISSING_DEFAULT_VALUE"


def test_an_unchanged_producer_keeps_constraining_new_readers() -> None:
    # Two producers on one topic; only one moves to REQUIRED. The consumer's new reader would
    # then have to read the unchanged producer's V1 records forever.
    before = [svc("p1", {"t": V1}), svc("p2", {"t": V1}), svc("c", reads={"t": V1})]
    after = [svc("p1", {"t": REQUIRED}), svc("p2", {"t": V1}), svc("c", reads={"t": REQUIRED})]
    plan = make_plan(change(before, after, drained=["t"]))
    assert not plan.safe
    assert ("head", "c", "p2") in {
        (b.kind, b.violation.link.reader, b.violation.link.writer) for b in plan.blockers
    }


def test_pinned_reader_that_did_not_change_lets_the_producer_go_alone() -> None:
    # The consumer pins V1 and V1 reads WITH_DEFAULT records: only the producer deploys.
    before = [svc("transaction", {"t": V1}), svc("wallet", reads={"t": V1})]
    after = [svc("transaction", {"t": WITH_DEFAULT}), svc("wallet", reads={"t": V1})]
    plan = make_plan(change(before, after))
    assert plan.safe and stages(plan) == [["transaction"]] and plan.unchanged == ["wallet"]


def test_a_base_that_is_already_unsafe_is_reported_as_such() -> None:
    before = [svc("p", {"t": V1}), svc("c", reads={"t": REQUIRED}), svc("x", {"u": V1})]
    after = [svc("p", {"t": V1}), svc("c", reads={"t": REQUIRED}), svc("x", {"u": WITH_DEFAULT})]
    plan = make_plan(change(before, after))
    assert not plan.safe and [b.kind for b in plan.blockers] == ["base"]


def test_a_new_consumer_must_read_the_retained_records() -> None:
    before = [svc("p", {"t": V1})]
    ok = make_plan(change(before, [svc("p", {"t": V1}), svc("new", reads={"t": WITH_DEFAULT})]))
    assert ok.safe and stages(ok) == [["new"]]
    bad = make_plan(change(before, [svc("p", {"t": REQUIRED}), svc("new", reads={"t": REQUIRED})]))
    assert not bad.safe and {b.kind for b in bad.blockers} == {"migration"}


def test_a_service_reading_its_own_changelog_must_read_its_old_records() -> None:
    before = [svc("transaction", {"log": V1}, {"log": V1})]
    plan = make_plan(change(before, [svc("transaction", {"log": RETYPED}, {"log": RETYPED})]))
    assert [b.kind for b in plan.blockers] == ["migration"]
    assert make_plan(change(before, [svc("transaction", {"log": WITH_DEFAULT}, {"log": WITH_DEFAULT})])).safe


def test_nothing_changed_means_nothing_to_deploy() -> None:
    same = [svc("p", {"t": V1}), svc("c", reads={"t": V1})]
    plan = make_plan(change(same, same))
    assert plan.safe and plan.stages == [] and plan.unchanged == ["c", "p"]


def test_pairs_are_decided_once_per_distinct_schema_pair() -> None:
    calls: list[tuple[str, str]] = []

    def counting(reader, writer):
        calls.append((str(reader), str(writer)))
        return compat_can_read(reader, writer)

    checker = PairChecker(counting)
    consumers = [f"c{i}" for i in range(20)]
    make_plan(one_topic(DROPPED, consumers=consumers), checker=checker)
    # compat is asked about (V1 reads DROPPED) and (DROPPED reads V1) once each; equal keys are free.
    assert len(calls) == len(set(calls)) == 2
    assert checker.distinct_pairs == 4
    assert checker.lookups > 20 * 4


class PactLike:
    """A constraint source of the kind pacts will add: the consumer's new pact expects a field
    that only the producer's new release sends (a graph test of the seam, not of Avro)."""

    name = "pact"

    def links(self, change: Change) -> Iterable[Link]:
        yield Link("t", "wallet", "transaction", retained=False, source=self)

    def check(self, change: Change, checker: PairChecker, link: Link, reader_side: Side, writer_side: Side):
        if reader_side == "new" and writer_side == "old":
            return Violation(
                link,
                reader_side,
                writer_side,
                "wallet pact",
                "Transaction@base",
                (Issue("PACT_FIELD_MISSING", "/note", "the pact expects 'note'"),),
            )
        return None


def test_a_second_constraint_source_adds_constraints_through_the_same_seam() -> None:
    cx = one_topic(WITH_DEFAULT, consumers=["wallet"])
    assert stages(make_plan(cx)) == [["transaction", "wallet"]]
    plan = make_plan(cx, sources=[AvroPairs(), PactLike()])
    assert plan.safe and stages(plan) == [["transaction"], ["wallet"]]
    assert "PACT_FIELD_MISSING" in plan.stages[1].reasons[0]
