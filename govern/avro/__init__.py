"""Avro schemas: parsing and validation with source positions, canonical form, fingerprints.

Public surface: ``parse_schema``, ``AvroSchema``, ``SchemaParseError`` and ``Position``.
"""

from govern.avro.errors import SchemaParseError
from govern.avro.jsonpos import Position
from govern.avro.model import Field, Node
from govern.avro.schema import AvroSchema, SchemaInput, clear_cache, parse_schema

__all__ = [
    "AvroSchema",
    "Field",
    "Node",
    "Position",
    "SchemaInput",
    "SchemaParseError",
    "clear_cache",
    "parse_schema",
]
