"""The REST API against a real (threaded uvicorn) server: Confluent's status codes, error codes,
messages and version/id rules (shared/reference/confluent-schema-registry.md §3)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from govern.registry.server import serve_in_thread

V1 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
V2 = {**V1, "fields": [*V1["fields"], {"name": "b", "type": "int", "default": 0}]}
V3 = {**V1, "fields": [*V2["fields"], {"name": "c", "type": "long", "default": 0}]}
NO_DEFAULT = {**V1, "fields": [*V1["fields"], {"name": "b", "type": "int"}]}
V1_TEXT = '{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}'


@pytest.fixture(scope="module", params=["sqlite", pytest.param("kafka", marks=pytest.mark.kafka)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The registry under test: on SQLite (in memory), and on a Kafka `_schemas` topic."""
    store = None
    if request.param == "kafka":
        from registry_stores import kafka_store

        store = kafka_store(request.getfixturevalue("kafka_cluster"), f"_schemas-api-{uuid.uuid4().hex[:8]}")
    with serve_in_thread(store) as base:
        yield base


@pytest.fixture
def http(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client


@pytest.fixture
def subject() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def register(http: httpx.Client, subject: str, schema: object, **params: str) -> httpx.Response:
    return http.post(f"/subjects/{subject}/versions", params=params, json={"schema": json.dumps(schema)})


def error(response: httpx.Response) -> tuple[int, int, str]:
    body = response.json()
    return response.status_code, body["error_code"], body["message"]


def test_register_returns_id_and_version_and_is_idempotent(http: httpx.Client, subject: str) -> None:
    first = register(http, subject, V1)
    assert first.status_code == 200
    body = first.json()
    assert body["version"] == 1 and body["schema"] == V1_TEXT
    again = http.post(
        f"/subjects/{subject}/versions",
        json={"schema": '{ "type":"record", "name":"R",\n"fields":[{"type":"string","name":"a"}]}'},
    )
    assert again.json()["id"] == body["id"] and again.json()["version"] == 1  # whitespace/key order ignored
    other = register(http, subject + "-b", V1)
    assert other.json()["id"] == body["id"]  # ids shared across subjects
    v2 = register(http, subject, V2).json()
    assert v2["version"] == 2 and v2["id"] != body["id"]
    # re-registering an older, still live version returns it, no new version
    assert register(http, subject, V1).json() == {**body}
    assert http.get(f"/subjects/{subject}/versions").json() == [1, 2]


def test_doc_change_is_a_new_schema(http: httpx.Client, subject: str) -> None:
    a = register(http, subject, V1).json()["id"]
    b = register(http, subject, {**V1, "doc": "documented"}).json()["id"]
    assert a != b


def test_get_version_forms(http: httpx.Client, subject: str) -> None:
    register(http, subject, V1)
    register(http, subject, V2)
    latest = http.get(f"/subjects/{subject}/versions/latest").json()
    assert latest["version"] == 2 and latest["subject"] == subject
    assert http.get(f"/subjects/{subject}/versions/-1").json()["version"] == 2
    assert http.get(f"/subjects/{subject}/versions/1").json()["version"] == 1
    raw = http.get(f"/subjects/{subject}/versions/1/schema")
    assert raw.json() == V1
    for bad in ("0", "-2", "abc", "2147483648"):
        status, code, message = error(http.get(f"/subjects/{subject}/versions/{bad}"))
        assert (status, code) == (422, 42202)
        assert message == (
            f"The specified version '{bad}' is not a valid version id. "
            'Allowed values are between [1, 2^31-1] and the string "latest"'
        )
    assert error(http.get(f"/subjects/{subject}/versions/3"))[:3] == (404, 40402, "Version 3 not found.")
    assert error(http.get("/subjects/nope-x/versions/1"))[:3] == (404, 40401, "Subject 'nope-x' not found.")
    assert error(http.get("/subjects/nope-x/versions"))[:2] == (404, 40401)


def test_schema_by_id_endpoints(http: httpx.Client, subject: str) -> None:
    unique = {**V1, "doc": subject}
    schema_id = register(http, subject, unique).json()["id"]
    register(http, subject + "-2", unique)
    text = json.dumps(
        {"type": "record", "name": "R", "doc": subject, "fields": V1["fields"]}, separators=(",", ":")
    )
    assert http.get(f"/schemas/ids/{schema_id}").json() == {"schemaType": "AVRO", "schema": text}
    assert http.get(f"/schemas/ids/{schema_id}/schema").json() == unique
    assert http.get(f"/schemas/ids/{schema_id}/subjects").json() == [subject, subject + "-2"]
    assert http.get(f"/schemas/ids/{schema_id}/versions").json() == [
        {"subject": subject, "version": 1},
        {"subject": subject + "-2", "version": 1},
    ]
    assert error(http.get("/schemas/ids/99999")) == (404, 40403, "Schema 99999 not found")
    assert error(http.get("/schemas/ids/abc"))[:2] == (404, 404)
    assert http.get("/schemas/types").json() == ["AVRO"]


def test_lookup(http: httpx.Client, subject: str) -> None:
    reg = register(http, subject, V1).json()
    found = http.post(f"/subjects/{subject}", json={"schema": json.dumps(V1)})
    assert found.status_code == 200
    assert found.json() == {
        "subject": subject,
        "version": 1,
        "id": reg["id"],
        "schemaType": "AVRO",
        "schema": V1_TEXT,
    }
    assert error(http.post(f"/subjects/{subject}", json={"schema": json.dumps(V2)})) == (
        404,
        40403,
        "Schema not found",
    )
    assert error(http.post("/subjects/none-such", json={"schema": json.dumps(V1)}))[:2] == (404, 40401)
    assert error(http.post(f"/subjects/{subject}", json={"schema": "{"}))[:2] == (422, 42201)


def test_incompatible_is_409_with_confluent_details(http: httpx.Client, subject: str) -> None:
    register(http, subject, V1)
    status, code, message = error(register(http, subject, NO_DEFAULT))
    assert (status, code) == (409, 409)
    assert message.startswith(
        f'Schema being registered is incompatible with an earlier schema for subject "{subject}", details: ['
    )
    for part in (
        "READER_FIELD_MISSING_DEFAULT_VALUE",
        "oldSchemaVersion:",
        "oldSchema:",
        "compatibility: 'BACKWARD'",
    ):
        assert part in message
    # force=true skips the check
    assert register(http, subject, NO_DEFAULT, force="true").json()["version"] == 2


def test_compatibility_endpoint(http: httpx.Client, subject: str) -> None:
    path = f"/compatibility/subjects/{subject}/versions"
    # no versions yet: compatible
    assert http.post(path + "/latest", json={"schema": json.dumps(V1)}).json() == {"is_compatible": True}
    assert error(http.post(path + "/1", json={"schema": json.dumps(V1)}))[:2] == (404, 40402)
    register(http, subject, V1)
    assert http.post(path, json={"schema": json.dumps(V2)}).json() == {"is_compatible": True}
    verdict = http.post(path, params={"verbose": "True"}, json={"schema": json.dumps(NO_DEFAULT)}).json()
    assert verdict["is_compatible"] is False
    assert verdict["messages"][0].startswith("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'")
    assert verdict["messages"][-1] == "{validateFields: 'false', compatibility: 'BACKWARD'}"
    assert "messages" not in http.post(path, json={"schema": json.dumps(NO_DEFAULT)}).json()
    # invalid schema: 42201, or 200 with the reason when verbose
    assert error(http.post(path, json={"schema": '{"type":"nope"}'}))[:2] == (422, 42201)
    verbose = http.post(path, params={"verbose": "true"}, json={"schema": '{"type":"nope"}'})
    assert verbose.status_code == 200 and verbose.json()["is_compatible"] is False
    assert error(http.post(path + "/zero", json={"schema": json.dumps(V1)}))[:2] == (422, 42202)


def test_transitive_levels_check_all_but_version_endpoint_checks_one(
    http: httpx.Client, subject: str
) -> None:
    assert http.put(f"/config/{subject}", json={"compatibility": "forward_transitive"}).json() == {
        "compatibility": "FORWARD_TRANSITIVE"
    }
    a = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
    b = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": "string", "default": ""}, {"name": "b", "type": "int"}],
    }
    c = {"type": "record", "name": "R", "fields": [{"name": "b", "type": "int"}]}
    register(http, subject, a)
    assert register(http, subject, b).status_code == 200
    path = f"/compatibility/subjects/{subject}/versions"
    assert http.post(path + "/latest", json={"schema": json.dumps(c)}).json() == {"is_compatible": True}
    assert http.post(path, json={"schema": json.dumps(c)}).json() == {"is_compatible": False}
    assert register(http, subject, c).status_code == 409


