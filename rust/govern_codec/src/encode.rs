//! JSON text (the fixture mapping of docs/fixtures.md section 2) to Avro binary, checked on the
//! way: the encoder is a serde `DeserializeSeed`, so serde_json's parser drives it and no JSON
//! value is built. A value that does not fit its node leaves a `Mismatch` (message and path) in
//! the shared slot and stops the parse.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;

use base64::Engine;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::json::{is_integer, Text};
use crate::numbers::{write_decimal, write_long};
use crate::schema::{Node, Schema};
use crate::time::time_value;

/// Nesting a value may have (the JSON parser stops at 128 levels already; records are checked too).
pub const MAX_DEPTH: usize = 200;
/// serde_json's name for a number under `arbitrary_precision`: numbers arrive as their exact text.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// A value that does not fit its schema: the message, and the path from the root (innermost last).
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub message: String,
    pub path: Vec<String>,
}

impl Mismatch {
    pub fn new(message: impl Into<String>) -> Mismatch {
        Mismatch { message: message.into(), path: Vec::new() }
    }

    /// The path as docs/fixtures.md words it: `rate.price`, `tags[2]`, `attributes['k']`.
    pub fn path_text(&self) -> String {
        let mut text = String::new();
        for part in self.path.iter().rev() {
            if !text.is_empty() && !part.starts_with('[') {
                text.push('.');
            }
            text.push_str(part);
        }
        text
    }

    pub fn render(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.path_text(), self.message)
        }
    }
}

/// A string as Python's repr() writes it (the way every other govern message quotes values).
pub fn repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// What the parser met, as an error names it.
#[derive(Clone, Copy)]
enum Seen<'x> {
    Null,
    Bool,
    Num(&'x str),
    Str(&'x str),
    Arr,
    Obj,
}

impl fmt::Display for Seen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seen::Null => f.write_str("null"),
            Seen::Bool => f.write_str("a boolean"),
            Seen::Num(n) => write!(f, "the number {}", short(n)),
            Seen::Str(s) => write!(f, "the string {}", repr(&short(s))),
            Seen::Arr => f.write_str("an array"),
            Seen::Obj => f.write_str("an object"),
        }
    }
}

/// Avro writes a block's item count before its items, but the count is known only after them:
/// a one-byte place is kept at `at` first and filled here. A count below 64 fits that byte (the
/// usual case: nothing moves); none removes it; a larger one moves the items behind its varint.
fn put_count(out: &mut Vec<u8>, at: usize, count: usize) {
    if count == 0 {
        out.truncate(at);
    } else if count < 64 {
        out[at] = (count as u8) << 1;
    } else {
        let mut prefix = Vec::with_capacity(10);
        write_long(count as i64, &mut prefix);
        out.splice(at..=at, prefix);
    }
}

/// Where records and maps note their entries' bytes while they are written: one stack per
/// encoding (or per thread, kept from value to value), each record or map using the entries above
/// the ones it found, and leaving the stack as it found it. No allocation per record or map.
pub type Spans = Vec<(usize, usize, usize)>;

/// Encode the JSON text `json` as node 0 of `schema` onto `out`; the mismatch, else serde_json's
/// own error (invalid JSON) as a mismatch at the root.
pub fn encode_json(schema: &Schema, json: &[u8], out: &mut Vec<u8>) -> Result<(), Mismatch> {
    encode_at(schema, 0, json, out)
}

pub fn encode_at(schema: &Schema, node: usize, json: &[u8], out: &mut Vec<u8>) -> Result<(), Mismatch> {
    let failure = RefCell::new(None);
    let start = out.len();
    let mut de = serde_json::Deserializer::from_slice(json);
    let mut spans = Spans::new();
    let result = Enc { schema, node, out: &mut *out, spans: &mut spans, depth: 0, failure: &failure }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    result.map_err(|e| {
        out.truncate(start);
        failure.into_inner().unwrap_or_else(|| Mismatch::new(format!("invalid JSON: {e}")))
    })
}

