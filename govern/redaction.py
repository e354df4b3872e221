"""No secret in any output: registry passwords and tokens are masked wherever text leaves govern.

Credentials are described in `govern.registry.credentials`; this module only knows what a secret
looks like, so that the CLI's error printer and every report can apply it cheaply.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

MASK = "***"
PASSWORD_ENV = "GOVERN_REGISTRY_PASSWORD"
TOKEN_ENV = "GOVERN_REGISTRY_TOKEN"
SECRET_ENV = (PASSWORD_ENV, TOKEN_ENV)

# scheme://user:password@host -> the password part (any scheme: http, https, kafka, ...)
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*):(?P<secret>[^/@\s]*)@")


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with URL passwords and the secret values of the environment replaced by `***`."""
    environ = os.environ if environ is None else environ
    text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)
    for name in SECRET_ENV:
        secret = environ.get(name)
        if secret and len(secret) >= 3:  # masking "a" everywhere would garble, not protect
            text = text.replace(secret, MASK)
    return text
