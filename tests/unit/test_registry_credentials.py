"""Registry credentials: where they come from, that the URL a client reports never holds them,
and that `redact` masks them in any text."""

from __future__ import annotations

import pytest

from govern.errors import InputError
from govern.redaction import redact
from govern.registry import Client
from govern.registry.credentials import registry_access, split_userinfo


def test_user_info_is_taken_out_of_the_url() -> None:
    assert split_userinfo("https://alice:p%40ss@reg.example:8081/base") == (
        "https://reg.example:8081/base",
        ("alice", "p@ss"),
    )
    assert split_userinfo("http://[::1]:8081") == ("http://[::1]:8081", None)
    assert split_userinfo("http://bob:s3cret@[::1]:8081/")[0] == "http://[::1]:8081/"


def test_client_url_never_carries_the_password() -> None:
    with Client("http://alice:hunter22@127.0.0.1:1/") as client:
        assert client.url == "http://127.0.0.1:1"
        assert client._http.auth is not None  # the credentials moved to basic auth


def test_environment_then_settings() -> None:
    env = {"GOVERN_REGISTRY_USER": "alice", "GOVERN_REGISTRY_PASSWORD": "pw"}
    access = registry_access("https://reg:8081", environ=env)
    assert access.auth == ("alice", "pw") and access.url == "https://reg:8081"
    access = registry_access(
        "https://reg", settings={"registry_user": "bob"}, environ={"GOVERN_REGISTRY_PASSWORD": "x"}
    )
    assert access.auth == ("bob", "x")
    # user info in the URL wins over the environment
    assert registry_access("https://carol:c@reg", environ=env).auth == ("carol", "c")
    token = registry_access("https://reg", environ={"GOVERN_REGISTRY_TOKEN": "tok-123"})
    assert token.token == "tok-123" and token.auth is None
    assert "tok-123" not in repr(token) and "pw" not in repr(registry_access("https://reg", environ=env))
    tls = registry_access(
        "https://reg",
        settings={"registry_ca_location": "/ca.pem"},
        environ={"GOVERN_REGISTRY_CERTIFICATE_LOCATION": "/c.pem", "GOVERN_REGISTRY_KEY_LOCATION": "/k.pem"},
    )
    assert tls.client_options()["verify"] == "/ca.pem"
    assert tls.client_options()["cert"] == ("/c.pem", "/k.pem")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"GOVERN_REGISTRY_PASSWORD": "pw"}, "no registry user"),
        ({"GOVERN_REGISTRY_USER": "alice"}, "GOVERN_REGISTRY_PASSWORD is not"),
        (
            {"GOVERN_REGISTRY_USER": "a", "GOVERN_REGISTRY_PASSWORD": "b", "GOVERN_REGISTRY_TOKEN": "t"},
            "both basic auth",
        ),
        ({"GOVERN_REGISTRY_KEY_LOCATION": "/k.pem"}, "without its certificate"),
    ],
)
def test_half_given_credentials_are_errors(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        registry_access("https://reg", environ=env)


def test_redact_masks_url_passwords_and_environment_secrets() -> None:
    env = {"GOVERN_REGISTRY_PASSWORD": "hunter22", "GOVERN_REGISTRY_TOKEN": "eyJtoken"}
    text = "at https://alice:hunter22@reg:8081/x, also kafka://u:v@h and hunter22 and Bearer eyJtoken"
    out = redact(text, env)
    assert "hunter22" not in out and "eyJtoken" not in out and ":v@" not in out
    assert "https://alice:***@reg:8081/x" in out
    assert redact("no secrets at http://reg:8081", env) == "no secrets at http://reg:8081"


def test_a_bearer_token_is_sent_as_authorization() -> None:
    import httpx

    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200, json=["orders-value"])

    with Client("https://reg.example", token="tok-123", transport=httpx.MockTransport(answer)) as client:
        assert client.subjects() == ["orders-value"]
    assert seen == ["Bearer tok-123"]
