"""The output formats, one enum, and `render(report, fmt)` dispatching to one printer module each."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from govern.report import github, gitlab, jsonfmt, junit, markdown, sarif, text
from govern.report.model import Report


class Format(StrEnum):
    """The report formats of `govern check --format`."""

    text = "text"
    json = "json"
    junit = "junit"
    sarif = "sarif"
    github = "github"
    gitlab = "gitlab"
    markdown = "markdown"


PRINTERS: dict[Format, Callable[[Report], str]] = {
    Format.json: jsonfmt.render,
    Format.junit: junit.render,
    Format.sarif: sarif.render,
    Format.github: github.render,
    Format.gitlab: gitlab.render,
    Format.markdown: markdown.render,
}
FORMATS: tuple[str, ...] = tuple(f.value for f in Format)


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report in format `fmt` (one of FORMATS); `color` only affects text."""
    chosen = Format(fmt)
    if chosen is Format.text:
        return text.render(report, color=color)
    return PRINTERS[chosen](report)
