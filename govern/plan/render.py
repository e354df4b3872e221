"""Printers for a `Plan`: text (terminal), json (machines), mermaid (a graph), markdown (a PR comment).

Renderers only read the plan; they decide nothing. Each returns one string.

JSON (format version 2: findings in the one shape of docs/findings.md), for scripts::

    {"format_version": 2, "safe": bool, "before": "<ref>", "after": "worktree",
     "stages": [{"services": [...], "groups": [[...]], "reasons": ["a before b: ..."]}],
     "groups": [{"services": [...], "warning": str, "suggestion": str, "reasons": [...]}],
     "constraints": [{"first": svc, "then": svc, "reason": str}],
     "blocking": [{"kind": "base|head|migration|cycle|proof", "text", "hint", "topic",
                   "reader": {"service", "side", "schema", "file"},
                   "writer": {"service", "side", "schema", "file", "retained_records"},
                   "findings": [finding]}],
     "unchanged": [...], "drained": [...],
     "proof": {"states", "pairs", "distinct_pairs", "reduced_stages", "ok", "failures"}}
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from collections.abc import Callable

from govern.plan.constraints import Blocker, Violation
from govern.plan.model import Issue
from govern.plan.planner import Plan

FORMATS = ("text", "json", "mermaid", "markdown")


def _proof_line(plan: Plan) -> str:
    proof = plan.proof
    verdict = "every state safe" if proof.ok else f"{len(proof.failures)} unsafe pair(s) found"
    reduced = (
        f", {proof.reduced_stages} large stage(s) by the pairwise reduction" if proof.reduced_stages else ""
    )
    return (
        f"Proof: {proof.states} states simulated (every subset of every stage{reduced}), "
        f"{proof.pairs} pair checks over {proof.distinct_pairs} distinct (reader, writer) pairs: {verdict}."
    )


def _verdict(plan: Plan) -> str:
    if plan.safe:
        return "SAFE"
    if plan.groups and not any(b.kind != "cycle" for b in plan.blockers):
        return "NOT SAFE (deploy-together group needed)"
    return "NOT SAFE"


def _migration_note(plan: Plan) -> str | None:
    """When only retained records block, the stages are right: say what makes them safe."""
    if not plan.blockers or any(b.kind != "migration" for b in plan.blockers) or plan.groups:
        return None
    topics = sorted({b.violation.link.topic for b in plan.blockers})
    flags = " ".join(f"--drained {t}" for t in topics)
    lead = "The stages above are safe once the old records are gone (expired or migrated)"
    return f"{lead}: then plan with {flags}."


class _Reasons:
    """Each distinct reason once, numbered: the same rule and explanation on many pairs (one enum
    symbol added, read by every consumer) is told once and referred to as [n]."""

    def __init__(self) -> None:
        self.numbers: dict[tuple[str, str], int] = {}
        self.issues: list[Issue] = []
        self.pairs: list[list[str]] = []

    def ref(self, violation: Violation) -> int:
        first = violation.issues[0]
        explained = first.finding.reason if first.finding is not None else first.message
        key = (f"{first.rule} at {first.location}", explained or "")
        number = self.numbers.get(key)
        if number is None:
            number = self.numbers[key] = len(self.issues) + 1
            self.issues.append(first)
            self.pairs.append([])
        topic = violation.link.topic
        if topic not in self.pairs[number - 1]:
            self.pairs[number - 1].append(topic)
        return number


def _wrap(text: str, width: int, indent: str, hang: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width=max(width, 40),
        initial_indent=indent,
        subsequent_indent=hang if hang is not None else indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _orderings(plan: Plan, reasons: _Reasons) -> list[tuple[list[str], list[str]]]:
    """Per stage: each ordering pair once (in the stage of the one that goes first) as "a before b:
    topics [n]", and the services no constraint touches."""
    out: list[tuple[list[str], list[str]]] = []
    shown: set[tuple[str, str]] = set()
    constrained = {s for c in plan.constraints for s in (c.first, c.then)}
    for stage in plan.stages:
        members = set(stage.services)
        pairs: dict[tuple[str, str], tuple[list[str], list[int]]] = {}
        for c in plan.constraints:
            if c.first not in members or (c.first, c.then) in shown:
                continue
            topics, refs = pairs.setdefault((c.first, c.then), ([], []))
            if c.because.link.topic not in topics:
                topics.append(c.because.link.topic)
            if (number := reasons.ref(c.because)) not in refs:
                refs.append(number)
        shown |= set(pairs)
        orders = [
            f"{first} before {then}: {', '.join(topics)} " + " ".join(f"[{n}]" for n in refs)
            for (first, then), (topics, refs) in pairs.items()
        ]
        out.append((orders, [s for s in stage.services if s not in constrained]))
    return out


