"""The ASGI application: routers, error rendering, encoded-slash routing and optional basic auth."""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from govern.compat.limits import Limits
from govern.registry.errors import (
    Forbidden,
    RegistryError,
    ServerError,
    StoreError,
    TooManyRequests,
    Unauthorized,
)
from govern.registry.server import compatibility, config, mode, root, schemas, subjects
from govern.registry.server.auth import Authenticator, AuthLimits, LoginLocked, User, load_users
from govern.registry.server.connections import ConnectionLimits, RequestLimitMiddleware
from govern.registry.server.controller import Registry
from govern.registry.server.forward import ForwardingMiddleware
from govern.registry.server.http import RawPathMiddleware, error_response
from govern.registry.store import SqliteStore, Store

log = logging.getLogger("govern.registry")

# POSTs that only read: lookup, compatibility checks, liveness.
_READ_POSTS = re.compile(r"^/(subjects/[^/]+|compatibility/.*)?$")


def _required_role(method: str, path: str) -> str:
    if method in ("GET", "HEAD", "OPTIONS") or (method == "POST" and _READ_POSTS.match(path)):
        return "read"
    return "write"


class BasicAuthMiddleware:
    """401 without valid credentials; 403 when a `read` user tries to change something; 429 while
    the user name or the client address has too many recent failed logins."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        error = await self._refusal(request)
        if error is not None:
            await error_response(request, error)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _refusal(self, request: Request) -> RegistryError | None:
        header = request.headers.get("authorization")
        role = self.authenticator.cached_role(header)
        if role is None:  # not verified before: scrypt, off the event loop
            address = request.client.host if request.client else ""
            try:
                role = await run_in_threadpool(self.authenticator.authenticate, header, address)
            except LoginLocked as locked:
                wait = math.ceil(locked.retry_after)
                return TooManyRequests(f"Too many failed logins: try again in {wait} s", retry_after=wait)
        if role is None:
            return Unauthorized("Unauthorized")
        if role != "write" and _required_role(request.method, request.scope["path"]) == "write":
            return Forbidden("User is denied operation: the 'read' role cannot change the registry")
        return None


async def _registry_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegistryError)
    if isinstance(exc, ServerError):
        log.error("registry error %s: %s", exc.error_code, exc.message)
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    phrase = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, str(exc.detail))
    return error_response(
        request,
        RegistryError(f"HTTP {exc.status_code} {phrase}", status=exc.status_code, error_code=exc.status_code),
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, ServerError("Internal Server Error"))


def create_app(
    store: Store | str | Path | None = None,
    *,
    users: dict[str, User] | str | Path | None = None,
    default_level: str = "BACKWARD",
    max_schema_bytes: int = 1024 * 1024,
    limits: Limits | None = None,
    auth_limits: AuthLimits | None = None,
    connections: ConnectionLimits | None = None,
) -> Starlette:
    """Build the registry ASGI app over a store (a `Store`, a SQLite path, or `:memory:` by default).

    `limits` bound compatibility work (default: the GOVERN_COMPAT_MAX_* environment), `auth_limits`
    failed logins (with `users`), `connections` the requests in flight (the server applies the rest).
    """
    if store is None or isinstance(store, str | Path):
        store = SqliteStore(store if store is not None else ":memory:")
    registry = Registry(store, default_level=default_level, max_schema_bytes=max_schema_bytes, limits=limits)
    middleware = [
        Middleware(RequestLimitMiddleware, limits=connections or ConnectionLimits()),
        Middleware(RawPathMiddleware),
    ]
    if users is not None:
        if not isinstance(users, dict):
            users = load_users(users)
        middleware.append(Middleware(BasicAuthMiddleware, authenticator=Authenticator(users, auth_limits)))
    if hasattr(store, "leader_url"):  # a store shared by several instances: followers forward writes
        middleware.append(Middleware(ForwardingMiddleware, store=store))
    app = Starlette(
        routes=[
            *root.routes,
            *subjects.routes,
            *schemas.routes,
            *compatibility.routes,
            *config.routes,
            *mode.routes,
        ],
        middleware=middleware,
        exception_handlers={
            RegistryError: _registry_error,
            StoreError: _registry_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.router.redirect_slashes = False  # a trailing slash is served in place (RawPathMiddleware)
    app.state.registry = registry
    return app
