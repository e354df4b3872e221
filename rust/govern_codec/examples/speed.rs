use std::time::Instant;
fn main() {
    let program = std::fs::read_to_string("/tmp/rec_prog.json").unwrap();
    let body = std::fs::read("/tmp/rec_body.bin").unwrap();
    let value_text = std::fs::read("/tmp/rec_value.json").unwrap();
    let value = govern_codec::json::J::parse(&value_text).unwrap();
    let s = govern_codec::schema::Schema::compile(&program).unwrap();
    let t = Instant::now();
    let mut out = Vec::new();
    for _ in 0..100000 { out.clear(); govern_codec::decode::decode(&s, &body, &mut out).unwrap(); }
    println!("decode {:?}/op", t.elapsed() / 100000);
    let t = Instant::now();
    for _ in 0..100000 { out.clear(); govern_codec::encode::encode_value(&s, 0, &value, &mut out, 0).unwrap(); }
    println!("encode {:?}/op", t.elapsed() / 100000);
    let text = std::fs::read("/tmp/rec_value.json").unwrap();
    let t = Instant::now();
    for _ in 0..100000 { let _v = govern_codec::json::J::parse(&text).unwrap(); }
    println!("parse {:?}/op", t.elapsed() / 100000);
    let line = format!("{{\"topic\":\"bench\",\"partition\":1,\"timestamp\":1700000000000,\"timestamp_type\":\"create\",\"key\":\"acc-1\",\"schema\":\"payment\",\"value\":{}}}\n", String::from_utf8(text.clone()).unwrap());
    let _ = line;
    let block = String::from_utf8(std::fs::read("/tmp/rec_lines.jsonl").unwrap()).unwrap();
    let mut lines = govern_codec::lines::Lines::new(std::collections::HashMap::from([("payment".to_string(), std::sync::Arc::new(s))]), Some("bench".into()));
    let mut spool = Vec::new();
    let t = Instant::now();
    lines.feed(block.as_bytes(), 2, &mut spool).unwrap();
    println!("line {:?}/op", t.elapsed() / 2000);
    let t = Instant::now();
    for l in block.lines() { let _ = govern_codec::json::J::parse(l.as_bytes()).unwrap(); }
    println!("parse whole lines {:?}/op", t.elapsed() / 2000);
    let t = Instant::now();
    for l in block.lines() { let _: serde_json::Value = serde_json::from_str(l).unwrap(); }
    println!("serde Value whole lines {:?}/op", t.elapsed() / 2000);
    let t = Instant::now();
    for l in block.lines() { let _: serde::de::IgnoredAny = serde_json::from_str(l).unwrap(); }
    println!("serde IgnoredAny whole lines {:?}/op", t.elapsed() / 2000);
}
#[allow(dead_code)]
fn unused() {}
