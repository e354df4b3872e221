//! The Python module `govern._native` (wrapped by govern/recording/codec.py).

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use crate::decode::decode;
use crate::encode::encode_json;
use crate::lines::{spooled, Lines as CoreLines};
use crate::record::{Known, Message, Recorder as CoreRecorder};
use crate::schema::Schema as CoreSchema;

create_exception!(_native, Mismatch, PyValueError, "A JSON value that does not fit its schema: args (path, message).");
create_exception!(_native, DecodeError, PyValueError, "Bytes that are not one valid Avro value of the schema.");
create_exception!(_native, LineError, PyValueError, "An invalid record line: args (line number, message).");

#[pyclass(frozen, module = "govern._native")]
struct Schema {
    inner: Arc<CoreSchema>,
}

#[pymethods]
impl Schema {
    #[new]
    fn new(program: &str) -> PyResult<Schema> {
        CoreSchema::compile(program).map(|s| Schema { inner: Arc::new(s) }).map_err(PyValueError::new_err)
    }

    /// Avro binary of a JSON text; Mismatch(path, message) when it does not fit.
    fn encode<'py>(&self, py: Python<'py>, json: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        encode_json(&self.inner, json, &mut out).map_err(|e| Mismatch::new_err((e.path_text(), e.message)))?;
        Ok(PyBytes::new(py, &out))
    }

    /// The JSON text of an Avro body; DecodeError unless it is exactly one valid value.
    fn decode(&self, body: &[u8]) -> PyResult<String> {
        let mut out = Vec::new();
        decode(&self.inner, body, &mut out).map_err(DecodeError::new_err)?;
        Ok(String::from_utf8(out).expect("the decoder writes UTF-8"))
    }
}

fn schema_map(schemas: &Bound<PyDict>) -> PyResult<HashMap<String, Arc<CoreSchema>>> {
    let mut out = HashMap::new();
    for (name, schema) in schemas.iter() {
        out.insert(name.extract::<String>()?, schema.cast::<Schema>()?.get().inner.clone());
    }
    Ok(out)
}

/// Replay's validation of record lines into spool batches.
#[pyclass(module = "govern._native")]
struct Lines {
    inner: CoreLines,
}

#[pymethods]
impl Lines {
    #[new]
    #[pyo3(signature = (schemas, default_topic=None))]
    fn new(schemas: &Bound<PyDict>, default_topic: Option<String>) -> PyResult<Lines> {
        Ok(Lines { inner: CoreLines::new(schema_map(schemas)?, default_topic) })
    }

    /// The spool batch of a block of complete lines (the first is line `first_line`), and its
    /// record count; LineError(line, message) at the first invalid line.
    fn feed<'py>(&mut self, py: Python<'py>, block: &[u8], first_line: usize) -> PyResult<(Bound<'py, PyBytes>, usize)> {
        let mut spool = Vec::with_capacity(block.len());
        let inner = &mut self.inner;
        let result = py.detach(|| inner.feed(block, first_line, &mut spool));
        match result {
            Ok(n) => Ok((PyBytes::new(py, &spool), n)),
            Err(e) => Err(LineError::new_err((e.line, e.message))),
        }
    }

    #[getter]
    fn topics(&self) -> Vec<String> {
        self.inner.topics.clone()
    }

    /// (topic index, "key" | "value", schema name) per slot.
    #[getter]
    fn slots(&self) -> Vec<(u32, &'static str, String)> {
        self.inner.slots.clone()
    }

    /// Highest recorded partition + 1 per topic (0: none recorded).
    #[getter]
    fn partitions(&self) -> Vec<i64> {
        self.inner.partitions.clone()
    }

    /// Records per (topic index, recorded partition or -1).
    #[getter]
    fn counts(&self) -> Vec<(u32, i32, u64)> {
        self.inner.counts.iter().map(|((t, p), n)| (*t, *p, *n)).collect()
    }

    #[getter]
    fn count(&self) -> u64 {
        self.inner.count
    }
}

