"""Which lint rules a project reports and which of them fail a check: govern.toml's ``[lint]``.

As Buf's ``use``/``except``::

    [lint]
    use = ["LINT"]                 # categories or rule ids (default: every LINT rule)
    except = ["TYPE_PROMOTED"]     # rule ids left out
    fail = ["DECIMAL_SCALE_CHANGED"]  # rule ids (or "LINT", or true) that fail the check

Lint findings are warnings; only those listed in ``fail`` become errors. COMPAT and GOVERN
findings are never filtered here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from govern.errors import InputError
from govern.report.model import Finding, Report
from govern.report.rules import RULES, Category, category_of

_LINT = frozenset(r.id for r in RULES if r.category is Category.LINT)
_KEYS = ("use", "except", "fail")


def _ids(value: Any, key: str, source: str) -> frozenset[str]:
    """Rule ids named by a list of ids or categories (or, for `fail`, true/false)."""
    if value is True:
        return _LINT
    if value is False:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{source}: lint.{key} must be a list of rule ids", hint='e.g. ["TYPE_PROMOTED"]')
    found: set[str] = set()
    for name in value:
        if name == Category.LINT.value:
            found |= _LINT
        elif name in _LINT:
            found.add(name)
        else:
            raise InputError(
                f"{source}: lint.{key} names {name!r}, which is not a lint rule",
                hint=f"lint rules: {', '.join(sorted(_LINT))} (or the category LINT)",
            )
    return frozenset(found)


@dataclass(frozen=True)
class LintPolicy:
    """The lint rules reported (`use` minus `except`) and those that fail a check."""

    use: frozenset[str] = _LINT
    fail: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, settings: Mapping[str, Any] | None, source: str = "govern.toml") -> LintPolicy:
        """The policy of a ``[lint]`` table (empty or missing: every lint rule, none failing)."""
        if settings is not None and not isinstance(settings, Mapping):
            raise InputError(f"{source}: lint must be a table", hint='e.g. [lint] fail = ["TYPE_PROMOTED"]')
        settings = dict(settings or {})
        unknown = sorted(set(settings) - set(_KEYS))
        if unknown:
            raise InputError(
                f"{source}: unknown lint setting {unknown[0]!r}", hint=f"known: {', '.join(_KEYS)}"
            )
        use = _ids(settings["use"], "use", source) if "use" in settings else _LINT
        use -= _ids(settings.get("except", []), "except", source)
        return cls(use, _ids(settings.get("fail", False), "fail", source))

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """`findings` without the lint rules not in use; those in `fail` made errors."""
        kept = []
        for finding in findings:
            if category_of(finding.rule) is Category.LINT:
                if finding.rule not in self.use:
                    continue
                finding.severity = "error" if finding.rule in self.fail else "warning"
            kept.append(finding)
        return kept

    def apply_to(self, report: Report) -> None:
        """Apply to every subject of a report, in place."""
        for entry in report.subjects:
            entry.findings = self.apply(entry.findings)
