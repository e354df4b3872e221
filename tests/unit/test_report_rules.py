"""The rule registry is data, and docs/findings.md lists every rule with its category and purpose."""

from __future__ import annotations

from pathlib import Path

from govern.report import RULES, RULES_BY_ID, Category

DOC = Path(__file__).resolve().parents[2] / "docs" / "findings.md"


def test_ids_are_unique_purposes_are_sentences() -> None:
    assert len(RULES_BY_ID) == len(RULES)
    assert all(rule.purpose.endswith(".") and rule.id.isupper() for rule in RULES)
    assert {rule.category for rule in RULES} == set(Category)
    assert {r.severity for r in RULES if r.category is Category.LINT} == {"warning"}


def test_the_documentation_lists_every_rule() -> None:
    text = DOC.read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.category.value} | {rule.purpose} |" in text, rule.id
