"""One Apache Kafka node (KRaft broker + controller) run from its Maven Central jars under the JVM.

Start: render server.properties and a log4j2 config into a work folder, format fresh storage with
`kafka.tools.StorageTool`, launch `kafka.Kafka` detached (own session, stdin closed, output to a log
file) and wait until it answers a real metadata request. Stop: SIGTERM (Kafka's controlled
shutdown), then SIGKILL after a deadline. Failures carry the last lines of the broker log.
"""

from __future__ import annotations

import base64
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from govern.errors import EnvironmentProblem
from govern.kafka.admin import wait_for_cluster
from govern.kafka.cds import CdsArchive, archive_for, promote
from govern.kafka.distribution import KAFKA_VERSION, KafkaDistribution, fetch_kafka, find_java

BROKER_STARTUP_TIMEOUT_S = 90.0
"""How long a fresh broker may take to answer metadata (about 3 s warm on 2 cores; slow CI needs more)."""

BROKER_STOP_TIMEOUT_S = 20.0
"""How long a broker gets for its controlled shutdown after SIGTERM before it is SIGKILLed."""

FORMAT_TIMEOUT_S = 60.0
"""Upper bound for formatting the storage folder (a short-lived JVM)."""

LOG_TAIL_LINES = 20
"""How many lines of the broker log an error message carries."""

JVM_OPTIONS: tuple[str, ...] = (
    "-Xmx768m",  # the cap the team agreed on for a test broker
    "-Xms64m",
    "-XX:+UseSerialGC",  # no parallel GC threads to start on a 2-core machine
    "-XX:TieredStopAtLevel=1",  # C1 only: faster start, plenty for test traffic
    "-XX:MaxMetaspaceSize=256m",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)
"""JVM flags for the broker and the storage tool: bounded heap, lean start."""

_SERVER_MAIN = "kafka.Kafka"
_STORAGE_MAIN = "kafka.tools.StorageTool"
_PR_SET_PDEATHSIG = 1


class BrokerError(EnvironmentProblem):
    """The local broker failed to start or died; carries the log path and its last lines for the user."""

    def __init__(self, message: str, *, log_path: Path, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or f"full log: {log_path}")
        self.log_path = log_path
        self.log_tail = log_tail(log_path)

    def __str__(self) -> str:
        tail = "\n".join(f"  | {line}" for line in self.log_tail) or "  | (log is empty)"
        return f"{self.message}\nlast lines of {self.log_path}:\n{tail}"


