"""Temporary git repos holding the exchange's contracts/ and schemas/; `govern release-plan` run in one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

#: The repository root: the exchange's contracts/ and schemas/ are copied from here.
ROOT = Path(__file__).resolve().parents[2]


def git(cwd: Path, *args: str) -> None:
    """Run git in `cwd` with a throwaway identity and no signing; raise if it fails."""
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def project(at: Path) -> Path:
    """Copy the exchange's contracts/ and schemas/ into `at` (created if missing); return `at`."""
    at.mkdir(parents=True, exist_ok=True)
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, at / name)
    return at


def commit_all(repo: Path, message: str = "base") -> Path:
    """`git init` `repo` and commit everything in it as one commit; return `repo`."""
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", message)
    return repo


def run_release_plan(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`govern release-plan ARGS` as a subprocess in `cwd` (this checkout's govern, wide console)."""
    return subprocess.run(
        [sys.executable, "-m", "govern", "release-plan", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
