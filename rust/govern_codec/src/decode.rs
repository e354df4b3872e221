//! Avro binary to the JSON text of the fixture mapping, bounded in time and memory: varints of at
//! most 10 bytes, lengths and item counts checked against the bytes left, a per-value item budget
//! (zero-size items such as `null` count too), and a nesting limit.

use std::collections::{HashMap, HashSet};

use base64::Engine;

use crate::encode::MAX_DEPTH;
use crate::numbers::{bytes_to_decimal, read_int, read_long};
use crate::schema::{Node, Schema};

/// Array and map items one value may hold, all levels together.
pub const ITEM_BUDGET: usize = 1_000_000;

pub(crate) struct Reader<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) items: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if n > self.data.len() - self.pos {
            return Err(format!("{what} runs past the end"));
        }
        let data: &'a [u8] = self.data;
        let chunk = &data[self.pos..self.pos + n];
        self.pos += n;
        Ok(chunk)
    }

    pub(crate) fn length(&mut self, what: &str) -> Result<usize, String> {
        let n = read_long(self.data, &mut self.pos)?;
        if n < 0 {
            return Err(format!("negative {what} length {n}"));
        }
        if n as u64 > (self.data.len() - self.pos) as u64 {
            return Err(format!("{what} runs past the end"));
        }
        Ok(n as usize)
    }
}

/// The JSON text of one Avro value of `schema` (the whole of `data`, nothing left over).
pub fn decode(schema: &Schema, data: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut reader = Reader { data, pos: 0, items: 0 };
    let start = out.len();
    let result = value(schema, 0, &mut reader, out, 0).and_then(|()| {
        if reader.pos != data.len() {
            Err(format!("{} byte(s) left after the value", data.len() - reader.pos))
        } else {
            Ok(())
        }
    });
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// The item count of the next block of an array or map (0 at the end), checked against the bytes
/// left (for items of at least one byte) and the value's item budget.
pub(crate) fn block_count(r: &mut Reader, item_size: usize) -> Result<u64, String> {
    let mut count = read_long(r.data, &mut r.pos)?;
    if count < 0 {
        count = count.checked_neg().ok_or("invalid block count")?;
        let size = read_long(r.data, &mut r.pos)?;
        if size < 0 {
            return Err(format!("negative block size {size}"));
        }
    }
    let count = count as u64;
    let left = (r.data.len() - r.pos) as u64;
    if item_size > 0 && count > left / item_size as u64 {
        return Err(format!("a block of {count} items runs past the end"));
    }
    if count > (ITEM_BUDGET - r.items) as u64 {
        return Err(format!("more than {ITEM_BUDGET} array or map items in one value"));
    }
    r.items += count as usize;
    Ok(count)
}

/// A map with a repeated key, read again: each key once, with its last value, at its first place.
fn deduplicated_map(
    schema: &Schema,
    item: usize,
    item_size: usize,
    r: &mut Reader,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), String> {
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut entries: Vec<Vec<u8>> = Vec::new();
    loop {
        let count = block_count(r, item_size)?;
        if count == 0 {
            break;
        }
        for _ in 0..count {
            let k = r.length("a map key")?;
            let key = r.take(k, "a map key")?.to_vec();
            let text = std::str::from_utf8(&key).map_err(|_| "a map key is not valid UTF-8".to_string())?;
            let mut entry = Vec::new();
            write_string(text, &mut entry);
            entry.push(b':');
            value(schema, item, r, &mut entry, depth + 1)?;
            match index.get(&key) {
                Some(&i) => entries[i] = entry,
                None => {
                    index.insert(key, entries.len());
                    entries.push(entry);
                }
            }
        }
    }
    out.push(b'{');
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(entry);
    }
    out.push(b'}');
    Ok(())
}

/// Bytes a JSON string must escape: control characters, `"` and `\`.
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The index of the first byte of `bytes[i..]` a JSON string must escape: eight bytes at a time
/// (most strings have none), then byte by byte within the eight that hold one. Every byte looked
/// at is or-ed into `seen` (its high bits tell whether the string was all ASCII).
fn next_escaped(bytes: &[u8], mut i: usize, seen: &mut u64) -> Option<usize> {
    // the high bit of a byte set when that byte, or one before it, is zero ("has zero byte")
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    while i + 8 <= bytes.len() {
        let x = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        *seen |= x;
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS; // some byte below 0x20
        if control | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\'))) != 0 {
            if let Some(at) = bytes[i..i + 8].iter().position(|b| ESCAPED[*b as usize]) {
                return Some(i + at);
            }
        }
        i += 8;
    }
    for (at, b) in bytes[i..].iter().enumerate() {
        *seen |= u64::from(*b);
        if ESCAPED[*b as usize] {
            return Some(i + at);
        }
    }
    None
}

/// `bytes` as a JSON string (UTF-8 kept; what must be escaped escaped as Python's json does);
/// false when some byte is not ASCII, so that bytes not known to be UTF-8 (an Avro string) need
/// checking only then.
fn write_bytes_as_string(bytes: &[u8], out: &mut Vec<u8>) -> bool {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut from = 0;
    let mut seen = 0;
    while let Some(i) = next_escaped(bytes, from, &mut seen) {
        out.extend_from_slice(&bytes[from..i]);
        let b = bytes[i];
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
            }
        }
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
    out.push(b'"');
    seen & HIGHS == 0
}

/// `s` as a JSON string (UTF-8 kept; what must be escaped escaped as Python's json does).
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    write_bytes_as_string(s.as_bytes(), out);
}

