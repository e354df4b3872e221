#!/usr/bin/env bash
# The test command README.md gives and .ci/run calls: sets everything up on a fresh machine
# (virtualenv, install, Kafka's jars), then runs pytest. The kafka_cluster fixture starts a real
# single-node Apache Kafka for the session (or uses KAFKA_BOOTSTRAP_SERVERS) and the registry
# fixture an embedded schema registry, so no server needs starting by hand.
# Extra arguments go to pytest, e.g. `bash ci/test.sh -m "not kafka and not slow"` for a quick run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash ci/setup.sh
export PACT_DO_NOT_TRACK=true
# the codec crate's own tests (the differential tests against fastavro run under pytest); cargo
# where ci/setup.sh found it
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$PATH:$HOME/.cargo/bin"
cargo test --quiet --manifest-path rust/govern_codec/Cargo.toml >&2
exec .venv/bin/python -m pytest "$@"
