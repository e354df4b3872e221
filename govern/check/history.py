"""Schema versions from git history: a subject's schema at each commit that changed it.

The base catalog (`govern.catalog.catalog_at`) says which files a subject's schema lives in at
the ref: the file of each of its types and of every type they use, in any layout. Each commit
touching one of those files (renames followed, oldest first) gives a version: the same types
looked up by full name among those files as they were then, parsed by `govern.avro` with
positions named `<commit12>:<path>`, which is how users name a file at a commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from govern.avro import AvroSchema
from govern.catalog import Catalog, SchemaRef
from govern.catalog.git import Repo, Touch
from govern.catalog.resolve import parse_ref
from govern.catalog.sources import SchemaFile, SchemaIndex
from govern.catalog.tree import Tree
from govern.errors import InputError


@dataclass(frozen=True)
class Version:
    """One distinct version of a subject's schema in git: its number (1 = oldest), commit, file, schema."""

    number: int
    commit: str
    path: str
    schema: AvroSchema

    @property
    def label(self) -> str:
        return f"v{self.number} ({self.commit[:12]}:{self.path})"


class _Files(Tree):
    """A few files of one commit (those a subject's schema lives in), as the catalog's loader sees them."""

    def __init__(self, root: Path, commit: str, texts: dict[str, bytes]) -> None:
        self.root = root
        self.commit = commit
        self.texts = texts

    def files(self, directory: str) -> list[str]:
        return sorted(self.texts)  # only the subject's files: the one directory asked for

    def is_dir(self, directory: str) -> bool:
        return True

    def read(self, rel: str) -> str | None:
        data = self.texts.get(rel)
        return None if data is None else data.decode("utf-8", errors="replace")

    def read_bytes(self, rel: str) -> bytes | None:
        return self.texts.get(rel)

    def display(self, rel: str) -> str:
        return f"{self.commit[:12]}:{rel}"


def schema_files(catalog: Catalog, ref: SchemaRef) -> list[str]:
    """The files `ref` lives in: its own (first) and those of every type it uses."""
    index = catalog.sources
    owners = [index.owner[name] for name in ref.types] if ref.types else []
    if ref.file is not None:
        owners.insert(0, ref.file.as_posix())
    out: list[str] = []
    for owner in owners:
        for rel in (owner, *index.closure(owner)):
            if rel not in out:
                out.append(rel)
    return out


