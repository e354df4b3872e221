"""pytest fixtures for testing against an embedded registry server.

`registry` (session scope) is the base URL of a server running in a background thread over a
SQLite file in a temporary directory; `registry_client` is a `Client` for it. Register them in
the pytest plugin (or a conftest) with `from govern.registry.testing import registry, registry_client`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govern.registry.client import Client
from govern.registry.server.run import serve_in_thread


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (http://127.0.0.1:PORT) of an embedded registry shared by the test session."""
    path = tmp_path_factory.mktemp("registry") / "registry.sqlite"
    with serve_in_thread(path) as url:
        yield url


@pytest.fixture
def registry_client(registry: str) -> Iterator[Client]:
    """A `govern.registry.Client` for the session's embedded registry."""
    with Client(registry, retries=0) as client:
        yield client
