"""`govern register` sends each topic's data contract from contracts/data-contracts/<topic>.yaml."""

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
    with serve_in_thread(None) as base:
        yield base


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "contracts" / "data-contracts").mkdir()
    return tmp_path


def statuses(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return {s["subject"]: s["status"] for s in json.loads(result.stdout)["subjects"]}


def test_register_sends_the_topic_contract_and_a_changed_contract_is_a_new_version(
    tree: Path, url: str
) -> None:
    path = tree / "contracts" / "data-contracts" / "wallet.yaml"
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
    (tree / "contracts" / "data-contracts" / "wallet.yaml").write_text(
        CONTRACT.replace("mode: WRITE", "mode: UPGRADE")
    )
    result = govern("register", "--registry", url, cwd=tree)
    assert result.returncode == 2
    assert "contracts/data-contracts/wallet.yaml:1: value: Invalid rule 'hasAccount'" in result.stderr
    with Client(url) as client:
        assert client.subjects() == []
