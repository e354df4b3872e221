"""The offending line of each place, read from its file once, for printers that quote it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from govern.report.model import Finding, Place


class Lines:
    """Reads (and caches) file lines, and shows files the way the user names them (``display``)."""

    def __init__(self, display: Callable[[str], str] = str) -> None:
        self._cache: dict[str, list[str]] = {}
        self.display = display

    def text(self, file: str, line: int | None) -> str:
        """Line `line` (1-based) of `file`, stripped; "" when unknown or unreadable."""
        lines = self._cache.get(file)
        if lines is None:
            try:
                lines = Path(file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                lines = []
            self._cache[file] = lines
        return lines[line - 1].strip() if line is not None and 0 < line <= len(lines) else ""

    def dress(self, place: Place) -> Place:
        """The place with its line's text and its file as displayed."""
        return replace(
            place, file=self.display(place.file), text=place.text or self.text(place.file, place.line)
        )

    def finding(self, finding: Finding, against: str | None = None) -> Finding:
        """A copy of `finding` with every place dressed (and `against` set, when given)."""
        dressed = finding.map_places(self.dress)
        if against is not None:
            dressed.against = against
        return dressed


def relative_display(root: Path) -> Callable[[str], str]:
    """Show files under `root` relative to it (as contracts name them), others unchanged."""
    base = str(Path(root).resolve())

    def display(file: str) -> str:
        resolved = str(Path(file).resolve())
        if resolved.startswith(base + "/"):
            return resolved[len(base) + 1 :]
        return file

    return display
