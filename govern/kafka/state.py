"""The project's record of its local broker (`.govern/broker.json`), so later commands find it.

`govern broker up` writes it, `status` and `down` and `resolve_bootstrap()` read it. A state whose
process is gone is stale: readers treat it as "no broker" and `clear_state` removes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from govern.errors import InputError
from govern.kafka.broker import LocalBroker

STATE_DIR = ".govern"
"""Per-project folder for govern's runtime files (ignored by git through its own .gitignore)."""

STATE_FILE = "broker.json"


def state_dir(project_dir: Path) -> Path:
    """`<project>/.govern`, created on demand with a `.gitignore` so nothing in it is committed."""
    return project_dir / STATE_DIR


def state_path(project_dir: Path) -> Path:
    """Where the project's broker state lives: `<project>/.govern/broker.json`."""
    return state_dir(project_dir) / STATE_FILE


def broker_workdir(project_dir: Path) -> Path:
    """The folder holding the project's broker config, data and log: `<project>/.govern/broker`."""
    return state_dir(project_dir) / "broker"


def ensure_state_dir(project_dir: Path) -> Path:
    """Create `<project>/.govern` with a `.gitignore` of `*` and return it."""
    folder = state_dir(project_dir)
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# govern runtime files (local broker data, logs, state)\n*\n", encoding="utf-8")
    return folder


def write_state(project_dir: Path, broker: LocalBroker) -> Path:
    """Record `broker` atomically (write then rename) and return the state file's path."""
    ensure_state_dir(project_dir)
    path = state_path(project_dir)
    scratch = path.with_suffix(f".json.{os.getpid()}.tmp")
    scratch.write_text(json.dumps(broker.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    scratch.replace(path)
    return path


def read_state(project_dir: Path) -> LocalBroker | None:
    """The recorded broker, or None when there is no state file.

    A state file that is not ours (bad JSON, missing fields) raises InputError naming the file.
    """
    path = state_path(project_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return LocalBroker.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(
            f"{path} is not a govern broker state file ({type(error).__name__}: {error})",
            hint=f"stop any broker it described by hand, then delete {path}",
        ) from error


def clear_state(project_dir: Path) -> None:
    """Remove the state file (no error when it is already gone)."""
    state_path(project_dir).unlink(missing_ok=True)
