"""Data contracts as Confluent stores them: schema `metadata` and `ruleSet`, their config defaults.

- `metadata`: `{"tags": {path: [tag]}, "properties": {key: value}, "sensitive": [key]}`.
- `ruleSet`: `{"domainRules": [rule], "migrationRules": [rule], "encodingRules": [rule]}`, a rule
  `{name, doc?, kind: CONDITION|TRANSFORM, mode, type, tags?, params?, expr?, onSuccess?,
  onFailure?, disabled?}`; domain and encoding rules run on WRITE/READ/WRITEREAD, migration
  rules on UPGRADE/DOWNGRADE/UPDOWN.
- Config keys `defaultMetadata`/`overrideMetadata`, `defaultRuleSet`/`overrideRuleSet` wrap what a
  registration asks for (default < asked or inherited from the previous version < override), and
  `compatibilityGroup` names a metadata property: a new version is checked for compatibility only
  against versions with the same value of it.

The registry only stores and serves these; the clients (confluent-kafka's rule executors) run them.
"""

from __future__ import annotations

from typing import Any

from govern.registry.errors import InvalidSchema, Unprocessable

KINDS = ("CONDITION", "TRANSFORM")
DOMAIN_MODES = ("WRITE", "READ", "WRITEREAD")
MIGRATION_MODES = ("UPGRADE", "DOWNGRADE", "UPDOWN")
RULE_LISTS = {"domainRules": DOMAIN_MODES, "migrationRules": MIGRATION_MODES, "encodingRules": DOMAIN_MODES}
CONFIG_KEYS = (
    "compatibilityGroup",
    "defaultMetadata",
    "overrideMetadata",
    "defaultRuleSet",
    "overrideRuleSet",
)
MAX_RULES = 256


class InvalidRuleSet(Unprocessable):
    status, error_code = 422, 42210


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _string_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def metadata(value: object, where: str = "metadata") -> dict[str, Any] | None:
    """A validated `metadata` object (None when absent or empty); 42201 naming the bad part."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidSchema(f"Invalid {where}: must be an object")
    tags = value.get("tags")
    if tags is not None and not (isinstance(tags, dict) and all(_strings(t) for t in tags.values())):
        raise InvalidSchema(f"Invalid {where}: 'tags' must map paths to lists of strings")
    if value.get("properties") is not None and not _string_map(value["properties"]):
        raise InvalidSchema(f"Invalid {where}: 'properties' must map names to strings")
    if value.get("sensitive") is not None and not _strings(value["sensitive"]):
        raise InvalidSchema(f"Invalid {where}: 'sensitive' must be a list of strings")
    return _present(value) or None


def _present(value: dict[str, Any]) -> dict[str, Any]:
    """Without null, empty and false entries: Confluent reads those as absent (clients send
    `"sensitive": []`, `"domainRules": []`, `"disabled": false`), so they must not change identity."""
    return {k: v for k, v in value.items() if v not in (None, [], {}, False)}


def rule_set(value: object, where: str = "ruleSet") -> dict[str, Any] | None:
    """A validated `ruleSet` (None when absent or empty); 42210 naming the bad rule."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRuleSet(f"Invalid {where}: must be an object")
    names: set[str] = set()
    cleaned: dict[str, Any] = {}
    for key, item in _present(value).items():
        if key in RULE_LISTS:
            if not isinstance(item, list) or len(item) > MAX_RULES:
                raise InvalidRuleSet(f"Invalid {where}: '{key}' must be a list of at most {MAX_RULES} rules")
            cleaned[key] = [_rule(rule, RULE_LISTS[key], f"{where}.{key}", names) for rule in item]
        else:
            cleaned[key] = item
    return cleaned or None


