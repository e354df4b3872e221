//! Replay's first pass over record lines (docs/fixtures.md 1.2): each line parsed, checked and its
//! key and value encoded, into spool records for the produce pass. Topics and (topic, key|value,
//! schema) slots are numbered as they are met; the caller maps them to target topics and ids.
//!
//! A spool record (little-endian, private to one replay):
//! `u32 topic, i32 partition (-1: none), i64 timestamp (-1: none), i32 key slot, i32 value slot,
//! blob key, blob value, u32 header count, (blob name, blob value) * count`, where a blob is
//! `i32 length (-1: null), bytes`.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use crate::json::J;

use std::borrow::Cow;
use std::cell::RefCell;

use crate::encode::{encode_json, seed, Mismatch};
use crate::json::{integer_text, Text};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use crate::schema::{Schema, Time};
use crate::time::time_value;

const KEYS: [&str; 10] =
    ["topic", "partition", "offset", "timestamp", "timestamp_type", "key", "key_schema", "value", "schema", "headers"];

/// A line that is not a valid record: 1-based line number and the message (field path first).
#[derive(Debug, PartialEq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Default)]
pub struct Lines {
    schemas: HashMap<String, Arc<Schema>>,
    default_topic: Option<String>,
    pub topics: Vec<String>,
    topic_index: HashMap<String, u32>,
    /// (topic, "key" | "value", schema name)
    pub slots: Vec<(u32, &'static str, String)>,
    /// Highest recorded partition + 1, per topic.
    pub partitions: Vec<i64>,
    /// Records per (topic, recorded partition or -1).
    pub counts: HashMap<(u32, i32), u64>,
    pub count: u64,
}

fn blob(data: Option<&[u8]>, out: &mut Vec<u8>) {
    match data {
        None => out.extend_from_slice(&(-1i32).to_le_bytes()),
        Some(d) => {
            out.extend_from_slice(&(d.len() as i32).to_le_bytes());
            out.extend_from_slice(d);
        }
    }
}

/// `null`, a string (its UTF-8 bytes) or `{"base64": "..."}`.
fn plain_bytes(v: &J, what: &str) -> Result<Option<Vec<u8>>, String> {
    match v {
        J::Null => Ok(None),
        J::Str(s) => Ok(Some(s.as_bytes().to_vec())),
        J::Obj(m) if m.len() == 1 && m[0].0 == "base64" && m[0].1.as_str().is_some() => {
            let text = m[0].1.as_str().expect("a string");
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(Some)
                .map_err(|_| format!("{what}: invalid base64"))
        }
        _ => {
            let text: String = v.to_string().chars().take(60).collect();
            Err(format!("{what}: expected null, a string or {{\"base64\": \"...\"}}, got {text}"))
        }
    }
}

fn non_empty_string<'a>(v: &'a J, what: &str) -> Result<&'a str, String> {
    match v.as_str() {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(format!("{what}: expected a non-empty string")),
    }
}

fn non_negative(v: &J, what: &str, max: i64) -> Result<i64, String> {
    let text = integer_text(v).filter(|t| !t.starts_with('-'));
    match text.as_deref().map(str::parse::<i64>) {
        Some(Ok(n)) if n <= max => Ok(n),
        Some(_) => Err(format!("{what}: {} is beyond {max}", text.unwrap_or_default())),
        None => Err(format!("{what}: expected an integer >= 0")),
    }
}

impl Lines {
    pub fn new(schemas: HashMap<String, Arc<Schema>>, default_topic: Option<String>) -> Lines {
        Lines { schemas, default_topic, ..Lines::default() }
    }

