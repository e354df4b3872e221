"""The complexity budget of compatibility work: big unions stay linear, anything beyond the budget
is one clear refusal naming the limit and its setting (exit 2 in the CLI), never a blow-up."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govern.avro import parse_schema
from govern.cli.app import app
from govern.compat import check_pair
from govern.compat.limits import ComplexityExceeded, Limits, admit, limits_in_force, measure
from govern.compat.rules import check_nodes


def union(names: list[str], fields: list[dict[str, Any]] | None = None) -> str:
    branches = [{"type": "record", "name": name, "fields": fields or []} for name in names]
    return json.dumps(branches)


def nested(depth: int, doc: str = "") -> str:
    """A record nesting `depth` records (the innermost holds an int), as text: too deep for json.dumps."""
    text = f'{{"type":"record","name":"N{depth}","fields":[{{"name":"v","type":"int"}}]}}'
    for level in range(depth - 1, 0, -1):
        text = f'{{"type":"record","name":"N{level}","fields":[{{"name":"inner","type":{text}}}]}}'
    return text if not doc else text[:-1] + f',"doc":"{doc}"}}'


def arrays(depth: int, doc: str = "") -> str:
    """`depth` arrays nested in each other around an int: 400 parse, so only the budget refuses them."""
    inner = '"int"' if not doc else f'{{"type":"int","doc":"{doc}"}}'
    return '{"type":"array","items":' * depth + inner + "}" * depth


def test_measure_counts_depth_and_nodes_once_per_named_type() -> None:
    assert measure(parse_schema('"int"').root) == (1, 1)
    assert measure(parse_schema(nested(5)).root) == (6, 6)  # 5 records + the int
    linked = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "next", "type": ["null", "Node"]}, {"name": "v", "type": "int"}],
    }
    assert measure(parse_schema(json.dumps(linked)).root) == (3, 4)  # record, union, null, int


def test_admit_refuses_depth_and_size_naming_limit_and_setting() -> None:
    with pytest.raises(ComplexityExceeded) as caught:
        admit(parse_schema(arrays(400)).root, Limits())
    assert (
        caught.value.message
        == "schema nests 401 levels deep, beyond the limit of 64 (GOVERN_COMPAT_MAX_DEPTH)"
    )
    with pytest.raises(ComplexityExceeded, match="schema nests 131 levels deep"):
        admit(parse_schema(nested(130)).root, Limits())
    admit(parse_schema(nested(63)).root, Limits())
    with pytest.raises(
        ComplexityExceeded, match=r"1001 schema nodes, beyond the limit of 1000 \(GOVERN_COMPAT_MAX_NODES"
    ):
        admit(parse_schema(union([f"R{i}" for i in range(1000)])).root, Limits(max_nodes=1000))


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVERN_COMPAT_MAX_PAIRS", "1234")
    assert Limits.from_environment() == Limits(max_pairs=1234)
    monkeypatch.setenv("GOVERN_COMPAT_MAX_DEPTH", "deep")
    with pytest.raises(ComplexityExceeded.__mro__[1], match="GOVERN_COMPAT_MAX_DEPTH='deep'"):
        Limits.from_environment()


def test_disjoint_20000_branch_unions_are_checked_in_linear_time() -> None:
    reader = parse_schema(union([f"A{i}" for i in range(20_000)]))
    writer = parse_schema(union([f"B{i}" for i in range(20_000)]))
    started = time.perf_counter()
    found = check_nodes(reader.root, writer.root)
    assert time.perf_counter() - started < 5  # quadratic took minutes
    assert len(found) == 20_000 and {f.rule for f in found} == {"MISSING_UNION_BRANCH"}


def test_disjoint_unions_are_checked_in_linear_memory() -> None:
    reader = parse_schema(union([f"A{i}" for i in range(5_000)]))
    writer = parse_schema(union([f"B{i}" for i in range(5_000)]))
    tracemalloc.start()
    try:
        check_nodes(reader.root, writer.root)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024 * 1024  # quadratic: about 750 bytes x 5,000^2, i.e. 19 GB


def test_matching_unions_compare_each_branch_with_its_counterpart_only() -> None:
    names = [f"R{i}" for i in range(5_000)]
    old = parse_schema(union(names))
    new = parse_schema(union(names, [{"name": "x", "type": "int", "default": 0}]))
    # the two unions, then for each branch: (union, branch) and (branch, its counterpart)
    with limits_in_force(Limits(max_pairs=10_001)):
        assert check_pair(new, old).compatible
        assert not check_pair(old, new).findings  # a reader ignores the writer's extra field


def test_same_short_names_none_compatible_hit_the_pair_budget_not_the_memory() -> None:
    required = [{"name": "x", "type": "int"}]
    reader = parse_schema(
        json.dumps(
            [{"type": "record", "name": "R", "namespace": f"a{i}", "fields": required} for i in range(2000)]
        )
    )
    writer = parse_schema(
        json.dumps([{"type": "record", "name": "R", "namespace": f"b{i}", "fields": []} for i in range(2000)])
    )
    with pytest.raises(ComplexityExceeded, match=r"more than 10000 pairs .*\(GOVERN_COMPAT_MAX_PAIRS\)"):
        check_nodes(reader.root, writer.root, Limits(max_pairs=10_000))


def test_a_check_deeper_than_the_budget_is_refused_not_a_recursion_error() -> None:
    old = parse_schema(arrays(400))
    new = parse_schema(arrays(400, doc="v2"))
    with pytest.raises(ComplexityExceeded, match=r"descends more than 136 levels"):
        check_pair(new, old)


def test_cli_compat_exits_2_with_one_line_naming_the_limit(tmp_path: Path) -> None:
    old, new = tmp_path / "old.avsc", tmp_path / "new.avsc"
    old.write_text(arrays(400))
    new.write_text(arrays(400, doc="v2"))
    result = CliRunner().invoke(app, ["compat", str(old), str(new)])
    assert result.exit_code == 2, result.output
    assert "GOVERN_COMPAT_MAX_DEPTH" in result.stderr
