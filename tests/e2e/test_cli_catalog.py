"""`govern catalog` end to end, as a user's script runs it: a subprocess, stdout, exit code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "account-request": (["ui"], ["account"]),
    "account": (["account"], ["transaction", "ui", "wallet"]),
    "exchange-rate": (["rate"], ["transaction", "ui", "wallet"]),
    "transaction-request": (["ui"], ["transaction"]),
    "transaction-success": (["transaction"], ["transaction", "ui", "wallet"]),  # read back: guids answered
    "transaction-failed": (["transaction"], ["transaction", "ui"]),
    "wallet": (["wallet"], ["ui"]),
}


def govern(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def test_json_lists_the_exchange_topics() -> None:
    result = govern("catalog", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    topics = {t["name"]: t for t in data["topics"] if not t.get("internal")}
    assert set(topics) == set(EXPECTED)
    for name, (producers, consumers) in EXPECTED.items():
        topic = topics[name]
        assert (topic["producers"], topic["consumers"]) == (producers, consumers), name
        assert set(topic["value_schema"]) >= {"name", "file"}
        assert {"key", "compatibility", "partitions", "cleanup_policy"} <= set(topic)
    assert topics["wallet"]["cleanup_policy"] == "compact"
    services = {s["name"]: s for s in data["services"]}
    assert set(services) == {"account", "rate", "transaction", "ui", "wallet"}
    assert services["rate"]["produces"] == ["exchange-rate"]


def test_root_option_and_text_table(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("cwd")
    result = govern("catalog", "--root", str(tree), cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    for name in EXPECTED:
        assert name in result.stdout
    assert "io.govern.exchange.Wallet" in result.stdout


def test_bad_contract_exits_2_naming_file_and_line(tree: Path) -> None:
    ui = tree / "contracts" / "ui.yaml"
    ui.write_text(ui.read_text().replace("  - topic: wallet", "  - topic: walet"))
    line = next(n for n, text in enumerate(ui.read_text().splitlines(), 1) if "walet" in text)
    result = govern("catalog", "--root", str(tree), "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    first, *rest = result.stderr.strip().splitlines()
    assert first.startswith("error: ") and f"{ui}:{line}: unknown topic 'walet'" in first
    assert rest and rest[0].startswith("hint: ")


def test_bad_schema_exits_2(tree: Path) -> None:
    path = tree / "schemas" / "io.govern.exchange.Wallet.avsc"
    path.write_text(path.read_text().replace('"fields": [', '"fields" [', 1))
    result = govern("catalog", "--root", str(tree))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{path}:" in result.stderr and "invalid JSON" in result.stderr


def test_missing_root_exits_2(tmp_path: Path) -> None:
    result = govern("catalog", "--root", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "contracts directory not found" in result.stderr


def test_unknown_format_is_a_usage_error() -> None:
    result = govern("catalog", "--format", "yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
