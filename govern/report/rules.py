"""Every rule a finding can carry, in one list: stable id, one-line purpose, category.

As Buf keeps its breaking rules (``RuleSpecBuilder{ID, Purpose, Type}`` in one list), a rule here
is a value, never a class. Three categories:

- ``COMPAT``: Avro schema resolution (Apache Avro Java's ``SchemaIncompatibilityType``, as
  Confluent reports it) fails: a reader cannot read a writer's data. Always an error.
- ``GOVERN``: govern's own checks around a change (consumers of a removed topic, the ledger of
  accepted breaks, a registry that disagrees). Always an error.
- ``LINT``: the change is compatible but risky (old generated code or readers may misbehave).
  A warning: it fails a check only when govern.toml says so (``[lint] fail``).

The ids are part of the JSON contract (docs/findings.md): never renamed, never reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    """What kind of problem a rule reports (see the module docstring)."""

    COMPAT = "COMPAT"
    GOVERN = "GOVERN"
    LINT = "LINT"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: stable id, one-line purpose (a sentence), category."""

    id: str
    purpose: str
    category: Category

    @property
    def severity(self) -> str:
        """``error`` for COMPAT and GOVERN rules, ``warning`` for LINT (unless configured to fail)."""
        return "warning" if self.category is Category.LINT else "error"


def _rules(category: Category, *pairs: tuple[str, str]) -> list[Rule]:
    return [Rule(rule_id, purpose, category) for rule_id, purpose in pairs]


RULES: tuple[Rule, ...] = (
    *_rules(
        Category.COMPAT,
        (
            "NAME_MISMATCH",
            "A named type (record, enum, fixed) keeps its name, or the reader lists the writer's full "
            "name as an alias.",
        ),
        ("FIXED_SIZE_MISMATCH", "A fixed type keeps its size."),
        (
            "MISSING_ENUM_SYMBOLS",
            "The reader's enum has every symbol the writer's can write, or an enum default to fall back to.",
        ),
        (
            "READER_FIELD_MISSING_DEFAULT_VALUE",
            "A field the reader expects but the writer does not write has a default.",
        ),
        (
            "TYPE_MISMATCH",
            "The reader's type can read the writer's type (same type, or a promotion: "
            "int->long->float->double, string<->bytes).",
        ),
        (
            "MISSING_UNION_BRANCH",
            "Every type the writer can write at a union has a reader branch that can read it.",
        ),
        (
            "CHECK_FAILED",
            "The check itself could not complete (Avro Java raises, Confluent reports incompatible).",
        ),
    ),
    *_rules(
        Category.GOVERN,
        ("REMOVED_TOPIC_HAS_CONSUMERS", "A topic is removed only after no service consumes it any more."),
        ("ACCEPTED_BREAK_EXPIRED", "An accepted break is renewed or removed before its expiry date."),
        ("REGISTRY_DISAGREES", "govern's verdict and the registry's own verdict on a schema agree."),
    ),
    *_rules(
        Category.LINT,
        (
            "DECIMAL_SCALE_CHANGED",
            "A decimal keeps its scale: readers of the other scale decode the same bytes as another number.",
        ),
        (
            "DECIMAL_PRECISION_CHANGED",
            "A decimal keeps its precision: code generated for the old precision may overflow or reject "
            "values.",
        ),
        (
            "NAME_CHANGED_BEHIND_ALIAS",
            "A named type keeps its full name even when an alias makes the rename compatible: generated "
            "classes and RecordNameStrategy subjects follow the name.",
        ),
        (
            "LOGICAL_TYPE_CHANGED",
            "A field keeps its logical type: adding or removing one changes what readers' code sees for "
            "the same bytes.",
        ),
        (
            "FIELD_DEFAULT_CHANGED",
            "A field keeps its default: readers that fill it in from their own schema disagree about "
            "old records.",
        ),
        (
            "ENUM_SYMBOLS_ADDED_WITHOUT_DEFAULT",
            "Symbols are added only to an enum with a default, so old readers fall back instead of failing.",
        ),
        (
            "TYPE_PROMOTED",
            "A field keeps its type even when Avro promotes it (int->long, float->double, string<->bytes): "
            "old generated code may not expect the wider values.",
        ),
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule | None:
    """The registered rule with this id, or None for an unknown id."""
    return RULES_BY_ID.get(rule_id)


def category_of(rule_id: str) -> Category:
    """The category of a rule id (an unknown id counts as COMPAT: an error, never silenced)."""
    found = RULES_BY_ID.get(rule_id)
    return found.category if found is not None else Category.COMPAT
