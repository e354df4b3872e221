"""What importing the toolkit costs, and which way its imports point.

pytest loads `govern.pytest_plugin` in every session of every environment where govern is
installed, so it must cost nothing until a fixture is used; `govern.registry` is the client
surface and must not start the server stack; the toolkit never imports the exchange.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

GOVERN = Path(__file__).resolve().parents[2] / "govern"

#: a server, a Kafka client, a database: what a session that uses no fixture must not pay for
HEAVY = ("starlette", "uvicorn", "sqlite3", "confluent_kafka", "govern.registry.server")

PROBE = """
import json, sys, time
import pytest
before = set(sys.modules)
started = time.perf_counter()
{statement}
seconds = time.perf_counter() - started
heavy = [m for m in {heavy!r} if m in sys.modules and m not in before]
print(json.dumps({{"seconds": seconds, "heavy": heavy}}))
"""


def _probe(statement: str) -> tuple[float, list[str]]:
    """(seconds, heavy modules loaded) for `statement` in a fresh interpreter, pytest already imported."""
    code = PROBE.format(statement=statement, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["seconds"], result["heavy"]


def test_the_pytest_plugin_loads_nothing_heavy_and_fast() -> None:
    runs = [_probe("import govern.pytest_plugin") for _ in range(3)]
    assert runs[0][1] == [], f"import govern.pytest_plugin loaded {runs[0][1]}"
    # the best of three: the machine is shared, and a slow run says more about the neighbours
    best = min(seconds for seconds, _ in runs)
    assert best < 0.1, f"import govern.pytest_plugin took {best:.3f} s beyond pytest"


def test_the_registry_client_loads_no_server() -> None:
    _, heavy = _probe("from govern.registry import Client")
    assert heavy == [], f"from govern.registry import Client loaded {heavy}"


def test_the_probe_sees_the_server_when_it_is_imported() -> None:
    """The probe itself can fail: importing the server (as the registry fixture does) shows up."""
    _, heavy = _probe("import govern.pytest_plugin\nfrom govern.registry.server import serve_in_thread")
    assert {"starlette", "uvicorn", "sqlite3", "govern.registry.server"} <= set(heavy)


def test_no_module_of_the_toolkit_imports_the_exchange() -> None:
    offenders = []
    for path in sorted(GOVERN.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [f"{path.relative_to(GOVERN.parent)}:{node.lineno}: {n}" for n in names
                          if n == "services" or n.startswith("services.")]  # fmt: skip
    assert offenders == []


def test_the_exchange_uses_only_public_govern_surfaces() -> None:
    """services/ imports govern's packages and top-level modules only, and only their exported names."""
    import importlib

    services = GOVERN.parent / "services"
    offenders = []
    for path in sorted(services.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("govern")):
                continue
            where = f"{path.relative_to(GOVERN.parent)}:{node.lineno}: {node.module}"
            if node.module.count(".") > 1 and node.module != "govern.registry.server":
                offenders.append(f"{where} (a module inside a package)")
                continue
            exported = getattr(importlib.import_module(node.module), "__all__", None)
            for alias in node.names:
                if alias.name.startswith("_") or (exported is not None and alias.name not in exported):
                    offenders.append(f"{where}.{alias.name} (not exported)")
    assert offenders == []
