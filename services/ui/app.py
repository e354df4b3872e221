"""The UI's HTTP API and web page (Starlette): requests become events, answers come from views.

Each write answers 202 with the request guid once Kafka has acknowledged the record; the
outcome shows up later under /api/accounts/{id}/requests/{guid}. See `openapi.py` for the
documented contract of every route.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from services.ui import auth
from services.ui.config import UiConfig
from services.ui.openapi import openapi_document
from services.ui.publish import PublishError
from services.ui.records import ACCOUNT_ID, BadRequest, account_request, plain, transaction_request
from services.ui.views import Views

STATIC = Path(__file__).parent / "static"
KEEPALIVE_S = 15.0
"""Seconds between SSE comment lines that keep idle proxies from closing the rate stream."""
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Publishing:
    """What the app needs from a publisher (`services.ui.publish.Publisher` fits)."""

    async def publish(self, logical: str, key: str, record: dict[str, Any]) -> None: ...


@dataclass
class UiContext:
    """The app's collaborators: settings, views fed from Kafka, and the request publisher."""

    config: UiConfig
    views: Views
    publisher: Publishing
    created: set[str] = field(default_factory=set)  #: accounts this process asked to create


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _error(status: int, message: str, field_name: str | None = None) -> JSONResponse:
    return _json({"error": message, "field": field_name}, status)


class BodyRefused(Exception):
    """A request body refused before it is read as a request: wrong media type, too big, not JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", raw)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


async def _body(request: Request) -> Any:
    """The JSON body of a state-changing request: 415 unless declared JSON (so that a cross-site
    form post, which cannot send that type, never acts), 413 beyond the size limit (checked while
    reading, so chunked bodies too), 400 when malformed or nested beyond the depth limit."""
    config = _context(request).config
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not _JSON_TYPE.match(media):
        raise BodyRefused(415, "send the body as application/json")
    declared = request.headers.get("content-length", "")
    too_big = f"the body is larger than {config.max_body_bytes} bytes"
    if declared.isdecimal() and int(declared) > config.max_body_bytes:
        raise BodyRefused(413, too_big)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > config.max_body_bytes:
            raise BodyRefused(413, too_big)
    if not raw:
        raise BadRequest("the body must be a JSON object")
    if json_depth(bytes(raw)) > config.max_json_depth:
        raise BodyRefused(400, f"the body nests deeper than {config.max_json_depth} levels")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BodyRefused(400, "the body is not valid JSON") from None


async def _refused(_: Request, error: Exception) -> Response:
    assert isinstance(error, BodyRefused)
    return _error(error.status, error.message)


def _context(request: Request) -> UiContext:
    return request.app.state.context


def _authorise(request: Request) -> tuple[str, Response | None]:
    """The path's account id, or an error response: 404 malformed id, 401 no token, 403 wrong one."""
    context = _context(request)
    account_id = request.path_params["account_id"]
    if not ACCOUNT_ID.match(account_id):
        return account_id, _error(404, f"no account {account_id!r}")
    token = auth.bearer(request.headers.get("authorization"))
    if token is None:
        return account_id, _error(401, "this account needs its token: send Authorization: Bearer <token>")
    if not auth.allowed(context.config.secret, account_id, token):
        return account_id, _error(403, f"the token given does not open account {account_id}")
    return account_id, None


# ---------------------------------------------------------------- routes


