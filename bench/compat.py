"""Benchmark of govern.compat against Apache Avro Python's checker (not a test).

Three measurements, each printing ours, the baseline and the ratio from one run:

1. **pairs/s** on realistic evolution pairs (root records of 20-200 fields, nested records,
   unions, enums, logical types; each pair one random change, some several), both directions
   of each pair: on pre-parsed schemas, and as users call it, ``check_pair`` on the JSON *text*
   (parsing included, the parse cache cleared first). Baseline: ``avro.schema.parse`` + a fresh
   ``avro.compatibility.ReaderWriterCompatibilityChecker`` per check.
   ``cold`` is the first check of freshly parsed schemas; ``warm`` repeats the checks on the same
   parsed schemas (as a registry or CI run does).
2. **FULL_TRANSITIVE** of a subject with 100 versions of a 200-field record (each version one
   compatible change: add a field with a default, reorder/document, move an enum's namespace):
   ``check_level`` against the same newest-first loop over both directions with avro Python.
3. **memory** over 100,000 ``check_pair`` calls on schema *text* cycling through more distinct
   schemas than the parse cache holds (every call parses): traced memory and RSS sampled every
   10,000 checks, start/end/peak printed.

Generation is seeded (``tests/support/avro_generators.py``, shared with the property tests). Times
are CPU time of this process (best of the repetitions), so other work on a shared machine does not
count; both sides are measured the same way in the same run.

    .venv/bin/python bench/compat.py [--quick] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import avro.errors
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker

from govern.avro import clear_cache, parse_schema
from govern.avro.schema import CACHE_SIZE
from govern.compat import Level, check_level, check_pair

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
import avro_generators as gen  # noqa: E402

warnings.simplefilter("ignore")  # avro's IgnoredLogicalType warnings


def avro_compatible(reader: Any, writer: Any) -> bool:
    """Apache avro's verdict (a fresh checker per check: it memoises on ``id()``)."""
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    return result.compatibility.name == "compatible"


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Best of ``repeat`` runs, in seconds of this process's CPU time (the machine may be shared:
    CPU time does not count the time other processes had the CPU; garbage collection counts)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def row(label: str, ours: float, base: float, unit: str) -> None:
    print(f"  {label:<42} {ours:>10,.1f} {base:>10,.1f}  {unit:<10} {ours / base:>6.1f}x")


def header(title: str) -> None:
    print(f"\n{title}")
    print(f"  {'':<42} {'govern':>10} {'avro (py)':>10}  {'':<10} {'ratio':>7}")


# -- 1. pairs per second ------------------------------------------------------------------------------


def avro_parses(*texts: str) -> bool:
    """Whether avro Python parses every text (it cannot resolve some names Java resolves)."""
    try:
        for text in texts:
            avro.schema.parse(text)
    except avro.errors.SchemaParseException:
        return False
    return True


def evolution_pairs(count: int, seed: int) -> tuple[list[tuple[str, str]], int]:
    """(old, new) schema texts: a realistic record and one to three random changes of it.

    Pairs avro Python cannot parse are replaced (and counted): both engines check the same pairs.
    """
    rng = random.Random(seed)
    pairs, skipped, i = [], 0, 0
    while len(pairs) < count:
        i += 1
        old = gen.gen_schema(rng, gen.REALISTIC, ensure=("enum",) if i % 2 else ())
        new, _ = gen.evolve(old, rng)
        for _ in range(rng.randint(0, 2) if i % 3 == 0 else 0):
            new, _ = gen.evolve(new, rng)
        pair = json.dumps(gen.clean(old)), json.dumps(gen.clean(new))
        if avro_parses(*pair):
            pairs.append(pair)
        else:
            skipped += 1
    return pairs, skipped


