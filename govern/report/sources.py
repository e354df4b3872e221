"""The offending line of each place, read from its file once, for printers that quote it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from govern.report.model import Finding, Place


class Lines:
    """Reads (and caches) file lines, and shows files the way the user names them (``display``).

    ``texts`` gives the text of a file not on disk (``<commit12>:<path>``), ``compiled`` the files
    compiled to JSON (Avro IDL), whose places are shown in their source.
    """

    def __init__(
        self,
        display: Callable[[str], str] = str,
        texts: Callable[[str], str | None] | None = None,
        compiled: Mapping[str, Any] | None = None,
    ) -> None:
        self._cache: dict[str, list[str]] = {}
        self.display = display
        self.texts = texts
        self.compiled = compiled

    def text(self, file: str, line: int | None) -> str:
        """Line `line` (1-based) of `file`, stripped; "" when unknown or unreadable."""
        lines = self._cache.get(file)
        if lines is None:
            text = self.texts(file) if self.texts else None
            if text is None:
                try:
                    text = Path(file).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    text = ""
            lines = self._cache[file] = text.splitlines()
        return lines[line - 1].strip() if line is not None and 0 < line <= len(lines) else ""

    def dress(self, place: Place) -> Place:
        """The place (in its source, for a compiled file) with its line's text and its file as displayed."""
        if self.compiled and place.line is not None and place.column is not None:
            from govern.avro import Position
            from govern.catalog.sources import source_position

            pos = source_position(self.compiled, Position(place.line, place.column, place.file))
            place = Place(pos.file or place.file, pos.line, pos.column)
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
