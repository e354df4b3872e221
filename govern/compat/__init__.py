"""Avro schema compatibility: Apache Avro Java's reader/writer rules and Confluent's seven levels.

Public surface: ``check_pair``, ``check_level``, ``Level``, ``Result`` and ``Comparison``; findings
are ``govern.report.Finding`` and their rules are registered in ``govern.report.rules``. Pure
functions, no I/O; results are data, never exceptions.
"""

from govern.compat.findings import Comparison, Result
from govern.compat.levels import INVALID_LEVEL_MESSAGE, Level, check_level
from govern.compat.pair import check_pair

__all__ = [
    "INVALID_LEVEL_MESSAGE",
    "Comparison",
    "Level",
    "Result",
    "check_level",
    "check_pair",
]
