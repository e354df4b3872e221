"""`run_check`: load the catalog, pick the subjects, check against git or a registry, apply the ledger."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from govern.catalog import load_catalog
from govern.check.accepted import apply_ledger, ledger_path, load_ledger
from govern.check.model import Report
from govern.check.subjects import declared_subjects, select
from govern.config import load_config
from govern.errors import InputError
from govern.report.policy import LintPolicy


def run_check(
    root: Path,
    *,
    against: str | None = None,
    registry_url: str | None = None,
    subjects: Iterable[str] = (),
    all_subjects: bool = False,
    ask_registry: bool = False,
    today: dt.date | None = None,
) -> Report:
    """Check the working tree at `root` against the git ref `against`, else the registry at `registry_url`.

    Raises InputError (exit 2) for bad contracts, schemas, ledger or subject names, and
    EnvironmentProblem (exit 3) when git or the registry cannot answer.
    """
    with _gc_paused():
        return _run_check(root, against, registry_url, subjects, all_subjects, ask_registry, today)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one check, then restore it.

    A check builds about a million small, long-lived objects (parsed contracts, schema graphs of
    every version); the collector's passes over them cost ~30% of a large check's CPU time and
    free nothing (reference counting frees the rest). Whatever cyclic garbage the check leaves
    is collected after it, as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run_check(
    root: Path,
    against: str | None,
    registry_url: str | None,
    subjects: Iterable[str],
    all_subjects: bool,
    ask_registry: bool,
    today: dt.date | None,
) -> Report:
    config = load_config(root)
    catalog = load_catalog(Path(root), config=config)
    declared = declared_subjects(catalog)
    wanted = list(subjects)
    chosen = select(declared, wanted)
    ledger = load_ledger(catalog.root, [s.name for s in declared], config.contracts_dir)
    if against is not None:
        from govern.check.from_git import check_against_git

        report = check_against_git(
            catalog,
            chosen,
            against,
            all_subjects=all_subjects,
            include_removed=not wanted,
            config=config,
        )
    elif registry_url:
        from govern.check.from_registry import check_against_registry
        from govern.registry.credentials import connect

        with connect(registry_url, vars(config), retries=1, timeout=10.0) as client:
            report = check_against_registry(
                catalog, chosen, client, all_subjects=all_subjects, ask_registry=ask_registry
            )
    else:
        raise InputError(
            "nothing to check against",
            hint="pass --against REF (a git branch, tag or commit) or --registry URL "
            "(or set GOVERN_REGISTRY_URL)",
        )
    apply_ledger(report, ledger, today, ledger_path(config.contracts_dir))
    LintPolicy.parse(config.lint).apply_to(report)
    return report
