"""Random IDL programs through avro-tools and through govern: both accept (equal JSON) or both reject.

Usage: python tests/data/idl/differential.py [--seed N] [--count N] [--keep DIR]
Needs Java 17+ and avro-tools (fetched from Maven Central as regenerate.sh does). Exit 1 if any
program is judged differently; the disagreeing programs are kept for a closer look.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from govern.avro.idl import IdlError, compile_idl

VERSION = "1.12.1"
JAR = Path.home() / f".m2/repository/org/apache/avro/avro-tools/{VERSION}/avro-tools-{VERSION}.jar"
PRIMITIVES = ["int", "long", "string", "boolean", "double", "float", "bytes", "null", "date", "time_ms"]
PRIMITIVES += ["timestamp_ms", "local_timestamp_ms", "uuid", "decimal(9,2)", "decimal(4)"]
GOOD_DEFAULTS = {"int": "3", "long": "4", "string": '"s"', "boolean": "true", "double": "1.5", "float": "2"}
GOOD_DEFAULTS |= {"bytes": '"b"', "null": "null"}
ANNOTATIONS = ['@foo("x") ', "@n.m(1) ", '@java-class("java.util.X") ', '@x-y([1, {"k": null}]) ', "@d(1.5) "]
FIELD_ANNOTATIONS = ['@order("descending") ', '@aliases(["a1"]) ', '@namespace("n") ']
DECL_ANNOTATIONS = [
    '@namespace("ns2") ',
    '@logicalType("decimal") @precision(4) @scale(1) ',
    '@aliases(["b.Old"]) ',
]
DOCS = ["", "", "", "/** d */ ", "/**\n   * multi\n   *  line\n   */\n  ", "// c\n  ", "/* plain */ "]


class Generator:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def annotations(self, extra: list[str]) -> str:
        return "".join(self.r.choice(ANNOTATIONS + extra) for _ in range(self.r.choice([0, 0, 0, 1, 2])))

    def json_value(self, depth: int = 0) -> str:
        choice = self.r.randint(0, 9 if depth < 2 else 5)
        if choice <= 3:
            return self.r.choice(["null", "true", "-2", "1.5", "NaN", "2L", "0x10", "3000000000"])
        if choice <= 5:
            return json.dumps(self.r.choice(["", "a", "EUR"]))
        items = [self.json_value(depth + 1) for _ in range(self.r.randint(0, 2))]
        if choice <= 7:
            return "[" + ", ".join(items) + "]"
        return "{" + ", ".join(f'"{self.r.choice("abc")}": {v}' for v in items) + "}"

    def type_(self, names: list[str], depth: int = 0) -> str:
        choice = self.r.randint(0, 10 if depth < 2 else 5)
        if choice <= 5:
            text = self.r.choice(names) if choice > 3 else self.r.choice(PRIMITIVES)
        elif choice <= 7:
            text = f"{'array' if choice == 6 else 'map'}<{self.type_(names, depth + 1)}>"
        else:
            text = (
                "union { "
                + ", ".join(self.type_(names, depth + 1) for _ in range(self.r.randint(1, 3)))
                + " }"
            )
        if self.r.random() < 0.2 and not text.startswith("union"):
            text += "?"
        return (self.annotations([]) if self.r.random() < 0.2 else "") + text

    def record(self, kind: str, name: str, names: list[str]) -> str:
        fields = []
        for i in range(self.r.randint(0, 4)):
            type_ = self.type_(names)
            base = type_.split()[-1].rstrip("?")
            value = GOOD_DEFAULTS.get(base, "null" if type_.endswith("?") else self.json_value())
            if self.r.random() < 0.1:
                value = self.json_value()
            variable = f"f{i} = {value}" if self.r.random() < 0.5 else f"f{i}"
            extra = self.annotations(FIELD_ANNOTATIONS) if self.r.random() < 0.3 else ""
            fields.append(f"    {self.r.choice(DOCS)}{type_} {extra}{variable};")
        body = "\n".join(fields)
        return f"{self.r.choice(DOCS)}{self.annotations(DECL_ANNOTATIONS)}{kind} {name} {{\n{body}\n  }}"

    def program(self) -> str:
        names = [f"T{i}" for i in range(self.r.randint(1, 5))]
        declarations = []
        for name in names:
            kind = self.r.choice(["record", "record", "error", "enum", "fixed"])
            if kind == "enum":
                symbols = ["A", "B", "C"][: self.r.randint(1, 3)]
                default = f" = {self.r.choice(symbols + ['Z'])};" if self.r.random() < 0.4 else ""
                declarations.append(
                    f"{self.annotations(DECL_ANNOTATIONS)}enum {name} {{ {', '.join(symbols)} }}{default}"
                )
            elif kind == "fixed":
                declarations.append(f"{self.r.choice(DOCS)}fixed {name}({self.r.choice([2, 4, 16])});")
            else:
                declarations.append(self.record(kind, name, names))
        namespace = self.r.choice(["", "com.acme", "a.b"])
        if self.r.random() < 0.5:
            messages = []
            for i in range(self.r.randint(0, 3)):
                result = self.r.choice(["void", "string", "int?", *names])
                params = ", ".join(f"{self.type_(names)} p{j}" for j in range(self.r.randint(0, 2)))
                tail = self.r.choice(["", "", " oneway", f" throws {self.r.choice(names)}"])
                messages.append(f"  {self.r.choice(DOCS)}{result} m{i}({params}){tail};")
            head = f'@namespace("{namespace}")\n' if namespace else ""
            return (
                f"{head}protocol P {{\n  " + "\n  ".join(declarations) + "\n" + "\n".join(messages) + "\n}\n"
            )
        head = f"namespace {namespace};\n" if namespace else ""
        main = f"schema {self.type_(names)};\n" if self.r.random() < 0.8 else ""
        return head + main + "\n".join(declarations) + "\n"


def avro_tools(path: Path) -> object | None:
    done = subprocess.run(
        ["java", "-jar", str(JAR), "idl", str(path)], capture_output=True, text=True, timeout=60
    )
    return json.loads(done.stdout) if done.returncode == 0 else None


def ours(path: Path) -> object | None:
    try:
        return compile_idl(path).json
    except IdlError:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--keep", type=Path, default=Path(tempfile.mkdtemp(prefix="idl-differential-")))
    args = parser.parse_args()
    if not JAR.is_file():
        subprocess.run(
            [
                "mvn",
                "-q",
                "dependency:get",
                f"-Dartifact=org.apache.avro:avro-tools:{VERSION}",
                "-Dtransitive=false",
            ],
            check=True,
        )
    generator = Generator(args.seed)
    args.keep.mkdir(parents=True, exist_ok=True)
    accepted = disagreements = 0
    for n in range(args.count):
        path = args.keep / f"p{n:04d}.avdl"
        path.write_text(generator.program(), encoding="utf-8")
        theirs, mine = avro_tools(path), ours(path)
        if theirs != mine:
            disagreements += 1
            print(f"DIFFERENT: {path}")
        else:
            accepted += theirs is not None
            path.unlink()
    print(
        f"{args.count} programs: {accepted} accepted by both with equal JSON, "
        f"{args.count - accepted - disagreements} rejected by both, {disagreements} judged differently"
    )
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
