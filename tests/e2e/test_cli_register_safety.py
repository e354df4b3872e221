"""`govern register` is safe against production: all or nothing, the registry's form kept,
normalised look-ups, accepted breaks written under NONE with the level restored, and a plan that
is not applied over a registry that moved."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from govern.catalog import load_catalog
from govern.check.register import RegistryChanged, apply_plan, plan_registration
from govern.check.subjects import declared_subjects
from govern.registry import Client
from govern.registry.server.run import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
WALLET = "schemas/io.govern.exchange.Wallet.avsc"
ACCOUNT = "schemas/io.govern.exchange.Account.avsc"


def govern(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERN_REGISTRY")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def register(tree: Path, url: str, *args: str) -> tuple[int, dict]:
    result = govern("register", "--registry", url, "--format", "json", *args, cwd=tree)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture
def url() -> Iterator[str]:
    with serve_in_thread(None) as base:
        yield base


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def add_field(tree: Path, rel: str, field: str) -> None:
    path = tree / rel
    path.write_text(path.read_text().replace('"fields": [\n', f'"fields": [\n    {field},\n', 1))


def state(url: str) -> dict[str, object]:
    """Every subject's versions and level: what must not move when register refuses."""
    with Client(url) as client:
        out: dict[str, object] = {}
        for subject in client.subjects():
            try:
                level = client.get_config(subject).compatibility
            except Exception:  # noqa: BLE001 - no subject-level config
                level = None
            out[subject] = (client.versions(subject), level)
        return out


def test_one_incompatible_subject_means_nothing_is_written(tree: Path, url: str) -> None:
    register(tree, url)
    before = state(url)
    add_field(tree, WALLET, '{"name": "fee", "type": ["null", "int"], "default": null}')  # compatible
    add_field(tree, ACCOUNT, '{"name": "tier", "type": "int"}')  # breaks BACKWARD
    topics = tree / "contracts/topics.yaml"  # and a level change, which must not be written either
    topics.write_text(topics.read_text().replace("\n  wallet:\n", "\n  wallet:\n    compatibility: FULL\n"))
    code, plan = register(tree, url, "--dry-run")
    assert code == 1
    statuses = {s["subject"]: s["status"] for s in plan["subjects"]}
    assert statuses["wallet-value"] == "new version" and statuses["account-value"] == "incompatible"
    code, result = register(tree, url)
    assert code == 1 and result["written"] is False
    assert state(url) == before
    text = govern("register", "--registry", url, cwd=tree)
    assert text.returncode == 1 and "nothing written" in text.stdout


def test_a_ledgered_break_is_written_under_none_and_the_level_restored(tree: Path, url: str) -> None:
    register(tree, url)
    add_field(tree, WALLET, '{"name": "fee", "type": ["null", "int"], "default": null}')
    add_field(tree, ACCOUNT, '{"name": "tier", "type": "int"}')
    code, plan = register(tree, url, "--dry-run")
    account = next(s for s in plan["subjects"] if s["subject"] == "account-value")
    finding = account["findings"][0]
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    (tree / "contracts/accepted-breaks.yaml").write_text(
        "version: 1\nbreaks:\n"
        f"  - subject: account-value\n    rule: {finding['rule']}\n    location: {finding['location']}\n"
        f"    reason: all readers migrated\n    owner: team-accounts\n    expires: {expires}\n"
    )
    code, result = register(tree, url)
    assert code == 0, result
    statuses = {s["subject"]: s["status"] for s in result["subjects"]}
    assert statuses["account-value"] == statuses["wallet-value"] == "registered"
    account = next(s for s in result["subjects"] if s["subject"] == "account-value")
    assert account["accepted"][0]["owner"] == "team-accounts"
    with Client(url) as client:
        assert client.versions("account-value") == [1, 2] and client.versions("wallet-value") == [1, 2]
        assert client.get_config("account-value").compatibility == "BACKWARD"  # restored


def test_inlined_subjects_stay_inlined_and_formatting_is_no_change(tree: Path, url: str) -> None:
    catalog = load_catalog(tree)
    success = next(t for t in catalog.topics if t.name == "transaction-success")
    with Client(url) as client:
        # held as a self-contained schema, as many registries populated by serializers hold it
        client.register("transaction-success-value", json.dumps(success.value_schema.expanded))
        # held with other formatting and attribute order than the file has
        wallet = json.loads((tree / WALLET).read_text())
        client.register("wallet-value", json.dumps(dict(reversed(list(wallet.items()))), indent=4))
    code, plan = register(tree, url, "--dry-run")
    by_subject = {s["subject"]: s for s in plan["subjects"]}
    assert by_subject["transaction-success-value"]["form"] == "inlined"
    assert by_subject["transaction-success-value"]["status"] == "unchanged"
    assert by_subject["wallet-value"]["status"] == "unchanged"
    code, forced = register(tree, url, "--dry-run", "--references", "always")
    assert {s["subject"]: s for s in forced["subjects"]}["transaction-success-value"][
        "status"
    ] == "new version"
    bad = govern("register", "--registry", url, "--references", "sometimes", cwd=tree)
    assert bad.returncode == 2 and "--references" in bad.stderr


def test_the_dry_run_plan_is_what_the_apply_executes(tree: Path, url: str) -> None:
    register(tree, url)
    add_field(tree, WALLET, '{"name": "fee", "type": ["null", "int"], "default": null}')
    code, plan = register(tree, url, "--dry-run")
    code, done = register(tree, url)
    assert code == 0
    planned = [(s["subject"], s["version"], s["schema"], s["references"]) for s in plan["subjects"]]
    applied = [(s["subject"], s["version"], s["schema"], s["references"]) for s in done["subjects"]]
    assert planned == applied


def test_a_registry_that_moved_since_the_plan_stops_the_apply(tree: Path, url: str) -> None:
    register(tree, url)
    add_field(tree, WALLET, '{"name": "fee", "type": ["null", "int"], "default": null}')
    catalog = load_catalog(tree)
    with Client(url) as client:
        plan = plan_registration(catalog, client, declared_subjects(catalog))
        wallet = json.loads((tree / WALLET).read_text())
        wallet["fields"].insert(0, {"name": "other", "type": "string", "default": ""})
        client.register("wallet-value", json.dumps(wallet))  # someone else got there first
        with pytest.raises(RegistryChanged, match="wallet-value"):
            apply_plan(client, plan)
        assert client.versions("wallet-value") == [1, 2]
