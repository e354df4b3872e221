"""`govern release-plan`: an ordered, proven-safe rollout of the working tree's change against a git ref."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.options import RootOption
from govern.errors import ExitCode


class PlanFormat(StrEnum):
    """Output formats of `govern release-plan`."""

    text = "text"
    json = "json"
    mermaid = "mermaid"
    markdown = "markdown"


def release_plan_command(
    against: Annotated[
        str,
        typer.Option(
            "--against", help="Git ref holding the deployed contracts/ and schemas/.", metavar="REF"
        ),
    ] = "HEAD",
    drained: Annotated[
        list[str] | None,
        typer.Option(
            "--drained",
            help="A topic whose old records are gone (expired, migrated or rewritten) before new readers "
            "start. Repeat for several.",
            show_default=False,
            metavar="TOPIC",
        ),
    ] = None,
    root: RootOption = Path("."),
    output: Annotated[
        PlanFormat, typer.Option("--format", help="text, json, mermaid (a graph) or markdown (a PR comment).")
    ] = PlanFormat.text,
) -> None:
    """Order the deploys of the changed services so every reader can always read every writer.

    Exit 0 when the plan is proven safe, 1 when no safe rolling plan exists (blocking pairs
    printed), 2 for bad input (unknown ref, invalid contract or schema).
    """
    from govern.plan import load_change, make_plan, render

    change = load_change(root, against, drained or ())
    plan = make_plan(change)
    typer.echo(render(plan, output.value), nl=False)
    if not plan.safe:
        raise typer.Exit(int(ExitCode.FINDINGS))
