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
use crate::record::{Batch, Known, Message, Pipeline};
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
    /// The batch being made, kept from call to call (no fresh pages per block).
    spool: Vec<u8>,
}

impl Lines {
    /// The spool batch `fill` makes, and its record count; LineError(line, message) at the first
    /// invalid line.
    fn batch<'py>(
        &mut self,
        py: Python<'py>,
        fill: impl FnOnce(&mut CoreLines, &mut Vec<u8>) -> Result<usize, crate::lines::LineError> + Send,
    ) -> PyResult<(Bound<'py, PyBytes>, usize)> {
        let Lines { inner, spool } = self;
        spool.clear();
        match py.detach(|| fill(inner, spool)) {
            Ok(n) => Ok((PyBytes::new(py, spool), n)),
            Err(e) => Err(LineError::new_err((e.line, e.message))),
        }
    }
}

#[pymethods]
impl Lines {
    #[new]
    #[pyo3(signature = (schemas, default_topic=None, first_line=1))]
    fn new(schemas: &Bound<PyDict>, default_topic: Option<String>, first_line: usize) -> PyResult<Lines> {
        Ok(Lines { inner: CoreLines::new(schema_map(schemas)?, default_topic, first_line), spool: Vec::new() })
    }

    /// The spool batch of the lines `chunk` completes (any bytes of the input: a line it cuts
    /// waits for the next chunk), and its record count.
    fn feed<'py>(&mut self, py: Python<'py>, chunk: &[u8]) -> PyResult<(Bound<'py, PyBytes>, usize)> {
        self.batch(py, |lines, spool| lines.feed(chunk, spool))
    }

    /// The spool batch of a last line without a newline (none: an empty batch).
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<(Bound<'py, PyBytes>, usize)> {
        self.batch(py, |lines, spool| lines.finish(spool))
    }

    /// The number of the next line (the one being read).
    #[getter]
    fn line(&self) -> usize {
        self.inner.line
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

/// The produce pass's view of one spool batch: per record, in spool order, the positional
/// arguments of confluent-kafka's `Producer.produce(topic, value, key, partition, callback,
/// on_delivery, timestamp, headers)`, the callbacks None (the producer's own), values and keys
/// with a schema prefixed by their slot's Confluent prefix; and the records per (topic index,
/// partition or -1). `keep[topic]` false: the partitioner chooses (-1).
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
        let framed = PyBytes::new_with(py, prefix.len() + data.len(), |buffer| {
            buffer[..prefix.len()].copy_from_slice(prefix);
            buffer[prefix.len()..].copy_from_slice(data);
            Ok(())
        })?;
        Ok(Some(framed))
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
            py.None(),
            py.None(),
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

/// Record's decode stage over confluent-kafka Messages: the fields are read here, under the GIL;
/// decoding and the lines run on a thread of their own (`take` hands the lines back in order).
#[pyclass(module = "govern._native")]
struct Recorder {
    inner: Pipeline,
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

impl Recorder {
    fn queue(&mut self, py: Python, batch: Batch) -> PyResult<()> {
        let inner = &mut self.inner;
        py.detach(|| inner.lines(batch)).map_err(pyo3::exceptions::PyRuntimeError::new_err)
    }
}

#[pymethods]
impl Recorder {
    #[new]
    fn new() -> Recorder {
        Recorder { inner: Pipeline::new() }
    }

    /// Decode payloads framed with `schema_id` through `schema`, named `name` in the file.
    fn add_schema(&mut self, schema_id: u32, name: String, schema: &Bound<Schema>) -> PyResult<()> {
        let known = Known::Schema(name, schema.get().inner.clone());
        self.inner.add(schema_id, known).map_err(pyo3::exceptions::PyRuntimeError::new_err)
    }

    /// Keep payloads framed with `schema_id` as bytes (the registry has no Avro schema of that id).
    fn absent(&mut self, schema_id: u32) -> PyResult<()> {
        self.inner.add(schema_id, Known::Absent).map_err(pyo3::exceptions::PyRuntimeError::new_err)
    }

    /// The first schema id of `message` not added yet, or None.
    fn missing(&self, message: &Bound<PyAny>) -> PyResult<Option<u32>> {
        Ok(self.inner.missing(&Fields::of(message)?.message()?))
    }

    /// Queue the lines of `messages[start:]`, up to `limit` of them, stopping at the first
    /// message the caller decides: an error or event, the last offset before a partition's end
    /// in `ends` (unless `follow`), or a schema id not added yet. Returns (index reached, lines
    /// queued).
    fn process<'py>(
        &mut self,
        py: Python<'py>,
        messages: &Bound<'py, PyList>,
        start: usize,
        limit: usize,
        ends: &Bound<'py, PyDict>,
        follow: bool,
    ) -> PyResult<(usize, usize)> {
        let mut batch = self.inner.batch();
        let mut i = start;
        let error = pyo3::intern!(py, "error");
        let n = messages.len();
        let mut end_cache: HashMap<String, HashMap<i32, i64>> = HashMap::new();
        while i < n && batch.len() < limit {
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
            batch.push(&message);
            i += 1;
        }
        let queued = batch.len();
        if batch.is_empty() {
            self.inner.reuse(vec![batch]);
        } else {
            self.queue(py, batch)?;
        }
        Ok((i, queued))
    }

    /// Queue the line of one message (its schema ids added first).
    fn line(&mut self, py: Python, message: &Bound<PyAny>) -> PyResult<()> {
        let mut batch = self.inner.batch();
        batch.push(&Fields::of(message)?.message()?);
        self.queue(py, batch)
    }

    /// Append the lines of the messages queued from now on to the file at `path` instead of
    /// handing them back (`take` then counts them only); OSError when it cannot be opened.
    fn append_to(&mut self, path: &str) -> PyResult<()> {
        self.inner.append_to(path).map_err(pyo3::exceptions::PyOSError::new_err)
    }

    /// The lines decoded so far, in order, and their count; with `wait`, of every message queued.
    #[pyo3(signature = (wait=false))]
    fn take<'py>(&mut self, py: Python<'py>, wait: bool) -> PyResult<(Bound<'py, PyBytes>, usize)> {
        let inner = &mut self.inner;
        let done = py.detach(|| inner.take(wait)).map_err(pyo3::exceptions::PyOSError::new_err)?;
        let size = done.iter().map(|b| b.lines.len()).sum();
        let lines = PyBytes::new_with(py, size, |buffer| {
            let mut at = 0;
            for b in &done {
                buffer[at..at + b.lines.len()].copy_from_slice(&b.lines);
                at += b.lines.len();
            }
            Ok(())
        })?;
        let count = done.iter().map(Batch::len).sum();
        self.inner.reuse(done);
        Ok((lines, count))
    }

    /// Lines per (topic, partition) (complete once every line was taken).
    fn counts(&self) -> Vec<(String, i32, u64)> {
        self.inner
            .recorder()
            .counts
            .iter()
            .flat_map(|(t, partitions)| partitions.iter().map(move |(p, n)| (t.clone(), *p, *n)))
            .collect()
    }

    #[getter]
    fn undecoded(&self) -> u64 {
        self.inner.recorder().undecoded
    }

    /// The first few undecodable payloads: (topic, partition, offset, "key" | "value", reason).
    #[getter]
    fn warnings(&self) -> Vec<(String, i32, i64, &'static str, String)> {
        self.inner.recorder().warnings.clone()
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
