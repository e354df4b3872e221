"""govern.plan.pacts: message pacts as a release-plan constraint source, on tiny hand-built changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govern.errors import InputError
from govern.plan import Change, SchemaRef, ServiceView, Snapshot, make_plan
from govern.plan.pacts import Expectation, MessagePact, load_pacts, missing_fields

V1 = SchemaRef.of(
    {
        "type": "record",
        "name": "T",
        "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}],
    },
    label="T@base",
)
V2 = SchemaRef.of(
    {
        "type": "record",
        "name": "T",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amount", "type": "long"},
            {"name": "fee", "type": ["null", "long"], "default": None},
        ],
    },
    label="T@head",
)


def pact(*fields: str) -> MessagePact:
    return MessagePact(
        "ui",
        "transaction",
        "contracts/pacts/ui-transaction.json",
        (Expectation("a transaction", "t", fields),),
    )


def change(old_pact: MessagePact, new_pact: MessagePact, new_schema: SchemaRef = V2) -> Change:
    before = [ServiceView("transaction", {"t": V1}), ServiceView("ui", reads={"t": V1}, fingerprint="a")]
    after = [
        ServiceView("transaction", {"t": new_schema}),
        ServiceView("ui", reads={"t": new_schema}, fingerprint="b"),
    ]
    return Change(
        Snapshot.of(before, "base"),
        Snapshot.of(after, "head"),
        pacts={"old": (old_pact,), "new": (new_pact,)},
    )


def test_a_pact_expecting_a_field_only_the_new_producer_writes_puts_the_producer_first() -> None:
    plan = make_plan(change(pact("/id"), pact("/id", "/fee")))
    assert plan.safe
    assert [s.services for s in plan.stages] == [["transaction"], ["ui"]]
    [constraint] = plan.constraints
    assert (constraint.first, constraint.then) == ("transaction", "ui")
    assert "PACT_FIELD_MISSING at /fee" in constraint.text()
    assert (
        "ui's new reader of t (pact ui-transaction@new) cannot read transaction's old writer"
        in constraint.text()
    )


def test_without_the_pact_the_avro_compatible_change_has_no_order() -> None:
    plan = make_plan(change(pact("/id"), pact("/id")))
    assert plan.safe and plan.constraints == [] and len(plan.stages) == 1


def test_a_pact_expecting_a_field_no_producer_writes_blocks_the_plan() -> None:
    plan = make_plan(change(pact("/id"), pact("/id", "/discount")))
    assert not plan.safe
    assert [b.kind for b in plan.blockers] == ["head"]
    assert plan.blockers[0].violation.issues[0].location == "/discount"


def test_field_paths_follow_records_through_unions_arrays_and_named_types() -> None:
    schema = {
        "type": "record",
        "name": "W",
        "namespace": "x",
        "fields": [
            {
                "name": "balances",
                "type": {
                    "type": "array",
                    "items": {
                        "type": "record",
                        "name": "B",
                        "fields": [
                            {
                                "name": "valuation",
                                "type": [
                                    "null",
                                    {
                                        "type": "record",
                                        "name": "V",
                                        "fields": [{"name": "amount", "type": "string"}],
                                    },
                                ],
                            }
                        ],
                    },
                },
            },
            {"name": "total", "type": ["null", "x.V"]},
        ],
    }
    present = ["/balances", "/balances/*/valuation", "/balances/*/valuation/amount", "/total/amount"]
    assert missing_fields(schema, present) == []
    assert missing_fields(schema, ["/balances/*/fee", "/total/currency", "/balances/x"]) == [
        "/balances/*/fee",
        "/total/currency",
        "/balances/x",
    ]


def test_the_repositorys_pacts_load_with_their_topics_and_fields() -> None:
    pacts = {(p.consumer, p.provider): p for p in load_pacts(Path(__file__).resolve().parents[2])}
    wallet = pacts[("ui", "wallet")].expectations[0]
    assert wallet.topic == "wallet" and "/balances/*/valuation/amount" in wallet.fields


def test_a_broken_pact_file_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "contracts" / "pacts").mkdir(parents=True)
    (tmp_path / "contracts" / "pacts" / "ui-x.json").write_text(json.dumps({"interactions": []}))
    with pytest.raises(InputError, match="ui-x.json: not a pact file"):
        load_pacts(tmp_path)
