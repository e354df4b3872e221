"""Per-account access: a token is an HMAC of the account id, so it needs no store.

Creating an account returns its token; every account-scoped endpoint needs
`Authorization: Bearer <token>`. A missing token is 401, another account's token 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def token_for(secret: bytes, account_id: str) -> str:
    """The access token of `account_id` under `secret` (URL-safe, 43 characters)."""
    digest = hmac.new(secret, account_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, None when absent or malformed."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def allowed(secret: bytes, account_id: str, token: str) -> bool:
    """Whether `token` opens `account_id` (constant-time comparison)."""
    return hmac.compare_digest(token_for(secret, account_id), token)
