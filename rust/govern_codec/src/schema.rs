//! A compiled schema: the program Python's `govern.recording.codec.program()` writes (JSON), in a
//! form the encoder and decoder walk. Python decides the Avro rules (names, which logical types
//! apply, union tagging, defaults in the fixture mapping); this side only executes them.

use std::collections::HashMap;

use serde_json::Value;

use crate::encode::encode_at;

/// Digits a decimal may have: beyond this the schema is refused (the conversions are quadratic).
pub const MAX_PRECISION: u64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Time {
    Date,
    TimeMillis,
    TimeMicros,
    TimestampMillis,
    TimestampMicros,
    TimestampNanos,
    LocalMillis,
    LocalMicros,
    LocalNanos,
}

impl Time {
    fn parse(name: &str) -> Option<Time> {
        Some(match name {
            "date" => Time::Date,
            "time-millis" => Time::TimeMillis,
            "time-micros" => Time::TimeMicros,
            "timestamp-millis" => Time::TimestampMillis,
            "timestamp-micros" => Time::TimestampMicros,
            "timestamp-nanos" => Time::TimestampNanos,
            "local-timestamp-millis" => Time::LocalMillis,
            "local-timestamp-micros" => Time::LocalMicros,
            "local-timestamp-nanos" => Time::LocalNanos,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Time::Date => "date",
            Time::TimeMillis => "time-millis",
            Time::TimeMicros => "time-micros",
            Time::TimestampMillis => "timestamp-millis",
            Time::TimestampMicros => "timestamp-micros",
            Time::TimestampNanos => "timestamp-nanos",
            Time::LocalMillis => "local-timestamp-millis",
            Time::LocalMicros => "local-timestamp-micros",
            Time::LocalNanos => "local-timestamp-nanos",
        }
    }
}

#[derive(Debug)]
pub struct Field {
    pub name: String,
    /// `"name":` as the decoder writes it before the field's value (escaped once, here).
    pub json_key: Box<[u8]>,
    pub node: usize,
    /// The Avro bytes of the field's default (encoded once, at compile time), or why the default
    /// does not fit the field's type (an error only when a value leaves the field out).
    pub default: Option<Result<Vec<u8>, String>>,
}

#[derive(Debug)]
pub enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    String,
    Bytes,
    Fixed { name: String, size: usize },
    Enum { name: String, symbols: Vec<String>, index: HashMap<String, usize> },
    Array(usize),
    Map(usize),
    Record { name: String, fields: Vec<Field>, index: HashMap<String, usize> },
    /// `tagged`: Avro's JSON encoding ({"branch": value}); else null or the one other branch.
    Union { tagged: bool, branches: Vec<(Option<String>, usize)>, null: Option<usize>, tags: HashMap<String, usize> },
    /// `size`: None on bytes, the fixed size on fixed.
    Decimal { size: Option<usize>, precision: u32, scale: u32 },
    /// A logical int/long that also reads ISO-8601 text; `long` tells the range.
    Time { long: bool, logical: Time },
}

/// Up to this many names are looked up by scanning (faster than hashing for short lists).
const SCAN: usize = 16;

impl Node {
    /// The position of record field `name`.
    pub fn field(&self, name: &str) -> Option<usize> {
        match self {
            Node::Record { fields, index, .. } if fields.len() > SCAN => index.get(name).copied(),
            Node::Record { fields, .. } => fields.iter().position(|f| f.name == name),
            _ => None,
        }
    }

