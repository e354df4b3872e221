"""The Avro IDL compiler: a recursive-descent parser over ``Idl.g4`` that builds schemas as it goes.

Each step does what Avro Java's ``IdlReader`` listener does at the same place, so the schemas (and
their JSON) come out as ``avro-tools idl`` makes them: which doc comment belongs to what, where
annotations go (type, field or declaration), ``type?`` unions ordered by the default, decimals
completed, names resolved when a file ends. Nesting is bounded, and every error names
file:line:col.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.avro.idl import lexer
from govern.avro.idl.jsonimport import JsonImportError, import_protocol, import_schema
from govern.avro.idl.lexer import Token
from govern.avro.idl.model import (
    ENUM_RESERVED,
    FIELD_RESERVED,
    MESSAGE_RESERVED,
    NO_DEFAULT,
    PROTOCOL_RESERVED,
    SCHEMA_RESERVED,
    ArraySchema,
    Context,
    Field,
    MapSchema,
    Message,
    ModelError,
    Named,
    Primitive,
    Protocol,
    Schema,
    UnionSchema,
    add_prop,
    check_namespace,
    complete_logical_type,
    copy_properties,
    decimal_problem,
    default_problem,
    message_schemas,
    name_problem,
)
from govern.avro.jsonpos import Position

MAX_DEPTH = 64  # nesting of types and JSON values in one declaration
MAX_FILE_BYTES = 16 * 1024 * 1024

_PRIMITIVE_KEYWORDS = {
    "boolean": ("boolean", None),
    "int": ("int", None),
    "long": ("long", None),
    "float": ("float", None),
    "double": ("double", None),
    "bytes": ("bytes", None),
    "string": ("string", None),
    "null": ("null", None),
    "date": ("int", "date"),
    "time_ms": ("int", "time-millis"),
    "timestamp_ms": ("long", "timestamp-millis"),
    "local_timestamp_ms": ("long", "local-timestamp-millis"),
    "uuid": ("string", "uuid"),
}
# IdlReader.INVALID_TYPE_NAMES (its "localtimestamp_ms" spelling included: Java has it so).
_INVALID_TYPE_NAMES = frozenset(
    "boolean int long float double bytes string null date time_ms timestamp_ms localtimestamp_ms uuid".split()
)
_ORDERS = ("ascending", "descending", "ignore")
_ESCAPE = re.compile(r"\\(?:([nrbft\\'\"])|([0-3][0-7]{2}|[0-7]{1,2})|u([0-9a-fA-F]{4}))")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "b": "\b", "f": "\f", "t": "\t", "\\": "\\", "'": "'", '"': '"'}
_HSPACE = "[ \t\xa0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000]"
_BREAK = "\r\n|[\n\x0b\f\r\x85\u2028\u2029]"


class CompileError(ValueError):
    """What is wrong with an IDL file and where (the position may be in an imported file)."""

    def __init__(self, reason: str, position: Position | None) -> None:
        super().__init__(f"{position}: {reason}" if position else reason)
        self.reason = reason
        self.position = position


@dataclass(frozen=True)
class IdlWarning:
    """Something Avro Java accepts but that is probably a mistake (a misplaced doc comment)."""

    position: Position
    message: str

    def __str__(self) -> str:
        return f"{self.position}: warning: {self.message}"


@dataclass
class FileResult:
    """One compiled file: a protocol, or (schema syntax) its main schema if it declares one."""

    protocol: Protocol | None
    main: Schema | None


@dataclass
class _Props:
    """Annotations before a declaration; which ones the declaration itself consumes depends on it."""

    values: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    first: Token | None = None


def strip_indents(doc: str) -> str:
    """``IdlReader.stripIndents``: drop a leading ``*``/``**`` column, else the common indent."""
    lines = re.split(f"({_BREAK})", doc)  # text, break, text, break, ...
    texts = lines[0::2]
    breaks = lines[1::2]
    for stars in ("**", "*"):
        if texts[0].startswith(stars) and all(
            re.match(f"{_HSPACE}*{re.escape(stars)}", t) for t in texts[1:]
        ):
            out = [re.sub(f"^{re.escape(stars)}{_HSPACE}?", "", texts[0])]
            for brk, text in zip(breaks, texts[1:], strict=True):
                out.append(brk + re.sub(f"^{_HSPACE}*{re.escape(stars)}{_HSPACE}?", "", text))
            return "".join(out)
    if len(texts) > 1:
        indent = re.match(f"{_HSPACE}*", texts[1]).group()  # type: ignore[union-attr]
        for text in texts[2:]:
            while indent and not text.startswith(indent):
                indent = indent[:-1]
        if indent:
            return texts[0] + "".join(b + t[len(indent) :] for b, t in zip(breaks, texts[1:], strict=True))
    return doc


def _java_trim(text: str) -> str:
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def unescape(literal: str) -> str:
    """The value of a string literal (``StringEscapeUtils.unescapeJava`` of what is between quotes)."""

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return _SIMPLE_ESCAPES[m.group(1)]
        if m.group(2):
            return chr(int(m.group(2), 8))
        return chr(int(m.group(3), 16))

    return _ESCAPE.sub(one, literal[1:-1])


def _decode_int(text: str, bounds: tuple[int, int]) -> int:
    """``Long.decode``/``Integer.decode``: decimal, ``0x`` hex or ``0`` octal, within bounds."""
    negative = text.startswith("-")
    body = text[1:] if negative else text
    if body[:2] in ("0x", "0X"):
        value = int(body[2:], 16)
    elif len(body) > 1 and body[0] == "0":
        value = int(body[1:], 8)
    else:
        value = int(body)
    value = -value if negative else value
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"number out of range: {text}")
    return value


def _parse_float(text: str) -> float:
    """``Double.parseDouble`` of a floating-point literal (sign, NaN, Infinity, hex, f/d suffix)."""
    body = text[:-1] if text[-1] in "fFdD" else text  # a hex float always ends in its exponent
    sign = -1.0 if body.startswith("-") else 1.0
    core = body.lstrip("+-")
    if core == "NaN":
        return float("nan")
    if core == "Infinity":
        return sign * float("inf")
    if core[:2].lower() == "0x":
        return sign * float.fromhex(core)
    return sign * float(core)


class Compiler:
    """Compiles one IDL file and everything it imports into one shared set of named types."""

    def __init__(self, import_dirs: tuple[Path, ...] = ()) -> None:
        self.context = Context()
        self.import_dirs = import_dirs
        self.read: set[str] = set()
        self.stack: list[str] = []
        self.shown: dict[str, str] = {}
        self.files: list[Path] = []
        self.warnings: list[IdlWarning] = []

    def compile_file(self, path: Path, at: Position | None = None) -> FileResult:
        key = os.path.normpath(os.path.abspath(path))  # identity: imported once, cycles by it
        shown = Path(os.path.normpath(path))  # positions name files as the user wrote them
        self.read.add(key)
        self.stack.append(key)
        self.shown[key] = str(shown)
        self.files.append(shown)
        try:
            try:
                data = shown.read_bytes()
            except OSError as err:
                raise CompileError(f"cannot read {shown}: {err.strerror or err}", at) from None
            if not data:
                raise CompileError("the file is empty", Position(1, 1, str(shown)))
            if len(data) > MAX_FILE_BYTES:
                raise CompileError(f"{shown} is larger than {MAX_FILE_BYTES} bytes", at)
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as err:
                reason = f"{shown} is not UTF-8 text ({err.reason} at byte {err.start})"
                raise CompileError(reason, at) from None
            return _FileParser(self, shown, text).parse()
        finally:
            self.stack.pop()

    def find_import(self, directory: Path, location: str) -> Path | None:
        """Relative to the importing file, else in the import directories (Java's classpath)."""
        candidate = directory / location
        if candidate.is_file():
            return candidate
        for base in self.import_dirs:
            if (base / location).is_file():
                return base / location
        return None


class _FileParser:
    def __init__(self, compiler: Compiler, path: Path, text: str) -> None:
        self.compiler = compiler
        self.context = compiler.context
        self.path = path
        self.file = str(path)
        try:
            self.tokens = lexer.tokenize(text)
        except lexer.LexError as err:
            raise CompileError(err.reason, Position(err.line, err.col, self.file)) from None
        self.visible = [t for t in self.tokens if t.kind != lexer.DOC]
        self.last = len(self.visible) - 1  # the end-of-file token; padded for look-ahead past it
        self.visible += [self.visible[-1]] * 4
        self.i = 0
        self.processed = -1  # index of the last token a doc comment was looked for before
        self.namespaces: list[str] = []
        self.protocol: Protocol | None = None
        self.stack: list[Schema] = []  # Avro Java's type stack, replayed for its union quirks
        self.depth = 0

    # -- tokens --------------------------------------------------------------------------------
    def pos(self, token: Token) -> Position:
        return Position(token.line, token.col, self.file)

    def peek(self, ahead: int = 0) -> Token:
        return self.visible[self.i + ahead]

    def next(self) -> Token:
        token = self.peek()
        if self.i < self.last:
            self.i += 1
        return token

    def error(self, reason: str, token: Token | None = None) -> CompileError:
        return CompileError(reason, self.pos(token or self.peek()))

    def expect(self, kind: str, what: str | None = None) -> Token:
        token = self.peek()
        if token.kind != kind:
            raise self.unexpected(what or repr(kind))
        return self.next()

    def unexpected(self, expected: str) -> CompileError:
        token = self.peek()
        found = "end of file" if token.kind == lexer.EOF else repr(token.text)
        return self.error(f"expected {expected}, found {found}")

    def identifier(self) -> str:
        token = self.peek()
        if token.kind != lexer.IDENT and token.kind not in lexer.KEYWORDS:
            raise self.unexpected("a name")
        self.next()
        return token.text.replace("`", "")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep")

    # -- doc comments --------------------------------------------------------------------------
    def doc_for(self, start: Token) -> str | None:
        """The doc comment right before ``start``; earlier unclaimed ones become warnings."""
        index = start.index
        doc_token = None
        if index > 0 and self.tokens[index - 1].kind == lexer.DOC:
            doc_token = self.tokens[index - 1]
        search_end = doc_token.index - 1 if doc_token else index
        for token in self.tokens[self.processed + 1 : search_end + 1]:
            if token.kind == lexer.DOC:
                self.compiler.warnings.append(
                    IdlWarning(
                        self.pos(token),
                        "ignoring out-of-place documentation comment (a /* ... */ comment is not a doc)",
                    )
                )
        self.processed = index
        if doc_token is None:
            return None
        return strip_indents(_java_trim(doc_token.text[3:-2]))

    # -- namespaces and names -------------------------------------------------------------------
    def namespace(self) -> str | None:
        return self.namespaces[-1] or None if self.namespaces else None

    def full_name(self, name: str) -> str:
        space = self.namespace()
        return name if "." in name or not space else f"{space}.{name}"

    def type_name(self, identifier: str, token: Token) -> str:
        name = identifier.rpartition(".")[2]
        if not re.search(r"[^\W\d]", name) or name in _INVALID_TYPE_NAMES:
            raise self.error(f"illegal type name {name!r}", token)
        return name

    @staticmethod
    def space_of(identifier: str, declared: str | None) -> str | None:
        return identifier.rpartition(".")[0] if "." in identifier else declared

    # -- the file --------------------------------------------------------------------------------
    def parse(self) -> FileResult:
        start = self.i
        self.properties()
        is_protocol = self.peek().kind == "protocol"
        self.i = start
        if is_protocol:
            self.protocol_declaration()
            main = None
        else:
            main = self.schema_file()
        if self.peek().kind != lexer.EOF:
            raise self.unexpected("end of file")
        # Names resolve when a file ends, imported or not: its types, messages and main schema.
        roots = message_schemas(self.protocol.messages.values()) if self.protocol else []
        problem = self.context.resolve(roots + ([main] if main is not None else []))
        if problem is not None:
            raise CompileError(*problem)
        if self.protocol is not None:
            self.protocol.types = list(self.context.types.values())
        return FileResult(self.protocol, main)

    def schema_file(self) -> Schema | None:
        if self.peek().kind == "namespace":
            self.next()
            token = self.peek()
            space = self.identifier()
            self.check_space(space, token)
            self.namespaces.append(space)
            self.expect(";")
        main = None
        if self.peek().kind == "schema":
            self.next()
            self.full_type()
            main = self.stack.pop()
            self.expect(";", "';'")
        while self.peek().kind != lexer.EOF:
            if self.peek().kind == "import":
                self.import_statement()
            else:
                self.named_declaration(self.properties(), required=True)
        return main

    def check_space(self, space: str, token: Token) -> None:
        try:
            check_namespace(space)
        except ModelError as err:
            raise self.error(str(err), token) from None

    def protocol_declaration(self) -> None:
        start = self.peek()
        props = self.properties()
        self.expect("protocol")
        name_token = self.peek()
        identifier = self.identifier()
        self.expect("{", "'{'")
        declared = self.consume_string(props, "namespace")
        self.namespaces.append(self.space_of(identifier, declared) or "")
        name = self.type_name(identifier, name_token)
        doc = self.doc_for(start)
        protocol_props: dict[str, Any] = {}
        self.annotate(protocol_props, props, PROTOCOL_RESERVED)
        self.protocol = Protocol(name, self.namespace(), doc, protocol_props, [], {})
        while self.peek().kind != "}":
            kind = self.peek().kind
            if kind == lexer.EOF:
                raise self.unexpected("'}'")
            if kind == "import" and self.peek(1).kind in ("idl", "protocol", "schema"):
                if self.peek(2).kind == lexer.STRING:
                    self.import_statement()
                    continue
            member_start = self.i
            member_props = self.properties()
            if self.is_named_declaration():
                self.named_declaration(member_props)
            else:
                self.i = member_start
                self.message_declaration()
        self.next()
        self.namespaces.pop()

    def is_named_declaration(self) -> bool:
        kind = self.peek().kind
        if kind in ("record", "error", "enum"):
            return self.peek(2).kind == "{"
        if kind == "fixed":
            return self.peek(2).kind == "(" and self.peek(3).kind == lexer.INT
        return False

    # -- annotations -----------------------------------------------------------------------------
    def properties(self) -> _Props:
        props = _Props()
        while self.peek().kind == "@":
            at = self.next()
            props.first = props.first or at
            name = self.identifier()
            self.expect("(", "'('")
            value_token = self.peek()
            props.values[name] = self.json_value()
            props.tokens[name] = value_token
            self.expect(")", "')'")
        return props

    def consume_string(self, props: _Props, name: str) -> str | None:
        if name not in props.values:
            return None
        value = props.values.pop(name)
        if not isinstance(value, str):
            raise self.error(f"@{name}(...) must contain a string", props.tokens[name])
        return value

    def consume_aliases(self, props: _Props) -> list[str]:
        if "aliases" not in props.values:
            return []
        value = props.values.pop("aliases")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error("@aliases(...) must contain an array of strings", props.tokens["aliases"])
        return value

    def annotate(self, target: dict[str, Any], props: _Props, reserved: frozenset[str]) -> None:
        for name, value in props.values.items():
            try:
                add_prop(target, name, value, reserved)
            except ModelError as err:
                raise self.error(str(err), props.tokens[name]) from None

    # -- named types ---------------------------------------------------------------------------------
    def named_declaration(self, props: _Props, required: bool = False) -> None:
        start = props.first or self.peek()
        kind = self.peek().kind
        if kind not in ("record", "error", "enum", "fixed"):
            raise self.unexpected(
                "'record', 'error', 'enum', 'fixed' or 'import'" if required else "a declaration"
            )
        self.next()
        name_token = self.peek()
        identifier = self.identifier()
        declared = self.consume_string(props, "namespace")
        aliases = self.consume_aliases(props)
        name = self.type_name(identifier, name_token)
        space = self.space_of(identifier, declared if declared is not None else self.namespace())
        self.check_space(space or "", name_token)
        problem = name_problem(name)
        if problem:
            raise self.error(problem, name_token)
        if kind == "fixed":
            named = self.fixed_body(start, name, space, name_token)
        elif kind == "enum":
            named = self.enum_body(start, name, space, name_token)
        else:
            self.expect("{", "'{'")
            named = Named(kind, name, space, self.doc_for(start), self.pos(name_token))
            self.namespaces.append(space or "")
            seen: set[str] = set()
            while self.peek().kind != "}":
                for f in self.field_declaration():
                    if f.name in seen:
                        raise CompileError(f"duplicate field {f.name!r} in {named.fullname}", f.position)
                    seen.add(f.name)
                    named.fields.append(f)
            self.next()
            self.namespaces.pop()
        for alias in aliases:
            named.add_alias(alias)
        try:
            copy_properties(named, props.values, ENUM_RESERVED if kind == "enum" else SCHEMA_RESERVED)
            self.context.define(named)
        except ModelError as err:
            raise self.error(str(err), name_token) from None

    def fixed_body(self, start: Token, name: str, space: str | None, name_token: Token) -> Named:
        doc = self.doc_for(start)
        self.expect("(", "'('")
        size_token = self.expect(lexer.INT, "the fixed size")
        try:
            size = _decode_int(size_token.text, (0, 2**31 - 1))
        except ValueError:
            raise self.error(f"invalid fixed size {size_token.text}", size_token) from None
        self.expect(")", "')'")
        self.expect(";", "';'")
        named = Named("fixed", name, space, doc, self.pos(name_token))
        named.size = size
        return named

    def enum_body(self, start: Token, name: str, space: str | None, name_token: Token) -> Named:
        named = Named("enum", name, space, None, self.pos(name_token))
        self.expect("{", "'{'")
        while self.peek().kind != "}":
            if named.symbols:
                self.expect(",", "',' or '}'")
            self.properties()  # annotations on symbols are accepted and dropped, as in Avro Java
            token = self.peek()
            symbol = self.identifier()
            problem = name_problem(symbol) or (
                f"duplicate enum symbol {symbol!r}" if symbol in named.symbols else None
            )
            if problem:
                raise self.error(problem, token)
            named.symbols.append(symbol)
        self.next()
        if self.peek().kind == "=":
            self.next()
            token = self.peek()
            default = self.identifier()
            if default not in named.symbols:
                raise self.error(f"enum default {default!r} is not one of its symbols", token)
            named.enum_default = default
            self.expect(";", "';'")
        named.doc = self.doc_for(start)
        return named

    def field_declaration(self) -> list[Field]:
        start = self.peek()
        field_doc = self.doc_for(start)
        self.full_type()
        fields = [self.variable(self.stack[-1], field_doc)]
        while self.peek().kind == ",":
            self.next()
            fields.append(self.variable(self.stack[-1], field_doc))
        self.expect(";", "';'")
        self.stack.pop()
        return fields

    def variable(self, type_: Schema, default_doc: str | None) -> Field:
        start = self.peek()
        props = self.properties()
        name_token = self.peek()
        name = self.identifier()
        default = NO_DEFAULT
        if self.peek().kind == "=":
            self.next()
            default = self.json_value()
        doc = self.doc_for(start) or default_doc
        problem = name_problem(name)
        if problem:
            raise self.error(problem, name_token)
        if isinstance(type_, UnionSchema) and type_.optional:
            null, other = type_.branches
            has_value = default is not NO_DEFAULT and default is not None
            type_ = UnionSchema([other, null] if has_value else [null, other], position=type_.position)
        f = Field(name, type_, doc, default, position=self.pos(name_token))
        f.aliases = list(dict.fromkeys(self.consume_aliases(props)))
        if "order" in props.values:
            order = props.values.pop("order")
            if not isinstance(order, str) or order.lower() not in _ORDERS:
                raise self.error(
                    '@order(...) must be "ascending", "descending" or "ignore"', props.tokens["order"]
                )
            f.order = order.lower()
        self.annotate(f.props, props, FIELD_RESERVED)
        return f

    # -- types --------------------------------------------------------------------------------------------
    def full_type(self) -> Schema:
        """Annotations, then a type; the type is pushed on the type stack (and returned)."""
        self.enter()
        props = self.properties()
        self.plain_type(annotated=bool(props.values))
        type_ = self.stack[-1]
        target = type_.branches[1] if isinstance(type_, UnionSchema) and type_.optional else type_
        self.annotate(target.props, props, SCHEMA_RESERVED)
        try:
            complete_logical_type(target, SCHEMA_RESERVED)
        except ModelError as err:
            raise self.error(str(err), props.first) from None
        self.depth -= 1
        return type_

    def plain_type(self, annotated: bool) -> None:
        """Push one type, as Avro Java's listener does on its type stack."""
        token = self.peek()
        kind = token.kind
        if kind in ("array", "map") and self.peek(1).kind == "<":
            self.next()
            self.next()
            self.full_type()
            self.expect(">", "'>'")
            inner = self.stack.pop()
            self.stack.append(ArraySchema(inner) if kind == "array" else MapSchema(inner))
            return
        if kind == "union" and self.peek(1).kind == "{":
            self.next()
            self.next()
            marker = UnionSchema([])
            self.stack.append(marker)
            self.full_type()
            while self.peek().kind == ",":
                self.next()
                self.full_type()
            self.expect("}", "',' or '}'")
            self.stack.append(self.union(marker, token))
            return
        if kind in _PRIMITIVE_KEYWORDS or (kind == "decimal" and self.peek(1).kind == "("):
            type_ = self.primitive()
        else:
            identifier = self.identifier()
            if annotated:
                raise self.error("type references may not be annotated", token)
            type_ = self.context.reference(self.full_name(identifier), self.pos(token))
        if self.peek().kind == "?":
            self.next()
            try:
                type_ = UnionSchema([Primitive("null"), type_], optional=True, position=self.pos(token))
            except ModelError as err:
                raise self.error(str(err), token) from None
        self.stack.append(type_)

    def union(self, marker: UnionSchema, token: Token) -> UnionSchema:
        # Avro Java pops its type stack down to the first union it finds: a member that is itself
        # a union (``T?``, ``union {...}``) ends the union there, the members before it and the
        # marker stay on the stack (a later ``void`` message may return one of them).
        members: list[Schema] = []
        while not isinstance(top := self.stack.pop(), UnionSchema):
            members.append(top)
        if top is not marker:
            self.compiler.warnings.append(
                IdlWarning(
                    self.pos(token), "a union inside a union: Avro Java keeps only the members after it"
                )
            )
        try:
            return UnionSchema(members[::-1], position=self.pos(token))
        except ModelError as err:
            raise self.error(str(err), token) from None

    def primitive(self) -> Schema:
        token = self.next()
        if token.kind != "decimal":
            base, logical = _PRIMITIVE_KEYWORDS[token.kind]
            schema = Primitive(base)
            if logical:
                schema.props["logicalType"] = logical
            return schema
        self.expect("(", "'('")
        precision_token = self.expect(lexer.INT, "the decimal precision")
        scale_token = None
        if self.peek().kind == ",":
            self.next()
            scale_token = self.expect(lexer.INT, "the decimal scale")
        self.expect(")", "')'")
        try:
            precision = _decode_int(precision_token.text, (-(2**31), 2**31 - 1))
            scale = _decode_int(scale_token.text, (-(2**31), 2**31 - 1)) if scale_token else 0
        except ValueError as err:
            raise self.error(str(err), precision_token) from None
        schema = Primitive("bytes")
        problem = decimal_problem(schema, precision, scale)
        if problem:
            raise self.error(problem, precision_token)
        schema.props.update({"logicalType": "decimal", "precision": precision, "scale": scale})
        return schema

    # -- messages --------------------------------------------------------------------------------------
    def message_declaration(self) -> None:
        assert self.protocol is not None
        start = self.peek()
        doc = self.doc_for(start)
        props = self.properties()
        if self.peek().kind == "void":
            self.next()
            if not self.stack:  # Java pushes null only onto an empty type stack
                self.stack.append(Primitive("null"))
        else:
            self.enter()
            self.plain_type(annotated=bool(props.values))
            self.depth -= 1
        name = self.identifier()
        self.expect("(", "'('")
        request: list[Field] = []
        while self.peek().kind != ")":
            if request:
                self.expect(",", "',' or ')'")
            param_start = self.peek()
            param_doc = self.doc_for(param_start)
            f = self.variable(self.full_type(), param_doc)
            self.stack.pop()
            if any(p.name == f.name for p in request):
                raise CompileError(f"duplicate parameter {f.name!r} in message {name!r}", f.position)
            request.append(f)
        self.next()
        response = self.stack.pop()  # what Java pops here: the return type, unless a union stranded one
        one_way = False
        errors: list[Schema] = []
        if self.peek().kind == "oneway":
            one_way_token = self.next()
            if not (isinstance(response, Primitive) and response.type == "null" and not response.props):
                raise self.error(f"one-way message {name!r} must return void", one_way_token)
            one_way = True
        elif self.peek().kind == "throws":
            self.next()
            while True:
                token = self.peek()
                errors.append(self.context.reference(self.full_name(self.identifier()), self.pos(token)))
                if self.peek().kind != ",":
                    break
                self.next()
            try:
                UnionSchema([Primitive("string"), *errors])
            except ModelError as err:
                raise self.error(str(err), token) from None
        self.expect(";", "';'")
        message_props: dict[str, Any] = {}
        self.annotate(message_props, props, MESSAGE_RESERVED)
        self.protocol.messages[name] = Message(name, doc, message_props, request, response, errors, one_way)

    # -- imports ---------------------------------------------------------------------------------------------
    def import_statement(self) -> None:
        self.expect("import")
        kind = self.peek().kind
        if kind not in ("idl", "protocol", "schema"):
            raise self.unexpected("'idl', 'protocol' or 'schema'")
        self.next()
        location_token = self.expect(lexer.STRING, "the file to import, as a string")
        self.expect(";", "';'")
        location = unescape(location_token.text)
        at = self.pos(location_token)
        found = self.compiler.find_import(self.path.parent, location)
        if found is None:
            raise CompileError(f"cannot import {location!r}: no such file", at)
        key = os.path.normpath(os.path.abspath(found))
        if key in self.compiler.stack:
            chain = self.compiler.stack[self.compiler.stack.index(key) :] + [key]
            raise CompileError("import cycle: " + " -> ".join(self.compiler.shown[k] for k in chain), at)
        if key in self.compiler.read:
            return  # imported before: its types are known already (Avro Java skips it too)
        found = Path(os.path.normpath(found))
        if kind == "idl":
            result = self.compiler.compile_file(found, at)
            if self.protocol is not None and result.protocol is not None:
                self.protocol.messages.update(result.protocol.messages)
            return
        self.compiler.read.add(key)
        self.compiler.files.append(found)
        try:
            if kind == "schema":
                import_schema(found, self.context)
            else:
                messages = import_protocol(found, self.context)
                if self.protocol is not None:
                    self.protocol.messages.update(messages)
        except JsonImportError as err:
            raise CompileError(err.reason, err.position or at) from None
        except ModelError as err:
            raise CompileError(str(err), at) from None

    # -- JSON values (annotations and defaults) ----------------------------------------------------------
    def json_value(self) -> Any:
        self.enter()
        token = self.next()
        kind = token.kind
        if kind == "{":
            value: Any = {}
            while self.peek().kind != "}":
                if value:
                    self.expect(",", "',' or '}'")
                key = unescape(self.expect(lexer.STRING, "a string key").text)
                self.expect(":", "':'")
                value[key] = self.json_value()
            self.next()
        elif kind == "[":
            value = []
            while self.peek().kind != "]":
                if value:
                    self.expect(",", "',' or ']'")
                value.append(self.json_value())
            self.next()
        elif kind == lexer.STRING:
            value = unescape(token.text)
        elif kind == lexer.INT:
            text = token.text.rstrip("lL")
            try:
                value = _decode_int(text, (-(2**63), 2**63 - 1))
            except ValueError as err:
                raise self.error(str(err), token) from None
        elif kind == lexer.FLOAT:
            value = _parse_float(token.text)
        elif kind in ("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[kind]
        else:
            self.i -= 1
            raise self.unexpected("a JSON value")
        self.depth -= 1
        return value


def check_defaults(types: list[Named], messages: list[Message]) -> None:
    """Every default must fit its type (Avro Java checks them once the names are resolved)."""
    fields = [f for t in types for f in t.fields] + [f for m in messages for f in m.request]
    for f in fields:
        if f.default is not NO_DEFAULT:
            try:
                bad = default_problem(f.type, f.default)
            except ModelError as err:
                raise CompileError(str(err), f.position) from None
            if bad:
                raise CompileError(f"invalid default for field {f.name!r}: {f.default!r}", f.position)
