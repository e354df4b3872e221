"""govern.catalog.git.Repo: the git helper shared by `govern check --against` and the release planner."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from govern.catalog.git import Repo
from govern.errors import InputError


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project in a subdirectory of its repository, with a link inside and one pointing out."""
    root = tmp_path / "repo" / "platform"
    (root / "contracts" / "pacts").mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "contracts" / "topics.yaml").write_text("topics: {}\n")
    (root / "contracts" / "pacts" / "ui-wallet.json").write_text("{}\n")
    (root / "schemas" / "a.avsc").write_bytes(b'{"doc": "caf\xc3\xa9"}')
    (root / "schemas" / "run.sh").write_text("#!/bin/sh\n")
    (root / "schemas" / "n\u00e9e.avsc").write_text("{}")
    (root / "schemas" / "run.sh").chmod(0o755)
    os.symlink("a.avsc", root / "schemas" / "same.avsc")
    os.symlink("../../../outside", root / "schemas" / "escape.avsc")
    (root.parent / "elsewhere.txt").write_text("not planned\n")
    git(root.parent, "init", "-q")
    git(root.parent, "add", "-A")
    git(root.parent, "commit", "-qm", "base")
    return root


def test_materialise_writes_the_directories_at_the_commit(project: Path, tmp_path: Path) -> None:
    (project / "schemas" / "a.avsc").write_text("changed in the working tree")
    dest = tmp_path / "base"
    dest.mkdir()
    with Repo(project) as repo:
        repo.materialise(repo.resolve("HEAD"), ["contracts", "schemas", "missing"], dest)
    assert (dest / "contracts" / "topics.yaml").read_text() == "topics: {}\n"
    assert (dest / "contracts" / "pacts" / "ui-wallet.json").is_file()
    assert (dest / "schemas" / "a.avsc").read_bytes() == b'{"doc": "caf\xc3\xa9"}'  # bytes as committed
    assert os.access(dest / "schemas" / "run.sh", os.X_OK)
    assert (dest / "schemas" / "n\u00e9e.avsc").read_text() == "{}"  # a name git would quote
    assert os.readlink(dest / "schemas" / "same.avsc") == "a.avsc"
    assert not (dest / "schemas" / "escape.avsc").exists()
    assert not (dest / "elsewhere.txt").exists() and not (dest / "missing").exists()


@pytest.mark.parametrize("ref", ["", "-x", "--output=/tmp/x"])
def test_a_ref_that_looks_like_an_option_is_refused(project: Path, ref: str) -> None:
    with Repo(project) as repo, pytest.raises(InputError, match="invalid git ref"):
        repo.resolve(ref)


def test_history_names_each_touch_with_its_blob(project: Path) -> None:
    git(project, "mv", "schemas/a.avsc", "schemas/b.avsc")
    git(project, "commit", "-qm", "move")
    with Repo(project) as repo:
        log = repo.history(repo.resolve("HEAD"), ["schemas"])
        moved = [t for _, touches in log for t in touches if t.status == "R"]
        assert [(t.old_path, t.path) for t in moved] == [("schemas/a.avsc", "schemas/b.avsc")]
        blob = moved[0].blob
        assert blob is not None and repo.tree_blobs(repo.resolve("HEAD"), "schemas")["schemas/b.avsc"] == blob
        assert repo.read_blob_bytes([blob])[blob] == '{"doc": "café"}'.encode()


def test_outside_a_repository_the_hint_is_the_callers(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a git repository") as caught:
        Repo(tmp_path, outside_hint="run inside the checkout")
    assert caught.value.hint == "run inside the checkout"
