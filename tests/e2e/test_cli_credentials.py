"""A registry that requires basic auth: every registry command works with credentials from the
environment (or user info in the URL), and no output, error or report format contains the password."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from govern.check import FORMATS
from govern.registry.server.auth import format_user
from govern.registry.server.run import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Sw0rdfish-7c1e"
WALLET = "schemas/io.govern.exchange.Wallet.avsc"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    users = tmp_path_factory.mktemp("auth") / "users"
    users.write_text(format_user("ci", "write", PASSWORD) + "\n")
    with serve_in_thread(None, users=users) as base:
        yield base


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def govern(*args: str, cwd: Path, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERN_REGISTRY")}
    env["PYTHONPATH"] = str(ROOT)
    if password is not None:
        env |= {"GOVERN_REGISTRY_USER": "ci", "GOVERN_REGISTRY_PASSWORD": password}
    return subprocess.run(
        [sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def assert_no_secret(result: subprocess.CompletedProcess[str]) -> None:
    assert PASSWORD not in result.stdout and PASSWORD not in result.stderr
    assert "Traceback" not in result.stderr


def test_register_and_check_with_credentials_from_the_environment(tree: Path, url: str) -> None:
    first = govern("register", "--registry", url, cwd=tree)
    assert first.returncode == 0, first.stderr
    assert_no_secret(first)
    again = govern("register", "--registry", url, "--dry-run", "--format", "json", cwd=tree)
    assert again.returncode == 0 and '"changed": false' in again.stdout
    assert_no_secret(again)
    # an incompatible change: findings in every report format, never the password
    path = tree / WALLET
    path.write_text(
        path.read_text().replace('"fields": [\n', '"fields": [\n    {"name": "fee", "type": "int"},\n', 1)
    )
    for fmt in FORMATS:
        result = govern("check", "--registry", url, "--all", "--format", fmt, cwd=tree)
        assert result.returncode == 1, (fmt, result.stderr)
        assert result.stdout.strip()
        assert_no_secret(result)


def test_user_info_in_the_url_works_and_is_never_echoed(tree: Path, url: str) -> None:
    with_userinfo = url.replace("://", f"://ci:{PASSWORD}@")
    result = govern(
        "check", "--registry", with_userinfo, "--all", "--format", "json", cwd=tree, password=None
    )
    assert result.returncode == 0, result.stderr
    assert_no_secret(result)


def test_a_wrong_password_is_one_line_without_it(tree: Path, url: str) -> None:
    wrong = "Wr0ng-" + PASSWORD
    result = govern("register", "--registry", url.replace("://", f"://ci:{wrong}@"), cwd=tree, password=None)
    assert result.returncode != 0
    assert wrong not in result.stderr and wrong not in result.stdout
    assert "refused" in result.stderr and "GOVERN_REGISTRY_PASSWORD" in result.stderr


def test_missing_credentials_get_a_401_explained(tree: Path, url: str) -> None:
    result = govern("register", "--registry", url, "--dry-run", cwd=tree, password=None)
    assert result.returncode != 0 and "Traceback" not in result.stderr
