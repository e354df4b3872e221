"""The OpenAPI 3.0 document of the registry server, served at `/openapi.json`.

Written by hand (as data) to say exactly what the server does: every status code a route can
answer, with the Confluent error body. Keep it in step with the routers; the schemathesis test
checks responses against it.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from govern.registry.server.controller import LEVELS, MODES
from govern.registry.server.http import PRODUCED

_REF = "#/components/schemas/"


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {media: {"schema": schema} for media in PRODUCED}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": _content(schema)}


def _err(description: str) -> dict[str, Any]:
    return {"description": description, "content": _content({"$ref": _REF + "Error"})}


_COMMON_ERRORS = {
    "401": _err("Missing or wrong credentials (only when the server runs with --users)."),
    "403": _err("The user's role does not allow this operation (only with --users)."),
    "429": _err("Too many failed logins from this user name or address (only with --users; Retry-After)."),
    "500": _err("Store failure (error_code 50001) or an unexpected server error (500)."),
    "503": _err("Too many requests in progress (error_code 503; Retry-After)."),
}
_BODY_ERRORS = {
    "400": _err("The body is not JSON or not a JSON object (error_code 400)."),
    "413": _err("The body is larger than 4 MiB (error_code 413)."),
    "415": _err("The Content-Type is not a registry JSON type (error_code 415)."),
}


def _bool(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "boolean"},
    }


def _int(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer"},
    }


_PAGE = [
    _int("offset", "Skip this many items (default 0)."),
    _int("limit", "At most this many (default -1: all)."),
]


def _string(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }


_SUBJECT = {
    "name": "subject",
    "in": "path",
    "required": True,
    "description": "Subject name (URL-encoded; `%2F` for a slash).",
    "schema": {"type": "string", "minLength": 1},
}
_VERSION = {
    "name": "version",
    "in": "path",
    "required": True,
    "description": "A version number in [1, 2^31-1], `-1` or `latest`; anything else is 422/42202.",
    "schema": {"type": "string", "minLength": 1},
}
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "Schema id (a non-integer is a plain 404).",
    "schema": {"type": "integer"},
}


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": params or [],
        "responses": {**responses, **_COMMON_ERRORS},
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {
                media: {"schema": {"$ref": _REF + body}} for media in (*PRODUCED, "application/octet-stream")
            },
        }
        op["responses"].update(_BODY_ERRORS)
    return op


_COMPONENTS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error_code", "message"],
        "properties": {"error_code": {"type": "integer"}, "message": {"type": "string"}},
    },
    "Reference": {
        "type": "object",
        "required": ["name", "subject", "version"],
        "properties": {
            "name": {"type": "string"},
            "subject": {"type": "string"},
            "version": {"type": "integer"},
        },
    },
    "RegisterSchemaRequest": {
        "type": "object",
        "properties": {
            "schema": {"type": "string", "description": "The Avro schema as JSON text (at most 1 MiB)."},
            "schemaType": {"type": "string", "enum": ["AVRO"], "description": "Default AVRO."},
            "references": {"type": "array", "items": {"$ref": _REF + "Reference"}},
            "id": {"type": "integer", "minimum": 1, "description": "Import mode only."},
            "version": {"type": "integer", "minimum": 1, "description": "Import mode only."},
            "metadata": {"$ref": _REF + "Metadata"},
            "ruleSet": {"$ref": _REF + "RuleSet"},
        },
    },
    "Schema": {
        "type": "object",
        "required": ["subject", "version", "id", "schema"],
        "properties": {
            "subject": {"type": "string"},
            "version": {"type": "integer"},
            "id": {"type": "integer"},
            "schemaType": {"type": "string"},
            "schema": {"type": "string"},
            "references": {"type": "array", "items": {"$ref": _REF + "Reference"}},
            "metadata": {"$ref": _REF + "Metadata"},
            "ruleSet": {"$ref": _REF + "RuleSet"},
        },
    },
    "RegisterSchemaResponse": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "integer"},
            "version": {"type": "integer"},
            "schemaType": {"type": "string"},
            "schema": {"type": "string"},
            "references": {"type": "array", "items": {"$ref": _REF + "Reference"}},
            "metadata": {"$ref": _REF + "Metadata"},
            "ruleSet": {"$ref": _REF + "RuleSet"},
        },
    },
    "SchemaString": {
        "type": "object",
        "required": ["schema"],
        "properties": {
            "schema": {"type": "string"},
            "schemaType": {"type": "string"},
            "references": {"type": "array", "items": {"$ref": _REF + "Reference"}},
            "metadata": {"$ref": _REF + "Metadata"},
            "ruleSet": {"$ref": _REF + "RuleSet"},
        },
    },
    "Metadata": {
        "type": "object",
        "description": "Data contract metadata: tags per path, string properties, sensitive property names.",
        "properties": {
            "tags": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "properties": {"type": "object", "additionalProperties": {"type": "string"}},
            "sensitive": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Rule": {
        "type": "object",
        "required": ["name", "kind", "mode", "type"],
        "properties": {
            "name": {"type": "string"},
            "doc": {"type": "string"},
            "kind": {"type": "string", "enum": ["CONDITION", "TRANSFORM"]},
            "mode": {
                "type": "string",
                "enum": ["WRITE", "READ", "WRITEREAD", "UPGRADE", "DOWNGRADE", "UPDOWN"],
            },
            "type": {"type": "string", "description": "CEL, CEL_FIELD, JSONATA, ENCRYPT, ..."},
            "tags": {"type": "array", "items": {"type": "string"}},
            "params": {"type": "object", "additionalProperties": {"type": "string"}},
            "expr": {"type": "string"},
            "onSuccess": {"type": "string"},
            "onFailure": {"type": "string"},
            "disabled": {"type": "boolean"},
        },
    },
    "RuleSet": {
        "type": "object",
        "description": "Data contract rules (run by the clients' rule executors); a bad rule set is 42210.",
        "properties": {
            "domainRules": {"type": "array", "items": {"$ref": _REF + "Rule"}},
            "migrationRules": {"type": "array", "items": {"$ref": _REF + "Rule"}},
            "encodingRules": {"type": "array", "items": {"$ref": _REF + "Rule"}},
        },
    },
    "SubjectVersion": {
        "type": "object",
        "required": ["subject", "version"],
        "properties": {"subject": {"type": "string"}, "version": {"type": "integer"}},
    },
    "CompatibilityCheckResponse": {
        "type": "object",
        "required": ["is_compatible"],
        "properties": {
            "is_compatible": {"type": "boolean"},
            "messages": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Only with verbose=true.",
            },
        },
    },
    "Config": {
        "type": "object",
        "properties": {
            "compatibilityLevel": {"type": "string", "enum": list(LEVELS)},
            "normalize": {"type": "boolean"},
            "compatibilityGroup": {"type": "string"},
            "defaultMetadata": {"$ref": _REF + "Metadata"},
            "overrideMetadata": {"$ref": _REF + "Metadata"},
            "defaultRuleSet": {"$ref": _REF + "RuleSet"},
            "overrideRuleSet": {"$ref": _REF + "RuleSet"},
        },
    },
    "ConfigUpdateRequest": {
        "type": "object",
        "properties": {
            "compatibility": {
                "type": "string",
                "description": "A level, case-insensitive: " + ", ".join(LEVELS),
            },
            "normalize": {"type": "boolean"},
            "compatibilityGroup": {"type": "string"},
            "defaultMetadata": {"$ref": _REF + "Metadata"},
            "overrideMetadata": {"$ref": _REF + "Metadata"},
            "defaultRuleSet": {"$ref": _REF + "RuleSet"},
            "overrideRuleSet": {"$ref": _REF + "RuleSet"},
        },
    },
    "ConfigUpdateResponse": {
        "type": "object",
        "properties": {
            "compatibility": {"type": "string", "enum": list(LEVELS)},
            "normalize": {"type": "boolean"},
            "compatibilityGroup": {"type": "string"},
            "defaultMetadata": {"$ref": _REF + "Metadata"},
            "overrideMetadata": {"$ref": _REF + "Metadata"},
            "defaultRuleSet": {"$ref": _REF + "RuleSet"},
            "overrideRuleSet": {"$ref": _REF + "RuleSet"},
        },
    },
    "Mode": {
        "type": "object",
        "required": ["mode"],
        "properties": {"mode": {"type": "string", "enum": list(MODES)}},
    },
    "ModeUpdateRequest": {
        "type": "object",
        "required": ["mode"],
        "properties": {"mode": {"type": "string", "description": "READWRITE, READONLY or IMPORT"}},
    },
}


def _r(name: str) -> dict[str, Any]:
    return {"$ref": _REF + name}


_INT_LIST = {"type": "array", "items": {"type": "integer"}}
_STR_LIST = {"type": "array", "items": {"type": "string"}}
_BAD_VERSION = _err("Invalid version id (42202).")
_NO_SUBJECT = _err("Subject not found (40401) or version not found (40402).")
_READ_ONLY = _err("Read-only mode (42205), or referenced by other schemas (42206).")

_PATHS: dict[str, Any] = {
    "/": {"get": _op("Liveness", {"200": _ok("Always {}", {"type": "object"})})},
    "/contexts": {"get": _op("Schema contexts (only the default '.')", {"200": _ok("Contexts", _STR_LIST)})},
    "/subjects": {
        "get": _op(
            "List subjects",
            {"200": _ok("Subject names, sorted", _STR_LIST)},
            params=[
                _string("subjectPrefix", "Only subjects starting with this (`:*:` = all)."),
                _bool("deleted", "Include soft-deleted subjects."),
                _bool("deletedOnly", "Only soft-deleted subjects."),
                *_PAGE,
            ],
        )
    },
    "/subjects/{subject}": {
        "post": _op(
            "Look up a schema under a subject",
            {
                "200": _ok("The version holding this schema", _r("Schema")),
                "404": _err("Subject not found (40401) or schema not under it (40403)."),
                "422": _err("Invalid schema (42201)."),
            },
            params=[_SUBJECT, _bool("normalize", "Normalize first."), _bool("deleted", "Also soft-deleted.")],
            body="RegisterSchemaRequest",
        ),
        "delete": _op(
            "Delete a subject (soft, or permanent after soft)",
            {
                "200": _ok("Deleted version numbers", _INT_LIST),
                "404": _err(
                    "Not found (40401), already soft-deleted (40404), not soft-deleted first (40405)."
                ),
                "422": _READ_ONLY,
            },
            params=[_SUBJECT, _bool("permanent", "Hard delete (needs a prior soft delete).")],
        ),
    },
    "/subjects/{subject}/metadata": {
        "get": _op(
            "The latest version whose metadata properties hold every key=value given",
            {
                "200": _ok("That version", _r("Schema")),
                "400": _err("Not as many 'value' parameters as 'key' ones (400)."),
                "404": _err("Subject not found (40401) or no version with that metadata (40403)."),
            },
            params=[
                _SUBJECT,
                _string("key", "A metadata property name (repeatable, paired with value)."),
                _string("value", "Its value (repeatable)."),
                _bool("deleted", "Also soft-deleted versions."),
            ],
        )
    },
    "/subjects/{subject}/versions": {
        "get": _op(
            "List a subject's versions",
            {"200": _ok("Version numbers", _INT_LIST), "404": _err("Subject not found (40401).")},
            params=[
                _SUBJECT,
                _bool("deleted", "Include soft-deleted versions."),
                _bool("deletedOnly", "Only soft-deleted versions."),
                _bool("deletedAsNegative", "Soft-deleted versions as negative numbers."),
                *_PAGE,
            ],
        ),
        "post": _op(
            "Register a schema",
            {
                "200": _ok(
                    "Its id and version (existing ones when already registered)", _r("RegisterSchemaResponse")
                ),
                "409": _err("Incompatible with earlier versions under the subject's level (409)."),
                "422": _err(
                    "Invalid or empty schema or metadata, or beyond the complexity limits (42201), mode "
                    "forbids it (42205), id clash on import (42207), invalid subject (42208), schema over "
                    "1 MiB (42209), invalid rule set (42210)."
                ),
            },
            params=[
                _SUBJECT,
                _bool("normalize", "Normalize before registering."),
                _bool("force", "Skip the compatibility check."),
            ],
            body="RegisterSchemaRequest",
        ),
    },
    "/subjects/{subject}/versions/{version}": {
        "get": _op(
            "Get one version",
            {"200": _ok("The schema version", _r("Schema")), "404": _NO_SUBJECT, "422": _BAD_VERSION},
            params=[_SUBJECT, _VERSION, _bool("deleted", "Also soft-deleted versions.")],
        ),
        "delete": _op(
            "Delete one version (soft, or permanent after soft)",
            {
                "200": _ok("The deleted version number", {"type": "integer"}),
                "404": _err(
                    "Subject (40401) or version (40402) not found, already soft-deleted (40406), "
                    "not soft-deleted first (40407)."
                ),
                "422": _err("Invalid version (42202), read-only (42205), referenced (42206)."),
            },
            params=[_SUBJECT, _VERSION, _bool("permanent", "Hard delete (needs a prior soft delete).")],
        ),
    },
    "/subjects/{subject}/versions/{version}/schema": {
        "get": _op(
            "Get one version's schema text, unwrapped",
            {"200": _ok("The schema JSON itself", {}), "404": _NO_SUBJECT, "422": _BAD_VERSION},
            params=[_SUBJECT, _VERSION, _bool("deleted", "Also soft-deleted versions.")],
        )
    },
    "/subjects/{subject}/versions/{version}/referencedby": {
        "get": _op(
            "Ids of schemas that reference this version",
            {"200": _ok("Schema ids", _INT_LIST), "404": _NO_SUBJECT, "422": _BAD_VERSION},
            params=[_SUBJECT, _VERSION, *_PAGE],
        )
    },
    "/schemas/types": {"get": _op("Supported schema types", {"200": _ok("Types", _STR_LIST)})},
    "/schemas/ids/{id}": {
        "get": _op(
            "Get a schema by id",
            {"200": _ok("The schema", _r("SchemaString")), "404": _err("Schema not found (40403).")},
            params=[_ID, _string("subject", "Ignored (single context)."), _string("format", "Ignored.")],
        )
    },
    "/schemas/ids/{id}/schema": {
        "get": _op(
            "Get a schema's text by id, unwrapped",
            {"200": _ok("The schema JSON itself", {}), "404": _err("Schema not found (40403).")},
            params=[_ID],
        )
    },
    "/schemas/ids/{id}/subjects": {
        "get": _op(
            "Subjects using a schema id",
            {"200": _ok("Subject names", _STR_LIST), "404": _err("Schema not found (40403).")},
            params=[_ID, _bool("deleted", "Include soft-deleted versions."), *_PAGE],
        )
    },
    "/schemas/ids/{id}/versions": {
        "get": _op(
            "Subject versions using a schema id",
            {
                "200": _ok("Subject/version pairs", {"type": "array", "items": _r("SubjectVersion")}),
                "404": _err("Schema not found (40403)."),
            },
            params=[_ID, _bool("deleted", "Include soft-deleted versions."), *_PAGE],
        )
    },
    "/compatibility/subjects/{subject}/versions": {
        "post": _op(
            "Test a schema against the subject's versions under its level",
            {
                "200": _ok("Verdict (messages only with verbose=true)", _r("CompatibilityCheckResponse")),
                "422": _err("Invalid schema (42201; with verbose=true a 200 with the reason instead)."),
            },
            params=[_SUBJECT, _bool("normalize", "Normalize first."), _bool("verbose", "Include messages.")],
            body="RegisterSchemaRequest",
        )
    },
    "/compatibility/subjects/{subject}/versions/{version}": {
        "post": _op(
            "Test a schema against one version",
            {
                "200": _ok("Verdict (messages only with verbose=true)", _r("CompatibilityCheckResponse")),
                "404": _err("Version not found (40402)."),
                "422": _err("Invalid schema (42201) or version (42202)."),
            },
            params=[
                _SUBJECT,
                _VERSION,
                _bool("normalize", "Normalize first."),
                _bool("verbose", "Include messages."),
            ],
            body="RegisterSchemaRequest",
        )
    },
    "/config": {
        "get": _op("Global config", {"200": _ok("Config", _r("Config"))}),
        "put": _op(
            "Set the global config",
            {"200": _ok("Stored config", _r("ConfigUpdateResponse")), "422": _err("Invalid level (42203).")},
            body="ConfigUpdateRequest",
        ),
        "delete": _op("Reset the global config", {"200": _ok("Previous config", _r("Config"))}),
    },
    "/config/{subject}": {
        "get": _op(
            "A subject's config",
            {"200": _ok("Config", _r("Config")), "404": _err("No subject-level config (40408).")},
            params=[_SUBJECT, _bool("defaultToGlobal", "Fall back to the global config.")],
        ),
        "put": _op(
            "Set a subject's config",
            {
                "200": _ok("Stored config", _r("ConfigUpdateResponse")),
                "422": _err("Invalid level (42203) or subject (42208)."),
            },
            params=[_SUBJECT],
            body="ConfigUpdateRequest",
        ),
        "delete": _op(
            "Remove a subject's config",
            {"200": _ok("Previous config", _r("Config")), "404": _err("No subject-level config (40401).")},
            params=[_SUBJECT],
        ),
    },
    "/mode": {
        "get": _op("Global mode", {"200": _ok("Mode", _r("Mode"))}),
        "put": _op(
            "Set the global mode",
            {
                "200": _ok("Mode", _r("Mode")),
                "422": _err("Invalid mode (42204); IMPORT while subjects exist without force (42205)."),
            },
            params=[_bool("force", "Allow IMPORT while subjects exist.")],
            body="ModeUpdateRequest",
        ),
        "delete": _op("Reset the global mode", {"200": _ok("Previous mode", _r("Mode"))}),
    },
    "/mode/{subject}": {
        "get": _op(
            "A subject's mode",
            {"200": _ok("Mode", _r("Mode")), "404": _err("No subject-level mode (40409).")},
            params=[_SUBJECT, _bool("defaultToGlobal", "Fall back to the global mode.")],
        ),
        "put": _op(
            "Set a subject's mode",
            {
                "200": _ok("Mode", _r("Mode")),
                "422": _err("Invalid mode (42204), invalid subject (42208), IMPORT with versions (42205)."),
            },
            params=[_SUBJECT, _bool("force", "Allow IMPORT while the subject has versions.")],
            body="ModeUpdateRequest",
        ),
        "delete": _op(
            "Remove a subject's mode",
            {"200": _ok("Previous mode", _r("Mode")), "404": _err("No subject-level mode (40401).")},
            params=[_SUBJECT],
        ),
    },
}


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "govern schema registry",
            "version": "1",
            "description": "Confluent Schema Registry REST API v1 (Avro), served by `govern registry serve`.",
        },
        "paths": _PATHS,
        "components": {
            "schemas": _COMPONENTS,
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy, safe to modify)."""
    return copy.deepcopy(_document())