/// The produce pass's view of one spool batch: per record, in spool order, the arguments of
/// `Producer.produce` as (topic, value, key, partition, timestamp, headers or None), values and
/// keys with a schema prefixed by their slot's Confluent prefix; and the records per (topic
/// index, partition or -1). `keep[topic]` false: the partitioner chooses (-1).
#[pyfunction]
fn messages<'py>(
    py: Python<'py>,
    batch: &[u8],
    topics: Vec<Bound<'py, PyAny>>,
    prefixes: Vec<Vec<u8>>,
    keep: Vec<bool>,
    timestamps: bool,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyDict>)> {
    let records = spooled(batch).map_err(PyValueError::new_err)?;
    let out = PyList::empty(py);
    let mut counts: HashMap<(u32, i32), u64> = HashMap::new();
    let framed = |slot: i32, data: Option<&[u8]>| -> PyResult<Option<Bound<'py, PyBytes>>> {
        let Some(data) = data else { return Ok(None) };
        if slot < 0 {
            return Ok(Some(PyBytes::new(py, data)));
        }
        let prefix = prefixes
            .get(slot as usize)
            .ok_or_else(|| PyValueError::new_err(format!("no registered id for schema slot {slot}")))?;
        let mut bytes = Vec::with_capacity(prefix.len() + data.len());
        bytes.extend_from_slice(prefix);
        bytes.extend_from_slice(data);
        Ok(Some(PyBytes::new(py, &bytes)))
    };
    for r in records {
        let topic = r.topic as usize;
        if topic >= topics.len() || topic >= keep.len() {
            return Err(PyValueError::new_err("a spool record names an unknown topic"));
        }
        let partition = if keep[topic] { r.partition } else { -1 };
        *counts.entry((r.topic, partition)).or_insert(0) += 1;
        let timestamp = if timestamps && r.timestamp >= 0 { r.timestamp } else { 0 };
        let headers = if r.headers.is_empty() {
            None
        } else {
            let list = PyList::empty(py);
            for (name, v) in &r.headers {
                list.append((String::from_utf8_lossy(name).into_owned(), v.map(|d| PyBytes::new(py, d))))?;
            }
            Some(list)
        };
        let row = (
            topics[topic].clone(),
            framed(r.value_slot, r.value)?,
            framed(r.key_slot, r.key)?,
            partition,
            timestamp,
            headers,
        );
        out.append(row)?;
    }
    let totals = PyDict::new(py);
    for ((t, p), n) in counts {
        totals.set_item((t, p), n)?;
    }
    Ok((out, totals))
}

/// Record's decode stage over confluent-kafka Messages.
#[pyclass(module = "govern._native")]
struct Recorder {
    inner: CoreRecorder,
}

/// A confluent-kafka Message's fields, the payloads borrowed from its bytes objects.
struct Fields<'py> {
    topic: Bound<'py, PyString>,
    partition: i32,
    offset: i64,
    timestamp: (i32, i64),
    key: Option<Bound<'py, PyBytes>>,
    value: Option<Bound<'py, PyBytes>>,
    headers: Vec<(String, Option<Bound<'py, PyBytes>>)>,
}

impl<'py> Fields<'py> {
    fn of(m: &Bound<'py, PyAny>) -> PyResult<Fields<'py>> {
        let py = m.py();
        let headers: Option<Vec<(String, Option<Bound<'py, PyBytes>>)>> =
            m.call_method0(pyo3::intern!(py, "headers"))?.extract()?;
        Ok(Fields {
            topic: m.call_method0(pyo3::intern!(py, "topic"))?.cast_into::<PyString>()?,
            partition: m.call_method0(pyo3::intern!(py, "partition"))?.extract()?,
            offset: m.call_method0(pyo3::intern!(py, "offset"))?.extract()?,
            timestamp: m.call_method0(pyo3::intern!(py, "timestamp"))?.extract()?,
            key: m.call_method0(pyo3::intern!(py, "key"))?.extract()?,
            value: m.call_method0(pyo3::intern!(py, "value"))?.extract()?,
            headers: headers.unwrap_or_default(),
        })
    }

    fn message(&self) -> PyResult<Message<'_>> {
        Ok(Message {
            topic: self.topic.to_str()?,
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.as_ref().map(|b| b.as_bytes()),
            value: self.value.as_ref().map(|b| b.as_bytes()),
            headers: self.headers.iter().map(|(k, v)| (k.as_str(), v.as_ref().map(|b| b.as_bytes()))).collect(),
        })
    }
}

#[pymethods]
impl Recorder {
    #[new]
    fn new() -> Recorder {
        Recorder { inner: CoreRecorder::default() }
    }

