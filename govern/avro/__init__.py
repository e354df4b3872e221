"""Avro schemas: THE parser of govern (every command, the catalog, the registry).

Public surface:

- ``parse_schema(source, references=(), strict=True, file=None)``: one schema document (JSON
  text, a ``Path``, a decoded value) into an ``AvroSchema``; any top-level schema (named type,
  primitive, array, map, union). ``file`` labels text, e.g. ``<commit12>:schemas/a.avsc``.
- ``SchemaSet``: several documents (files) with one table of named types, types used across
  files in any order, a JSON array of types as one file of several types; ``schema(full_name)``
  gives one named type as a schema of its own.
- ``AvroSchema``: ``root`` (the node graph: ``Node``/``Field``), ``json``, ``text`` (Avro Java
  ``Schema.toString()``), ``expanded``, ``canonical``, ``fingerprint``, ``named_types``,
  ``position(pointer)``.
- ``SchemaParseError`` (an ``InputError``): one line naming file:line:col, the JSON pointer and
  the cause, the same from every entry point.
- ``Position``: file, line, column and the source line. Positions are computed lazily, from the
  kept source text, only when an error or a finding prints them: parsing decodes JSON with the C
  decoder and never scans for positions.
"""

from govern.avro.errors import SchemaParseError
from govern.avro.jsonpos import Position
from govern.avro.model import Field, Node
from govern.avro.schema import AvroSchema, SchemaInput, clear_cache, parse_schema
from govern.avro.schema_set import SchemaSet

__all__ = [
    "AvroSchema",
    "Field",
    "Node",
    "Position",
    "SchemaInput",
    "SchemaParseError",
    "SchemaSet",
    "clear_cache",
    "parse_schema",
]
