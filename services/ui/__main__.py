"""`python -m services.ui [--host 127.0.0.1] [--port 8000]` plus the common service options."""

from __future__ import annotations

import argparse
import sys

from services.common.config import ServiceConfig
from services.common.runner import service_main
from services.ui.config import DEFAULT_HOST, DEFAULT_PORT, UiConfig
from services.ui.server import UiService


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on (0: any free)")


def _build(args: argparse.Namespace, config: ServiceConfig) -> UiService:
    return UiService(UiConfig(config, host=args.host, port=args.port))


if __name__ == "__main__":
    sys.exit(
        service_main(
            "ui",
            "The exchange's HTTP API (OpenAPI at /openapi.json) and web page: requests become events, "
            "wallets, outcomes and live rates come from the topics.",
            _build,
            _arguments,
        )
    )
