"""The seven compatibility levels, with Confluent's exact version selection and direction.

Confluent (``CompatibilityChecker`` + ``SchemaValidatorBuilder``) reverses the history to newest
first; non-transitive levels compare only the newest version, transitive ones every version and
stop at the first that yields errors (only that version's errors are reported). BACKWARD reads
old data with the new schema (reader=new, writer=old), FORWARD the reverse, FULL does both —
forward first, then backward — and accumulates the errors of both directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum, StrEnum

from govern.avro import AvroSchema, SchemaInput
from govern.avro.schema import ensure_schema
from govern.compat.findings import Comparison, Finding, Result
from govern.compat.pair import findings_for
from govern.errors import InputError

INVALID_LEVEL_MESSAGE = (
    "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, "
    "forward_transitive, and full_transitive"
)


class Level(StrEnum):
    """A Confluent compatibility level (``str`` values, upper-case as stored and returned)."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    def __str__(self) -> str:
        return self.value

    @property
    def transitive(self) -> bool:
        """Whether every earlier version is compared (else only the newest)."""
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        """Whether the new schema must read old data (reader=new, writer=old)."""
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        """Whether old schemas must read new data (reader=old, writer=new)."""
        return self.value.startswith(("FORWARD", "FULL"))

    @classmethod
    def parse(cls, level: str | Level) -> Level:
        """A level from its name, case-insensitively (as Confluent's ``CompatibilityLevel.forName``)."""
        if isinstance(level, Level):
            return level
        if isinstance(level, Enum):
            level = str(level.value)
        try:
            return cls(str(level).strip().upper())
        except ValueError:
            raise InputError(INVALID_LEVEL_MESSAGE, hint=f"got {level!r}") from None


def _as_schema(value: SchemaInput, strict: bool) -> AvroSchema:
    return ensure_schema(value, strict=strict)


def check_level(
    level: str | Level,
    new: SchemaInput,
    history: Sequence[SchemaInput],
    *,
    versions: Sequence[int] | None = None,
) -> Result:
    """Is ``new`` compatible with the subject's ``history`` (oldest first, non-deleted only) at ``level``?

    ``versions`` are the version numbers of the history entries (default 1..n), used in findings
    and Confluent messages. Raw ``new`` input is parsed strictly (as Confluent parses a new
    schema), history leniently; already-parsed ``AvroSchema`` objects are used as they are.
    ``new`` is validated at every level, NONE and an empty history included: an invalid schema
    raises ``SchemaParseError`` naming file:line:col and JSON pointer, as a registry refuses it.
    """
    lvl = Level.parse(level)
    if versions is not None and len(versions) != len(history):
        raise InputError("versions and history differ in length", hint="give one version number per schema")
    numbers = list(versions) if versions is not None else list(range(1, len(history) + 1))
    result = Result(compatible=True, level=lvl.value)
    new_schema = _as_schema(new, strict=True)  # at every level: NONE too refuses an invalid schema
    if lvl is Level.NONE or not history:
        return result
    order = list(zip(numbers, history, strict=True))[::-1]  # newest first
    if not lvl.transitive:
        order = order[:1]
    for number, old_value in order:
        old = _as_schema(old_value, strict=False)
        found: list[Finding] = []
        if lvl.forward:
            forward = findings_for(old, new_schema, "old", "new", number)
            result.comparisons.append(Comparison(number, "forward", tuple(forward)))
            found += forward
        if lvl.backward:
            backward = findings_for(new_schema, old, "new", "old", number)
            result.comparisons.append(Comparison(number, "backward", tuple(backward)))
            found += backward
        if found:
            result.compatible = False
            result.findings = found
            result.old_schemas[number] = old
            break
    return result
