"""A topic's data contract in `contracts/data-contracts/<topic>.yaml`: what `govern register` sends.

Confluent's data contracts (schema `metadata` and `ruleSet`) belong to a subject's versions. A
project declares them per topic, beside the topic's other contracts, for its value subject(s)
and, if wanted, its key subject(s):

```yaml
# contracts/data-contracts/transaction-request.yaml
value:
  metadata:
    properties: {owner: transaction, application.major.version: "1"}
  ruleSet:
    domainRules:
      - {name: positiveAmount, kind: CONDITION, mode: WRITE, type: CEL, expr: message.amount > 0}
key: {}   # optional, same shape
```

Every subject of that topic part (one per event type under a record strategy) registers with the
contract; a changed contract is a new version, as in Confluent. The shapes are checked as the
registry checks them, so a bad rule stops `govern register` (exit 2) before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govern.catalog import Catalog
from govern.catalog._yaml import load_yaml
from govern.catalog.model import Subject
from govern.errors import InputError
from govern.registry.errors import RegistryError

FOLDER = "data-contracts"
_PARTS = ("value", "key")
_FIELDS = ("metadata", "ruleSet")


@dataclass(frozen=True)
class DataContract:
    """The metadata and rule set a subject's versions are registered with."""

    metadata: dict[str, Any] | None = None
    rule_set: dict[str, Any] | None = None


def load_data_contracts(catalog: Catalog, subjects: Sequence[Subject]) -> dict[str, DataContract]:
    """Each subject's data contract, from `<contracts>/data-contracts/<topic>.yaml` (none: no entry)."""
    from govern.registry.server import contracts as validate

    folder = catalog.root / catalog.contracts_dir / FOLDER
    if not folder.is_dir():
        return {}
    by_part: dict[tuple[str, str], DataContract] = {}
    topics = {t.name for t in catalog.topics}
    for path in sorted(folder.glob("*.y*ml")):
        topic = path.name.rsplit(".", 1)[0]
        display = f"{catalog.contracts_dir}/{FOLDER}/{path.name}"
        if topic not in topics:
            raise InputError(
                f"{display}: no topic {topic!r} in topics.yaml", hint="name the file after a declared topic"
            )
        document = load_yaml(path, display) or {}
        _only(document, _PARTS, display, 1)
        for part in _PARTS:
            declared = document.get(part)
            if declared is None:
                continue
            line = document.line_of(part) if hasattr(document, "line_of") else 1
            _only(declared, _FIELDS, display, line)
            try:
                contract = DataContract(
                    validate.metadata(_plain(declared.get("metadata"))),
                    validate.rule_set(_plain(declared.get("ruleSet"))),
                )
            except RegistryError as error:
                raise InputError(f"{display}:{line}: {part}: {error.message}") from None
            by_part[(topic, part)] = contract
    return {s.name: by_part[(s.topic.name, s.kind)] for s in subjects if (s.topic.name, s.kind) in by_part}


def _only(value: Any, keys: Sequence[str], display: str, line: int) -> None:
    if not isinstance(value, dict):
        raise InputError(f"{display}:{line}: expected a mapping with {', '.join(keys)}")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        at = value.line_of(unknown[0]) if hasattr(value, "line_of") else line
        raise InputError(f"{display}:{at}: unknown key {unknown[0]!r}", hint=f"allowed: {', '.join(keys)}")


def _plain(value: Any) -> Any:
    """YAML's located mappings and lists as plain JSON values (what the registry stores)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