async def index(_: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html")


async def openapi(request: Request) -> Response:
    return _json(openapi_document(_context(request).config.currencies))


async def healthz(_: Request) -> Response:
    return _json({"status": "ok"})


async def currencies(request: Request) -> Response:
    return _json({"currencies": list(_context(request).config.currencies)})


async def create_account(request: Request) -> Response:
    context = _context(request)
    account_id = uuid.uuid4().hex[:12]
    try:
        record = account_request(await _body(request), account_id)
        await context.publisher.publish("account-request", account_id, record)
    except BadRequest as error:
        return _json(error.as_dict(), 422)
    except PublishError as error:
        return _error(503, f"Kafka did not take the request: {error}")
    context.created.add(account_id)
    token = auth.token_for(context.config.secret, account_id)
    return _json({"account_id": account_id, "token": token, "guid": record["guid"]}, 202)


async def get_account(request: Request) -> Response:
    account_id, denied = _authorise(request)
    if denied:
        return denied
    context = _context(request)
    account = context.views.account(account_id)
    if account is None and account_id not in context.created:
        return _error(404, f"no account {account_id!r} (yet)")
    state = "pending" if account is None else str(account.get("status", "UNKNOWN")).lower()
    return _json({"account_id": account_id, "state": state, "account": account})


def _transaction(kind: str):  # noqa: ANN202 - a route endpoint
    async def endpoint(request: Request) -> Response:
        account_id, denied = _authorise(request)
        if denied:
            return denied
        context = _context(request)
        try:
            record = transaction_request(kind, await _body(request), account_id, context.config.currencies)
        except BadRequest as error:
            return _json(error.as_dict(), 422)
        try:
            await context.publisher.publish("transaction-request", account_id, record)
        except PublishError as error:
            return _error(503, f"Kafka did not take the request: {error}")
        context.views.note_request(plain(record))
        guid = record["guid"]
        return _json(
            {"guid": guid, "status": "pending", "outcome": f"/api/accounts/{account_id}/requests/{guid}"}, 202
        )

    endpoint.__name__ = f"request_{kind.lower()}"
    return endpoint


async def list_requests(request: Request) -> Response:
    account_id, denied = _authorise(request)
    if denied:
        return denied
    return _json({"requests": _context(request).views.recent(account_id)})


async def get_request(request: Request) -> Response:
    account_id, denied = _authorise(request)
    if denied:
        return denied
    guid = request.path_params["guid"]
    outcome = _context(request).views.outcome(guid.lower()) if _GUID.match(guid) else None
    if outcome is None or outcome["account_id"] != account_id:
        return _error(404, f"no request {guid} for account {account_id}")
    return _json(outcome)


async def get_wallet(request: Request) -> Response:
    account_id, denied = _authorise(request)
    if denied:
        return denied
    wallet = _context(request).views.wallet(account_id)
    if wallet is None:
        return _error(404, f"no wallet for account {account_id} yet")
    return _json(wallet)


async def rates(request: Request) -> Response:
    return _json({"rates": _context(request).views.latest_rates()})


def _event(rate: dict[str, Any]) -> bytes:
    return f"event: rate\ndata: {json.dumps(rate, separators=(',', ':'))}\n\n".encode()


async def rate_stream(request: Request) -> Response:
    """Server-sent events: the latest rate of every pair first, then each new rate as it comes."""
    context = _context(request)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=1000)

    def push(rate: dict[str, Any] | None) -> None:
        def put() -> None:
            if queue.full() and rate is not None:
                queue.get_nowait()  # a slow client loses the oldest ticks, never blocks the feed
            queue.put_nowait(rate)

        loop.call_soon_threadsafe(put)

    first = context.views.subscribe_rates(push)

    async def events() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            for rate in first:
                yield _event(rate)
            while True:
                try:
                    rate = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_S)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if rate is None:  # the service is stopping
                    return
                yield _event(rate)
        finally:
            context.views.unsubscribe_rates(push)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def create_app(context: UiContext) -> Starlette:
    """The ASGI app over `context` (views and publisher started by the caller, see `UiService`)."""
    routes = [
        Route("/", index),
        Route("/openapi.json", openapi),
        Route("/healthz", healthz),
        Route("/api/currencies", currencies),
        Route("/api/accounts", create_account, methods=["POST"]),
        Route("/api/accounts/{account_id}", get_account),
        Route("/api/accounts/{account_id}/deposits", _transaction("DEPOSIT"), methods=["POST"]),
        Route("/api/accounts/{account_id}/withdrawals", _transaction("WITHDRAW"), methods=["POST"]),
        Route("/api/accounts/{account_id}/exchanges", _transaction("EXCHANGE"), methods=["POST"]),
        Route("/api/accounts/{account_id}/requests", list_requests),
        Route("/api/accounts/{account_id}/requests/{guid}", get_request),
        Route("/api/accounts/{account_id}/wallet", get_wallet),
        Route("/api/rates", rates),
        Route("/api/rates/stream", rate_stream),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={BodyRefused: _refused})
    app.state.context = context
    return app
