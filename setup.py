"""Build of govern's optional C extensions; everything else is in pyproject.toml (setuptools reads both).

They make the fixture paths run at the speed of Kafka rather than of Python:

- `govern.recording._validatefast`: replay's validation pass (fixture JSON lines to Avro);
- `govern.recording._native_replay`: replay's produce pass, on librdkafka's C API. It needs no
  librdkafka headers: it opens the librdkafka that confluent-kafka ships at run time (dlopen);
- `govern.recording._recordfast`: record's consume loop and decoding (messages to fixture lines),
  on librdkafka's C API the same way (both open it through `_rdkafka.h`).

Each is `optional=True`: where it cannot be compiled (no compiler, no Python headers), the install
goes on without it and the pure-Python path runs; `GOVERN_NO_NATIVE=1` turns them all off.
"""

from setuptools import Extension, setup

WARNINGS = [
    "-Wall",
    "-Wextra",
    "-Wno-missing-field-initializers",
    "-Wno-unused-parameter",
    "-Wno-missing-braces",
]


def native(name: str, **options: object) -> Extension:
    return Extension(
        f"govern.recording.{name}",
        [f"govern/recording/{name}.c"],
        depends=["govern/recording/_rdkafka.h"],
        extra_compile_args=["-O2", "-std=c11", "-D_GNU_SOURCE", *WARNINGS],
        optional=True,
        **options,
    )


setup(
    ext_modules=[
        native("_validatefast"),
        native("_native_replay", libraries=["dl"]),
        native("_recordfast", libraries=["dl"]),
    ]
)
