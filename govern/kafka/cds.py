"""JVM class-data sharing (AppCDS) archives: each Kafka JVM starts about a third faster with one.

The first run of a main class (the storage tool, the server) is given `-XX:ArchiveClassesAtExit`,
so the JVM writes the classes it loaded to a scratch file when it exits; govern then moves that
file into place. Later runs map it with `-XX:SharedArchiveFile`. Archives live in the Kafka cache,
keyed by the java binary and the exact jars, so a different JDK or a re-fetch gets fresh ones; a
JVM that cannot use an archive ignores it (-Xshare:auto). `GOVERN_KAFKA_CDS=0` switches it off.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

CDS_ENV = "GOVERN_KAFKA_CDS"

_STALE_SCRATCH_S = 3600.0
_SCRATCH_MARK = ".jsa.tmp-"


@dataclass(frozen=True)
class CdsArchive:
    """JVM flags for one main class, and the scratch archive to promote once the JVM has exited."""

    flags: tuple[str, ...]
    pending: Path | None = None


def archive_for(libs: Path, java: str, name: str) -> CdsArchive:
    """The archive flags for main class `name` run by `java` with the jars in `libs`."""
    if os.environ.get(CDS_ENV, "1").strip() in ("0", "false", "no", "off"):
        return CdsArchive(())
    folder = libs.parent / "cds" / _fingerprint(libs, java)
    final = folder / f"{name}.jsa"
    if final.is_file():
        return CdsArchive((f"-XX:SharedArchiveFile={final}", "-Xshare:auto"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return CdsArchive(())
    _remove_stale_scratch(folder)
    pending = folder / f"{name}{_SCRATCH_MARK}{os.getpid()}-{secrets.token_hex(3)}"
    return CdsArchive((f"-XX:ArchiveClassesAtExit={pending}",), pending)


def promote(pending: Path | str | None) -> None:
    """Move a scratch archive the JVM wrote at exit into place (no-op when it wrote none)."""
    if not pending:
        return
    scratch = Path(pending)
    try:
        if scratch.is_file() and scratch.stat().st_size > 0:
            os.replace(scratch, scratch.with_name(scratch.name.split(_SCRATCH_MARK)[0] + ".jsa"))
        else:
            scratch.unlink(missing_ok=True)
    except OSError:
        pass  # a missing archive only costs start-up time


def _fingerprint(libs: Path, java: str) -> str:
    digest = hashlib.sha256()
    for path in [Path(os.path.realpath(java)), *sorted(libs.glob("*.jar"))]:
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _remove_stale_scratch(folder: Path) -> None:
    cutoff = time.time() - _STALE_SCRATCH_S
    for scratch in folder.glob(f"*{_SCRATCH_MARK}*"):
        try:
            if scratch.stat().st_mtime < cutoff:
                scratch.unlink()
        except OSError:
            pass
