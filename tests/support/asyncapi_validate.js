const { Parser, fromFile } = require("@asyncapi/parser");
const { AvroSchemaParser } = require("@asyncapi/avro-schema-parser");
(async () => {
  const parser = new Parser();
  parser.registerSchemaParser(AvroSchemaParser());
  const { document, diagnostics } = await fromFile(parser, process.argv[2]).parse();
  const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.code}: ${d.message} at ${d.path.join("/")}`);
  const warnings = diagnostics.filter((d) => d.severity === 1).map((d) => `${d.code}: ${d.message} at ${d.path.join("/")}`);
  console.log(JSON.stringify({ valid: document !== undefined && errors.length === 0, errors, warnings,
    channels: document ? document.channels().all().map((c) => c.address()) : [] }));
})();
