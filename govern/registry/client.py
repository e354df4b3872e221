"""A typed client for any Confluent-compatible schema registry (ours, Confluent's, Karapace...).

Results are dataclasses; error answers become the exception class of their `error_code`
(`SubjectNotFound`, `IncompatibleSchema`, ...); an unreachable registry is `RegistryUnreachable`
(exit 3). Immutable answers (a schema by id) are cached. Retries are bounded and happen only on
connection errors and 5xx answers, never on 4xx.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from govern.registry.credentials import split_userinfo
from govern.registry.errors import RegistryError, RegistryUnreachable, ServerError, error_for

ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json"
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"

SchemaLike = str | dict[str, Any] | list[Any] | Any  # JSON text, a JSON value, or an object with `.json`


@dataclass(frozen=True, slots=True)
class Reference:
    """A named type this schema uses, defined by `subject` at `version`."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class Schema:
    """A schema as the registry returns it by id."""

    schema: str
    schema_type: str = "AVRO"
    references: tuple[Reference, ...] = ()
    metadata: dict[str, Any] | None = None  # data contract: {tags, properties, sensitive}
    rule_set: dict[str, Any] | None = None  # data contract: {domainRules, migrationRules}


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    """A schema registered under a subject: its global id and its version there."""

    id: int
    schema: str
    subject: str | None = None
    version: int | None = None
    schema_type: str = "AVRO"
    references: tuple[Reference, ...] = ()
    metadata: dict[str, Any] | None = None
    rule_set: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CompatibilityResult:
    """The registry's verdict; `messages` only when asked with verbose."""

    is_compatible: bool
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Config:
    """Compatibility config (global or of one subject)."""

    compatibility: str | None
    normalize: bool | None = None
    compatibility_group: str | None = None  # the metadata property that separates compatibility groups
    default_metadata: dict[str, Any] | None = None
    override_metadata: dict[str, Any] | None = None
    default_rule_set: dict[str, Any] | None = None
    override_rule_set: dict[str, Any] | None = None


_CONFIG_CONTRACT_KEYS = {
    "compatibility_group": "compatibilityGroup",
    "default_metadata": "defaultMetadata",
    "override_metadata": "overrideMetadata",
    "default_rule_set": "defaultRuleSet",
    "override_rule_set": "overrideRuleSet",
}


def schema_text(schema: SchemaLike) -> str:
    """The JSON text to send for a schema given as text, a JSON value or a parsed schema."""
    if isinstance(schema, str):
        return schema
    if isinstance(schema, dict | list):
        return json.dumps(schema, separators=(",", ":"))
    text = getattr(schema, "text", None)
    if isinstance(text, str):
        return text
    value = getattr(schema, "json", None)
    if value is not None:
        return json.dumps(value, separators=(",", ":"))
    raise TypeError(f"cannot send {type(schema).__name__} as a schema")


def _refs(raw: Any) -> tuple[Reference, ...]:
    return tuple(Reference(r["name"], r["subject"], int(r["version"])) for r in raw or ())


def _schema_body(
    text: str,
    references: Sequence[Reference],
    metadata: dict[str, Any] | None,
    rule_set: dict[str, Any] | None,
) -> dict[str, Any]:
    """A RegisterSchemaRequest: the schema, and its references and data contract when given."""
    body: dict[str, Any] = {"schema": text}
    if references:
        body["references"] = [r.to_json() for r in references]
    if metadata is not None:
        body["metadata"] = metadata
    if rule_set is not None:
        body["ruleSet"] = rule_set
    return body


def _seg(value: str | int) -> str:
    return quote(str(value), safe="")


_PROXY_VARIABLES = ("all_proxy", "http_proxy", "https_proxy")


def _plain_http(url: str) -> bool:
    """Whether every request to `url` goes out unencrypted: an http:// URL and no proxy in the
    environment (httpx would reach a proxy given as https:// over TLS)."""
    return url.lower().startswith("http://") and not any(
        os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES
    )


