"""Benchmark of `govern check --against` on a synthetic repository (a benchmark, not a test).

The repository has N subjects (one topic each, BACKWARD_TRANSITIVE by default, so every version
counts; `--level BACKWARD` for the registry's default level),
each schema with V versions in git history (V commits, each adding a defaulted field to every
schema), and C schemas changed in the working tree (a compatible field added). Printed:

- the CLI's wall time (`python -m govern check --against HEAD --format json`) and its peak RSS;
- the same check in-process, split into catalog load (contracts/ + every schema, working tree),
  git (rev-parse, diff, log, cat-file), parsing (govern.avro, new and historical versions) and
  compatibility (govern.compat.check_level);
- two baselines, both fastavro and nothing else: (A) reading and parsing the C changed files;
  (B) decoding and parsing those and their C x V historical versions, which is what a
  transitive level has to read at the least;
- the git floor: the git commands any such check must run (`diff`; `log --raw` for a transitive
  level), timed alone, and their ratio to A: the part of the budget no implementation controls;
- the ratios of the whole check (and of its git + parse + compat part, and of the CLI's wall
  time) to each baseline (target: within 5x).

Phases are timed by wrapping functions; a timed call inside another counts for the outer one
only, so the phases add up to the total and "other" is what no phase covers.

    .venv/bin/python bench/check.py [--small] [--subjects 1000 --versions 20 --changed 50]
        [--level BACKWARD_TRANSITIVE] [--repo DIR]   # --repo: build it in DIR once, reuse it later
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@e.invalid",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@e.invalid",
}


def schema(i: int, version: int, changed: bool = False) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"name": "id", "type": "string", "doc": "key"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 24, "scale": 8}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {
            "name": "kind",
            "type": {
                "type": "enum",
                "name": f"Kind{i}",
                "symbols": ["UNKNOWN", "A", "B"],
                "default": "UNKNOWN",
            },
        },
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "meta", "type": ["null", {"type": "map", "values": "string"}], "default": None},
    ]
    fields += [{"name": f"f{v}", "type": ["null", "long"], "default": None} for v in range(1, version)]
    if changed:
        fields.append({"name": "note", "type": "string", "default": ""})
    return {"type": "record", "name": f"Event{i}", "namespace": "bench", "doc": "synthetic", "fields": fields}


def git(repo: Path, *args: str) -> None:
    # no background `gc --auto` between the commits: it can hold locks the next command needs
    done = subprocess.run(
        ["git", "-c", "gc.auto=0", *args], cwd=repo, env=ENV, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {done.stderr.strip()}")


def build(repo: Path, subjects: int, versions: int, changed: int, level: str) -> list[Path]:
    """The synthetic repository (packed, as a clone is); returns the changed schema files."""
    (repo / "schemas").mkdir(parents=True)
    (repo / "contracts").mkdir()
    topics = ["version: 1", "defaults:", f"  compatibility: {level}", "topics:"]
    for i in range(subjects):
        topics += [f"  t{i}:", "    key: id", f"    value_schema: schemas/bench.Event{i}.avsc"]
    (repo / "contracts/topics.yaml").write_text("\n".join(topics) + "\n")
    produces = "\n".join(f"  - topic: t{i}" for i in range(subjects))
    (repo / "contracts/producer.yaml").write_text(f"service: producer\nproduces:\n{produces}\n")
    (repo / "contracts/consumer.yaml").write_text(f"service: consumer\nconsumes:\n{produces}\n")
    git(repo, "init", "-q")
    for version in range(1, versions + 1):
        for i in range(subjects):
            (repo / f"schemas/bench.Event{i}.avsc").write_text(json.dumps(schema(i, version), indent=2))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"v{version}")
    git(repo, "gc", "-q")  # a clone's objects are packed; 20,000 loose ones would be read far slower
    step = max(1, subjects // changed)
    out = []
    for i in list(range(0, subjects, step))[:changed]:
        path = repo / f"schemas/bench.Event{i}.avsc"
        path.write_text(json.dumps(schema(i, versions, changed=True), indent=2))
        out.append(path)
    return out


def timed(table: dict[str, float], key: str, fn: Callable[..., Any], active: list[str]) -> Callable[..., Any]:
    """`fn` adding its time to `table[key]`; a call made inside another timed call counts only there."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if active:
            return fn(*args, **kwargs)
        active.append(key)
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            table[key] += time.perf_counter() - start
            active.pop()

    return wrapper


def in_process(repo: Path) -> tuple[float, dict[str, float], float]:
    """Run the check in this process with timers around each phase."""
    import govern.catalog.resolve as resolve
    import govern.catalog.sources as sources
    import govern.check.from_git as from_git
    import govern.check.run as run
    from govern.avro import clear_cache
    from govern.catalog.git import Repo

    clear_cache()
    table: dict[str, float] = defaultdict(float)
    patches = [
        (run, "load_catalog", "catalog"),
        (sources, "parse_schema", "parse"),  # a schema file with the files it uses (any layout)
        (resolve, "parse_schema", "parse"),  # a union of event types, a primitive
        (from_git, "check_level", "compat"),
        (Repo, "run", "git"),  # every git command but cat-file
        # cat-file --batch: every file read (by blob id or commit:path); show_many in older govern
        (Repo, "_cat" if hasattr(Repo, "_cat") else "show_many", "git"),
    ]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    active: list[str] = []
    for obj, name, key in patches:
        setattr(obj, name, timed(table, key, getattr(obj, name), active))
    try:
        start, cpu = time.perf_counter(), time.process_time()
        run.run_check(repo, against="HEAD")
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        for obj, name, original in saved:
            setattr(obj, name, original)
    return total, dict(table), cpu


