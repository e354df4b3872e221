"""Running services: one alone (`python -m services.<name>`) or several in one process, stopped on SIGTERM.

A service is any object with a `name` and `run(stop: threading.Event)`. `run_services` runs each
in a thread, stops them all when SIGTERM/SIGINT arrives or when one of them fails (the first
failure is re-raised after the others stopped), so a supervisor sees a non-zero exit.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from services.common.config import ServiceConfig, add_common_arguments, config_from_args
from services.common.logs import log, setup_logging


class Service(Protocol):
    name: str

    def run(self, stop: threading.Event) -> None: ...


def install_stop_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set `stop` (main thread only): the current batch is committed, then exit."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())


def run_services(services: Sequence[Service], stop: threading.Event) -> None:
    """Run `services` in threads until `stop` is set or one fails; re-raise the first failure."""
    failures: list[BaseException] = []

    def target(service: Service) -> None:
        try:
            service.run(stop)
        except BaseException as error:  # noqa: BLE001 - reported, then everything stops
            log(service.name, "failed", error=repr(error))
            failures.append(error)
            stop.set()

    threads = [threading.Thread(target=target, args=(s,), name=s.name, daemon=True) for s in services]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        for thread in threads:
            thread.join(0.2)
    if failures:
        raise failures[0]


def service_main(
    name: str,
    description: str,
    build: Callable[[argparse.Namespace, ServiceConfig], Service],
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    """The command line of one service: parse options, build it, run it until SIGTERM."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{name}", description=description)
    add_common_arguments(parser)
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    config = config_from_args(args)
    stop = threading.Event()
    install_stop_signals(stop)
    service = build(args, config)
    run_services([service], stop)
    return 0
