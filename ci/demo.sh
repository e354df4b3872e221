#!/usr/bin/env bash
# The main job README.md gives: set up on a fresh machine, then run the demo on the embedded defaults.
# The demo is the exchange's (services/demo.py); extra arguments go to it (see
# `.venv/bin/python -m services.demo --help`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash ci/setup.sh
exec .venv/bin/python -m services.demo "$@"