def git_floor(repo: Path, transitive: bool) -> float:
    """Wall time of the git commands any `check --against HEAD` must run, alone (best of 5): what
    changed (`diff`), and for a transitive level every version's commit and blob (`log --raw`)."""
    commands = [["git", "diff", "--name-only", "HEAD", "--", "contracts", "schemas"]]
    if transitive:
        commands.append(["git", "log", "--format=%H", "--raw", "--no-abbrev", "HEAD", "--", "schemas"])
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for command in commands:
            subprocess.run(command, cwd=repo, capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def baseline(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        fastavro.parse_schema(json.loads(path.read_text()))
    return time.perf_counter() - start


def parse_texts(texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        fastavro.parse_schema(json.loads(text))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help="100 subjects, 5 versions, 10 changed")
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--repo", type=Path, help="build the repository here once, reuse it later")
    parser.add_argument(
        "--level",
        default="BACKWARD_TRANSITIVE",
        help="the subjects' compatibility level (default BACKWARD_TRANSITIVE: every version counts; "
        "BACKWARD, the registry's default, compares with the latest only)",
    )
    args = parser.parse_args()
    if args.small:
        args.subjects, args.versions, args.changed = 100, 5, 10
    tmp = args.repo or Path(tempfile.mkdtemp(prefix="govern-bench-check-"))
    try:
        start = time.perf_counter()
        if args.repo is not None and (tmp / ".git").is_dir():
            listed = subprocess.run(
                ["git", "diff", "--name-only"], cwd=tmp, capture_output=True, text=True, check=True
            )
            files = [tmp / line for line in listed.stdout.split()]
        else:
            files = build(tmp, args.subjects, args.versions, args.changed, args.level)
        level = next(
            line.split(":", 1)[1].strip()
            for line in (tmp / "contracts/topics.yaml").read_text().splitlines()
            if "compatibility:" in line
        )
        print(
            f"synthetic repo: {args.subjects} subjects x {args.versions} versions, {len(files)} changed, "
            f"{level} "
            f"(built in {time.perf_counter() - start:.1f}s)"
        )

        start = time.perf_counter()
        cli = subprocess.run(
            [sys.executable, "-m", "govern", "check", "--against", "HEAD", "--format", "json"],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        cli_time = time.perf_counter() - start
        assert cli.returncode == 0, cli.stderr
        checked = len(json.loads(cli.stdout)["subjects"])
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(
            f"CLI   govern check --against HEAD: {cli_time * 1000:8.0f} ms wall "
            f"(process start + imports included), {checked} subjects checked, "
            f"peak RSS {peak_kib / 1024:.0f} MiB"
        )

        runs = [in_process(tmp) for _ in range(3)]
        total, table, cpu = min(runs, key=lambda r: r[0])
        phases = {key: table.get(key, 0.0) for key in ("catalog", "git", "parse", "compat")}
        phases["other"] = total - sum(phases.values())
        print(
            f"ours, in-process (best of 3): {total * 1000:8.1f} ms wall "
            f"({cpu * 1000:.0f} ms CPU in this process; git's own CPU not included)"
        )
        for key, seconds in phases.items():
            print(f"  {key:<8} {seconds * 1000:8.1f} ms  {seconds / total:4.0%}")

        base = min(baseline(files) for _ in range(5))
        texts = [path.read_text() for path in files] + [
            json.dumps(schema(int(f.stem.split("Event")[1]), v), indent=2)
            for f in files
            for v in range(1, args.versions + 1)
        ]
        every = min(parse_texts(texts) for _ in range(5))
        print("baselines (best of 5):")
        print(f"  A {base * 1000:8.1f} ms  fastavro: read, json-decode, parse the {len(files)} changed files")
        print(
            f"  B {every * 1000:8.1f} ms  fastavro: json-decode + parse those and their "
            f"{len(texts) - len(files)} historical versions (what a transitive level must read; "
            "texts already in memory)"
        )
        floor = git_floor(tmp, "TRANSITIVE" in level)
        print(
            f"  git floor {floor * 1000:6.1f} ms  the git commands any such check must run, alone "
            f"(diff{', log --raw' if 'TRANSITIVE' in level else ''}): {floor / base:.1f}x A by themselves"
        )
        work = phases["git"] + phases["parse"] + phases["compat"]
        print("ratios (target: within 5x):")
        for label, seconds in (
            ("whole check (catalog load included)", total),
            ("git + parse + compat only", work),
            ("CLI wall (process start, imports)", cli_time),
        ):
            print(f"  {label:<36} / A = {seconds / base:7.1f}x   / B = {seconds / every:6.1f}x")
    finally:
        if args.repo is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
