"""Every registry route answers the same with and without a trailing slash, served in place.

Two identical registries receive the same sequence of requests over real HTTP, one with paths as
Confluent documents them and one with a `/` appended; each step must give the same status and
body, and no answer may be a redirect (a redirect echoes the Host header and clients such as
python-schema-registry-client do not follow it on PUT/POST).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from govern.registry.server import serve_in_thread
from govern.registry.server.app import create_app

V1 = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]})
V2 = json.dumps(
    {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "int", "default": 0}],
    }
)

# (method, route template, concrete path, JSON body): in an order where each step has what it needs.
STEPS: list[tuple[str, str, str, object]] = [
    ("GET", "/", "/", None),
    ("POST", "/", "/", {}),
    ("GET", "/contexts", "/contexts", None),
    ("GET", "/openapi.json", "/openapi.json", None),
    ("POST", "/subjects/{subject}/versions", "/subjects/s/versions", {"schema": V1}),
    ("POST", "/subjects/{subject}/versions", "/subjects/s/versions", {"schema": V2}),
    ("GET", "/subjects", "/subjects", None),
    ("GET", "/subjects/{subject}/versions", "/subjects/s/versions", None),
    ("GET", "/subjects/{subject}/versions/{version}", "/subjects/s/versions/1", None),
    ("GET", "/subjects/{subject}/versions/{version}/schema", "/subjects/s/versions/latest/schema", None),
    (
        "GET",
        "/subjects/{subject}/versions/{version}/referencedby",
        "/subjects/s/versions/1/referencedby",
        None,
    ),
    ("POST", "/subjects/{subject}", "/subjects/s", {"schema": V1}),
    ("GET", "/subjects/{subject}/metadata", "/subjects/s/metadata", None),
    ("GET", "/schemas/types", "/schemas/types", None),
    ("GET", "/schemas/ids/{id}", "/schemas/ids/1", None),
    ("GET", "/schemas/ids/{id}/schema", "/schemas/ids/1/schema", None),
    ("GET", "/schemas/ids/{id}/subjects", "/schemas/ids/1/subjects", None),
    ("GET", "/schemas/ids/{id}/versions", "/schemas/ids/1/versions", None),
    (
        "POST",
        "/compatibility/subjects/{subject}/versions",
        "/compatibility/subjects/s/versions",
        {"schema": V2},
    ),
    (
        "POST",
        "/compatibility/subjects/{subject}/versions/{version}",
        "/compatibility/subjects/s/versions/latest",
        {"schema": V1},
    ),
    ("PUT", "/config", "/config", {"compatibility": "FULL"}),
    ("GET", "/config", "/config", None),
    ("PUT", "/config/{subject}", "/config/s", {"compatibility": "NONE"}),
    ("GET", "/config/{subject}", "/config/s", None),
    ("DELETE", "/config/{subject}", "/config/s", None),
    ("DELETE", "/config", "/config", None),
    ("PUT", "/mode/{subject}", "/mode/s", {"mode": "READONLY"}),
    ("GET", "/mode/{subject}", "/mode/s", None),
    ("DELETE", "/mode/{subject}", "/mode/s", None),
    ("PUT", "/mode", "/mode", {"mode": "READWRITE"}),
    ("GET", "/mode", "/mode", None),
    ("DELETE", "/mode", "/mode", None),
    ("DELETE", "/subjects/{subject}/versions/{version}", "/subjects/s/versions/2", None),
    ("DELETE", "/subjects/{subject}", "/subjects/s", None),
]


def _routes() -> set[tuple[str, str]]:
    app = create_app()
    try:
        return {
            (method, route.path)  # type: ignore[attr-defined]
            for route in app.routes
            for method in (route.methods or ())  # type: ignore[attr-defined]
            if method != "HEAD"
        }
    finally:
        app.state.registry.store.close()


def test_the_matrix_covers_every_route() -> None:
    assert {(method, template) for method, template, _, _ in STEPS} == _routes()


@pytest.fixture
def pair() -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with serve_in_thread() as plain_url, serve_in_thread() as slash_url:
        with (
            httpx.Client(base_url=plain_url, timeout=10, follow_redirects=False) as plain,
            httpx.Client(base_url=slash_url, timeout=10, follow_redirects=False) as slash,
        ):
            yield plain, slash


def test_trailing_slash_is_served_like_the_path_without_it(pair: tuple[httpx.Client, httpx.Client]) -> None:
    plain, slash = pair
    for method, _, path, body in STEPS:
        kwargs = {} if body is None else {"json": body}
        expected = plain.request(method, path, **kwargs)
        got = slash.request(method, path.rstrip("/") + "/", **kwargs)
        where = f"{method} {path}/"
        assert expected.status_code < 300, f"{method} {path}: {expected.status_code} {expected.text}"
        assert got.status_code == expected.status_code, f"{where}: {got.status_code} {got.text}"
        assert "location" not in got.headers, where
        assert got.content == expected.content, where


def test_query_strings_survive_the_trailing_slash(pair: tuple[httpx.Client, httpx.Client]) -> None:
    _, slash = pair
    slash.post("/subjects/q/versions/", json={"schema": V1}).raise_for_status()
    assert slash.get("/subjects/", params={"subjectPrefix": "q"}).json() == ["q"]
    assert slash.get("/subjects/", params={"subjectPrefix": "zz"}).json() == []


def test_an_encoded_slash_in_a_subject_is_not_a_trailing_slash(
    pair: tuple[httpx.Client, httpx.Client],
) -> None:
    _, slash = pair
    slash.post("/subjects/a%2F/versions", json={"schema": V1}).raise_for_status()
    assert "a/" in slash.get("/subjects/").json()
    assert slash.get("/subjects/a%2F/versions/").json() == [1]
    assert slash.get("/subjects/a/versions/").status_code == 404
