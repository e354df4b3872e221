"""Build of the optional C extension; everything else is in pyproject.toml (setuptools reads both).

`optional=True`: where it cannot be compiled (no compiler, no Python headers, a big-endian
machine), the install goes on without it and `govern record` runs its pure-Python path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "govern.fixtures._recordfast",
            ["govern/fixtures/_recordfast.c"],
            extra_compile_args=[
                "-O2",
                "-std=c11",
                "-Wall",
                "-Wextra",
                "-Wno-missing-field-initializers",
                "-Wno-unused-parameter",
            ],
            optional=True,
        )
    ]
)
