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


def _help(*command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "govern", *command, "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "80", "PATH": "", "TERM": "dumb"},
        check=True,
    )
    return result.stdout


def test_help_at_80_columns_reads_as_paragraphs_with_placeholders_in_words() -> None:
    for command in (("check",), ("compat",), ("register",), ("release-plan",), ("catalog",), ("replay",)):
        text = _help(*command)
        for python_type in ("<str>", "<bool>", "<list[", "<path>", "<int>", "{"):
            assert python_type not in text, (command, python_type)
        paragraphs: list[list[str]] = [[]]
        for line in text.split("╭")[0].splitlines():  # usage and description, before the panels
            if line.strip():
                paragraphs[-1].append(line.strip())
            elif paragraphs[-1]:
                paragraphs.append([])
        for lines in paragraphs[1:]:
            # a wrapped docstring broke mid-sentence: a short line in the middle of a paragraph
            assert all(len(line) >= 50 for line in lines[:-1]), (command, lines)
    check = _help("check")
    for word in ("--against             REF", "--registry            URL", "--subject             SUBJECT"):
        assert word in check, word
    assert "gitlab (a code-quality report)" in " ".join(check.split())
