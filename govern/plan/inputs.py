"""Before and after from git: the base ref's contracts/ and schemas/ against the working tree.

The base is materialised with `git archive` into a temporary directory and loaded with the same
`load_catalog` as the working tree, so both sides are cross-checked the same way and any error
(naming file:line, the base's files prefixed with the ref) stops the command before a plan is
made from partial data.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path

from govern.catalog import Catalog, load_catalog
from govern.catalog import SchemaRef as CatalogSchema
from govern.errors import EnvironmentProblem, InputError
from govern.plan.model import Change, SchemaRef, ServiceView, Snapshot, canonical_key
from govern.plan.pacts import PACT_DIR, load_pacts

PLANNED_DIRS = ("contracts", "schemas")
WORKTREE = "worktree"


def _git(root: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    git = shutil.which("git")
    if git is None:
        raise EnvironmentProblem(
            "git not found on PATH", hint="install git; release-plan reads the base from git"
        )
    return subprocess.run([git, "-C", str(root), *args], capture_output=True, text=not binary, check=False)


def resolve_ref(root: Path, ref: str) -> str:
    """The commit id `ref` names; InputError when `root` is not in a git repository or `ref` is unknown."""
    if _git(root, "rev-parse", "--show-toplevel").returncode != 0:
        raise InputError(
            f"{root.resolve()}: not a git repository", hint="run inside the project's git checkout"
        )
    if not ref or ref.startswith("-"):
        raise InputError(f"invalid git ref {ref!r}", hint="pass a branch, tag or commit, e.g. --against main")
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0 or not found.stdout.strip():
        raise InputError(
            f"unknown git ref {ref!r}",
            hint="pass a branch, tag or commit that exists (see `git log --oneline`)",
        )
    return found.stdout.strip()


def materialise(root: Path, commit: str, dest: Path) -> Path:
    """Write the commit's contracts/ and schemas/ (as seen from `root`) under `dest`; return that root."""
    prefix = _git(root, "rev-parse", "--show-prefix").stdout.strip()
    top = Path(_git(root, "rev-parse", "--show-toplevel").stdout.strip())  # pathspecs below are from the top
    paths = []
    for name in PLANNED_DIRS:
        listed = _git(top, "ls-tree", "-d", "--name-only", commit, "--", f"{prefix}{name}")
        if listed.returncode == 0 and listed.stdout.strip():
            paths.append(f"{prefix}{name}")
    base_root = dest / prefix if prefix else dest
    base_root.mkdir(parents=True, exist_ok=True)
    if not paths:
        return base_root
    archive = _git(top, "archive", "--format=tar", commit, "--", *paths, binary=True)
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip().splitlines()
        raise EnvironmentProblem(
            f"git archive {commit[:12]} failed: {message[-1] if message else 'no output'}",
            hint="check that the repository is readable",
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return base_root


def _schema(ref: CatalogSchema, side: str, in_git: bool) -> SchemaRef:
    short = ref.name.rsplit(".", 1)[-1]
    file = f"{side}:{ref.file.as_posix()}" if in_git else ref.file.as_posix()
    return SchemaRef.of(ref.expanded, label=f"{short}@{side}", key=canonical_key(ref.expanded), file=file)


def snapshot(catalog: Catalog | None, label: str, in_git: bool = False) -> Snapshot:
    """Every service's writer schema per produced topic and reader schema per consumed topic.

    A consumer reads with the topic's value schema unless its contract pins a `reader_schema`.
    The contract file's bytes (and the service's own pacts, contracts/pacts/<service>-*.json) are
    its fingerprint: a changed contract or pact means a deploy.
    """
    if catalog is None:
        return Snapshot({}, label)
    topics = {t.name: t for t in catalog.topics}
    views = []
    for service in catalog.services:
        contract = catalog.root / service.file
        digest = hashlib.sha256(contract.read_bytes() if contract.is_file() else b"")
        for pact in sorted((catalog.root / PACT_DIR).glob(f"{service.name}-*.json")):
            digest.update(pact.read_bytes())  # a consumer's pact is part of its release
        fingerprint = digest.hexdigest()
        writes = {t: _schema(topics[t].value_schema, label, in_git) for t in service.produces}
        reads = {
            t: _schema(service.reader_schemas.get(t) or topics[t].value_schema, label, in_git)
            for t in service.consumes
        }
        views.append(ServiceView(service.name, writes, reads, fingerprint))
    return Snapshot.of(views, label)


def _load_base(base_root: Path, ref: str, tmp: Path) -> Catalog | None:
    """Load the base catalog; None when the base has no contracts/ yet (every service is new)."""
    if not (base_root / "contracts").is_dir():
        return None
    try:
        return load_catalog(base_root)
    except InputError as error:
        # Name the base's files as `<ref>:path` instead of the temporary directory.
        message = error.message.replace(f"{base_root}/", f"{ref}:").replace(str(tmp), ref)
        raise InputError(f"{message} (in the base {ref})", hint=error.hint) from error


def load_change(root: Path, against: str, drained: Iterable[str] = ()) -> Change:
    """Before (`against`, from git) and after (the working tree) of the project at `root`."""
    root = Path(root)
    commit = resolve_ref(root, against)
    after_catalog = load_catalog(root)
    with tempfile.TemporaryDirectory(prefix="govern-plan-") as tmp:
        base_root = materialise(root, commit, Path(tmp))
        before_catalog = _load_base(base_root, against, Path(tmp))
        before = snapshot(before_catalog, against, in_git=True)
        old_pacts = load_pacts(base_root, against)
    after = snapshot(after_catalog, WORKTREE)
    drained = frozenset(drained)
    known = {t.name for t in after_catalog.topics} | (
        {t.name for t in before_catalog.topics} if before_catalog else set()
    )
    unknown = sorted(drained - known)
    if unknown:
        raise InputError(
            f"--drained {unknown[0]!r}: no such topic in contracts/topics.yaml",
            hint=f"known topics: {', '.join(sorted(known))}",
        )
    return Change(before, after, drained, pacts={"old": old_pacts, "new": load_pacts(root)})
