"""The four renderers of a plan: text, json (the documented shape), mermaid, markdown."""

from __future__ import annotations

import json

import pytest

from govern.plan import FORMATS, Change, SchemaRef, ServiceView, Snapshot, make_plan, render
from govern.plan.render import render_text


def rec(*fields: tuple) -> SchemaRef:
    body = [{"name": f[0], "type": f[1], **({"default": f[2]} if len(f) > 2 else {})} for f in fields]
    return SchemaRef.of({"type": "record", "name": "Transaction", "fields": body}, label="Transaction")


V1 = rec(("id", "string"), ("amount", "long"))
V2 = rec(("id", "string"))  # amount dropped: consumers first


def plan_for(after_schema: SchemaRef, drained: frozenset[str] = frozenset()):
    def side(schema: SchemaRef, label: str) -> Snapshot:
        return Snapshot.of(
            [
                ServiceView("transaction", {"transaction-success": schema}),
                ServiceView("wallet", {}, {"transaction-success": schema}),
                ServiceView("rate", {"exchange-rate": V1}),
            ],
            label,
        )

    return make_plan(Change(side(V1, "main"), side(after_schema, "worktree"), drained))


@pytest.fixture(scope="module")
def safe_plan():
    return plan_for(V2)


@pytest.fixture(scope="module")
def blocked_plan():
    return plan_for(rec(("id", "int"), ("amount", "long")))


def test_text_is_stages_with_each_reason_told_once(safe_plan) -> None:
    text = render(safe_plan, "text")
    assert text.startswith("Release plan main -> worktree: SAFE")
    lines = text.splitlines()
    first = lines.index("Stage 1: wallet")
    assert lines[first + 1] == "  wallet before transaction: transaction-success [1]"
    assert "Stage 2: transaction" in lines
    assert "  [1] READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1 (transaction-success)" in lines
    assert "fix: keep field `amount` in the new schema" in text  # the old reader cannot be edited
    assert "Not deployed (unchanged, still constrain the plan): rate" in text
    assert "Proof: 3 states simulated" in text


def test_text_fits_the_terminal_and_groups_identical_reasons() -> None:
    enum = {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}
    grown = enum | {"symbols": ["A", "B", "C"]}

    def side(kind: dict, label: str) -> Snapshot:
        schema = SchemaRef.of({"type": "record", "name": "E", "fields": [{"name": "k", "type": kind}]})
        consumers = [ServiceView(f"consumer{i}", {}, {"events": schema}) for i in range(12)]
        return Snapshot.of([ServiceView("producer", {"events": schema}), *consumers], label)

    text = render_text(make_plan(Change(side(enum, "main"), side(grown, "worktree"))), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count("MISSING_ENUM_SYMBOLS") == 1  # twelve consumers, one reason
    assert text.count("fix: remove symbol `C` from enum `Kind` in the new schema") == 1
    assert text.count("before producer: events [1]") == 12


def test_json_has_the_documented_shape(safe_plan, blocked_plan) -> None:
    data = json.loads(render(safe_plan, "json"))
    assert data["safe"] is True
    assert [s["services"] for s in data["stages"]] == [["wallet"], ["transaction"]]
    assert data["stages"][0]["reasons"][0].startswith("wallet before transaction:")
    assert data["groups"] == [] and data["blocking"] == []
    assert {"states", "pairs"} <= set(data["proof"])
    blocked = json.loads(render(blocked_plan, "json"))
    assert blocked["safe"] is False
    assert blocked["groups"][0]["services"] == ["transaction", "wallet"]
    kinds = {b["kind"] for b in blocked["blocking"]}
    assert kinds == {"cycle", "migration"}
    first = blocked["blocking"][0]
    assert first["findings"][0]["rule"] == "TYPE_MISMATCH" and first["hint"]
    assert first["reader"]["service"] == "wallet" and first["writer"]["service"] == "transaction"


def test_mermaid_draws_stages_and_constraints(safe_plan, blocked_plan) -> None:
    graph = render(safe_plan, "mermaid")
    assert graph.startswith("flowchart LR\n")
    assert 'subgraph stage1["Stage 1"]' in graph and "stage1 ==> stage2" in graph
    assert 's_wallet -->|"transaction-success: READER_FIELD_MISSING_DEFAULT_VALUE"| s_transaction' in graph
    assert 'subgraph group_transaction_wallet["deploy together"]' in render(blocked_plan, "mermaid")


def test_markdown_is_a_pr_comment(safe_plan, blocked_plan) -> None:
    md = render(safe_plan, "markdown")
    assert md.startswith("### ✅ Release plan: safe")
    assert "| 1 | `wallet` | wallet before transaction:" in md
    assert "```mermaid" in md
    blocked = render(blocked_plan, "markdown")
    assert blocked.startswith("### ❌ Release plan: not safe")
    assert "**Blocking**" in blocked and "_fix:_" in blocked and "> **Warning:**" in blocked


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_an_empty_plan(fmt: str) -> None:
    same = Snapshot.of([ServiceView("p", {"t": V1})], "main")
    assert render(make_plan(Change(same, same)), fmt)


def test_a_break_inside_a_multi_event_topic_names_the_branch_field_that_broke() -> None:
    def events(amount_type: str) -> SchemaRef:
        deposit = {"type": "record", "name": "Deposit", "fields": [{"name": "amount", "type": amount_type}]}
        closed = {"type": "record", "name": "Closed", "fields": [{"name": "at", "type": "long"}]}
        return SchemaRef.of([deposit, closed], label="AccountEvent")

    def side(schema: SchemaRef, label: str) -> Snapshot:
        return Snapshot.of(
            [
                ServiceView("account", {"account-events": schema}),
                ServiceView("ui", {}, {"account-events": schema}),
            ],
            label,
        )

    plan = make_plan(Change(side(events("long"), "main"), side(events("string"), "worktree")))
    text = render(plan, "text")
    assert "[1] MISSING_UNION_BRANCH at /0 (account-events)" in text
    assert "cause: TYPE_MISMATCH at /0/fields/0/type" in text  # the field, not only the union
    assert "_cause:_ `TYPE_MISMATCH at /0/fields/0/type`" in render(plan, "markdown")