def test_soft_and_hard_delete_rules(http: httpx.Client, subject: str) -> None:
    v1, v2 = {**V1, "doc": subject}, {**V2, "doc": subject}  # schemas no other test uses
    id1 = register(http, subject, v1).json()["id"]
    id2 = register(http, subject, v2).json()["id"]
    assert error(http.delete(f"/subjects/{subject}/versions/1", params={"permanent": "true"})) == (
        404,
        40407,
        f"Subject '{subject}' Version 1 was not deleted first before being permanently deleted",
    )
    assert http.delete(f"/subjects/{subject}/versions/1").json() == 1
    assert error(http.delete(f"/subjects/{subject}/versions/1")) == (
        404,
        40406,
        f"Subject '{subject}' Version 1 was soft deleted.Set permanent=true to delete permanently",
    )
    assert http.get(f"/subjects/{subject}/versions").json() == [2]
    assert http.get(f"/subjects/{subject}/versions", params={"deleted": "true"}).json() == [1, 2]
    assert http.get(f"/subjects/{subject}/versions/1", params={"deleted": "true"}).json()["id"] == id1
    assert error(http.get(f"/subjects/{subject}/versions/1"))[:2] == (404, 40402)
    # schema by id still served after a soft delete (serde needs it)
    assert http.get(f"/schemas/ids/{id1}").status_code == 200
    assert error(http.delete(f"/subjects/{subject}", params={"permanent": "true"})) == (
        404,
        40405,
        f"Subject '{subject}' was not deleted first before being permanently deleted",
    )
    assert http.delete(f"/subjects/{subject}").json() == [2]
    assert error(http.delete(f"/subjects/{subject}")) == (
        404,
        40404,
        f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently",
    )
    assert subject not in http.get("/subjects").json()
    assert subject in http.get("/subjects", params={"deleted": "true"}).json()
    assert subject in http.get("/subjects", params={"deletedOnly": "true"}).json()
    # re-registering after a soft delete: next version number, same id
    again = register(http, subject, v1).json()
    assert (again["id"], again["version"]) == (id1, 3)
    assert http.delete(f"/subjects/{subject}").json() == [3]
    assert http.delete(f"/subjects/{subject}", params={"permanent": "true"}).json() == [2, 3]
    assert error(http.get(f"/schemas/ids/{id2}"))[:2] == (404, 40403)
    assert error(http.delete(f"/subjects/{subject}"))[:2] == (404, 40401)
    # after a permanent delete, versions restart and the old id comes back
    back = register(http, subject, v1).json()
    assert (back["id"], back["version"]) == (id1, 1)


