"""Confluent's ``verbose=true`` compatibility messages, byte for byte (the REST API's wording).

Each Avro incompatibility becomes ``Difference.toString()`` with the roles filled in
(``SchemaValidatorBuilder.formatErrorMessages``), followed — for a direction whose errors are
reported with the schema — by ``{oldSchemaVersion: n}`` and ``{oldSchema: '<schema>'}``, and at
the end of a non-empty list ``{validateFields: 'false', compatibility: 'BACKWARD'}``.
"""

from __future__ import annotations

from govern.compat import Result
from govern.report import Finding

MAX_SCHEMA_SIZE_FOR_LOGGING = 10 * 1024

_DESCRIPTIONS = {
    "FIXED_SIZE_MISMATCH": (
        "The size of FIXED type field at path '{path}' in the {r} schema does not match with the {w} schema"
    ),
    "TYPE_MISMATCH": (
        "The type (path '{path}') of a field in the {r} schema does not match with the {w} schema"
    ),
    "NAME_MISMATCH": "The name of the schema has changed (path '{path}')",
    "MISSING_ENUM_SYMBOLS": (
        "The {r} schema is missing enum symbols '{msg}' at path '{path}' in the {w} schema"
    ),
    "MISSING_UNION_BRANCH": (
        "The {r} schema is missing a type inside a union field at path '{path}' in the {w} schema"
    ),
    "READER_FIELD_MISSING_DEFAULT_VALUE": (
        "The field '{msg}' at path '{path}' in the {r} schema has no default value "
        "and is missing in the {w} schema"
    ),
}


def _reader_role(finding: Finding) -> str:
    return finding.reader.role if finding.reader else "reader"


def difference(finding: Finding, reader_role: str | None = None, writer_role: str | None = None) -> str:
    """One Confluent ``Difference`` string, e.g. ``{errorType:'TYPE_MISMATCH', description:'...', ...}``."""
    if finding.rule == "CHECK_FAILED":
        return f"Unexpected exception during compatibility check: {finding.message}"
    r = reader_role or _reader_role(finding)
    w = writer_role or (finding.writer.role if finding.writer else "writer")
    template = _DESCRIPTIONS.get(finding.rule, "")
    description = template.format(path=finding.location, r=r, w=w, msg=finding.message)
    return f"{{errorType:'{finding.rule}', description:'{description}', additionalInfo:'{finding.message}'}}"


def old_schema_line(text: str) -> str:
    """``{oldSchema: '...'}``, truncated as Confluent does beyond 10 KiB."""
    if len(text) <= MAX_SCHEMA_SIZE_FOR_LOGGING:
        return f"{{oldSchema: '{text}'}}"
    return (
        f"{{oldSchema: <truncated to {MAX_SCHEMA_SIZE_FOR_LOGGING} characters> "
        f"'{text[:MAX_SCHEMA_SIZE_FOR_LOGGING]}'}}"
    )


def confluent_messages(
    result: Result, *, validate_fields: bool = False, include_config: bool = True
) -> list[str]:
    """The ``messages`` list Confluent's REST API returns for this result with ``verbose=true``.

    For a level result: the failing version's differences per direction (FULL: forward, then
    backward), ``oldSchemaVersion``/``oldSchema`` after a backward or forward (not FULL's
    forward half) direction with errors, then the ``validateFields``/``compatibility`` line.
    For a plain pair result: just the differences (reader role "new", writer role "old").
    Empty when compatible.
    """
    if result.compatible or not result.findings:
        return []
    if result.level is None:
        return [difference(f) for f in result.findings]
    level = result.level
    messages: list[str] = []
    version = result.findings[0].version
    forward = [f for f in result.findings if _reader_role(f) == "old"]
    backward = [f for f in result.findings if _reader_role(f) != "old"]
    old = result.old_schemas.get(version) if version is not None else None

    def append_schema() -> None:
        if version is not None:
            messages.append(f"{{oldSchemaVersion: {version}}}")
        if old is not None:
            messages.append(old_schema_line(old.text))

    if forward:
        messages.extend(difference(f) for f in forward)
        if not level.startswith("FULL"):
            append_schema()
    if backward:
        messages.extend(difference(f) for f in backward)
        append_schema()
    if include_config:
        messages.append(f"{{validateFields: '{str(validate_fields).lower()}', compatibility: '{level}'}}")
    return messages