def bench_pairs(count: int, seed: int, repeat: int) -> None:
    texts, skipped = evolution_pairs(count, seed)
    checks = 2 * len(texts)
    fields = [len(json.loads(a)["fields"]) for a, _ in texts]
    size = statistics.mean(len(a) for a, _ in texts)
    print(
        f"\n{len(texts)} evolution pairs, {checks} checks (both directions); root fields "
        f"{min(fields)}-{max(fields)} (mean {statistics.mean(fields):.0f}), "
        f"mean schema {size / 1024:.1f} KiB; {skipped} generated pairs avro cannot parse were replaced"
    )

    def ours_parse() -> list[tuple[Any, Any]]:
        clear_cache()
        return [(parse_schema(a, strict=False), parse_schema(b, strict=False)) for a, b in texts]

    def base_parse() -> list[tuple[Any, Any]]:
        return [(avro.schema.parse(a), avro.schema.parse(b)) for a, b in texts]

    def ours_check(parsed: list[tuple[Any, Any]]) -> list[bool]:
        out = []
        for a, b in parsed:
            out.append(check_pair(b, a).compatible)
            out.append(check_pair(a, b).compatible)
        return out

    def base_check(parsed: list[tuple[Any, Any]]) -> list[bool]:
        out = []
        for a, b in parsed:
            out.append(avro_compatible(b, a))
            out.append(avro_compatible(a, b))
        return out

    def ours_from_text() -> list[bool]:  # as users call it: check_pair on schema text, both directions
        clear_cache()
        return ours_check(texts)

    def base_from_text() -> list[bool]:
        return base_check(base_parse())

    # cold: every repetition parses afresh and checks once
    cold_ours = float("inf")
    for _ in range(repeat):
        parsed = ours_parse()
        gc.collect()
        start = time.process_time()
        verdicts = ours_check(parsed)
        cold_ours = min(cold_ours, time.process_time() - start)
    base_parsed = base_parse()
    check_base = timed(lambda: base_check(base_parsed), repeat)
    warm_ours = timed(lambda: ours_check(parsed), repeat)
    text_ours, text_base = timed(ours_from_text, repeat), timed(base_from_text, repeat)
    parse_ours, parse_base = timed(ours_parse, repeat), timed(base_parse, repeat)
    agree = sum(x == y for x, y in zip(verdicts, base_check(base_parsed), strict=True))
    header("pairs per second (one check = one reader/writer pair; CPU time of this process)")
    row("pre-parsed, cold (first check)", checks / cold_ours, checks / check_base, "pairs/s")
    row("pre-parsed, warm (checked again)", checks / warm_ours, checks / check_base, "pairs/s")
    row("check_pair from JSON text (parsing incl.)", checks / text_ours, checks / text_base, "pairs/s")
    row("parsing alone", 2 * len(texts) / parse_ours, 2 * len(texts) / parse_base, "schemas/s")
    print(
        f"  verdicts: {verdicts.count(False)} incompatible of {checks}; same verdict as avro on {agree} "
        "(differences: avro's unqualified alias matching, see tests/unit/test_compat_differential.py)"
    )


# -- 2. FULL_TRANSITIVE over 100 versions ----------------------------------------------------------------


def subject_versions(versions: int, fields: int, seed: int) -> list[str]:
    """``versions`` schema texts of one subject, each a compatible change of the previous one."""
    rng = random.Random(seed)
    profile = gen.Profile(min_fields=fields, max_fields=fields, nested_fields=(3, 10), p_nested=0.15)
    while True:
        docs = [gen.gen_schema(rng, profile, ensure=("enum",))]
        for _ in range(versions - 1):
            docs.append(gen.evolve(docs[-1], rng, ("add_field", "cosmetic", "move_namespace"))[0])
        texts = [json.dumps(gen.clean(d)) for d in docs]
        if avro_parses(*texts):
            return texts


