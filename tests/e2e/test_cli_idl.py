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
