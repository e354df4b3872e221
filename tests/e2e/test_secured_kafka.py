"""record, replay, import, the registry's Kafka store and the pytest plugin on a cluster that
requires a login over TLS (SASL_SSL with PLAIN, the shape of most managed Kafka), on real Kafka.

The broker is our local one with a second listener that only takes SASL/PLAIN logins over TLS,
with a certificate made here; the records are seeded and checked through its plain listener,
every govern command goes through the secured one with settings from `--kafka-config` or the
file GOVERN_KAFKA_CONFIG names.
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

import httpx
import pytest
from certificates import self_signed
from confluent_kafka import Producer

from govern.kafka import KafkaAdmin, LocalBroker, client_config, start_local_broker
from govern.registry import Client
from govern.registry.server import serve_in_thread
from govern.serde import Serializer

pytestmark = pytest.mark.kafka

PASSWORD = "s3cret-for-govern"
SCHEMA = {"type": "record", "name": "Login", "namespace": "e2e", "fields": [{"name": "n", "type": "long"}]}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the broker's PEM keystore: the key, then the certificate; the certificate for clients)."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(directory)
    keystore = directory / "broker-keystore.pem"
    keystore.write_bytes(key.read_bytes() + cert.read_bytes())
    return keystore, cert


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry of this module's own: `import` reads every subject of the one it is given."""
    with serve_in_thread(tmp_path_factory.mktemp("registry") / "registry.sqlite") as url:
        yield url


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, tls: tuple[Path, Path]) -> Iterator[LocalBroker]:
    broker = start_local_broker(
        tmp_path_factory.mktemp("secured-broker"),
        die_with_parent=True,
        sasl_users={"govern": PASSWORD},
        tls_keystore=tls[0],
    )
    try:
        yield broker
    finally:
        broker.stop()


