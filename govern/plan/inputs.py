"""Before and after from git: the base ref's contracts/ and schemas/ against the working tree.

The base is materialised (through the shared git helper, `govern.catalog.git.Repo`) into a
temporary directory and loaded with the same `load_catalog` as the working tree, so both sides
are cross-checked the same way and any error (naming file:line, the base's files prefixed with
the ref) stops the command before a plan is made from partial data.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from pathlib import Path

from govern.catalog import Catalog, load_catalog
from govern.catalog import SchemaRef as CatalogSchema
from govern.catalog.git import Repo
from govern.errors import InputError
from govern.plan.model import Change, SchemaRef, ServiceView, Snapshot, canonical_key
from govern.plan.pacts import PACT_DIR, load_pacts

PLANNED_DIRS = ("contracts", "schemas")
WORKTREE = "worktree"


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
    with Repo(root, outside_hint="run inside the project's git checkout") as repo:
        commit = repo.resolve(against)
        after_catalog = load_catalog(root)
        with tempfile.TemporaryDirectory(prefix="govern-plan-") as tmp:
            base_root = Path(tmp)
            repo.materialise(commit, PLANNED_DIRS, base_root)
            before_catalog = _load_base(base_root, against, base_root)
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
