"""Registry errors: one exception per Confluent `error_code`, shared by the server and the client.

The server raises these and renders them as `{"error_code": N, "message": "..."}` with the HTTP
status; the client maps a response's `error_code` back to the same class, so callers can write
`except SubjectNotFound` whichever side they are on.
"""

from __future__ import annotations

from govern.errors import EnvironmentProblem, ExitCode, GovernError


class RegistryError(GovernError):
    """An error answer of the registry REST API (HTTP status + Confluent `error_code`)."""

    status: int = 500
    error_code: int = 500
    exit_code = ExitCode.BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        error_code: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        if status is not None:
            self.status = status
        if error_code is not None:
            self.error_code = error_code

    def to_body(self) -> dict[str, object]:
        """The JSON error body Confluent sends."""
        return {"error_code": self.error_code, "message": self.message}


class BadRequest(RegistryError):
    """Malformed request body (not JSON, wrong shape)."""

    status, error_code = 400, 400


class Unauthorized(RegistryError):
    """Missing or wrong credentials."""

    status, error_code = 401, 401


class Forbidden(RegistryError):
    """Authenticated, but the user's role does not allow the operation."""

    status, error_code = 403, 403


class NotFound(RegistryError):
    """No such route or resource (generic 404)."""

    status, error_code = 404, 404


class SubjectNotFound(NotFound):
    status, error_code = 404, 40401


class VersionNotFound(NotFound):
    status, error_code = 404, 40402


class SchemaNotFound(NotFound):
    status, error_code = 404, 40403


class SubjectSoftDeleted(NotFound):
    status, error_code = 404, 40404


class SubjectNotSoftDeleted(NotFound):
    status, error_code = 404, 40405


class VersionSoftDeleted(NotFound):
    status, error_code = 404, 40406


class VersionNotSoftDeleted(NotFound):
    status, error_code = 404, 40407


class SubjectConfigNotFound(NotFound):
    status, error_code = 404, 40408


class SubjectModeNotFound(NotFound):
    status, error_code = 404, 40409


class MethodNotAllowed(RegistryError):
    status, error_code = 405, 405


class IncompatibleSchema(RegistryError):
    """The schema breaks the subject's compatibility level (409; Confluent ≤ 8.0.3 uses code 409)."""

    status, error_code = 409, 409
    exit_code = ExitCode.FINDINGS


class PayloadTooLarge(RegistryError):
    status, error_code = 413, 413


class UnsupportedMediaType(RegistryError):
    status, error_code = 415, 415


class Unprocessable(RegistryError):
    """Generic 422 (request understood but refused)."""

    status, error_code = 422, 422


class InvalidSchema(Unprocessable):
    status, error_code = 422, 42201


class InvalidVersion(Unprocessable):
    status, error_code = 422, 42202


class InvalidCompatibilityLevel(Unprocessable):
    status, error_code = 422, 42203


class InvalidMode(Unprocessable):
    status, error_code = 422, 42204


class OperationNotPermitted(Unprocessable):
    status, error_code = 422, 42205


class ReferenceExists(Unprocessable):
    status, error_code = 422, 42206


class IdMismatch(Unprocessable):
    status, error_code = 422, 42207


class InvalidSubject(Unprocessable):
    status, error_code = 422, 42208


class SchemaTooLarge(Unprocessable):
    status, error_code = 422, 42209


class TooManyRequests(RegistryError):
    """Too many failed logins from this user name or address: try again after `retry_after` seconds."""

    status, error_code = 429, 429
    exit_code = ExitCode.ENVIRONMENT

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(RegistryError):
    """The registry failed (5xx): an environment problem from the caller's point of view."""

    status, error_code = 500, 500
    exit_code = ExitCode.ENVIRONMENT


class ServerBusy(ServerError):
    """Too many requests in progress: try again after `retry_after` seconds."""

    status, error_code = 503, 503
    retry_after = 1


class ForwardingFailed(ServerError):
    """A follower could not reach the leader to forward a write to it."""

    status, error_code = 500, 50003


class LeaderUnknown(ServerError):
    """No instance leads the shared store just now (an election is in progress): retry."""

    status, error_code = 500, 50004


class StoreError(ServerError):
    status, error_code = 500, 50001


class OperationTimeout(ServerError):
    status, error_code = 500, 50002


class RegistryUnreachable(EnvironmentProblem):
    """No answer from the registry at all (connection refused, DNS, TLS, timeout)."""


_BY_CODE: dict[int, type[RegistryError]] = {}
for _cls in list(globals().values()):
    if isinstance(_cls, type) and issubclass(_cls, RegistryError) and _cls is not RegistryError:
        _BY_CODE.setdefault(_cls.error_code, _cls)
_BY_CODE[40901] = IncompatibleSchema  # Confluent ≥ 8.0.4 spelling of the same error


def error_for(status: int, error_code: int | None, message: str) -> RegistryError:
    """Build the exception class that matches a response's `error_code` (falling back on the status)."""
    cls = _BY_CODE.get(error_code or -1)
    if cls is None:
        if status >= 500:
            cls = ServerError
        elif status == 404:
            cls = NotFound
        elif status == 409:
            cls = IncompatibleSchema
        elif status == 422:
            cls = Unprocessable
        else:
            cls = RegistryError
    return cls(message, status=status, error_code=error_code if error_code is not None else status)
