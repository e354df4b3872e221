use std::time::Instant;
fn main() {
    let program = std::fs::read_to_string("/tmp/rec_prog.json").unwrap();
    let s = std::sync::Arc::new(govern_codec::schema::Schema::compile(&program).unwrap());
    let block = std::fs::read("/tmp/rec_lines.jsonl").unwrap();
    let mut lines = govern_codec::lines::Lines::new(std::collections::HashMap::from([("payment".to_string(), s)]), Some("bench".into()));
    let t = Instant::now();
    for _ in 0..20 {
        let mut spool = Vec::new();
        lines.feed(&block, 2, &mut spool).unwrap();
    }
    println!("line {:?}/op", t.elapsed() / 40000);
    let text = String::from_utf8(block.clone()).unwrap();
    let t = Instant::now();
    for _ in 0..20 { for l in text.lines() { let _: serde::de::IgnoredAny = serde_json::from_str(l).unwrap(); } }
    println!("scan only {:?}/op", t.elapsed() / 40000);
}
