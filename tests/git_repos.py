"""Temporary git repos holding a copy of the exchange's contracts/ and schemas/ (release-plan tests)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

#: The repository root: the exchange's contracts/ and schemas/ are copied from here.
ROOT = Path(__file__).resolve().parents[1]


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