@dataclass
class LocalBroker:
    """A local broker started by govern: what `govern broker status/down` need to find it again."""

    pid: int
    bootstrap: str
    controller_port: int
    log_path: Path
    data_dir: Path
    workdir: Path
    version: str
    started_at: float
    cds_pending: str | None = None
    secured_bootstrap: str | None = None  # the secured listener (SASL, TLS), when asked for
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (paths as strings), without the in-process handle."""
        data = {item.name: getattr(self, item.name) for item in fields(self) if not item.name.startswith("_")}
        return {key: str(value) if isinstance(value, Path) else value for key, value in data.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LocalBroker:
        """Rebuild from `to_dict()` output (raises KeyError/TypeError/ValueError on a malformed dict)."""
        return cls(
            pid=int(data["pid"]),
            bootstrap=str(data["bootstrap"]),
            controller_port=int(data["controller_port"]),
            log_path=Path(data["log_path"]),
            data_dir=Path(data["data_dir"]),
            workdir=Path(data["workdir"]),
            version=str(data["version"]),
            started_at=float(data["started_at"]),
            cds_pending=data.get("cds_pending"),
            secured_bootstrap=data.get("secured_bootstrap"),
        )

    @property
    def properties_path(self) -> Path:
        """The server.properties this broker was started with (also how its process is recognised)."""
        return self.workdir / "server.properties"

    def is_running(self) -> bool:
        """True while the pid is alive and is this broker (not a recycled pid of something else)."""
        if self._process is not None:
            return self._process.poll() is None
        return process_alive(self.pid, marker=str(self.properties_path))

    def check_alive(self) -> None:
        """Raise BrokerError (with the log tail) when the broker process has exited."""
        if not self.is_running():
            code = self._process.returncode if self._process is not None else None
            status = f" with code {code}" if code is not None else ""
            raise BrokerError(
                f"the Kafka broker (pid {self.pid}) at {self.bootstrap} exited{status}",
                log_path=self.log_path,
            )

    def stop(self, timeout: float = BROKER_STOP_TIMEOUT_S) -> bool:
        """Stop the broker (SIGTERM, then SIGKILL); True when it was running."""
        process = self._process
        if process is None:
            was_running = stop_process(self.pid, timeout=timeout, marker=str(self.properties_path))
        elif process.poll() is not None:
            was_running = False
        else:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10.0)
            was_running = True
        promote(self.cds_pending)  # the JVM wrote its class archive on the way out
        self.cds_pending = None
        return was_running


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (as `random-uuid` prints).

    Never one starting with "-" (1 in 64 would): `kafka-storage format --cluster-id -x...` reads it
    as an option and fails, which is why Kafka's own `Uuid.randomUuid` draws again too.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).decode("ascii").rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def render_server_properties(
    *,
    data_dir: Path,
    port: int,
    controller_port: int,
    node_id: int = 1,
    auto_create_topics: bool = True,
    secured_port: int | None = None,
    sasl_users: Mapping[str, str] | None = None,
    tls_keystore: Path | None = None,
) -> str:
    """server.properties for one KRaft node on 127.0.0.1 with single-replica internal topics.

    Internal topics get one partition each (not 50) so the first group or transaction is quick;
    the log cleaner's buffer is small because the heap is capped. With `secured_port`, a second
    listener there stands in for a secured cluster: SASL/PLAIN logins of `sasl_users` (name ->
    password), over TLS with `tls_keystore` (a PEM file: the unencrypted private key, then the
    certificate chain). No ACLs: any user may do anything.
    """
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "controller.quorum.voters": f"{node_id}@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "default.replication.factor": "1",
        "auto.create.topics.enable": "true" if auto_create_topics else "false",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "min.insync.replicas": "1",
        "group.initial.rebalance.delay.ms": "0",
        # KIP-848 (`group.protocol=consumer`) groups: heartbeat every 1 s, not 5 s, so they settle fast.
        "group.consumer.min.heartbeat.interval.ms": "500",
        "group.consumer.heartbeat.interval.ms": "1000",
        "num.network.threads": "2",
        "num.io.threads": "4",
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
    }
    if secured_port is not None:
        settings.update(_secured_listener(settings, secured_port, sasl_users, tls_keystore))
    lines = ["# Generated by govern: one Kafka KRaft node (broker + controller) for local use."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def _secured_protocol(sasl_users: Mapping[str, str] | None, tls_keystore: Path | None) -> str:
    """The security protocol of the secured listener: SASL_SSL, SASL_PLAINTEXT or SSL."""
    if not sasl_users and tls_keystore is None:
        raise ValueError("a secured listener needs SASL users, a TLS keystore or both")
    if sasl_users:
        return "SASL_SSL" if tls_keystore is not None else "SASL_PLAINTEXT"
    return "SSL"


def _secured_listener(
    settings: Mapping[str, str], port: int, sasl_users: Mapping[str, str] | None, tls_keystore: Path | None
) -> dict[str, str]:
    """The settings that add the secured listener (named after its protocol) to `settings`."""
    protocol = _secured_protocol(sasl_users, tls_keystore)
    prefix = f"listener.name.{protocol.lower()}"
    protocols = "listener.security.protocol.map"
    added = {
        "listeners": f"{settings['listeners']},{protocol}://127.0.0.1:{port}",
        "advertised.listeners": f"{settings['advertised.listeners']},{protocol}://127.0.0.1:{port}",
        protocols: f"{settings[protocols]},{protocol}:{protocol}",
    }
    if sasl_users:
        added[f"{prefix}.sasl.enabled.mechanisms"] = "PLAIN"
        added[f"{prefix}.plain.sasl.jaas.config"] = _plain_jaas(sasl_users)
    if tls_keystore is not None:
        added[f"{prefix}.ssl.keystore.type"] = "PEM"
        added[f"{prefix}.ssl.keystore.location"] = str(tls_keystore)
    return added


def check_sasl_users(users: Mapping[str, str]) -> None:
    """ValueError unless every name is [A-Za-z0-9._-]+ and every password is non-empty without
    spaces, quotes or backslashes (they go into a JAAS line of server.properties as they are)."""
    for name, password in users.items():
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise ValueError(f"user {name!r}: a name is letters, digits, '.', '_' or '-'")
        if not re.fullmatch(r'[^\s"\\]+', password):
            raise ValueError(
                f"user {name!r}: a password is not empty and has no spaces, quotes or backslashes"
            )


def _plain_jaas(users: Mapping[str, str]) -> str:
    """The broker's JAAS line accepting `users` (name -> password) over SASL/PLAIN."""
    check_sasl_users(users)
    accepted = " ".join(f'user_{name}="{password}"' for name, password in users.items())
    return f"org.apache.kafka.common.security.plain.PlainLoginModule required {accepted};"


