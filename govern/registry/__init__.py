"""Schema registry client for any Confluent-compatible registry (ours, Confluent's, Karapace...).

Public surface: `Client`, its models (`Schema`, `RegisteredSchema`, `Reference`, ...) and the
error classes (one per Confluent `error_code`). Importing it loads no server: our embedded
registry is `govern.registry.server` (`create_app`, `serve`, `serve_in_thread`), its stores
`govern.registry.store`.

    from govern.registry import Client, IncompatibleSchema
    from govern.registry.server import serve_in_thread

    with serve_in_thread(".govern/test.sqlite") as url, Client(url) as client:
        first = client.register("orders-value", schema_v1)      # RegisteredSchema(id=1, version=1, ...)
        try:
            client.register("orders-value", schema_v2)
        except IncompatibleSchema as error:                     # 409, Confluent's message
            print(error.message)

The server is also `govern registry serve [--host] [--port] [--store PATH|:memory:] [--users FILE]
[--tls-cert PEM --tls-key PEM]`; wire-format encoding lives in `govern.serde`.
"""

from govern.registry.client import (
    Client,
    CompatibilityResult,
    Config,
    Reference,
    RegisteredSchema,
    Schema,
)
from govern.registry.errors import (
    BadRequest,
    Forbidden,
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidMode,
    InvalidSchema,
    InvalidSubject,
    InvalidVersion,
    NotFound,
    OperationNotPermitted,
    ReferenceExists,
    RegistryError,
    RegistryUnreachable,
    SchemaNotFound,
    SchemaTooLarge,
    ServerError,
    SubjectConfigNotFound,
    SubjectModeNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    Unauthorized,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)

__all__ = [
    "BadRequest",
    "Client",
    "CompatibilityResult",
    "Config",
    "Forbidden",
    "IncompatibleSchema",
    "InvalidCompatibilityLevel",
    "InvalidMode",
    "InvalidSchema",
    "InvalidSubject",
    "InvalidVersion",
    "NotFound",
    "OperationNotPermitted",
    "Reference",
    "ReferenceExists",
    "RegisteredSchema",
    "RegistryError",
    "RegistryUnreachable",
    "Schema",
    "SchemaNotFound",
    "SchemaTooLarge",
    "ServerError",
    "SubjectConfigNotFound",
    "SubjectModeNotFound",
    "SubjectNotFound",
    "SubjectNotSoftDeleted",
    "SubjectSoftDeleted",
    "Unauthorized",
    "VersionNotFound",
    "VersionNotSoftDeleted",
    "VersionSoftDeleted",
]
