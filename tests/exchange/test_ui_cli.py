"""`python -m services.ui` runs alone: serves the page and API on the given port, keeps a rate
stream open, and exits 0 promptly on SIGTERM (open streams closed); missing settings fail with a hint."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from govern.kafka import KafkaAdmin
from services.common import ServiceConfig
from services.common.topics import create_topics, delete_topics

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_runs_alone_and_stops_on_sigterm_with_a_stream_open(kafka_cluster: str, registry: str) -> None:  # noqa: F811
    config = ServiceConfig(kafka_cluster, registry, topic_prefix=f"cli{secrets.token_hex(4)}-")
    admin = KafkaAdmin(kafka_cluster)
    create_topics(config, admin)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.ui",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--bootstrap",
            kafka_cluster,
            "--registry",
            registry,
            "--topic-prefix",
            config.topic_prefix,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json() == {"status": "ok"}
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "the UI did not answer within 30 s"
                time.sleep(0.1)
        assert "govern exchange" in httpx.get(f"http://127.0.0.1:{port}/").text
        with httpx.stream("GET", f"http://127.0.0.1:{port}/api/rates/stream", timeout=10) as stream:
            assert next(stream.iter_lines()).startswith("retry:")
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            assert process.wait(15) == 0, process.communicate()[1]
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        delete_topics(config, admin)


def test_without_kafka_or_registry_it_fails_with_a_hint() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "GOVERN_REGISTRY_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "services.ui"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert result.returncode == 2  # bad usage (DESIGN §3)
    assert result.stderr.startswith("error: no Kafka: pass --bootstrap")
    assert "hint: `govern broker up`" in result.stderr
