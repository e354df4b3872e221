"""``govern idl FILE.avdl``: Avro IDL to JSON, as ``avro-tools idl`` and ``idl2schemata`` make it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.options import err_console, report_error
from govern.errors import ExitCode, GovernError, InputError


def _write_atomically(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def idl(
    file: Annotated[Path, typer.Argument(help="The Avro IDL file (.avdl) to compile.")],
    out: Annotated[
        Path | None,
        typer.Argument(help="Write the JSON to this file instead of printing it.", show_default=False),
    ] = None,
    schemata: Annotated[
        Path | None,
        typer.Option(
            "--schemata",
            help="Write one NAME.avsc per named type into this folder, as avro-tools idl2schemata does.",
            show_default=False,
        ),
    ] = None,
    import_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--import-dir",
            help="A folder to look in for imports not found beside the importing file (repeatable).",
        ),
    ] = None,
) -> None:
    """Compile FILE to the protocol (or schema) JSON that avro-tools idl prints (exit 2 on bad input)."""
    from govern.avro.idl import compile_idl, write_schemata

    try:
        result = compile_idl(file, import_dir or [])
        for warning in result.warnings:
            err_console.print(str(warning), soft_wrap=True, markup=False)
        if schemata is not None:
            if out is not None:
                raise InputError("give either OUT or --schemata DIR, not both")
            write_schemata(result, schemata)
            return
        text = result.text()
        if out is None:
            typer.echo(text)
        else:
            _write_atomically(out, text)
    except GovernError as error:
        report_error(error)
        raise typer.Exit(int(error.exit_code)) from None
    except OSError as error:
        report_error(InputError(f"cannot write: {error}"))
        raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
