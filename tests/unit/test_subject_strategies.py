"""Subject names in record, replay and the replay fixture come from the catalog's one function."""

from __future__ import annotations

import pytest

from govern.pytest_plugin import _header_for
from govern.recording.decode import _preferred
from govern.recording.format import SchemaEntry
from govern.recording.register import subject_for

ORDER = {"type": "record", "name": "Order", "namespace": "com.acme", "fields": []}


@pytest.mark.parametrize(
    ("subject", "renamed"),
    [
        ("orders-value", "orders-copy-value"),  # TopicNameStrategy: follows the topic
        ("orders-com.acme.Order", "orders-copy-com.acme.Order"),  # TopicRecordNameStrategy: too
        ("com.acme.Order", "com.acme.Order"),  # RecordNameStrategy: the topic plays no part
        ("something-else", "something-else"),  # no strategy names it: kept
    ],
)
def test_replay_into_another_topic_keeps_each_strategy(subject: str, renamed: str) -> None:
    entry = SchemaEntry("o", ORDER, subject=subject)
    assert subject_for(entry, "orders", "orders-copy", "value") == renamed
    assert subject_for(entry, "orders", "orders", "value") == subject


def test_replay_without_a_subject_uses_the_topic_strategy() -> None:
    assert subject_for(SchemaEntry("o", ORDER), "orders", "orders-copy", "key") == "orders-copy-key"


def test_record_prefers_the_subject_a_serializer_of_the_topic_uses() -> None:
    text = '{"type":"record","name":"Order","namespace":"com.acme","fields":[]}'
    shared = [("com.acme.Order", 3), ("orders-com.acme.Order", 1)]
    assert _preferred(shared, "orders", "value", text) == ("orders-com.acme.Order", 1)
    assert _preferred([("x", 1), ("orders-value", 2)], "orders", "value", text) == ("orders-value", 2)
    assert _preferred([("x", 1)], "orders", "value", '"string"') == ("x", 1)


@pytest.mark.parametrize(
    ("strategy", "subject"),
    [("topic", None), ("record", "com.acme.Order"), ("topic_record", "orders-com.acme.Order")],
)
def test_replay_fixture_registers_under_the_strategys_subject(strategy: str, subject: str | None) -> None:
    header = _header_for({"o": ORDER}, "orders", strategy)
    assert header.schemas[0].subject == subject
