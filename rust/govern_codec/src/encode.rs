//! JSON value (the fixture mapping of docs/fixtures.md section 2) to Avro binary, checking it on the way.

use base64::Engine;
use std::collections::HashMap;

use crate::json::J;

use crate::numbers::{decimal_to_bytes, write_long};
use crate::schema::{Node, Schema};
use crate::time::time_value;

/// Nesting a value may have (the JSON parser stops at 128 levels already; records are checked too).
pub const MAX_DEPTH: usize = 200;

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

    fn at(mut self, part: String) -> Mismatch {
        self.path.push(part);
        self
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

/// How a JSON value is named in an error: its kind, and a short excerpt of a number or string.
pub fn kind(v: &J) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(_) => "a boolean".into(),
        J::Num(n) => format!("the number {}", short(n)),
        J::Str(s) => format!("the string {}", repr(&short(s))),
        J::Arr(_) => "an array".into(),
        J::Obj(_) => "an object".into(),
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

/// The text of a JSON number when it is an integer (no fraction, no exponent).
pub fn integer_text<'a>(v: &'a J<'_>) -> Option<&'a str> {
    match v {
        J::Num(t) if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') => Some(t),
        _ => None,
    }
}

fn integer(v: &J, low: i64, high: i64, what: &str) -> Result<i64, Mismatch> {
    let t = integer_text(v).ok_or_else(|| Mismatch::new(format!("expected an integer ({what}), got {}", kind(v))))?;
    match t.parse::<i64>() {
        Ok(n) if (low..=high).contains(&n) => Ok(n),
        _ => Err(Mismatch::new(format!("{} is out of range for {what}", short(t)))),
    }
}

fn base64_bytes(v: &J) -> Result<Vec<u8>, Mismatch> {
    let s = v.as_str().ok_or_else(|| Mismatch::new(format!("expected a base64 string, got {}", kind(v))))?;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| Mismatch::new(format!("invalid base64 {}", repr(&short(s)))))
}

fn float(v: &J, what: &str) -> Result<f64, Mismatch> {
    match v {
        J::Str(s) => match s.as_ref() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => Err(Mismatch::new(format!("expected a number ({what}), got {}", kind(v)))),
        },
        J::Num(n) => {
            // Correctly rounded, and "-0" / "-0.0" keep their sign.
            let parsed: f64 = n.parse().map_err(|_| Mismatch::new("unreadable number"))?;
            if parsed.is_infinite() {
                return Err(Mismatch::new(format!("{} is out of range for {what}", kind(v))));
            }
            Ok(parsed)
        }
        _ => Err(Mismatch::new(format!("expected a number ({what}), got {}", kind(v)))),
    }
}