    /// Every line of `block` (complete lines, the first numbered `first_line`) into `spool`; the
    /// first invalid line stops it. Blank lines are skipped. (Checking lines on two threads was
    /// measured slower on the shared two-core machine: frees across threads, a contended core.)
    pub fn feed(&mut self, block: &[u8], first_line: usize, spool: &mut Vec<u8>) -> Result<usize, LineError> {
        let mut records = 0;
        for (i, line) in block.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let start = spool.len();
            match self.check(line).and_then(|c| self.write(c, spool)) {
                Ok(()) => records += 1,
                Err(message) => {
                    spool.truncate(start);
                    return Err(LineError { line: first_line + i, message });
                }
            }
        }
        Ok(records)
    }

    /// One line parsed, checked and its key and value encoded (no state changed).
    fn check(&self, line: &[u8]) -> Result<Checked, String> {
        let json_error = |e: serde_json::Error| {
            if e.is_eof() {
                "truncated line (the file ends inside a JSON value)".to_string()
            } else {
                format!("invalid JSON: {e}")
            }
        };
        if line.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            J::parse(line).map_err(json_error)?;
            return Err("a record line must be a JSON object".into());
        }
        // the line's fields as raw JSON; a key or value whose schema came before it is encoded
        // while the line is parsed, the others from their text below
        let inline = RefCell::new(None);
        let mut de = serde_json::Deserializer::from_slice(line);
        let parsed = EnvelopeSeed { lines: self, mismatch: &inline }.deserialize(&mut de).and_then(|e| de.end().map(|()| e));
        let Envelope { pairs, encoded } = match parsed {
            Ok(envelope) => envelope,
            Err(e) => {
                return Err(match inline.into_inner() {
                    Some((kind, name, m)) => payload_error(kind, &name, &m),
                    None => json_error(e),
                })
            }
        };
        let mut unknown: Vec<&str> = pairs.iter().map(|(k, _)| k.as_ref()).filter(|k| !KEYS.contains(k)).collect();
        unknown.sort();
        if let Some(k) = unknown.first() {
            return Err(format!("unknown key '{k}'"));
        }
        let (mut key_raw, mut value_raw, mut has_value) = (None, None, false);
        let mut small = Vec::with_capacity(pairs.len());
        for (k, field) in pairs {
            match field {
                Field::Small(v) => small.push((k, v)),
                Field::Raw(raw) if k == "key" => key_raw = Some(raw.get()),
                Field::Raw(raw) => {
                    value_raw = Some(raw.get());
                    has_value = true;
                }
                Field::Inline => has_value |= k == "value",
            }
        }
        let data = J::Obj(small);
        let field = |name: &str| data.get(name).filter(|v| !v.is_null());
        if !has_value {
            return Err("missing \"value\" (use null for a tombstone)".into());
        }
        let topic = match field("topic") {
            Some(v) => Some(non_empty_string(v, "topic")?.to_string()),
            None if self.default_topic.is_some() => None,
            None => {
                return Err(
                    "the record names no topic (no \"topic\", and the header has not exactly one; pass --topic)"
                        .into(),
                )
            }
        };
        let partition = field("partition").map(|v| non_negative(v, "partition", i32::MAX as i64)).transpose()?;
        field("offset").map(|v| non_negative(v, "offset", i64::MAX)).transpose()?;
        let timestamp = match field("timestamp") {
            None => -1,
            Some(J::Str(s)) => time_value(s, Time::TimestampMillis).map_err(|e| format!("timestamp: {e}"))?,
            Some(v) => integer_text(v)
                .and_then(|t| t.parse::<i64>().ok())
                .ok_or_else(|| format!("timestamp: expected epoch milliseconds or an ISO-8601 string, got {v}"))?,
        };
        if let Some(t) = field("timestamp_type") {
            if !matches!(t.as_str(), Some("create" | "log_append")) {
                return Err("timestamp_type: expected one of create, log_append".into());
            }
        }
        let schema = field("schema").map(|v| non_empty_string(v, "schema")).transpose()?;
        let key_schema = field("key_schema").map(|v| non_empty_string(v, "key_schema")).transpose()?;
        let headers = self.headers(&data)?;
        let [key_inline, value_inline] = encoded;
        let key = match key_inline {
            Some((name, bytes)) if Some(name.as_str()) == key_schema => Some(bytes),
            _ => self.payload(key_raw.unwrap_or("null"), key_schema, "key")?,
        };
        let value = match value_inline {
            Some((name, bytes)) if Some(name.as_str()) == schema => Some(bytes),
            _ => self.payload(value_raw.unwrap_or("null"), schema, "value")?,
        };
        Ok(Checked {
            topic,
            partition: partition.map_or(-1, |p| p as i32),
            timestamp,
            key,
            key_schema: key_schema.map(str::to_owned),
            value,
            schema: schema.map(str::to_owned),
            headers,
        })
    }

    /// A checked line into the spool: its topic and schema slots numbered as first met.
    fn write(&mut self, c: Checked, spool: &mut Vec<u8>) -> Result<(), String> {
        let topic = c.topic.as_deref().or(self.default_topic.as_deref()).expect("checked: a topic");
        let topic_index = match self.topic_index.get(topic) {
            Some(i) => *i,
            None => {
                let i = self.topics.len() as u32;
                self.topics.push(topic.to_string());
                self.partitions.push(0);
                self.topic_index.insert(topic.to_string(), i);
                i
            }
        };
        if c.partition >= 0 {
            let seen = &mut self.partitions[topic_index as usize];
            *seen = (*seen).max(i64::from(c.partition) + 1);
        }
        let key_slot = self.slot(topic_index, "key", c.key_schema.as_deref());
        let value_slot = self.slot(topic_index, "value", c.schema.as_deref());
        spool.extend_from_slice(&topic_index.to_le_bytes());
        spool.extend_from_slice(&c.partition.to_le_bytes());
        spool.extend_from_slice(&c.timestamp.to_le_bytes());
        spool.extend_from_slice(&key_slot.to_le_bytes());
        spool.extend_from_slice(&value_slot.to_le_bytes());
        blob(c.key.as_deref(), spool);
        blob(c.value.as_deref(), spool);
        spool.extend_from_slice(&(c.headers.len() as u32).to_le_bytes());
        for (name, v) in &c.headers {
            blob(Some(name.as_bytes()), spool);
            blob(v.as_deref(), spool);
        }
        self.count += 1;
        *self.counts.entry((topic_index, c.partition)).or_insert(0) += 1;
        Ok(())
    }

    /// The slot of (topic, key | value, schema), numbered as first met; -1 without a schema.
    fn slot(&mut self, topic: u32, kind: &'static str, schema: Option<&str>) -> i32 {
        let Some(name) = schema else { return -1 };
        if let Some(i) = self.slots.iter().position(|(t, k, n)| *t == topic && *k == kind && n == name) {
            return i as i32;
        }
        self.slots.push((topic, kind, name.to_string()));
        (self.slots.len() - 1) as i32
    }

    fn headers(&self, data: &J) -> Result<Vec<(String, Option<Vec<u8>>)>, String> {
        let mut out = Vec::new();
        match data.get("headers") {
            None | Some(J::Null) => {}
            Some(J::Arr(pairs)) => {
                for (i, pair) in pairs.iter().enumerate() {
                    match pair {
                        J::Arr(items) if matches!(items.as_slice(), [J::Str(_), _]) => {
                            let J::Str(name) = &items[0] else { unreachable!() };
                            let v = &items[1];
                            out.push((name.to_string(), plain_bytes(v, &format!("headers[{i}]"))?));
                        }
                        _ => return Err(format!("headers[{i}]: expected a [name, value] pair with a string name")),
                    }
                }
            }
            Some(_) => return Err("headers: expected a list of [name, value] pairs".into()),
        }
        Ok(out)
    }

    /// A key or value: its bytes (encoded through its schema when it names one).
    fn payload(&self, text: &str, schema: Option<&str>, kind_name: &'static str) -> Result<Option<Vec<u8>>, String> {
        let Some(name) = schema else {
            let v = J::parse(text.as_bytes()).map_err(|e| format!("{kind_name}: invalid JSON: {e}"))?;
            return plain_bytes(&v, kind_name);
        };
        let field = if kind_name == "key" { "key_schema" } else { "schema" };
        let compiled = self.schemas.get(name).ok_or_else(|| {
            let mut known: Vec<&String> = self.schemas.keys().collect();
            known.sort();
            let known = known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            let known = if known.is_empty() { "none".to_string() } else { known };
            format!("{field}: unknown schema '{name}' (the header defines: {known})")
        })?;
        let mut out = Vec::with_capacity(256);
        encode_json(compiled, text.as_bytes(), &mut out).map_err(|e| payload_error(kind_name, name, &e))?;
        Ok(Some(out))
    }
}

