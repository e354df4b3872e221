"""Data contracts over the REST API (SQLite store): stored, inherited, merged, validated, served."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from govern.registry.server.run import serve_in_thread

SCHEMA = json.dumps({"type": "record", "name": "Pay", "fields": [{"name": "amount", "type": "int"}]})
RULE = {"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "message.amount > 0"}
META = {"properties": {"owner": "payments"}, "tags": {"Pay.amount": ["PII"]}, "sensitive": ["owner"]}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with serve_in_thread() as url, httpx.Client(base_url=url) as client:
        yield client


def register(http: httpx.Client, subject: str, **body: object) -> httpx.Response:
    return http.post(f"/subjects/{subject}/versions", json=body)


def test_contract_is_served_on_every_read(http: httpx.Client) -> None:
    answer = register(http, "p", schema=SCHEMA, metadata=META, ruleSet={"domainRules": [RULE]}).json()
    expected = {"metadata": META, "ruleSet": {"domainRules": [RULE]}}
    for body in (
        answer,
        http.get("/subjects/p/versions/1").json(),
        http.get(f"/schemas/ids/{answer['id']}").json(),
        http.post("/subjects/p", json={"schema": SCHEMA}).json(),  # lookup without a contract finds it
        http.get("/subjects/p/metadata", params={"key": "owner", "value": "payments"}).json(),
    ):
        assert {k: body.get(k) for k in expected} == expected


def test_versions_inherit_the_contract_and_a_contract_change_is_a_new_version(http: httpx.Client) -> None:
    first = register(http, "p", schema=SCHEMA, metadata=META).json()
    again = register(http, "p", schema=SCHEMA).json()  # no contract given: the previous one, same version
    assert (again["id"], again["version"]) == (first["id"], 1)
    # what clients send for "nothing" (empty lists) is nothing: still the same schema
    empty = register(
        http, "p", schema=SCHEMA, metadata={**META, "tags": META["tags"]}, ruleSet={"domainRules": []}
    )
    assert empty.json()["version"] == 1
    changed = register(http, "p", schema=SCHEMA, metadata={"properties": {"owner": "risk"}}).json()
    assert changed["version"] == 2 and changed["id"] != first["id"]
    rules_only = register(http, "p", ruleSet={"domainRules": [RULE]}).json()  # no schema: the previous one
    assert rules_only["version"] == 3 and rules_only["schema"] == first["schema"]
    assert rules_only["metadata"] == {"properties": {"owner": "risk"}}
    assert (
        http.get("/subjects/p/metadata", params={"key": "owner", "value": "payments"}).json()["version"] == 1
    )


def test_config_defaults_and_overrides_wrap_what_is_asked(http: httpx.Client) -> None:
    config = {
        "defaultMetadata": {"properties": {"owner": "platform", "tier": "2"}},
        "overrideMetadata": {"properties": {"tier": "1"}},
        "defaultRuleSet": {"domainRules": [RULE]},
        "overrideRuleSet": {
            "domainRules": [{**RULE, "name": "audit", "kind": "TRANSFORM", "expr": "message"}]
        },
        "compatibilityGroup": "major",
    }
    assert http.put("/config/p", json=config).status_code == 200
    stored = http.get("/config/p").json()
    assert {k: stored[k] for k in config} == config
    answer = register(http, "p", schema=SCHEMA, metadata={"properties": {"owner": "payments"}}).json()
    assert answer["metadata"]["properties"] == {"owner": "payments", "tier": "1"}
    assert [r["name"] for r in answer["ruleSet"]["domainRules"]] == ["positive", "audit"]


def test_compatibility_only_within_the_group(http: httpx.Client) -> None:
    http.put(
        "/config/p", json={"compatibility": "BACKWARD", "compatibilityGroup": "major"}
    ).raise_for_status()
    register(http, "p", schema=SCHEMA, metadata={"properties": {"major": "1"}}).raise_for_status()
    other = json.dumps({"type": "record", "name": "Pay", "fields": [{"name": "cents", "type": "long"}]})
    assert register(http, "p", schema=other).status_code == 409  # inherits major 1: checked, refused
    check = http.post(
        "/compatibility/subjects/p/versions",
        json={"schema": other, "metadata": {"properties": {"major": "2"}}},
    )
    assert check.json() == {"is_compatible": True}
    assert register(http, "p", schema=other, metadata={"properties": {"major": "2"}}).json()["version"] == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"ruleSet": {"domainRules": [{**RULE, "mode": "UPGRADE"}]}}, 42210),
        ({"ruleSet": {"migrationRules": [{**RULE, "mode": "WRITE"}]}}, 42210),
        ({"ruleSet": {"domainRules": [RULE, RULE]}}, 42210),
        ({"ruleSet": {"domainRules": [{**RULE, "kind": "MAGIC"}]}}, 42210),
        ({"ruleSet": {"domainRules": [{k: v for k, v in RULE.items() if k != "name"}]}}, 42210),
        ({"metadata": {"properties": {"a": 1}}}, 42201),
        ({"metadata": ["x"]}, 42201),
    ],
)
def test_bad_contracts_are_refused(http: httpx.Client, body: dict[str, object], code: int) -> None:
    answer = register(http, "p", schema=SCHEMA, **body)
    assert answer.status_code == 422 and answer.json()["error_code"] == code


def test_latest_with_metadata_not_found(http: httpx.Client) -> None:
    assert (
        http.get("/subjects/none/metadata", params={"key": "a", "value": "b"}).json()["error_code"] == 40401
    )
    register(http, "p", schema=SCHEMA, metadata=META).raise_for_status()
    missing = http.get("/subjects/p/metadata", params={"key": "owner", "value": "nobody"})
    assert missing.status_code == 404 and missing.json()["error_code"] == 40403