fn union_names(branches: &[(Option<String>, usize)]) -> String {
    branches
        .iter()
        .filter_map(|(t, _)| t.as_ref().map(|t| format!("{{\"{t}\": ...}}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Python's repr of a map key, as the path words it: `['k']`.
fn key_part(key: &str) -> String {
    format!("[{}]", repr(key))
}

/// Encode `v` as node `n` of `schema` onto `out`.
pub fn encode_value(schema: &Schema, n: usize, v: &J, out: &mut Vec<u8>, depth: usize) -> Result<(), Mismatch> {
    if depth > MAX_DEPTH {
        return Err(Mismatch::new(format!("nested deeper than {MAX_DEPTH} levels")));
    }
    match &schema.nodes[n] {
        Node::Null => {
            if !v.is_null() {
                return Err(Mismatch::new(format!("expected null, got {}", kind(v))));
            }
        }
        Node::Boolean => match v {
            J::Bool(b) => out.push(*b as u8),
            _ => return Err(Mismatch::new(format!("expected true or false, got {}", kind(v)))),
        },
        Node::Int => write_long(integer(v, i32::MIN as i64, i32::MAX as i64, "int")?, out),
        Node::Long => write_long(integer(v, i64::MIN, i64::MAX, "long")?, out),
        Node::Float => {
            let x = float(v, "float")?;
            let narrow = x as f32;
            if x.is_finite() && narrow.is_infinite() {
                return Err(Mismatch::new(format!("{} is out of range for float", kind(v))));
            }
            out.extend_from_slice(&narrow.to_le_bytes());
        }
        Node::Double => out.extend_from_slice(&float(v, "double")?.to_le_bytes()),
        Node::String => {
            let s = v.as_str().ok_or_else(|| Mismatch::new(format!("expected a string, got {}", kind(v))))?;
            write_long(s.len() as i64, out);
            out.extend_from_slice(s.as_bytes());
        }
        Node::Bytes => {
            let data = base64_bytes(v)?;
            write_long(data.len() as i64, out);
            out.extend_from_slice(&data);
        }
        Node::Fixed { name, size } => {
            let data = base64_bytes(v)?;
            if data.len() != *size {
                return Err(Mismatch::new(format!("fixed {name} needs {size} bytes, got {}", data.len())));
            }
            out.extend_from_slice(&data);
        }
        Node::Enum { name, index, .. } => {
            let position = v.as_str().and_then(|s| index.get(s));
            match position {
                Some(p) => write_long(*p as i64, out),
                None => return Err(Mismatch::new(format!("{} is not a symbol of enum {name}", kind(v)))),
            }
        }
        Node::Array(item) => {
            let J::Arr(items) = v else { return Err(Mismatch::new(format!("expected an array, got {}", kind(v)))) };
            if !items.is_empty() {
                write_long(items.len() as i64, out);
                for (i, element) in items.iter().enumerate() {
                    encode_value(schema, *item, element, out, depth + 1).map_err(|e| e.at(format!("[{i}]")))?;
                }
            }
            out.push(0);
        }
        Node::Map(values) => {
            let J::Obj(map) = v else { return Err(Mismatch::new(format!("expected an object (map), got {}", kind(v)))) };
            if !map.is_empty() {
                write_long(map.len() as i64, out);
                for (key, element) in map {
                    write_long(key.len() as i64, out);
                    out.extend_from_slice(key.as_bytes());
                    encode_value(schema, *values, element, out, depth + 1).map_err(|e| e.at(key_part(key)))?;
                }
            }
            out.push(0);
        }
        Node::Record { name, fields, index } => {
            let J::Obj(map) = v else {
                return Err(Mismatch::new(format!("expected an object (record {name}), got {}", kind(v))));
            };
            let hashed: Option<HashMap<&str, usize>> =
                (map.len() > 16).then(|| map.iter().enumerate().map(|(i, (k, _))| (k.as_ref(), i)).collect());
            let lookup = |key: &str| match &hashed {
                Some(h) => h.get(key).map(|i| &map[*i].1),
                None => map.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            };
            let mut found = 0;
            for field in fields {
                match lookup(&field.name) {
                    Some(element) => {
                        found += 1;
                        encode_value(schema, field.node, element, out, depth + 1)
                            .map_err(|e| e.at(field.name.clone()))?;
                    }
                    None => match &field.default {
                        Some(Ok(bytes)) => out.extend_from_slice(bytes),
                        Some(Err(why)) => {
                            return Err(Mismatch::new(format!("missing field '{}' of {name}: {why}", field.name)))
                        }
                        None => {
                            return Err(Mismatch::new(format!(
                                "missing field '{}' of {name} (it has no default)",
                                field.name
                            )))
                        }
                    },
                }
            }
            if found != map.len() {
                let unknown = map.iter().map(|(k, _)| k.as_ref()).find(|k| !index.contains_key(*k)).unwrap_or_default();
                return Err(Mismatch::new(format!("unknown field '{unknown}': record {name} has no such field")));
            }
        }
        Node::Union { tagged, branches, null, tags } => {
            if v.is_null() {
                if let Some(i) = null {
                    write_long(*i as i64, out);
                    return Ok(());
                }
            }
            if !tagged {
                let other = branches.iter().position(|(t, _)| t.is_some());
                return match other {
                    Some(i) => {
                        write_long(i as i64, out);
                        encode_value(schema, branches[i].1, v, out, depth + 1)
                    }
                    None => Err(Mismatch::new(format!("expected null, got {}", kind(v)))),
                };
            }
            let names = || union_names(branches);
            let map = match v {
                J::Obj(m) if m.len() == 1 => m,
                _ => {
                    return Err(Mismatch::new(format!(
                        "a union of several types needs a tagged value ({}), got {}",
                        names(),
                        kind(v)
                    )))
                }
            };
            let (tag, inner) = &map[0];
            let i = *tags.get(tag.as_ref()).ok_or_else(|| {
                Mismatch::new(format!("'{tag}' is not a branch of the union (expected one of {})", names()))
            })?;
            write_long(i as i64, out);
            encode_value(schema, branches[i].1, inner, out, depth + 1).map_err(|e| e.at(format!("[{tag}]")))?;
        }
        Node::Decimal { size, precision, scale } => {
            let text = match v {
                J::Str(s) => s.as_ref(),
                _ => integer_text(v).ok_or_else(|| {
                    Mismatch::new(format!("expected a decimal as a JSON string like \"12.50\", got {}", kind(v)))
                })?,
            };
            let data = decimal_to_bytes(text, *precision, *scale, *size).map_err(Mismatch::new)?;
            if size.is_none() {
                write_long(data.len() as i64, out);
            }
            out.extend_from_slice(&data);
        }
        Node::Time { long, logical } => {
            let (low, high) = if *long { (i64::MIN, i64::MAX) } else { (i32::MIN as i64, i32::MAX as i64) };
            let n = match v {
                J::Str(s) => time_value(s, *logical).map_err(Mismatch::new)?,
                J::Num(_) => integer(v, low, high, logical.name())?,
                _ => {
                    return Err(Mismatch::new(format!(
                        "expected an integer or an ISO-8601 string for {}, got {}",
                        logical.name(),
                        kind(v)
                    )))
                }
            };
            if !(low..=high).contains(&n) {
                return Err(Mismatch::new(format!("{n} is out of range for {}", logical.name())));
            }
            write_long(n, out);
        }
    }
    Ok(())
}
