"""One-line purpose of every rule id a report can carry (Avro's from govern.compat, govern's own)."""

from __future__ import annotations

from govern.check.model import GOVERN_RULES
from govern.compat import RULES


def purpose(rule: str) -> str:
    """The rule's one-line purpose ("" for an unknown id)."""
    for known in RULES:
        if known.id == rule:
            return known.purpose
    return GOVERN_RULES.get(rule, "")
