"""Where the Node schema-registry clients for the conformance tests are (ci/setup.sh installs them).

GOVERN_NODE_MODULES points elsewhere. Where node and npm exist, CI must run these tests: a missing
client then fails instead of skipping, so a broken install step cannot hide.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CI_NODE_MODULES = Path(__file__).resolve().parents[2] / "ci" / "node" / "node_modules"
NODE_MODULES = Path(os.environ.get("GOVERN_NODE_MODULES") or CI_NODE_MODULES)


def node_client_marks(package: str) -> list[pytest.MarkDecorator]:
    """Marks for a module testing `package`: skip where Node is not installed (outside CI)."""
    if shutil.which("node") is not None and (NODE_MODULES / package).is_dir():
        return []
    if os.environ.get("CI") and shutil.which("npm"):
        return []  # run, and fail loudly on the missing client
    reason = f"node or {package} not installed (bash ci/setup.sh installs it into ci/node)"
    return [pytest.mark.skip(reason=reason)]


def run_node(tmp_path: Path, script: str, *args: str) -> Any:
    """Run the JavaScript `script` with `args` under node (clients on NODE_PATH); its stdout as JSON."""
    path = tmp_path / "client.js"
    path.write_text(script)
    result = subprocess.run(
        ["node", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
