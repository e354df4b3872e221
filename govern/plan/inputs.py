"""Before and after from git: the base ref's catalog against the working tree's.

The base is the catalog at the ref (`govern.catalog.loader.catalog_at`, the one loader `govern
check` uses too: the same cross-checks, read from git objects), so any error (naming file:line,
the base's files as `<commit12>:<path>`) stops the command before a plan is made from partial
data. Only the base's pacts are written to a temporary directory, for the pact reader.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from pathlib import Path

from govern.catalog import Catalog, load_catalog
from govern.catalog import SchemaRef as CatalogSchema
from govern.catalog.git import Repo
from govern.catalog.loader import catalog_at
from govern.config import load_config
from govern.errors import InputError
from govern.plan.model import Change, SchemaRef, ServiceView, Snapshot, canonical_key
from govern.plan.pacts import PACT_DIR, load_pacts

WORKTREE = "worktree"


def _schema(ref: CatalogSchema, side: str, in_git: bool) -> SchemaRef:
    names = ref.types or (ref.name,)  # a multi-event topic: its event types
    short = "|".join(name.rsplit(".", 1)[-1] for name in names)
    file = f"{side}:{ref.where}" if in_git and ref.file is not None else ref.where
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
        digest = hashlib.sha256(catalog.sources.tree.read_bytes(service.file.as_posix()) or b"")
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


def load_change(root: Path, against: str, drained: Iterable[str] = ()) -> Change:
    """Before (`against`, from git) and after (the working tree) of the project at `root`."""
    root = Path(root)
    config = load_config(root)
    with Repo(root, outside_hint="run inside the project's git checkout") as repo:
        commit = repo.resolve(against)
        after_catalog = load_catalog(root, config=config)
        before_catalog = catalog_at(repo, commit, config=config, worktree=after_catalog, label=against)
        before = snapshot(before_catalog, against, in_git=True)
        with tempfile.TemporaryDirectory(prefix="govern-plan-") as tmp:
            repo.materialise(commit, [PACT_DIR.as_posix()], Path(tmp))
            old_pacts = load_pacts(Path(tmp), against)
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
