"""Explanations that do not mislead: the real cause inside a union, and hints that edit the new schema.

Avro (and Confluent) report a union whose branch cannot read the writer's as MISSING_UNION_BRANCH
at the union, with nothing about why; these tests pin govern's cause (the nested field and its
file:line) and that the fix always goes into the new schema, whichever side reads.
"""

from __future__ import annotations

from pathlib import Path

from govern.avro import parse_schema
from govern.compat import check_level, check_pair
from govern.plan import Change, SchemaRef, ServiceView, Snapshot, make_plan
from govern.report.github import annotation

DATA = Path(__file__).resolve().parents[1] / "data" / "explain"
BALANCE_V1 = DATA / "Balance.v1.avsc"  # currency
BALANCE_V2 = DATA / "Balance.v2.avsc"  # currency, amount (no default) at line 7
WALLET = DATA / "Wallet.avsc"  # balances: ["null", {"type": "array", "items": "Balance"}]


def _wallet(balance: Path):  # noqa: ANN202
    return parse_schema(WALLET, references=[parse_schema(balance)])


def test_a_union_finding_names_the_nested_field_in_the_file_that_changed() -> None:
    result = check_level("BACKWARD", _wallet(BALANCE_V2), [_wallet(BALANCE_V1)])
    [finding] = result.findings
    # Avro's own verdict and message are kept, as Confluent reports them
    assert (finding.rule, finding.location) == ("MISSING_UNION_BRANCH", "/fields/1/type/1")
    assert finding.message == "reader union lacking writer type: ARRAY"
    # ... but the explanation is the nested cause, not "add array back" (the array is still there)
    assert "add array back" not in finding.hint
    assert finding.hint == "give field `amount` a default"
    assert "field `amount`" in finding.reason and "branch for array" in finding.reason
    [cause] = finding.causes
    assert cause.rule == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert cause.location == "/fields/1/type/1/items/fields/1"
    # the place to fix is the field in Balance.v2.avsc, not the untouched Wallet.avsc
    assert finding.place is not None
    assert (finding.place.file, finding.place.line) == (str(BALANCE_V2), 7)
    assert f"file={BALANCE_V2},line=7" in annotation("wallet-value", finding)


def test_forward_hints_edit_the_new_schema_not_the_deployed_reader() -> None:
    # FORWARD: the old schema reads data the new one writes; the new one dropped `amount`
    result = check_level("FORWARD", parse_schema(BALANCE_V1), [parse_schema(BALANCE_V2)])
    [finding] = result.findings
    assert finding.rule == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert (finding.reader.role, finding.writer.role) == ("old", "new")
    assert finding.hint.startswith("keep field `amount` in the new schema")
    assert "give field `amount` a default" != finding.hint
    assert finding.place is not None and finding.place.file == str(BALANCE_V1)


def test_forward_union_cause_points_into_the_new_file() -> None:
    result = check_level("FULL", _wallet(BALANCE_V1), [_wallet(BALANCE_V2)])
    forward = [f for f in result.findings if f.reader.role == "old"]
    [finding] = forward
    assert finding.rule == "MISSING_UNION_BRANCH" and "add array back" not in finding.hint
    assert finding.hint.startswith("keep field `amount` in the new schema")
    assert finding.place is not None and finding.place.file == str(BALANCE_V1)


def test_forward_type_change_hint_edits_the_new_schema() -> None:
    old = '{"type": "record", "name": "R", "fields": [{"name": "id", "type": "string"}]}'
    new = '{"type": "record", "name": "R", "fields": [{"name": "id", "type": "int"}]}'
    [finding] = check_level("FORWARD", new, [old]).findings
    assert finding.hint.startswith("write string here again in the new schema")
    assert "in the old schema" not in finding.hint


def test_backward_hints_are_unchanged() -> None:
    [finding] = check_level("BACKWARD", parse_schema(BALANCE_V2), [parse_schema(BALANCE_V1)]).findings
    assert finding.hint == "give field `amount` a default"
    assert check_pair('"int"', '"long"').findings[0].hint.startswith("keep long in the reader schema")


def _rec(id_type: str) -> SchemaRef:
    schema = {"type": "record", "name": "T", "fields": [{"name": "id", "type": id_type}]}
    return SchemaRef.of(schema, label="T")


def test_release_plan_hint_for_an_old_reader_edits_the_new_writer() -> None:
    def side(schema: SchemaRef, label: str) -> Snapshot:
        return Snapshot.of(
            [ServiceView("producer", {"t": schema}), ServiceView("consumer", {}, {"t": schema})], label
        )

    plan = make_plan(Change(side(_rec("string"), "main"), side(_rec("int"), "worktree")))
    old_reader = [b for b in plan.blockers if b.kind == "cycle" and b.violation.reader_side == "old"]
    assert old_reader, [b.text() for b in plan.blockers]
    hint = old_reader[0].hint
    assert hint.startswith("write string here again in the new schema"), hint
    new_reader = [b for b in plan.blockers if b.kind == "cycle" and b.violation.reader_side == "new"]
    assert new_reader[0].hint.startswith("keep string in the new schema"), new_reader[0].hint