/// How a key or value that does not fit its schema is reported: `value.rate.price: ... (schema 'x')`.
fn payload_error(kind: &str, name: &str, e: &Mismatch) -> String {
    let path = e.path_text();
    let at = if path.is_empty() {
        kind.to_string()
    } else if path.starts_with('[') {
        format!("{kind}{path}")
    } else {
        format!("{kind}.{path}")
    };
    format!("{at}: {} (schema '{name}')", e.message)
}

/// A record line: each key with its raw JSON (None for a key or value encoded inline; a repeated
/// key keeps its last value), and the key and value encoded inline: (schema name, bytes).
struct Envelope<'a> {
    pairs: Vec<(Cow<'a, str>, Field<'a>)>,
    encoded: [Option<(String, Vec<u8>)>; 2],
}

/// One field of a line: parsed (the small ones), raw JSON (a key or value encoded later), or
/// encoded while the line was parsed.
enum Field<'a> {
    Small(J<'a>),
    Raw(&'a RawValue),
    Inline,
}

/// Parses a line into its Envelope; a key or value met after its schema is encoded at once.
struct EnvelopeSeed<'l> {
    lines: &'l Lines,
    /// ("key" | "value", schema name, mismatch) of an inline encoding that failed
    mismatch: &'l RefCell<Option<(&'static str, String, Mismatch)>>,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Envelope<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Envelope<'de>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a record line object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope<'de>, A::Error> {
        let mut pairs: Vec<(Cow<'de, str>, Field<'de>)> = Vec::with_capacity(10);
        let mut encoded: [Option<(String, Vec<u8>)>; 2] = [None, None];
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let slot = match key.as_ref() {
                "key" => Some((0, "key", "key_schema")),
                "value" => Some((1, "value", "schema")),
                _ => None,
            };
            // the schema named before this key or value, when the header has it
            let schema = slot.and_then(|(_, _, field)| {
                let Field::Small(J::Str(name)) = &pairs.iter().find(|(k, _)| k == field)?.1 else { return None };
                let name: &str = name;
                Some((name.to_string(), self.lines.schemas.get(name)?))
            });
            let value = match (slot, schema) {
                (Some((i, kind, _)), Some((name, compiled))) => {
                    let failure = RefCell::new(None);
                    let mut out = Vec::with_capacity(256);
                    if let Err(e) = map.next_value_seed(seed(compiled, &mut out, &failure)) {
                        if let Some(m) = failure.into_inner() {
                            *self.mismatch.borrow_mut() = Some((kind, name, m));
                        }
                        return Err(e);
                    }
                    encoded[i] = Some((name, out));
                    Field::Inline
                }
                (Some((i, _, _)), None) => {
                    encoded[i] = None;
                    Field::Raw(map.next_value::<&'de RawValue>()?)
                }
                (None, _) => Field::Small(map.next_value::<J<'de>>()?),
            };
            match pairs.iter_mut().find(|(k, _)| *k == key) {
                Some(pair) => pair.1 = value,
                None => pairs.push((key, value)),
            }
        }
        Ok(Envelope { pairs, encoded })
    }
}

