"""Avro IDL (``.avdl``) compiled to JSON exactly as Apache Avro Java's ``avro-tools`` 1.12 does.

Both syntaxes (``protocol P { ... }`` and ``namespace n; schema T; record T { ... }``), imports
(``import idl|protocol|schema "relative/path";``, an import cycle is an error naming the chain),
annotations, logical-type shorthands, ``type?``, defaults, doc comments, errors and messages.

API (for the catalog and the ``govern idl`` command)::

    result = compile_idl(Path("orders.avdl"))        # raises IdlError (exit 2) on bad input
    result.kind           # "protocol" or "schema" (the syntax of the file)
    result.json           # what `avro-tools idl` prints, as parsed JSON (None: a schema-syntax
                          # file with no `schema ...;` declaration; `text()` then raises IdlError)
    result.text()         # the same JSON laid out as avro-tools prints it
    result.main_schema    # schema syntax: the JSON of its `schema ...;` declaration, else None
    result.named_types    # {full name: JSON as `idl2schemata` writes it}, in definition order,
                          # imported types included (each one standalone: nested types inline)
    result.positions      # {full name: Position(line, column, file)} where each type is defined
    result.field_positions  # {(record full name, field name): Position} where each field is declared
    result.warnings       # IdlWarning(position, message): misplaced doc comments and the like
    result.files          # every file read: the .avdl first, then what it imports
    write_schemata(result, Path("out"))  # one <Name>.avsc per named type, as idl2schemata does

Error positions are 1-based line and column. Imports resolve relative to the importing file,
then in ``import_dirs`` (the analogue of Java's classpath).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from govern.avro.errors import SchemaParseError
from govern.avro.idl import jackson
from govern.avro.idl.compiler import CompileError, Compiler, IdlWarning, check_defaults
from govern.avro.idl.model import ModelError, protocol_json, standalone_json
from govern.avro.jsonpos import Position

_WRITE_RECURSION_LIMIT = 20_000

__all__ = ["IdlError", "IdlResult", "IdlWarning", "compile_idl", "schemata_files", "write_schemata"]


class IdlError(SchemaParseError):
    """An IDL file (or a file it imports) that does not compile: ``file:line:col: reason``."""

    def __init__(self, reason: str, position: Position | None, file: str | None = None) -> None:
        super().__init__(reason, pointer=None, position=position, file=file)


@dataclass(frozen=True)
class IdlResult:
    kind: Literal["protocol", "schema"]
    json: Any
    main_schema: Any
    named_types: dict[str, Any]
    positions: dict[str, Position | None]
    #: {(record full name, field name): Position} where each field is declared
    field_positions: dict[tuple[str, str], Position | None]
    warnings: tuple[IdlWarning, ...]
    files: tuple[Path, ...]

    def text(self) -> str:
        """The JSON ``avro-tools idl`` prints for this file (without a final newline, as it does)."""
        if self.json is None:
            raise IdlError(
                "the IDL file declares neither a protocol nor a main schema", None, str(self.files[0])
            )
        return jackson.dumps(self.json)


def compile_idl(path: Path, import_dirs: Iterable[Path] = ()) -> IdlResult:
    """Compile an ``.avdl`` file and its imports; raise ``IdlError`` naming file:line:col if bad."""
    compiler = Compiler(tuple(Path(d) for d in import_dirs))
    limit = sys.getrecursionlimit()
    try:
        compiled = compiler.compile_file(Path(path))
        # Writing a type inlines the types it uses, as deep as they chain; Python frames are cheap.
        sys.setrecursionlimit(max(limit, _WRITE_RECURSION_LIMIT))
        types = list(compiler.context.types.values())
        protocol = compiled.protocol
        check_defaults(types, list(protocol.messages.values()) if protocol else [])
        named = {t.fullname: standalone_json(t) for t in types}
        main = standalone_json(compiled.main) if compiled.main is not None else None
        printed = protocol_json(protocol) if protocol else main
    except CompileError as err:
        raise IdlError(err.reason, err.position, str(path)) from None
    except ModelError as err:  # a name left unresolved where no position is known
        raise IdlError(str(err), None, str(path)) from None
    except RecursionError:
        raise IdlError("types nest too deeply to write out", None, str(path)) from None
    finally:
        sys.setrecursionlimit(limit)
    return IdlResult(
        kind="protocol" if protocol else "schema",
        json=printed,
        main_schema=None if protocol else main,
        named_types=named,
        positions={t.fullname: t.position for t in types},
        field_positions={(t.fullname, f.name): f.position for t in types for f in getattr(t, "fields", ())},
        warnings=tuple(compiler.warnings),
        files=tuple(compiler.files),
    )


def schemata_files(result: IdlResult) -> dict[str, str]:
    """``idl2schemata``'s files: ``<simple name>.avsc`` -> text (a later same name replaces one)."""
    files: dict[str, str] = {}
    for schema in result.named_types.values():
        files[f"{schema['name']}.avsc"] = jackson.dumps(schema) + "\n"
    return files


def write_schemata(result: IdlResult, directory: Path) -> list[Path]:
    """Write every named type as ``idl2schemata`` does; all files or (on an OS error) none new."""
    files = schemata_files(result)
    directory.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, text in files.items():
            handle, temp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            staged.append((temp, directory / name))
    except OSError:
        for temp, _ in staged:
            Path(temp).unlink(missing_ok=True)
        raise
    for temp, target in staged:
        os.replace(temp, target)
    return [target for _, target in staged]
