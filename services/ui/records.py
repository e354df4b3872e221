"""Pure data shaping for the UI: API bodies into request records, decoded records into JSON.

Everything the UI stores or sends is the *plain* form of a record: decimals as strings (money is
never a float), timestamps as epoch milliseconds, uuids as strings. The Kafka feed, the consumer
pact tests and the HTTP answers all use this one form.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from services.common.records import now_ms

DEFAULT_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "BTC", "ETH")
"""Currencies the exchange trades unless configured otherwise."""

MAX_INTEGER_DIGITS = 16
"""decimal(24, 8): at most 16 digits before the point."""
SCALE = 8
"""decimal(24, 8): at most 8 digits after the point."""

ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_AMOUNT_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
NAME_MAX = 100


class BadRequest(ValueError):
    """A request body the API refuses (HTTP 422), naming the field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.message, "field": self.field}


def plain(value: Any) -> Any:
    """The JSON form of a decoded Avro value: Decimal -> str, datetime -> epoch ms, UUID -> str."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return int(value.timestamp() * 1000)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _object(body: Any, allowed: Iterable[str]) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise BadRequest("the body must be a JSON object")
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise BadRequest(f"unknown field {extra[0]!r}", extra[0])
    return body


def _required_text(body: Mapping[str, Any], name: str, limit: int = NAME_MAX) -> str:
    value = body.get(name)
    if value is None:
        raise BadRequest(f"{name} is required", name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} must be a non-empty string", name)
    if len(value) > limit:
        raise BadRequest(f"{name} must be at most {limit} characters", name)
    return value.strip()


def parse_amount(value: Any, name: str = "amount") -> Decimal:
    """A positive decimal(24, 8) from a JSON string like "10.50"; BadRequest otherwise."""
    if value is None:
        raise BadRequest(f"{name} is required", name)
    if isinstance(value, bool) or not isinstance(value, str):
        raise BadRequest(f'{name} must be a decimal string such as "10.50", not a JSON {_kind(value)}', name)
    text = value.strip()
    if text.startswith("-"):
        raise BadRequest(f"{name} must be greater than zero, got {value!r}", name)
    if not _AMOUNT_TEXT.match(text):
        raise BadRequest(f'{name} must be a decimal number such as "10.50", got {value!r}', name)
    try:
        amount = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid text
        raise BadRequest(f"{name} is not a number: {value!r}", name) from None
    if amount <= 0:
        raise BadRequest(f"{name} must be greater than zero, got {value!r}", name)
    integer, _, fraction = text.partition(".")
    if len(fraction.rstrip("0")) > SCALE:
        raise BadRequest(f"{name} has more than {SCALE} decimal places: {value!r}", name)
    if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise BadRequest(f"{name} is too large (at most {MAX_INTEGER_DIGITS} digits before the point)", name)
    return amount.quantize(Decimal(1).scaleb(-SCALE))


def _kind(value: Any) -> str:
    return {int: "number", float: "number", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def parse_currency(value: Any, currencies: Iterable[str], name: str = "currency") -> str:
    """One of the traded currency codes; BadRequest naming the known ones otherwise."""
    known = tuple(currencies)
    if value is None:
        raise BadRequest(f"{name} is required", name)
    if not isinstance(value, str) or value not in known:
        raise BadRequest(f"{name} {value!r} is not traded here; use one of {', '.join(known)}", name)
    return value


def account_request(body: Any, account_id: str, guid: str | None = None) -> dict[str, Any]:
    """An AccountRequest CREATE record from `{first_name, last_name, email?}`."""
    body = _object(body, ("first_name", "last_name", "email"))
    email = body.get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 200):
        raise BadRequest("email must be an e-mail address such as ada@example.org", "email")
    return {
        "guid": guid or str(uuid.uuid4()),
        "account_id": account_id,
        "action": "CREATE",
        "first_name": _required_text(body, "first_name"),
        "last_name": _required_text(body, "last_name"),
        "email": email,
        "address": None,
        "requested_at": now_ms(),
    }


TRANSACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "DEPOSIT": ("amount", "currency"),
    "WITHDRAW": ("amount", "currency"),
    "EXCHANGE": ("amount", "currency", "target_currency"),
}


def transaction_request(
    kind: str, body: Any, account_id: str, currencies: Iterable[str], guid: str | None = None
) -> dict[str, Any]:
    """A TransactionRequest record (amount as Decimal) for DEPOSIT, WITHDRAW or EXCHANGE."""
    known = tuple(currencies)
    body = _object(body, TRANSACTION_FIELDS[kind])
    for name in TRANSACTION_FIELDS[kind]:
        if body.get(name) is None:
            raise BadRequest(f"{name} is required", name)
    amount = parse_amount(body.get("amount"))
    currency = parse_currency(body.get("currency"), known)
    target = None
    if kind == "EXCHANGE":
        target = parse_currency(body.get("target_currency"), known, "target_currency")
        if target == currency:
            raise BadRequest("target_currency must differ from currency", "target_currency")
    return {
        "guid": guid or str(uuid.uuid4()),
        "account_id": account_id,
        "type": kind,
        "amount": amount,
        "currency": currency,
        "target_currency": target,
        "requested_at": now_ms(),
    }
