"""HTTP plumbing shared by the routers: JSON in/out, Confluent media types, booleans, path params.

Confluent (Jersey) conventions reproduced here: responses in `application/vnd.schemaregistry.v1+json`
(or what the `Accept` header prefers among the three registry types), request bodies accepted in
those types plus `application/octet-stream`, query booleans true only for "true" in any case,
every error as `{"error_code": N, "message": "..."}`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from govern.registry.errors import BadRequest, NotFound, PayloadTooLarge, RegistryError, UnsupportedMediaType

V1 = "application/vnd.schemaregistry.v1+json"
VND = "application/vnd.schemaregistry+json"
JSON = "application/json"
PRODUCED = (V1, VND, JSON)
CONSUMED = (V1, VND, JSON, "application/octet-stream")
SLASH = "\ue000"  # stands for an encoded "/" (%2F) inside one path segment while routing
MAX_BODY_BYTES = 4 * 1024 * 1024


def media_type(request: Request) -> str:
    """The response media type the client prefers (Confluent's order when it accepts several)."""
    accept = request.headers.get("accept")
    if not accept:
        return V1
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    for candidate in PRODUCED:
        if candidate in offered:
            return candidate
    return V1


def json_response(request: Request, body: Any, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        content = text.encode()
    except UnicodeEncodeError:  # a lone surrogate echoed from the request: escape it
        content = json.dumps(body, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type=media_type(request))


def error_response(request: Request, error: RegistryError) -> Response:
    response = json_response(request, error.to_body(), error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="govern-registry"'
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def flag(request: Request, *names: str) -> bool:
    """A Jersey boolean query parameter: "true" in any case is true, anything else false."""
    for name in names:
        value = request.query_params.get(name)
        if value is not None:
            return value.strip().lower() == "true"
    return False


def page(request: Request, items: list[Any]) -> list[Any]:
    """Apply Confluent's `offset` (default 0) and `limit` (default -1 = all) to a list answer."""

    def number(name: str, default: int) -> int:
        raw = request.query_params.get(name, "").strip()
        return int(raw) if raw.lstrip("-").isdecimal() and len(raw) < 12 else default

    offset, limit = max(0, number("offset", 0)), number("limit", -1)
    return items[offset:] if limit < 0 else items[offset : offset + limit]


def subject_param(request: Request) -> str:
    """The `{subject}` path parameter, with encoded slashes restored."""
    return str(request.path_params["subject"]).replace(SLASH, "/")


async def read_json(request: Request) -> Any:
    """The request body as JSON: 415 for a foreign media type, 413 when too big, 400 when malformed."""
    content_type = request.headers.get("content-type")
    if content_type:
        base = content_type.split(";")[0].strip().lower()
        if base not in CONSUMED and base != "*/*":
            raise UnsupportedMediaType("HTTP 415 Unsupported Media Type")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdecimal() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Request body too large: the limit is {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise PayloadTooLarge(f"Request body too large: the limit is {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
    except ClientDisconnect:  # gone, or cut off by the body deadline: nobody to answer, nothing to log
        raise RegistryError("Request body incomplete", status=408, error_code=408) from None
    raw = b"".join(chunks)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise BadRequest(f"Unrecognized request body: not valid JSON ({error})") from None


Handler = Callable[[Request], Awaitable[Response]]


def call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Awaitable[Any]:
    """Run blocking controller work (SQLite writes, compatibility checks) off the event loop."""
    return run_in_threadpool(func, *args, **kwargs)


async def read(request: Request, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a read-only controller call: on the event loop when the store's reads never wait
    (SQLite WAL readers take no locks writers hold), which saves the thread hop; else in a thread."""
    if request.app.state.registry.inline_reads:
        return func(*args, **kwargs)
    return await run_in_threadpool(func, *args, **kwargs)


def int_param(request: Request, name: str) -> int:
    """An integer path parameter; Jersey answers a non-integer with a plain 404."""
    raw = str(request.path_params[name])
    if not raw.lstrip("-").isdecimal() or len(raw) > 11:
        raise NotFound("HTTP 404 Not Found")
    value = int(raw)
    if not -(2**31) <= value < 2**31:
        raise NotFound("HTTP 404 Not Found")
    return value


class RawPathMiddleware:
    """Route on the raw path, the way Jersey does: `%2F` inside a subject stays one path segment,
    and one trailing `/` is ignored (`/subjects/` is `/subjects`), served in place, never redirected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            raw = scope.get("raw_path")
            if raw and b"%2f" in raw.lower():
                raw_text = raw.split(b"?", 1)[0].decode("latin-1")
                path = "/".join(unquote(part).replace("/", SLASH) for part in raw_text.split("/"))
            if len(path) > 1 and path.endswith("/"):
                path = path[:-1]
            if path != scope["path"]:
                scope = dict(scope, path=path)
        await self.app(scope, receive, send)