    /// Decode payloads framed with `schema_id` through `schema`, named `name` in the file.
    fn add_schema(&mut self, schema_id: u32, name: String, schema: &Bound<Schema>) {
        self.inner.schemas.insert(schema_id, Known::Schema(name, schema.get().inner.clone()));
    }

    /// Keep payloads framed with `schema_id` as bytes (the registry has no Avro schema of that id).
    fn absent(&mut self, schema_id: u32) {
        self.inner.schemas.insert(schema_id, Known::Absent);
    }

    /// The first schema id of `message` not added yet, or None.
    fn missing(&self, message: &Bound<PyAny>) -> PyResult<Option<u32>> {
        Ok(self.inner.missing(&Fields::of(message)?.message()?))
    }

    /// Lines of `messages[start:]` up to `limit` lines, stopping at the first message the caller
    /// decides: an error or event, the last offset before a partition's end in `ends` (unless
    /// `follow`), or a schema id not added yet. Returns (lines, index reached, lines written).
    fn process<'py>(
        &mut self,
        py: Python<'py>,
        messages: &Bound<'py, PyList>,
        start: usize,
        limit: usize,
        ends: &Bound<'py, PyDict>,
        follow: bool,
    ) -> PyResult<(Bound<'py, PyBytes>, usize, usize)> {
        let mut out = Vec::with_capacity(messages.len().saturating_sub(start) * 512);
        let mut i = start;
        let mut written = 0;
        let error = pyo3::intern!(py, "error");
        let n = messages.len();
        let mut end_cache: HashMap<String, HashMap<i32, i64>> = HashMap::new();
        while i < n && written < limit {
            let m = messages.get_item(i)?;
            if !m.call_method0(error)?.is_none() {
                break;
            }
            let fields = Fields::of(&m)?;
            let message = fields.message()?;
            if !follow {
                let known = end_cache.get(message.topic).and_then(|p| p.get(&fields.partition)).copied();
                let end = match known {
                    Some(e) => e,
                    None => {
                        let e: i64 = ends
                            .get_item((&fields.topic, fields.partition))?
                            .map(|e| e.extract())
                            .transpose()?
                            .unwrap_or(-1);
                        end_cache.entry(message.topic.to_string()).or_default().insert(fields.partition, e);
                        e
                    }
                };
                if fields.offset >= end - 1 {
                    break;
                }
            }
            if self.inner.missing(&message).is_some() {
                break;
            }
            self.inner.line(&message, &mut out);
            written += 1;
            i += 1;
        }
        Ok((PyBytes::new(py, &out), i, written))
    }

    /// The line of one message (its schema ids added first).
    fn line<'py>(&mut self, py: Python<'py>, message: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let fields = Fields::of(message)?;
        let mut out = Vec::new();
        self.inner.line(&fields.message()?, &mut out);
        Ok(PyBytes::new(py, &out))
    }

    /// Lines per (topic, partition).
    fn counts(&self) -> Vec<(String, i32, u64)> {
        self.inner
            .counts
            .iter()
            .flat_map(|(t, partitions)| partitions.iter().map(move |(p, n)| (t.clone(), *p, *n)))
            .collect()
    }

    #[getter]
    fn undecoded(&self) -> u64 {
        self.inner.undecoded
    }

    /// The first few undecodable payloads: (topic, partition, offset, "key" | "value", reason).
    #[getter]
    fn warnings(&self) -> Vec<(String, i32, i64, &'static str, String)> {
        self.inner.warnings.clone()
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Schema>()?;
    m.add_class::<Lines>()?;
    m.add_class::<Recorder>()?;
    m.add_class::<crate::objects::Writer>()?;
    m.add_class::<crate::objects::Reader>()?;
    m.add_function(wrap_pyfunction!(messages, m)?)?;
    m.add_function(wrap_pyfunction!(crate::avro_parse::parse_avro, m)?)?;
    m.add("SchemaError", m.py().get_type::<crate::avro_parse::SchemaError>())?;
    m.add("InvalidDefault", m.py().get_type::<crate::avro_parse::InvalidDefault>())?;
    m.add("JsonError", m.py().get_type::<crate::avro_parse::JsonError>())?;
    m.add("Mismatch", m.py().get_type::<Mismatch>())?;
    m.add("DecodeError", m.py().get_type::<DecodeError>())?;
    m.add("LineError", m.py().get_type::<LineError>())?;
    Ok(())
}
