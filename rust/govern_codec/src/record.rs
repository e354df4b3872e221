//! Record's decode stage: one consumed message's line of the fixture file (docs/fixtures.md 1.2),
//! its value (and key) decoded through the schema its Confluent id names when that id is loaded.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;

use crate::decode::{decode, write_string};
use crate::schema::Schema;

/// A message's fields, as confluent-kafka's Message gives them.
pub struct Message<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    /// (type: 0 none, 1 create, 2 log append; milliseconds)
    pub timestamp: (i32, i64),
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Vec<(&'a str, Option<&'a [u8]>)>,
}

/// What a payload's schema id is to the recorder.
pub enum Known {
    Schema(String, Arc<Schema>),
    /// Not an Avro schema of the registry: kept as bytes.
    Absent,
}

#[derive(Default)]
pub struct Recorder {
    pub schemas: HashMap<u32, Known>,
    pub undecoded: u64,
    /// The first few undecodable payloads: (topic, partition, offset, key|value, reason).
    pub warnings: Vec<(String, i32, i64, &'static str, String)>,
    /// Lines per topic and partition.
    pub counts: HashMap<String, HashMap<i32, u64>>,
    /// Buffers a line's key and value are decoded into, kept from message to message.
    key: Vec<u8>,
    value: Vec<u8>,
}

const WARNINGS_KEPT: usize = 5;

/// The schema id of a Confluent-framed payload (magic byte 0, 4-byte id, a body).
pub fn framed_id(data: &[u8]) -> Option<u32> {
    if data.len() > 5 && data[0] == 0 {
        Some(u32::from_be_bytes([data[1], data[2], data[3], data[4]]))
    } else {
        None
    }
}

fn plain(data: &[u8], text: bool, out: &mut Vec<u8>) {
    if text {
        if let Ok(s) = std::str::from_utf8(data) {
            write_string(s, out);
            return;
        }
    }
    out.extend_from_slice(b"{\"base64\":\"");
    out.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(data).as_bytes());
    out.extend_from_slice(b"\"}");
}

impl Recorder {
    /// None when the message names a schema id not loaded yet (the caller loads it first).
    pub fn missing(&self, m: &Message) -> Option<u32> {
        [m.key, m.value].into_iter().flatten().filter_map(framed_id).find(|id| !self.schemas.contains_key(id))
    }

    /// (schema name or None, JSON) of a key or value, onto `out`.
    fn payload(&mut self, m: &Message, data: Option<&[u8]>, what: &'static str, out: &mut Vec<u8>) -> Option<String> {
        let Some(data) = data else {
            out.extend_from_slice(b"null");
            return None;
        };
        if let Some(id) = framed_id(data) {
            let reason = match self.schemas.get(&id) {
                Some(Known::Schema(name, schema)) => match decode(schema, &data[5..], out) {
                    Ok(()) => return Some(name.clone()),
                    Err(e) => format!("not a valid Avro body for schema id {id} ({name}): {e}"),
                },
                _ => format!("schema id {id} is not an Avro schema of the registry"),
            };
            self.undecoded += 1;
            if self.warnings.len() < WARNINGS_KEPT {
                self.warnings.push((m.topic.to_string(), m.partition, m.offset, what, reason));
            }
        }
        plain(data, what == "key", out);
        None
    }

    /// The message's line (with its newline) onto `out`.
    pub fn line(&mut self, m: &Message, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"topic\":");
        write_string(m.topic, out);
        out.extend_from_slice(b",\"partition\":");
        out.extend_from_slice(itoa::Buffer::new().format(m.partition).as_bytes());
        out.extend_from_slice(b",\"offset\":");
        out.extend_from_slice(itoa::Buffer::new().format(m.offset).as_bytes());
        let kind = match m.timestamp.0 {
            1 => Some("create"),
            2 => Some("log_append"),
            _ => None,
        };
        if let Some(kind) = kind {
            out.extend_from_slice(b",\"timestamp\":");
            out.extend_from_slice(itoa::Buffer::new().format(m.timestamp.1).as_bytes());
            out.extend_from_slice(b",\"timestamp_type\":\"");
            out.extend_from_slice(kind.as_bytes());
            out.push(b'"');
        }
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        let key_schema = self.payload(m, m.key, "key", &mut key);
        if let Some(name) = key_schema {
            out.extend_from_slice(b",\"key_schema\":");
            write_string(&name, out);
        }
        out.extend_from_slice(b",\"key\":");
        out.extend_from_slice(&key);
        self.key = key;
        let mut value = std::mem::take(&mut self.value);
        value.clear();
        let schema = self.payload(m, m.value, "value", &mut value);
        if let Some(name) = schema {
            out.extend_from_slice(b",\"schema\":");
            write_string(&name, out);
        }
        out.extend_from_slice(b",\"value\":");
        out.extend_from_slice(&value);
        self.value = value;
        out.extend_from_slice(b",\"headers\":[");
        for (i, (name, v)) in m.headers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            write_string(name, out);
            out.push(b',');
            match v {
                None => out.extend_from_slice(b"null"),
                Some(d) => plain(d, true, out),
            }
            out.push(b']');
        }
        out.extend_from_slice(b"]}\n");
        let partitions = match self.counts.get_mut(m.topic) {
            Some(p) => p,
            None => self.counts.entry(m.topic.to_string()).or_default(),
        };
        *partitions.entry(m.partition).or_insert(0) += 1;
    }
}
