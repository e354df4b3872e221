"""schemathesis against the UI service's OpenAPI document, in-process (ASGI) on real Kafka.

No 5xx for anything a client can send, and every answer (status, media type, body) is what the
document says. Account-scoped cases run as a real account with its token, so the generated
bodies reach validation and publishing; 401/403 are covered by test_ui_api.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from govern.kafka import KafkaAdmin
from services.common import ServiceConfig
from services.common.topics import create_topics, delete_topics
from services.ui import UiConfig, UiService
from services.ui.auth import token_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ACCOUNT = "schemathesis-1"


@pytest.fixture(scope="module")
def ui_service(kafka_cluster: str, registry: str) -> Iterator[UiService]:  # noqa: F811
    config = ServiceConfig(kafka_cluster, registry, topic_prefix=f"st{secrets.token_hex(4)}-")
    admin = KafkaAdmin(kafka_cluster)
    create_topics(config, admin)
    service = UiService(UiConfig(config, port=0))
    service.start_background()  # Kafka feed and publisher; HTTP goes through the ASGI transport
    service.context.created.add(ACCOUNT)
    try:
        yield service
    finally:
        service.stop()
        delete_topics(config, admin)


@pytest.fixture(scope="module")
def ui_schema(ui_service: UiService) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", ui_service.app)


# The rate stream never ends (it is tested in test_ui_api.py). The filter goes on the lazy schema:
# from_fixture applies its own filters to whatever the fixture returns.
schema = schemathesis.pytest.from_fixture("ui_schema").exclude(path="/api/rates/stream")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case: schemathesis.Case, ui_service: UiService) -> None:
    if "account_id" in (case.path_parameters or {}):
        case.path_parameters["account_id"] = ACCOUNT
        case.headers = {
            **(case.headers or {}),
            "Authorization": f"Bearer {token_for(ui_service.config.secret, ACCOUNT)}",
        }
    case.call_and_validate(checks=CHECKS)


def test_generated_requests_reached_kafka(ui_service: UiService) -> None:
    """Runs after test_api: valid generated bodies were published (the cases were not all refused)."""
    admin = KafkaAdmin(ui_service.config.service.bootstrap)
    for topic in ("transaction-request", "account-request"):
        assert sum(admin.end_offsets(ui_service.config.topic(topic)).values()) > 0, topic