def govern(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GOVERN_REGISTRY_URL", "KAFKA_BOOTSTRAP_SERVERS", "GOVERN_KAFKA_CONFIG")
    }
    return subprocess.run(
        [sys.executable, "-m", "govern", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
    )


def login(password_file: Path, ca: Path) -> list[str]:
    """`--kafka-config` flags for the secured listener, the password read from a file."""
    password_file.write_text(PASSWORD + "\n")
    settings = [
        "security.protocol=SASL_SSL",
        f"ssl.ca.location={ca}",
        "sasl.mechanism=PLAIN",
        "sasl.username=govern",
        f"sasl.password=@{password_file}",
    ]
    return [arg for setting in settings for arg in ("--kafka-config", setting)]


def properties(path: Path, ca: Path) -> Path:
    """The same settings as a properties file, as a CI secret would hold them."""
    path.write_text(
        f"# a secured cluster\nsecurity.protocol=SASL_SSL\nssl.ca.location={ca}\nsasl.mechanism=PLAIN\n"
        f"sasl.username=govern\nsasl.password={PASSWORD}\n"
    )
    return path


def test_record_replay_and_import_log_in_with_the_settings_given(
    secured: LocalBroker, tls: tuple[Path, Path], registry: str, tmp_path: Path
) -> None:
    assert secured.secured_bootstrap is not None
    admin = KafkaAdmin(secured.bootstrap)
    source = admin.create_topic("orders", 2)
    with Client(registry) as client:
        serialize = Serializer(client, f"{source}-value", SCHEMA)
        producer = Producer(client_config(secured.bootstrap))
        for i in range(10):
            producer.produce(source, serialize({"n": i}), f"k{i}".encode(), partition=i % 2)
        producer.flush(30)
    common = ("--bootstrap", secured.secured_bootstrap, "--registry", registry, "--format", "json")

    recorded = govern(
        "record", source, "-o", "orders.jsonl", *common, *login(tmp_path / "pw", tls[1]), cwd=tmp_path
    )
    assert recorded.returncode == 0, recorded.stderr
    assert json.loads(recorded.stdout)["records"] == 10

    from_file = {"GOVERN_KAFKA_CONFIG": str(properties(tmp_path / "client.properties", tls[1]))}
    replayed = govern(
        "replay", "orders.jsonl", "--topic", "orders-copy", "--create", *common, cwd=tmp_path, env=from_file
    )
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["records"] == 10
    assert len(admin.consume("orders-copy", 10, config={"isolation.level": "read_committed"})) == 10

    imported = govern(
        "import", "--registry", registry, "--bootstrap", secured.secured_bootstrap, "--root", "estate",
        cwd=tmp_path, env=from_file,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    topics = (tmp_path / "estate" / "contracts" / "topics.yaml").read_text()
    assert "orders-copy" in topics and "partitions: 2" in topics
    for result in (recorded, replayed, imported):
        assert PASSWORD not in result.stdout + result.stderr


def test_without_a_login_a_wrong_one_or_an_untrusted_certificate_exit_3_saying_why(
    secured: LocalBroker, tls: tuple[Path, Path], tmp_path: Path
) -> None:
    assert secured.secured_bootstrap is not None
    (tmp_path / "pw").write_text("not-the-password")
    sasl = ["sasl.mechanism=PLAIN", "sasl.username=govern", f"sasl.password=@{tmp_path / 'pw'}"]
    wrong_password = ["security.protocol=SASL_SSL", f"ssl.ca.location={tls[1]}", *sasl]
    untrusted = ["security.protocol=SASL_SSL", *sasl]  # the system's CAs do not know our certificate
    cases = [
        ([], "needs a login or TLS"),
        (wrong_password, "SASL authentication error"),
        (untrusted, "certificate verify failed"),
    ]
    for settings, reason in cases:
        extra = [arg for setting in settings for arg in ("--kafka-config", setting)]
        result = govern(
            "record",
            "orders",
            "--bootstrap",
            secured.secured_bootstrap,
            "--timeout",
            "3",
            *extra,
            cwd=tmp_path,
        )
        assert result.returncode == 3, result.stderr
        assert "did not answer" in result.stderr and reason in result.stderr
        assert "not-the-password" not in result.stdout + result.stderr
        assert not (tmp_path / "orders.jsonl").exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("sasl.pasword=x", 'No such configuration property: "sasl.pasword"'),
        ("security.protocol=SASL_PLAINTEX", 'Invalid value "SASL_PLAINTEX"'),
        ("bootstrap.servers=a:9092", "bootstrap.servers is not a client setting here"),
        ("sasl.password", "'sasl.password' is not KEY=VALUE"),
        ("sasl.password=@missing-file", "sasl.password: cannot read missing-file"),
    ],
)
def test_bad_settings_exit_2_before_reaching_any_cluster(setting: str, message: str, tmp_path: Path) -> None:
    result = govern("record", "t", "--bootstrap", "127.0.0.1:9", "--kafka-config", setting, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_a_bad_line_of_the_settings_file_is_named_by_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "client.properties").write_text("security.protocol=SASL_SSL\n\nnot a setting\n")
    result = govern(
        "replay", "x.jsonl", "--bootstrap", "127.0.0.1:9", cwd=tmp_path,
        env={"GOVERN_KAFKA_CONFIG": str(tmp_path / "client.properties")},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert f"{tmp_path / 'client.properties'}:3: 'not a setting' is not KEY=VALUE" in result.stderr


def test_the_registry_keeps_its_schemas_topic_on_the_secured_cluster(
    secured: LocalBroker, tls: tuple[Path, Path], tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "govern", "registry", "serve", "--port", str(port)),
            *("--store", f"kafka://{secured.secured_bootstrap}?topic=_schemas_secured"),
            *login(tmp_path / "pw", tls[1]),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                httpx.get(url + "/subjects", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the registry did not start"
                time.sleep(0.2)
        schema = json.dumps(SCHEMA)
        answer = httpx.post(url + "/subjects/logins-value/versions", json={"schema": schema}, timeout=30)
        assert answer.status_code == 200, answer.text
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    stored = KafkaAdmin(secured.bootstrap).consume("_schemas_secured", 2)  # a NOOP (a leader's mark), ours
    assert any(b"logins-value" in record.key() for record in stored)
    assert PASSWORD not in out + err


INNER_TESTS = """
from confluent_kafka import Producer

from govern.kafka import client_config


def test_replay_then_read_back(replay, topic_reader, unique_topic):
    topic = unique_topic("logins")
    schema = {"type": "record", "name": "Login", "fields": [{"name": "n", "type": "long"}]}
    records = [{"schema": "login", "value": {"n": n}, "key": k} for n, k in ((1, "a"), (2, "b"))]
    replay(records, topic=topic, schemas={"login": schema})
    assert [r["value"] for r in topic_reader(topic, count=2)] == [{"n": 1}, {"n": 2}]


def test_a_test_makes_its_own_client(kafka_cluster, kafka_connection, kafka_admin, unique_topic):
    assert kafka_connection["sasl.username"] == "govern"
    topic = kafka_admin.create_topic(unique_topic("raw"))
    producer = Producer(client_config(kafka_cluster, connection=kafka_connection))
    producer.produce(topic, b"x")
    assert producer.flush(30) == 0
    assert len(kafka_admin.consume(topic, 1)) == 1
"""


def test_the_pytest_plugin_runs_a_teams_tests_on_the_secured_cluster(
    secured: LocalBroker, tls: tuple[Path, Path], tmp_path: Path
) -> None:
    assert secured.secured_bootstrap is not None
    (tmp_path / "test_service.py").write_text(INNER_TESTS)
    env = {k: v for k, v in os.environ.items() if k not in ("GOVERN_REGISTRY_URL", "GOVERN_KAFKA_PROVIDER")}
    env |= {
        "KAFKA_BOOTSTRAP_SERVERS": secured.secured_bootstrap,
        "GOVERN_KAFKA_CONFIG": str(properties(tmp_path / "client.properties", tls[1])),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_service.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr


def test_broker_up_serves_a_secured_listener_and_status_reaches_it_with_the_settings(
    tls: tuple[Path, Path], tmp_path: Path
) -> None:
    bad = govern("broker", "up", "--root", str(tmp_path), "--sasl-user", "govern:has space", cwd=tmp_path)
    assert bad.returncode == 2 and "--sasl-user: user 'govern': a password" in bad.stderr, bad.stderr
    assert "has space" not in bad.stderr

    up = govern(
        "broker", "up", "--root", str(tmp_path), "--sasl-user", f"govern:{PASSWORD}",
        "--tls-keystore", str(tls[0]), "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert up.returncode == 0, up.stderr
    secured_bootstrap = json.loads(up.stdout)["secured_bootstrap"]
    try:
        external = {"KAFKA_BOOTSTRAP_SERVERS": secured_bootstrap}
        settings = {
            **external,
            "GOVERN_KAFKA_CONFIG": str(properties(tmp_path / "client.properties", tls[1])),
        }
        reached = govern("broker", "status", "--root", str(tmp_path), cwd=tmp_path, env=settings)
        assert reached.returncode == 0 and "reachable" in reached.stdout, reached.stdout + reached.stderr
        unreached = govern("broker", "status", "--root", str(tmp_path), cwd=tmp_path, env=external)
        assert unreached.returncode == 3, unreached.stdout + unreached.stderr
        status = govern("broker", "status", "--root", str(tmp_path), cwd=tmp_path)
        assert f"secured listener: {secured_bootstrap}" in status.stdout
    finally:
        down = govern("broker", "down", "--root", str(tmp_path), cwd=tmp_path)
    assert down.returncode == 0, down.stderr
