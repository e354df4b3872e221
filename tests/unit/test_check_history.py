"""Schema history from git (renames followed, references resolved at each commit) and level union."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from govern.catalog.git import Repo
from govern.catalog.loader import catalog_at
from govern.check.history import GitVersions
from govern.check.register import combined_level
from govern.errors import InputError

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@e.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@e.invalid",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True)


def write(repo: Path, rel: str, value: dict) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2))


def record(name: str, *fields: dict) -> dict:
    return {"type": "record", "name": name, "namespace": "n", "fields": list(fields)}


def contracts(repo: Path, value: str) -> None:
    (repo / "contracts").mkdir(exist_ok=True)
    (repo / "contracts/topics.yaml").write_text(f"topics:\n  t:\n    key: id\n    value_schema: {value}\n")
    (repo / "contracts/s.yaml").write_text("service: s\nproduces:\n  - topic: t\n")


def test_versions_follow_renames_and_referenced_files(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    contracts(tmp_path, "n.Old")
    write(tmp_path, "schemas/n.E.avsc", {"type": "enum", "name": "E", "namespace": "n", "symbols": ["A"]})
    write(tmp_path, "schemas/n.Old.avsc", record("Old", {"name": "e", "type": "n.E"}))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "v1")
    write(
        tmp_path, "schemas/n.E.avsc", {"type": "enum", "name": "E", "namespace": "n", "symbols": ["A", "B"]}
    )
    git(tmp_path, "commit", "-qam", "v2: the referenced enum grows")
    git(tmp_path, "mv", "schemas/n.Old.avsc", "schemas/n.New.avsc")
    git(tmp_path, "commit", "-qm", "rename only: same schema, not a new version")
    write(
        tmp_path,
        "schemas/n.New.avsc",
        record("Old", {"name": "e", "type": "n.E"}, {"name": "x", "type": "int"}),
    )
    git(tmp_path, "commit", "-qam", "v3")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "unrelated")
    with Repo(tmp_path) as repo:
        head = repo.resolve("HEAD")
        base = catalog_at(repo, head)
        assert base is not None
        ref = base.subject("t-value").schema
        versions = GitVersions(repo).versions(head, base, ref, base.parse(ref))
    assert [v.number for v in versions] == [1, 2, 3]
    assert [v.path for v in versions] == ["schemas/n.Old.avsc", "schemas/n.Old.avsc", "schemas/n.New.avsc"]
    assert [v.schema.references[0].json["symbols"] for v in versions] == [["A"], ["A", "B"], ["A", "B"]]
    assert [f["name"] for f in versions[2].schema.json["fields"]] == ["e", "x"]
    assert str(versions[0].schema.position("/fields/0")).startswith(
        f"{versions[0].commit[:12]}:schemas/n.Old"
    )


def test_not_a_repository_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a git repository"):
        Repo(tmp_path)


@pytest.mark.parametrize(
    ("levels", "union"),
    [
        (["BACKWARD"], "BACKWARD"),
        (["BACKWARD", "FORWARD"], "FULL"),
        (["BACKWARD", "FORWARD_TRANSITIVE"], "FULL_TRANSITIVE"),
        (["NONE", "NONE"], "NONE"),
        (["NONE", "BACKWARD_TRANSITIVE"], "BACKWARD_TRANSITIVE"),
    ],
)
def test_combined_level(levels: list[str], union: str) -> None:
    assert combined_level(levels) == union


def test_project_in_a_subdirectory_of_the_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    project = tmp_path / "sub" / "project"
    write(project, "schemas/n.A.avsc", record("A", {"name": "x", "type": "int"}))
    (project / "contracts").mkdir()
    (project / "contracts/topics.yaml").write_text("topics: {}\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "v1")
    write(project, "schemas/n.A.avsc", record("A", {"name": "x", "type": "long"}))
    (project / "schemas/n.B.avsc").write_text("{}")
    with Repo(project) as repo:
        head = repo.resolve("HEAD")
        assert repo.changed_paths(head, ["schemas", "contracts"]) == {"schemas/n.A.avsc", "schemas/n.B.avsc"}
        assert list(repo.tree_blobs(head, "contracts")) == ["contracts/topics.yaml"]
        assert [t.path for _, touches in repo.history(head, ["schemas"]) for t in touches] == [
            "schemas/n.A.avsc"
        ]
        blob = repo.tree_blobs(head, "schemas")["schemas/n.A.avsc"]
        found = repo.read_blob_bytes([blob, "0" * 40])
        assert b'"type": "int"' in found[blob] and found["0" * 40] is None  # as committed
