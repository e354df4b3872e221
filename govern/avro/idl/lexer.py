"""Tokens of Avro IDL, as the lexer of Apache Avro's grammar (``Idl.g4``) cuts them.

The longest match wins and, at equal length, the earlier rule (a keyword before an identifier,
``NaN`` a number before an identifier). Documentation comments (``/** ... */``) are kept as hidden
tokens: the compiler attaches them to declarations as Avro Java does; other comments and
whitespace are dropped. Unlike ANTLR's lexer, which reports a stray character and skips it, a
character no rule matches is an error here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = frozenset(
    "protocol namespace import idl schema enum fixed error record array map union boolean int long "
    "float double string bytes null true false decimal date time_ms timestamp_ms local_timestamp_ms "
    "uuid void oneway throws".split()
)
SYMBOLS = frozenset("(){}[]:;,@=.-?<>")

# Token kinds besides keywords (kind == the keyword text) and symbols (kind == the character).
DOC = "doc-comment"
IDENT = "identifier"
STRING = "string literal"
INT = "integer literal"
FLOAT = "floating-point literal"
EOF = "end of file"

_ID_PART = r"[^\W\d]\w*"  # XID_Start (or '_') then XID_Continue*; checked with str.isidentifier
_IDENT = re.compile(rf"(?:`{_ID_PART}`|{_ID_PART})(?:[.-](?:`{_ID_PART}`|{_ID_PART}))*")
_STRING = re.compile(r'"(?:[^\\\n\r\b\f\t"]|\\(?:[nrbft\\\'"]|[0-3][0-7]{2}|[0-7]{1,2}|u[0-9a-fA-F]{4}))*"')
_INT = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|[1-9][0-9]*|0[0-7]*)[lL]?")
_FLOAT = re.compile(
    r"[+-]?(?:NaN|Infinity"
    r"|(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?"
    r"|[0-9]+(?:[eE][+-]?[0-9]+[fFdD]?|[fFdD])"
    r"|0[xX](?:[0-9a-fA-F]*\.[0-9a-fA-F]+|[0-9a-fA-F]+\.?)[pP][+-]?[0-9]+[fFdD]?)"
)
_WS = re.compile(r"[ \t\n\r\f]+")
_COMMENT_END = re.compile("\r\n?|\n")
_SUBSTITUTE = "\x1a"  # the grammar ends the input at an ASCII SUB character


_NUMBER_START = frozenset("0123456789+-.")


def _candidates(ch: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The rules a token starting with ``ch`` may match, in the grammar's order."""
    if ch == '"':
        return ((STRING, _STRING),)
    if ch in _NUMBER_START:
        return ((INT, _INT), (FLOAT, _FLOAT))
    if ch in "NI":  # NaN and Infinity are numbers, NaNa an identifier
        return ((FLOAT, _FLOAT), (IDENT, _IDENT))
    return ((IDENT, _IDENT),)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its exact text and where it starts (1-based line and column)."""

    kind: str
    text: str
    line: int
    col: int
    index: int  # position in the token list, hidden tokens included


class LexError(ValueError):
    """Text no token rule matches: the reason and the 1-based line and column."""

    def __init__(self, reason: str, line: int, col: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.col = col


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, documentation comments included (kind ``DOC``), ending with EOF."""
    cut = text.find(_SUBSTITUTE)
    if cut >= 0:
        text = text[:cut]
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    end = len(text)

    def advance(upto: int) -> None:
        nonlocal line, line_start
        breaks = text.count("\n", pos, upto)  # ANTLR counts lines at LF only
        if breaks:
            line += breaks
            line_start = text.rfind("\n", pos, upto) + 1

    while pos < end:
        col = pos - line_start + 1
        ch = text[pos]
        if ch in " \t\n\r\f":
            stop = _WS.match(text, pos).end()
            advance(stop)
            pos = stop
            continue
        if text.startswith("//", pos):
            newline = _COMMENT_END.search(text, pos)
            stop = newline.end() if newline else end  # a last line without its newline is fine
            advance(stop)
            pos = stop
            continue
        if text.startswith("/*", pos):
            close = text.find("*/", pos + 3 if text.startswith("/**", pos) else pos + 2)
            if text.startswith("/**/", pos):
                close = pos + 2
            if close < 0:
                raise LexError("unterminated comment", line, col)
            stop = close + 2
            if text.startswith("/**", pos) and stop - pos > 4:
                tokens.append(Token(DOC, text[pos:stop], line, col, len(tokens)))
            advance(stop)
            pos = stop
            continue
        best_kind, best_end = "", pos
        for kind, pattern in _candidates(ch):
            m = pattern.match(text, pos)
            if m and m.end() > best_end:  # strictly longer: the earlier rule wins ties
                best_kind, best_end = kind, m.end()
        if best_kind == IDENT:
            word = text[pos:best_end]
            if not all(part.strip("`").isidentifier() for part in re.split(r"[.-]", word)):
                best_kind, best_end = "", pos
                word = ""
            elif word in KEYWORDS:
                best_kind = word
        if best_end == pos and ch in SYMBOLS:
            best_kind, best_end = ch, pos + 1
        if best_end == pos:
            if ch == '"':
                raise LexError("unterminated or malformed string literal", line, col)
            raise LexError(f"unexpected character {ch!r}", line, col)
        tokens.append(Token(best_kind, text[pos:best_end], line, col, len(tokens)))
        advance(best_end)
        pos = best_end
    tokens.append(Token(EOF, "", line, pos - line_start + 1, len(tokens)))
    return tokens
