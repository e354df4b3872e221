"""Any text given to the IDL compiler gives a result or one IdlError line, quickly, never a crash."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.avro.idl import IdlError, compile_idl

# Pieces of the language, so that generated text gets past the first token often.
_PIECES = [
    "protocol",
    "P",
    "{",
    "}",
    "record",
    "error",
    "enum",
    "fixed",
    "R",
    "E",
    "F",
    "(",
    ")",
    "16",
    ";",
    ",",
    "int",
    "long",
    "string",
    "bytes",
    "null",
    "boolean",
    "double",
    "float",
    "date",
    "time_ms",
    "timestamp_ms",
    "local_timestamp_ms",
    "uuid",
    "decimal",
    "array",
    "map",
    "union",
    "<",
    ">",
    "?",
    "=",
    "@",
    "namespace",
    "schema",
    "import",
    "idl",
    '"x.avsc"',
    "void",
    "oneway",
    "throws",
    "x",
    "y",
    "a.b",
    "`record`",
    '"text"',
    "1",
    "-2",
    "0x1F",
    "1.5e3",
    "NaN",
    "[",
    "]",
    ":",
    "true",
    "false",
    "/** doc */",
    "/* c */",
    "// line\n",
    "\n",
    "`",
    "\x1a",
    "9999999999999999999999",
]
_SOUP = st.lists(st.sampled_from(_PIECES), max_size=80).map(" ".join)
_TEXT = st.text(max_size=400)

_FUZZ = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _compile_once(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.avdl"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    started = time.monotonic()
    try:
        result = compile_idl(path)
        if result.json is not None:
            result.text()
    except IdlError as error:
        assert error.message and "\n" not in error.message
    except UnicodeEncodeError:
        pass  # not writable as a file: nothing to compile
    assert time.monotonic() - started < 2


@_FUZZ
@given(text=_TEXT)
def test_arbitrary_text_never_crashes(tmp_path: Path, text: str) -> None:
    _compile_once(tmp_path, text)


@_FUZZ
@given(text=_SOUP)
def test_token_soup_never_crashes(tmp_path: Path, text: str) -> None:
    _compile_once(tmp_path, text)


@_FUZZ
@given(body=_SOUP)
def test_protocol_bodies_never_crash(tmp_path: Path, body: str) -> None:
    _compile_once(tmp_path, f"protocol P {{ record R {{ {body} }} }}")