    /// The position of enum symbol `name`.
    pub fn symbol(&self, name: &str) -> Option<usize> {
        match self {
            Node::Enum { symbols, index, .. } if symbols.len() > SCAN => index.get(name).copied(),
            Node::Enum { symbols, .. } => symbols.iter().position(|s| s == name),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct Schema {
    pub nodes: Vec<Node>,
    /// The fewest bytes a value of each node takes (0 for null, empty records, fixed 0): item
    /// counts of arrays and maps are checked against the bytes left only where it is positive.
    pub min_size: Vec<usize>,
}

fn bad(message: impl Into<String>) -> String {
    message.into()
}

fn text(v: &Value, what: &str) -> Result<String, String> {
    v.as_str().map(str::to_owned).ok_or_else(|| bad(format!("program: {what} is not a string")))
}

fn index(v: &Value, what: &str, count: usize) -> Result<usize, String> {
    match v.as_u64() {
        Some(n) if (n as usize) < count => Ok(n as usize),
        _ => Err(bad(format!("program: {what} is not a node index"))),
    }
}

impl Schema {
    /// Compile a program; an error for a malformed program or a decimal beyond MAX_PRECISION.
    pub fn compile(program: &str) -> Result<Schema, String> {
        let parsed: Value = serde_json::from_str(program).map_err(|e| format!("program: {e}"))?;
        let list = parsed.as_array().ok_or("program: not a list of nodes")?;
        let count = list.len();
        if count == 0 {
            return Err("program: no nodes".into());
        }
        let mut nodes = Vec::with_capacity(count);
        let mut defaults: Vec<(usize, usize, Value)> = Vec::new();
        for (position, item) in list.iter().enumerate() {
            let parts = item.as_array().ok_or("program: a node is not a list")?;
            let kind = parts.first().and_then(Value::as_str).ok_or("program: a node has no kind")?;
            let arg = |i: usize| parts.get(i).unwrap_or(&Value::Null);
            let node = match kind {
                "null" => Node::Null,
                "boolean" => Node::Boolean,
                "int" => Node::Int,
                "long" => Node::Long,
                "float" => Node::Float,
                "double" => Node::Double,
                "string" => Node::String,
                "bytes" => Node::Bytes,
                "fixed" => Node::Fixed {
                    name: text(arg(1), "fixed name")?,
                    size: arg(2).as_u64().ok_or("program: fixed size")? as usize,
                },
                "enum" => {
                    let symbols: Vec<String> = arg(2)
                        .as_array()
                        .ok_or("program: enum symbols")?
                        .iter()
                        .map(|s| text(s, "symbol"))
                        .collect::<Result<_, _>>()?;
                    let index = symbols.iter().enumerate().map(|(i, s)| (s.clone(), i)).collect();
                    Node::Enum { name: text(arg(1), "enum name")?, symbols, index }
                }
                "array" => Node::Array(index(arg(1), "array items", count)?),
                "map" => Node::Map(index(arg(1), "map values", count)?),
                "record" => {
                    let mut fields = Vec::new();
                    let mut by_name = HashMap::new();
                    for (i, f) in arg(2).as_array().ok_or("program: record fields")?.iter().enumerate() {
                        let f = f.as_array().ok_or("program: a field is not a list")?;
                        let name = text(f.first().unwrap_or(&Value::Null), "field name")?;
                        let node = index(f.get(1).unwrap_or(&Value::Null), "field type", count)?;
                        if f.get(2).and_then(Value::as_bool).unwrap_or(false) {
                            defaults.push((position, i, f.get(3).cloned().unwrap_or(Value::Null)));
                        }
                        by_name.insert(name.clone(), i);
                        let mut json_key = Vec::with_capacity(name.len() + 3);
                        crate::decode::write_string(&name, &mut json_key);
                        json_key.push(b':');
                        fields.push(Field { name, json_key: json_key.into(), node, default: None });
                    }
                    Node::Record { name: text(arg(1), "record name")?, fields, index: by_name }
                }
                "union" => {
                    let mut branches = Vec::new();
                    let mut tags = HashMap::new();
                    let mut null = None;
                    for (i, b) in arg(2).as_array().ok_or("program: union branches")?.iter().enumerate() {
                        let b = b.as_array().ok_or("program: a branch is not a list")?;
                        let tag = b.first().and_then(Value::as_str).map(str::to_owned);
                        let node = index(b.get(1).unwrap_or(&Value::Null), "branch type", count)?;
                        match &tag {
                            Some(t) => {
                                tags.insert(t.clone(), i);
                            }
                            None => null = Some(i),
                        }
                        branches.push((tag, node));
                    }
                    Node::Union { tagged: arg(1).as_bool().unwrap_or(false), branches, null, tags }
                }
                "decimal" => {
                    let precision = arg(2).as_u64().ok_or("program: decimal precision")?;
                    let scale = arg(3).as_u64().ok_or("program: decimal scale")?;
                    if precision == 0 || precision > MAX_PRECISION || scale > precision {
                        return Err(format!(
                            "decimal precision {precision} and scale {scale}: precision must be 1 to \
                             {MAX_PRECISION} digits and the scale at most the precision"
                        ));
                    }
                    let size = arg(1).as_i64().filter(|s| *s >= 0).map(|s| s as usize);
                    Node::Decimal { size, precision: precision as u32, scale: scale as u32 }
                }
                "time" => Node::Time {
                    long: arg(1).as_str() == Some("long"),
                    logical: Time::parse(arg(2).as_str().unwrap_or("")).ok_or("program: unknown time type")?,
                },
                other => return Err(format!("program: unknown node kind {other:?}")),
            };
            nodes.push(node);
        }
        let min_size = min_sizes(&nodes);
        let mut schema = Schema { nodes, min_size };
        for (record, field, value) in defaults {
            let node = match &schema.nodes[record] {
                Node::Record { fields, .. } => fields[field].node,
                _ => unreachable!(),
            };
            let mut out = Vec::new();
            let text = value.to_string();
            let encoded = encode_at(&schema, node, text.as_bytes(), &mut out)
                .map(|()| out)
                .map_err(|e| format!("its default does not fit its type: {}", e.render()));
            if let Node::Record { fields, .. } = &mut schema.nodes[record] {
                fields[field].default = Some(encoded);
            }
        }
        Ok(schema)
    }
}

/// Fewest bytes per node, by iteration to a fixed point (recursive records start at zero).
fn min_sizes(nodes: &[Node]) -> Vec<usize> {
    let mut sizes = vec![0usize; nodes.len()];
    loop {
        let mut changed = false;
        for (i, node) in nodes.iter().enumerate() {
            let size = match node {
                Node::Null => 0,
                Node::Boolean | Node::Int | Node::Long | Node::String | Node::Bytes => 1,
                Node::Enum { .. } | Node::Array(_) | Node::Map(_) | Node::Union { .. } => 1,
                Node::Time { .. } => 1,
                Node::Float => 4,
                Node::Double => 8,
                Node::Fixed { size, .. } => *size,
                Node::Decimal { size, .. } => size.unwrap_or(1),
                Node::Record { fields, .. } => {
                    fields.iter().map(|f| sizes[f.node]).fold(0usize, |a, b| a.saturating_add(b)).min(1 << 20)
                }
            };
            if size != sizes[i] {
                sizes[i] = size;
                changed = true;
            }
        }
        if !changed {
            return sizes;
        }
    }
}
