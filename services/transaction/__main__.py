"""`python -m services.transaction`: run the transaction service alone."""

from __future__ import annotations

import argparse
import sys

from services.common.config import ServiceConfig
from services.common.runner import service_main
from services.transaction.rules import DEFAULT_CURRENCIES
from services.transaction.service import TransactionService


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--currencies",
        default=",".join(sorted(DEFAULT_CURRENCIES)),
        help="comma-separated currencies the exchange trades",
    )
    parser.add_argument(
        "--batch-size", type=int, default=500, help="requests per Kafka transaction (at most)"
    )


def _build(args: argparse.Namespace, config: ServiceConfig) -> TransactionService:
    return TransactionService(config, currencies=args.currencies.split(","), batch_size=args.batch_size)


if __name__ == "__main__":
    sys.exit(
        service_main(
            "transaction",
            "Validate and apply deposit, withdraw and exchange requests exactly once (Kafka transactions); "
            "outcomes on transaction-success / transaction-failed, "
            "balances in transaction-balance-changelog.",
            _build,
            _arguments,
        )
    )
