"""Project configuration with one precedence order (DESIGN §3).

flags > environment (GOVERN_REGISTRY_URL, KAFKA_BOOTSTRAP_SERVERS) > govern.toml or
pyproject.toml's [tool.govern] > defaults. Commands call `load_config(root, **flags)` once.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from govern.errors import InputError

ENVIRONMENT = {"registry_url": "GOVERN_REGISTRY_URL", "bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS"}


@dataclass(frozen=True)
class Config:
    """Where a project's schemas, contracts, registry and Kafka cluster are."""

    root: Path = Path(".")
    schemas_dir: str = "schemas"
    contracts_dir: str = "contracts"
    # None means "the embedded default": a local registry / broker that govern starts itself.
    registry_url: str | None = None
    bootstrap_servers: str | None = None
    default_compatibility: str = "BACKWARD"  #: a topic's level when topics.yaml sets none
    # How to reach a secured registry (govern.registry.credentials); passwords and tokens are only
    # ever read from the environment, never from a file that could be committed.
    registry_user: str | None = None
    registry_ca_location: str | None = None
    registry_certificate_location: str | None = None
    registry_key_location: str | None = None
    # [lint]: which lint rules `govern check` reports and which fail it (govern.report.policy)
    lint: dict[str, Any] = field(default_factory=dict, hash=False)


_KEYS = {f.name for f in fields(Config)} - {"root"}
_FOLDERS = ("schemas_dir", "contracts_dir")


def _check_values(path: Path, data: dict[str, Any]) -> None:
    """Each setting is text; folders stay inside the project; the level is one Confluent knows."""
    from govern.compat.levels import Level

    for key, value in data.items():
        if key == "lint":  # a table: its own rules name the file too
            from govern.report.policy import LintPolicy

            LintPolicy.parse(value, str(path))
            continue
        if not isinstance(value, str) or not value.strip():
            raise InputError(
                f"{path}: setting {key!r} must be a non-empty string", hint=f'e.g. {key} = "..."'
            )
        if key in _FOLDERS and (Path(value).is_absolute() or ".." in Path(value).parts):
            raise InputError(
                f"{path}: {key} {value!r} must be a folder inside the project",
                hint="a path relative to the root",
            )
        if key == "default_compatibility":
            try:
                Level.parse(value)
            except InputError:  # its wording is for the REST API: name the file here
                levels = ", ".join(level.value for level in Level)
                raise InputError(
                    f"{path}: invalid default_compatibility {value!r}", hint=f"use one of {levels}"
                ) from None


def _read_file_settings(root: Path) -> dict[str, Any]:
    """Settings from govern.toml, or else from pyproject.toml's [tool.govern]."""
    for name, section in (("govern.toml", None), ("pyproject.toml", ("tool", "govern"))):
        path = root / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{path}: invalid TOML: {error}", hint="fix the file's syntax") from error
        for key in section or ():
            data = data.get(key, {})
        if section and not data:
            continue
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise InputError(
                f"{path}: unknown setting {unknown[0]!r}",
                hint=f"known settings: {', '.join(sorted(_KEYS))}",
            )
        _check_values(path, data)
        return dict(data)
    return {}


def load_config(root: Path | str = ".", **flags: Any) -> Config:
    """Resolve the configuration for the project at `root`; flags set to None do not override."""
    root = Path(root)
    config = replace(Config(root=root), **_read_file_settings(root))
    from_env = {key: os.environ[var] for key, var in ENVIRONMENT.items() if os.environ.get(var)}
    config = replace(config, **from_env)
    return replace(config, **{key: value for key, value in flags.items() if value is not None})
