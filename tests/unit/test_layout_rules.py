"""Layout rules of DESIGN §2 that imports can break silently: the compat core stays pure, the CLI
has one registry of commands and no cycle, Confluent's REST wording lives with the server."""

from __future__ import annotations

import ast
from pathlib import Path

GOVERN = Path(__file__).resolve().parents[2] / "govern"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_compat_is_pure_no_printing_no_server() -> None:
    for path in sorted((GOVERN / "compat").glob("*.py")):
        bad = {
            m
            for m in _imports(path)
            if m.split(".")[0] == "rich" or m.startswith(("govern.registry", "govern.cli"))
        }
        assert not bad, (path.name, bad)


def test_the_finding_model_and_rules_are_pure() -> None:
    for name in ("model.py", "rules.py", "policy.py"):
        assert not {m for m in _imports(GOVERN / "report" / name) if m.split(".")[0] == "rich"}, name


def test_command_modules_never_import_the_app() -> None:
    for path in sorted((GOVERN / "cli").glob("*.py")):
        if path.name != "app.py":
            assert "govern.cli.app" not in _imports(path), path.name