def render_log4j2_properties() -> str:
    """log4j2 config: INFO to stdout (which govern redirects to the log file), noisy config dumps off."""
    return "\n".join(
        [
            "# Generated by govern: Kafka logs to stdout, which govern redirects into broker.log.",
            "status = warn",
            "shutdownHook = disable",  # keep logging through Kafka's own shutdown hook
            "appender.out.type = Console",
            "appender.out.name = STDOUT",
            "appender.out.layout.type = PatternLayout",
            "appender.out.layout.pattern = [%d] %p %m (%c)%n",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.out.ref = STDOUT",
            "logger.config.name = org.apache.kafka.common.config.AbstractConfig",
            "logger.config.level = WARN",
            "",
        ]
    )


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last `lines` lines of a log file ([] when it does not exist)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return text.splitlines()[-lines:]


def start_local_broker(
    workdir: Path,
    *,
    version: str = KAFKA_VERSION,
    timeout: float = BROKER_STARTUP_TIMEOUT_S,
    die_with_parent: bool = False,
    sasl_users: Mapping[str, str] | None = None,
    tls_keystore: Path | None = None,
) -> LocalBroker:
    """Start a fresh one-node Kafka under `workdir` and return once it answers metadata.

    The storage folder (`workdir/data`) is wiped and formatted anew. With `die_with_parent`, Linux
    SIGTERMs the broker when this process dies (used by the pytest fixture so a killed test run
    leaves no java behind). With `sasl_users` (name -> password) and/or `tls_keystore` it also
    listens at `secured_bootstrap` for SASL/PLAIN logins, over TLS with the keystore (see
    `render_server_properties`). On failure the process is stopped and BrokerError carries the log.
    """
    distribution = fetch_kafka(version)
    java = find_java()
    workdir = workdir.resolve()
    data_dir = workdir / "data"
    log_path = workdir / "broker.log"
    properties = workdir / "server.properties"
    log4j = workdir / "log4j2.properties"
    workdir.mkdir(parents=True, exist_ok=True)
    running = processes_using(properties)
    if running:
        raise EnvironmentProblem(
            f"a Kafka broker (pid {running[0]}) still runs from {workdir}; not wiping its data",
            hint=f"stop it first (`govern broker down`, or `kill {running[0]}` if its state file is gone)",
        )
    _remove_tree(data_dir)
    data_dir.mkdir()
    port, controller_port = _two_free_ports()
    secured = bool(sasl_users) or tls_keystore is not None
    secured_port = _other_free_port((port, controller_port)) if secured else None
    properties.write_text(
        render_server_properties(
            data_dir=data_dir,
            port=port,
            controller_port=controller_port,
            secured_port=secured_port,
            sasl_users=sasl_users,
            tls_keystore=tls_keystore.resolve() if tls_keystore is not None else None,
        ),
        encoding="utf-8",
    )
    log4j.write_text(render_log4j2_properties(), encoding="utf-8")
    log_path.write_bytes(b"")
    _format_storage(java, distribution, properties, log4j, log_path)

    archive = archive_for(distribution.libs, java, "server")
    command = _java_command(java, distribution, archive, log4j, _SERVER_MAIN, str(properties))
    with open(log_path, "ab") as log:
        try:
            process = subprocess.Popen(
                command,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_parent_death_signal() if die_with_parent else None,
            )
        except OSError as error:
            raise EnvironmentProblem(
                f"could not start java ({java}): {error.strerror}",
                hint="set GOVERN_JAVA to a working Java 17+",
            ) from error
    broker = LocalBroker(
        pid=process.pid,
        bootstrap=f"127.0.0.1:{port}",
        controller_port=controller_port,
        log_path=log_path,
        data_dir=data_dir,
        workdir=workdir,
        version=version,
        started_at=time.time(),
        cds_pending=str(archive.pending) if archive.pending else None,
        secured_bootstrap=f"127.0.0.1:{secured_port}" if secured_port is not None else None,
        _process=process,
    )
    try:
        wait_for_cluster(broker.bootstrap, timeout, check_alive=broker.check_alive)
    except BrokerError:
        broker.stop()
        raise
    except EnvironmentProblem as error:
        broker.stop()
        raise BrokerError(
            f"the Kafka broker did not answer at {broker.bootstrap} within {timeout:g} s", log_path=log_path
        ) from error
    except BaseException:
        broker.stop()
        raise
    return broker


