"""Several `govern registry serve --store kafka://` instances on one `_schemas` topic (real Kafka).

Three instances take registrations through all of them; the leader is SIGKILLed in the middle of a
500-registration loop; every acknowledged registration must be served by the survivors with the
same id and version, no id may name two schemas, writes must be accepted again within 15 s, and a
fourth instance started afterwards must rebuild the same state from the topic.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

GOVERN = [sys.executable, "-m", "govern"]
LOOP = 500
KILL_AT = 200
RECOVERY_BOUND_S = 15.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Instance:
    """One registry process on the shared topic."""

    def __init__(self, bootstrap: str, topic: str, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        store = f"kafka://{bootstrap}?topic={topic}"
        self.process = subprocess.Popen(
            [*GOVERN, "registry", "serve", "--port", str(self.port), "--store", store],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"instance {self.url} exited; see {self.log.name}"
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"instance {self.url} did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def leader_url(bootstrap: str, topic: str, timeout_s: float = 30.0) -> str:
    """The instance the group gave the partition to (its client.id is its URL)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    group = f"govern-registry-{topic}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        description = admin.describe_consumer_groups([group])[group].result(timeout=10)
        for member in description.members:
            if member.assignment and member.assignment.topic_partitions:
                return member.client_id
        time.sleep(0.2)
    raise AssertionError("no leader elected")


def schema(i: int) -> str:
    return json.dumps({"type": "record", "name": f"Event{i}", "fields": [{"name": f"f{i}", "type": "long"}]})


def register(url: str, subject: str, text: str) -> dict[str, Any] | None:
    """The acknowledged answer, or None when this attempt was not acknowledged."""
    try:
        response = httpx.post(f"{url}/subjects/{subject}/versions", json={"schema": text}, timeout=30)
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None


def state(url: str) -> dict[str, list[tuple[int, int, str]]]:
    """Every subject's versions as (version, id, schema), soft-deleted ones included."""
    out = {}
    deleted = {"deleted": "true"}
    with httpx.Client(base_url=url, timeout=30) as http:
        for subject in http.get("/subjects", params=deleted).json():
            versions = http.get(f"/subjects/{subject}/versions", params=deleted).json()
            bodies = [http.get(f"/subjects/{subject}/versions/{n}", params=deleted).json() for n in versions]
            out[subject] = [(body["version"], body["id"], body["schema"]) for body in bodies]
    return out


@pytest.fixture
def cluster(
    kafka_cluster: str, unique_topic: Any, tmp_path: Path
) -> Iterator[tuple[str, str, list[Instance]]]:
    topic = unique_topic("schemas")
    instances: list[Instance] = []
    try:
        for n in range(3):
            instances.append(Instance(kafka_cluster, topic, tmp_path / f"registry-{n}.log"))
        for instance in instances:
            instance.wait_ready()
        yield kafka_cluster, topic, instances
    finally:
        for instance in instances:
            instance.stop()


def test_three_instances_survive_the_leader_killed_mid_loop(
    cluster: tuple[str, str, list[Instance]], tmp_path: Path
) -> None:
    bootstrap, topic, instances = cluster
    httpx.put(f"{instances[0].url}/config", json={"compatibility": "NONE"}, timeout=30).raise_for_status()

    # registrations through each of the three (two of them forward to the leader)
    for n, instance in enumerate(instances):
        answer = register(instance.url, "warmup-value", schema(10_000 + n))
        assert answer is not None and answer["version"] == n + 1

    leader = leader_url(bootstrap, topic)
    started = time.monotonic()
    acknowledged: dict[int, tuple[str, dict[str, Any]]] = {}
    alive = list(instances)
    killed_at = recovered_at = None
    for i in range(LOOP):
        if i == KILL_AT:
            victim = next(x for x in alive if x.url == leader)
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait()
            alive.remove(victim)
            killed_at = time.monotonic()
        subject = f"loop-{i % 7}-value"
        deadline = time.monotonic() + 60
        attempt = 0
        while True:
            answer = register(alive[(i + attempt) % len(alive)].url, subject, schema(i))
            if answer is not None:
                acknowledged[i] = (subject, answer)
                break
            attempt += 1
            assert time.monotonic() < deadline, f"registration {i} not accepted for 60 s"
            time.sleep(0.05)
        if killed_at is not None and recovered_at is None:
            recovered_at = time.monotonic()
    assert killed_at is not None and recovered_at is not None
    outage = recovered_at - killed_at
    took = time.monotonic() - started
    print(f"{LOOP} registrations in {took:.1f} s; writes accepted again {outage:.1f} s after the kill")
    assert outage < RECOVERY_BOUND_S

    # survivors serve every acknowledged registration with its id and version
    for survivor in alive:
        with httpx.Client(base_url=survivor.url, timeout=30) as http:
            for i, (subject, answer) in acknowledged.items():
                got = http.get(f"/subjects/{subject}/versions/{answer['version']}").json()
                stored = json.dumps(json.loads(schema(i)), separators=(",", ":"))
                assert (got["id"], got["schema"]) == (answer["id"], stored)
    ids = [answer["id"] for _, answer in acknowledged.values()]
    assert len(set(ids)) == len(ids), "one id was acknowledged for two different schemas"

    # no id names two schemas anywhere, and both survivors agree
    first, second = (state(x.url) for x in alive)
    assert first == second
    by_id: dict[int, str] = {}
    for versions in first.values():
        for _, schema_id, text in versions:
            assert by_id.setdefault(schema_id, text) == text, f"id {schema_id} names two schemas"

    # a fourth instance rebuilds the same state from the topic
    fourth = Instance(bootstrap, topic, tmp_path / "registry-4.log")
    try:
        fourth.wait_ready()
        assert state(fourth.url) == first
    finally:
        fourth.stop()
