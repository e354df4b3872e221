"""`python -m services.wallet`: run the wallet service alone."""

from __future__ import annotations

import argparse
import sys

from services.common.config import ServiceConfig
from services.common.runner import service_main
from services.wallet.service import DEFAULT_REFERENCE, WalletService


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reference", default=DEFAULT_REFERENCE, help="currency wallets are valued in")


def _build(args: argparse.Namespace, config: ServiceConfig) -> WalletService:
    return WalletService(config, reference=args.reference)


if __name__ == "__main__":
    sys.exit(
        service_main(
            "wallet",
            "Keep per-account balances from account and transaction-success, value them with exchange-rate, "
            "and publish the full wallet on every change, exactly once.",
            _build,
            _arguments,
        )
    )
