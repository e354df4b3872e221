//! The crate's own tests of the mapping and its bounds (the differential tests against fastavro
//! are in tests/unit/test_recording_codec.py).

use std::collections::HashMap;
use std::sync::Arc;

use crate::decode::decode;
use crate::encode::encode_json;
use crate::lines::{spooled, LineError, Lines};
use crate::schema::Schema;

fn schema(program: &str) -> Schema {
    Schema::compile(program).expect("a valid program")
}

fn encode(s: &Schema, json: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    encode_json(s, json.as_bytes(), &mut out).map(|()| out).map_err(|e| e.render())
}

fn decoded(s: &Schema, data: &[u8]) -> Result<String, String> {
    let mut out = Vec::new();
    decode(s, data, &mut out).map(|()| String::from_utf8(out).unwrap())
}

#[test]
fn a_record_round_trips_with_its_defaults() {
    let s = schema(
        r#"[["record","n.R",[["id",1,false],["amount",2,false],["memo",3,true,null],["tags",5,true,["a"]]]],
            ["string"],["decimal",-1,9,2],["union",false,[[null,4],["string",1]]],["null"],["array",1]]"#,
    );
    let body = encode(&s, r#"{"id":"x","amount":"12.5"}"#).unwrap();
    assert_eq!(decoded(&s, &body).unwrap(), r#"{"id":"x","amount":"12.50","memo":null,"tags":["a"]}"#);
    assert_eq!(encode(&s, r#"{"id":"x","amount":"1.001"}"#).unwrap_err(), "amount: decimal 1.001 has more than 2 fractional digit(s) (scale 2)");
    assert!(encode(&s, r#"{"id":"x","amount":"1","extra":1}"#).unwrap_err().contains("unknown field 'extra'"));
    assert!(encode(&s, r#"{"amount":"1"}"#).unwrap_err().contains("missing field 'id'"));
}

#[test]
fn block_counts_of_every_size_come_before_their_items() {
    let array = schema(r#"[["array",1],["int"]]"#);
    let map = schema(r#"[["map",1],["int"]]"#);
    for n in [0usize, 1, 63, 64, 65, 200, 9000] {
        let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        let body = encode(&array, &format!("[{}]", items.join(","))).unwrap();
        let mut expected = Vec::new();
        if n > 0 {
            crate::numbers::write_long(n as i64, &mut expected);
            items.iter().for_each(|i| crate::numbers::write_long(i.parse().unwrap(), &mut expected));
        }
        expected.push(0);
        assert_eq!(body, expected, "{n} items");
        assert_eq!(decoded(&array, &body).unwrap(), format!("[{}]", items.join(",")));
        // a map, and the same map with its first key repeated at the end (kept once, last value first)
        let entries: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
        let text = format!("{{{}}}", entries.join(","));
        assert_eq!(decoded(&map, &encode(&map, &text).unwrap()).unwrap(), text);
        if n > 0 {
            let repeated = format!("{{{},\"k0\":-1}}", entries.join(","));
            let kept = text.replacen("\"k0\":0", "\"k0\":-1", 1);
            assert_eq!(decoded(&map, &encode(&map, &repeated).unwrap()).unwrap(), kept);
        }
    }
}

#[test]
fn negative_zero_is_kept() {
    let s = schema(r#"[["double"]]"#);
    let body = encode(&s, "-0").unwrap();
    assert_eq!(body, (-0.0f64).to_le_bytes());
    assert_eq!(decoded(&s, &body).unwrap(), "-0.0");
}

#[test]
fn zero_size_items_are_bounded() {
    // array<null>: a count of 2^62 items of zero bytes each
    let s = schema(r#"[["array",1],["null"]]"#);
    assert!(decoded(&s, &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00]).unwrap_err().contains("items"));
    let empty = schema(r#"[["array",1],["record","E",[]]]"#);
    assert!(decoded(&empty, &[0x80, 0x80, 0x80, 0x80, 0x10, 0]).is_err());
    let fixed = schema(r#"[["map",1],["fixed","F",0]]"#);
    assert!(decoded(&fixed, &[0x80, 0x80, 0x80, 0x80, 0x10, 0]).is_err());
}

#[test]
fn over_long_varints_are_refused() {
    let s = schema(r#"[["int"]]"#);
    let mut body = vec![0xffu8; 2100];
    body.push(0);
    assert!(decoded(&s, &body).is_err());
    assert!(decoded(&s, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).is_err()); // beyond 32 bits
}

#[test]
fn map_keys_are_deduplicated_keeping_the_last_value() {
    let s = schema(r#"[["map",1],["long"]]"#);
    // 3 entries: a=1, b=2, a=3
    let body = [6, 2, b'a', 2, 2, b'b', 4, 2, b'a', 6, 0];
    assert_eq!(decoded(&s, &body).unwrap(), r#"{"a":3,"b":2}"#);
}

/// Records and maps share one stack of entry spans: nested ones, fields out of order or left to
/// their defaults, and repeated keys (before and after the map starts hashing them) all still lay
/// out as the schema and Python's json say.
#[test]
fn nested_maps_and_records_with_repeats_and_defaults() {
    let s = schema(r#"[["map",1],["record","R",[["a",2,false],["b",2,true,14]]],["long"]]"#);
    let text = r#"{"x":{"b":2,"a":1},"y":{"a":3},"x":{"a":5,"b":6},"z":{"a":4,"b":4}}"#;
    let body = encode(&s, text).unwrap();
    assert_eq!(decoded(&s, &body).unwrap(), r#"{"x":{"a":5,"b":6},"y":{"a":3,"b":14},"z":{"a":4,"b":4}}"#);
    let many: Vec<String> = (0..20).map(|i| format!(r#""k{i}":{{"a":{i}}}"#)).collect();
    let text = format!(r#"{{{},"k3":{{"a":99}},"k19":{{"b":1,"a":0}}}}"#, many.join(","));
    let decoded = decoded(&s, &encode(&s, &text).unwrap()).unwrap();
    let expected: Vec<String> = (0..20)
        .map(|i| match i {
            3 => r#""k3":{"a":99,"b":14}"#.to_string(),
            19 => r#""k19":{"a":0,"b":1}"#.to_string(),
            _ => format!(r#""k{i}":{{"a":{i},"b":14}}"#),
        })
        .collect();
    assert_eq!(decoded, format!("{{{}}}", expected.join(",")));
}

#[test]
fn deep_recursion_is_refused() {
    let s = schema(r#"[["record","L",[["next",1,false]]],["union",false,[[null,2],["L",0]]],["null"]]"#);
    let mut body = vec![2u8; 500];
    body.push(0);
    assert!(decoded(&s, &body).unwrap_err().contains("nested deeper"));
}

#[test]
fn lines_become_spool_records_and_errors_name_the_line() {
    let s = Arc::new(schema(r#"[["record","R",[["n",1,false]]],["int"]]"#));
    let schemas = HashMap::from([("r".to_string(), s)]);
    let mut lines = Lines::new(schemas.clone(), Some("t".into()), 2);
    let mut spool = Vec::new();
    let block = b"{\"key\":\"k\",\"schema\":\"r\",\"value\":{\"n\":1},\"partition\":2,\"headers\":[[\"h\",null]]}\n\n{\"value\":null}\n";
    assert_eq!(lines.feed(block, &mut spool).unwrap(), 2);
    let records = spooled(&spool).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!((records[0].partition, records[0].value, records[0].headers.len()), (2, Some(&[2u8][..]), 1));
    assert_eq!(lines.partitions, vec![3]);
    assert_eq!(lines.line, 5);
    let bad = lines.feed(b"{\"value\":null}\n{\"schema\":\"r\",\"value\":{\"n\":\"x\"}}\n", &mut spool).unwrap_err();
    assert_eq!(bad.line, 6);
    assert!(bad.message.starts_with("value.n: expected an integer (int)"), "{}", bad.message);
    let mut lines = Lines::new(schemas, Some("t".into()), 1);
    let partition = lines.feed(b"{\"value\":null,\"partition\":4294967296}\n", &mut spool).unwrap_err();
    assert!(partition.message.starts_with("partition:"));
}

/// Envelope integers and schemaless keys are read from their raw text; anything but a plain
/// integer or an unescaped string goes the parsed way, with the same messages.
#[test]
fn raw_envelope_fields_read_as_parsed_ones() {
    let mut spool = Vec::new();
    let mut one = |line: &str| {
        let mut lines = Lines::new(HashMap::new(), Some("t".into()), 1);
        spool.clear();
        lines.feed(format!("{line}\n").as_bytes(), &mut spool).map(|_| spooled(&spool).unwrap()[0].key.map(<[u8]>::to_vec))
    };
    assert_eq!(one(r#"{"key":"k\"\u00e9","value":null}"#).unwrap(), Some("k\"\u{e9}".as_bytes().to_vec()));
    assert_eq!(one(r#"{"key":"plain é","value":null}"#).unwrap(), Some("plain é".as_bytes().to_vec()));
    assert_eq!(one(r#"{"key":{"base64":"AAE="},"value":null}"#).unwrap(), Some(vec![0, 1]));
    assert_eq!(one(r#"{"key":null,"partition":0,"timestamp":-5,"value":null}"#).unwrap(), None);
    for (line, message) in [
        (r#"{"partition":1.5,"value":null}"#, "partition: expected an integer >= 0"),
        (r#"{"partition":-0,"value":null}"#, "partition: expected an integer >= 0"),
        (r#"{"partition":"1","value":null}"#, "partition: expected an integer >= 0"),
        (r#"{"partition":99999999999999999999999,"value":null}"#, "partition: 99999999999999999999999 is beyond 2147483647"),
        (r#"{"offset":-1,"value":null}"#, "offset: expected an integer >= 0"),
        (r#"{"timestamp":1e3,"value":null}"#, "timestamp: expected epoch milliseconds or an ISO-8601 string, got 1e+3"),
        (r#"{"key":1,"value":null}"#, "key: expected null, a string or {\"base64\": \"...\"}, got 1"),
        (r#"{"partition":01,"value":null}"#, "invalid JSON: invalid number at line 1 column 15"),
    ] {
        assert_eq!(one(line).unwrap_err().message, message, "{line}");
    }
}

/// Lines of the bench's shape: `n` of them, the lines in `bad` (1-based) with a value that does not fit.
fn many_lines(n: usize, bad: &[usize]) -> Vec<u8> {
    let mut text = Vec::new();
    for i in 1..=n {
        let value = if bad.contains(&i) { "\"x\"".to_string() } else { i.to_string() };
        let line = format!(
            "{{\"partition\":{},\"key\":\"k{i}\",\"schema\":\"r\",\"value\":{{\"n\":{value}}},\"headers\":[[\"h\",\"{i}\"]]}}\n",
            i % 3
        );
        text.extend_from_slice(line.as_bytes());
    }
    text
}

#[test]
fn threads_and_chunk_cuts_change_nothing() {
    let s = Arc::new(schema(r#"[["record","R",[["n",1,false]]],["long"]]"#));
    let schemas = HashMap::from([("r".to_string(), s)]);
    let text = many_lines(5000, &[]);
    let mut alone = Vec::new();
    let mut one = Lines::with_threads(schemas.clone(), Some("t".into()), 2, 1);
    assert_eq!(one.feed(&text, &mut alone).unwrap(), 5000);
    for (threads, chunk) in [(2, text.len()), (3, 100_003), (4, 777)] {
        let mut lines = Lines::with_threads(schemas.clone(), Some("t".into()), 2, threads);
        let mut spool = Vec::new();
        let fed: usize = text.chunks(chunk).map(|c| lines.feed(c, &mut spool).unwrap()).sum();
        assert_eq!((fed, lines.finish(&mut spool).unwrap()), (5000, 0));
        assert!(spool == alone, "{threads} threads, chunks of {chunk}");
        assert_eq!((lines.count, lines.line, &lines.partitions), (5000, 5002, &vec![3]));
    }
    // the first bad line is the one named, whichever thread met it
    for (threads, bad, first) in [(2, vec![4000], 4001), (3, vec![4900, 1200, 2500], 1201), (4, vec![1], 2)] {
        let text = many_lines(5000, &bad);
        let mut lines = Lines::with_threads(schemas.clone(), Some("t".into()), 2, threads);
        assert_eq!(lines.feed(&text, &mut Vec::new()).unwrap_err().line, first, "{threads} threads, bad {bad:?}");
    }
    // a last line without its newline is checked by finish
    let mut lines = Lines::with_threads(schemas, Some("t".into()), 1, 2);
    let mut spool = Vec::new();
    assert_eq!(lines.feed(b"{\"value\":null}\n{\"value\":", &mut spool).unwrap(), 1);
    assert_eq!(lines.finish(&mut spool).unwrap_err(), LineError { line: 2, message: "truncated line (the file ends inside a JSON value)".into() });
}

#[test]
fn long_strings_are_escaped_wherever_the_character_falls() {
    // the escape scan reads eight bytes at a time: every ASCII character, at every position
    for c in (0u8..0x80).map(char::from).chain(['é', '€', '\u{10348}']) {
        for at in 0..20 {
            let text: String = "abcdefghijklmnopqrstu".chars().take(at).chain([c]).chain("xyz0123456789".chars()).collect();
            let mut out = Vec::new();
            crate::decode::write_string(&text, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&text).unwrap(), "{c:?} at {at}");
        }
    }
}

#[test]
fn the_recording_pipeline_keeps_the_order_and_appends_once_asked() {
    use crate::record::{Known, Message, Pipeline};
    let mut pipeline = Pipeline::new();
    pipeline.add(7, Known::Schema("s@1".into(), Arc::new(schema(r#"[["string"]]"#)))).unwrap();
    let framed = |text: &str| {
        let mut body = vec![0, 0, 0, 0, 7];
        crate::numbers::write_long(text.len() as i64, &mut body);
        body.extend_from_slice(text.as_bytes());
        body
    };
    let queue = |pipeline: &mut Pipeline, offsets: std::ops::Range<i64>| {
        for pair in offsets.collect::<Vec<_>>().chunks(2) {
            let mut batch = pipeline.batch();
            for offset in pair {
                let value = framed(&format!("v{offset}"));
                let m = Message { topic: "t", partition: 0, offset: *offset, timestamp: (1, 5), key: None, value: Some(&value), headers: vec![] };
                batch.push(&m);
            }
            pipeline.lines(batch).unwrap();
        }
    };
    let offsets_of = |text: &str| -> Vec<i64> {
        text.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["offset"].as_i64().unwrap()).collect()
    };
    queue(&mut pipeline, 0..6);
    let done = pipeline.take(true).unwrap();
    let text: String = done.iter().map(|b| String::from_utf8(b.lines.clone()).unwrap()).collect();
    assert_eq!(offsets_of(&text), (0..6).collect::<Vec<_>>());
    assert!(text.contains(r#""schema":"s@1","value":"v3""#), "{text}");
    pipeline.reuse(done);
    // from now on the decoding thread appends to the file, after what is there
    let path = std::env::temp_dir().join(format!("govern-pipeline-test-{}", std::process::id()));
    std::fs::write(&path, "header\n").unwrap();
    pipeline.append_to(path.to_str().unwrap()).unwrap();
    queue(&mut pipeline, 6..12);
    let done = pipeline.take(true).unwrap();
    assert_eq!(done.iter().map(|b| (b.len(), b.lines.len())).collect::<Vec<_>>(), vec![(2, 0); 3]);
    let written = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let (header, lines) = written.split_once('\n').unwrap();
    assert_eq!((header, offsets_of(lines)), ("header", (6..12).collect::<Vec<_>>()));
    assert_eq!(pipeline.recorder().counts["t"][&0], 12);
}

#[test]
fn avro_strings_must_be_utf8_wherever_a_byte_falls() {
    let s = schema(r#"[["string"]]"#);
    let map = schema(r#"[["map",1],["int"]]"#);
    let body = |bytes: &[u8]| {
        let mut out = Vec::new();
        crate::numbers::write_long(bytes.len() as i64, &mut out);
        out.extend_from_slice(bytes);
        out
    };
    for at in 0..20 {
        let mut text = "abcdefghijklmnopqrstu"[..at].to_string() + "é€\u{10348}\"xyz0123456789";
        assert_eq!(decoded(&s, &body(text.as_bytes())).unwrap(), serde_json::to_string(&text).unwrap(), "at {at}");
        text.truncate(at);
        let mut bad = text.clone().into_bytes();
        bad.extend_from_slice(&[0xe2, 0x82, b'x', b'y']); // a cut three-byte sequence
        bad.extend_from_slice(b"0123456789");
        assert_eq!(decoded(&s, &body(&bad)).unwrap_err(), "a string is not valid UTF-8", "at {at}");
        let mut entry = vec![2];
        entry.extend_from_slice(&body(&bad));
        entry.extend_from_slice(&[2, 0]);
        assert_eq!(decoded(&map, &entry).unwrap_err(), "a map key is not valid UTF-8", "at {at}");
    }
}

#[test]
fn strings_are_escaped_as_json_needs() {
    let mut out = Vec::new();
    crate::decode::write_string("a\"b\\c\n\u{1}é\t", &mut out);
    assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\n\\u0001é\\t\"");
}
