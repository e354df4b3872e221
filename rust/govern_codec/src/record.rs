//! Record's decode stage: one consumed message's line of the fixture file (docs/fixtures.md 1.2),
//! its value (and key) decoded through the schema its Confluent id names when that id is loaded.
//! `Pipeline` runs it on a thread of its own, so that decoding overlaps consuming.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::ops::Range;
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

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

/// `,"<name>":` onto `out`: the start of a line's member after its first (names need no escaping).
fn member(name: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
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
    /// A key's or value's fields of the line onto `out`: `,"<schema field>":"<name>","<what>":`
    /// and its JSON when it decodes through the schema its id names (straight onto `out`, no copy),
    /// else `,"<what>":` and its bytes (null, a string or base64).
    fn payload(&mut self, m: &Message, data: Option<&[u8]>, what: &'static str, out: &mut Vec<u8>) {
        let Some(data) = data else {
            member(what, out);
            out.extend_from_slice(b"null");
            return;
        };
        if let Some(id) = framed_id(data) {
            let reason = match self.schemas.get(&id) {
                Some(Known::Schema(name, schema)) => {
                    let mark = out.len();
                    member(if what == "key" { "key_schema" } else { "schema" }, out);
                    write_string(name, out);
                    member(what, out);
                    match decode(schema, &data[5..], out) {
                        Ok(()) => return,
                        Err(e) => {
                            out.truncate(mark);
                            format!("not a valid Avro body for schema id {id} ({name}): {e}")
                        }
                    }
                }
                _ => format!("schema id {id} is not an Avro schema of the registry"),
            };
            self.undecoded += 1;
            if self.warnings.len() < WARNINGS_KEPT {
                self.warnings.push((m.topic.to_string(), m.partition, m.offset, what, reason));
            }
        }
        member(what, out);
        plain(data, what == "key", out);
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
        self.payload(m, m.key, "key", out);
        self.payload(m, m.value, "value", out);
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

/// Messages copied out of the consumer's objects, for the decoding thread (payloads and header
/// values as ranges of one buffer), and their lines once decoded. Batches are reused, buffers
/// and all: a buffer freed on the other thread each time would cost fresh pages each time.
#[derive(Default)]
pub struct Batch {
    bytes: Vec<u8>,
    topics: Vec<String>,
    messages: Vec<Copied>,
    pub lines: Vec<u8>,
}

struct Copied {
    topic: usize,
    partition: i32,
    offset: i64,
    timestamp: (i32, i64),
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    headers: Vec<(String, Option<Range<usize>>)>,
}

impl Batch {
    pub fn push(&mut self, m: &Message) {
        let topic = match self.topics.iter().rposition(|t| t == m.topic) {
            Some(i) => i,
            None => {
                self.topics.push(m.topic.to_string());
                self.topics.len() - 1
            }
        };
        let bytes = &mut self.bytes;
        let mut copy = |data: Option<&[u8]>| {
            data.map(|d| {
                bytes.extend_from_slice(d);
                bytes.len() - d.len()..bytes.len()
            })
        };
        let (key, value) = (copy(m.key), copy(m.value));
        let headers = m.headers.iter().map(|(name, v)| (name.to_string(), copy(*v))).collect();
        let (partition, offset, timestamp) = (m.partition, m.offset, m.timestamp);
        self.messages.push(Copied { topic, partition, offset, timestamp, key, value, headers });
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.topics.clear();
        self.messages.clear();
        self.lines.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    fn message<'a>(&'a self, c: &'a Copied) -> Message<'a> {
        let bytes = |range: &Option<Range<usize>>| range.clone().map(|r| &self.bytes[r]);
        Message {
            topic: &self.topics[c.topic],
            partition: c.partition,
            offset: c.offset,
            timestamp: c.timestamp,
            key: bytes(&c.key),
            value: bytes(&c.value),
            headers: c.headers.iter().map(|(name, v)| (name.as_str(), bytes(v))).collect(),
        }
    }
}

enum Job {
    Schema(u32, Known),
    Lines(Batch),
    /// From now on, append the lines to this file instead of handing them back.
    Output(File),
}

/// Jobs queued for the decoding thread at most: bounded, so memory stays flat however far
/// consuming runs ahead of decoding. 16 batches of 500 messages (consume.py's BATCH) are
/// the 8,000 messages that 4 batches of 2,000 held before: as much slack for a decoding thread
/// held up by a slow write, and the same memory.
const QUEUED: usize = 16;

/// The Recorder on a thread of its own: schemas and batches go in, in order; each batch comes
/// back in the same order with its lines.
pub struct Pipeline {
    jobs: Option<SyncSender<Job>>,
    decoded: Mutex<Receiver<Batch>>,
    /// Batches taken back, for reuse.
    spare: Vec<Batch>,
    /// Batches sent whose lines were not taken yet.
    pending: usize,
    /// Schema ids added (the decoding thread may not have them yet).
    known: HashSet<u32>,
    recorder: Arc<Mutex<Recorder>>,
    /// Why the lines could not be appended to the output file, if they could not: apart from
    /// the recorder, which the decoding thread holds while it decodes a batch, so that taking
    /// lines never waits for a batch to be decoded and written.
    failed: Arc<Mutex<Option<String>>>,
    worker: Option<JoinHandle<()>>,
}

impl Default for Pipeline {
    fn default() -> Pipeline {
        Pipeline::new()
    }
}

impl Pipeline {
    pub fn new() -> Pipeline {
        let (jobs, queue) = sync_channel::<Job>(QUEUED);
        // unbounded: the thread never waits for its lines to be taken (they are, after each
        // consumer batch), so a caller queueing batches cannot wait on it in turn
        let (done, decoded) = channel::<Batch>();
        let recorder = Arc::new(Mutex::new(Recorder::default()));
        let failed = Arc::new(Mutex::new(None));
        let (shared, failure) = (recorder.clone(), failed.clone());
        let worker = std::thread::Builder::new()
            .name("govern-record-decode".into())
            .spawn(move || {
                let mut output: Option<File> = None;
                for job in queue {
                    let mut recorder = shared.lock().expect("the recorder");
                    match job {
                        Job::Schema(id, known) => {
                            recorder.schemas.insert(id, known);
                        }
                        Job::Output(file) => output = Some(file),
                        Job::Lines(mut batch) => {
                            let mut lines = std::mem::take(&mut batch.lines);
                            for c in &batch.messages {
                                recorder.line(&batch.message(c), &mut lines);
                            }
                            drop(recorder);
                            if let Some(file) = &mut output {
                                if let Err(e) = file.write_all(&lines) {
                                    let mut failed = failure.lock().expect("the failure");
                                    failed.get_or_insert_with(|| format!("writing the lines failed: {e}"));
                                }
                                lines.clear();
                            }
                            batch.lines = lines;
                            if done.send(batch).is_err() {
                                return;
                            }
                        }
                    }
                }
            })
            .expect("a decoding thread");
        Pipeline {
            jobs: Some(jobs),
            decoded: Mutex::new(decoded),
            spare: Vec::new(),
            pending: 0,
            known: HashSet::new(),
            recorder,
            failed,
            worker: Some(worker),
        }
    }

    /// Decode payloads framed with `id` as `known` says, from the next batch sent on.
    pub fn add(&mut self, id: u32, known: Known) -> Result<(), String> {
        self.known.insert(id);
        self.send(Job::Schema(id, known))
    }

    /// The first schema id the message names that was not added yet.
    pub fn missing(&self, m: &Message) -> Option<u32> {
        [m.key, m.value].into_iter().flatten().filter_map(framed_id).find(|id| !self.known.contains(id))
    }

    /// Append the lines of the batches sent from now on to the file at `path` (its lines so far
    /// taken and written by the caller), instead of handing them back: writing them then
    /// overlaps consuming too.
    pub fn append_to(&mut self, path: &str) -> Result<(), String> {
        let file = OpenOptions::new().append(true).open(path).map_err(|e| format!("{path}: {e}"))?;
        self.send(Job::Output(file))
    }

    /// Queue a batch for decoding (waits while QUEUED batches are ahead of it).
    pub fn lines(&mut self, batch: Batch) -> Result<(), String> {
        self.send(Job::Lines(batch))?;
        self.pending += 1;
        Ok(())
    }

    fn send(&mut self, job: Job) -> Result<(), String> {
        let jobs = self.jobs.as_ref().expect("open until dropped");
        jobs.send(job).map_err(|_| "the decoding thread stopped".to_string())
    }

    /// An empty batch to fill (a reused one when there is).
    pub fn batch(&mut self) -> Batch {
        self.spare.pop().unwrap_or_default()
    }

    /// The batches decoded so far (with `wait`, every batch sent), in order, with their lines
    /// (none once appended to a file); `reuse` them once their lines are read. An error when
    /// appending the lines of any batch sent so far to the file failed.
    pub fn take(&mut self, wait: bool) -> Result<Vec<Batch>, String> {
        let decoded = self.decoded.get_mut().expect("the receiver");
        let mut done = Vec::new();
        while self.pending > 0 {
            let next = if wait { decoded.recv().ok() } else { decoded.try_recv().ok() };
            let Some(batch) = next else {
                if wait {
                    return Err("the decoding thread stopped".into());
                }
                break;
            };
            self.pending -= 1;
            done.push(batch);
        }
        // after the batches: a batch comes back once its lines were written (or failed to be), so
        // the last take, which waits for every batch, sees a failure of the last write too
        if let Some(failed) = self.failed.lock().expect("the failure").clone() {
            return Err(failed);
        }
        Ok(done)
    }

    pub fn reuse(&mut self, batches: Vec<Batch>) {
        for mut batch in batches {
            if self.spare.len() <= QUEUED {
                batch.clear();
                self.spare.push(batch);
            }
        }
    }

    /// The recorder's counts and warnings (complete once every batch was taken).
    pub fn recorder(&self) -> MutexGuard<'_, Recorder> {
        self.recorder.lock().expect("the recorder")
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.jobs = None; // the decoding thread ends with its queue
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Message, Pipeline};
    use std::time::{Duration, Instant};

    fn send(pipeline: &mut Pipeline, offset: i64) {
        let mut batch = pipeline.batch();
        let m = Message { topic: "t", partition: 0, offset, timestamp: (0, 0), key: None, value: Some(b"v"), headers: vec![] };
        batch.push(&m);
        pipeline.lines(batch).unwrap();
    }

    #[test]
    fn taking_lines_does_not_wait_for_the_batch_being_decoded() {
        let mut pipeline = Pipeline::new();
        // the recorder held elsewhere for 2 s, as the decoding thread holds it through a batch
        let recorder = pipeline.recorder.clone();
        let (locked, wait) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let _held = recorder.lock().unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(Duration::from_secs(2));
        });
        wait.recv().unwrap();
        send(&mut pipeline, 0);
        let started = Instant::now();
        assert!(pipeline.take(false).unwrap().is_empty());
        assert!(started.elapsed() < Duration::from_secs(1), "take waited {:?}", started.elapsed());
        holder.join().unwrap();
        assert_eq!(pipeline.take(true).unwrap().len(), 1);
    }

    #[test]
    fn a_failed_write_fails_the_take_that_collects_its_batch() {
        if !std::path::Path::new("/dev/full").exists() {
            return; // no device whose writes fail here
        }
        let mut pipeline = Pipeline::new();
        pipeline.append_to("/dev/full").unwrap(); // every write fails: no space left on the device
        send(&mut pipeline, 0);
        let error = pipeline.take(true).err().expect("the write failed");
        assert!(error.starts_with("writing the lines failed"), "{error}");
    }
}
