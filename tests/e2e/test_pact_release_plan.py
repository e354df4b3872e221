"""`govern release-plan` with the pact constraint source, end to end: a temporary git repo holding
the exchange's contracts/ (pacts included) and schemas/, a change in the working tree, the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from git_repos import commit_all, project, run_release_plan

TRANSACTION = "schemas/io.govern.exchange.Transaction.avsc"
UI_PACT = "contracts/pacts/ui-transaction.json"


def release_plan(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_release_plan(cwd, "--against", "HEAD", *args)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return commit_all(project(tmp_path))


def add_fee_field(repo: Path) -> None:
    """transaction-success gains an optional `fee` (with a default: Avro-compatible both ways)."""
    path = repo / TRANSACTION
    schema = json.loads(path.read_text())
    schema["fields"].insert(
        -1,
        {
            "name": "fee",
            "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 24, "scale": 8}],
            "default": None,
            "doc": "Fee charged.",
        },
    )
    path.write_text(json.dumps(schema, indent=2) + "\n")


def ui_pact_expects_fee(repo: Path) -> None:
    path = repo / UI_PACT
    pact: dict[str, Any] = json.loads(path.read_text())
    deposit = next(i for i in pact["interactions"] if i["description"] == "a deposit applied")
    deposit["contents"]["content"]["fee"] = "0.10000000"
    path.write_text(json.dumps(pact, indent=2) + "\n")


def test_a_pact_relying_on_a_new_field_deploys_the_producer_before_the_consumer(repo: Path) -> None:
    add_fee_field(repo)
    ui_pact_expects_fee(repo)
    result = release_plan(repo, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads(result.stdout)
    assert plan["safe"] is True
    assert [s["services"] for s in plan["stages"]] == [["transaction", "wallet"], ["ui"]]
    [constraint] = [c for c in plan["constraints"] if (c["first"], c["then"]) == ("transaction", "ui")]
    assert "PACT_FIELD_MISSING at /fee" in constraint["reason"]
    assert "pact ui-transaction@new" in constraint["reason"]
    text = release_plan(repo)
    assert text.returncode == 0
    assert "transaction before ui" in text.stdout and "PACT_FIELD_MISSING" in text.stdout


def test_the_same_schema_change_without_the_pact_has_no_order(repo: Path) -> None:
    add_fee_field(repo)
    result = release_plan(repo, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads(result.stdout)
    assert plan["constraints"] == [] and [s["services"] for s in plan["stages"]] == [
        ["transaction", "ui", "wallet"]
    ]


def test_a_pact_expecting_a_field_nobody_writes_makes_the_plan_unsafe(repo: Path) -> None:
    ui_pact_expects_fee(repo)  # no schema change: the new ui relies on a field no release writes
    result = release_plan(repo, "--format", "json")
    assert result.returncode == 1
    plan = json.loads(result.stdout)
    assert [
        (b["kind"], b["findings"][0]["rule"], b["findings"][0]["location"]) for b in plan["blocking"]
    ] == [("head", "PACT_FIELD_MISSING", "/fee")]
    assert plan["blocking"][0]["reader"]["file"] == UI_PACT
