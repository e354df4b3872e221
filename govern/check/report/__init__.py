"""Printers for `govern check` reports, one module per format, none of them knowing how checks work.

`render(report, fmt)` returns the whole output as text; `FORMATS` lists the format names.
"""

from __future__ import annotations

from collections.abc import Callable

from govern.check.model import Report
from govern.check.report import github, jsonfmt, junit, sarif, text

PRINTERS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": jsonfmt.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "github": github.render,
}
FORMATS: tuple[str, ...] = tuple(PRINTERS)


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report in format `fmt` (one of FORMATS); `color` only affects text."""
    if fmt == "text":
        return text.render(report, color=color)
    return PRINTERS[fmt](report)
