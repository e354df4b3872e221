"""Followers forward writes to the leader over HTTP (stores with several instances, e.g. Kafka).

A request that changes the registry, arriving at an instance that does not lead, is sent on to
the leader as it came (method, path, query, body, `Authorization`); the leader's answer goes back
unchanged. Once the leader has acknowledged (so the record is in the log), this instance reads
the log up to its end before answering, so a client that wrote through it reads its own write
from it. Forwarded requests carry a header so that they are never forwarded twice.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from govern.registry.errors import ForwardingFailed, LeaderUnknown, ServerError
from govern.registry.server.http import error_response

FORWARDED = "x-govern-forwarded"
LEADER_WAIT_S = 10.0  # how long a write waits for an election to finish before 50004
_READ_POSTS = re.compile(r"^/(subjects/[^/]+|compatibility/.*)?$")  # lookup, compatibility, liveness
_PASSED_HEADERS = ("authorization", "content-type", "accept")


def is_write(method: str, path: str) -> bool:
    """Whether a request changes the registry (the same split the auth roles use)."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    return not (method == "POST" and _READ_POSTS.match(path))


class ForwardingMiddleware:
    """Send writes to the leader when this instance is a follower of a shared store."""

    def __init__(self, app: ASGIApp, store: Any) -> None:
        self.app = app
        self.store = store
        self.client = httpx.AsyncClient(timeout=60.0)  # TLS verified: forwarded requests carry credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_write(scope["method"], scope["path"]) or self.store.is_leader:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if request.headers.get(FORWARDED):
            error = LeaderUnknown("this registry instance received a forwarded write but is not the leader")
            await error_response(request, error)(scope, receive, send)
            return
        body = await request.body()
        try:
            response = await self._forward(request, body)
        except ServerError as error:
            await error_response(request, error)(scope, receive, send)
            return
        if response is None:  # this instance was elected while waiting: serve the write itself
            await self.app(scope, _replay(body), send)
            return
        if response.status_code < 300:
            await run_in_threadpool(self.store.catch_up)
        headers = {k: v for k, v in response.headers.items() if k.lower() == "content-type"}
        await Response(response.content, status_code=response.status_code, headers=headers)(
            scope, receive, send
        )

    async def _forward(self, request: Request, body: bytes) -> httpx.Response | None:
        """The leader's answer; None when this instance became the leader meanwhile."""
        deadline = time.monotonic() + LEADER_WAIT_S
        while True:
            if self.store.is_leader:
                return None
            leader = await run_in_threadpool(self.store.leader_url)
            if leader is not None and leader != self.store.url:
                headers = {k: v for k, v in request.headers.items() if k.lower() in _PASSED_HEADERS}
                headers[FORWARDED] = "1"
                url = leader.rstrip("/") + request.scope.get("raw_path", request.url.path.encode()).decode(
                    "latin-1"
                )
                if request.url.query:
                    url += "?" + request.url.query
                try:
                    response = await self.client.request(request.method, url, content=body, headers=headers)
                except httpx.HTTPError as error:
                    self.store.forget_leader()
                    if time.monotonic() > deadline:
                        raise ForwardingFailed(
                            f"Error while forwarding the request to the leader: {error}"
                        ) from None
                else:
                    if response.status_code == 500 and b'"error_code":50004' in response.content:
                        self.store.forget_leader()  # it stepped down meanwhile: look again
                    else:
                        return response
            if time.monotonic() > deadline:
                raise LeaderUnknown("Leader not known: an election is in progress; try again")
            await asyncio.sleep(0.25)


def _replay(body: bytes) -> Receive:
    """An ASGI `receive` that hands the already-read body to the app once."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
