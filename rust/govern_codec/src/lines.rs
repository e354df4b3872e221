//! Replay's first pass over record lines (docs/fixtures.md 1.2): each line parsed, checked and its
//! key and value encoded, into spool records for the produce pass. Topics and (topic, key|value,
//! schema) slots are numbered as they are met; the caller maps them to target topics and ids.
//!
//! Large blocks are cut at line ends into a few pieces per thread, which the threads take in
//! turn; each checks and encodes its pieces' lines into a buffer of its own (no allocation per
//! record crosses threads). The records are then numbered and written to the spool in line order.
//!
//! A spool record (little-endian, private to one replay):
//! `u32 topic, i32 partition (-1: none), i64 timestamp (-1: none), i32 key slot, i32 value slot,
//! blob key, blob value, u32 header count, (blob name, blob value) * count`, where a blob is
//! `i32 length (-1: null), bytes`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine;
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::encode::{encode_json, seed, Mismatch, Spans};
use crate::json::{integer_text, is_integer, Text, J};
use crate::schema::{Schema, Time};
use crate::time::time_value;

/// The keys a record line may have, by their place in an Envelope.
const TOPIC: usize = 0;
const PARTITION: usize = 1;
const OFFSET: usize = 2;
const TIMESTAMP: usize = 3;
const TIMESTAMP_TYPE: usize = 4;
const KEY: usize = 5;
const KEY_SCHEMA: usize = 6;
const VALUE: usize = 7;
const SCHEMA: usize = 8;
const HEADERS: usize = 9;

fn place_of(key: &str) -> Option<usize> {
    Some(match key {
        "topic" => TOPIC,
        "partition" => PARTITION,
        "offset" => OFFSET,
        "timestamp" => TIMESTAMP,
        "timestamp_type" => TIMESTAMP_TYPE,
        "key" => KEY,
        "key_schema" => KEY_SCHEMA,
        "value" => VALUE,
        "schema" => SCHEMA,
        "headers" => HEADERS,
        _ => return None,
    })
}

/// Most threads a block is checked on.
const MAX_THREADS: usize = 4;
/// Pieces a block is cut into per thread checking it.
const PIECES_PER_THREAD: usize = 4;
/// Blocks smaller than this are checked on the calling thread alone (starting a thread costs
/// about as much as checking ten lines).
const PARALLEL_FROM: usize = 64 * 1024;

/// A line that is not a valid record: 1-based line number and the message (field path first).
#[derive(Debug, PartialEq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// What checking a line needs: the header's schemas, and the topic of lines that name none.
#[derive(Default)]
struct Rules {
    schemas: HashMap<String, Arc<Schema>>,
    default_topic: Option<String>,
}

#[derive(Default)]
pub struct Lines {
    rules: Rules,
    /// The number of the next line to be fed.
    pub line: usize,
    /// The start of a line that the last chunk cut.
    carry: Vec<u8>,
    /// One per thread: the buffer its lines' keys, values and header values are encoded into,
    /// kept from block to block.
    buffers: Vec<Vec<u8>>,
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

/// `null`, a string (its UTF-8 bytes) or `{"base64": "..."}`: the bytes appended to `out`.
fn plain_bytes(v: &J, what: &str, out: &mut Vec<u8>) -> Result<Option<Range<usize>>, String> {
    let start = out.len();
    match v {
        J::Null => Ok(None),
        J::Str(s) => {
            out.extend_from_slice(s.as_bytes());
            Ok(Some(start..out.len()))
        }
        J::Obj(m) if m.len() == 1 && m[0].0 == "base64" && m[0].1.as_str().is_some() => {
            let text = m[0].1.as_str().expect("a string");
            match base64::engine::general_purpose::STANDARD.decode_vec(text, out) {
                Ok(()) => Ok(Some(start..out.len())),
                Err(_) => {
                    out.truncate(start);
                    Err(format!("{what}: invalid base64"))
                }
            }
        }
        _ => {
            let text: String = v.to_string().chars().take(60).collect();
            Err(format!("{what}: expected null, a string or {{\"base64\": \"...\"}}, got {text}"))
        }
    }
}

fn non_empty_string<'a>(v: &J<'a>, what: &str) -> Result<Cow<'a, str>, String> {
    match v {
        J::Str(s) if !s.is_empty() => Ok(s.clone()),
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

/// `block` cut at line ends into at most `n` pieces of about equal size.
fn pieces(block: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = (block.len() * k / n).max(start);
        match memchr::memchr(b'\n', &block[target..]) {
            Some(at) => {
                out.push(&block[start..=target + at]);
                start = target + at + 1;
            }
            None => break,
        }
    }
    out.push(&block[start..]);
    out
}