def test_delete_latest_version(http: httpx.Client, subject: str) -> None:
    register(http, subject, V1)
    register(http, subject, V2)
    assert http.delete(f"/subjects/{subject}/versions/latest").json() == 2
    assert http.get(f"/subjects/{subject}/versions/latest").json()["version"] == 1
    assert register(http, subject, V3).json()["version"] == 3


def test_config_endpoints(http: httpx.Client, subject: str) -> None:
    assert http.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert error(http.get(f"/config/{subject}")) == (
        404,
        40408,
        f"Subject '{subject}' does not have subject-level compatibility configured",
    )
    assert http.get(f"/config/{subject}", params={"defaultToGlobal": "true"}).json() == {
        "compatibilityLevel": "BACKWARD"
    }
    assert http.put(f"/config/{subject}", json={"compatibility": "full"}).json() == {"compatibility": "FULL"}
    assert http.get(f"/config/{subject}").json() == {"compatibilityLevel": "FULL"}
    status, code, message = error(http.put(f"/config/{subject}", json={"compatibility": "sideways"}))
    assert (status, code) == (422, 42203)
    assert message.startswith("Invalid compatibility level. Valid values are none, backward")
    assert http.delete(f"/config/{subject}").json() == {"compatibilityLevel": "FULL"}
    assert error(http.delete(f"/config/{subject}"))[:2] == (404, 40401)
    assert error(http.put("/config/__GLOBAL", json={"compatibility": "NONE"}))[:2] == (422, 42208)


