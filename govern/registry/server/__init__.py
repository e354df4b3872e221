"""The registry server: ASGI app (one router per resource), controller, runners."""

from govern.registry.server.app import create_app
from govern.registry.server.controller import Registry
from govern.registry.server.run import serve, serve_in_thread

__all__ = ["Registry", "create_app", "serve", "serve_in_thread"]