class Client:
    """Synchronous registry client (httpx). Use as a context manager or call `close()`.

    `auth` is (user, password) for basic auth (user info in `url` works too: it is taken out of
    the URL, so `self.url`, which messages and reports show, never carries a password); `token` a
    bearer token; `verify` is a bool, a CA bundle path or an `ssl.SSLContext`; `cert` a client
    certificate (path or (cert, key)) for mutual TLS. `govern.registry.credentials.connect` builds
    one from the environment and govern.toml.
    """

    def __init__(
        self,
        url: str,
        *,
        auth: tuple[str, str] | None = None,
        token: str | None = None,
        verify: bool | str | Path | ssl.SSLContext = True,
        cert: str | tuple[str, str] | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        retry_backoff: float = 0.2,
        cache_size: int = 1000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        bare, userinfo = split_userinfo(url)
        self.url = bare.rstrip("/")
        auth = auth or userinfo
        headers = {"Accept": ACCEPT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.retries = max(0, retries)
        self.retry_backoff = retry_backoff
        if isinstance(verify, str | Path) and not isinstance(verify, bool):
            verify = ssl.create_default_context(cafile=str(verify))
        if cert is not None:
            context = verify if isinstance(verify, ssl.SSLContext) else ssl.create_default_context()
            if verify is False:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
            context.load_cert_chain(certfile, keyfile)
            verify = context
        if verify is True and cert is None and _plain_http(self.url):
            verify = False  # nothing to verify; loading the CA bundle costs ~25 ms per client
        self._http = httpx.Client(
            base_url=self.url,
            auth=auth,
            verify=verify,
            timeout=timeout,
            headers=headers,
            transport=transport,
        )
        self._cache_size = cache_size
        self._by_id: OrderedDict[int, Schema] = OrderedDict()
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- plumbing

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        body: Any = None,
        raw: bool = False,
    ) -> Any:
        content = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": CONTENT_TYPE} if content is not None else None
        pairs = params.items() if isinstance(params, dict) else (params or [])
        query = [(k, str(v).lower() if isinstance(v, bool) else v) for k, v in pairs if v is not None]
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, params=query, content=content, headers=headers)
            except httpx.TransportError as error:
                if attempt < self.retries:
                    attempt += 1
                    time.sleep(self.retry_backoff * 2 ** (attempt - 1))
                    continue
                raise RegistryUnreachable(
                    f"schema registry at {self.url} is unreachable: {type(error).__name__}: {error}".rstrip(
                        ": "
                    ),
                    hint="start it (govern registry serve) or set --registry / GOVERN_REGISTRY_URL",
                ) from None
            if response.status_code >= 500 and attempt < self.retries:
                attempt += 1
                time.sleep(self.retry_backoff * 2 ** (attempt - 1))
                continue
            break
        if response.status_code >= 400:
            raise self._error(method, path, response)
        if raw:
            return response.text
        try:
            return response.json()
        except ValueError:
            raise ServerError(
                f"schema registry at {self.url} answered {method} {path} with non-JSON content",
                status=response.status_code,
            ) from None

    def _error(self, method: str, path: str, response: httpx.Response) -> RegistryError:
        code: int | None = None
        message = response.text[:500] or response.reason_phrase
        try:
            body = response.json()
            if isinstance(body, dict):
                code = body.get("error_code") if isinstance(body.get("error_code"), int) else None
                message = str(body.get("message", message))
        except ValueError:
            pass
        error = error_for(response.status_code, code, message)
        if response.status_code in (401, 403):
            # The message is the registry's own; say which registry and which request it refused.
            error.message = f"schema registry at {self.url} refused {method} {path}: {error.message}"
            error.hint = (
                "check GOVERN_REGISTRY_USER / GOVERN_REGISTRY_PASSWORD (or GOVERN_REGISTRY_TOKEN)"
                if response.status_code == 401
                else "the registry user lacks the role for this request (write access for changes)"
            )
        elif response.status_code >= 500:
            error.hint = f"the registry failed on {method} {path}; see its log"
        return error

    # ---------------------------------------------------------------- schemas

    def register(
        self,
        subject: str,
        schema: SchemaLike,
        *,
        references: Sequence[Reference] = (),
        schema_type: str = "AVRO",
        normalize: bool = False,
        force: bool = False,
        metadata: dict[str, Any] | None = None,
        rule_set: dict[str, Any] | None = None,
    ) -> RegisteredSchema:
        """Register a schema under a subject (idempotent); `IncompatibleSchema` if the level forbids it.

        `metadata` and `rule_set` are its data contract; left out, the registry carries over the
        previous version's (as Confluent does)."""
        text = schema_text(schema)
        body = _schema_body(text, references, metadata, rule_set)
        if schema_type != "AVRO":
            body["schemaType"] = schema_type
        params = {"normalize": normalize or None, "force": force or None}
        answer = self._request("POST", f"/subjects/{_seg(subject)}/versions", params=params, body=body)
        stored = answer.get("schema", text)
        result = RegisteredSchema(
            id=int(answer["id"]),
            schema=stored,
            subject=subject,
            version=answer.get("version"),
            schema_type=answer.get("schemaType", schema_type),
            references=_refs(answer.get("references")) or tuple(references),
            metadata=answer.get("metadata"),
            rule_set=answer.get("ruleSet"),
        )
        if "schema" in answer:
            self._remember(
                result.id,
                Schema(stored, result.schema_type, result.references, result.metadata, result.rule_set),
            )
        return result

    def lookup(
        self,
        subject: str,
        schema: SchemaLike,
        *,
        references: Sequence[Reference] = (),
        normalize: bool = False,
        deleted: bool = False,
        metadata: dict[str, Any] | None = None,
        rule_set: dict[str, Any] | None = None,
    ) -> RegisteredSchema:
        """Which version of `subject` holds this schema (`SchemaNotFound` / `SubjectNotFound` if none);
        with `metadata` / `rule_set`, only a version with that contract."""
        body = _schema_body(schema_text(schema), references, metadata, rule_set)
        answer = self._request(
            "POST",
            f"/subjects/{_seg(subject)}",
            params={"normalize": normalize, "deleted": deleted},
            body=body,
        )
        return self._registered(answer)

    @staticmethod
    def _registered(answer: dict[str, Any]) -> RegisteredSchema:
        return RegisteredSchema(
            id=int(answer["id"]),
            schema=answer["schema"],
            subject=answer.get("subject"),
            version=answer.get("version"),
            schema_type=answer.get("schemaType", "AVRO"),
            references=_refs(answer.get("references")),
            metadata=answer.get("metadata"),
            rule_set=answer.get("ruleSet"),
        )

    def _remember(self, schema_id: int, schema: Schema) -> None:
        with self._lock:
            self._by_id[schema_id] = schema
            self._by_id.move_to_end(schema_id)
            while len(self._by_id) > self._cache_size:
                self._by_id.popitem(last=False)

    def get_schema(self, schema_id: int) -> Schema:
        """The schema with this id (cached: an id never changes meaning)."""
        with self._lock:
            cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        answer = self._request("GET", f"/schemas/ids/{int(schema_id)}")
        schema = Schema(
            answer["schema"],
            answer.get("schemaType", "AVRO"),
            _refs(answer.get("references")),
            answer.get("metadata"),
            answer.get("ruleSet"),
        )
        self._remember(schema_id, schema)
        return schema

    def get_schema_subjects(self, schema_id: int, *, deleted: bool = False) -> list[str]:
        """Subjects that use a schema id."""
        return list(
            self._request("GET", f"/schemas/ids/{int(schema_id)}/subjects", params={"deleted": deleted})
        )

    def get_schema_versions(self, schema_id: int, *, deleted: bool = False) -> list[tuple[str, int]]:
        """(subject, version) pairs that use a schema id."""
        answer = self._request("GET", f"/schemas/ids/{int(schema_id)}/versions", params={"deleted": deleted})
        return [(item["subject"], int(item["version"])) for item in answer]

    def schema_types(self) -> list[str]:
        """Schema types the registry supports."""
        return list(self._request("GET", "/schemas/types"))

    # ---------------------------------------------------------------- subjects

    def subjects(
        self, *, prefix: str | None = None, deleted: bool = False, deleted_only: bool = False
    ) -> list[str]:
        """Subject names (soft-deleted ones only when asked)."""
        params = {"subjectPrefix": prefix, "deleted": deleted or None, "deletedOnly": deleted_only or None}
        return list(self._request("GET", "/subjects", params=params))

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        """Version numbers of a subject."""
        return list(
            self._request("GET", f"/subjects/{_seg(subject)}/versions", params={"deleted": deleted or None})
        )

    def get_version(
        self, subject: str, version: int | str = "latest", *, deleted: bool = False
    ) -> RegisteredSchema:
        """One version of a subject (`"latest"` by default)."""
        answer = self._request(
            "GET", f"/subjects/{_seg(subject)}/versions/{_seg(version)}", params={"deleted": deleted or None}
        )
        return self._registered(answer)

    def get_latest(self, subject: str) -> RegisteredSchema:
        """The newest non-deleted version of a subject."""
        return self.get_version(subject, "latest")

    def get_latest_with_metadata(
        self, subject: str, properties: dict[str, str], *, deleted: bool = False
    ) -> RegisteredSchema:
        """The newest version whose metadata properties hold every key=value given (Confluent's
        "latest with metadata", e.g. `{"application.major.version": "2"}`)."""
        params: list[tuple[str, str]] = []
        for key, value in properties.items():
            params += [("key", key), ("value", value)]
        if deleted:
            params.append(("deleted", "true"))
        return self._registered(self._request("GET", f"/subjects/{_seg(subject)}/metadata", params=params))

    def get_raw_schema(self, subject: str, version: int | str = "latest") -> str:
        """The schema text of one version, unwrapped."""
        return str(
            self._request("GET", f"/subjects/{_seg(subject)}/versions/{_seg(version)}/schema", raw=True)
        )

    def referenced_by(self, subject: str, version: int | str) -> list[int]:
        """Ids of schemas that reference this subject version."""
        return list(self._request("GET", f"/subjects/{_seg(subject)}/versions/{_seg(version)}/referencedby"))

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        """Soft-delete a subject (or hard-delete an already soft-deleted one); the versions deleted."""
        return list(
            self._request("DELETE", f"/subjects/{_seg(subject)}", params={"permanent": permanent or None})
        )

    def delete_version(self, subject: str, version: int | str, *, permanent: bool = False) -> int:
        """Soft- (or hard-) delete one version; the version number deleted."""
        return int(
            self._request(
                "DELETE",
                f"/subjects/{_seg(subject)}/versions/{_seg(version)}",
                params={"permanent": permanent or None},
            )
        )

    # ---------------------------------------------------------------- compatibility

    def test_compatibility(
        self,
        subject: str,
        schema: SchemaLike,
        *,
        version: int | str | None = None,
        references: Sequence[Reference] = (),
        verbose: bool = False,
        normalize: bool = False,
    ) -> CompatibilityResult:
        """Would this schema be accepted (against `version`, or the subject's level when None)?"""
        path = f"/compatibility/subjects/{_seg(subject)}/versions"
        if version is not None:
            path += f"/{_seg(version)}"
        body: dict[str, Any] = {"schema": schema_text(schema)}
        if references:
            body["references"] = [r.to_json() for r in references]
        answer = self._request(
            "POST", path, params={"verbose": verbose or None, "normalize": normalize or None}, body=body
        )
        return CompatibilityResult(bool(answer["is_compatible"]), list(answer.get("messages") or []))

    # ---------------------------------------------------------------- config and mode

    @staticmethod
    def _config(answer: dict[str, Any]) -> Config:
        contract = {name: answer.get(key) for name, key in _CONFIG_CONTRACT_KEYS.items()}
        return Config(
            answer.get("compatibilityLevel", answer.get("compatibility")), answer.get("normalize"), **contract
        )

    def get_config(self, subject: str | None = None, *, default_to_global: bool = False) -> Config:
        """Global config, or a subject's (`SubjectConfigNotFound` unless `default_to_global`)."""
        path = "/config" if subject is None else f"/config/{_seg(subject)}"
        return self._config(self._request("GET", path, params={"defaultToGlobal": default_to_global or None}))

    def set_config(
        self,
        compatibility: str | None = None,
        *,
        subject: str | None = None,
        normalize: bool | None = None,
        compatibility_group: str | None = None,
        default_metadata: dict[str, Any] | None = None,
        override_metadata: dict[str, Any] | None = None,
        default_rule_set: dict[str, Any] | None = None,
        override_rule_set: dict[str, Any] | None = None,
    ) -> Config:
        """Set the compatibility level, normalize and data-contract keys, globally or for one subject
        (keys left None are left as they are)."""
        path = "/config" if subject is None else f"/config/{_seg(subject)}"
        body: dict[str, Any] = {}
        if compatibility is not None:
            body["compatibility"] = compatibility.upper()
        if normalize is not None:
            body["normalize"] = normalize
        given = {
            "compatibility_group": compatibility_group,
            "default_metadata": default_metadata,
            "override_metadata": override_metadata,
            "default_rule_set": default_rule_set,
            "override_rule_set": override_rule_set,
        }
        body.update({_CONFIG_CONTRACT_KEYS[k]: value for k, value in given.items() if value is not None})
        return self._config(self._request("PUT", path, body=body))

    def delete_config(self, subject: str | None = None) -> Config:
        """Remove a subject's config (or reset the global one); the previous config."""
        path = "/config" if subject is None else f"/config/{_seg(subject)}"
        return self._config(self._request("DELETE", path))

    def get_mode(self, subject: str | None = None, *, default_to_global: bool = False) -> str:
        """READWRITE, READONLY or IMPORT."""
        path = "/mode" if subject is None else f"/mode/{_seg(subject)}"
        return str(self._request("GET", path, params={"defaultToGlobal": default_to_global or None})["mode"])

    def set_mode(self, mode: str, *, subject: str | None = None, force: bool = False) -> str:
        """Set the mode globally or for one subject."""
        path = "/mode" if subject is None else f"/mode/{_seg(subject)}"
        return str(
            self._request("PUT", path, params={"force": force or None}, body={"mode": mode.upper()})["mode"]
        )

    def delete_mode(self, subject: str | None = None) -> str:
        """Remove a subject's mode (or reset the global one); the previous mode."""
        path = "/mode" if subject is None else f"/mode/{_seg(subject)}"
        return str(self._request("DELETE", path)["mode"])