/// What one thread made of its piece of a block: the records up to its first invalid line, the
/// number of lines it went through, and that invalid line's (index in the piece, message).
struct Piece<'a> {
    records: Vec<Checked<'a>>,
    lines: usize,
    error: Option<(usize, String)>,
}

impl Lines {
    /// Lines checked with the header's `schemas`, `default_topic` for lines that name no topic;
    /// the first line fed is numbered `first_line`. Blocks are checked on as many threads as the
    /// machine has cores (at most 4).
    pub fn new(schemas: HashMap<String, Arc<Schema>>, default_topic: Option<String>, first_line: usize) -> Lines {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS);
        Lines::with_threads(schemas, default_topic, first_line, threads)
    }

    pub fn with_threads(
        schemas: HashMap<String, Arc<Schema>>,
        default_topic: Option<String>,
        first_line: usize,
        threads: usize,
    ) -> Lines {
        Lines {
            rules: Rules { schemas, default_topic },
            line: first_line,
            buffers: vec![Vec::new(); threads.max(1)],
            ..Lines::default()
        }
    }

    /// The records of the lines `chunk` completes (any bytes of the input: a line it cuts is
    /// kept until the next chunk) into `spool`; the first invalid line stops it. Blank lines are
    /// skipped.
    pub fn feed(&mut self, chunk: &[u8], spool: &mut Vec<u8>) -> Result<usize, LineError> {
        let Some(last) = memchr::memrchr(b'\n', chunk) else {
            self.carry.extend_from_slice(chunk);
            return Ok(0);
        };
        let (mut whole, rest) = (&chunk[..=last], &chunk[last + 1..]);
        let mut records = 0;
        if !self.carry.is_empty() {
            let end = memchr::memchr(b'\n', whole).expect("the chunk has a newline");
            let mut line = std::mem::take(&mut self.carry);
            line.extend_from_slice(&whole[..=end]);
            let result = self.lines(&line, spool);
            line.clear();
            self.carry = line;
            records += result?;
            whole = &whole[end + 1..];
        }
        records += self.lines(whole, spool)?;
        self.carry.extend_from_slice(rest);
        Ok(records)
    }

    /// The record of a last line without a newline (fed already; a file cut short ends so).
    pub fn finish(&mut self, spool: &mut Vec<u8>) -> Result<usize, LineError> {
        let line = std::mem::take(&mut self.carry);
        self.lines(&line, spool)
    }

    /// The lines of `block` (complete but for, at most, the last) into `spool`, in order.
    fn lines(&mut self, block: &[u8], spool: &mut Vec<u8>) -> Result<usize, LineError> {
        let threads = if block.len() >= PARALLEL_FROM { self.buffers.len() } else { 1 };
        // more pieces than threads, taken in turn: a thread that starts late (its core busy with
        // other work) leaves more of them to the others instead of holding up the block
        let pieces = pieces(block, threads * PIECES_PER_THREAD);
        let mut buffers = std::mem::take(&mut self.buffers);
        let rules = &self.rules;
        let next = AtomicUsize::new(0);
        let first_error = AtomicUsize::new(usize::MAX);
        let work = |buffer: &mut Vec<u8>| {
            buffer.clear();
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= pieces.len() {
                    return done;
                }
                if i > first_error.load(Ordering::Relaxed) {
                    continue; // after an invalid line: not needed
                }
                let piece = rules.check_piece(pieces[i], buffer);
                if piece.error.is_some() {
                    first_error.fetch_min(i, Ordering::Relaxed);
                }
                done.push((i, piece));
            }
        };
        let mut checked: Vec<(usize, Piece, usize)> = Vec::with_capacity(pieces.len());
        let (own, others) = buffers[..threads].split_first_mut().expect("one buffer per thread");
        std::thread::scope(|scope| {
            let spawned: Vec<_> = others.iter_mut().map(|buffer| scope.spawn(|| work(buffer))).collect();
            checked.extend(work(own).into_iter().map(|(i, piece)| (i, piece, 0)));
            for (thread, handle) in spawned.into_iter().enumerate() {
                let done = handle.join().expect("a checking thread panicked");
                checked.extend(done.into_iter().map(|(i, piece)| (i, piece, thread + 1)));
            }
        });
        checked.sort_unstable_by_key(|(i, _, _)| *i);
        let mut records = 0;
        let mut result = Ok(());
        for (_, piece, thread) in checked {
            records += piece.records.len();
            for c in piece.records {
                self.write(c, &buffers[thread], spool);
            }
            if let Some((index, message)) = piece.error {
                result = Err(LineError { line: self.line + index, message });
                break;
            }
            self.line += piece.lines;
        }
        self.buffers = buffers;
        result.map(|()| records)
    }

    /// A checked line into the spool: its topic and schema slots numbered as first met.
    fn write(&mut self, c: Checked, buffer: &[u8], spool: &mut Vec<u8>) {
        let topic = c.topic.as_deref().or(self.rules.default_topic.as_deref()).expect("checked: a topic");
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
        let bytes = |range: &Option<Range<usize>>| range.clone().map(|r| &buffer[r]);
        spool.extend_from_slice(&topic_index.to_le_bytes());
        spool.extend_from_slice(&c.partition.to_le_bytes());
        spool.extend_from_slice(&c.timestamp.to_le_bytes());
        spool.extend_from_slice(&key_slot.to_le_bytes());
        spool.extend_from_slice(&value_slot.to_le_bytes());
        blob(bytes(&c.key), spool);
        blob(bytes(&c.value), spool);
        spool.extend_from_slice(&(c.headers.len() as u32).to_le_bytes());
        for (name, v) in &c.headers {
            blob(Some(name.as_bytes()), spool);
            blob(bytes(v), spool);
        }
        self.count += 1;
        *self.counts.entry((topic_index, c.partition)).or_insert(0) += 1;
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
}

