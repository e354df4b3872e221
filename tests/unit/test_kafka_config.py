"""Pure pieces of the local broker: generated configs, cluster ids, the pin, topic names."""

from __future__ import annotations

import base64
import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

from govern.kafka import JVM_OPTIONS, KAFKA_VERSION, render_server_properties
from govern.kafka.broker import free_port, log_tail, new_cluster_id, render_log4j2_properties
from govern.kafka.distribution import REPO_POM, render_pom
from govern.pytest_plugin import TOPIC_NAME_MAX, topic_name_for

_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def _properties(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")]
    return {key: value for key, value in pairs}


def test_server_properties_describe_one_kraft_node_on_loopback() -> None:
    props = _properties(render_server_properties(data_dir=Path("/d/data"), port=19092, controller_port=19093))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == f"{props['node.id']}@127.0.0.1:19093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == "/d/data"
    assert "0.0.0.0" not in "".join(props.values())


def test_server_properties_make_internal_topics_single_replica() -> None:
    props = _properties(render_server_properties(data_dir=Path("/d"), port=1, controller_port=2))
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["min.insync.replicas"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_auto_topic_creation_can_be_switched_off() -> None:
    on = _properties(render_server_properties(data_dir=Path("/d"), port=1, controller_port=2))
    off = _properties(
        render_server_properties(data_dir=Path("/d"), port=1, controller_port=2, auto_create_topics=False)
    )
    assert (on["auto.create.topics.enable"], off["auto.create.topics.enable"]) == ("true", "false")


def test_jvm_heap_is_capped_at_768_mb() -> None:
    heaps = [option for option in JVM_OPTIONS if option.startswith("-Xmx")]
    assert heaps == ["-Xmx768m"]


def test_log4j2_config_logs_to_stdout_and_outlives_shutdown() -> None:
    config = _properties(render_log4j2_properties().replace(" = ", "="))
    assert config["appender.out.type"] == "Console"
    assert config["rootLogger.appenderRef.out.ref"] == "STDOUT"
    assert config["shutdownHook"].startswith("disable")


def test_cluster_id_is_22_char_urlsafe_base64_of_16_bytes() -> None:
    ids = {new_cluster_id() for _ in range(50)}
    assert len(ids) == 50
    for cluster_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_cluster_id_never_starts_with_a_dash(monkeypatch) -> None:
    """`kafka-storage format --cluster-id -…` would read the id as an option (1 draw in 64)."""
    draws = iter([b"\xf8" + bytes(15), bytes(16)])  # the first encodes to "-A…"
    monkeypatch.setattr("govern.kafka.broker.os.urandom", lambda n: next(draws))
    assert new_cluster_id() == base64.urlsafe_b64encode(bytes(16)).decode().rstrip("=")


def test_free_port_can_be_bound_on_loopback() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_log_tail_returns_the_last_lines_or_nothing(tmp_path: Path) -> None:
    log = tmp_path / "broker.log"
    assert log_tail(log) == []
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert log_tail(log, 3) == ["line 97", "line 98", "line 99"]
    assert len(log_tail(log)) == 20


def _pom_pins(pom_text: str) -> tuple[dict[str, str], set[tuple[str, str, str]]]:
    root = ET.fromstring(pom_text)
    properties = {child.tag.split("}")[1]: child.text or "" for child in root.find("m:properties", _POM_NS)}
    dependencies = set()
    for dependency in root.iterfind("m:dependencies/m:dependency", _POM_NS):
        coordinates = [dependency.findtext(f"m:{part}", namespaces=_POM_NS) or "" for part in _COORDINATES]
        dependencies.add(tuple(coordinates))
    return properties, dependencies


_COORDINATES = ("groupId", "artifactId", "version")


def test_repo_pom_pins_the_same_kafka_as_the_code() -> None:
    properties, dependencies = _pom_pins(REPO_POM.read_text())
    assert properties["kafka.version"] == KAFKA_VERSION
    assert ("org.apache.kafka", "kafka_2.13", "${kafka.version}") in dependencies


def test_rendered_pom_matches_the_repo_pom() -> None:
    """The fallback pom (used outside a checkout) must not drift from ci/kafka/pom.xml."""
    assert _pom_pins(render_pom()) == _pom_pins(REPO_POM.read_text())


def test_topic_names_are_valid_unique_and_readable() -> None:
    test_name = "test_orders[avro.v2-case_1]"
    names = {topic_name_for(test_name, "out") for _ in range(20)}
    assert len(names) == 20
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9-]+", name), name
        assert name.startswith("test-orders-avro-v2-case-1-out-")


def test_topic_names_fit_kafkas_length_limit() -> None:
    name = topic_name_for("t" * 400, "label")
    assert len(name) <= TOPIC_NAME_MAX
    assert re.fullmatch(r"t+-[0-9a-f]{8}", name)
