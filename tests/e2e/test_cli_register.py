"""`govern register` and `govern check --registry` end to end against our embedded registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from govern.registry import Client
from govern.registry.server.run import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
WALLET = "schemas/io.govern.exchange.Wallet.avsc"
# contracts/data-contracts/wallet.yaml: the wallet topic's data contract (registry-kafka's tests)
CONTRACT = """\
value:
  metadata:
    properties: {owner: wallet, application.major.version: "1"}
  ruleSet:
    domainRules:
      - name: hasAccount
        kind: CONDITION
        mode: WRITE
        type: CEL
        expr: message.account_id != ''
"""


def govern(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GOVERN_REGISTRY_URL"}
    return subprocess.run(
        [sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def url() -> Iterator[str]:
    """A fresh embedded registry per test (in memory), so each starts empty."""
    with serve_in_thread(None) as base:
        yield base


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def register(tree: Path, url: str, *args: str) -> tuple[int, dict]:
    result = govern("register", "--registry", url, "--format", "json", *args, cwd=tree)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def add_field(tree: Path, field: str) -> None:
    path = tree / WALLET
    text = path.read_text()
    path.write_text(text.replace('"fields": [\n', f'"fields": [\n    {field},\n', 1))


def test_register_twice_second_run_changes_nothing(tree: Path, url: str) -> None:
    code, first = register(tree, url)
    assert code == 0 and first["changed"] is True
    statuses = {s["subject"]: s["status"] for s in first["subjects"]}
    assert set(statuses.values()) == {"registered"}
    # shared types first, as their own subjects, then referenced by full name
    assert list(statuses)[:2] == ["io.govern.exchange.Address", "io.govern.exchange.TransactionType"]
    success = next(s for s in first["subjects"] if s["subject"] == "transaction-success-value")
    assert success["references"] == [
        {
            "name": "io.govern.exchange.TransactionType",
            "subject": "io.govern.exchange.TransactionType",
            "version": 1,
        }
    ]
    with Client(url) as client:
        before = {s: client.versions(s) for s in client.subjects()}
        assert client.get_config("wallet-value", default_to_global=True).compatibility == "BACKWARD"
    code, second = register(tree, url)
    assert code == 0 and second["changed"] is False
    assert {s["status"] for s in second["subjects"]} == {"unchanged"}
    assert {s["level_status"] for s in second["subjects"]} == {"unchanged"}
    with Client(url) as client:
        assert {s: client.versions(s) for s in client.subjects()} == before
    text = govern("register", "--registry", url, cwd=tree)
    assert text.returncode == 0 and "nothing to do" in text.stdout


def test_a_shared_type_registers_under_the_subject_reference_subjects_names(tree: Path, url: str) -> None:
    topics = tree / "contracts" / "topics.yaml"
    text = topics.read_text().replace(
        "version: 1\n",
        "version: 1\nreference_subjects:\n  io.govern.exchange.TransactionType: shared-txn-type\n",
        1,
    )
    topics.write_text(text)
    code, first = register(tree, url)
    assert code == 0
    subjects = [s["subject"] for s in first["subjects"]]
    assert "shared-txn-type" in subjects and "io.govern.exchange.TransactionType" not in subjects
    success = next(s for s in first["subjects"] if s["subject"] == "transaction-success-value")
    assert success["references"] == [
        {"name": "io.govern.exchange.TransactionType", "subject": "shared-txn-type", "version": 1}
    ]
    code, second = register(tree, url)
    assert code == 0 and second["changed"] is False


def test_dry_run_shows_new_version_and_incompatible_without_writing(tree: Path, url: str) -> None:
    register(tree, url)
    add_field(tree, '{"name": "fee", "type": ["null", "int"], "default": null, "doc": "x"}')
    code, planned = register(tree, url, "--dry-run")
    assert code == 0 and planned["dry_run"] is True
    wallet = next(s for s in planned["subjects"] if s["subject"] == "wallet-value")
    assert (wallet["status"], wallet["version"]) == ("new version", 2)
    with Client(url) as client:
        assert client.versions("wallet-value") == [1]
    add_field(tree, '{"name": "tax", "type": "int", "doc": "x"}')
    code, planned = register(tree, url, "--dry-run", "--subject", "wallet-value")
    assert code == 1
    [wallet] = planned["subjects"]
    assert wallet["status"] == "incompatible"
    assert wallet["findings"][0]["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    code, done = register(tree, url)  # for real: still refused, nothing written for it
    assert code == 1
    with Client(url) as client:
        assert client.versions("wallet-value") == [1]


def test_level_from_contracts_is_set(tree: Path, url: str) -> None:
    topics = tree / "contracts/topics.yaml"
    topics.write_text(
        topics.read_text().replace("\n  wallet:\n", "\n  wallet:\n    compatibility: FULL_TRANSITIVE\n")
    )
    code, data = register(tree, url, "--subject", "wallet-value")
    assert code == 0
    assert data["subjects"][0]["level_status"] == "set"
    with Client(url) as client:
        assert client.get_config("wallet-value").compatibility == "FULL_TRANSITIVE"


def test_check_against_registry_and_ask_registry_disagreement(tree: Path, url: str) -> None:
    register(tree, url)
    result = govern("check", "--registry", url, cwd=tree)
    assert result.returncode == 0 and "no changed subjects" in result.stdout
    add_field(tree, '{"name": "tax", "type": "int", "doc": "x"}')
    result = govern("check", "--registry", url, "--format", "json", cwd=tree)
    assert result.returncode == 1
    [entry] = json.loads(result.stdout)["subjects"]
    assert (
        entry["subject"] == "wallet-value"
        and entry["findings"][0]["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    )
    with Client(url) as client:  # someone loosened the level on the registry by hand
        client.set_config("NONE", subject="wallet-value")
    result = govern("check", "--registry", url, "--ask-registry", "--format", "json", cwd=tree)
    assert result.returncode == 1
    [entry] = json.loads(result.stdout)["subjects"]
    rules = [f["rule"] for f in entry["findings"]]
    assert "REGISTRY_DISAGREES" in rules
    disagreement = entry["findings"][rules.index("REGISTRY_DISAGREES")]
    assert "NONE" in disagreement["message"]


def test_env_registry_url_is_used(tree: Path, url: str) -> None:
    env = {**os.environ, "GOVERN_REGISTRY_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "govern", "register"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr


def test_no_registry_configured_is_bad_input(tree: Path) -> None:
    result = govern("register", cwd=tree)
    assert result.returncode == 2 and "--registry" in result.stderr


def statuses(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return {s["subject"]: s["status"] for s in json.loads(result.stdout)["subjects"]}


def test_register_sends_the_topic_contract_and_a_changed_contract_is_a_new_version(
    tree: Path, url: str
) -> None:
    path = tree / "contracts" / "data-contracts" / "wallet.yaml"
    path.parent.mkdir()
    path.write_text(CONTRACT)
    assert (
        statuses(govern("register", "--registry", url, "--format", "json", cwd=tree))["wallet-value"]
        == "registered"
    )
    with Client(url) as client:
        latest = client.get_latest("wallet-value")
        assert latest.metadata == {"properties": {"owner": "wallet", "application.major.version": "1"}}
        assert [r["name"] for r in latest.rule_set["domainRules"]] == ["hasAccount"]
    again = statuses(govern("register", "--registry", url, "--format", "json", cwd=tree))
    assert set(again.values()) == {"unchanged"}
    path.write_text(CONTRACT.replace("owner: wallet", "owner: treasury"))
    changed = statuses(govern("register", "--registry", url, "--format", "json", cwd=tree))
    assert changed["wallet-value"] == "registered"
    assert {s for s, v in changed.items() if v != "unchanged"} == {"wallet-value"}
    with Client(url) as client:
        assert client.get_latest("wallet-value").version == 2


def test_a_bad_rule_stops_register_before_any_write(tree: Path, url: str) -> None:
    path = tree / "contracts" / "data-contracts" / "wallet.yaml"
    path.parent.mkdir()
    path.write_text(CONTRACT.replace("mode: WRITE", "mode: UPGRADE"))
    result = govern("register", "--registry", url, cwd=tree)
    assert result.returncode == 2
    assert "contracts/data-contracts/wallet.yaml:1: value: Invalid rule 'hasAccount'" in result.stderr
    with Client(url) as client:
        assert client.subjects() == []
