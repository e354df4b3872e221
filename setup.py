"""Build of govern's one C extension; everything else is in pyproject.toml.

`govern.fixtures._native_replay` makes replay's produce pass run at librdkafka's speed. It is
optional: without a C compiler or Python headers the build goes on without it and replay uses
its pure-Python path (govern/fixtures/spool.py). It needs no librdkafka headers: it opens the
librdkafka that confluent-kafka ships at run time (dlopen), so only libdl is linked.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "govern.fixtures._native_replay",
            sources=["govern/fixtures/_native_replay.c"],
            extra_compile_args=["-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wno-missing-braces"],
            libraries=["dl"],
            optional=True,
        )
    ]
)
