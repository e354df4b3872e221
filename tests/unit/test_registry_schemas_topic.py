"""Confluent's `_schemas` record format and the state rebuilt from it (no broker needed)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.registry.kafka_store import parse_store_url, redact
from govern.registry.schemas_topic import (
    RecordError,
    StagedWrite,
    TopicState,
    config_key,
    decode,
    mode_key,
    schema_key,
)
from govern.registry.server.parsing import identity_of
from govern.registry.store import GLOBAL, Reference


def apply(state: TopicState, key: object, value: object) -> None:
    raw_value = None if value is None else json.dumps(value).encode()
    state.apply(*decode(json.dumps(key).encode(), raw_value))


def test_keys_are_byte_for_byte_confluents() -> None:
    assert schema_key("s", 3) == b'{"keytype":"SCHEMA","subject":"s","version":3,"magic":1}'
    assert config_key(GLOBAL) == b'{"keytype":"CONFIG","subject":null,"magic":0}'
    assert mode_key("s") == b'{"keytype":"MODE","subject":"s","magic":0}'


def test_state_follows_every_key_type() -> None:
    state = TopicState(identity_of)
    for version, schema_id in ((1, 1), (2, 2)):
        value = {
            "subject": "s",
            "version": version,
            "id": schema_id,
            "schema": f'"{version}"',
            "deleted": False,
        }
        apply(state, {"keytype": "SCHEMA", "subject": "s", "version": version, "magic": 1}, value)
    # Karapace's older key order is read too
    apply(
        state,
        {"subject": "t", "version": 1, "magic": 1, "keytype": "SCHEMA"},
        {"subject": "t", "version": 1, "id": 1, "schema": '"1"', "deleted": False},
    )
    assert [v.version for v in state.versions_of("s")] == [1, 2]
    assert sorted(u.subject for u in state.usages(1)) == ["s", "t"]
    apply(state, {"keytype": "DELETE_SUBJECT", "subject": "s", "magic": 0}, {"subject": "s", "version": 1})
    assert [v.deleted for v in state.versions_of("s")] == [True, False]
    apply(state, {"keytype": "CLEAR_SUBJECT", "subject": "s", "magic": 0}, {"subject": "s"})
    assert [v.version for v in state.versions_of("s")] == [2]
    apply(state, {"keytype": "SCHEMA", "subject": "s", "version": 2, "magic": 1}, None)
    assert state.versions_of("s") == [] and ("s", True) not in state.subjects()
    apply(
        state,
        {"keytype": "CONFIG", "subject": None, "magic": 0},
        {"compatibilityLevel": "FULL", "alias": None},
    )
    apply(state, {"keytype": "MODE", "subject": "t", "magic": 0}, {"mode": "READONLY"})
    assert state.configs[GLOBAL] == {"compatibilityLevel": "FULL"} and state.modes["t"] == "READONLY"
    apply(state, {"keytype": "MODE", "subject": "t", "magic": 0}, None)
    assert "t" not in state.modes
    assert state.max_id == 2
    assert state.identities[identity_of("AVRO", '"1"', ())] == 1


def test_staged_write_sees_its_changes_and_emits_the_records() -> None:
    state = TopicState(identity_of)
    staged = StagedWrite(state)
    refs = [Reference("a.B", "b", 1)]
    sid = staged.add_schema("id-key", "AVRO", '"x"', refs, {"properties": {"o": "p"}}, None)
    staged.add_version("s", 1, sid)
    staged.set_config("s", {"compatibilityLevel": "NONE"})
    staged.mark_deleted("s", 1)
    assert staged.versions("s")[0].deleted and staged.config("s") == {"compatibilityLevel": "NONE"}
    assert state.versions_of("s") == []  # nothing applied before the records are read back
    for key, value in staged.records:
        state.apply(*decode(key, value))
    assert state.versions_of("s")[0].deleted and state.schemas[sid].references == tuple(refs)
    assert state.schemas[sid].metadata == {"properties": {"o": "p"}}
    first = json.loads(staged.records[0][1])
    assert list(first) == ["subject", "version", "id", "references", "metadata", "schema", "deleted"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (b"", b"{}"),
        (b"not json", None),
        (b'{"keytype":"OTHER","magic":0}', None),
        (b'{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}', b"[1]"),
    ],
)
def test_records_that_are_not_the_format_are_refused(key: bytes, value: bytes | None) -> None:
    with pytest.raises(RecordError):
        decode(key, value)


@settings(max_examples=200, deadline=None)
@given(key=st.binary(max_size=200), value=st.none() | st.binary(max_size=200))
def test_any_bytes_decode_or_fail_cleanly(key: bytes, value: bytes | None) -> None:
    state = TopicState(identity_of)
    try:
        state.apply(*decode(key, value))
    except RecordError:
        pass


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
FIELDS = st.sampled_from(["subject", "version", "id", "schema", "references", "deleted", "mode", "metadata"])


# Mostly well-formed (so the walk gets deep), with any field replaced by any JSON.
WELL_FORMED = {
    "subject": st.just("s"),
    "version": st.integers(1, 3),
    "id": st.integers(1, 3),
    "schema": st.just("1"),
}


@settings(max_examples=300, deadline=None)
@given(
    keytype=st.sampled_from(["SCHEMA", "CONFIG", "MODE", "DELETE_SUBJECT", "CLEAR_SUBJECT", "NOOP"]),
    key=st.fixed_dictionaries(WELL_FORMED) | st.dictionaries(FIELDS, JSON, max_size=4),
    value=st.none()
    | st.fixed_dictionaries(
        WELL_FORMED, optional={f: JSON for f in ("references", "deleted", "mode", "metadata")}
    )
    | st.dictionaries(FIELDS, JSON, max_size=6),
)
def test_malformed_records_of_every_key_type_fail_cleanly(
    keytype: str, key: dict[str, object], value: dict[str, object] | None
) -> None:
    state = TopicState(identity_of)
    try:
        apply(state, {**key, "keytype": keytype}, value)
    except RecordError:
        pass


def test_store_urls_and_their_redaction() -> None:
    assert parse_store_url("kafka://a:9092,b:9092") == ("a:9092,b:9092", "_schemas", {})
    url = "kafka://a:9092?topic=_reg&security.protocol=SASL_SSL&sasl.password=hunter2"
    assert parse_store_url(url) == (
        "a:9092",
        "_reg",
        {"security.protocol": "SASL_SSL", "sasl.password": "hunter2"},
    )
    assert "hunter2" not in redact(url)
    with pytest.raises(ValueError):
        parse_store_url("http://a:9092")
