"""The UI's request limits over real HTTP (uvicorn on loopback): JSON-only state changes (415), a
body size limit that holds for chunked bodies too (413), bounded JSON depth (400, never 500).

Kafka plays no part in refusing a body, so the publisher here only records what reached it: the
assertion that matters is that a refused request publishes nothing. The same refusals against
real Kafka are in test_ui_api.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common import ServiceConfig
from services.ui import UiConfig, UiContext, Views, create_app
from services.ui.app import json_depth

GOOD = {"first_name": "Ada", "last_name": "Lovelace"}
JSON_TYPE = {"content-type": "application/json"}


class RecordingPublisher:
    """Keeps what the API published, in order."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any]]] = []

    async def publish(self, logical: str, key: str, record: dict[str, Any]) -> None:
        self.published.append((logical, key, record))


@pytest.fixture(scope="module")
def ui() -> Iterator[tuple[str, RecordingPublisher]]:
    publisher = RecordingPublisher()
    config = UiConfig(ServiceConfig("127.0.0.1:9", "http://127.0.0.1:9"), port=0)
    app = create_app(UiContext(config, Views(), publisher))
    server = uvicorn.Server(uvicorn.Config(app, port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the UI did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", publisher
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def http(ui: tuple[str, RecordingPublisher]) -> Iterator[httpx.Client]:
    ui[1].published.clear()
    with httpx.Client(base_url=ui[0], timeout=10) as client:
        yield client


def test_a_json_body_creates_an_account(http: httpx.Client, ui: tuple[str, RecordingPublisher]) -> None:
    answer = http.post("/api/accounts", json=GOOD)
    assert answer.status_code == 202
    assert [logical for logical, _, _ in ui[1].published] == ["account-request"]
    also = http.post(
        "/api/accounts", content=json.dumps(GOOD), headers={"content-type": "application/json; charset=utf-8"}
    )
    assert also.status_code == 202


@pytest.mark.parametrize(
    "media", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_state_changes_take_json_only(
    http: httpx.Client, ui: tuple[str, RecordingPublisher], media: str | None
) -> None:
    headers = {"content-type": media} if media else {}
    answer = http.post("/api/accounts", content=json.dumps(GOOD).encode(), headers=headers)
    assert answer.status_code == 415
    assert answer.json() == {"error": "send the body as application/json", "field": None}
    assert ui[1].published == []


def test_a_body_over_1_mib_is_413_declared_or_chunked(
    http: httpx.Client, ui: tuple[str, RecordingPublisher]
) -> None:
    padding = "x" * (1024 * 1024)
    big = json.dumps({**GOOD, "email": padding}).encode()
    declared = http.post("/api/accounts", content=big, headers=JSON_TYPE)
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    chunked = http.post("/api/accounts", content=chunks(), headers=JSON_TYPE)
    assert "content-length" not in chunked.request.headers  # really sent chunked
    assert chunked.status_code == 413
    assert chunked.json()["error"] == "the body is larger than 1048576 bytes"
    assert ui[1].published == []


@pytest.mark.parametrize("depth", [33, 400, 100_000])
def test_deep_json_is_400_never_500(
    http: httpx.Client, ui: tuple[str, RecordingPublisher], depth: int
) -> None:
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        answer = http.post("/api/accounts", content=body, headers=JSON_TYPE)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "the body nests deeper than 32 levels"
    assert ui[1].published == []


def test_brackets_inside_strings_do_not_count_as_depth(http: httpx.Client) -> None:
    name = "[[[[" * 20 + '\\"{{{{' * 20
    answer = http.post(
        "/api/accounts", content=f'{{"first_name":"{name}","last_name":"B"}}', headers=JSON_TYPE
    )
    assert answer.status_code in (202, 422), answer.text  # judged as a request, not refused as too deep
    assert answer.status_code != 400


def test_malformed_json_is_400(http: httpx.Client) -> None:
    answer = http.post("/api/accounts", content=b"{not json", headers=JSON_TYPE)
    assert answer.status_code == 400 and answer.json()["error"] == "the body is not valid JSON"


def test_account_writes_are_guarded_the_same_way(
    http: httpx.Client, ui: tuple[str, RecordingPublisher]
) -> None:
    created = http.post("/api/accounts", json=GOOD).json()
    ui[1].published.clear()
    auth = {"authorization": f"Bearer {created['token']}"}
    path = f"/api/accounts/{created['account_id']}/deposits"
    funds = json.dumps({"amount": "1", "currency": "USD"})
    assert http.post(path, content=funds, headers={**auth, "content-type": "text/plain"}).status_code == 415
    assert http.post(path, content="[" * 50 + "]" * 50, headers={**auth, **JSON_TYPE}).status_code == 400
    assert ui[1].published == []


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('ab[]{}"\\:,é')),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_the_depth_scan_agrees_with_the_parsed_depth(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert json_depth(text.encode()) == _depth(value)