class GitVersions:
    """Reads a subject's files at the commits that changed them, and parses its schema there."""

    def __init__(self, repo: Repo, schemas_dir: str = "schemas") -> None:
        self.repo = repo
        self.schemas_dir = schemas_dir
        self._log: list[tuple[str, list[Touch]]] | None = None
        self._touching: dict[str, list[int]] | None = None
        self._renames: dict[tuple[int, str], str] = {}  # (log position, new path) -> old path
        self._blob_at: dict[tuple[str, str], str | None] = {}  # (commit, path) -> blob (None: deleted)
        self._parsed: dict[tuple[tuple[str, str], ...], AvroSchema | None] = {}
        self._data: dict[str, bytes | None] = {}  # blob id -> contents, read in one batch per subject
        self.texts: dict[str, str] = {}  #: `<commit12>:<path>` -> text, for showing offending lines
        self.compiled: dict[str, SchemaFile] = {}  #: compiled files (Avro IDL) of older versions
        self.skipped: list[str] = []  #: versions that could not be parsed (reported as notes)

    def load_log(self, commit: str) -> list[tuple[str, list[Touch]]]:
        """Every commit touching the schemas folder up to `commit`, oldest first (read once)."""
        if self._log is None:
            self._log = self.repo.history(commit, [self.schemas_dir])
            index: dict[str, list[int]] = defaultdict(list)
            for position, (sha, touches) in enumerate(self._log):
                for touch in touches:
                    index[touch.path].append(position)
                    self._blob_at[(sha, touch.path)] = touch.blob
                    if touch.status == "R" and touch.old_path:
                        self._renames[(position, touch.path)] = touch.old_path
            self._touching = index
        return self._log

    def versions(self, commit: str, catalog: Catalog, ref: SchemaRef, latest: AvroSchema) -> list[Version]:
        """Distinct versions of `ref` (as the base `catalog` at `commit` declares it), oldest first.

        A commit counts when it touches the schema's file or a file it uses (an enum it uses may
        have gained a symbol); consecutive identical versions are one version; the schema at
        `commit` (`latest`) is always the newest.
        """
        files = schema_files(catalog, ref)
        picked = self._pick(commit, files) if files else []
        self._read([(sha, path) for sha, paths in picked for path in paths])
        blobs = {self._blob_at.get((sha, path)) for sha, paths in picked for path in paths} - {None}
        wanted = [b for b in blobs if b not in self._data]
        self._data.update(self.repo.read_blob_bytes(sorted(wanted)))  # type: ignore[arg-type]
        out: list[Version] = []
        for sha, paths in reversed(picked):
            schema = self._parse(sha, paths, ref)
            if schema is None or (out and out[-1].schema == schema):
                continue
            out.append(Version(len(out) + 1, sha, paths[0], schema))
        if not out or out[-1].schema != latest:
            out.append(Version(len(out) + 1, commit, files[0] if files else ref.where, latest))
        return out

    def _pick(self, commit: str, files: list[str]) -> list[tuple[str, list[str]]]:
        """(commit, the files' paths there) of each commit touching them, newest first; renames followed."""
        log = self.load_log(commit)
        touching = self._touching or {}
        tip = next((i for i, (sha, _) in enumerate(log) if sha == commit), len(log) - 1)
        picked: list[tuple[str, list[str]]] = []
        current, before = list(files), tip + 1
        while True:
            positions = sorted({i for p in current for i in touching.get(p, ()) if i < before}, reverse=True)
            renamed: tuple[int, list[str]] | None = None
            for position in positions:
                picked.append((log[position][0], list(current)))
                olds = [self._renames.get((position, p), p) for p in current]
                if olds != current:  # before this commit a file had another name: follow it
                    renamed = (position, olds)
                    break
            if renamed is None:
                break
            before, current = renamed
        return picked

    def _read(self, items: list[tuple[str, str]]) -> None:
        """Learn the blob ids of (commit, path) not touched there (one pipelined batch)."""
        unknown = [item for item in dict.fromkeys(items) if item not in self._blob_at]
        if not unknown:
            return
        listed = self.repo.run(
            "rev-parse", *[f"{sha}:{self.repo.prefix}{path}" for sha, path in unknown], check=False
        ).stdout.split()
        if len(listed) == len(unknown):
            self._blob_at.update(zip(unknown, listed, strict=True))
        else:  # some path absent at some commit: ask one by one
            for sha, path in unknown:
                one = self.repo.run(
                    "rev-parse", "--verify", "--quiet", f"{sha}:{self.repo.prefix}{path}", check=False
                )
                self._blob_at[(sha, path)] = one.stdout.strip() or None

    def _parse(self, sha: str, paths: list[str], ref: SchemaRef) -> AvroSchema | None:
        blobs = tuple((path, self._blob_at.get((sha, path)) or "") for path in paths)
        if blobs in self._parsed:
            return self._parsed[blobs]
        texts = {path: self._data[blob] for path, blob in blobs if blob and self._data.get(blob) is not None}
        schema: AvroSchema | None = None
        try:
            tree = _Files(self.repo.root, sha, texts)  # type: ignore[arg-type]
            index = SchemaIndex(tree, self.schemas_dir, strict=False)
            schema = parse_ref(index, _renamed(ref, paths))
            self.compiled.update(index.compiled)
            for path, text in texts.items():
                self.texts[tree.display(path)] = text.decode("utf-8", errors="replace")  # type: ignore[union-attr]
        except (InputError, KeyError) as error:
            self.skipped.append(f"{sha[:12]}:{paths[0]}: not a valid schema there ({error}); skipped")
        self._parsed[blobs] = schema
        return schema


def _renamed(ref: SchemaRef, paths: list[str]) -> SchemaRef:
    """`ref` with its own file as named at an older commit (types are found by full name anyway)."""
    if ref.file is None or ref.file.as_posix() == paths[0]:
        return ref
    return replace(ref, file=Path(paths[0]))
