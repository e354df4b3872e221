"""Client behaviour without a server: error mapping, bounded retries, caching, auth header."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from govern.errors import ExitCode
from govern.registry import (
    Client,
    IncompatibleSchema,
    InvalidSchema,
    RegistryUnreachable,
    SchemaNotFound,
    ServerError,
    SubjectNotFound,
    VersionNotFound,
)
from govern.registry.errors import error_for


def transport(handler, calls: list[httpx.Request]) -> httpx.MockTransport:
    def wrapped(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return handler(request)

    return httpx.MockTransport(wrapped)


def error(status: int, code: int, message: str = "m") -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "message": message})


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, 40401, SubjectNotFound),
        (404, 40402, VersionNotFound),
        (404, 40403, SchemaNotFound),
        (409, 409, IncompatibleSchema),
        (409, 40901, IncompatibleSchema),
        (422, 42201, InvalidSchema),
        (500, 50001, ServerError),
    ],
)
def test_error_codes_map_to_classes(status: int, code: int, cls: type) -> None:
    err = error_for(status, code, "msg")
    assert isinstance(err, cls) and err.error_code == code and err.status == status


def test_exit_codes() -> None:
    assert error_for(404, 40401, "x").exit_code == ExitCode.BAD_INPUT
    assert error_for(409, 409, "x").exit_code == ExitCode.FINDINGS
    assert error_for(503, None, "x").exit_code == ExitCode.ENVIRONMENT
    assert RegistryUnreachable("x").exit_code == ExitCode.ENVIRONMENT


def test_4xx_is_not_retried_and_raises_mapped_error() -> None:
    calls: list[httpx.Request] = []
    client = Client(
        "http://r",
        transport=transport(lambda r: error(404, 40401, "Subject 's' not found."), calls),
        retries=3,
        retry_backoff=0,
    )
    with pytest.raises(SubjectNotFound, match="Subject 's' not found."):
        client.versions("s")
    assert len(calls) == 1


def test_5xx_is_retried_a_bounded_number_of_times() -> None:
    calls: list[httpx.Request] = []
    client = Client(
        "http://r", transport=transport(lambda r: error(500, 50001), calls), retries=2, retry_backoff=0
    )
    with pytest.raises(ServerError):
        client.subjects()
    assert len(calls) == 3


def test_5xx_then_success() -> None:
    calls: list[httpx.Request] = []
    answers = iter([error(503, 50003), httpx.Response(200, json=["a"])])
    client = Client(
        "http://r", transport=transport(lambda r: next(answers), calls), retries=2, retry_backoff=0
    )
    assert client.subjects() == ["a"]
    assert len(calls) == 2


def test_unreachable_registry_is_an_environment_problem() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Client(f"http://127.0.0.1:{port}", retries=1, retry_backoff=0, timeout=2)
    with pytest.raises(RegistryUnreachable) as caught:
        client.subjects()
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    assert f"127.0.0.1:{port} is unreachable" in caught.value.message
    assert "\n" not in caught.value.message and caught.value.hint


def test_schema_by_id_is_cached() -> None:
    calls: list[httpx.Request] = []
    client = Client(
        "http://r", transport=transport(lambda r: httpx.Response(200, json={"schema": '"string"'}), calls)
    )
    assert client.get_schema(7).schema == '"string"'
    assert client.get_schema(7).schema_type == "AVRO"
    assert len(calls) == 1


def test_requests_use_confluent_headers_encoding_and_auth() -> None:
    calls: list[httpx.Request] = []
    answer = {"id": 3, "version": 2, "schema": '"string"'}
    client = Client(
        "http://r/", auth=("u", "p"), transport=transport(lambda r: httpx.Response(200, json=answer), calls)
    )
    registered = client.register("a/b", '"string"', normalize=True)
    assert (registered.id, registered.version, registered.subject) == (3, 2, "a/b")
    request = calls[0]
    assert request.url.raw_path == b"/subjects/a%2Fb/versions?normalize=true"
    assert request.headers["content-type"] == "application/vnd.schemaregistry.v1+json"
    assert "application/vnd.schemaregistry.v1+json" in request.headers["accept"]
    assert request.headers["authorization"].startswith("Basic ")
    assert json.loads(request.content) == {"schema": '"string"'}
    client.get_schema(3)
    assert len(calls) == 1  # register filled the id cache


def test_schema_arguments_accept_text_dict_and_parsed() -> None:
    from govern.registry.client import schema_text

    assert schema_text('"int"') == '"int"'
    assert json.loads(schema_text({"type": "int"})) == {"type": "int"}

    class Parsed:
        text = '{"type":"int"}'

    assert schema_text(Parsed()) == '{"type":"int"}'
    with pytest.raises(TypeError):
        schema_text(3)


@pytest.mark.parametrize("variable", [None, "HTTP_PROXY", "all_proxy"])
def test_plain_http_loads_no_ca_bundle_unless_a_proxy_may_use_tls(
    monkeypatch: pytest.MonkeyPatch, variable: str | None
) -> None:
    """Loading the CA bundle costs ~25 ms per client and verifies nothing over plain http; a proxy
    from the environment may be reached over TLS, and https always verifies."""
    import ssl

    loaded: list[object] = []
    original = ssl.SSLContext.load_verify_locations

    def spy(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loaded.append(args or kwargs)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    for name in ("all_proxy", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    if variable:
        monkeypatch.setenv(variable, "https://proxy.invalid:3128")
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", spy)
    Client("http://127.0.0.1:8081").close()
    assert bool(loaded) == (variable is not None)
    loaded.clear()
    Client("https://127.0.0.1:8081").close()
    assert loaded
