"""What every exchange service shares: configuration, Avro codecs, tables, the exactly-once loop, logs.

`ServiceConfig` says where Kafka, the registry and the topics are; `Codecs` turns records into
Confluent-framed Avro and back; `Table` materialises a compacted topic in memory; `EosLoop` runs a
consume-transform-produce loop in Kafka transactions; `log` writes one key=value line to stderr.
"""

from services.common.codec import Codecs
from services.common.config import ServiceConfig, add_common_arguments, config_from_args
from services.common.eos import Batch, EosLoop, StagedState
from services.common.logs import log, setup_logging
from services.common.table import Table

__all__ = [
    "Batch",
    "Codecs",
    "EosLoop",
    "ServiceConfig",
    "StagedState",
    "Table",
    "add_common_arguments",
    "config_from_args",
    "log",
    "setup_logging",
]
