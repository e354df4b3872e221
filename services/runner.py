"""The modular monolith: every exchange service in one process (`python -m services`).

Each service runs in its own thread with its own consumers and producers, exactly as it would
alone; only the process is shared. SIGTERM or Ctrl-C stops them all after their current batch;
if one fails, the others are stopped and the process exits non-zero.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from services.account.service import DEFAULT_STORE, AccountService
from services.common.config import ServiceConfig, add_common_arguments, config_from_args
from services.common.logs import setup_logging
from services.common.runner import Service, install_stop_signals, run_services
from services.rate.server import DEFAULT_FEED
from services.rate.service import RateService
from services.transaction.service import TransactionService
from services.wallet.service import WalletService

SERVICES = ("account", "rate", "transaction", "wallet")


def build_services(
    config: ServiceConfig,
    *,
    only: Sequence[str] = SERVICES,
    store: str | Path = DEFAULT_STORE,
    feed_url: str | None = None,
    feed_file: Path = DEFAULT_FEED,
    speed: float = 10.0,
    reference: str = "USD",
    ui_port: int = 8000,
) -> list[Service]:
    """The services named in `only` ("ui" too, if asked), configured for one deployment."""
    built: list[Service] = []
    for name in only:
        if name == "ui":  # the web UI (services/ui), only when asked for
            from services.ui import UiConfig, UiService

            built.append(UiService(UiConfig(config, port=ui_port)))
            continue
        if name == "account":
            built.append(AccountService(config, store=store))
        elif name == "rate":
            built.append(RateService(config, feed_url=feed_url, feed_file=feed_file, speed=speed))
        elif name == "transaction":
            built.append(TransactionService(config))
        elif name == "wallet":
            built.append(WalletService(config, reference=reference))
        else:
            raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICES)}, ui")
    return built


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the all-in-one process."""
    parser = argparse.ArgumentParser(
        prog="python -m services",
        description="Run the exchange's services (account, rate, transaction, wallet) in one process.",
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--only", default=",".join(SERVICES), help="comma-separated subset of services to run"
    )
    parser.add_argument(
        "--store", default=str(DEFAULT_STORE), help="account store: SQLite file or postgresql:// URL"
    )
    parser.add_argument("--feed-url", help="live level2 feed (default: the recorded one on loopback)")
    parser.add_argument("--feed-file", type=Path, default=DEFAULT_FEED, help="recorded level2 feed")
    parser.add_argument("--speed", type=float, default=10.0, help="replay speed-up of the recorded feed")
    parser.add_argument("--reference", default="USD", help="currency the wallets are valued in")
    parser.add_argument("--ui-port", type=int, help="also run the web UI (services/ui) on this port")
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    config = config_from_args(args)
    stop = threading.Event()
    install_stop_signals(stop)
    only = args.only.split(",") + (["ui"] if args.ui_port is not None and "ui" not in args.only else [])
    services = build_services(
        config, only=only, store=args.store, feed_url=args.feed_url, feed_file=args.feed_file,
        speed=args.speed, reference=args.reference, ui_port=args.ui_port or 8000,
    )  # fmt: skip
    run_services(services, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