def bench_transitive(versions: int, fields: int, seed: int, repeat: int) -> None:
    texts = subject_versions(versions + 1, fields, seed)
    *history, new = texts
    print(f"\nFULL_TRANSITIVE: new version against {len(history)} versions of a {fields}-field record")

    def ours(parsed_new: Any, parsed_history: list[Any]) -> bool:
        return check_level(Level.FULL_TRANSITIVE, parsed_new, parsed_history).compatible

    def base(parsed_new: Any, parsed_history: list[Any]) -> bool:
        for old in reversed(parsed_history):  # newest first, stop at the first failing version
            if not (avro_compatible(old, parsed_new) and avro_compatible(parsed_new, old)):
                return False
        return True

    def ours_cold() -> bool:
        clear_cache()
        return ours(parse_schema(new), [parse_schema(t) for t in history])

    def base_cold() -> bool:
        return base(avro.schema.parse(new), [avro.schema.parse(t) for t in history])

    clear_cache()
    o_new, o_hist = parse_schema(new), [parse_schema(t) for t in history]
    b_new, b_hist = avro.schema.parse(new), [avro.schema.parse(t) for t in history]
    verdict = ours(o_new, o_hist)  # warms our per-node signatures
    assert verdict == base(b_new, b_hist), "verdicts differ"

    def ours_first_check() -> float:
        clear_cache()
        n, h = parse_schema(new), [parse_schema(t) for t in history]
        start = time.process_time()
        ours(n, h)
        return time.process_time() - start

    first = min(ours_first_check() for _ in range(repeat))
    warm = timed(lambda: ours(o_new, o_hist), repeat)
    base_t = timed(lambda: base(b_new, b_hist), repeat)
    header(f"one FULL_TRANSITIVE check ({2 * len(history)} reader/writer checks), compatible={verdict}")
    with_parse_ours, with_parse_base = timed(ours_cold, repeat), timed(base_cold, repeat)
    row("pre-parsed, cold (first check)", 1 / first, 1 / base_t, "checks/s")
    row("pre-parsed, warm (checked again)", 1 / warm, 1 / base_t, "checks/s")
    row("including parsing the 101 schemas", 1 / with_parse_ours, 1 / with_parse_base, "checks/s")
    print(
        f"  ms per FULL_TRANSITIVE check: govern {first * 1000:.1f} cold, {warm * 1000:.1f} warm, "
        f"{with_parse_ours * 1000:.0f} with parsing; "
        f"avro {base_t * 1000:.0f}, {with_parse_base * 1000:.0f} with parsing"
    )


# -- 3. memory over many checks --------------------------------------------------------------------------


def bench_memory(checks: int, seed: int) -> None:
    rng = random.Random(seed)
    distinct = CACHE_SIZE * 2  # more texts than the parse cache holds: every check parses
    pool = []
    for _ in range(distinct // 2):
        old = gen.gen_schema(rng, gen.QUICK)
        new, _ = gen.evolve(old, rng)
        pool.append((json.dumps(gen.clean(new)), json.dumps(gen.clean(old))))
    print(
        f"\nmemory: {checks:,} check_pair calls on schema text, {distinct} distinct schemas "
        f"(parse cache holds {CACHE_SIZE})"
    )
    clear_cache()
    gc.collect()
    tracemalloc.start()
    samples: list[tuple[int, float, float]] = []
    step = max(checks // 10, 1)
    start = time.process_time()
    for i in range(checks + 1):
        if i % step == 0:
            current, _ = tracemalloc.get_traced_memory()
            samples.append((i, current / 2**20, rss_mib()))
        if i < checks:
            reader, writer = pool[i % len(pool)]
            check_pair(reader, writer)
    elapsed = time.process_time() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print("  checks      traced MiB   RSS MiB")
    for i, traced, rss in samples:
        print(f"  {i:>8,}  {traced:>10.1f}  {rss:>8.1f}")
    first, last = samples[1], samples[-1]  # after the cache filled
    print(
        f"  traced: start {samples[0][1]:.1f} MiB, after {first[0]:,} checks {first[1]:.1f} MiB, "
        f"end {last[1]:.1f} MiB, peak {peak / 2**20:.1f} MiB; "
        f"growth after warm-up {last[1] - first[1]:+.1f} MiB"
    )
    print(
        f"  RSS: start {samples[0][2]:.0f} MiB, end {last[2]:.0f} MiB, max sampled "
        f"{max(s[2] for s in samples):.0f} MiB ({checks / elapsed:,.0f} checks/s under tracemalloc)"
    )


def rss_mib() -> float:
    """Resident set size of this process (Linux /proc), in MiB."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return float("nan")
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and memory checks")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    print(f"govern.compat vs Apache avro {avro.__version__} (Python), seed {args.seed}, best of {repeat}")
    bench_pairs(1000, args.seed, repeat)
    bench_transitive(100, 200, args.seed, repeat)
    bench_memory(20_000 if args.quick else 100_000, args.seed)


if __name__ == "__main__":
    main()
