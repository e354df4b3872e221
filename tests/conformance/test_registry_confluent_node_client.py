"""Node's official @confluentinc/schemaregistry (client + AvroSerializer/AvroDeserializer) against our
server (ci/setup.sh installs it in ci/node)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from node_clients import node_client_marks, run_node

from govern.registry import Client
from govern.serde import Deserializer, Serializer

pytestmark = node_client_marks("@confluentinc/schemaregistry")

SCRIPT = r"""
const sr = require('@confluentinc/schemaregistry')
const [url, mode, topic, arg] = process.argv.slice(2)
const client = new sr.SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 })
const schema = {type: 'record', name: 'Payment', namespace: 'bank',
  fields: [{name: 'id', type: 'string'}, {name: 'cents', type: 'long'}]}
async function main() {
  if (mode === 'produce') {
    const subject = topic + '-value'
    const id = await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(schema) })
    const again = await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(schema) })
    const latest = await client.getLatestSchemaMetadata(subject)
    const byId = await client.getBySubjectAndId(subject, id)
    const info = { schemaType: 'AVRO', schema: JSON.stringify(schema) }
    const compat = await client.testCompatibility(subject, 'latest', info)
    const compatAll = await client.testSubjectCompatibility(subject, info)
    await client.updateCompatibility(subject, 'FULL')
    const level = await client.getCompatibility(subject)
    await client.updateCompatibility(subject, 'BACKWARD')
    const versions = await client.getAllVersions(subject)
    const topicStrategy = sr.SubjectNameStrategyType.TOPIC
    const ser = new sr.AvroSerializer(client, sr.SerdeType.VALUE,
      { useLatestVersion: true, autoRegisterSchemas: false, subjectNameStrategyType: topicStrategy })
    const bytes = await ser.serialize(topic, { id: 'p-1', cents: 1234 })
    let incompatible = null
    try {
      const bad = {...schema, fields: [...schema.fields, {name: 'extra', type: 'int'}]}
      await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(bad) })
    } catch (e) { incompatible = e.status || e.errorCode || String(e) }
    console.log(JSON.stringify({ id, again, latest: latest.id, version: latest.version, byId: byId.schema,
      compat, compatAll, versions, level, hex: bytes.toString('hex'), incompatible }))
  } else {
    const de = new sr.AvroDeserializer(client, sr.SerdeType.VALUE,
      { subjectNameStrategyType: sr.SubjectNameStrategyType.TOPIC })
    const value = await de.deserialize(topic, Buffer.from(arg, 'hex'))
    console.log(JSON.stringify(value, (k, v) => typeof v === 'bigint' ? Number(v) : v))
  }
}
main().catch(e => { console.error(e); process.exit(1) })
"""


def node(tmp_path: Path, *args: str) -> dict:
    return run_node(tmp_path, SCRIPT, *args)


def test_confluent_node_client_and_serdes(registry: str, tmp_path: Path) -> None:  # noqa: F811
    topic = f"payments-{uuid.uuid4().hex[:8]}"
    out = node(tmp_path, registry, "produce", topic)
    assert out["id"] == out["again"] == out["latest"] and out["version"] == 1
    assert out["compat"] is True and out["compatAll"] is True and out["versions"] == [1]
    assert out["level"] == "FULL" and out["incompatible"] == 409
    assert json.loads(out["byId"])["name"] == "Payment"
    with Client(registry) as client:
        assert Deserializer(client)(bytes.fromhex(out["hex"])) == {"id": "p-1", "cents": 1234}
        schema = json.loads(client.get_schema(out["id"]).schema)
        ours = Serializer(client, f"{topic}-value", schema)({"id": "p-2", "cents": 99})
    assert node(tmp_path, registry, "consume", topic, ours.hex()) == {"id": "p-2", "cents": 99}
