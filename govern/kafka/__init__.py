"""Real Apache Kafka for govern: provisioning (JVM jars, testcontainers, external) and admin helpers.

The public surface is re-exported here; the modules behind it are implementation detail.
"""

from govern.kafka.admin import (
    ADMIN_TIMEOUT_S,
    CONSUME_TIMEOUT_S,
    LIBRDKAFKA_LOGGER,
    KafkaAdmin,
    client_config,
    consume,
    is_reachable,
    wait_for_cluster,
)
from govern.kafka.broker import (
    BROKER_STARTUP_TIMEOUT_S,
    BROKER_STOP_TIMEOUT_S,
    JVM_OPTIONS,
    BrokerError,
    LocalBroker,
    render_server_properties,
    start_local_broker,
)
from govern.kafka.distribution import KAFKA_VERSION, KafkaDistribution, cache_root, fetch_kafka, find_java
from govern.kafka.providers import (
    BOOTSTRAP_ENV,
    PROVIDER_ENV,
    ExternalKafka,
    JvmKafka,
    KafkaProvider,
    TestcontainersKafka,
    docker_available,
    provider_from_env,
    resolve_bootstrap,
)
from govern.kafka.state import clear_state, read_state, state_path, write_state

__all__ = [
    "ADMIN_TIMEOUT_S",
    "BOOTSTRAP_ENV",
    "BROKER_STARTUP_TIMEOUT_S",
    "BROKER_STOP_TIMEOUT_S",
    "CONSUME_TIMEOUT_S",
    "JVM_OPTIONS",
    "KAFKA_VERSION",
    "LIBRDKAFKA_LOGGER",
    "PROVIDER_ENV",
    "BrokerError",
    "ExternalKafka",
    "JvmKafka",
    "KafkaAdmin",
    "KafkaDistribution",
    "KafkaProvider",
    "LocalBroker",
    "TestcontainersKafka",
    "cache_root",
    "clear_state",
    "client_config",
    "consume",
    "docker_available",
    "fetch_kafka",
    "find_java",
    "is_reachable",
    "provider_from_env",
    "read_state",
    "render_server_properties",
    "resolve_bootstrap",
    "start_local_broker",
    "state_path",
    "wait_for_cluster",
    "write_state",
]
