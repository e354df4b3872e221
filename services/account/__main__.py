"""`python -m services.account`: run the account service (sink and source) alone."""

from __future__ import annotations

import argparse
import sys

from services.account.service import DEFAULT_STORE, AccountService
from services.common.config import ServiceConfig
from services.common.runner import service_main


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=str(DEFAULT_STORE),
                        help="SQLite file, or a postgresql:// URL (needs psycopg)")  # fmt: skip
    parser.add_argument("--poll-interval", type=float, default=0.2, help="seconds between two source polls")
    parser.add_argument("--delay-ms", type=int, default=100, help="publish only rows at least this old")


def _build(args: argparse.Namespace, config: ServiceConfig) -> AccountService:
    return AccountService(config, store=args.store, poll_interval=args.poll_interval, delay_ms=args.delay_ms)


if __name__ == "__main__":
    sys.exit(
        service_main(
            "account",
            "Apply account-request to the legacy SQL account store (idempotently) and publish its "
            "changed rows "
            "to account (timestamp + id polling, position kept on the account topic itself).",
            _build,
            _arguments,
        )
    )
