"""A local websocket server that replays a recorded level2 feed, so the real websocket path runs offline.

It speaks the part of Coinbase's protocol the rate service uses: the client sends
`{"type": "subscribe", "product_ids": [...], "channels": ["level2"]}`; the server answers with a
`subscriptions` message, the recorded `snapshot` of each subscribed product, then the recorded
`l2update` messages paced by their `time` fields divided by `speed`. Lines of the file that are
not JSON are sent as they are (a recorded feed may hold garbage; the client must survive it).
After the last message the connection stays open (or the replay restarts with `loop`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

DEFAULT_FEED = Path(__file__).with_name("feed") / "level2.jsonl"
MAX_PAUSE_S = 0.5


def _time(message: Any) -> float | None:
    if isinstance(message, dict) and isinstance(message.get("time"), str):
        try:
            return datetime.fromisoformat(message["time"].replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def load_feed(path: Path) -> list[tuple[str, Any]]:
    """(raw line, decoded message or None) for every non-empty line."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            entries.append((line, json.loads(line)))
        except ValueError:
            entries.append((line, None))
    return entries


@asynccontextmanager
async def feed_server(
    path: Path = DEFAULT_FEED,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    speed: float = 10.0,
    loop: bool = False,
) -> AsyncIterator[str]:
    """Serve the recorded feed at `path`; yields the ws:// URL."""
    entries = load_feed(path)

    async def handler(ws: ServerConnection) -> None:
        try:
            request = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        except (TimeoutError, ValueError):
            await ws.close(1008, "expected a subscribe message")
            return
        wanted = set(request.get("product_ids") or []) if isinstance(request, dict) else set()
        await ws.send(json.dumps({"type": "subscriptions", "channels": [
            {"name": "level2", "product_ids": sorted(wanted)}]}))  # fmt: skip
        while True:
            previous: float | None = None
            for raw, message in entries:
                if isinstance(message, dict):
                    if message.get("type") == "subscriptions":
                        continue
                    if wanted and message.get("product_id") not in wanted:
                        continue
                    stamp = _time(message)
                    if stamp is not None and previous is not None and stamp > previous:
                        await asyncio.sleep(min((stamp - previous) / speed, MAX_PAUSE_S))
                    previous = stamp if stamp is not None else previous
                await ws.send(raw)
            if not loop:
                break
        await ws.wait_closed()

    async with serve(handler, host, port, max_size=2**22) as server:
        bound = next(iter(server.sockets)).getsockname()
        yield f"ws://{bound[0]}:{bound[1]}"