/// A line checked and encoded, before its topic and slots are numbered.
struct Checked {
    topic: Option<String>,
    partition: i32,
    timestamp: i64,
    key: Option<Vec<u8>>,
    key_schema: Option<String>,
    value: Option<Vec<u8>>,
    schema: Option<String>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

/// One spool record, read back for the produce pass.
pub struct Spooled<'a> {
    pub topic: u32,
    pub partition: i32,
    pub timestamp: i64,
    pub key_slot: i32,
    pub value_slot: i32,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Vec<(&'a [u8], Option<&'a [u8]>)>,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let chunk = self.data.get(self.pos..self.pos + n).ok_or("spool record cut short")?;
        self.pos += n;
        Ok(chunk)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().expect("4 bytes")))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.bytes(4)?.try_into().expect("4 bytes")))
    }
    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.bytes(8)?.try_into().expect("8 bytes")))
    }
    fn blob(&mut self) -> Result<Option<&'a [u8]>, String> {
        let n = self.i32()?;
        if n < 0 {
            return Ok(None);
        }
        self.bytes(n as usize).map(Some)
    }
}

/// Every record of a spool batch, in order.
pub fn spooled(data: &[u8]) -> Result<Vec<Spooled<'_>>, String> {
    let mut c = Cursor { data, pos: 0 };
    let mut out = Vec::new();
    while c.pos < data.len() {
        let topic = c.u32()?;
        let partition = c.i32()?;
        let timestamp = c.i64()?;
        let key_slot = c.i32()?;
        let value_slot = c.i32()?;
        let key = c.blob()?;
        let value = c.blob()?;
        let n = c.u32()?;
        let mut headers = Vec::with_capacity(n.min(1024) as usize);
        for _ in 0..n {
            let name = c.blob()?.unwrap_or_default();
            headers.push((name, c.blob()?));
        }
        out.push(Spooled { topic, partition, timestamp, key_slot, value_slot, key, value, headers });
    }
    Ok(out)
}
