"""Read contracts/ and schemas/ as they are in git: refs, changed paths, file history, blobs.

One small helper shared by everything that compares the working tree with a git ref (`govern
check --against`, the release planner). Git is run as a subprocess; blobs are read through one
long-lived `git cat-file --batch` so that reading a thousand file versions costs one process.
Errors: git missing is an `EnvironmentProblem` (exit 3); a bad ref or not a repository is an
`InputError` (exit 2); a shallow clone that lacks the history asked for is an
`EnvironmentProblem` whose hint says how to deepen it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from govern.errors import EnvironmentProblem, InputError

DEEPEN_HINT = (
    "this checkout is shallow: run `git fetch --unshallow` (or `git fetch origin <branch>`), "
    "or in GitHub Actions set `fetch-depth: 0` on actions/checkout"
)


def _git_binary() -> str:
    git = shutil.which("git")
    if git is None:
        raise EnvironmentProblem("git not found on PATH", hint="install git; this command reads history")
    return git


_NO_BLOB = "0" * 40


class Touch(NamedTuple):
    """One commit's change to one path: status letter (A, M, D, R), for a rename the old path, and
    the id of the blob the path holds after the commit (None when deleted).

    A named tuple: a log over a thousand files holds tens of thousands of these.
    """

    commit: str
    status: str
    path: str
    old_path: str | None = None
    blob: str | None = None


class Repo:
    """A git work tree seen from `root` (which may be a subdirectory of it).

    Paths given to and returned by this class are relative to `root`, as contracts name them.
    """

    def __init__(
        self,
        root: Path,
        *,
        outside_hint: str = "run inside the project's git checkout, or pass --registry instead of --against",
    ) -> None:
        self.root = Path(root)
        self._git = _git_binary()
        top = self.run("rev-parse", "--show-prefix", check=False)
        if top.returncode != 0:
            raise InputError(f"{self.root.resolve()}: not a git repository", hint=outside_hint)
        self.prefix = top.stdout.strip()  # "" at the top level, else "sub/dir/"
        self._batch: subprocess.Popen[bytes] | None = None

    # -- plumbing -------------------------------------------------------------------------------
    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one git command in `root`; on failure (with `check`) raise naming its last line."""
        done = subprocess.run(
            [self._git, "-C", str(self.root), *args], capture_output=True, text=True, check=False
        )
        if check and done.returncode != 0:
            lines = done.stderr.strip().splitlines()
            raise EnvironmentProblem(
                f"git {args[0]} failed: {lines[-1] if lines else 'exit ' + str(done.returncode)}",
                hint="check that the repository is readable",
            )
        return done

    def close(self) -> None:
        """Stop the cat-file process, if one was started."""
        if self._batch is not None:
            self._batch.stdin.close()  # type: ignore[union-attr]
            self._batch.wait(timeout=10)
            self._batch = None

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _full(self, path: str) -> str:
        return f"{self.prefix}{path}"

    def _rel(self, path: str) -> str | None:
        return path[len(self.prefix) :] if path.startswith(self.prefix) else None

    # -- questions ------------------------------------------------------------------------------
    def is_shallow(self) -> bool:
        """Whether this is a shallow clone (history cut off, as CI checkouts are by default)."""
        return self.run("rev-parse", "--is-shallow-repository", check=False).stdout.strip() == "true"

    def resolve(self, ref: str) -> str:
        """The commit id `ref` names (branch, remote branch, tag, commit); works on a detached HEAD."""
        if not ref or ref.startswith("-"):  # never let a ref be read as an option
            hint = "pass a branch, tag or commit, e.g. --against main"
            raise InputError(f"invalid git ref {ref!r}", hint=hint)
        found = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        if found.returncode != 0 or not found.stdout.strip():
            if self.is_shallow():
                raise EnvironmentProblem(f"git ref {ref!r} is not in this shallow clone", hint=DEEPEN_HINT)
            hint = "pass a branch, tag or commit that exists (see `git log --oneline`)"
            if "/" in ref:
                hint += f"; for a remote branch fetch it first: `git fetch {ref.split('/', 1)[0]}`"
            raise InputError(f"unknown git ref {ref!r}", hint=hint)
        return found.stdout.strip()

    def changed_paths(self, commit: str, paths: Iterable[str]) -> set[str]:
        """Paths under `paths` that differ between `commit` and the working tree, untracked ones included."""
        specs = list(paths)  # pathspecs are relative to the directory git runs in (root)
        diff = self.run("diff", "--name-only", "--no-renames", commit, "--", *specs)
        untracked = self.run("ls-files", "--others", "--exclude-standard", "--", *specs)
        # ls-files prints paths relative to the current directory (-C root); diff relative to the top.
        out = {p for p in (self._rel(line) for line in diff.stdout.splitlines()) if p is not None}
        return out | set(untracked.stdout.splitlines())

    def history(self, commit: str, paths: Iterable[str]) -> list[tuple[str, list[Touch]]]:
        """Commits reachable from `commit` touching `paths`, oldest first, with what each changed.

        Renames are detected (`-M`), so a file's history can be followed across a move. Each
        touch names its blob (`--raw`), so its text can be read by id, without a tree walk.
        """
        specs = list(paths)
        out = self.run(
            "log",
            "--format=%x00%H",
            "--raw",
            "--no-abbrev",
            "-M",
            "--no-merges",
            "--reverse",
            commit,
            "--",
            *specs,
        ).stdout
        commits: list[tuple[str, list[Touch]]] = []
        for chunk in out.split("\x00")[1:]:
            lines = [line for line in chunk.splitlines() if line.strip()]
            sha, touches = lines[0].strip(), []
            for line in lines[1:]:  # ":100644 100644 <old blob> <new blob> <status>\t<path>[\t<new path>]"
                parts = line.split("\t")
                meta = parts[0].split()
                if len(meta) < 5:
                    continue
                status, blob = meta[4][:1], meta[3] if meta[3] != _NO_BLOB else None
                if status == "R" and len(parts) == 3:
                    old, new = self._rel(parts[1]), self._rel(parts[2])
                    if new is not None:
                        touches.append(Touch(sha, "R", new, old, blob))
                elif len(parts) >= 2 and (rel := self._rel(parts[-1])) is not None:
                    touches.append(Touch(sha, status, rel, None, blob))
            commits.append((sha, touches))
        return commits

    def tree_blobs(self, commit: str, directory: str) -> dict[str, str]:
        """Path -> blob id of every file under `directory` at `commit`, at any depth (relative to root)."""
        return {path: blob for path, (_, blob) in self._tree(commit, [directory]).items()}

    def _tree(self, commit: str, directories: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Path -> (mode, blob id) of the files under `directories` at `commit` (none when absent)."""
        specs = [f"{d.rstrip('/')}/" for d in directories]
        listed = self.run("ls-tree", "-r", "-z", commit, "--", *specs, check=False)
        files: dict[str, tuple[str, str]] = {}
        for line in listed.stdout.split("\0"):  # "<mode> blob <id>\t<path relative to root, unquoted>"
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                files[path] = (parts[0], parts[2])
        return files

    def materialise(self, commit: str, directories: Iterable[str], dest: Path) -> None:
        """Write the files under `directories` as they are at `commit` below `dest` (paths relative to root).

        Read in one batch; a directory missing at `commit` writes nothing. Symbolic links are
        recreated when they stay inside `dest`, and skipped otherwise.
        """
        files = self._tree(commit, directories)
        data = self.read_blob_bytes(blob for _, blob in files.values())
        base = Path(dest).resolve()
        for path, (mode, blob) in files.items():
            target = base / path
            content = data[blob]
            if content is None or not target.resolve().is_relative_to(base):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == "120000":  # a symbolic link: its blob is the link's target
                link = os.fsdecode(content)
                if not os.path.isabs(link) and (target.parent / link).resolve().is_relative_to(base):
                    target.symlink_to(link)
                continue
            target.write_bytes(content)
            if mode == "100755":
                target.chmod(0o755)

    def read_blob_bytes(self, blobs: Iterable[str]) -> dict[str, bytes | None]:
        """The contents of blobs by id, as bytes (None for an id that is not a blob)."""
        ids = list(dict.fromkeys(blobs))
        return dict(zip(ids, self._cat(ids), strict=True))

    def _cat(self, names: list[str]) -> list[bytes | None]:
        """`git cat-file --batch` over object names, in order; None where the name is not a blob."""
        if self._batch is None:
            self._batch = subprocess.Popen(
                [self._git, "-C", str(self.root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        assert self._batch.stdin is not None and self._batch.stdout is not None
        out: list[bytes | None] = []
        for start in range(0, len(names), 200):  # well under a pipe buffer of requests: no deadlock
            chunk = names[start : start + 200]
            self._batch.stdin.write(b"".join(f"{name}\n".encode() for name in chunk))
            self._batch.stdin.flush()
            for _ in chunk:
                header = self._batch.stdout.readline().decode().split()
                if len(header) != 3 or header[1] != "blob":
                    out.append(None)
                    continue
                out.append(self._batch.stdout.read(int(header[2]) + 1)[:-1])
        return out
