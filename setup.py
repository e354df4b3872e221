"""Build of govern's one native part, the Rust crate rust/govern_codec, as the Python extension
`govern._native` (PyO3, through setuptools-rust); everything else is in pyproject.toml.

`pip install -e .` builds it (release profile) and needs `cargo` (https://rustup.rs);
ci/setup.sh checks for it first.
"""

from setuptools import setup
from setuptools_rust import Binding, RustExtension

setup(
    rust_extensions=[
        RustExtension(
            "govern._native",
            path="rust/govern_codec/Cargo.toml",
            binding=Binding.PyO3,
            features=["python"],
            debug=False,  # editable installs too: a debug build decodes ~10x slower
        )
    ]
)
