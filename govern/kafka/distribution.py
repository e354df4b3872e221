"""The pinned Apache Kafka server as Maven Central jars: where they are cached, and fetching them once.

Why jars and not the tarball: Maven Central is the one artifact host our machines and CI reach, and
`mvn dependency:copy-dependencies` resolves the server's runtime classpath for us. The pin lives in
`ci/kafka/pom.xml`; a copy of the same pom is rendered from `_POM_TEMPLATE` when govern runs
outside a checkout (a unit test keeps the two equal).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from govern.errors import EnvironmentProblem

KAFKA_VERSION = "4.4.0"
"""The Apache Kafka release `govern broker` runs (a KRaft broker+controller from Maven Central)."""

LOG4J_VERSION = "2.25.5"
"""log4j2 as Kafka 4.4.0 depends on it; we add its slf4j binding, which Kafka's pom leaves out."""

DEPENDENCY_PLUGIN_VERSION = "3.8.1"
"""maven-dependency-plugin pinned in the pom (Maven 3.8 would otherwise pick the old 2.8)."""

FETCH_TIMEOUT_S = 900
"""Upper bound for one `mvn copy-dependencies` run (about 45 MB on a cold Maven cache)."""

COMPLETE_MARKER = ".complete"
"""Written into the version's cache folder only after every jar arrived, so a half-fetch is redone."""

REPO_POM = Path(__file__).resolve().parents[2] / "ci" / "kafka" / "pom.xml"

_POM_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.govern</groupId>
  <artifactId>govern-kafka-server</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <properties>
    <kafka.version>{kafka_version}</kafka.version>
    <log4j.version>{log4j_version}</log4j.version>
    <dependency.plugin.version>{dependency_plugin_version}</dependency.plugin.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${{kafka.version}}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>${{log4j.version}}</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>${{dependency.plugin.version}}</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
"""


@dataclass(frozen=True)
class KafkaDistribution:
    """A fetched Kafka release: its version and the folder holding every jar of its classpath."""

    version: str
    libs: Path

    @property
    def classpath(self) -> str:
        """The JVM classpath: every jar in `libs`, in a stable order."""
        return os.pathsep.join(str(jar) for jar in sorted(self.libs.glob("*.jar")))


def cache_root() -> Path:
    """`$GOVERN_CACHE` or `~/.cache/govern`: where fetched Kafka releases live, shared by all projects."""
    configured = os.environ.get("GOVERN_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "govern"


def version_dir(version: str = KAFKA_VERSION) -> Path:
    """The cache folder of one Kafka release (`<cache>/kafka/<version>`)."""
    return cache_root() / "kafka" / version


def is_fetched(version: str = KAFKA_VERSION) -> bool:
    """True when the release's jars were fetched completely (the marker exists)."""
    return (version_dir(version) / COMPLETE_MARKER).is_file()


def find_java() -> str:
    """The `java` to run: `$GOVERN_JAVA`, else `$JAVA_HOME/bin/java`, else `java` on PATH.

    Raises EnvironmentProblem with the fix when none is there, so users never see a traceback.
    """
    explicit = os.environ.get("GOVERN_JAVA")
    if explicit:
        if _is_executable(explicit):
            return explicit
        raise EnvironmentProblem(
            f"GOVERN_JAVA points to {explicit!r}, which is not an executable java",
            hint="point GOVERN_JAVA at a Java 17+ `java` binary, or unset it to use JAVA_HOME or PATH",
        )
    java_home = os.environ.get("JAVA_HOME")
    if java_home and _is_executable(os.path.join(java_home, "bin", "java")):
        return os.path.join(java_home, "bin", "java")
    on_path = shutil.which("java")
    if on_path:
        return on_path
    raise EnvironmentProblem(
        "java not found: Apache Kafka needs a Java 17+ runtime (looked at GOVERN_JAVA, JAVA_HOME, PATH)",
        hint="install one (e.g. `apt-get install openjdk-17-jre-headless`) or set GOVERN_JAVA / JAVA_HOME",
    )


def find_mvn() -> str:
    """The `mvn` used to fetch jars: `$GOVERN_MVN`, else `mvn` on PATH (EnvironmentProblem if none)."""
    explicit = os.environ.get("GOVERN_MVN")
    if explicit:
        if _is_executable(explicit) or shutil.which(explicit):
            return shutil.which(explicit) or explicit
        raise EnvironmentProblem(
            f"GOVERN_MVN points to {explicit!r}, which is not an executable mvn",
            hint="point GOVERN_MVN at Apache Maven's `mvn`, or unset it to use PATH",
        )
    on_path = shutil.which("mvn")
    if on_path:
        return on_path
    raise EnvironmentProblem(
        "mvn not found: govern fetches Apache Kafka's jars from Maven Central with Apache Maven",
        hint="install it (e.g. `apt-get install maven`) or set GOVERN_MVN to its path",
    )