def process_alive(pid: int, *, marker: str | None = None) -> bool:
    """True when `pid` runs (not a zombie) and, if `marker` is given, its command line contains it."""
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    proc = Path("/proc") / str(pid)
    if not proc.is_dir():
        return sys.platform != "linux"
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            return False
        if marker is not None:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", errors="replace")
            return marker in cmdline
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return True


def processes_using(marker: Path | str) -> list[int]:
    """Pids whose command line contains `marker` (e.g. a broker's server.properties); Linux only."""
    needle = str(marker).encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (entry / "cmdline").read_bytes() and process_alive(int(entry.name)):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def stop_process(pid: int, *, timeout: float = BROKER_STOP_TIMEOUT_S, marker: str | None = None) -> bool:
    """SIGTERM `pid`, SIGKILL it if still alive after `timeout`; True when it was running."""
    if not process_alive(pid, marker=marker):
        return False
    _signal(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout):
        return True
    _signal(pid, signal.SIGKILL)
    if not _wait_gone(pid, 10.0):
        raise EnvironmentProblem(
            f"process {pid} survived SIGKILL", hint=f"check `ps -p {pid}` and stop it by hand"
        )
    return True


def _java_command(
    java: str, distribution: KafkaDistribution, archive: CdsArchive, log4j: Path, main: str, *args: str
) -> list[str]:
    """The command running `main` on Kafka's classpath: our JVM options, the tool's CDS archive, log4j."""
    return [
        java,
        *JVM_OPTIONS,
        *archive.flags,
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        distribution.classpath,
        main,
        *args,
    ]


def _format_storage(
    java: str, distribution: KafkaDistribution, properties: Path, log4j: Path, log_path: Path
) -> None:
    archive = archive_for(distribution.libs, java, "storage-tool")
    command = _java_command(
        java,
        distribution,
        archive,
        log4j,
        _STORAGE_MAIN,
        "format",
        "--cluster-id",
        new_cluster_id(),
        "--config",
        str(properties),
    )
    with open(log_path, "ab") as log:
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=FORMAT_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as error:
            raise BrokerError(
                f"formatting Kafka storage took over {FORMAT_TIMEOUT_S:g} s", log_path=log_path
            ) from error
        except OSError as error:
            raise EnvironmentProblem(
                f"could not run java ({java}): {error.strerror}", hint="set GOVERN_JAVA to a working Java 17+"
            ) from error
        finally:
            promote(archive.pending)
    if done.returncode != 0:
        raise BrokerError(
            f"formatting Kafka storage failed (exit {done.returncode})",
            log_path=log_path,
            hint="Kafka 4.x needs Java 17+; see the log lines above",
        )


def _two_free_ports() -> tuple[int, int]:
    first = free_port()
    return first, _other_free_port((first,))


def _other_free_port(taken: tuple[int, ...]) -> int:
    port = free_port()
    while port in taken:
        port = free_port()
    return port


def _parent_death_signal() -> Any:
    """A preexec_fn asking Linux to SIGTERM the child when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def arm() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return arm


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.05)
    return not process_alive(pid)


def _remove_tree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
