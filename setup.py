"""The optional C extension of govern (everything else is in pyproject.toml).

`govern.fixtures._validatefast` makes replay's validation pass ~10x faster; where it cannot be built
(no compiler or Python headers) the install goes on without it and replay uses its Python path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "govern.fixtures._validatefast",
            ["govern/fixtures/_validatefast.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
