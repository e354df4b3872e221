import subprocess
import sys

from govern.cli.app import report_error
from govern.errors import InputError

COMMANDS = (
    "broker",
    "catalog",
    "check",
    "compat",
    "record",
    "register",
    "registry",
    "release-plan",
    "replay",
)


def test_help_lists_every_command_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "govern", "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": ""},
        check=True,
    )
    for command in COMMANDS:
        assert f"│ {command} " in result.stdout, command


def test_version_is_printed() -> None:
    result = subprocess.run([sys.executable, "-m", "govern", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("govern ")


def test_error_text_with_brackets_is_printed_verbatim(capsys) -> None:
    report_error(InputError("bad [/x] value [b]c[/b]", hint="use [this]"))
    err = capsys.readouterr().err
    assert "error: bad [/x] value [b]c[/b]" in err
    assert "hint: use [this]" in err
