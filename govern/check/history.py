"""Schema versions from git history: each version of a file, parsed with its references as of that commit.

Versions are parsed from their text; the one a finding is about is parsed again from its text
labelled `<commit12>:<path>` (how users name a file at a commit), so findings keep file:line:col
in old versions too (positions are computed from the text only when printed; no file is written).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from govern.avro import AvroSchema, SchemaParseError, parse_schema
from govern.catalog._schemas import _walk  # the one walker that finds the names a schema uses
from govern.catalog.git import Repo, Touch

SCHEMAS_DIR = "schemas"


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


class GitVersions:
    """Reads schema files at commits and parses them with their references (memoised per blob)."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._parsed: dict[tuple[str, str, bool], AvroSchema | None] = {}
        self._log: list[tuple[str, list[Touch]]] | None = None
        self._touching: dict[str, list[int]] | None = None
        self._texts: dict[tuple[str, str], str | None] = {}
        self._renames: dict[tuple[int, str], str] = {}  # (log position, new path) -> old path
        self._picks: dict[tuple[str, str], list[tuple[str, str]]] = {}  # _picked, once per (commit, path)
        #: (commit, path) -> its blob id where known (None: deleted there); from the log and ls-tree
        self._blob_at: dict[tuple[str, str], str | None] = {}
        self._listed: set[str] = set()  # commits whose schemas/ blobs are in _blob_at
        self._by_blob: dict[str, AvroSchema] = {}  # parsed self-contained schemas, by blob id
        self.skipped: list[str] = []  #: versions that could not be parsed (reported as notes)

    def parse(
        self, commit: str, path: str, stack: tuple[str, ...] = (), *, located: bool = False
    ) -> AvroSchema | None:
        """The schema in `path` at `commit` with the types it names from other files there; None if absent.

        `located` labels the text `<commit12>:<path>`, so positions name `<commit12>:<path>:line:col`
        (needed only for the version a finding is about; unlabelled parses are shared across commits
        by blob).
        """
        key = (commit, path, located)
        if key in self._parsed:
            return self._parsed[key]
        blob = self._blob_at.get((commit, path))
        if not located and blob is not None and blob in self._by_blob:  # same text, another commit
            self._parsed[key] = self._by_blob[blob]
            return self._parsed[key]
        text = self._texts.pop((commit, path)) if (commit, path) in self._texts else self._read(commit, path)
        schema: AvroSchema | None = None
        if text is not None and not located:
            schema = _self_contained(text)  # the common case: one decode, no references
        if schema is not None:
            if blob is not None:
                self._by_blob[blob] = schema
        elif text is not None:
            try:
                value = json.loads(text)
                names: list[str] = []
                _walk(value, None, set(), names)
                refs = []
                for name in names:
                    ref_path = f"{SCHEMAS_DIR}/{name}.avsc"
                    if ref_path == path or ref_path in stack:
                        continue
                    ref = self.parse(commit, ref_path, (*stack, path), located=located)
                    if ref is not None:
                        refs.append(ref)
                label = f"{commit[:12]}:{path}" if located else None
                schema = parse_schema(text, references=refs, strict=False, file=label)
            except (ValueError, SchemaParseError) as error:
                if not located:
                    self.skipped.append(f"{commit[:12]}:{path}: not a valid schema there ({error}); skipped")
                schema = None
        self._parsed[key] = schema
        return schema

    def _read(self, commit: str, path: str) -> str | None:
        """The text of `path` at `commit`, by blob id where known (cheap), else through its tree."""
        if (commit, path) in self._blob_at:
            blob = self._blob_at[(commit, path)]
            return None if blob is None else self.repo.read_blobs([blob])[blob]
        return self.repo.show(commit, path)

    def _list(self, commit: str) -> None:
        """Learn the blob ids of schemas/ at `commit` (one `ls-tree`: for the base, not every commit)."""
        if commit in self._listed:
            return
        self._listed.add(commit)
        found = self.repo.blobs(commit, SCHEMAS_DIR)
        for file in found:
            self._blob_at[(commit, file)] = found[file]

    def prefetch(self, items: list[tuple[str, str]]) -> None:
        """Read the texts of many (commit, path) in one pipelined batch, before parsing them.

        Versions whose blob id the log gave are read by id (each distinct blob once: a file
        unchanged by a commit that touched only a file it references is not read again).
        """
        wanted = [item for item in items if (*item, False) not in self._parsed and item not in self._texts]
        by_id = [item for item in wanted if item in self._blob_at]
        ids = {self._blob_at[item] for item in by_id} - {None} - self._by_blob.keys()
        texts = self.repo.read_blobs(sorted(ids))  # type: ignore[arg-type]
        for item in by_id:
            blob = self._blob_at[item]
            if blob not in self._by_blob:
                self._texts[item] = None if blob is None else texts[blob]
        self._texts.update(self.repo.show_many([item for item in wanted if item not in self._blob_at]))

    def log(self) -> list[tuple[str, list[Touch]]]:
        """Every commit touching schemas/ reachable from the repository's refs asked so far (cached)."""
        if self._log is None:
            raise RuntimeError("call load_log(commit) first")
        return self._log

    def load_log(self, commit: str) -> None:
        if self._log is None:
            self._log = self.repo.history(commit, [SCHEMAS_DIR])

    def _index(self) -> dict[str, list[int]]:
        """Path -> positions in the log of the commits touching it (built once)."""
        if self._touching is None:
            index: dict[str, list[int]] = defaultdict(list)
            for position, (sha, touches) in enumerate(self.log()):
                for touch in touches:
                    index[touch.path].append(position)
                    self._blob_at[(sha, touch.path)] = touch.blob
                    if touch.status == "R" and touch.old_path:
                        self._renames[(position, touch.path)] = touch.old_path
            self._touching = index
        return self._touching

    def prefetch_versions(self, commit: str, latest: list[str], every: list[str]) -> None:
        """Read, in two batches, what `latest(commit, p)` needs for each p in `latest` and what
        `versions(commit, p)` needs for each p in `every` (one round trip to git, not one each)."""
        if not latest and not every:
            return
        self._list(commit)
        self.prefetch([(commit, path) for path in (*latest, *every)])
        if not every:
            return
        self.load_log(commit)
        picked: list[tuple[str, str]] = []
        for path in every:
            schema = self.parse(commit, path)
            if schema is not None:
                picked += self._picked(commit, path, schema)
        self.prefetch(picked)

    def versions(self, commit: str, path: str) -> list[Version]:
        """Distinct versions of the schema in `path` up to `commit`, oldest first, following renames.

        A commit counts when it touches the file or a file it references (an enum it uses may
        have gained a symbol); consecutive identical versions are one version.
        """
        self.load_log(commit)
        self._list(commit)
        latest = self.parse(commit, path)
        if latest is None:
            return []
        picked = self._picked(commit, path, latest)
        self.prefetch(picked)
        out: list[Version] = []
        for sha, file in reversed(picked):
            schema = self.parse(sha, file)
            if schema is None or (out and out[-1].schema == schema):
                continue
            out.append(Version(len(out) + 1, sha, file, schema))
        if not out or out[-1].schema != latest:  # the file as of `commit` is always the newest version
            out.append(Version(len(out) + 1, commit, path, latest))
        return out

    def _picked(self, commit: str, path: str, latest: AvroSchema) -> list[tuple[str, str]]:
        """(commit, path there) of each commit touching `path` or a file it references, newest first
        (worked out once: `prefetch_versions` and `versions` both ask)."""
        known = self._picks.get((commit, path))
        if known is None:
            known = self._picks[(commit, path)] = self._pick(commit, path, latest)
        return known

    def _pick(self, commit: str, path: str, latest: AvroSchema) -> list[tuple[str, str]]:
        deps = [f"{SCHEMAS_DIR}/{n}" for n in _ref_names(latest)]
        log, touching = self.log(), self._index()
        picked: list[tuple[str, str]] = []  # (commit, path there), newest first
        current, before = path, len(log)
        while True:
            positions = sorted(
                {i for p in (current, *deps) for i in touching.get(p, ()) if i < before}, reverse=True
            )
            renamed: tuple[int, str] | None = None
            for position in positions:
                sha = log[position][0]
                picked.append((sha, current))
                old = self._renames.get((position, current))
                if old:  # before this commit the file had another name: follow it
                    renamed = (position, old)
                    break
            if renamed is None:
                break
            before, current = renamed
        return picked

    def latest(self, commit: str, path: str) -> Version | None:
        """Only the version at `commit` (what non-transitive levels compare with)."""
        self._list(commit)
        schema = self.parse(commit, path)
        return None if schema is None else Version(1, commit, path, schema)


def _self_contained(text: str) -> AvroSchema | None:
    """`text` parsed (leniently) when it names no type of another file; else None (parse with references).

    What `GitVersions.parse` would build with no references, decoding the JSON once instead of
    twice; anything unusual (invalid JSON or schema, a name from elsewhere) takes the full path.
    A name from another file is an undefined name without references, so the parse fails then.
    """
    try:
        return parse_schema(text, strict=False)
    except (ValueError, SchemaParseError):
        return None


def _ref_names(schema: AvroSchema) -> list[str]:
    return [f"{r.name}.avsc" for r in schema.references]