def test_global_config_and_reset(url: str) -> None:
    with serve_in_thread() as fresh, httpx.Client(base_url=fresh) as http:
        assert http.put("/config", json={"compatibility": "NONE"}).json() == {"compatibility": "NONE"}
        assert http.get("/config").json() == {"compatibilityLevel": "NONE"}
        register(http, "s", V1)
        assert register(http, "s", NO_DEFAULT).status_code == 200  # NONE
        assert http.delete("/config").json() == {"compatibilityLevel": "NONE"}
        assert http.get("/config").json() == {"compatibilityLevel": "BACKWARD"}


def test_modes(url: str) -> None:
    with serve_in_thread() as fresh, httpx.Client(base_url=fresh) as http:
        assert http.get("/mode").json() == {"mode": "READWRITE"}
        register(http, "s", V1)
        assert http.put("/mode", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
        assert error(register(http, "s", V2)) == (422, 42205, "Subject s in context . is in read-only mode")
        assert error(http.delete("/subjects/s"))[:2] == (422, 42205)
        assert http.get("/subjects/s/versions/1").status_code == 200  # reads still work
        assert http.put("/mode", json={"mode": "READWRITE"}).json() == {"mode": "READWRITE"}
        assert error(http.put("/mode", json={"mode": "IMPORT"})) == (
            422,
            42205,
            "Cannot import since found existing subjects",
        )
        assert error(http.put("/mode", json={"mode": "SIDEWAYS"}))[:2] == (422, 42204)
        assert error(http.get("/mode/s"))[:2] == (404, 40409)
        assert http.get("/mode/s", params={"defaultToGlobal": "true"}).json() == {"mode": "READWRITE"}
        # IMPORT: explicit ids and versions
        assert http.put("/mode/imp", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
        imported = http.post(
            "/subjects/imp/versions", json={"schema": json.dumps(V3), "id": 100, "version": 7}
        )
        assert imported.json()["id"] == 100 and imported.json()["version"] == 7
        assert error(register(http, "imp", V2))[:2] == (422, 42205)  # IMPORT needs an explicit id
        assert http.delete("/mode/imp").json() == {"mode": "IMPORT"}
        assert error(http.delete("/mode/imp"))[:2] == (404, 40401)
        assert register(http, "other", V2).json()["id"] == 101  # ids continue after imported ones
        assert error(http.post("/subjects/s/versions", json={"schema": json.dumps(V2), "id": 5}))[:2] == (
            422,
            42205,
        )


def test_bad_input_never_500(http: httpx.Client, subject: str) -> None:
    bad_json = http.post(
        f"/subjects/{subject}/versions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json()["error_code"] == 400
    assert error(http.post(f"/subjects/{subject}/versions", json=[1, 2]))[:2] == (400, 400)
    assert error(http.post(f"/subjects/{subject}/versions", json={"schema": 5}))[:2] == (422, 42201)
    assert error(http.post(f"/subjects/{subject}/versions", json={}))[:3] == (422, 42201, "Empty schema")
    assert error(
        http.post(f"/subjects/{subject}/versions", json={"schema": json.dumps(V1), "schemaType": "XML"})
    )[:2] == (
        422,
        42201,
    )
    status, code, message = error(
        register(
            http,
            subject,
            {"type": "record", "name": "x", "fields": [{"name": "f", "type": "string", "default": None}]},
        )
    )
    assert (status, code) == (422, 42201) and "default" in message.lower()
    assert error(
        register(http, subject, {"type": "record", "name": "x", "namespace": "a-bad.ns", "fields": []})
    )[:2] == (
        422,
        42201,
    )
    assert error(register(http, "bad%01subject", V1))[:2] == (422, 42208)
    assert error(register(http, "__GLOBAL", V1)) == (
        422,
        42208,
        "The specified subject '__GLOBAL' is not a valid.",
    )
    wrong_type = http.post(
        f"/subjects/{subject}/versions", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    assert error(http.get("/nope"))[:2] == (404, 404)
    assert error(http.put("/subjects"))[:2] == (405, 405)
    references = {"schema": json.dumps(V1), "references": [{"name": "x", "subject": "missing", "version": 1}]}
    assert error(http.post(f"/subjects/{subject}/versions", json=references))[:2] == (422, 42201)


def test_body_and_schema_size_limits(http: httpx.Client, subject: str) -> None:
    big_doc = "x" * (1024 * 1024 + 10)
    big = {"type": "record", "name": "Big", "doc": big_doc, "fields": []}
    status, code, message = error(register(http, subject, big))
    assert (status, code) == (422, 42209) and "exceeds the limit of 1048576 bytes" in message
    huge = http.post(
        f"/subjects/{subject}/versions",
        content=b" " * (5 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["error_code"] == 413


def test_content_types(http: httpx.Client, subject: str) -> None:
    for media in (
        "application/vnd.schemaregistry.v1+json",
        "application/vnd.schemaregistry+json",
        "application/json",
        "application/octet-stream",
    ):
        response = http.post(
            f"/subjects/{subject}/versions",
            content=json.dumps({"schema": json.dumps(V1)}),
            headers={"Content-Type": media},
        )
        assert response.status_code == 200, media
    assert http.get("/subjects").headers["content-type"] == "application/vnd.schemaregistry.v1+json"
    assert (
        http.get("/subjects", headers={"Accept": "application/json"}).headers["content-type"]
        == "application/json"
    )


def test_subjects_list_prefix_and_encoded_slash(http: httpx.Client, subject: str) -> None:
    slashed = f"{subject}/with/slash"
    assert (
        http.post(
            f"/subjects/{slashed.replace('/', '%2F')}/versions", json={"schema": json.dumps(V1)}
        ).status_code
        == 200
    )
    assert slashed in http.get("/subjects", params={"subjectPrefix": subject}).json()
    assert http.get(f"/subjects/{slashed.replace('/', '%2F')}/versions").json() == [1]
    assert http.get("/subjects", params={"subjectPrefix": "zzz-none"}).json() == []


def test_references_and_referencedby(http: httpx.Client, subject: str) -> None:
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "m",
        "fields": [{"name": "units", "type": "long"}],
    }
    register(http, subject + "-money", money)
    order = {"type": "record", "name": "Order", "fields": [{"name": "price", "type": "m.Money"}]}
    refs = [{"name": "m.Money", "subject": subject + "-money", "version": 1}]
    created = http.post(
        f"/subjects/{subject}/versions", json={"schema": json.dumps(order), "references": refs}
    )
    assert created.status_code == 200, created.text
    order_id = created.json()["id"]
    got = http.get(f"/schemas/ids/{order_id}").json()
    assert got["references"] == refs and '"m.Money"' in got["schema"]
    assert http.get(f"/subjects/{subject}-money/versions/1/referencedby").json() == [order_id]
    assert error(http.delete(f"/subjects/{subject}-money/versions/1"))[:2] == (422, 42206)
    without = http.post(f"/subjects/{subject}-x/versions", json={"schema": json.dumps(order)})
    assert error(without)[:2] == (422, 42201)  # unknown type without the reference


def test_root_and_contexts(http: httpx.Client) -> None:
    assert http.get("/").json() == {}
    assert http.get("/contexts").json() == ["."]
    assert http.get("/openapi.json").json()["openapi"].startswith("3.")


def test_pagination(http: httpx.Client, subject: str) -> None:
    for i in range(4):
        register(
            http,
            subject,
            {
                **V1,
                "fields": [
                    *V1["fields"],
                    *[{"name": f"f{j}", "type": "int", "default": 0} for j in range(i)],
                ],
            },
        )
    versions = f"/subjects/{subject}/versions"
    assert http.get(versions, params={"offset": 1, "limit": 2}).json() == [2, 3]
    assert http.get(versions, params={"offset": 3}).json() == [4]
    assert http.get(versions, params={"limit": -1}).json() == [1, 2, 3, 4]
    assert http.get(versions, params={"limit": "x"}).json() == [1, 2, 3, 4]
    listed = http.get("/subjects", params={"subjectPrefix": subject, "limit": 1}).json()
    assert listed == [subject]
