"""`govern check` end to end: the CLI in a subprocess, in temporary git repositories.

Each test copies contracts/ and schemas/ into a fresh repository, commits v1 (the base), edits
the working tree and asserts exit code, rule, file and line, as a CI job would see them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WALLET = "schemas/io.govern.exchange.Wallet.avsc"
TYPE = "schemas/io.govern.exchange.TransactionType.avsc"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def govern(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GOVERN_REGISTRY_URL"}
    return subprocess.run(
        [sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, env={**os.environ, **GIT_ENV}, check=True
    )
    return done.stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def insert_field(repo: Path, rel: str, field: str) -> int:
    """Insert a one-line field first in the record's fields; its 1-based line."""
    path = repo / rel
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if '"fields": [' in line) + 1
    lines.insert(at, f"    {field},")
    path.write_text("\n".join(lines) + "\n")
    return at + 1


def replace(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(repo: Path, rel: str, needle: str) -> int:
    return next(i for i, line in enumerate((repo / rel).read_text().splitlines(), 1) if needle in line)


def set_level(repo: Path, topic: str, level: str) -> None:
    replace(repo, "contracts/topics.yaml", f"\n  {topic}:\n", f"\n  {topic}:\n    compatibility: {level}\n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "v1")
    return tmp_path


def check_json(repo: Path, *args: str) -> tuple[int, dict]:
    result = govern("check", "--against", "main", "--format", "json", *args, cwd=repo)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def findings(data: dict, subject: str) -> list[dict]:
    entry = next(s for s in data["subjects"] if s["subject"] == subject)
    return entry["findings"]


def test_nothing_changed_exits_0(repo: Path) -> None:
    result = govern("check", "--against", "main", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no changed subjects" in result.stdout


def test_compatible_change_exits_0(repo: Path) -> None:
    insert_field(repo, WALLET, '{"name": "fee", "type": ["null", "int"], "default": null, "doc": "x"}')
    code, data = check_json(repo)
    assert code == 0 and data["compatible"] is True
    assert [s["subject"] for s in data["subjects"]] == ["wallet-value"]
    assert data["subjects"][0]["status"] == "changed"


def test_field_added_without_default_under_backward(repo: Path) -> None:
    line = insert_field(repo, WALLET, '{"name": "fee", "type": "int", "doc": "x"}')
    code, data = check_json(repo)
    assert code == 1 and data["compatible"] is False
    [finding] = findings(data, "wallet-value")
    assert finding["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert (finding["file"], finding["line"]) == (WALLET, line)
    assert finding["accepted"] is False and "default" in finding["hint"]


def test_field_removed_without_default_under_full(repo: Path) -> None:
    set_level(repo, "wallet", "FULL")
    commit(repo, "wallet is FULL")
    removed = line_of(repo, WALLET, '"name": "account_id"')
    replace(repo, WALLET, (repo / WALLET).read_text().splitlines()[removed - 1] + "\n", "")
    code, data = check_json(repo)
    assert code == 1
    [finding] = findings(data, "wallet-value")
    assert finding["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert finding["location"] == "/fields/0"
    assert finding["file"] == WALLET and finding["line"] == 1  # the record that no longer writes it
    assert finding["other"]["line"] == removed  # the field, in the base version
    assert finding["other"]["file"].endswith(":" + WALLET)


def test_field_type_changed_int_to_string(repo: Path) -> None:
    line = insert_field(repo, WALLET, '{"name": "count", "type": "int", "default": 0, "doc": "x"}')
    commit(repo, "v2 with count")
    replace(repo, WALLET, '"type": "int", "default": 0', '"type": "string", "default": ""')
    code, data = check_json(repo)
    assert code == 1
    [finding] = findings(data, "wallet-value")
    assert finding["rule"] == "TYPE_MISMATCH"
    assert (finding["file"], finding["line"]) == (WALLET, line)


def test_enum_symbol_removed(repo: Path) -> None:
    replace(repo, TYPE, '"WITHDRAW", "EXCHANGE"],\n  "default": "UNKNOWN"', '"WITHDRAW"]')
    code, data = check_json(repo)
    assert code == 1
    changed = {s["subject"] for s in data["subjects"]}
    assert changed == {"transaction-request-value", "transaction-success-value", "transaction-failed-value"}
    for subject in changed:
        [finding] = findings(data, subject)
        assert finding["rule"] == "MISSING_ENUM_SYMBOLS"
        assert "EXCHANGE" in finding["message"]
        assert finding["file"] == TYPE  # the referenced file that changed, not the record using it
        assert finding["line"] is not None


def test_record_renamed_without_alias(repo: Path) -> None:
    new = "schemas/io.govern.exchange.WalletSnapshot.avsc"
    git(repo, "mv", WALLET, new)
    replace(repo, new, '"name": "Wallet",', '"name": "WalletSnapshot",')
    replace(repo, "contracts/topics.yaml", WALLET, new)
    code, data = check_json(repo)
    assert code == 1
    [finding] = findings(data, "wallet-value")
    assert finding["rule"] == "NAME_MISMATCH"
    assert finding["file"] == new and finding["line"] is not None
    assert "aliases" in finding["hint"]


def test_alias_makes_the_rename_compatible(repo: Path) -> None:
    new = "schemas/io.govern.exchange.WalletSnapshot.avsc"
    git(repo, "mv", WALLET, new)
    alias = '"name": "WalletSnapshot", "aliases": ["io.govern.exchange.Wallet"],'
    replace(repo, new, '"name": "Wallet",', alias)
    replace(repo, "contracts/topics.yaml", WALLET, new)
    code, data = check_json(repo)
    assert code == 0, data


LEDGER = """\
version: 1
breaks:
  - subject: wallet-value
    rule: READER_FIELD_MISSING_DEFAULT_VALUE
    location: /fields/0
    reason: every wallet reader is redeployed with the new schema first
    owner: team-wallet
    expires: {expires}
"""


def test_accepted_break_exits_0_and_is_shown(repo: Path) -> None:
    insert_field(repo, WALLET, '{"name": "fee", "type": "int", "doc": "x"}')
    (repo / "contracts/accepted-breaks.yaml").write_text(LEDGER.format(expires="2999-12-31"))
    result = govern("check", "--against", "main", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accepted" in result.stdout and "team-wallet" in result.stdout
    code, data = check_json(repo)
    assert code == 0 and findings(data, "wallet-value")[0]["accepted"] is True


def test_expired_accepted_break_exits_1(repo: Path) -> None:
    insert_field(repo, WALLET, '{"name": "fee", "type": "int", "doc": "x"}')
    (repo / "contracts/accepted-breaks.yaml").write_text(LEDGER.format(expires="2020-01-01"))
    code, data = check_json(repo)
    assert code == 1
    rules = [f["rule"] for f in findings(data, "wallet-value")]
    assert "ACCEPTED_BREAK_EXPIRED" in rules and "READER_FIELD_MISSING_DEFAULT_VALUE" in rules


def test_consumer_pinned_reader_is_checked(repo: Path) -> None:
    readers = repo / "contracts/readers/wallet"
    readers.mkdir(parents=True)
    reader = "contracts/readers/wallet/io.govern.exchange.Account.avsc"
    shutil.copy(repo / "schemas/io.govern.exchange.Account.avsc", repo / reader)
    line = insert_field(repo, reader, '{"name": "tier", "type": "string", "doc": "x"}')
    pinned = f"  - topic: account\n    reader_schema: {reader}\n"
    replace(repo, "contracts/wallet.yaml", "  - topic: account\n", pinned)
    code, data = check_json(repo)
    assert code == 1
    [finding] = findings(data, "account-value")
    assert finding["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert finding["against"].startswith("consumer wallet")
    assert (finding["other"]["file"], finding["other"]["line"]) == (reader, line)


def test_removed_topic_with_consumers_is_a_finding(repo: Path) -> None:
    replace(repo, "contracts/ui.yaml", "  - topic: wallet\n", "")
    replace(repo, "contracts/wallet.yaml", "produces:\n  - topic: wallet\n", "")
    text = (repo / "contracts/topics.yaml").read_text()
    start = text.index("\n  wallet:\n")
    end = text.index("\n\n", start + 1)
    (repo / "contracts/topics.yaml").write_text(text[:start] + text[end:])
    code, data = check_json(repo)
    assert code == 1
    [finding] = findings(data, "wallet-value")
    assert finding["rule"] == "REMOVED_TOPIC_HAS_CONSUMERS" and "ui" in finding["message"]


def test_transitive_level_uses_every_version_in_history(repo: Path) -> None:
    set_level(repo, "wallet", "BACKWARD_TRANSITIVE")
    insert_field(repo, WALLET, '{"name": "n", "type": "int", "default": 0, "doc": "x"}')
    commit(repo, "v2: n is an int")
    replace(repo, WALLET, '    {"name": "n", "type": "int", "default": 0, "doc": "x"},\n', "")
    commit(repo, "v3: n removed")
    line = insert_field(repo, WALLET, '{"name": "n", "type": "string", "default": "", "doc": "x"}')
    code, data = check_json(repo)
    assert code == 1, data
    [finding] = findings(data, "wallet-value")
    assert finding["rule"] == "TYPE_MISMATCH" and finding["line"] == line
    assert finding["against"].startswith("v2 ")  # the version where n was an int
    # the same change is fine against the latest version only
    replace(repo, "contracts/topics.yaml", "compatibility: BACKWARD_TRANSITIVE", "compatibility: BACKWARD")
    result = govern("check", "--against", "main", cwd=repo)
    assert result.returncode == 0, result.stdout


def test_detached_head_and_tag(repo: Path) -> None:
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "--detach")
    insert_field(repo, WALLET, '{"name": "fee", "type": "int", "doc": "x"}')
    result = govern("check", "--against", "v1", "--format", "github", cwd=repo)
    assert result.returncode == 1
    assert result.stdout.startswith(f"::error file={WALLET},line=")


def test_shallow_clone_says_how_to_deepen(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    set_level(repo, "wallet", "BACKWARD_TRANSITIVE")
    commit(repo, "v2")
    clone = tmp_path_factory.mktemp("shallow") / "clone"
    git(repo, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    insert_field(clone, WALLET, '{"name": "fee", "type": ["null", "int"], "default": null, "doc": "x"}')
    result = govern("check", "--against", "HEAD~1", cwd=clone)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "fetch-depth: 0" in result.stderr and "--unshallow" in result.stderr
    result = govern("check", "--against", "HEAD", cwd=clone)  # transitive: history cut off
    assert result.returncode == 3 and "fetch-depth: 0" in result.stderr


def test_unknown_ref_and_subject_exit_2(repo: Path) -> None:
    result = govern("check", "--against", "no-such-branch", cwd=repo)
    assert result.returncode == 2 and "no-such-branch" in result.stderr
    result = govern("check", "--against", "main", "--subject", "walet-value", cwd=repo)
    assert result.returncode == 2 and "wallet-value" in result.stderr


def test_invalid_json_exits_2_naming_file_and_line(repo: Path) -> None:
    replace(repo, WALLET, '"name": "account_id",', '"name": "account_id" "x",')
    result = govern("check", "--against", "main", cwd=repo)
    assert result.returncode == 2, result.stdout
    line = line_of(repo, WALLET, '"account_id" "x"')
    assert f"io.govern.exchange.Wallet.avsc:{line}:" in result.stderr


def test_unreachable_registry_exits_3(repo: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the check runs: nothing listens there
    result = govern("check", "--registry", f"http://127.0.0.1:{port}", cwd=repo)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "unreachable" in result.stderr


def test_report_files_in_every_format(repo: Path) -> None:
    line = insert_field(repo, WALLET, '{"name": "fee", "type": "int", "doc": "x"}')
    out = repo / "out"
    for fmt in ("junit", "sarif", "github", "gitlab", "markdown", "json", "text"):
        result = govern("check", "--against", "main", "--format", fmt, "--output", str(out), cwd=repo)
        assert result.returncode == 1 and result.stdout == ""
        text = out.read_text()
        if fmt == "junit":
            case = ET.fromstring(text).find(".//testcase[@name='wallet-value']")
            assert case is not None and case.find("failure") is not None
        elif fmt == "sarif":
            [result_] = json.loads(text)["runs"][0]["results"]
            assert result_["locations"][0]["physicalLocation"]["region"]["startLine"] == line
        elif fmt == "github":
            assert f"::error file={WALLET},line={line},col=5," in text
        elif fmt == "gitlab":
            [issue] = json.loads(text)
            assert issue["check_name"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
            assert issue["location"] == {"path": WALLET, "lines": {"begin": line}}
            assert issue["severity"] == "critical" and len(issue["fingerprint"]) == 64
        elif fmt == "markdown":
            assert text.startswith("### ❌ govern check: incompatible")
            assert "| `wallet-value` | BACKWARD | changed | ❌ 1 finding |" in text
            assert f"**READER_FIELD_MISSING_DEFAULT_VALUE** at `/fields/0` in `{WALLET}:{line}:5`" in text
        elif fmt == "text":
            assert "READER_FIELD_MISSING_DEFAULT_VALUE" in text and f"{WALLET}:{line}:5" in text


def test_lint_warns_and_fails_only_when_configured(repo: Path) -> None:
    replace(
        repo,
        WALLET,
        '"precision": 24, "scale": 8}, "doc": "Balance',
        '"precision": 24, "scale": 6}, "doc": "Balance',
    )
    line = line_of(repo, WALLET, '"scale": 6}, "doc": "Balance')
    code, data = check_json(repo)
    assert code == 0 and data["compatible"] is True  # Avro resolves it: a warning, not a failure
    [warning] = data["subjects"][0]["findings"]
    assert (warning["rule"], warning["category"], warning["severity"]) == (
        "DECIMAL_SCALE_CHANGED",
        "LINT",
        "warning",
    )
    assert (warning["file"], warning["line"]) == (WALLET, line)
    (repo / "govern.toml").write_text('[lint]\nfail = ["DECIMAL_SCALE_CHANGED"]\n')
    code, data = check_json(repo)
    assert code == 1 and data["subjects"][0]["findings"][0]["severity"] == "error"
    (repo / "govern.toml").write_text('[lint]\nexcept = ["DECIMAL_SCALE_CHANGED"]\n')
    code, data = check_json(repo)
    assert code == 0 and data["subjects"][0]["findings"] == []


@pytest.mark.slow
def test_pre_commit_hook_runs_govern_check(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`pre-commit try-repo` installs govern from this repository's committed HEAD and runs the hook."""
    pytest.importorskip("pre_commit", reason="pre-commit is a dev dependency: bash ci/setup.sh installs it")
    if not (ROOT / ".git").exists():
        pytest.skip("govern's own checkout is not a git repository")
    # A clean clone, so only committed files count (as for any user of the hook).
    hook_repo = tmp_path_factory.mktemp("hook") / "govern"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(hook_repo)], check=True, capture_output=True)
    home = tmp_path_factory.mktemp("pre-commit-home")

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "govern-check", "--all-files"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home)},
        )

    ok = try_repo()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "govern check" in ok.stdout and "Passed" in ok.stdout
    insert_field(repo, WALLET, '{"name": "fee", "type": "int", "doc": "x"}')
    git(repo, "add", "-A")
    bad = try_repo()
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in bad.stdout
