"""Benchmark of `govern release-plan`'s core: plan + proof on synthetic graphs (not a test).

Each graph has N services; each service produces one topic and consumes two topics of other
services (3 topics each). 30% of the topics change, a third each in a way that is compatible
both ways (field added with a default), backward only (field without default removed: consumers
first) or forward only (field without default added: producer first, old records must go).

Printed per size: plan time (derivation + staging + proof, with the real `govern.compat`), the
pair checks the planner and proof made (memo lookups) and the distinct (reader, writer) pairs,
and two baselines on the same pairs:

- `compat-once`: `govern.compat.check_pair` once on every distinct pair, nothing else: the
  compat work no planner can avoid;
- `naive`: Apache Avro Python's checker on every pair check, no memo (parse + check each time).

Growth factors (1000 vs 100) compare time with pair checks: about linear is the requirement.

    .venv/bin/python bench/plan.py [--sizes 100 300 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

import avro.compatibility
import avro.schema

from govern.avro.schema import clear_cache
from govern.compat import check_pair
from govern.plan import Change, PairChecker, SchemaRef, ServiceView, Snapshot, make_plan
from govern.plan.pairs import compat_can_read

CHANGED_SHARE = 0.3


def record(topic: int, fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "record", "name": f"T{topic}", "namespace": "bench", "fields": fields}


def base_fields(topic: int) -> list[dict[str, Any]]:
    return [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "long"},
        {"name": f"extra{topic % 7}", "type": ["null", "string"], "default": None},
    ]


def changed_fields(topic: int, kind: str) -> list[dict[str, Any]]:
    fields = base_fields(topic)
    if kind == "full":
        return [*fields, {"name": "note", "type": "string", "default": ""}]
    if kind == "backward":
        return [f for f in fields if f["name"] != "amount"]
    return [*fields, {"name": "note", "type": "string"}]  # forward only


def synthetic(n: int, seed: int) -> Change:
    """N services, service i produces topic i and consumes two other random topics."""
    rng = random.Random(seed)
    old = {t: SchemaRef.of(record(t, base_fields(t)), f"T{t}@base") for t in range(n)}
    new = dict(old)
    for t in rng.sample(range(n), int(n * CHANGED_SHARE)):
        kind = rng.choice(["full", "backward", "forward"])
        new[t] = SchemaRef.of(record(t, changed_fields(t, kind)), f"T{t}@head")
    consumes = {i: rng.sample([t for t in range(n) if t != i], 2) for i in range(n)}

    def side(schemas: dict[int, SchemaRef], label: str) -> Snapshot:
        return Snapshot.of(
            (
                ServiceView(
                    f"svc{i:04}", {f"topic{i}": schemas[i]}, {f"topic{t}": schemas[t] for t in consumes[i]}
                )
                for i in range(n)
            ),
            label,
        )

    return Change(side(old, "base"), side(new, "head"))


def values_by_key(change: Change) -> dict[str, Any]:
    found = {}
    for snapshot in (change.before, change.after):
        for view in snapshot.services.values():
            for ref in (*view.writes.values(), *view.reads.values()):
                found[ref.key] = ref.value
    return found


def timed(fn, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        clear_cache()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(n: int, seed: int, repeat: int) -> dict[str, Any]:
    change = synthetic(n, seed)

    def plan_once():
        checker = PairChecker(compat_can_read)
        return make_plan(change, checker=checker), checker

    plan_time, (plan, checker) = timed(plan_once, repeat)
    values = values_by_key(change)
    distinct = [(values[r], values[w]) for (r, w) in checker._memo if r != w]  # equal keys need no check

    once_time, _ = timed(lambda: [check_pair(r, w) for r, w in distinct], repeat)

    # The naive way: every pair check the planner made, each parsed and checked by avro's checker.
    lookups = checker.lookups
    texts = [(json.dumps(r), json.dumps(w)) for r, w in distinct]
    sample = texts * (1 + lookups // max(len(texts), 1))
    sample = sample[:lookups]

    def naive():
        for r, w in sample:
            # A fresh checker per pair: avro's checker memoises in a map that grows (and slows) with use.
            checker = avro.compatibility.ReaderWriterCompatibilityChecker()
            checker.get_compatibility(avro.schema.parse(r), avro.schema.parse(w))

    naive_time, _ = timed(naive, 1)
    return {
        "services": n,
        "changed": len(change.changed()),
        "stages": len(plan.stages),
        "groups": len(plan.groups),
        "safe": plan.safe,
        "states": plan.proof.states,
        "lookups": checker.lookups,
        "distinct": checker.distinct_pairs,
        "compat_pairs": len(distinct),
        "plan_s": plan_time,
        "once_s": once_time,
        "naive_s": naive_time,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [run(n, args.seed, args.repeat) for n in args.sizes]
    header = (
        f"{'services':>8} {'changed':>7} {'stages':>6} {'groups':>6} {'states':>6} {'pair checks':>11} "
        f"{'distinct':>8} {'plan ms':>8} {'compat-once ms':>14} {'ratio':>6} {'naive ms':>9} {'ratio':>6}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['services']:>8} {r['changed']:>7} {r['stages']:>6} {r['groups']:>6} {r['states']:>6} "
            f"{r['lookups']:>11} {r['distinct']:>8} {r['plan_s'] * 1e3:>8.1f} {r['once_s'] * 1e3:>14.1f} "
            f"{r['plan_s'] / r['once_s']:>6.2f} {r['naive_s'] * 1e3:>9.1f} "
            f"{r['naive_s'] / r['plan_s']:>6.1f}x"
        )
    first, last = rows[0], rows[-1]
    print(
        f"\ngrowth {first['services']} -> {last['services']} services: pair checks x"
        f"{last['lookups'] / first['lookups']:.1f}, plan time x{last['plan_s'] / first['plan_s']:.1f} "
        f"(time per pair check {first['plan_s'] / first['lookups'] * 1e6:.1f} -> "
        f"{last['plan_s'] / last['lookups'] * 1e6:.1f} us)"
    )
    print(
        "ratio columns: plan / compat-once (overhead over the unavoidable compat work); "
        "naive / plan (speed-up)"
    )


if __name__ == "__main__":
    main()
