"""Class-data sharing archives: dumped on the first run, promoted once the JVM exits, then reused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from govern.kafka.cds import archive_for, promote


@pytest.fixture
def libs(tmp_path: Path) -> Path:
    folder = tmp_path / "kafka" / "4.4.0" / "libs"
    folder.mkdir(parents=True)
    (folder / "kafka_2.13-4.4.0.jar").write_bytes(b"PK")
    return folder


def test_first_run_dumps_then_later_runs_share(libs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVERN_KAFKA_CDS", raising=False)
    first = archive_for(libs, sys.executable, "server")
    assert first.pending is not None
    assert first.flags == (f"-XX:ArchiveClassesAtExit={first.pending}",)
    assert archive_for(libs, sys.executable, "server").pending != first.pending  # each JVM its own scratch

    first.pending.write_bytes(b"archive")  # what the JVM does at exit
    promote(first.pending)
    final = first.pending.parent / "server.jsa"
    assert final.read_bytes() == b"archive" and not first.pending.exists()
    assert archive_for(libs, sys.executable, "server").flags == (
        f"-XX:SharedArchiveFile={final}",
        "-Xshare:auto",
    )


def test_other_jars_get_their_own_archives(libs: Path) -> None:
    before = archive_for(libs, sys.executable, "server").pending
    (libs / "extra.jar").write_bytes(b"PK")
    after = archive_for(libs, sys.executable, "server").pending
    assert before is not None and after is not None
    assert before.parent.parent == after.parent.parent and before.parent != after.parent


def test_promote_without_an_archive_is_harmless(libs: Path) -> None:
    pending = archive_for(libs, sys.executable, "storage-tool").pending
    promote(pending)  # a SIGKILLed JVM writes nothing
    promote(None)
    assert archive_for(libs, sys.executable, "storage-tool").pending is not None


def test_can_be_switched_off(libs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVERN_KAFKA_CDS", "0")
    archive = archive_for(libs, sys.executable, "server")
    assert archive.flags == () and archive.pending is None
