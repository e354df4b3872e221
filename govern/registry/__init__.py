"""Schema registry: a client for any Confluent-compatible registry and our own embedded server.

Public surface: `Client` and its result types, the error classes (one per Confluent
`error_code`), `create_app` / `serve` / `serve_in_thread` for the server, and the store types.

    from govern.registry import Client, IncompatibleSchema, serve_in_thread

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
from govern.registry.server import create_app, serve, serve_in_thread
from govern.registry.store import Reference, SqliteStore, Store, StoreTx

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
    "SqliteStore",
    "Store",
    "StoreTx",
    "SubjectConfigNotFound",
    "SubjectModeNotFound",
    "SubjectNotFound",
    "SubjectNotSoftDeleted",
    "SubjectSoftDeleted",
    "Unauthorized",
    "VersionNotFound",
    "VersionNotSoftDeleted",
    "VersionSoftDeleted",
    "create_app",
    "serve",
    "serve_in_thread",
]
