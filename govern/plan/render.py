"""Printers for a `Plan`: text (terminal), json (machines), mermaid (a graph), markdown (a PR comment).

Renderers only read the plan; they decide nothing. Each returns one string.

JSON (version 1), for scripts::

    {"version": 1, "safe": bool, "before": "<ref>", "after": "worktree",
     "stages": [{"services": [...], "groups": [[...]], "reasons": ["a before b: ..."]}],
     "groups": [{"services": [...], "warning": str, "suggestion": str, "reasons": [...]}],
     "constraints": [{"first": svc, "then": svc, "reason": str}],
     "blocking": [{"kind": "base|head|migration|cycle|proof", "text", "hint", "topic",
                   "reader": {"service", "side", "schema", "file"},
                   "writer": {"service", "side", "schema", "file", "retained_records"},
                   "findings": [{"rule", "location", "message", "hint"}]}],
     "unchanged": [...], "drained": [...],
     "proof": {"states", "pairs", "distinct_pairs", "reduced_stages", "ok", "failures"}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

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


def render_text(plan: Plan) -> str:
    """A stages table with, per stage, why each service is where it is; then blockers and proof."""
    lines = [f"Release plan {plan.before} -> {plan.after}: {_verdict(plan)}"]
    if plan.drained:
        lines.append(f"Drained topics (old records gone before new readers start): {', '.join(plan.drained)}")
    if not plan.stages:
        lines.append("Nothing to deploy: no service's contract or schemas changed.")
    else:
        names = [", ".join("+".join(u) if len(u) > 1 else u[0] for u in s.units) for s in plan.stages]
        width = max(len("services"), *(len(n) for n in names))
        lines.append("")
        lines.append(f"{'stage':<6} {'services':<{width}}  why")
        for stage, name in zip(plan.stages, names, strict=True):
            reasons = stage.reasons or ("",)
            lines.append(f"{stage.index:<6} {name:<{width}}  {reasons[0]}")
            lines.extend(f"{'':<6} {'':<{width}}  {r}" for r in reasons[1:])
    if plan.unchanged:
        lines.append("")
        lines.append(f"Not deployed (unchanged, still constrain the plan): {', '.join(plan.unchanged)}")
    for group in plan.groups:
        lines.append("")
        lines.append(f"warning: {group.warning}")
        lines.append(f"  suggestion: {group.suggestion}")
    if plan.blockers:
        lines.append("")
        lines.append("Blocking:")
        for b in plan.blockers:
            lines.append(f"  x {b.text()}")
            lines.append(f"    hint: {b.hint}")
        if note := _migration_note(plan):
            lines.append(note)
    lines.append("")
    lines.append(_proof_line(plan))
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
    if plan.stages:
        lines += ["| Stage | Services | Why |", "|---|---|---|"]
        for stage in plan.stages:
            services = ", ".join(
                " + ".join(f"`{s}`" for s in u) + (" (together)" if len(u) > 1 else "") for u in stage.units
            )
            why = "<br>".join(_cell(r) for r in stage.reasons)
            lines.append(f"| {stage.index} | {services} | {why} |")
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
        for b in plan.blockers:
            lines.append(f"- {b.text()}  ")
            lines.append(f"  _fix:_ {b.hint}")
        if note := _migration_note(plan):
            lines += ["", note]
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
