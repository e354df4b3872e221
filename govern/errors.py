"""Exit codes and the error types the CLI turns into them (DESIGN §3)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes users script against; never 0 when the question could not be answered."""

    OK = 0
    FINDINGS = 1  # incompatible schemas, unsafe plan
    BAD_INPUT = 2  # invalid schema, unknown subject, bad file, usage
    ENVIRONMENT = 3  # registry or broker unreachable, java missing, timeout


class GovernError(Exception):
    """An error with a one-line cause, an optional remedy and the exit code it maps to."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(GovernError):
    """Bad input: a file, schema, contract or option is wrong (exit 2)."""

    exit_code = ExitCode.BAD_INPUT


class EnvironmentProblem(GovernError):
    """The environment is missing something or unreachable (exit 3)."""

    exit_code = ExitCode.ENVIRONMENT