def fetch_kafka(version: str = KAFKA_VERSION) -> KafkaDistribution:
    """Return the release's jars, fetching them from Maven Central with mvn the first time.

    Fetches into a scratch folder, renames it into place and only then writes the marker, under a
    file lock, so concurrent callers (two test sessions) fetch once and an interrupted fetch is redone.
    """
    home = version_dir(version)
    libs = home / "libs"
    if is_fetched(version):
        return KafkaDistribution(version, libs)
    java = find_java()
    mvn = find_mvn()
    home.mkdir(parents=True, exist_ok=True)
    with _locked(home / ".lock"):
        if is_fetched(version):
            return KafkaDistribution(version, libs)
        scratch = home / "libs.partial"
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(libs, ignore_errors=True)
        shutil.rmtree(home / "cds", ignore_errors=True)  # class archives of the old jars
        pom = _pom_for(version, home)
        _run_mvn(mvn, java, pom, scratch, version)
        if not any(scratch.glob("kafka_2.13-*.jar")):
            raise EnvironmentProblem(
                f"mvn finished but fetched no Kafka {version} server jar into {scratch}",
                hint=f"check {pom} and run `mvn -f {pom} dependency:copy-dependencies` by hand",
            )
        scratch.rename(libs)
        (home / COMPLETE_MARKER).write_text(f"kafka {version}\n", encoding="utf-8")
    return KafkaDistribution(version, libs)


def render_pom(version: str = KAFKA_VERSION) -> str:
    """The pom that pins `version` (used when govern runs outside a checkout with ci/kafka/pom.xml)."""
    return _POM_TEMPLATE.format(
        kafka_version=version,
        log4j_version=LOG4J_VERSION,
        dependency_plugin_version=DEPENDENCY_PLUGIN_VERSION,
    )


def _pom_for(version: str, home: Path) -> Path:
    if REPO_POM.is_file():
        return REPO_POM
    pom = home / "pom.xml"
    pom.write_text(render_pom(version), encoding="utf-8")
    return pom


def _run_mvn(mvn: str, java: str, pom: Path, output: Path, version: str) -> None:
    command = [
        mvn,
        "-B",
        "-q",
        "-Dstyle.color=never",
        "-f",
        str(pom),
        f"-Dkafka.version={version}",
        f"org.apache.maven.plugins:maven-dependency-plugin:{DEPENDENCY_PLUGIN_VERSION}:copy-dependencies",
        f"-DoutputDirectory={output}",
    ]
    env = dict(os.environ)
    # mvn's launcher finds java through JAVA_HOME; make it the same JVM that will run Kafka.
    env.setdefault("JAVA_HOME", str(Path(os.path.realpath(java)).parent.parent))
    try:
        done = subprocess.run(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=FETCH_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as error:
        raise EnvironmentProblem(
            f"fetching Apache Kafka {version} from Maven Central took over {FETCH_TIMEOUT_S} s",
            hint="check the network or proxy to Maven Central, then run `govern broker fetch` again",
        ) from error
    except OSError as error:
        raise EnvironmentProblem(
            f"could not run mvn ({mvn}): {error.strerror}",
            hint="install Apache Maven or set GOVERN_MVN to a working mvn",
        ) from error
    if done.returncode != 0:
        reason = _last_error_line(done.stdout + "\n" + done.stderr)
        raise EnvironmentProblem(
            f"could not fetch Apache Kafka {version} jars from Maven Central (mvn exit {done.returncode}): "
            f"{reason}",
            hint="check that Maven Central is reachable (proxy, ~/.m2/settings.xml mirrors), then run "
            "`govern broker fetch` again",
        )


def _last_error_line(output: str) -> str:
    """mvn's first meaningful [ERROR] line (ANSI colour codes removed), else its last line."""
    plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]|\[0m", "", output)
    lines = [line.strip() for line in plain.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("[ERROR]") and len(line) > len("[ERROR] ")]
    chosen = errors[0] if errors else (lines[-1] if lines else "no output")
    # Square brackets become parentheses: CLI messages are rendered as rich markup.
    chosen = chosen.removeprefix("[ERROR] ").replace("[", "(").replace("]", ")")
    # Keep both ends: the artifact at the start, the cause (e.g. "Connection refused") at the end.
    return chosen if len(chosen) <= 300 else f"{chosen[:150]} … {chosen[-140:]}"


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