def _rule(rule: object, modes: tuple[str, ...], where: str, names: set[str]) -> dict[str, Any]:
    if not isinstance(rule, dict):
        raise InvalidRuleSet(f"Invalid {where}: each rule must be an object")
    name = rule.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRuleSet(f"Invalid {where}: a rule needs a name")
    if name in names:
        raise InvalidRuleSet(f"Invalid {where}: found rule with duplicate name '{name}'")
    names.add(name)
    if rule.get("kind") not in KINDS:
        raise InvalidRuleSet(f"Invalid rule '{name}': kind must be one of {', '.join(KINDS)}")
    if rule.get("mode") not in modes:
        raise InvalidRuleSet(f"Invalid rule '{name}' in {where}: mode must be one of {', '.join(modes)}")
    if not isinstance(rule.get("type"), str) or not rule["type"]:
        raise InvalidRuleSet(f"Invalid rule '{name}': type is missing")
    for field in ("doc", "expr", "onSuccess", "onFailure"):
        if rule.get(field) is not None and not isinstance(rule[field], str):
            raise InvalidRuleSet(f"Invalid rule '{name}': '{field}' must be a string")
    if rule.get("tags") is not None and not _strings(rule["tags"]):
        raise InvalidRuleSet(f"Invalid rule '{name}': 'tags' must be a list of strings")
    if rule.get("params") is not None and not _string_map(rule["params"]):
        raise InvalidRuleSet(f"Invalid rule '{name}': 'params' must map names to strings")
    if rule.get("disabled") is not None and not isinstance(rule["disabled"], bool):
        raise InvalidRuleSet(f"Invalid rule '{name}': 'disabled' must be true or false")
    return _present(rule)


def merge_metadata(base: dict[str, Any] | None, top: dict[str, Any] | None) -> dict[str, Any] | None:
    """Confluent's `Metadata.mergeMetadata`: tags and properties by key (top wins), sensitive unioned."""
    if base is None or top is None:
        return top if base is None else base
    merged: dict[str, Any] = {}
    for key in ("tags", "properties"):
        if base.get(key) is not None or top.get(key) is not None:
            merged[key] = {**(base.get(key) or {}), **(top.get(key) or {})}
    sensitive = list(dict.fromkeys([*(base.get("sensitive") or []), *(top.get("sensitive") or [])]))
    if sensitive:
        merged["sensitive"] = sensitive
    return merged


def merge_rule_sets(base: dict[str, Any] | None, top: dict[str, Any] | None) -> dict[str, Any] | None:
    """Confluent's `RuleSet.mergeRuleSets`: per list, base rules not renamed by top, then top's rules."""
    if base is None or top is None:
        return top if base is None else base
    merged: dict[str, Any] = {**base, **{k: v for k, v in top.items() if k not in RULE_LISTS}}
    for key in RULE_LISTS:
        if base.get(key) is None and top.get(key) is None:
            continue
        overridden = {rule["name"] for rule in top.get(key) or ()}
        merged[key] = [r for r in base.get(key) or () if r["name"] not in overridden] + list(
            top.get(key) or ()
        )
    return merged


def effective(
    config: dict[str, Any],
    asked_metadata: dict[str, Any] | None,
    asked_rules: dict[str, Any] | None,
    previous: tuple[dict[str, Any] | None, dict[str, Any] | None] | None,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The contract a new version gets: what was asked, else the previous version's, within the
    config's defaults and overrides (Confluent's `maybePopulateFromPrevious`)."""
    if asked_metadata is None and previous is not None:
        asked_metadata = previous[0]
    if asked_rules is None and previous is not None:
        asked_rules = previous[1]
    chosen_metadata = merge_metadata(
        merge_metadata(config.get("defaultMetadata"), asked_metadata), config.get("overrideMetadata")
    )
    chosen_rules = merge_rule_sets(
        merge_rule_sets(config.get("defaultRuleSet"), asked_rules), config.get("overrideRuleSet")
    )
    return chosen_metadata, chosen_rules


def property_of(meta: dict[str, Any] | None, key: str) -> str | None:
    return ((meta or {}).get("properties") or {}).get(key)


def matches(meta: dict[str, Any] | None, wanted: dict[str, str]) -> bool:
    """Whether a version's metadata properties hold every wanted key=value ("latest with metadata")."""
    return all(property_of(meta, key) == value for key, value in wanted.items())


def config_update(body: dict[str, Any]) -> dict[str, Any]:
    """The contract keys of a config update, validated."""
    update: dict[str, Any] = {}
    group = body.get("compatibilityGroup")
    if group is not None:
        if not isinstance(group, str):
            raise InvalidSchema("Invalid 'compatibilityGroup': must be a metadata property name")
        update["compatibilityGroup"] = group
    for key in ("defaultMetadata", "overrideMetadata"):
        if body.get(key) is not None:
            update[key] = metadata(body[key], key)
    for key in ("defaultRuleSet", "overrideRuleSet"):
        if body.get(key) is not None:
            update[key] = rule_set(body[key], key)
    return update
