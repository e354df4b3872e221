"""AsyncAPI in and out: the exchange's catalog exported as AsyncAPI 3.0 is valid by the AsyncAPI
project's own parser (with its Avro schema parser) and imports back into the same catalog; an
AsyncAPI 2.6 document as other tools write it imports too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from node_clients import NODE_MODULES, node_client_marks

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "asyncapi"
VALIDATOR = ROOT / "tests" / "support" / "asyncapi_validate.js"


def govern(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def catalog_json(root: Path) -> dict[str, Any]:
    """`govern catalog --format json` without what names files (an import picks its own paths)."""
    result = govern("catalog", "--format", "json", "--root", str(root))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "file"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


def test_export_then_import_gives_the_same_catalog(tmp_path: Path) -> None:
    exported = govern("catalog", "--format", "asyncapi")
    assert exported.returncode == 0, exported.stderr
    document = tmp_path / "exchange.asyncapi.yaml"
    document.write_text(exported.stdout)
    result = govern("import", "--asyncapi", str(document), "--root", str(tmp_path / "back"))
    assert result.returncode == 0, result.stderr
    assert catalog_json(tmp_path / "back") == catalog_json(ROOT)
    # and once more: the export of the imported catalog is the same document
    again = govern("catalog", "--format", "asyncapi", "--root", str(tmp_path / "back"))
    assert again.stdout.replace("back events", "X") == exported.stdout.replace(f"{ROOT.name} events", "X")


def test_the_export_is_valid_by_the_asyncapi_parser(tmp_path: Path) -> None:
    exported = govern("catalog", "--format", "asyncapi")
    document = tmp_path / "exchange.asyncapi.yaml"
    document.write_text(exported.stdout)
    verdict = _validate(document)
    assert verdict["valid"] and not verdict["errors"] and not verdict["warnings"], verdict
    assert "transaction-success" in verdict["channels"]
    broken = tmp_path / "broken.yaml"  # the validator is not a rubber stamp: a bad Avro payload fails
    broken.write_text(exported.stdout.replace("type: record", "type: recordx", 1))
    assert not _validate(broken)["valid"]


for _mark in node_client_marks("@asyncapi/parser"):
    test_the_export_is_valid_by_the_asyncapi_parser = _mark(test_the_export_is_valid_by_the_asyncapi_parser)


def _validate(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["node", str(VALIDATOR), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_an_asyncapi_2_6_document_imports(tmp_path: Path) -> None:
    result = govern("import", "--asyncapi", str(DATA / "payments-2.6.yaml"), "--root", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "'audit'" in result.stdout and "not Avro" in result.stdout
    catalog = catalog_json(tmp_path)
    topics = {t["name"]: t for t in catalog["topics"]}
    assert set(topics) == {"payments", "payment-commands"}
    payments = topics["payments"]
    assert payments["value_schema"]["types"] == [
        "com.acme.payments.PaymentMade",
        "com.acme.payments.PaymentRefunded",
    ]
    assert payments["subject_strategy"]["value"] == "topic_record" and payments["partitions"] == 6
    services = {s["name"]: s for s in catalog["services"]}
    assert services["payments-service"]["produces"] == ["payments"]
    assert services["payments-service"]["consumes"] == ["payment-commands"]
    assert services["unassigned"]["produces"] == ["payment-commands"]  # nobody documented sends it


def test_bad_documents_are_one_line_errors(tmp_path: Path) -> None:
    not_asyncapi = tmp_path / "openapi.yaml"
    not_asyncapi.write_text("openapi: 3.1.0\n")
    result = govern("import", "--asyncapi", str(not_asyncapi), "--root", str(tmp_path / "out"))
    assert result.returncode == 2 and "not an AsyncAPI" in result.stderr
    remote = tmp_path / "remote.yaml"
    text = (
        (DATA / "payments-2.6.yaml")
        .read_text()
        .replace("'#/components/schemas/PaymentMade'", "other.yaml#/x")
    )
    remote.write_text(text)
    result = govern("import", "--asyncapi", str(remote), "--root", str(tmp_path / "out"))
    assert result.returncode == 2 and "$ref" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.yaml"))
    shutil.rmtree(tmp_path / "out", ignore_errors=True)
