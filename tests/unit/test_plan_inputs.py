"""govern.plan.inputs: the base ref's contracts/ and schemas/ from git against the working tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from git_repos import ROOT, commit_all, git, project

from govern.errors import ExitCode, InputError
from govern.plan.inputs import load_change

TRANSACTION = "schemas/io.govern.exchange.Transaction.avsc"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return commit_all(project(tmp_path))


def test_nothing_changed_against_head(repo: Path) -> None:
    change = load_change(repo, "HEAD")
    assert change.changed() == []
    assert change.before.label == "HEAD" and change.after.label == "worktree"
    wallet = change.after.services["wallet"]
    assert set(wallet.reads) == {"account", "exchange-rate", "transaction-success"}
    assert wallet.reads["transaction-success"].label == "Transaction@worktree"


def test_a_schema_change_marks_its_producer_and_consumers_changed(repo: Path) -> None:
    path = repo / TRANSACTION
    schema = json.loads(path.read_text())
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "processed_at"]
    path.write_text(json.dumps(schema))
    assert load_change(repo, "HEAD").changed() == ["transaction", "ui", "wallet"]


def test_a_contract_change_alone_marks_its_service_changed(repo: Path) -> None:
    contract = repo / "contracts/rate.yaml"
    contract.write_text(contract.read_text() + "\n# touched\n")
    assert load_change(repo, "HEAD").changed() == ["rate"]


def test_an_unknown_ref_is_bad_input(repo: Path) -> None:
    with pytest.raises(InputError, match="unknown git ref 'no-such-branch'") as caught:
        load_change(repo, "no-such-branch")
    assert caught.value.exit_code == ExitCode.BAD_INPUT and caught.value.hint


def test_a_ref_that_looks_like_an_option_is_refused(repo: Path) -> None:
    with pytest.raises(InputError, match="invalid git ref '--output=x'"):
        load_change(repo, "--output=x")


def test_outside_a_git_repository_is_bad_input(tmp_path: Path) -> None:
    project(tmp_path)
    with pytest.raises(InputError, match="not a git repository"):
        load_change(tmp_path, "HEAD")


def test_an_error_in_the_base_names_the_ref_and_the_file(repo: Path) -> None:
    (repo / "contracts/wallet.yaml").write_text("service: wallet\nproduces:\n  - topic: nowhere\n")
    git(repo, "commit", "-qam", "broken")
    git(repo, "tag", "broken")
    shutil.copy(ROOT / "contracts/wallet.yaml", repo / "contracts/wallet.yaml")
    with pytest.raises(InputError) as caught:
        load_change(repo, "broken")
    assert caught.value.message.startswith("broken:contracts/wallet.yaml:3:")
    assert "tmp" not in caught.value.message.split(":", 1)[0]


def test_a_base_without_contracts_makes_every_service_new(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("empty\n")
    commit_all(tmp_path, "first")
    project(tmp_path)
    change = load_change(tmp_path, "HEAD")
    assert change.before.services == {} and "wallet" in change.changed()


def test_a_project_in_a_subdirectory_of_the_repository(tmp_path: Path) -> None:
    sub = project(tmp_path / "platform")
    commit_all(tmp_path)
    (sub / "contracts/rate.yaml").write_text((sub / "contracts/rate.yaml").read_text() + "\n# touched\n")
    assert load_change(sub, "HEAD").changed() == ["rate"]


def test_an_unknown_drained_topic_is_bad_input(repo: Path) -> None:
    with pytest.raises(InputError, match="--drained 'nope'"):
        load_change(repo, "HEAD", ["nope"])
