"""The benchmarks' load generator: N keep-alive HTTP/1.1 clients on loopback, in this process.

A minimal asyncio client (one prepared request sent again and again on each connection), so it
costs far less than the server it measures. `http_request` builds the request bytes,
`run_clients` runs the clients for a while, `summary` turns latencies into req/s, p50 and p99.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_request(
    method: str, path: str, headers: dict[str, str], body: bytes | None, content_type: str
) -> bytes:
    """The bytes of one HTTP/1.1 request to 127.0.0.1 (`content_type` is sent only with a body)."""
    text = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    if body is not None:
        text += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return (text + "\r\n").encode() + (body or b"")


async def _client(port: int, request: bytes, expect: bytes, until: float, latencies: list[float]) -> None:
    """Send `request` on one connection until `until`, reading whole responses; status must be `expect`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if head[9:12] != expect:
                raise RuntimeError(f"unexpected status {head[9:12]!r}")
            latencies.append(time.perf_counter() - start)
    finally:
        writer.close()


def run_clients(
    port: int, request: bytes, expect: int, clients: int, duration: float
) -> tuple[list[float], float]:
    """Latencies (s) of `request` from `clients` connections over `duration` s, and the seconds taken."""

    async def run() -> list[float]:
        latencies: list[float] = []
        until = time.perf_counter() + duration
        await asyncio.gather(
            *(_client(port, request, str(expect).encode(), until, latencies) for _ in range(clients))
        )
        return latencies

    started = time.perf_counter()
    latencies = asyncio.run(run())
    return latencies, time.perf_counter() - started


def summary(latencies: list[float], elapsed: float) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of `latencies` (sorted in place) gathered over `elapsed` s."""
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99 * 1000
