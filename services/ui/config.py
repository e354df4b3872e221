"""Settings of the UI service: the deployment's `ServiceConfig` plus where to listen and what to trade."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from services.common.config import ServiceConfig
from services.ui.records import DEFAULT_CURRENCIES

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class UiConfig:
    """Kafka, registry and topic names come from `service` (shared with the other services);
    `secret` signs account tokens (random per process unless given); port 0 picks a free port."""

    service: ServiceConfig
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    currencies: tuple[str, ...] = DEFAULT_CURRENCIES
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def topic(self, logical: str) -> str:
        """The real name of catalog topic `logical` (with the deployment's prefix)."""
        return self.service.topic(logical)
