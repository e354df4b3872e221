"""The govern wheel, built from the tracked files as a fresh clone would: the toolkit, slim.

It holds no `services` package (the exchange is its own distribution, services/pyproject.toml)
and requires none of the test stack (pytest and testcontainers are `govern[testing]`,
schemathesis and pact-python `govern[dev]`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_STACK = {"pytest", "schemathesis", "pact-python", "testcontainers"}

pytestmark = pytest.mark.slow


def _build_wheel(out: Path, project: str = ".") -> Path:
    """`pip wheel` of `project` in a copy of the files git keeps (no build/ or egg-info in the checkout)."""
    source = out / "source"
    listed = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    tracked = subprocess.run(listed, cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():  # a file deleted in the working tree is still listed until committed
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out / "dist"),
         str(source / project)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (out / "dist").glob("*.whl")
    return wheel


def _requirement_name(line: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", line, maxsplit=1)[0].lower()


def test_the_wheel_is_the_toolkit_alone_with_no_test_stack(tmp_path: Path) -> None:
    with zipfile.ZipFile(_build_wheel(tmp_path)) as wheel:
        names = wheel.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        requires = [
            line.split(":", 1)[1].strip()
            for line in wheel.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    assert "govern/pytest_plugin.py" in names and "govern/cli/app.py" in names
    assert [n for n in names if n.startswith("govern/_native")], "the Rust codec was not built"
    assert [n for n in names if n.split("/")[0] == "services"] == []
    required = {_requirement_name(r) for r in requires if "extra ==" not in r}
    assert required and not required & TEST_STACK, sorted(required)
    testing = {_requirement_name(r) for r in requires if re.search(r"extra\s*==\s*['\"]testing['\"]", r)}
    assert {"pytest", "testcontainers"} <= testing


def test_the_exchange_wheel_carries_its_package_data(tmp_path: Path) -> None:
    with zipfile.ZipFile(_build_wheel(tmp_path, "services")) as wheel:
        names = set(wheel.namelist())
    assert {"services/transaction/service.py", "services/rate/feed/level2.jsonl",
            "services/ui/static/index.html"} <= names  # fmt: skip
    assert not [n for n in names if n.startswith("govern/")]
