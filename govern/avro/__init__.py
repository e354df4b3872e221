"""Avro schemas: THE parser of govern (every command, the catalog, the registry).

Public surface:

- ``parse_schema(source, references=(), strict=True, file=None)``: one schema document (JSON
  text, a ``Path``, a decoded value) into an ``AvroSchema``; any top-level schema (named type,
  primitive, array, map, union). ``file`` labels text, e.g. ``<commit12>:schemas/a.avsc``.
- ``AvroSchema``: ``root`` (the node graph: ``Node``/``Field``), ``json``, ``text`` (Avro Java
  ``Schema.toString()``), ``canonical``, ``fingerprint``, ``named_types``, ``named(full_name)``
  (one type of a document, e.g. of a file holding a JSON array of types, as a schema of its own),
  ``position(pointer)``. Several files with one table of named types (types used across files
  in any order, one definition per full name) are the catalog's ``SchemaIndex``
  (``govern/catalog/sources.py``), built on ``parse_schema(..., references=..., file=...)``.
- ``SchemaParseError`` (an ``InputError``): one line naming file:line:col, the JSON pointer and
  the cause, the same from every entry point.
- ``Position``: file (a path or a label), line and column. Positions are computed lazily, from
  the kept source text, only when an error or a finding asks for them: parsing decodes JSON with
  the C decoder and never scans for positions.
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
