"""Node's @kafkajs/confluent-schema-registry against our server (ci/setup.sh installs it in ci/node)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from node_clients import node_client_marks, run_node

from govern.registry import Client
from govern.serde import Deserializer, Serializer

pytestmark = node_client_marks("@kafkajs/confluent-schema-registry")

SCRIPT = r"""
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry')
const [url, mode, subject, arg] = process.argv.slice(2)
const registry = new SchemaRegistry({ host: url }, { forSchemaOptions: {} })
const schema = {type: 'record', name: 'Payment', namespace: 'bank',
  fields: [{name: 'id', type: 'string'}, {name: 'cents', type: 'long'}]}
async function main() {
  if (mode === 'produce') {
    const avro = { type: SchemaType.AVRO, schema: JSON.stringify(schema) }
    const { id } = await registry.register(avro, { subject })
    const again = await registry.register(avro, { subject })
    const latest = await registry.getLatestSchemaId(subject)
    const byVersion = await registry.getRegistryId(subject, 1)
    const encoded = await registry.encode(id, { id: 'p-1', cents: 1234 })
    let incompatible = null
    try {
      const bad = {...schema, fields: [...schema.fields, {name: 'extra', type: 'int'}]}
      await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(bad) }, { subject })
    } catch (e) { incompatible = e.status || e.message }
    const hex = encoded.toString('hex')
    console.log(JSON.stringify({ id, again: again.id, latest, byVersion, hex, incompatible }))
  } else {
    console.log(JSON.stringify(await registry.decode(Buffer.from(arg, 'hex'))))
  }
}
main().catch(e => { console.error(e); process.exit(1) })
"""


def node(tmp_path: Path, *args: str) -> dict:
    return run_node(tmp_path, SCRIPT, *args)


def test_kafkajs_registry_client_and_wire_format(registry: str, tmp_path: Path) -> None:  # noqa: F811
    subject = f"payments-{uuid.uuid4().hex[:8]}-value"
    produced = node(tmp_path, registry, "produce", subject)
    assert produced["id"] == produced["again"] == produced["latest"] == produced["byVersion"]
    assert produced["incompatible"] == 409
    with Client(registry) as client:
        assert Deserializer(client)(bytes.fromhex(produced["hex"])) == {"id": "p-1", "cents": 1234}
        schema = json.loads(client.get_schema(produced["id"]).schema)
        ours = Serializer(client, subject, schema)({"id": "p-2", "cents": 99})
    assert ours[1:5] == int(produced["id"]).to_bytes(4, "big")
    assert node(tmp_path, registry, "consume", subject, ours.hex()) == {"id": "p-2", "cents": 99}
