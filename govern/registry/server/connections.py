"""Connection limits of the registry server: a deadline for the request head, a keep-alive
timeout, a cap on open connections and on requests in flight.

uvicorn times out idle keep-alive connections but not a request head still arriving: a client
sending one header byte every few seconds held its connection forever, and a few hundred of
them held the server. `GuardedH11Protocol` (uvicorn's h11 protocol plus a timer) gives every
request head `head_timeout_s` from the connection's start, or from its first byte after a
keep-alive pause, then answers 408 and closes; a request body gets `body_timeout_s` from the
end of its head (a body trickled in would otherwise hold one of the request slots).
Connections beyond `max_connections` are closed at once; requests beyond `max_requests` in
flight wait up to `queue_timeout_s` for a turn, then get 503 with `Retry-After`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import h11
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from govern.registry.errors import ServerBusy
from govern.registry.server.http import error_response

_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 26\r\nconnection: close\r\n\r\nrequest head took too long"
)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How long and how many; the defaults survive hundreds of stalled clients."""

    head_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keep_alive_s: float = 5.0
    max_connections: int = 1000
    max_requests: int = 64
    queue_timeout_s: float = 10.0
    max_head_bytes: int = 64 * 1024

    def uvicorn_options(self) -> dict[str, Any]:
        """The uvicorn.Config keywords that apply these limits."""
        protocol = type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": self})
        return {
            "http": protocol,
            "timeout_keep_alive": self.keep_alive_s,
            "h11_max_incomplete_event_size": self.max_head_bytes,
        }


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request head and a connection cap."""

    limits = ConnectionLimits()
    _timer: asyncio.TimerHandle | None = None
    _phase: object = None  # h11.IDLE while a head is due, h11.SEND_BODY while a body is

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.close()
            return
        self._arm()  # the first head is due from the start, even if no byte ever comes

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm the head deadline while part of a head is buffered (idle keep-alive is uvicorn's
        timer), the body deadline while a body is due, neither otherwise."""
        state = self.conn.their_state
        if state is h11.IDLE:
            if self.conn.trailing_data[0] and self._timer is None:
                self._arm()
        elif state is h11.SEND_BODY:
            if self._phase is not h11.SEND_BODY:
                self._arm(h11.SEND_BODY)
        else:
            self._disarm()

    def _arm(self, phase: object = h11.IDLE) -> None:
        self._disarm()
        seconds = self.limits.head_timeout_s if phase is h11.IDLE else self.limits.body_timeout_s
        self._phase = phase
        self._timer = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        self._phase = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        phase, self._timer, self._phase = self._phase, None, None
        if self.transport.is_closing() or self.conn.their_state is not phase:
            return
        if phase is h11.IDLE:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()  # a body cut short: the application sees the client disconnect


class RequestLimitMiddleware:
    """At most `max_requests` requests in the application at once; the others queue briefly."""

    def __init__(self, app: ASGIApp, limits: ConnectionLimits) -> None:
        self.app = app
        self.limits = limits
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limits.max_requests)
        try:
            await asyncio.wait_for(self._slots.acquire(), self.limits.queue_timeout_s)
        except TimeoutError:
            busy = ServerBusy(f"Server busy: more than {self.limits.max_requests} requests in progress")
            await error_response(Request(scope), busy)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()