impl Rules {
    /// The lines of one piece checked onto `buffer`, up to the first invalid one.
    fn check_piece<'a>(&self, piece: &'a [u8], buffer: &mut Vec<u8>) -> Piece<'a> {
        let mut records = Vec::with_capacity(piece.len() / 256);
        let mut spans = Spans::new(); // the encoder's, kept from line to line
        let (mut start, mut index) = (0, 0);
        loop {
            let end = memchr::memchr(b'\n', &piece[start..]).map_or(piece.len(), |at| start + at);
            let line = &piece[start..end];
            if !line.iter().all(u8::is_ascii_whitespace) {
                match self.check(line, buffer, &mut spans) {
                    Ok(c) => records.push(c),
                    Err(message) => return Piece { records, lines: index, error: Some((index, message)) },
                }
            }
            if end == piece.len() {
                return Piece { records, lines: index, error: None };
            }
            start = end + 1;
            index += 1;
        }
    }

    /// One line parsed, checked and its key and value encoded onto `out`.
    fn check<'a>(&self, line: &'a [u8], out: &mut Vec<u8>, spans: &mut Spans) -> Result<Checked<'a>, String> {
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
        // filled in place: the envelope is several hundred bytes, and moving it out of serde's
        // layers cost more than parsing a short line
        let mut envelope = Envelope::default();
        // a line checked as UTF-8 once spares the parser checking each string (and a line that
        // is not UTF-8 gets the parser's own error)
        let parsed = match std::str::from_utf8(line) {
            Ok(text) => self.envelope(&mut serde_json::Deserializer::from_str(text), out, spans, &inline, &mut envelope),
            Err(_) => self.envelope(&mut serde_json::Deserializer::from_slice(line), out, spans, &inline, &mut envelope),
        };
        if let Err(e) = parsed {
            return Err(match inline.into_inner() {
                Some((kind, name, m)) => payload_error(kind, &name, &m),
                None => json_error(e),
            });
        }
        let Envelope { fields, unknown, encoded } = &mut envelope;
        unknown.sort();
        if let Some(k) = unknown.first() {
            return Err(format!("unknown key '{k}'"));
        }
        let raw = |at: usize| match &fields[at] {
            Some(Field::Raw(raw)) => Some(raw.get()),
            _ => None,
        };
        let (key_raw, value_raw, has_value) = (raw(KEY), raw(VALUE), fields[VALUE].is_some());
        let field = |at: usize| match &fields[at] {
            Some(Field::Small(v)) if !v.is_null() => Some(v),
            _ => None,
        };
        if !has_value {
            return Err("missing \"value\" (use null for a tombstone)".into());
        }
        let topic = match field(TOPIC) {
            Some(v) => Some(non_empty_string(v, "topic")?),
            None if self.default_topic.is_some() => None,
            None => {
                return Err(
                    "the record names no topic (no \"topic\", and the header has not exactly one; pass --topic)"
                        .into(),
                )
            }
        };
        let partition = field(PARTITION).map(|v| non_negative(v, "partition", i32::MAX as i64)).transpose()?;
        field(OFFSET).map(|v| non_negative(v, "offset", i64::MAX)).transpose()?;
        let timestamp = match field(TIMESTAMP) {
            None => -1,
            Some(J::Str(s)) => time_value(s, Time::TimestampMillis).map_err(|e| format!("timestamp: {e}"))?,
            Some(v) => integer_text(v)
                .and_then(|t| t.parse::<i64>().ok())
                .ok_or_else(|| format!("timestamp: expected epoch milliseconds or an ISO-8601 string, got {v}"))?,
        };
        if let Some(t) = field(TIMESTAMP_TYPE) {
            if !matches!(t.as_str(), Some("create" | "log_append")) {
                return Err("timestamp_type: expected one of create, log_append".into());
            }
        }
        let schema = field(SCHEMA).map(|v| non_empty_string(v, "schema")).transpose()?;
        let key_schema = field(KEY_SCHEMA).map(|v| non_empty_string(v, "key_schema")).transpose()?;
        let headers = headers(field(HEADERS), out)?;
        let [key_inline, value_inline] = std::mem::take(encoded);
        let key = match key_inline {
            Some((name, bytes)) if Some(name.as_ref()) == key_schema.as_deref() => Some(bytes),
            _ => self.payload(key_raw.unwrap_or("null"), key_schema.as_deref(), "key", out)?,
        };
        let value = match value_inline {
            Some((name, bytes)) if Some(name.as_ref()) == schema.as_deref() => Some(bytes),
            _ => self.payload(value_raw.unwrap_or("null"), schema.as_deref(), "value", out)?,
        };
        Ok(Checked { topic, partition: partition.map_or(-1, |p| p as i32), timestamp, key, key_schema, value, schema, headers })
    }

    fn envelope<'a, R: serde_json::de::Read<'a>>(
        &self,
        de: &mut serde_json::Deserializer<R>,
        out: &mut Vec<u8>,
        spans: &mut Spans,
        mismatch: &RefCell<Option<(&'static str, String, Mismatch)>>,
        envelope: &mut Envelope<'a>,
    ) -> Result<(), serde_json::Error> {
        EnvelopeSeed { rules: self, out, spans, mismatch, envelope }.deserialize(&mut *de)?;
        de.end()
    }

    /// A key or value: its bytes (encoded through its schema when it names one) onto `out`.
    fn payload(
        &self,
        text: &str,
        schema: Option<&str>,
        kind_name: &'static str,
        out: &mut Vec<u8>,
    ) -> Result<Option<Range<usize>>, String> {
        let Some(name) = schema else {
            // raw JSON the line's parser has checked: null and strings without escapes need no
            // second parse (the usual key)
            if text == "null" {
                return Ok(None);
            }
            if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                if !inner.contains('\\') {
                    let start = out.len();
                    out.extend_from_slice(inner.as_bytes());
                    return Ok(Some(start..out.len()));
                }
            }
            let v = J::parse(text.as_bytes()).map_err(|e| format!("{kind_name}: invalid JSON: {e}"))?;
            return plain_bytes(&v, kind_name, out);
        };
        let field = if kind_name == "key" { "key_schema" } else { "schema" };
        let compiled = self.schemas.get(name).ok_or_else(|| {
            let mut known: Vec<&String> = self.schemas.keys().collect();
            known.sort();
            let known = known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            let known = if known.is_empty() { "none".to_string() } else { known };
            format!("{field}: unknown schema '{name}' (the header defines: {known})")
        })?;
        let start = out.len();
        encode_json(compiled, text.as_bytes(), out).map_err(|e| payload_error(kind_name, name, &e))?;
        Ok(Some(start..out.len()))
    }
}

