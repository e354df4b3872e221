"""`govern release-plan` end to end on the exchange: a temporary git repo holding a copy of
contracts/ and schemas/, one schema change in the working tree, the CLI as a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from git_repos import commit_all, git, project, run_release_plan

TRANSACTION = "schemas/io.govern.exchange.Transaction.avsc"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The exchange's contracts/ and schemas/, committed as the base."""
    return commit_all(project(tmp_path))


def edit_transaction(repo: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    path = repo / TRANSACTION
    schema = json.loads(path.read_text())
    change(schema["fields"])
    path.write_text(json.dumps(schema, indent=2) + "\n")


def field(fields: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(f for f in fields if f["name"] == name)


def plan_json(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_release_plan(repo, "--against", "HEAD", "--format", "json", *args)
    assert result.stderr == "", result.stderr
    return result.returncode, json.loads(result.stdout)


def test_removing_a_field_without_default_deploys_consumers_before_the_producer(repo: Path) -> None:
    # processed_at has no default: new readers ignore it, old readers need it (backward, not forward).
    edit_transaction(repo, lambda fields: fields.remove(field(fields, "processed_at")))
    code, plan = plan_json(repo)
    assert code == 0 and plan["safe"] is True
    assert [s["services"] for s in plan["stages"]] == [["ui", "wallet"], ["transaction"]]
    assert any(
        r.startswith("wallet before transaction: wallet's old reader of transaction-success")
        and "READER_FIELD_MISSING_DEFAULT_VALUE" in r
        for r in plan["stages"][0]["reasons"]
    )
    assert plan["unchanged"] == ["account", "rate"]
    assert plan["proof"]["states"] == 5 and plan["proof"]["pairs"] > 0

    text = run_release_plan(repo, "--against", "HEAD")
    assert text.returncode == 0
    assert text.stdout.startswith("Release plan HEAD -> worktree: SAFE")
    assert "Not deployed (unchanged, still constrain the plan): account, rate" in text.stdout


def test_adding_a_field_with_a_default_is_one_stage_in_any_order(repo: Path) -> None:
    edit_transaction(
        repo,
        lambda fields: fields.append({"name": "channel", "type": "string", "default": "web", "doc": "x"}),
    )
    code, plan = plan_json(repo)
    assert code == 0 and plan["safe"] is True
    assert [s["services"] for s in plan["stages"]] == [["transaction", "ui", "wallet"]]
    assert plan["proof"]["states"] == 1 + 7


def test_adding_a_field_without_default_is_producer_first_and_needs_old_records_gone(repo: Path) -> None:
    edit_transaction(repo, lambda fields: fields.append({"name": "channel", "type": "string", "doc": "x"}))
    code, plan = plan_json(repo)
    assert code == 1 and plan["safe"] is False
    assert [s["services"] for s in plan["stages"]] == [["transaction"], ["ui", "wallet"]]
    migrations = {(b["kind"], b["reader"]["service"]) for b in plan["blocking"]}
    # transaction reads its own outcomes back too (the guids answered): its new reader meets old records
    assert migrations == {("migration", "transaction"), ("migration", "ui"), ("migration", "wallet")}
    assert all(b["writer"]["retained_records"] for b in plan["blocking"])
    assert "--drained transaction-success" in plan["blocking"][0]["hint"]

    text = " ".join(run_release_plan(repo, "--against", "HEAD").stdout.split())  # lines wrap
    assert (
        "needs the old records to expire or be migrated: wallet's new reader of transaction-success" in text
    )
    assert "safe once the old records are gone (expired or migrated): then plan with --drained" in text

    # Once the old records are gone (expired or migrated), the same plan is proven safe.
    code, drained = plan_json(repo, "--drained", "transaction-success")
    assert code == 0 and drained["safe"] is True
    assert [s["services"] for s in drained["stages"]] == [["transaction"], ["ui", "wallet"]]


def test_changing_a_field_type_blocks_with_the_pair_and_the_rule(repo: Path) -> None:
    edit_transaction(repo, lambda fields: field(fields, "account_id").update(type="int"))
    result = run_release_plan(repo, "--against", "HEAD")
    assert result.returncode == 1
    assert "NOT SAFE" in result.stdout.splitlines()[0]
    text = " ".join(result.stdout.split())  # lines wrap at the terminal's width
    assert (
        "wallet's old reader of transaction-success (Transaction@HEAD) cannot read transaction's new writer "
        "(Transaction@worktree) [" in text
    )
    assert "TYPE_MISMATCH at /fields/1/type" in text
    assert "hint:" in text and "two phases" in text
    code, plan = plan_json(repo)
    assert code == 1
    assert plan["groups"][0]["services"] == ["transaction", "ui", "wallet"]
    assert {b["findings"][0]["rule"] for b in plan["blocking"]} == {"TYPE_MISMATCH"}
    files = {(b["reader"]["file"], b["writer"]["file"]) for b in plan["blocking"]}
    assert (TRANSACTION, f"HEAD:{TRANSACTION}") in files


@pytest.mark.parametrize("fmt", ["mermaid", "markdown"])
def test_graph_and_pr_comment_formats(repo: Path, fmt: str) -> None:
    edit_transaction(repo, lambda fields: fields.remove(field(fields, "processed_at")))
    result = run_release_plan(repo, "--format", fmt)
    assert result.returncode == 0
    expected = "flowchart LR" if fmt == "mermaid" else "### ✅ Release plan: safe"
    assert result.stdout.startswith(expected)
    assert "s_wallet" in result.stdout


def bad(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""  # never a plan printed from partial data
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_a_contract_naming_an_unknown_topic(repo: Path) -> None:
    path = repo / "contracts/wallet.yaml"
    path.write_text(path.read_text().replace("- topic: transaction-success", "- topic: transaction-sucess"))
    bad(run_release_plan(repo), "contracts/wallet.yaml:10:", "unknown topic 'transaction-sucess'")


def test_a_contract_naming_an_unknown_schema(repo: Path) -> None:
    path = repo / "contracts/topics.yaml"
    path.write_text(
        path.read_text().replace("io.govern.exchange.Transaction.avsc", "io.govern.exchange.Nope.avsc")
    )
    bad(run_release_plan(repo), "contracts/topics.yaml:", "io.govern.exchange.Nope.avsc", "not found")


def test_a_schema_that_does_not_parse(repo: Path) -> None:
    (repo / TRANSACTION).write_text('{"type": "record", "name": "Transaction", "fields": [\n')
    bad(run_release_plan(repo), f"{TRANSACTION}:2:", "invalid JSON")


def test_a_ref_that_does_not_exist(repo: Path) -> None:
    bad(run_release_plan(repo, "--against", "release-41"), "unknown git ref 'release-41'", "hint:")


def test_not_a_git_repository(tmp_path: Path) -> None:
    project(tmp_path)
    bad(run_release_plan(tmp_path), "not a git repository")


def test_an_unknown_drained_topic(repo: Path) -> None:
    bad(run_release_plan(repo, "--drained", "transactions"), "--drained 'transactions'")


def pin_wallet_reader(repo: Path) -> None:
    """wallet pins its own copy of today's Transaction as its reader (committed in the base)."""
    pinned = "contracts/readers/wallet/io.govern.exchange.Transaction.avsc"
    (repo / pinned).parent.mkdir(parents=True)
    shutil.copy(repo / TRANSACTION, repo / pinned)
    contract = repo / "contracts/wallet.yaml"
    contract.write_text(
        contract.read_text().replace(
            "  - topic: transaction-success\n",
            f"  - topic: transaction-success\n    reader_schema: {pinned}\n",
        )
    )
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "wallet pins its reader")


def test_a_consumer_pinning_its_reader_is_not_deployed_but_still_constrains(repo: Path) -> None:
    pin_wallet_reader(repo)
    edit_transaction(
        repo,
        lambda fields: fields.append({"name": "channel", "type": "string", "default": "web", "doc": "x"}),
    )
    code, plan = plan_json(repo)
    assert code == 0 and [s["services"] for s in plan["stages"]] == [["transaction", "ui"]]
    assert "wallet" in plan["unchanged"]

    # Dropping processed_at instead: wallet's pinned reader needs it and wallet is not changing.
    git(repo, "checkout", "--", TRANSACTION)
    edit_transaction(repo, lambda fields: fields.remove(field(fields, "processed_at")))
    code, plan = plan_json(repo)
    assert code == 1 and "wallet" in plan["unchanged"]
    [blocker] = plan["blocking"]
    assert blocker["kind"] == "head" and blocker["reader"]["service"] == "wallet"
    assert blocker["reader"]["file"] == "contracts/readers/wallet/io.govern.exchange.Transaction.avsc"
    assert blocker["findings"][0]["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