/// An Avro string's bytes as a JSON string; an error (after writing) when they are not UTF-8.
fn write_avro_string(bytes: &[u8], what: &str, out: &mut Vec<u8>) -> Result<(), String> {
    if !write_bytes_as_string(bytes, out) && std::str::from_utf8(bytes).is_err() {
        return Err(format!("{what} is not valid UTF-8"));
    }
    Ok(())
}

pub fn write_double(x: f64, out: &mut Vec<u8>) {
    if x.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 { b"\"Infinity\"" } else { b"\"-Infinity\"" });
    } else {
        out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
    }
}

fn base64_string(data: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + data.len().div_ceil(3) * 4, 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(data, &mut out[start..])
        .expect("sized for the encoding");
    out.truncate(start + written);
    out.push(b'"');
}

fn value<'a>(schema: &Schema, n: usize, r: &mut Reader<'a>, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("nested deeper than {MAX_DEPTH} levels"));
    }
    match &schema.nodes[n] {
        Node::Null => out.extend_from_slice(b"null"),
        Node::Boolean => match r.take(1, "a boolean")?[0] {
            0 => out.extend_from_slice(b"false"),
            1 => out.extend_from_slice(b"true"),
            b => return Err(format!("invalid boolean byte {b}")),
        },
        Node::Int => out.extend_from_slice(itoa::Buffer::new().format(read_int(r.data, &mut r.pos)?).as_bytes()),
        Node::Long => out.extend_from_slice(itoa::Buffer::new().format(read_long(r.data, &mut r.pos)?).as_bytes()),
        Node::Time { long, .. } => {
            let v = if *long { read_long(r.data, &mut r.pos)? } else { read_int(r.data, &mut r.pos)? };
            out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        }
        Node::Float => {
            let b = r.take(4, "a float")?;
            write_double(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])), out);
        }
        Node::Double => {
            let b = r.take(8, "a double")?;
            write_double(f64::from_le_bytes(b.try_into().expect("8 bytes")), out);
        }
        Node::String => {
            let n = r.length("a string")?;
            write_avro_string(r.take(n, "a string")?, "a string", out)?;
        }
        Node::Bytes => {
            let n = r.length("bytes")?;
            base64_string(r.take(n, "bytes")?, out);
        }
        Node::Fixed { size, .. } => base64_string(r.take(*size, "a fixed")?, out),
        Node::Enum { name, symbols, .. } => {
            let i = read_long(r.data, &mut r.pos)?;
            let symbol = usize::try_from(i).ok().and_then(|i| symbols.get(i));
            match symbol {
                Some(s) => write_string(s, out),
                None => return Err(format!("enum index {i} out of range for {name}")),
            }
        }
        Node::Array(item) | Node::Map(item) => {
            let is_map = matches!(&schema.nodes[n], Node::Map(_));
            let item_size = schema.min_size[*item] + usize::from(is_map); // a key takes a byte at least
            let start = r.pos;
            let mark = out.len();
            let items_before = r.items;
            out.push(if is_map { b'{' } else { b'[' });
            let mut first = true;
            // map keys seen, to notice a repeated one: then the map is read again, keeping each
            // key's last value at its first place (as a JSON object read by Python does)
            let mut keys: Vec<&'a [u8]> = Vec::new();
            let mut hashed: Option<HashSet<&'a [u8]>> = None;
            let mut repeated = false;
            loop {
                let count = block_count(r, item_size)?;
                if count == 0 {
                    break;
                }
                for _ in 0..count {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    if is_map {
                        let k = r.length("a map key")?;
                        let key = r.take(k, "a map key")?;
                        let seen = match &mut hashed {
                            Some(set) => !set.insert(key),
                            None => {
                                let seen = keys.contains(&key);
                                keys.push(key);
                                if keys.len() > 16 {
                                    hashed = Some(keys.drain(..).collect());
                                }
                                seen
                            }
                        };
                        repeated |= seen;
                        write_avro_string(key, "a map key", out)?;
                        out.push(b':');
                    }
                    value(schema, *item, r, out, depth + 1)?;
                }
            }
            out.push(if is_map { b'}' } else { b']' });
            if repeated {
                out.truncate(mark);
                r.pos = start;
                r.items = items_before;
                deduplicated_map(schema, *item, item_size, r, out, depth)?;
            }
        }
        Node::Record { fields, .. } => {
            out.push(b'{');
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&field.json_key);
                value(schema, field.node, r, out, depth + 1)?;
            }
            out.push(b'}');
        }
        Node::Union { tagged, branches, .. } => {
            let i = read_long(r.data, &mut r.pos)?;
            let (tag, node) = usize::try_from(i)
                .ok()
                .and_then(|i| branches.get(i))
                .ok_or_else(|| format!("union branch {i} out of range"))?;
            match tag {
                Some(tag) if *tagged => {
                    out.push(b'{');
                    write_string(tag, out);
                    out.push(b':');
                    value(schema, *node, r, out, depth + 1)?;
                    out.push(b'}');
                }
                _ => value(schema, *node, r, out, depth + 1)?,
            }
        }
        Node::Decimal { size, precision, scale } => {
            let n = match size {
                Some(size) => *size,
                None => r.length("a decimal")?,
            };
            let text = bytes_to_decimal(r.take(n, "a decimal")?, *precision, *scale)?;
            write_string(&text, out);
        }
    }
    Ok(())
}