/// A partition, offset or timestamp from its raw JSON: an integer borrows its text (no number is
/// built: under `arbitrary_precision` that allocates), anything else is parsed as before.
fn integer_field(raw: &RawValue) -> Result<J<'_>, serde_json::Error> {
    let text = raw.get();
    if is_integer(text) {
        return Ok(J::Num(Cow::Borrowed(text)));
    }
    J::parse(text.as_bytes())
}

/// A line's headers, their values appended to `out`.
fn headers<'a>(headers: Option<&J<'a>>, out: &mut Vec<u8>) -> Result<Headers<'a>, String> {
    let mut found = Vec::new();
    match headers {
        None | Some(J::Null) => {}
        Some(J::Arr(pairs)) => {
            for (i, pair) in pairs.iter().enumerate() {
                match pair {
                    J::Arr(items) if matches!(items.as_slice(), [J::Str(_), _]) => {
                        let J::Str(name) = &items[0] else { unreachable!() };
                        found.push((name.clone(), plain_bytes(&items[1], &format!("headers[{i}]"), out)?));
                    }
                    _ => return Err(format!("headers[{i}]: expected a [name, value] pair with a string name")),
                }
            }
        }
        Some(_) => return Err("headers: expected a list of [name, value] pairs".into()),
    }
    Ok(found)
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