def _stage_lines(plan: Plan, reasons: _Reasons, width: int) -> list[str]:
    lines: list[str] = []
    for stage, (orders, free) in zip(plan.stages, _orderings(plan, reasons), strict=True):
        units = [" + ".join(u) + (" (together)" if len(u) > 1 else "") for u in stage.units]
        lines += _wrap(f"Stage {stage.index}: {', '.join(units)}", width, "")
        for order in orders:
            lines += _wrap(order, width, "  ")
        if free:
            lines += _wrap(f"{', '.join(free)}: no ordering constraint (any order)", width, "  ")
    return lines


def _blocking_lines(plan: Plan, reasons: _Reasons, width: int) -> list[str]:
    """Blockers grouped by kind and hint: the pairs listed with their reason's number, one hint each."""
    groups: dict[tuple[str, str], list[Blocker]] = {}
    for b in plan.blockers:
        groups.setdefault((b.kind, b.general_hint), []).append(b)
    lines = ["Blocking:"]
    for blockers in groups.values():
        for b in blockers:
            number = reasons.ref(b.violation)
            lines += _wrap(f"x {b.lead}: {b.violation.pair()} [{number}]", width, "  ", "      ")
        lines += _wrap(f"hint: {blockers[0].general_hint}", width, "    ", "      ")
    return lines


def _reason_lines(reasons: _Reasons, width: int) -> list[str]:
    lines = ["Reasons:"]
    for number, (issue, topics) in enumerate(zip(reasons.issues, reasons.pairs, strict=True), start=1):
        explained = issue.finding.reason if issue.finding is not None else issue.message
        lines += _wrap(f"[{number}] {issue.rule} at {issue.location} ({', '.join(topics)})", width, "  ")
        for cause in issue.causes:
            lines += _wrap(f"cause: {cause}", width, "      ", "        ")
        if explained:
            lines += _wrap(f"why: {explained}", width, "      ", "        ")
        if issue.hint:
            lines += _wrap(f"fix: {issue.hint}", width, "      ", "        ")
    return lines


def render_text(plan: Plan, width: int | None = None) -> str:
    """Stages with, per stage, which service goes before which (topics and numbered reasons); then
    blockers grouped by reason, each distinct reason once with its fix, and the proof.

    Lines are wrapped at `width` (default: the terminal's, COLUMNS when piped).
    """
    width = width or shutil.get_terminal_size((80, 24)).columns
    reasons = _Reasons()
    lines = _wrap(f"Release plan {plan.before} -> {plan.after}: {_verdict(plan)}", width, "")
    if plan.drained:
        lines += _wrap(
            f"Drained topics (old records gone before new readers start): {', '.join(plan.drained)}",
            width,
            "",
        )
    lines.append("")
    if plan.stages:
        lines += _stage_lines(plan, reasons, width)
    else:
        lines.append("Nothing to deploy: no service's contract or schemas changed.")
    if plan.unchanged:
        lines.append("")
        lines += _wrap(
            f"Not deployed (unchanged, still constrain the plan): {', '.join(plan.unchanged)}", width, ""
        )
    for group in plan.groups:
        lines.append("")
        lines += _wrap(f"warning: {group.warning}", width, "")
        lines += _wrap(f"suggestion: {group.suggestion}", width, "  ", "    ")
    if plan.blockers:
        lines.append("")
        lines += _blocking_lines(plan, reasons, width)
        if note := _migration_note(plan):
            lines += _wrap(note, width, "")
    if reasons.issues:
        lines.append("")
        lines += _reason_lines(reasons, width)
    lines.append("")
    lines += _wrap(_proof_line(plan), width, "")
    return "\n".join(lines) + "\n"


def render_json(plan: Plan) -> str:
    """`{"safe", "stages": [{"services", "reasons"}], "groups", "blocking", "proof": {"states", "pairs"}}`."""
    return json.dumps(plan.as_dict(), indent=2) + "\n"


