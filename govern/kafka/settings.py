"""Client settings for a secured Kafka cluster (SASL, TLS), for every command that reaches one.

Two sources, flags winning: the properties file that GOVERN_KAFKA_CONFIG names (`KEY=VALUE`
lines, `#` and `!` comments: the shape of the Kafka tools' `--command-config` file, with
librdkafka's setting names, e.g. `sasl.username` rather than Java's `sasl.jaas.config`), and
`--kafka-config KEY=VALUE` flags (a value `@FILE` is read from that file, so a password need not
be on the command line). The settings are checked once, by librdkafka itself, before any client is
made; what a check or error says names settings, never a secret's value.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from govern.errors import InputError
from govern.redaction import MASK

KAFKA_CONFIG_ENV = "GOVERN_KAFKA_CONFIG"
"""Names a properties file of client settings for the cluster (a CI secret file, say)."""

_SECRET_WORDS = ("password", "secret", "token", "key")
_GIVEN_ELSEWHERE = {"bootstrap.servers": "--bootstrap", "metadata.broker.list": "--bootstrap"}
_QUIET = logging.getLogger("govern.kafka.settings")
_QUIET.addHandler(logging.NullHandler())


def is_secret(name: str) -> bool:
    """Whether a setting's value must never be shown (passwords, secrets, tokens, keys)."""
    return any(word in name.lower() for word in _SECRET_WORDS)


def parse_setting(item: str, where: str) -> tuple[str, str]:
    """One `KEY=VALUE` (a value `@FILE`: that file's text, stripped); `where` names its place."""
    name, sep, value = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InputError(f"{where}: {name or item!r} is not KEY=VALUE", hint="e.g. sasl.mechanism=PLAIN")
    if name in _GIVEN_ELSEWHERE:
        raise InputError(
            f"{where}: {name} is not a client setting here", hint=f"use {_GIVEN_ELSEWHERE[name]}"
        )
    value = value.strip()
    if value.startswith("@"):
        try:
            value = Path(value[1:]).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise InputError(f"{where}: {name}: cannot read {value[1:]}: {error.strerror}") from None
    return name, value


def read_properties(path: Path) -> dict[str, str]:
    """The `KEY=VALUE` lines of a properties file (blank lines and `#`/`!` comments skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise InputError(
            f"{path}: cannot read the Kafka client settings: {reason}",
            hint=f"{KAFKA_CONFIG_ENV} names a file of KEY=VALUE lines",
        ) from None
    settings: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "!")):
            name, value = parse_setting(stripped, f"{path}:{number}")
            settings[name] = value
    return settings


def connection_settings(
    flags: Sequence[str] = (), environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The client settings for the cluster: GOVERN_KAFKA_CONFIG's file, then `--kafka-config`
    flags over it; checked by librdkafka (InputError, exit 2, naming the setting)."""
    environ = os.environ if environ is None else environ
    settings: dict[str, str] = {}
    if environ.get(KAFKA_CONFIG_ENV):
        settings.update(read_properties(Path(environ[KAFKA_CONFIG_ENV])))
    for item in flags:
        name, value = parse_setting(item, "--kafka-config")
        settings[name] = value
    if settings:
        _check(settings)
    return settings


def _check(settings: Mapping[str, str]) -> None:
    """Let librdkafka refuse an unknown setting or a bad value now, before any command runs.

    A producer is the cheapest client to make and takes every global setting; it is dropped at
    once (it has no broker to reach: the address is a closed port, and nothing is sent).
    """
    from confluent_kafka import KafkaException, Producer

    try:
        Producer({"bootstrap.servers": "127.0.0.1:9", "logger": _QUIET, **settings})
    except KafkaException as error:
        reason = error.args[0].str() if error.args and hasattr(error.args[0], "str") else str(error)
        for name, value in settings.items():
            if is_secret(name) and len(value) >= 3:
                reason = reason.replace(value, MASK)
        raise InputError(
            f"Kafka client settings: {reason}",
            hint=f"settings come from --kafka-config and the file {KAFKA_CONFIG_ENV} names; "
            "names are librdkafka's (CONFIGURATION.md)",
        ) from None
