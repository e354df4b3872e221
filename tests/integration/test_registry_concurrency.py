"""Concurrent registrations against real servers: one id per schema, gap-free versions, also with
two server processes on one SQLite file; and a SIGKILLed server keeps every acknowledged write."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from govern.registry.server import serve_in_thread

WORKERS = 50


def schema(i: int | None = None) -> str:
    fields = [{"name": "a", "type": "string"}]
    if i is not None:
        fields.append({"name": f"x{i}", "type": "int", "default": i})
    return json.dumps({"type": "record", "name": "Event", "fields": fields})


def post(url: str, subject: str, text: str) -> dict:
    with httpx.Client(base_url=url, timeout=60) as http:
        response = http.post(f"/subjects/{subject}/versions", json={"schema": text})
        assert response.status_code == 200, response.text
        return response.json()


def run_concurrently(jobs: list[tuple[str, str, str]]) -> list[dict]:
    barrier = threading.Barrier(len(jobs))

    def job(args: tuple[str, str, str]) -> dict:
        barrier.wait()
        return post(*args)

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(job, jobs))


def test_same_schema_50_times_gives_one_id(tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "r.sqlite") as url:
        answers = run_concurrently([(url, "same", schema())] * WORKERS)
        assert {a["id"] for a in answers} == {answers[0]["id"]}
        assert {a["version"] for a in answers} == {1}
        assert httpx.get(f"{url}/subjects/same/versions").json() == [1]


def test_50_compatible_schemas_get_consecutive_versions(tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "r.sqlite") as url:
        answers = run_concurrently([(url, "evolving", schema(i)) for i in range(WORKERS)])
        versions = sorted(a["version"] for a in answers)
        assert versions == list(range(1, WORKERS + 1))
        assert len({a["id"] for a in answers}) == WORKERS
        assert httpx.get(f"{url}/subjects/evolving/versions").json() == versions


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(store: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "govern", "registry", "serve", "--port", str(port), "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not start in 30 s")


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[tuple[subprocess.Popen, str]]]:
    started: list[tuple[subprocess.Popen, str]] = []
    yield started
    for process, _ in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_two_processes_on_one_sqlite_file(tmp_path: Path, processes: list) -> None:
    store = tmp_path / "shared.sqlite"
    processes.append(_start_server(store))
    processes.append(_start_server(store))
    (_, a), (_, b) = processes
    jobs = [((a, b)[i % 2], "shared", schema(i)) for i in range(WORKERS)]
    jobs += [((a, b)[i % 2], f"same-{i % 2}", schema()) for i in range(10)]
    answers = run_concurrently(jobs)
    evolving = sorted(x["version"] for x in answers[:WORKERS])
    assert evolving == list(range(1, WORKERS + 1))
    assert len({x["id"] for x in answers[:WORKERS]}) == WORKERS
    same_ids = {x["id"] for x in answers[WORKERS:]}
    assert len(same_ids) == 1  # one id for one schema, across subjects and processes
    assert (
        httpx.get(f"{a}/subjects/shared/versions").json() == httpx.get(f"{b}/subjects/shared/versions").json()
    )


@pytest.mark.slow
def test_sigkill_keeps_every_acknowledged_registration(tmp_path: Path, processes: list) -> None:
    store = tmp_path / "killed.sqlite"
    processes.append(_start_server(store))
    process, url = processes[0]
    acknowledged: list[tuple[str, int, int, str]] = []
    stop = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=url, timeout=10) as http:
            i = 0
            while not stop.is_set():
                subject = f"kill-{worker}-{i % 5}"
                text = json.dumps({"type": "record", "name": f"K{worker}x{i}", "fields": []})
                try:
                    response = http.post(
                        f"/subjects/{subject}/versions", params={"force": "true"}, json={"schema": text}
                    )
                except httpx.TransportError:
                    return
                if response.status_code == 200:
                    body = response.json()
                    acknowledged.append((subject, body["version"], body["id"], text))
                i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)  # in the middle of the loop
    process.wait()
    stop.set()
    for thread in threads:
        thread.join(15)
    assert len(acknowledged) >= 50

    processes.append(_start_server(store))
    _, restarted = processes[1]
    with httpx.Client(base_url=restarted, timeout=10) as http:
        for subject, version, schema_id, text in acknowledged:
            got = http.get(f"/subjects/{subject}/versions/{version}").json()
            assert got["id"] == schema_id, (subject, version, got)
            assert json.loads(got["schema"]) == json.loads(text)
        ids = [a[2] for a in acknowledged]
        assert len(set(ids)) == len(ids)