def _node(name: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def render_mermaid(plan: Plan) -> str:
    """A flowchart: one subgraph per stage (groups nested), an edge per constraint labelled by topic."""
    lines = ["flowchart LR"]
    for stage in plan.stages:
        lines.append(f'  subgraph stage{stage.index}["Stage {stage.index}"]')
        for unit in stage.units:
            if len(unit) > 1:
                gid = "group_" + "_".join(_node(s)[2:] for s in unit)
                lines.append(f'    subgraph {gid}["deploy together"]')
                lines.extend(f'      {_node(s)}["{_label(s)}"]' for s in unit)
                lines.append("    end")
            else:
                lines.append(f'    {_node(unit[0])}["{_label(unit[0])}"]')
        lines.append("  end")
    for a, b in zip(plan.stages, plan.stages[1:], strict=False):
        lines.append(f"  stage{a.index} ==> stage{b.index}")
    seen: set[tuple[str, str, str]] = set()
    for c in plan.constraints:
        v = c.because
        key = (c.first, c.then, v.link.topic)
        if key in seen:
            continue
        seen.add(key)
        rule = v.issues[0].rule
        lines.append(f'  {_node(c.first)} -->|"{_label(v.link.topic)}: {rule}"| {_node(c.then)}')
    blocked = sorted({s for b in plan.blockers for s in (b.violation.link.reader, b.violation.link.writer)})
    staged = {s for stage in plan.stages for s in stage.services}
    if any(s in staged for s in blocked):
        lines.append("  classDef blocked stroke:#d00,stroke-width:3px")
        lines.extend(f"  class {_node(s)} blocked" for s in blocked if s in staged)
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan) -> str:
    """Ready to paste as a PR comment: verdict, stages table, blockers with hints, the proof, a graph."""
    icon = "✅" if plan.safe else "❌"
    lines = [
        f"### {icon} Release plan: {_verdict(plan).lower()}",
        "",
        f"`{plan.before}` → `{plan.after}`",
        "",
    ]
    reasons = _Reasons()
    if plan.stages:
        lines += ["| Stage | Services | Why |", "|---|---|---|"]
        for stage, (orders, free) in zip(plan.stages, _orderings(plan, reasons), strict=True):
            services = ", ".join(
                " + ".join(f"`{s}`" for s in u) + (" (together)" if len(u) > 1 else "") for u in stage.units
            )
            why = orders + ([f"{', '.join(free)}: no ordering constraint (any order)"] if free else [])
            lines.append(f"| {stage.index} | {services} | {'<br>'.join(_cell(r) for r in why)} |")
    else:
        lines.append("Nothing to deploy: no service's contract or schemas changed.")
    if plan.unchanged:
        lines += [
            "",
            "Not deployed (unchanged, still constrain the plan): "
            + ", ".join(f"`{s}`" for s in plan.unchanged),
        ]
    if plan.drained:
        lines += ["", "Drained topics: " + ", ".join(f"`{t}`" for t in plan.drained)]
    for group in plan.groups:
        lines += ["", f"> **Warning:** {group.warning}.", f"> **Suggestion:** {group.suggestion}."]
    if plan.blockers:
        lines += ["", "**Blocking**", ""]
        hints: dict[str, None] = {}
        for b in plan.blockers:
            lines.append(f"- {b.lead}: {b.violation.pair()} [{reasons.ref(b.violation)}]")
            hints.setdefault(b.general_hint)
        lines += ["", *(f"_fix:_ {hint}  " for hint in hints)]
        if note := _migration_note(plan):
            lines += ["", note]
    if reasons.issues:
        lines += ["", "**Reasons**", ""]
        for number, (issue, topics) in enumerate(zip(reasons.issues, reasons.pairs, strict=True), start=1):
            explained = issue.finding.reason if issue.finding is not None else issue.message
            lines.append(f"{number}. `{issue.rule}` at `{issue.location}` ({', '.join(topics)})  ")
            lines.extend(f"   _cause:_ `{cause}`  " for cause in issue.causes)
            if explained:
                lines.append(f"   _why:_ {explained}  ")
            if issue.hint:
                lines.append(f"   _fix:_ {issue.hint}")
    lines += [
        "",
        f"<sub>{_proof_line(plan)}</sub>",
        "",
        "<details><summary>Graph</summary>",
        "",
        "```mermaid",
        render_mermaid(plan).rstrip(),
        "```",
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "json": render_json,
    "mermaid": render_mermaid,
    "markdown": render_markdown,
}


def render(plan: Plan, fmt: str) -> str:
    """Render in one of `FORMATS`."""
    return RENDERERS[fmt](plan)
