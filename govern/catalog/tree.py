"""Where the catalog's files come from: the working tree, or a git commit (read without checkout).

The loader sees a project only through a `Tree`: list the files under a folder, read one file,
name it in errors. `DiskTree` reads the working tree; `GitTree` reads a commit's blobs through the
shared `git cat-file --batch` of `govern.catalog.git.Repo`, so "the catalog at a ref" is the same
loader over another tree, with no temporary checkout.
"""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

from govern.catalog.git import Repo


class Tree(ABC):
    """A read-only view of a project's files, by POSIX path relative to the project root."""

    root: Path

    @abstractmethod
    def files(self, directory: str) -> list[str]:
        """Every file under `directory` at any depth, sorted (empty when it does not exist)."""

    @abstractmethod
    def is_dir(self, directory: str) -> bool:
        """Whether `directory` is there (in a git tree: whether it holds a file)."""

    @abstractmethod
    def read(self, rel: str) -> str | None:
        """The UTF-8 text of `rel`, or None when there is no such file."""

    @abstractmethod
    def read_bytes(self, rel: str) -> bytes | None:
        """The bytes of `rel`, or None when there is no such file."""

    @abstractmethod
    def display(self, rel: str) -> str:
        """How errors and findings name `rel` (a path, or `<commit12>:<path>` in git)."""

    def local_path(self, rel: str) -> Path:
        """`rel` as a file on disk, for a compiler that reads the files it imports (Avro IDL)."""
        if self._local is None:
            self._local = tempfile.TemporaryDirectory(prefix="govern-tree-")  # removed with the tree
            for name in self.files(""):
                data = self.read_bytes(name)
                if data is not None:
                    target = Path(self._local.name) / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
        return Path(self._local.name) / rel

    _local: tempfile.TemporaryDirectory[str] | None = None


class DiskTree(Tree):
    """The working tree at `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def files(self, directory: str) -> list[str]:
        base = self.root / directory
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def is_dir(self, directory: str) -> bool:
        return (self.root / directory).is_dir()

    def read(self, rel: str) -> str | None:
        data = self.read_bytes(rel)
        return None if data is None else data.decode("utf-8")

    def read_bytes(self, rel: str) -> bytes | None:
        try:
            return (self.root / rel).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def display(self, rel: str) -> str:
        return str(self.root / rel)

    def local_path(self, rel: str) -> Path:
        return self.root / rel


class GitTree(Tree):
    """The files of `directories` as they are at `commit`; blobs read lazily, each once. Files are
    named `<label>:<path>` (the ref the user gave, else the commit's first 12 digits).

    `same` maps paths whose text is the same at `commit` as in the working tree to that text
    (what `git diff` says did not change): they are not read from git again.
    """

    def __init__(
        self,
        repo: Repo,
        commit: str,
        directories: tuple[str, ...],
        same: Mapping[str, bytes] | None = None,
        *,
        label: str | None = None,
    ) -> None:
        self.repo = repo
        self.commit = commit
        self.label = label or commit[:12]  #: how files are named: `<label>:<path>`, as git names them
        self.root = repo.root
        self._blobs: dict[str, str] = {}
        for directory in directories:
            self._blobs.update(repo.tree_blobs(commit, directory))
        self._same = dict(same or {})
        self._data: dict[str, bytes | None] = {}

    def files(self, directory: str) -> list[str]:
        prefix = directory.rstrip("/") + "/" if directory else ""
        return sorted(path for path in self._blobs if path.startswith(prefix))

    def is_dir(self, directory: str) -> bool:
        prefix = directory.rstrip("/") + "/"
        return any(path.startswith(prefix) for path in self._blobs)

    def prefetch(self, paths: list[str]) -> None:
        """Read many blobs in one pipelined batch (before the loader asks for them one by one)."""
        wanted = [p for p in paths if p in self._blobs and p not in self._data and p not in self._same]
        found = self.repo.read_blob_bytes(self._blobs[p] for p in wanted)
        for path in wanted:
            self._data[path] = found[self._blobs[path]]

    def read(self, rel: str) -> str | None:
        data = self.read_bytes(rel)
        return None if data is None else data.decode("utf-8", errors="replace")

    def read_bytes(self, rel: str) -> bytes | None:
        if rel in self._same:
            return self._same[rel]
        if rel not in self._blobs:
            return None
        if rel not in self._data:
            self.prefetch([rel])
        return self._data[rel]

    def same_as_worktree(self, rel: str) -> bool:
        """Whether `rel` is at this commit as in the working tree (as `git diff` said)."""
        return rel in self._same

    def blob(self, rel: str) -> str | None:
        """The blob id of `rel` at the commit (None when absent)."""
        return self._blobs.get(rel)

    def display(self, rel: str) -> str:
        return f"{self.label}:{rel}"
