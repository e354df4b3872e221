"""The example CI files users copy (ci/github, ci/gitlab): they parse, install govern as a package,
run `check` once, and every govern command they run works on a sample repository with a break.

What needs the hosted services (actions/checkout, pip from an index, the `gh` API) is not run:
`gh` is replaced by a stand-in that records what it was asked to post."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "ci" / "github" / "govern-check.yml"
GITLAB = ROOT / "ci" / "gitlab" / "govern-check.gitlab-ci.yml"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A user's repository: the exchange's catalog on main, a branch that breaks the wallet schema."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, repo / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "main")
    git(repo, "checkout", "-q", "-b", "feature")
    wallet = repo / "schemas/io.govern.exchange.Wallet.avsc"
    wallet.write_text(
        wallet.read_text().replace('"fields": [\n', '"fields": [\n    {"name": "tier", "type": "int"},\n', 1)
    )
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "break")
    return repo


def shell(script: str, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """PATH with this checkout's `govern` and a stand-in `gh` that logs its arguments and body."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    govern = bin_dir / "govern"
    govern.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m govern "$@"\n')
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path}/gh.log"\ncat "$5" >> "{tmp_path}/gh-body.md"\n')
    for tool in (govern, gh):
        tool.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **extra}


def test_github_workflow(repo: Path, tmp_path: Path) -> None:
    workflow = yaml.safe_load(GITHUB.read_text())
    steps = workflow["jobs"]["compatibility"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    install = next(r for r in runs if "pip install" in r)
    assert "install ." not in install and "GOVERN_SPEC" in install
    assert sum(r.count("govern check") for r in runs) == 1  # one run gives annotations and reports
    env = environment(tmp_path, GITHUB_BASE_REF="main", PR="7", GH_TOKEN="x")
    check = shell(next(r for r in runs if "govern check" in r), repo, env)
    assert check.returncode == 1, check.stderr  # the break fails the job...
    assert "::error file=schemas/io.govern.exchange.Wallet.avsc,line=" in check.stdout  # ...annotated
    sarif = json.loads((repo / "govern-check.sarif").read_text())
    assert sarif["runs"][0]["results"]
    assert "<testsuite" in (repo / "govern-check.xml").read_text()
    plan = shell(next(r for r in runs if "release-plan" in r), repo, env)
    assert plan.returncode == 0, plan.stderr
    assert (repo / "release-plan.md").read_text().strip()
    comment = shell(next(r for r in runs if "gh pr comment" in r), repo, env)
    assert comment.returncode == 0, comment.stderr
    assert "comment 7 --body-file release-plan.md" in (tmp_path / "gh.log").read_text()
    assert (tmp_path / "gh-body.md").read_text() == (repo / "release-plan.md").read_text()


def test_gitlab_job(repo: Path, tmp_path: Path) -> None:
    job = yaml.safe_load(GITLAB.read_text())["govern-check"]
    script = [line for line in job["script"] if "pip install" not in line and "git fetch" not in line]
    assert any("pip install" in line and "GOVERN_SPEC" in line for line in job["script"])
    assert sum(line.count("govern check") for line in job["script"]) == 1
    env = environment(tmp_path, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main")
    check = shell("\n".join(script), repo, env)
    assert check.returncode == 1, check.stderr
    report = json.loads((repo / job["artifacts"]["reports"]["codequality"]).read_text())
    assert report and all(
        {"description", "fingerprint", "severity", "location"} <= set(issue) for issue in report
    )
    assert report[0]["location"]["path"] == "schemas/io.govern.exchange.Wallet.avsc"
    assert "<testsuite" in (repo / job["artifacts"]["reports"]["junit"]).read_text()
    after = shell("\n".join(job["after_script"]), repo, env)
    assert after.returncode == 0 and (repo / "release-plan.md").read_text().strip()


@pytest.mark.parametrize(("value", "fragment"), [("sarif", "FORMAT:FILE"), ("pdf:x.pdf", "unknown format")])
def test_a_bad_report_option_is_exit_2_before_checking(
    repo: Path, tmp_path: Path, value: str, fragment: str
) -> None:
    result = shell(f"govern check --against main --report {value}", repo, environment(tmp_path))
    assert result.returncode == 2 and fragment in result.stderr and "Traceback" not in result.stderr
