"""`govern idl` as a user's script runs it: a subprocess, its output, its files, its exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "idl"
EXPECTED = DATA / "expected"


def govern(*args: str, cwd: Path = DATA) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govern", "idl", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_prints_what_avro_tools_idl_prints() -> None:
    done = govern("input/simple.avdl")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (EXPECTED / "input/simple/idl.json").read_text(encoding="utf-8") + "\n"
    assert "input/simple.avdl:1:1: warning: ignoring out-of-place documentation comment" in done.stderr


def test_writes_out_file_and_schemata(tmp_path: Path) -> None:
    out = tmp_path / "import.avpr"
    done = govern("input/import.avdl", str(out), "--import-dir", "putOnClassPath")
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == (EXPECTED / "input/import/idl.json").read_text(encoding="utf-8")
    done = govern(
        "input/import.avdl", "--schemata", str(tmp_path / "schemata"), "--import-dir", "putOnClassPath"
    )
    assert done.returncode == 0, done.stderr
    expected = {p.name: p.read_text(encoding="utf-8") for p in (EXPECTED / "input/import/schemata").iterdir()}
    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "schemata").iterdir()}
    assert written == expected


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.avpr"
    done = govern("errors/duplicate_field.avdl", str(out))
    assert done.returncode == 2
    assert done.stderr.strip() == "error: errors/duplicate_field.avdl:1:39: duplicate field 'a' in X"
    assert not out.exists()
    done = govern("errors/duplicate_field.avdl", "--schemata", str(tmp_path / "schemata"))
    assert done.returncode == 2 and not (tmp_path / "schemata").exists()


def test_a_schema_file_without_main_schema_has_only_schemata(tmp_path: Path) -> None:
    done = govern("input/status_schema.avdl")
    assert done.returncode == 2
    assert "declares neither a protocol nor a main schema" in done.stderr
    done = govern("input/status_schema.avdl", "--schemata", str(tmp_path))
    assert done.returncode == 0
    assert [p.name for p in tmp_path.iterdir()] == ["Status.avsc"]


def test_import_cycle_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.avdl").write_text('protocol A { import idl "b.avdl"; }')
    (tmp_path / "b.avdl").write_text('protocol B { import idl "a.avdl"; }')
    done = govern("a.avdl", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: b.avdl:1:25: import cycle: a.avdl -> b.avdl -> a.avdl"


# -- .avdl as a schema source of the catalog: `govern check --against` on a break inside a type --

BILLING = """@namespace("com.acme.billing")
protocol Billing {
  enum Currency { EUR, USD }

  /** An invoice sent to a customer. */
  record Invoice {
    string id;
    decimal(12,2) amount;
    Currency currency = "EUR";
  }
}
"""
REFUND = """namespace com.acme.billing;
schema Refund;

import idl "billing.avdl";

record Refund {
  string invoice_id;
  timestamp_ms at;
}
"""
TOPICS = """version: 1
defaults:
  compatibility: BACKWARD
topics:
  invoices:
    key: invoice id
    value_schema: com.acme.billing.Invoice
  refunds:
    key: invoice id
    value_schema: avro/refund.avdl
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
GIT_ENV |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def _git(repo: Path, *args: str) -> None:
    import os

    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def _project(tmp_path: Path) -> Path:
    (tmp_path / "avro").mkdir()
    (tmp_path / "governance").mkdir()
    (tmp_path / "govern.toml").write_text('schemas_dir = "avro"\ncontracts_dir = "governance"\n')
    (tmp_path / "governance" / "topics.yaml").write_text(TOPICS)
    (tmp_path / "governance" / "billing.yaml").write_text(
        "service: billing\nproduces:\n  - topic: invoices\n  - topic: refunds\n"
    )
    (tmp_path / "avro" / "billing.avdl").write_text(BILLING)
    (tmp_path / "avro" / "refund.avdl").write_text(REFUND)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "v1")
    return tmp_path


def _check(repo: Path) -> tuple[int, dict]:
    import json

    done = subprocess.run(
        [sys.executable, "-m", "govern", "check", "--against", "main", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_check_against_passes_a_compatible_avdl_edit(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    billing = repo / "avro" / "billing.avdl"
    billing.write_text(BILLING.replace("    string id;\n", "    string id;\n    string? note = null;\n"))
    code, data = _check(repo)
    assert code == 0 and data["compatible"] is True, data
    assert [s["subject"] for s in data["subjects"]] == ["invoices-value"]


def test_check_against_fails_a_break_inside_an_avdl_type_at_the_fields_line(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    billing = repo / "avro" / "billing.avdl"
    billing.write_text(BILLING.replace("    string id;\n", "    string id;\n    int seats;\n"))
    code, data = _check(repo)
    assert code == 1 and data["compatible"] is False
    [entry] = [s for s in data["subjects"] if s["subject"] == "invoices-value"]
    [finding] = entry["findings"]
    assert finding["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert (finding["file"], finding["line"]) == ("avro/billing.avdl", 8)  # the new `int seats;`


def test_check_against_fails_a_break_in_a_schema_syntax_file(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    refund = repo / "avro" / "refund.avdl"
    refund.write_text(REFUND.replace("  timestamp_ms at;\n", "  timestamp_ms at;\n  Currency currency;\n"))
    code, data = _check(repo)
    assert code == 1
    [entry] = [s for s in data["subjects"] if s["subject"] == "refunds-value"]
    [finding] = entry["findings"]
    assert finding["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert (finding["file"], finding["line"]) == ("avro/refund.avdl", 9)  # the new `Currency currency;`
