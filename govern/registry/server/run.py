"""Running the registry: in the foreground under uvicorn, or in a background thread for tests."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from govern.compat.limits import Limits
from govern.errors import EnvironmentProblem, InputError
from govern.registry.server.app import create_app
from govern.registry.server.auth import AuthLimits, User
from govern.registry.server.connections import ConnectionLimits
from govern.registry.store import Store

DEFAULT_STORE = Path(".govern") / "registry.sqlite"


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8081,
    store: Store | str | Path = DEFAULT_STORE,
    users: dict[str, User] | str | Path | None = None,
    log_level: str = "warning",
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    announce: Callable[[str], None] | None = None,
    limits: Limits | None = None,
    auth_limits: AuthLimits | None = None,
    connections: ConnectionLimits | None = None,
) -> None:
    """Serve the registry until interrupted (binds loopback unless told otherwise; HTTPS with a cert).

    `announce` is called with the base URL once the store is open and the port is bound. `limits`,
    `auth_limits` and `connections` override the defaults (see `create_app` and `ConnectionLimits`).
    """
    connections = connections or ConnectionLimits()
    app = create_app(store, users=users, limits=limits, auth_limits=auth_limits, connections=connections)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        **connections.uvicorn_options(),
        **_tls(tls_cert, tls_key),
    )
    server = uvicorn.Server(config)
    try:
        sock = _listen(host, port)
    except OSError as error:
        raise EnvironmentProblem(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint="choose another --port or stop the process using it",
        ) from None
    if announce is not None:
        announce(f"{'https' if tls_cert else 'http'}://{host}:{port}")
    # uvicorn shuts down gracefully, then re-raises the signal: make both Ctrl-C and SIGTERM exit 0.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass


def _tls(cert: str | Path | None, key: str | Path | None) -> dict[str, str]:
    if cert is None:
        if key is not None:
            raise InputError("a TLS key without a certificate", hint="give --tls-cert too")
        return {}
    for path in (cert, key):
        if path is not None and not Path(path).is_file():
            raise InputError(f"TLS file {path} not found", hint="check --tls-cert / --tls-key")
    options = {"ssl_certfile": str(cert)}
    if key is not None:
        options["ssl_keyfile"] = str(key)
    return options


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it Nagle + delayed ACK add 40 ms to every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


@contextmanager
def serve_in_thread(
    store: Store | str | Path | None = None,
    *,
    users: dict[str, User] | str | Path | None = None,
    host: str = "127.0.0.1",
    timeout_s: float = 10.0,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    limits: Limits | None = None,
    auth_limits: AuthLimits | None = None,
    connections: ConnectionLimits | None = None,
) -> Iterator[str]:
    """Run an embedded registry on a free loopback port; yields its base URL, stops it on exit.

    `store` is a `Store`, a SQLite path, or None / ":memory:" for a throwaway in-memory store;
    with `tls_cert` (and `tls_key`) it serves HTTPS and yields an https:// URL.
    """
    connections = connections or ConnectionLimits()
    app = create_app(store, users=users, limits=limits, auth_limits=auth_limits, connections=connections)
    sock = _listen(host, 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,  # do not wait on clients that keep connections open
        **connections.uvicorn_options(),
        **_tls(tls_cert, tls_key),
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # not the main thread
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"registry:{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise EnvironmentProblem("the embedded registry did not start", hint="see the log above")
        time.sleep(0.01)
    try:
        yield f"{'https' if tls_cert else 'http'}://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout_s)
        sock.close()
        app.state.registry.store.close()
