"""Where the Node schema-registry clients for the conformance tests are (ci/setup.sh installs them).

GOVERN_NODE_MODULES points elsewhere. Where node and npm exist, CI must run these tests: a missing
client then fails instead of skipping, so a broken install step cannot hide.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CI_NODE_MODULES = Path(__file__).resolve().parents[1] / "ci" / "node" / "node_modules"
NODE_MODULES = Path(os.environ.get("GOVERN_NODE_MODULES") or CI_NODE_MODULES)


def node_client_marks(package: str) -> list[pytest.MarkDecorator]:
    """Marks for a module testing `package`: skip where Node is not installed (outside CI)."""
    if shutil.which("node") is not None and (NODE_MODULES / package).is_dir():
        return []
    if os.environ.get("CI") and shutil.which("npm"):
        return []  # run, and fail loudly on the missing client
    reason = f"node or {package} not installed (bash ci/setup.sh installs it into ci/node)"
    return [pytest.mark.skip(reason=reason)]
