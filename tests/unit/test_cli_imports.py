"""`govern --help` stays light: the heavy libraries are imported by the commands that use them."""

import subprocess
import sys

HEAVY = ("confluent_kafka", "fastavro", "starlette", "yaml", "govern.kafka", "govern.catalog")


def test_help_does_not_import_heavy_libraries() -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['govern', '--help']\n"
        "try:\n"
        "    runpy.run_module('govern', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


def test_broker_timeout_default_matches_the_library() -> None:
    from govern.cli.broker import BROKER_STARTUP_TIMEOUT_S as shown
    from govern.kafka import BROKER_STARTUP_TIMEOUT_S

    assert shown == BROKER_STARTUP_TIMEOUT_S
