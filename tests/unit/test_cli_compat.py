"""``govern compat OLD NEW``: exit codes 0/1/2, text and JSON output, bad input as one located line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.app import app

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "compat"
V1 = FIXTURES / "payment_v1.avsc"
V2_OK = FIXTURES / "payment_v2_ok.avsc"
V2_BAD = FIXTURES / "payment_v2_bad.avsc"

runner = CliRunner()


def _run(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, ["compat", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_compatible_exits_0() -> None:
    code, out, _ = _run(V1, V2_OK)
    assert code == 0
    assert "compatible" in out and "BACKWARD" in out


def test_incompatible_text_shows_rule_reason_hint_and_both_lines() -> None:
    code, out, _ = _run(V1, V2_BAD)
    assert code == 1
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in out
    assert "give field `fee` a default" in out
    assert "add symbol `GBP` back or give the enum a default" in out
    assert f"{V2_BAD}:10:5" in out and '{"name": "fee", "type": "long"}' in out
    assert f"{V1}:7:32" in out and '{"name": "amount", "type": "long"},' in out


def test_json_output_is_documented_shape() -> None:
    code, out, _ = _run(V1, V2_BAD, "--level", "full", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["compatible"] is False and doc["level"] == "FULL"
    first = doc["findings"][0]
    assert set(first) >= {"rule", "location", "message", "hint", "reason", "reader", "writer"}
    assert first["reader"]["file"] == str(V2_BAD) and first["writer"]["file"] == str(V1)
    assert {"line", "column"} <= set(first["reader"])
    rules = [f["rule"] for f in doc["findings"]]
    assert rules == ["TYPE_MISMATCH", "MISSING_ENUM_SYMBOLS", "READER_FIELD_MISSING_DEFAULT_VALUE"]


def test_a_compatible_but_risky_change_is_a_lint_warning_that_does_not_fail() -> None:
    code, out, _ = _run(V1, V2_OK, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["compatible"] is True
    [warning] = doc["findings"]
    assert (warning["rule"], warning["severity"]) == ("ENUM_SYMBOLS_ADDED_WITHOUT_DEFAULT", "warning")
    code, out, _ = _run(V1, V2_OK)
    assert code == 0 and "ENUM_SYMBOLS_ADDED_WITHOUT_DEFAULT" in out


def test_json_compatible() -> None:
    code, out, _ = _run(V1, V2_OK, "--format", "json", "--level", "backward_transitive", "--no-lint")
    assert code == 0
    assert json.loads(out) | {"old": None, "new": None} == {
        "format_version": 2,
        "compatible": True,
        "level": "BACKWARD_TRANSITIVE",
        "old": None,
        "new": None,
        "findings": [],
    }


def test_level_direction_through_the_cli() -> None:
    # OLD=v2_bad, NEW=v1: v1 (long amount, more symbols) reads v2_bad data, but not the reverse
    assert _run(V2_BAD, V1, "--level", "BACKWARD")[0] == 0
    assert _run(V2_BAD, V1, "--level", "FORWARD")[0] == 1
    assert _run(V1, V2_OK, "--level", "FORWARD")[0] == 1  # the old enum lacks the new symbol CHF
    assert _run(V1, V2_OK, "--level", "NONE")[0] == 0


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (
            "bad_default.avsc",
            ":6:48: invalid Avro schema at /fields/1/default: Invalid default for field fee",
        ),
        ("bad_json.avsc", ":6:5: invalid Avro schema at /fields: invalid JSON: Expecting ',' delimiter"),
        ("unknown_type.avsc", ':6:31: invalid Avro schema at /fields/1/type: Undefined name: "Money"'),
        ("missing.avsc", ": file not found"),
    ],
)
def test_bad_input_exits_2_with_one_located_line(new: str, expected: str) -> None:
    code, out, err = _run(V1, FIXTURES / new)
    assert code == 2
    assert out == ""
    first = err.splitlines()[0]
    assert first.startswith(f"error: {FIXTURES / new}")
    assert expected in first
    assert "Traceback" not in err and len(err.splitlines()) <= 2


def test_bad_level_exits_2() -> None:
    code, _, err = _run(V1, V2_OK, "--level", "sideways")
    assert code == 2 and "Invalid compatibility level" in err


def test_references_resolve_named_types_from_other_files() -> None:
    code, out, _ = _run(
        V1, FIXTURES / "unknown_type.avsc", "--ref", FIXTURES / "money.avsc", "--format", "json"
    )
    assert code == 1
    assert [f["message"] for f in json.loads(out)["findings"]] == ["money"]


def test_lenient_old_parses_old_as_a_stored_schema() -> None:
    assert _run(FIXTURES / "bad_default.avsc", V1)[0] == 2
    assert _run(FIXTURES / "bad_default.avsc", V1, "--lenient-old")[0] == 1


def test_real_entry_point_exit_codes() -> None:
    cmd = [sys.executable, "-m", "govern", "compat"]
    ok = subprocess.run([*cmd, str(V1), str(V2_OK)], capture_output=True, text=True)
    bad = subprocess.run([*cmd, str(V1), str(V2_BAD), "--format", "json"], capture_output=True, text=True)
    broken = subprocess.run([*cmd, str(V1), str(FIXTURES / "bad_json.avsc")], capture_output=True, text=True)
    assert (ok.returncode, bad.returncode, broken.returncode) == (0, 1, 2)
    assert json.loads(bad.stdout)["compatible"] is False
    assert "bad_json.avsc:6:5" in broken.stderr and "Traceback" not in broken.stderr
