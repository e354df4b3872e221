#!/usr/bin/env bash
# The main job README.md gives: set up on a fresh machine, then run the demo on the embedded defaults.
# Extra arguments go to `govern demo` (see `govern demo --help`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash ci/setup.sh
exec .venv/bin/govern demo "$@"
