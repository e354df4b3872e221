"""Shared by the integration tests: which `govern record` path runs."""

from __future__ import annotations

import pytest

from govern.recording import native


@pytest.fixture(params=["native", "python"])
def record_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once with the C extension (when built) and once with GOVERN_NO_NATIVE=1."""
    if request.param == "python":
        monkeypatch.setenv("GOVERN_NO_NATIVE", "1")
    else:
        if native._recordfast is None:
            pytest.skip("govern/recording/_recordfast.c is not built")
        monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    return request.param
