"""Start and stop the UI: the Kafka feed, the request publisher and the HTTP server, as one unit.

    ui = UiService(UiConfig(ServiceConfig(bootstrap, registry_url), port=8000))
    ui.start()          # returns once http://host:port answers; ui.url says where
    ...
    ui.stop()

It also fits `services.common.runner` (a `name` and `run(stop)`), so the all-in-one runner can
run it beside the other services; `python -m services.ui` wraps it.
"""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn

from govern.errors import EnvironmentProblem
from services.common.codec import Codecs
from services.ui.app import UiContext, create_app
from services.ui.config import UiConfig
from services.ui.feed import Feed
from services.ui.publish import Publisher
from services.ui.views import Views

START_TIMEOUT_S = 15.0


class UiService:
    """The UI service of the exchange; `start()` / `stop()`, or use it as a context manager."""

    def __init__(self, config: UiConfig) -> None:
        self.config = config
        self.views = Views()
        self.codecs = Codecs(config.service)
        self.publisher = Publisher(self.codecs)
        self.feed = Feed(self.codecs, self.views)
        self.context = UiContext(config, self.views, self.publisher)
        self.app = create_app(self.context)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = config.port
        self._stopped = False
        self.ready = threading.Event()  #: set once the HTTP server listens (the runner waits on it)

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. http://127.0.0.1:8000."""
        return f"http://{self.config.host}:{self.port}"

    def start_background(self) -> None:
        """Start the Kafka pieces only (the ASGI app then works in-process, e.g. under schemathesis)."""
        self.publisher.start()
        self.feed.start()

    def start(self) -> UiService:
        """Start everything and return once the HTTP server listens (EnvironmentProblem otherwise)."""
        self.start_background()
        config = uvicorn.Config(
            self.app,
            host=self.config.host,
            port=self.config.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve()), name="ui-http", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise EnvironmentProblem(
                    f"the UI could not listen on {self.config.host}:{self.config.port}",
                    hint="is the port in use? pass another with --port",
                )
            time.sleep(0.02)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        self.ready.set()
        return self

    def stop(self) -> None:
        """Stop the server (closing rate streams), then the feed and the publisher; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self.views.close_rate_streams()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.feed.stop()
        self.publisher.stop()
        self.codecs.close()

    name = "ui"

    def run(self, stop: threading.Event) -> None:
        """The runner's protocol: serve until `stop` is set."""
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()

    def __enter__(self) -> UiService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_ui(config: UiConfig) -> UiService:
    """Start the UI service and return it (call `.stop()` to stop it): the runner's entry point."""
    return UiService(config).start()
