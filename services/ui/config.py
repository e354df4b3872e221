"""Settings of the UI service: the deployment's `ServiceConfig` plus where to listen and what to trade."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from services.common.config import ServiceConfig
from services.ui.records import DEFAULT_CURRENCIES

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
SECRET_ENV = "GOVERN_UI_SECRET"
"""Signs account tokens; set it so tokens survive a restart (or are shared by several instances)."""


def default_secret() -> bytes:
    """GOVERN_UI_SECRET when set, else 32 random bytes (tokens then die with the process)."""
    text = os.environ.get(SECRET_ENV)
    return text.encode() if text else secrets.token_bytes(32)


@dataclass(frozen=True)
class UiConfig:
    """Kafka, registry and topic names come from `service` (shared with the other services);
    `secret` signs account tokens (GOVERN_UI_SECRET, else random per process); port 0 picks a
    free port. Request bodies are JSON of at most `max_body_bytes` (413 beyond, chunked or not)
    nested at most `max_json_depth` deep (400 beyond)."""

    service: ServiceConfig
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    currencies: tuple[str, ...] = DEFAULT_CURRENCIES
    secret: bytes = field(default_factory=default_secret, repr=False)
    max_body_bytes: int = 1024 * 1024
    max_json_depth: int = 32

    def topic(self, logical: str) -> str:
        """The real name of catalog topic `logical` (with the deployment's prefix)."""
        return self.service.topic(logical)
