#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: a virtualenv with govern installed, and Kafka's jars fetched.
# Sourced by ci/demo.sh and ci/test.sh; safe to run again (each step is skipped when done).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
# govern's fixture codec is a Rust crate (rust/govern_codec) that pip builds: cargo must be there.
# rustup puts it in ~/.cargo/bin, which a non-login shell (CI's, say) may not have on PATH.
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
  echo "govern: cargo not found: install Rust (https://rustup.rs, or apt-get install cargo), then run ci/setup.sh again" >&2
  exit 3
fi
if [ ! -x .venv/bin/python ]; then
  echo "govern: creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.govern-installed
# Reinstalled when the project's metadata or the Rust crate changes: an editable install builds the
# extension (rust/govern_codec) once and does not notice its sources changing afterwards.
if [ ! -f "$stamp" ] || [ -n "$(find pyproject.toml setup.py rust/govern_codec/src rust/govern_codec/Cargo.toml -newer "$stamp" \( -name pyproject.toml -o -name setup.py -o -name '*.rs' -o -name Cargo.toml \) 2>/dev/null | head -1)" ]; then
  echo "govern: installing govern and its dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi
# The exchange (services/) is a distribution of its own, installed beside govern as its users would.
exchange_stamp=.venv/.exchange-installed
if [ ! -f "$exchange_stamp" ] || [ services/pyproject.toml -nt "$exchange_stamp" ]; then
  echo "govern: installing the exchange (services/) into .venv" >&2
  .venv/bin/python -m pip install --quiet -e ./services
  touch "$exchange_stamp"
fi
# Debian chromium + chromedriver for the browser test (tests/exchange/test_ui_browser.py), when missing and
# we may install them (root with apt-get); otherwise that test skips and says why.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "govern: installing chromium and chromium-driver (apt-get)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2
  else
    echo "govern: no /usr/bin/chromium (not root with apt-get): the browser test will skip" >&2
  fi
fi
.venv/bin/govern broker fetch >&2  # Apache Kafka jars from Maven Central, once (cached by version)
# Node's schema-registry clients, for the conformance tests of our registry (tests/conformance),
# pinned by ci/node/package-lock.json; reinstalled when the lock file changes.
if command -v npm >/dev/null; then
  if [ ! -d ci/node/node_modules ] || [ ci/node/package-lock.json -nt ci/node/node_modules ]; then
    echo "govern: installing the Node schema-registry clients (npm ci in ci/node)" >&2
    npm ci --prefix ci/node --no-audit --no-fund --loglevel=error >&2
    touch ci/node/node_modules
  fi
else
  echo "govern: no npm: the Node registry-client conformance tests will skip" >&2
fi