/// The encoder of node 0 of `schema` as a serde seed (for a value inside a larger document);
/// a mismatch is left in `failure`.
pub fn seed<'s, 'o>(
    schema: &'s Schema,
    out: &'o mut Vec<u8>,
    spans: &'o mut Spans,
    failure: &'s RefCell<Option<Mismatch>>,
) -> Enc<'s, 'o> {
    Enc { schema, node: 0, out, spans, depth: 0, failure }
}

pub struct Enc<'s, 'o> {
    schema: &'s Schema,
    node: usize,
    out: &'o mut Vec<u8>,
    spans: &'o mut Spans,
    depth: usize,
    failure: &'s RefCell<Option<Mismatch>>,
}

impl<'s, 'o> Enc<'s, 'o> {
    fn fail<E: de::Error>(&self, message: String) -> E {
        *self.failure.borrow_mut() = Some(Mismatch::new(message));
        E::custom("the value does not fit its schema")
    }

    /// Add `part` to the path of a mismatch raised below.
    fn at<E>(&self, part: impl FnOnce() -> String, error: E) -> E {
        if let Some(m) = self.failure.borrow_mut().as_mut() {
            m.path.push(part());
        }
        error
    }

    fn child<'c>(&'c mut self, node: usize) -> Enc<'s, 'c> {
        Enc {
            schema: self.schema,
            node,
            out: &mut *self.out,
            spans: &mut *self.spans,
            depth: self.depth + 1,
            failure: self.failure,
        }
    }

    fn node(&self) -> &'s Node {
        &self.schema.nodes[self.node]
    }

    /// For an untagged union: the branch a non-null value takes, its index written.
    fn untagged_branch<E: de::Error>(&mut self, seen: Seen) -> Result<Option<usize>, E> {
        match self.node() {
            Node::Union { tagged: false, branches, .. } => match branches.iter().position(|(t, _)| t.is_some()) {
                Some(i) => {
                    write_long(i as i64, self.out);
                    Ok(Some(branches[i].1))
                }
                None => Err(self.fail(format!("expected null, got {seen}"))),
            },
            _ => Ok(None),
        }
    }

    fn expected<E: de::Error>(&self, seen: Seen) -> E {
        let message = match self.node() {
            Node::Null => format!("expected null, got {seen}"),
            Node::Boolean => format!("expected true or false, got {seen}"),
            Node::Int => format!("expected an integer (int), got {seen}"),
            Node::Long => format!("expected an integer (long), got {seen}"),
            Node::Float => format!("expected a number (float), got {seen}"),
            Node::Double => format!("expected a number (double), got {seen}"),
            Node::String => format!("expected a string, got {seen}"),
            Node::Bytes | Node::Fixed { .. } => format!("expected a base64 string, got {seen}"),
            Node::Enum { name, .. } => format!("{seen} is not a symbol of enum {name}"),
            Node::Array(_) => format!("expected an array, got {seen}"),
            Node::Map(_) => format!("expected an object (map), got {seen}"),
            Node::Record { name, .. } => format!("expected an object (record {name}), got {seen}"),
            Node::Union { branches, .. } => format!(
                "a union of several types needs a tagged value ({}), got {seen}",
                branches
                    .iter()
                    .filter_map(|(t, _)| t.as_ref().map(|t| format!("{{\"{t}\": ...}}")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Node::Decimal { .. } => format!("expected a decimal as a JSON string like \"12.50\", got {seen}"),
            Node::Time { logical, .. } => {
                format!("expected an integer or an ISO-8601 string for {}, got {seen}", logical.name())
            }
        };
        self.fail(message)
    }

    fn integer<E: de::Error>(&mut self, text: &str, low: i64, high: i64, what: &str) -> Result<(), E> {
        if !is_integer(text) {
            return Err(self.fail(format!("expected an integer ({what}), got {}", Seen::Num(text))));
        }
        match text.parse::<i64>() {
            Ok(n) if (low..=high).contains(&n) => {
                write_long(n, self.out);
                Ok(())
            }
            _ => Err(self.fail(format!("{} is out of range for {what}", short(text)))),
        }
    }

    fn float<E: de::Error>(&mut self, x: f64, seen: Seen) -> Result<(), E> {
        match self.node() {
            Node::Float => {
                let narrow = x as f32;
                if x.is_finite() && narrow.is_infinite() {
                    return Err(self.fail(format!("{seen} is out of range for float")));
                }
                self.out.extend_from_slice(&narrow.to_le_bytes());
            }
            _ => self.out.extend_from_slice(&x.to_le_bytes()),
        }
        Ok(())
    }

    fn number<E: de::Error>(&mut self, text: &str) -> Result<(), E> {
        let seen = Seen::Num(text);
        if let Some(branch) = self.untagged_branch(seen)? {
            return self.child(branch).number(text);
        }
        match self.node() {
            Node::Int => self.integer(text, i32::MIN as i64, i32::MAX as i64, "int"),
            Node::Long => self.integer(text, i64::MIN, i64::MAX, "long"),
            Node::Time { long, logical } => {
                let (low, high) = if *long { (i64::MIN, i64::MAX) } else { (i32::MIN as i64, i32::MAX as i64) };
                self.integer(text, low, high, logical.name())
            }
            Node::Float | Node::Double => {
                // correctly rounded, and "-0" / "-0.0" keep their sign
                let x: f64 = text.parse().map_err(|_| self.expected(seen))?;
                if x.is_infinite() {
                    let what = if matches!(self.node(), Node::Float) { "float" } else { "double" };
                    return Err(self.fail(format!("{seen} is out of range for {what}")));
                }
                self.float(x, seen)
            }
            Node::Decimal { .. } if is_integer(text) => self.decimal(text),
            _ => Err(self.expected(seen)),
        }
    }

    fn decimal<E: de::Error>(&mut self, text: &str) -> Result<(), E> {
        let Node::Decimal { size, precision, scale } = self.node() else { unreachable!() };
        let at = self.out.len();
        if size.is_none() {
            self.out.push(0); // the length's place
        }
        write_decimal(text, *precision, *scale, *size, self.out).map_err(|m| self.fail(m))?;
        if size.is_none() {
            put_count(self.out, at, self.out.len() - at - 1); // never 0: a decimal has a byte at least
        }
        Ok(())
    }

    fn string<E: de::Error>(&mut self, s: &str) -> Result<(), E> {
        let seen = Seen::Str(s);
        if let Some(branch) = self.untagged_branch(seen)? {
            return self.child(branch).string(s);
        }
        match self.node() {
            Node::String => {
                write_long(s.len() as i64, self.out);
                self.out.extend_from_slice(s.as_bytes());
            }
            Node::Bytes | Node::Fixed { .. } => {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| self.fail(format!("invalid base64 {}", repr(&short(s)))))?;
                match self.node() {
                    Node::Fixed { name, size } if data.len() != *size => {
                        return Err(self.fail(format!("fixed {name} needs {size} bytes, got {}", data.len())))
                    }
                    Node::Fixed { .. } => {}
                    _ => write_long(data.len() as i64, self.out),
                }
                self.out.extend_from_slice(&data);
            }
            node @ Node::Enum { .. } => match node.symbol(s) {
                Some(p) => write_long(p as i64, self.out),
                None => return Err(self.expected(seen)),
            },
            Node::Float | Node::Double => {
                let x = match s {
                    "NaN" => f64::NAN,
                    "Infinity" => f64::INFINITY,
                    "-Infinity" => f64::NEG_INFINITY,
                    _ => return Err(self.expected(seen)),
                };
                self.float(x, seen)?;
            }
            Node::Decimal { .. } => self.decimal(s)?,
            Node::Time { long, logical } => {
                let n = time_value(s, *logical).map_err(|m| self.fail(m))?;
                if !*long && (n < i32::MIN as i64 || n > i32::MAX as i64) {
                    return Err(self.fail(format!("{n} is out of range for {}", logical.name())));
                }
                write_long(n, self.out);
            }
            _ => return Err(self.expected(seen)),
        }
        Ok(())
    }

    fn record<'de, A: MapAccess<'de>>(&mut self, first: Option<Text<'de>>, mut map: A) -> Result<(), A::Error> {
        let node = self.node();
        let Node::Record { name, fields, .. } = node else { unreachable!() };
        let start = self.out.len();
        // each field's bytes, written in arrival order: (field, start, end) from `base` up
        let base = self.spans.len();
        let mut key = first;
        while let Some(Text(k)) = key {
            // fields mostly come in the schema's order: try the next one before looking it up
            let next = self.spans.len() - base;
            let found = match fields.get(next) {
                Some(f) if f.name == k.as_ref() => Some(next),
                _ => node.field(k.as_ref()),
            };
            let Some(i) = found else {
                return Err(self.fail(format!("unknown field '{k}': record {name} has no such field")));
            };
            let from = self.out.len();
            map.next_value_seed(self.child(fields[i].node)).map_err(|e| self.at(|| fields[i].name.clone(), e))?;
            self.spans.push((i, from, self.out.len()));
            key = map.next_key::<Text<'de>>()?;
        }
        let written = &self.spans[base..];
        if written.len() == fields.len() && written.iter().enumerate().all(|(n, (i, _, _))| n == *i) {
            self.spans.truncate(base);
            return Ok(());
        }
        let spans = self.spans.split_off(base);
        // out of order, repeated or missing fields: lay them out in the schema's order, the last
        // value of a repeated field, defaults for missing ones
        let written: Vec<u8> = self.out[start..].to_vec();
        self.out.truncate(start);
        let mut latest: Vec<Option<(usize, usize)>> = vec![None; fields.len()];
        for (i, from, to) in spans {
            latest[i] = Some((from - start, to - start));
        }
        for (i, field) in fields.iter().enumerate() {
            match (latest[i], &field.default) {
                (Some((from, to)), _) => self.out.extend_from_slice(&written[from..to]),
                (None, Some(Ok(bytes))) => self.out.extend_from_slice(bytes),
                (None, Some(Err(why))) => {
                    return Err(self.fail(format!("missing field '{}' of {name}: {why}", field.name)))
                }
                (None, None) => {
                    return Err(self.fail(format!("missing field '{}' of {name} (it has no default)", field.name)))
                }
            }
        }
        Ok(())
    }

    fn map<'de, A: MapAccess<'de>>(&mut self, first: Option<Text<'de>>, mut map: A, values: usize) -> Result<(), A::Error> {
        let start = self.out.len();
        self.out.push(0); // the count's place (put_count)
        // each entry from `base` up: (key start, key end, entry end); its length varint comes first
        let base = self.spans.len();
        let mut hashed: Option<HashSet<Text<'de>>> = None; // past 16 keys: looked up by hashing
        let mut repeated = false;
        let mut key = first;
        while let Some(Text(k)) = key {
            write_long(k.len() as i64, self.out);
            let key_start = self.out.len();
            self.out.extend_from_slice(k.as_bytes());
            let key_end = self.out.len();
            map.next_value_seed(self.child(values)).map_err(|e| self.at(|| format!("[{}]", repr(&k)), e))?;
            repeated |= match &mut hashed {
                Some(set) => !set.insert(Text(k)),
                None => self.spans[base..].iter().any(|&(a, b, _)| &self.out[a..b] == k.as_bytes()),
            };
            self.spans.push((key_start, key_end, self.out.len()));
            if hashed.is_none() && self.spans.len() - base > 16 {
                let keys = self.spans[base..].iter().map(|&(a, b, _)| String::from_utf8_lossy(&self.out[a..b]));
                hashed = Some(keys.map(|k| Text(Cow::Owned(k.into_owned()))).collect());
            }
            key = map.next_key::<Text<'de>>()?;
        }
        if !repeated {
            put_count(self.out, start, self.spans.len() - base);
            self.spans.truncate(base);
            self.out.push(0);
            return Ok(());
        }
        let spans = self.spans.split_off(base);
        let body: Vec<u8> = self.out[start + 1..].to_vec();
        self.out.truncate(start);
        // a repeated key keeps its last value at its first place (as Python's json reads it)
        let mut place: HashMap<&[u8], usize> = HashMap::new();
        let mut kept: Vec<(usize, usize)> = Vec::new();
        let mut from = 0;
        for (key_start, key_end, to) in spans {
            let (key, to) = (&body[key_start - start - 1..key_end - start - 1], to - start - 1);
            match place.get(key) {
                Some(&p) => kept[p] = (from, to),
                None => {
                    place.insert(key, kept.len());
                    kept.push((from, to));
                }
            }
            from = to;
        }
        write_long(kept.len() as i64, self.out);
        for (from, to) in kept {
            self.out.extend_from_slice(&body[from..to]);
        }
        self.out.push(0);
        Ok(())
    }

    fn tagged<'de, A: MapAccess<'de>>(&mut self, first: Option<Text<'de>>, mut map: A) -> Result<(), A::Error> {
        let Node::Union { branches, tags, .. } = self.node() else { unreachable!() };
        let Some(Text(tag)) = first else { return Err(self.expected(Seen::Obj)) };
        let Some(&i) = tags.get(tag.as_ref()) else {
            let names = branches
                .iter()
                .filter_map(|(t, _)| t.as_ref().map(|t| format!("{{\"{t}\": ...}}")))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(self.fail(format!("'{tag}' is not a branch of the union (expected one of {names})")));
        };
        write_long(i as i64, self.out);
        map.next_value_seed(self.child(branches[i].1)).map_err(|e| self.at(|| format!("[{tag}]"), e))?;
        if map.next_key::<Text<'de>>()?.is_some() {
            return Err(self.expected(Seen::Obj));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Enc<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.depth > MAX_DEPTH {
            return Err(self.fail(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Enc<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        if let Node::Union { null: None, tagged: false, .. } = self.node() {
            let branch = self.untagged_branch(Seen::Null)?.expect("an untagged union");
            return self.child(branch).visit_unit();
        }
        match self.node() {
            Node::Null => Ok(()),
            Node::Union { null: Some(i), .. } => {
                write_long(*i as i64, self.out);
                Ok(())
            }
            _ => Err(self.expected(Seen::Null)),
        }
    }

    fn visit_bool<E: de::Error>(mut self, b: bool) -> Result<(), E> {
        if let Some(branch) = self.untagged_branch(Seen::Bool)? {
            return self.child(branch).visit_bool(b);
        }
        match self.node() {
            Node::Boolean => {
                self.out.push(u8::from(b));
                Ok(())
            }
            _ => Err(self.expected(Seen::Bool)),
        }
    }

    fn visit_i64<E: de::Error>(mut self, n: i64) -> Result<(), E> {
        self.number(&n.to_string())
    }

    fn visit_u64<E: de::Error>(mut self, n: u64) -> Result<(), E> {
        self.number(&n.to_string())
    }

    fn visit_f64<E: de::Error>(mut self, n: f64) -> Result<(), E> {
        self.number(ryu::Buffer::new().format(n))
    }

    fn visit_str<E: de::Error>(mut self, s: &str) -> Result<(), E> {
        self.string(s)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        if let Some(branch) = self.untagged_branch(Seen::Arr)? {
            return self.child(branch).visit_seq(seq);
        }
        let Node::Array(item) = self.node() else { return Err(self.expected(Seen::Arr)) };
        let start = self.out.len();
        self.out.push(0); // the count's place (put_count)
        let mut count = 0usize;
        loop {
            let i = count;
            let more = seq.next_element_seed(self.child(*item)).map_err(|e| self.at(|| format!("[{i}]"), e))?;
            if more.is_none() {
                break;
            }
            count += 1;
        }
        put_count(self.out, start, count);
        self.out.push(0);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let first = map.next_key::<Text<'de>>()?;
        if first.as_ref().is_some_and(|Text(k)| k == NUMBER_TOKEN) {
            let Text(text) = map.next_value()?;
            return self.number(&text);
        }
        if let Some(branch) = self.untagged_branch(Seen::Obj)? {
            let mut child = self.child(branch);
            return match child.node() {
                Node::Record { .. } => child.record(first, map),
                Node::Map(values) => child.map(first, map, *values),
                _ => Err(child.expected(Seen::Obj)),
            };
        }
        match self.node() {
            Node::Record { .. } => self.record(first, map),
            Node::Map(values) => self.map(first, map, *values),
            Node::Union { tagged: true, .. } => self.tagged(first, map),
            _ => Err(self.expected(Seen::Obj)),
        }
    }
}