/// A record line: each known key's field at its place (a repeated key keeps its last value), the
/// unknown keys, and the key and value encoded inline: (schema name, bytes in the thread's buffer).
#[derive(Default)]
struct Envelope<'a> {
    fields: [Option<Field<'a>>; 10],
    unknown: Vec<Cow<'a, str>>,
    encoded: [Option<(Cow<'a, str>, Range<usize>)>; 2],
}

/// One field of a line: parsed (the small ones), raw JSON (a key or value encoded later), or
/// encoded while the line was parsed.
enum Field<'a> {
    Small(J<'a>),
    Raw(&'a RawValue),
    Inline,
}

/// Parses a line into its Envelope; a key or value met after its schema is encoded at once.
struct EnvelopeSeed<'l, 'de> {
    rules: &'l Rules,
    out: &'l mut Vec<u8>,
    spans: &'l mut Spans,
    /// ("key" | "value", schema name, mismatch) of an inline encoding that failed
    mismatch: &'l RefCell<Option<(&'static str, String, Mismatch)>>,
    envelope: &'l mut Envelope<'de>,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a record line object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let EnvelopeSeed { rules, out, spans, mismatch, envelope } = self;
        let Envelope { fields, unknown, encoded } = envelope;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let Some(at) = place_of(&key) else {
                map.next_value::<IgnoredAny>()?;
                unknown.push(key);
                continue;
            };
            let payload = match at {
                KEY => Some((0, "key", KEY_SCHEMA)),
                VALUE => Some((1, "value", SCHEMA)),
                _ => None,
            };
            // the schema named before this key or value, when the header has it
            let schema = payload.and_then(|(_, _, schema_at)| {
                let Some(Field::Small(J::Str(name))) = &fields[schema_at] else { return None };
                Some((name.clone(), rules.schemas.get(name.as_ref())?))
            });
            fields[at] = Some(match (payload, schema) {
                (Some((i, kind, _)), Some((name, compiled))) => {
                    let failure = RefCell::new(None);
                    let start = out.len();
                    if let Err(e) = map.next_value_seed(seed(compiled, &mut *out, &mut *spans, &failure)) {
                        if let Some(m) = failure.into_inner() {
                            *mismatch.borrow_mut() = Some((kind, name.into_owned(), m));
                        }
                        return Err(e);
                    }
                    encoded[i] = Some((name, start..out.len()));
                    Field::Inline
                }
                (Some((i, _, _)), None) => {
                    encoded[i] = None;
                    Field::Raw(map.next_value::<&'de RawValue>()?)
                }
                (None, _) if matches!(at, PARTITION | OFFSET | TIMESTAMP) => {
                    Field::Small(integer_field(map.next_value::<&'de RawValue>()?).map_err(A::Error::custom)?)
                }
                (None, _) => Field::Small(map.next_value::<J<'de>>()?),
            });
        }
        Ok(())
    }
}

/// A line checked and encoded, before its topic and slots are numbered; key, value and header
/// values are ranges of the checking thread's buffer.
struct Checked<'a> {
    topic: Option<Cow<'a, str>>,
    partition: i32,
    timestamp: i64,
    key: Option<Range<usize>>,
    key_schema: Option<Cow<'a, str>>,
    value: Option<Range<usize>>,
    schema: Option<Cow<'a, str>>,
    headers: Headers<'a>,
}

/// A line's headers: (name, value as a range of the checking thread's buffer).
type Headers<'a> = Vec<(Cow<'a, str>, Option<Range<usize>>)>;

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
