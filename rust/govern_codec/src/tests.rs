//! The crate's own tests of the mapping and its bounds (the differential tests against fastavro
//! are in tests/unit/test_recording_codec.py).

use std::collections::HashMap;
use std::sync::Arc;

use crate::decode::decode;
use crate::encode::encode_json;
use crate::lines::{spooled, Lines};
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
    let mut lines = Lines::new(HashMap::from([("r".to_string(), s)]), Some("t".into()));
    let mut spool = Vec::new();
    let block = b"{\"key\":\"k\",\"schema\":\"r\",\"value\":{\"n\":1},\"partition\":2,\"headers\":[[\"h\",null]]}\n\n{\"value\":null}\n";
    assert_eq!(lines.feed(block, 2, &mut spool).unwrap(), 2);
    let records = spooled(&spool).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!((records[0].partition, records[0].value, records[0].headers.len()), (2, Some(&[2u8][..]), 1));
    assert_eq!(lines.partitions, vec![3]);
    let bad = lines.feed(b"{\"value\":null}\n{\"schema\":\"r\",\"value\":{\"n\":\"x\"}}\n", 10, &mut spool).unwrap_err();
    assert_eq!(bad.line, 11);
    assert!(bad.message.starts_with("value.n: expected an integer (int)"), "{}", bad.message);
    let partition = lines.feed(b"{\"value\":null,\"partition\":4294967296}\n", 1, &mut spool).unwrap_err();
    assert!(partition.message.starts_with("partition:"));
}

#[test]
fn strings_are_escaped_as_json_needs() {
    let mut out = Vec::new();
    crate::decode::write_string("a\"b\\c\n\u{1}é\t", &mut out);
    assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\n\\u0001é\\t\"");
}
