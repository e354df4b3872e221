"""Connection limits on loopback: 300 clients trickling their request heads are cut off by the
head deadline (default 10 s) while other clients are served; idle keep-alive connections close;
connections beyond the cap are closed at once; requests beyond the in-flight cap wait, then 503."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
from starlette.types import Receive, Scope, Send

from govern.registry.server import serve_in_thread
from govern.registry.server.connections import ConnectionLimits, RequestLimitMiddleware

SLOW_CLIENTS = 300


def _read_until(sock: socket.socket, end: bytes) -> bytes:
    """Bytes from `sock` up to and including `end` (one whole response)."""
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(4096)
        assert chunk, f"closed after {data!r}"
        data += chunk
    return data


async def _trickle(host: str, port: int, opened: float) -> tuple[float, bytes]:
    """Send a request head one byte every 2 s, never finishing it; when was it cut off, with what."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /subjects HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    answer = b""
    try:
        while True:
            try:
                answer = await asyncio.wait_for(reader.read(1024), 2)
                break
            except TimeoutError:
                writer.write(b"a")
                await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
    return time.monotonic() - opened, answer


async def _served(url: str, until: float) -> list[float]:
    """A well-behaved client's response times while the slow ones hang on."""
    times = []
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        while time.monotonic() < until:
            started = time.monotonic()
            response = await http.get("/subjects")
            assert response.status_code == 200
            times.append(time.monotonic() - started)
            await asyncio.sleep(0.25)
    return times


def test_slow_headers_are_cut_off_while_others_are_served() -> None:
    assert ConnectionLimits().head_timeout_s <= 10

    async def scenario(url: str, host: str, port: int) -> tuple[list[tuple[float, bytes]], list[float]]:
        opened = time.monotonic()
        slow = [asyncio.create_task(_trickle(host, port, opened)) for _ in range(SLOW_CLIENTS)]
        await asyncio.sleep(1)
        served = await _served(url, until=opened + 8)
        return await asyncio.wait_for(asyncio.gather(*slow), 20), served

    with serve_in_thread() as url:
        host, port = url.removeprefix("http://").split(":")
        cut, served = asyncio.run(scenario(url, host, int(port)))
    assert len(served) >= 10 and max(served) < 1.0, served
    assert all(8 < elapsed < 14 for elapsed, _ in cut), sorted(e for e, _ in cut)[:: SLOW_CLIENTS // 10]
    assert all(answer.startswith(b"HTTP/1.1 408 ") for _, answer in cut)


def test_a_silent_connection_and_an_idle_keep_alive_are_closed() -> None:
    limits = ConnectionLimits(head_timeout_s=1, keep_alive_s=1)
    with serve_in_thread(connections=limits) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as silent:
            started = time.monotonic()
            assert _read_until(silent, b"too long").startswith(b"HTTP/1.1 408 ")
            assert silent.recv(1024) == b""
            assert time.monotonic() - started < 3
        with socket.create_connection((host, int(port)), timeout=5) as idle:
            idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_until(idle, b"{}").startswith(b"HTTP/1.1 200 ")
            started = time.monotonic()
            assert idle.recv(1024) == b""  # closed by the keep-alive timeout
            assert time.monotonic() - started < 3


def test_a_second_head_on_a_kept_alive_connection_has_its_own_deadline() -> None:
    limits = ConnectionLimits(head_timeout_s=1.5, keep_alive_s=5)
    with serve_in_thread(connections=limits) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_until(conn, b"{}").startswith(b"HTTP/1.1 200 ")
            conn.sendall(b"GET / HTTP/1.1\r\n")  # the next head starts, then stalls
            started = time.monotonic()
            assert conn.recv(1024).startswith(b"HTTP/1.1 408 ")
            assert 1 < time.monotonic() - started < 3


def test_a_trickled_body_is_cut_off_by_the_body_deadline() -> None:
    limits = ConnectionLimits(body_timeout_s=1.5)
    with serve_in_thread(connections=limits) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(
                b"POST /subjects/s/versions HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
            started = time.monotonic()
            closed = False
            while not closed and time.monotonic() - started < 5:
                time.sleep(0.3)
                try:
                    conn.sendall(b" ")
                    conn.settimeout(0.01)
                    closed = conn.recv(1024) == b""
                except TimeoutError:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
            assert closed and 1.2 < time.monotonic() - started < 3
        assert httpx.get(url + "/subjects").json() == []


def test_connections_beyond_the_cap_are_closed_at_once() -> None:
    with serve_in_thread(connections=ConnectionLimits(max_connections=5)) as url:
        host, port = url.removeprefix("http://").split(":")
        held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(5)]
        try:
            time.sleep(0.2)
            with socket.create_connection((host, int(port)), timeout=5) as extra:
                try:
                    extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    answer = extra.recv(1024)
                except ConnectionResetError:  # closed before our request arrived
                    answer = b""
                assert answer == b""
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)
        assert httpx.get(url + "/subjects").status_code == 200


def test_requests_beyond_the_in_flight_cap_wait_then_get_503() -> None:
    asyncio.run(_in_flight_cap())


async def _in_flight_cap() -> None:
    release = asyncio.Event()

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    app = RequestLimitMiddleware(slow_app, ConnectionLimits(max_requests=2, queue_timeout_s=0.5))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
        first = [asyncio.create_task(http.get("/")) for _ in range(2)]
        await asyncio.sleep(0.1)
        busy = await http.get("/")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert busy.json()["error_code"] == 503
        waiting = asyncio.create_task(http.get("/"))
        await asyncio.sleep(0.1)
        release.set()
        assert [r.status_code for r in await asyncio.gather(*first, waiting)] == [200, 200, 200]
