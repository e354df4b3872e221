//! Python values as fastavro takes and gives them, both ways. `Writer`: values as fastavro takes them (dicts, `Decimal` for decimals, int or datetime for
//! timestamps, bytes, None, enums as str) to Avro binary: the writer behind `govern.serde`, over
//! the same compiled schema as the fixture mapping, writing fastavro's bytes. Union branches are
//! chosen as fastavro chooses them (the first branch the value fits, the record sharing most
//! fields, a double before a float, or `(name, value)` naming it). A record may leave out a field
//! with a default or a nullable one, and may carry keys the schema does not name (fastavro's
//! non-strict default). Logical values given as objects (datetime, date, time, UUID) are converted
//! by the caller's `convert(kind, value)` (fastavro's own logical writers), called only for them.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::decode::block_count;
use crate::encode::{repr, Mismatch, MAX_DEPTH};
use crate::numbers::{bytes_to_decimal, decimal_to_bytes, read_int, read_long, write_long};
use crate::python::Mismatch as PyMismatch;
use crate::schema::{Node, Schema, Time};

#[pyclass(frozen, module = "govern._native")]
pub struct Writer {
    schema: Schema,
    /// Per node, the interned field names of a record (empty for other nodes).
    keys: Vec<Vec<Py<PyString>>>,
    decimal: Py<PyAny>,
    /// `collections.abc.Sequence`: fastavro writes any sequence but a str as an array.
    sequence: Py<PyAny>,
    convert: Py<PyAny>,
}

#[pymethods]
impl Writer {
    /// A writer for a compiled program (govern.recording.codec.program); `convert(kind, value)`
    /// turns a logical value given as an object into its int (or str), kind as fastavro names it.
    #[new]
    fn new(py: Python<'_>, program: &str, convert: Py<PyAny>) -> PyResult<Writer> {
        let schema = Schema::compile(program).map_err(pyo3::exceptions::PyValueError::new_err)?;
        let keys = schema
            .nodes
            .iter()
            .map(|node| match node {
                Node::Record { fields, .. } => fields.iter().map(|f| PyString::intern(py, &f.name).unbind()).collect(),
                _ => Vec::new(),
            })
            .collect();
        let decimal = py.import("decimal")?.getattr("Decimal")?.unbind();
        let sequence = py.import("collections.abc")?.getattr("Sequence")?.unbind();
        Ok(Writer { schema, keys, decimal, sequence, convert })
    }

    /// The Avro binary of `value`; Mismatch(path, message) when it does not fit.
    fn write<'py>(&self, py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let mut enc = Enc {
            w: self,
            decimal: self.decimal.bind(py),
            sequence: self.sequence.bind(py),
            out: Vec::with_capacity(128),
        };
        enc.write(0, value, 0).map_err(|e| PyMismatch::new_err((e.path_text(), e.message)))?;
        Ok(PyBytes::new(py, &enc.out))
    }
}

struct Enc<'w, 'py> {
    w: &'w Writer,
    decimal: &'w Bound<'py, PyAny>,
    sequence: &'w Bound<'py, PyAny>,
    out: Vec<u8>,
}

impl<'py> Enc<'_, 'py> {
    /// The items of an array value as fastavro takes one: a list, a tuple or any other
    /// sequence but a str (bytes too: a union may write them as an array of numbers).
    fn items(&self, v: &Bound<'py, PyAny>) -> Option<Vec<Bound<'py, PyAny>>> {
        if let Ok(list) = v.cast::<PyList>() {
            return Some(list.iter().collect());
        }
        if let Ok(tuple) = v.cast::<PyTuple>() {
            return Some(tuple.iter().collect());
        }
        if v.is_instance_of::<PyString>() || !v.is_instance(self.sequence).unwrap_or(false) {
            return None;
        }
        v.try_iter().ok()?.collect::<PyResult<Vec<_>>>().ok()
    }
}

