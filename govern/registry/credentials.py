"""How govern reaches a secured registry, and the rule that no secret is ever printed.

Credentials come from the environment (never from a file in the repository) and are named as
confluent-kafka's `SchemaRegistryClient` names them:

- basic auth: `GOVERN_REGISTRY_USER` (or `registry_user` in govern.toml) and
  `GOVERN_REGISTRY_PASSWORD` (their `basic.auth.user.info`);
- a bearer token: `GOVERN_REGISTRY_TOKEN` (`bearer.auth.token`);
- TLS: `GOVERN_REGISTRY_CA_LOCATION`, `GOVERN_REGISTRY_CERTIFICATE_LOCATION`,
  `GOVERN_REGISTRY_KEY_LOCATION` (or `registry_ca_location`, `registry_certificate_location`,
  `registry_key_location` in govern.toml; their `ssl.ca.location`, `ssl.certificate.location`,
  `ssl.key.location`).

User info in the URL (`https://user:pass@host`) keeps working: the client takes it out of the
URL, so the URL it reports (`Client.url`) never carries it. `redact` is applied to everything the
CLI prints on error, as a second line of defence (`govern.redaction`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from govern.errors import InputError
from govern.redaction import MASK, PASSWORD_ENV, TOKEN_ENV

if TYPE_CHECKING:
    from govern.registry.client import Client

USER_ENV = "GOVERN_REGISTRY_USER"
#: TLS file settings: config key -> environment variable
TLS_ENV = {
    "registry_ca_location": "GOVERN_REGISTRY_CA_LOCATION",
    "registry_certificate_location": "GOVERN_REGISTRY_CERTIFICATE_LOCATION",
    "registry_key_location": "GOVERN_REGISTRY_KEY_LOCATION",
}


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """`url` without user info, and the (user, password) it carried, percent-decoded."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, (unquote(parts.username or ""), unquote(parts.password or ""))


@dataclass(frozen=True)
class RegistryAccess:
    """Everything needed to open a `Client` on one registry; its `repr` shows no secret."""

    url: str
    auth: tuple[str, str] | None = None
    token: str | None = None
    ca_location: str | None = None
    certificate_location: str | None = None
    key_location: str | None = None

    def __repr__(self) -> str:
        user = self.auth[0] if self.auth else None
        return f"RegistryAccess(url={self.url!r}, user={user!r}, token={MASK if self.token else None})"

    def client_options(self) -> dict[str, object]:
        """Keyword arguments for `govern.registry.Client` (besides the URL)."""
        options: dict[str, object] = {"auth": self.auth, "token": self.token}
        if self.ca_location:
            options["verify"] = self.ca_location
        elif self.url.lower().startswith("http://"):
            options["verify"] = False  # nothing to verify; skips loading the CA bundle (~0.5 s)
        if self.certificate_location:
            options["cert"] = (
                (self.certificate_location, self.key_location)
                if self.key_location
                else self.certificate_location
            )
        return options


def registry_access(
    url: str,
    *,
    settings: Mapping[str, str | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> RegistryAccess:
    """Resolve how to reach `url`: user info in it, then the environment, then `settings` (govern.toml).

    A password without a user (or the other way round) is an error rather than a silent
    anonymous request: the registry's 401 would not say which half is missing.
    """
    environ = os.environ if environ is None else environ
    settings = settings or {}
    bare, auth = split_userinfo(url)
    user = environ.get(USER_ENV) or settings.get("registry_user")
    password = environ.get(PASSWORD_ENV)
    if auth is None and (user or password):
        if not user:
            raise InputError(
                f"{PASSWORD_ENV} is set but no registry user is",
                hint=f"set {USER_ENV} (or registry_user in govern.toml)",
            )
        if password is None:
            raise InputError(
                f"registry user {user!r} is set but {PASSWORD_ENV} is not",
                hint=f"export {PASSWORD_ENV} (passwords are only read from the environment)",
            )
        auth = (user, password)
    token = environ.get(TOKEN_ENV) or None
    if token and auth:
        raise InputError(
            f"both basic auth and {TOKEN_ENV} are set for the registry",
            hint="use one: unset the token or the user and password",
        )
    tls = {key: environ.get(var) or settings.get(key) for key, var in TLS_ENV.items()}
    if tls["registry_key_location"] and not tls["registry_certificate_location"]:
        raise InputError(
            "a client key is set without its certificate",
            hint="set GOVERN_REGISTRY_CERTIFICATE_LOCATION (or registry_certificate_location)",
        )
    return RegistryAccess(
        bare,
        auth,
        token,
        tls["registry_ca_location"],
        tls["registry_certificate_location"],
        tls["registry_key_location"],
    )


def connect(url: str, settings: Mapping[str, str | None] | None = None, **options: object) -> Client:
    """A `Client` on `url` with the credentials and TLS files `registry_access` resolves."""
    from govern.registry.client import Client

    access = registry_access(url, settings=settings)
    return Client(access.url, **{**access.client_options(), **options})  # type: ignore[arg-type]
