"""Avro schema compatibility: Apache Avro Java's reader/writer rules and Confluent's seven levels.

Public surface: ``check_pair``, ``check_level``, ``Level``, ``Result``, ``Finding``, ``RULES``
and ``confluent_messages``. Pure functions, no I/O; results are data, never exceptions.
"""

from govern.compat.findings import RULES, RULES_BY_ID, Comparison, Finding, Result, Rule
from govern.compat.levels import INVALID_LEVEL_MESSAGE, Level, check_level
from govern.compat.messages import confluent_messages, difference
from govern.compat.pair import check_pair

__all__ = [
    "INVALID_LEVEL_MESSAGE",
    "RULES",
    "RULES_BY_ID",
    "Comparison",
    "Finding",
    "Level",
    "Result",
    "Rule",
    "check_level",
    "check_pair",
    "confluent_messages",
    "difference",
]