fn kind(v: &Bound<'_, PyAny>) -> String {
    v.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

fn is_int(v: &Bound<'_, PyAny>) -> bool {
    v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>()
}

fn within(v: &Bound<'_, PyAny>, long: bool) -> Option<i64> {
    let n: i64 = v.extract().ok()?;
    (long || (i32::MIN as i64..=i32::MAX as i64).contains(&n)).then_some(n)
}

/// fastavro's name of a logical type (the key of its LOGICAL_WRITERS).
fn logical_key(long: bool, logical: Time) -> String {
    format!("{}-{}", if long { "long" } else { "int" }, logical.name())
}

/// (negative, coefficient digits without leading zeros, exponent) of a Decimal's str(), as
/// `Decimal.as_tuple()` has them; None for NaN and infinities.
fn decimal_parts(text: &str) -> Option<(bool, String, i64)> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match body.split_once(['E', 'e']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = whole.chars().chain(fraction.chars()).collect();
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    Some((negative, digits.to_owned(), exponent - fraction.len() as i64))
}

impl<'py> Enc<'_, 'py> {
    fn convert(&self, key: &str, v: &Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, String> {
        self.w.convert.bind(v.py()).call1((key, v)).map_err(|e| e.to_string())
    }

    /// The value of a time node as its integer: an int, or an object fastavro converts.
    fn time(&self, v: &Bound<'py, PyAny>, long: bool, logical: Time) -> Result<i64, String> {
        let what = logical.name();
        let value = if is_int(v) { v.clone() } else { self.convert(&logical_key(long, logical), v)? };
        if !is_int(&value) {
            return Err(format!("expected an int or a datetime value for {what}, got {}", kind(v)));
        }
        within(&value, long).ok_or_else(|| format!("{value} is out of range for {what}"))
    }

    fn decimal(&mut self, v: &Bound<'py, PyAny>, size: Option<usize>, precision: u32, scale: u32) -> Result<(), String> {
        if v.is_instance_of::<PyBytes>() {
            // fastavro writes bytes given for a decimal as they are
            return self.raw(v.cast::<PyBytes>().unwrap().as_bytes(), size);
        }
        if !v.is_instance(self.decimal).unwrap_or(false) {
            return Err(format!("expected a Decimal, got {}", kind(v)));
        }
        let text = v.str().map_err(|e| e.to_string())?.to_string();
        let (negative, digits, exponent) = decimal_parts(&text).ok_or_else(|| format!("decimal {text} is not finite"))?;
        if -exponent > scale as i64 {
            return Err(format!("decimal {text} has more than {scale} fractional digit(s) (scale {scale})"));
        }
        // the unscaled integer's digits (precision is checked on them, which covers fastavro's check)
        let mut unscaled = String::with_capacity(digits.len() + 1 + (exponent + scale as i64) as usize);
        if negative {
            unscaled.push('-');
        }
        unscaled.push_str(&digits);
        unscaled.extend(std::iter::repeat('0').take((exponent + scale as i64) as usize));
        let mut data = decimal_to_bytes(&unscaled, precision, 0, size)
            .map_err(|_| format!("decimal {text} has more than {precision} digit(s) (precision {precision})"))?;
        // fastavro sizes bytes by the magnitude's bit length + 1: -2^(8k-1) takes k+1 bytes
        if size.is_none() && negative && data[0] == 0x80 && data[1..].iter().all(|b| *b == 0) {
            data.insert(0, 0xff);
        }
        self.raw(&data, size)
    }

    fn raw(&mut self, data: &[u8], size: Option<usize>) -> Result<(), String> {
        match size {
            Some(size) if data.len() != size => return Err(format!("expected {size} bytes, got {}", data.len())),
            Some(_) => {}
            None => write_long(data.len() as i64, &mut self.out),
        }
        self.out.extend_from_slice(data);
        Ok(())
    }

    fn write(&mut self, node: usize, v: &Bound<'py, PyAny>, depth: usize) -> Result<(), Mismatch> {
        if depth > MAX_DEPTH {
            return Err(Mismatch::new(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let schema = &self.w.schema;
        let expected = |what: &str| Mismatch::new(format!("expected {what}, got {}", kind(v)));
        match &schema.nodes[node] {
            Node::Null if v.is_none() => {}
            Node::Null => return Err(expected("None")),
            Node::Boolean => match v.cast::<PyBool>() {
                Ok(b) => self.out.push(u8::from(b.is_true())),
                Err(_) => return Err(expected("a bool")),
            },
            Node::Int | Node::Long => {
                let long = matches!(schema.nodes[node], Node::Long);
                if !is_int(v) {
                    return Err(expected(if long { "an int (long)" } else { "an int" }));
                }
                let n = within(v, long)
                    .ok_or_else(|| Mismatch::new(format!("{v} is out of range for {}", if long { "long" } else { "int" })))?;
                write_long(n, &mut self.out);
            }
            Node::Float | Node::Double => {
                if !(v.is_instance_of::<PyFloat>() || is_int(v)) {
                    return Err(expected("a float"));
                }
                let x: f64 = v.extract().map_err(|_| Mismatch::new(format!("{v} is out of range for a double")))?;
                if matches!(schema.nodes[node], Node::Float) {
                    let narrow = x as f32;
                    if x.is_finite() && narrow.is_infinite() {
                        return Err(Mismatch::new(format!("{v} is out of range for float")));
                    }
                    self.out.extend_from_slice(&narrow.to_le_bytes());
                } else {
                    self.out.extend_from_slice(&x.to_le_bytes());
                }
            }
            Node::String => {
                let converted;
                let s = if v.is_instance_of::<PyString>() {
                    v.cast::<PyString>().unwrap()
                } else {
                    converted = self.convert("string-uuid", v).map_err(Mismatch::new)?;
                    converted.cast::<PyString>().map_err(|_| expected("a str"))?
                };
                let s = s.to_str().map_err(|e| Mismatch::new(e.to_string()))?;
                write_long(s.len() as i64, &mut self.out);
                self.out.extend_from_slice(s.as_bytes());
            }
            Node::Bytes => {
                if let Ok(b) = v.cast::<PyBytes>() {
                    self.raw(b.as_bytes(), None).map_err(Mismatch::new)?;
                } else if let Ok(b) = v.cast::<PyByteArray>() {
                    self.raw(&b.to_vec(), None).map_err(Mismatch::new)?;
                } else {
                    return Err(expected("bytes"));
                }
            }
            Node::Fixed { name, size } => {
                let b = v.cast::<PyBytes>().map_err(|_| expected("bytes"))?;
                self.raw(b.as_bytes(), Some(*size)).map_err(|m| Mismatch::new(format!("fixed {name}: {m}")))?;
            }
            n @ Node::Enum { name, symbols, .. } => {
                let symbol = v.cast::<PyString>().ok().and_then(|s| s.to_str().ok().and_then(|s| n.symbol(s)));
                match symbol {
                    Some(i) => write_long(i as i64, &mut self.out),
                    None => {
                        return Err(Mismatch::new(format!(
                            "{} is not a symbol of enum {name} ({})",
                            v.repr().map(|r| r.to_string()).unwrap_or_default(),
                            symbols.join(", ")
                        )))
                    }
                }
            }
            Node::Array(item) => {
                let Some(items) = self.items(v) else { return Err(expected("a list")) };
                if !items.is_empty() {
                    write_long(items.len() as i64, &mut self.out);
                }
                for (i, x) in items.iter().enumerate() {
                    self.write(*item, x, depth + 1).map_err(|e| at(e, format!("[{i}]")))?;
                }
                self.out.push(0);
            }
            Node::Map(values) => {
                let dict = v.cast::<PyDict>().map_err(|_| expected("a dict"))?;
                if !dict.is_empty() {
                    write_long(dict.len() as i64, &mut self.out);
                }
                for (k, x) in dict.iter() {
                    let key = k.cast::<PyString>().map_err(|_| Mismatch::new(format!("a map key is {}, not a str", kind(&k))))?;
                    let key = key.to_str().map_err(|e| Mismatch::new(e.to_string()))?;
                    write_long(key.len() as i64, &mut self.out);
                    self.out.extend_from_slice(key.as_bytes());
                    self.write(*values, &x, depth + 1).map_err(|e| at(e, format!("[{}]", repr(key))))?;
                }
                self.out.push(0);
            }
            Node::Record { name, fields, .. } => {
                let dict = v.cast::<PyDict>().map_err(|_| expected(&format!("a dict for record {name}")))?;
                for (field, key) in fields.iter().zip(&self.w.keys[node]) {
                    let value = dict.get_item(key.bind(v.py())).map_err(|e| Mismatch::new(e.to_string()))?;
                    match (value, &field.default) {
                        (Some(x), _) => self.write(field.node, &x, depth + 1).map_err(|e| at(e, field.name.clone()))?,
                        (None, Some(Ok(bytes))) => self.out.extend_from_slice(bytes),
                        (None, Some(Err(why))) => {
                            return Err(Mismatch::new(format!("missing field '{}' of {name}: {why}", field.name)))
                        }
                        (None, None) => match &schema.nodes[field.node] {
                            // fastavro writes None for a missing field of a nullable union
                            Node::Union { null: Some(i), .. } => write_long(*i as i64, &mut self.out),
                            _ => {
                                return Err(Mismatch::new(format!(
                                    "missing field '{}' of {name} (it has no default)",
                                    field.name
                                )))
                            }
                        },
                    }
                }
            }
            Node::Union { branches, .. } => {
                let (index, value) = self.branch(branches, v)?;
                write_long(index as i64, &mut self.out);
                self.write(branches[index].1, &value, depth + 1)?;
            }
            Node::Decimal { size, precision, scale } => {
                self.decimal(v, *size, *precision, *scale).map_err(Mismatch::new)?;
            }
            Node::Time { long, logical } => {
                let n = self.time(v, *long, *logical).map_err(Mismatch::new)?;
                write_long(n, &mut self.out);
            }
        }
        Ok(())
    }

    /// The branch fastavro writes `v` with, and the value to write (unwrapped from `(name, value)`).
    fn branch(&self, branches: &[(Option<String>, usize)], v: &Bound<'py, PyAny>) -> Result<(usize, Bound<'py, PyAny>), Mismatch> {
        let nodes = &self.w.schema.nodes;
        if let Ok(pair) = v.cast::<PyTuple>() {
            if pair.len() == 2 {
                let name: String = pair.get_item(0).and_then(|n| n.extract()).map_err(|_| {
                    Mismatch::new("a union value given as a tuple needs (branch name, value)".to_string())
                })?;
                let tag = |t: &Option<String>| t.clone().unwrap_or_else(|| "null".into());
                return match branches.iter().position(|(t, _)| tag(t) == name) {
                    Some(i) => Ok((i, pair.get_item(1).map_err(|e| Mismatch::new(e.to_string()))?)),
                    None => Err(Mismatch::new(format!("{} is not a branch of the union", repr(&name)))),
                };
            }
        }
        // ["null", T] (the usual optional field): None is null, anything else can only be a T
        let others: Vec<usize> = (0..branches.len()).filter(|i| branches[*i].0.is_some()).collect();
        if others.len() == 1 && others.len() < branches.len() {
            let null = (0..branches.len()).find(|i| branches[*i].0.is_none()).unwrap();
            return Ok((if v.is_none() { null } else { others[0] }, v.clone()));
        }
        let mut best: Option<usize> = None;
        let mut most_fields = -1i64;
        let mut could_be_float = false;
        for (i, (_, node)) in branches.iter().enumerate() {
            if could_be_float {
                if matches!(nodes[*node], Node::Double) {
                    best = Some(i);
                    break;
                }
                continue;
            }
            if !self.fits(*node, v, 0) {
                continue;
            }
            match &nodes[*node] {
                Node::Record { .. } => {
                    let dict = v.cast::<PyDict>().expect("a record fits only a dict");
                    let shared = self.w.keys[*node].iter().filter(|k| dict.contains(k.bind(v.py())).unwrap_or(false)).count();
                    if shared as i64 > most_fields {
                        best = Some(i);
                        most_fields = shared as i64;
                    }
                }
                Node::Float => {
                    best = Some(i);
                    could_be_float = true;
                }
                _ => {
                    best = Some(i);
                    break;
                }
            }
        }
        match best {
            Some(i) => Ok((i, v.clone())),
            None => {
                let names: Vec<String> = branches.iter().map(|(t, _)| t.clone().unwrap_or_else(|| "null".into())).collect();
                Err(Mismatch::new(format!("{} fits no branch of the union [{}]", kind(v), names.join(", "))))
            }
        }
    }

    /// Whether `v` fits `node` (fastavro's validation, which picks a union's branch).
    fn fits(&self, node: usize, v: &Bound<'py, PyAny>, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let keys = &self.w.keys;
        match &self.w.schema.nodes[node] {
            Node::Null => v.is_none(),
            Node::Boolean => v.is_instance_of::<PyBool>(),
            Node::Int => is_int(v) && within(v, false).is_some(),
            Node::Long => is_int(v) && within(v, true).is_some(),
            Node::Float | Node::Double => v.is_instance_of::<PyFloat>() || is_int(v),
            Node::String => v.is_instance_of::<PyString>(),
            Node::Bytes => v.is_instance_of::<PyBytes>() || v.is_instance_of::<PyByteArray>(),
            Node::Fixed { size, .. } => v.cast::<PyBytes>().is_ok_and(|b| b.as_bytes().len() == *size),
            n @ Node::Enum { .. } => v.cast::<PyString>().is_ok_and(|s| s.to_str().is_ok_and(|s| n.symbol(s).is_some())),
            Node::Array(item) => self.items(v).is_some_and(|items| items.iter().all(|x| self.fits(*item, x, depth + 1))),
            Node::Map(values) => v.cast::<PyDict>().is_ok_and(|d| {
                d.iter().all(|(k, x)| k.is_instance_of::<PyString>() && self.fits(*values, &x, depth + 1))
            }),
            Node::Record { fields, .. } => v.cast::<PyDict>().is_ok_and(|d| {
                fields.iter().zip(&keys[node]).all(|(f, k)| match d.get_item(k.bind(v.py())) {
                    Ok(Some(x)) => self.fits(f.node, &x, depth + 1),
                    Ok(None) => f.default.is_some() || self.fits(f.node, &v.py().None().into_bound(v.py()), depth + 1),
                    Err(_) => false,
                })
            }),
            Node::Union { branches, .. } => branches.iter().any(|(_, b)| self.fits(*b, v, depth + 1)),
            Node::Decimal { size, .. } => match v.cast::<PyBytes>() {
                Ok(b) => size.is_none_or(|s| b.as_bytes().len() == s),
                Err(_) => v.is_instance(self.decimal).unwrap_or(false),
            },
            Node::Time { long, logical } => self.time(v, *long, *logical).is_ok(),
        }
    }
}

fn at(mut e: Mismatch, part: String) -> Mismatch {
    e.path.push(part);
    e
}

/// Avro binary to Python values as fastavro reads them with the writer's schema (dicts, lists,
/// `Decimal`, str for enums, a union's value untagged); other logical types (timestamps, dates,
/// times, uuid) through the caller's `logical(kind)`, which returns fastavro's reader of that kind
/// (or None: the raw value). Bounded as the fixture decoder: varints, lengths, item counts, depth.
#[pyclass(frozen, module = "govern._native")]
pub struct Reader {
    schema: Schema,
    keys: Vec<Vec<Py<PyString>>>,
    /// Per node: an enum's symbols, interned.
    symbols: Vec<Vec<Py<PyString>>>,
    /// Per node: the converter of a logical int, long or uuid string.
    logical: Vec<Option<Py<PyAny>>>,
    decimal: Py<PyAny>,
}

#[pymethods]
impl Reader {
    #[new]
    fn new(py: Python<'_>, program: &str, logical: &Bound<'_, PyAny>) -> PyResult<Reader> {
        let schema = Schema::compile(program).map_err(pyo3::exceptions::PyValueError::new_err)?;
        let parsed: serde_json::Value = serde_json::from_str(program).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let intern = |names: &mut dyn Iterator<Item = &String>| names.map(|n| PyString::intern(py, n).unbind()).collect();
        let mut keys = Vec::new();
        let mut symbols = Vec::new();
        let mut converters = Vec::new();
        for (i, node) in schema.nodes.iter().enumerate() {
            keys.push(match node {
                Node::Record { fields, .. } => intern(&mut fields.iter().map(|f| &f.name)),
                _ => Vec::new(),
            });
            symbols.push(match node {
                Node::Enum { symbols, .. } => intern(&mut symbols.iter()),
                _ => Vec::new(),
            });
            let uuid = parsed[i] == serde_json::json!(["string", "uuid"]);
            let kind = match node {
                Node::Time { long, logical } => Some(logical_key(*long, *logical)),
                Node::String if uuid => Some("string-uuid".to_string()),
                _ => None,
            };
            converters.push(match kind {
                Some(kind) => Some(logical.call1((kind,))?).filter(|f| !f.is_none()).map(Bound::unbind),
                None => None,
            });
        }
        let decimal = py.import("decimal")?.getattr("Decimal")?.unbind();
        Ok(Reader { schema, keys, symbols, logical: converters, decimal })
    }

    /// The value of an Avro body; DecodeError unless it is exactly one valid value.
    fn read<'py>(&self, py: Python<'py>, body: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        let mut r = crate::decode::Reader { data: body, pos: 0, items: 0 };
        let value = self.value(py, 0, &mut r, 0).map_err(crate::python::DecodeError::new_err)?;
        if r.pos != body.len() {
            return Err(crate::python::DecodeError::new_err(format!("{} byte(s) left after the value", body.len() - r.pos)));
        }
        Ok(value)
    }
}

impl Reader {
    fn text<'py>(py: Python<'py>, r: &mut crate::decode::Reader, what: &str) -> Result<Bound<'py, PyString>, String> {
        let n = r.length(what)?;
        let data = r.take(n, what)?;
        let s = std::str::from_utf8(data).map_err(|_| format!("{what} is not valid UTF-8"))?;
        Ok(PyString::new(py, s))
    }

    fn value<'py>(&self, py: Python<'py>, node: usize, r: &mut crate::decode::Reader, depth: usize) -> Result<Bound<'py, PyAny>, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        let py_err = |e: PyErr| e.to_string();
        Ok(match &self.schema.nodes[node] {
            Node::Null => py.None().into_bound(py),
            Node::Boolean => match r.take(1, "a boolean")?[0] {
                0 => PyBool::new(py, false).to_owned().into_any(),
                1 => PyBool::new(py, true).to_owned().into_any(),
                b => return Err(format!("invalid boolean byte {b:#04x}")),
            },
            Node::Int => PyInt::new(py, read_int(r.data, &mut r.pos)?).into_any(),
            Node::Long => PyInt::new(py, read_long(r.data, &mut r.pos)?).into_any(),
            Node::Float => {
                let b = r.take(4, "a float")?;
                PyFloat::new(py, f64::from(f32::from_le_bytes(b.try_into().unwrap()))).into_any()
            }
            Node::Double => {
                let b = r.take(8, "a double")?;
                PyFloat::new(py, f64::from_le_bytes(b.try_into().unwrap())).into_any()
            }
            Node::String => {
                let s = Self::text(py, r, "a string")?.into_any();
                match &self.logical[node] {
                    Some(f) => f.bind(py).call1((s,)).map_err(py_err)?,
                    None => s,
                }
            }
            Node::Bytes => {
                let n = r.length("bytes")?;
                PyBytes::new(py, r.take(n, "bytes")?).into_any()
            }
            Node::Fixed { size, .. } => PyBytes::new(py, r.take(*size, "a fixed")?).into_any(),
            Node::Enum { symbols, .. } => {
                let i = read_long(r.data, &mut r.pos)?;
                if i < 0 || i as usize >= symbols.len() {
                    return Err(format!("enum index {i} out of range"));
                }
                self.symbols[node][i as usize].bind(py).clone().into_any()
            }
            Node::Array(item) => {
                let list = PyList::empty(py);
                let size = self.schema.min_size[*item];
                loop {
                    let count = block_count(r, size)?;
                    if count == 0 {
                        break;
                    }
                    for _ in 0..count {
                        list.append(self.value(py, *item, r, depth + 1)?).map_err(py_err)?;
                    }
                }
                list.into_any()
            }
            Node::Map(values) => {
                let dict = PyDict::new(py);
                let size = self.schema.min_size[*values].saturating_add(1);
                loop {
                    let count = block_count(r, size)?;
                    if count == 0 {
                        break;
                    }
                    for _ in 0..count {
                        let key = Self::text(py, r, "a map key")?;
                        dict.set_item(key, self.value(py, *values, r, depth + 1)?).map_err(py_err)?;
                    }
                }
                dict.into_any()
            }
            Node::Record { fields, .. } => {
                let dict = PyDict::new(py);
                for (field, key) in fields.iter().zip(&self.keys[node]) {
                    dict.set_item(key.bind(py), self.value(py, field.node, r, depth + 1)?).map_err(py_err)?;
                }
                dict.into_any()
            }
            Node::Union { branches, .. } => {
                let i = read_long(r.data, &mut r.pos)?;
                if i < 0 || i as usize >= branches.len() {
                    return Err(format!("union branch {i} out of range"));
                }
                self.value(py, branches[i as usize].1, r, depth + 1)?
            }
            Node::Decimal { size, precision, scale } => {
                let n = match size {
                    Some(n) => *n,
                    None => r.length("a decimal")?,
                };
                let text = bytes_to_decimal(r.take(n, "a decimal")?, *precision, *scale)?;
                self.decimal.bind(py).call1((text,)).map_err(py_err)?
            }
            Node::Time { long, .. } => {
                let n = if *long { read_long(r.data, &mut r.pos)? } else { read_int(r.data, &mut r.pos)? };
                let raw = PyInt::new(py, n).into_any();
                match &self.logical[node] {
                    Some(f) => f.bind(py).call1((raw,)).map_err(py_err)?,
                    None => raw,
                }
            }
        })
    }
}
