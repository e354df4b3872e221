"""The UI API's OpenAPI 3.1 document, written by hand (served at /openapi.json)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.ui.records import DEFAULT_CURRENCIES, NAME_MAX

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: str | None = "Error", media: str = JSON) -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema is not None:
        body["content"] = {media: {"schema": _ref(schema)}}
    return body


_DENIED = {
    "401": _answer("No token: send `Authorization: Bearer <token>` (the one account creation returned)."),
    "403": _answer("The token belongs to another account."),
    "404": _answer("No such account (or the id is malformed)."),
}
_WRITE_ERRORS = {
    "400": _answer("The body is not JSON, or nests deeper than the limit (32 by default)."),
    "413": _answer("The body is larger than the limit (1 MiB by default)."),
    "415": _answer("The body is not declared `application/json` (a form post cannot act)."),
    "422": _answer(
        "Bad request body: unknown currency, amount not a positive decimal string, missing or "
        "unknown field. Nothing is published."
    ),
    "503": _answer("Kafka did not acknowledge the request record."),
}
_ACCOUNT_ID = {
    "name": "account_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"},
}
_AUTH = [{"bearer": []}]
_NULLABLE_TEXT = {"type": ["string", "null"]}
_DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "A decimal as text."}
_NULLABLE_DECIMAL = {"type": ["string", "null"], "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_MILLIS = {"type": "integer", "description": "UTC epoch milliseconds."}


def _schemas(currencies: Sequence[str]) -> dict[str, Any]:
    currency = {"type": "string", "enum": list(currencies)}
    amount = {
        "type": "string",
        "pattern": r"^[0-9]{1,16}(\.[0-9]{1,8})?$",
        "description": "A positive decimal string: at most 16 digits before the point, 8 after.",
        "examples": ["10.50"],
    }
    valuation = {
        "type": ["object", "null"],
        "required": ["currency", "amount"],
        "properties": {
            "currency": {"type": "string"},
            "amount": _DECIMAL,
            "rate_timestamp": {"type": ["integer", "null"]},
        },
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}, "field": _NULLABLE_TEXT},
        },
        "NewAccount": {
            "type": "object",
            "additionalProperties": False,
            "required": ["first_name", "last_name"],
            "properties": {
                "first_name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
                "last_name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
                "email": {"type": ["string", "null"], "format": "email", "maxLength": 200},
            },
        },
        "AccountCreated": {
            "type": "object",
            "required": ["account_id", "token", "guid"],
            "properties": {
                "account_id": {"type": "string"},
                "token": {"type": "string", "description": "Bearer token for this account's endpoints."},
                "guid": {"type": "string", "format": "uuid"},
            },
        },
        "AccountState": {
            "type": "object",
            "required": ["account_id", "state", "account"],
            "properties": {
                "account_id": {"type": "string"},
                "state": {
                    "type": "string",
                    "description": "pending until the account topic has it, "
                    "then the account's status in lower case (active, closed)",
                },
                "account": {"type": ["object", "null"], "description": "The Account record, as published."},
            },
        },
        "Funds": {
            "type": "object",
            "additionalProperties": False,
            "required": ["amount", "currency"],
            "properties": {"amount": amount, "currency": currency},
        },
        "Exchange": {
            "type": "object",
            "additionalProperties": False,
            "required": ["amount", "currency", "target_currency"],
            "properties": {
                "amount": {**amount, "description": "How much of `currency` to sell."},
                "currency": currency,
                "target_currency": {**currency, "description": "The currency to buy; not `currency`."},
            },
        },
        "Accepted": {
            "type": "object",
            "required": ["guid", "status", "outcome"],
            "properties": {
                "guid": {"type": "string", "format": "uuid"},
                "status": {"const": "pending"},
                "outcome": {"type": "string", "description": "Where the outcome will show."},
            },
        },
        "Outcome": {
            "type": "object",
            "required": ["guid", "account_id", "status", "request", "outcome"],
            "properties": {
                "guid": {"type": "string"},
                "account_id": {"type": "string"},
                "status": {"enum": ["pending", "success", "rejected"]},
                "request": {"type": ["object", "null"], "description": "The request as published."},
                "outcome": {
                    "type": ["object", "null"],
                    "description": "The Transaction (success: amounts debited and credited, rate) or the "
                    "TransactionRejected (reason code and message) record.",
                },
            },
        },
        "Requests": {
            "type": "object",
            "required": ["requests"],
            "properties": {"requests": {"type": "array", "items": _ref("Outcome")}},
        },
        "Wallet": {
            "type": "object",
            "required": ["account_id", "balances"],
            "properties": {
                "account_id": {"type": "string"},
                "balances": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["currency", "amount"],
                        "properties": {
                            "currency": {"type": "string"},
                            "amount": _DECIMAL,
                            "valuation": valuation,
                        },
                    },
                },
                "total_valuation": valuation,
                "updated_at": _MILLIS,
            },
        },
        "Rate": {
            "type": "object",
            "required": ["pair", "base", "quote", "bid", "ask", "timestamp"],
            "properties": {
                "pair": {"type": "string", "examples": ["BTC-USD"]},
                "base": {"type": "string"},
                "quote": {"type": "string"},
                "bid": _DECIMAL,
                "ask": _DECIMAL,
                "timestamp": _MILLIS,
            },
        },
        "Rates": {
            "type": "object",
            "required": ["rates"],
            "properties": {"rates": {"type": "array", "items": _ref("Rate")}},
        },
    }


def _account_op(summary: str, ok: str, schema: str, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": _AUTH,
        "responses": {"200": _answer(ok, schema), **_DENIED},
        **extra,
    }


def _request_op(summary: str, body: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": _AUTH,
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref(body)}}},
        "responses": {
            "202": _answer("Published on transaction-request; the outcome follows by guid.", "Accepted"),
            **_DENIED,
            **_WRITE_ERRORS,
        },
    }


def openapi_document(currencies: Sequence[str] = DEFAULT_CURRENCIES) -> dict[str, Any]:
    """The whole document; `currencies` are the codes this instance accepts."""
    account = [_ACCOUNT_ID]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "govern exchange UI",
            "version": "1",
            "description": "Requests are events: writes answer 202 with a guid once Kafka has the record; "
            "outcomes, wallets and rates come from the topics. Amounts are decimal strings.",
        },
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "Liveness",
                    "responses": {
                        "200": {"description": "ok", "content": {JSON: {"schema": {"type": "object"}}}}
                    },
                }
            },
            "/api/currencies": {
                "get": {
                    "summary": "Currencies traded",
                    "responses": {
                        "200": {
                            "description": "The codes",
                            "content": {
                                JSON: {
                                    "schema": {
                                        "type": "object",
                                        "required": ["currencies"],
                                        "properties": {
                                            "currencies": {"type": "array", "items": {"type": "string"}}
                                        },
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/api/accounts": {
                "post": {
                    "summary": "Create an account (publishes account-request)",
                    "description": "Returns the account id and its token; the account appears once the "
                    "legacy store's source side publishes it on the account topic.",
                    "requestBody": {"required": True, "content": {JSON: {"schema": _ref("NewAccount")}}},
                    "responses": {"202": _answer("Requested", "AccountCreated"), **_WRITE_ERRORS},
                }
            },
            "/api/accounts/{account_id}": {
                "parameters": account,
                "get": _account_op(
                    "The account as last published (or pending)", "The account", "AccountState"
                ),
            },
            "/api/accounts/{account_id}/deposits": {
                "parameters": account,
                "post": _request_op("Deposit (publishes transaction-request)", "Funds"),
            },
            "/api/accounts/{account_id}/withdrawals": {
                "parameters": account,
                "post": _request_op("Withdraw (publishes transaction-request)", "Funds"),
            },
            "/api/accounts/{account_id}/exchanges": {
                "parameters": account,
                "post": _request_op(
                    "Exchange: sell `amount` of `currency` for `target_currency`", "Exchange"
                ),
            },
            "/api/accounts/{account_id}/requests": {
                "parameters": account,
                "get": _account_op(
                    "The account's latest requests and outcomes, newest first", "Requests", "Requests"
                ),
            },
            "/api/accounts/{account_id}/requests/{guid}": {
                "parameters": [
                    *account,
                    {
                        "name": "guid",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    },
                ],
                "get": _account_op(
                    "The outcome of a request: pending, success (amounts, rate) or rejected (reason)",
                    "The outcome",
                    "Outcome",
                ),
            },
            "/api/accounts/{account_id}/wallet": {
                "parameters": account,
                "get": _account_op(
                    "The account's wallet with its valuation (from the wallet topic)", "The wallet", "Wallet"
                ),
            },
            "/api/rates": {
                "get": {"summary": "Latest rate per pair", "responses": {"200": _answer("Rates", "Rates")}},
            },
            "/api/rates/stream": {
                "get": {
                    "summary": "Live rates (server-sent events): latest rate per pair first, then each tick",
                    "responses": {
                        "200": {
                            "description": "`event: rate` lines, `data` a Rate as JSON",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": _schemas(currencies),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
