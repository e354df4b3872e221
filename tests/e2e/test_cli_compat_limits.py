"""The compatibility budget on the CLI paths that are not `govern compat`: `govern check` and
`govern release-plan` answer a check beyond GOVERN_COMPAT_MAX_PAIRS with exit 2 and one line
naming the limit and its setting, rather than working without bound.

The budget is made tiny here so that the exchange's own schemas exceed it; the same code path
refuses a 20,000-branch adversarial union at the default budget (tests/unit/test_compat_limits.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from git_repos import ROOT, commit_all, project

TRANSACTION = "schemas/io.govern.exchange.Transaction.avsc"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = commit_all(project(tmp_path))
    path = repo / TRANSACTION
    schema = json.loads(path.read_text())
    schema["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    path.write_text(json.dumps(schema, indent=2) + "\n")
    return repo


def govern(repo: Path, *args: str, pairs: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GOVERN_REGISTRY_URL"}
    env.update(PYTHONPATH=str(ROOT), COLUMNS="200", GOVERN_COMPAT_MAX_PAIRS=pairs)
    return subprocess.run(
        [sys.executable, "-m", "govern", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize("command", [["check", "--against", "HEAD"], ["release-plan", "--against", "HEAD"]])
def test_a_check_beyond_the_pair_budget_exits_2_naming_the_setting(repo: Path, command: list[str]) -> None:
    within = govern(repo, *command, pairs="250000")
    assert within.returncode == 0, within.stdout + within.stderr
    beyond = govern(repo, *command, pairs="2")
    assert beyond.returncode == 2, beyond.stdout + beyond.stderr
    assert "more than 2 pairs" in beyond.stderr and "GOVERN_COMPAT_MAX_PAIRS" in beyond.stderr
