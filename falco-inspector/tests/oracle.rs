//! Compares every (event, field) pair of every public trace against the sysdig oracle:
//! the text rendering (`*.text.jsonl`, through `render_text`) and the typed JSON value
//! (`*.jsonl`, through the typed `Value` as the engine renders it). Prints the disagreements
//! per field; passes only at >= 99.5% agreement per trace and rendering, with `evt.num`
//! numbering identical to the oracle's.
//!
//! `FALCO_ORACLE_EXTRA=DIR` runs the same comparison on more captures: `DIR/traces/*.scap`
//! with oracle files made by `oracle/tools/gen_oracle.sh DIR/oracle DIR/traces/*.scap`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use falco_engine::{Extractor, Value, Values};
use falco_inspector::fields::{SyscallExtractor, TimeZone};
use falco_inspector::{Inspector, ScapInspector};
use serde_json::Value as Json;

fn conformance_dir() -> PathBuf {
    if let Ok(d) = std::env::var("FALCO_CONFORMANCE_DIR") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
}

fn read_jsonl(p: &std::path::Path) -> Vec<serde_json::Map<String, Json>> {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<Json>(l).expect("oracle line is JSON") {
            Json::Object(m) => m,
            _ => panic!("oracle line is not an object"),
        })
        .collect()
}

fn fields() -> Vec<String> {
    let p = conformance_dir().join("oracle/tools/fields.txt");
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

fn to_json(v: Value<'_>) -> Json {
    match v {
        Value::U64(n) => Json::from(n),
        Value::I64(n) => Json::from(n),
        Value::Double(d) => Json::from(d),
        Value::Bool(b) => Json::Bool(b),
        Value::Str(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::Ip(ip) => Json::String(ip.to_string()),
    }
}

#[derive(Default)]
struct Tally {
    total: usize,
    text_bad: usize,
    json_bad: usize,
    per_field: BTreeMap<String, (usize, usize, Vec<String>)>,
}

fn check_trace(name: &str) -> Tally {
    check_trace_in(&conformance_dir(), name)
}

fn check_trace_in(dir: &std::path::Path, name: &str) -> Tally {
    let trace = dir.join("traces").join(format!("{name}.scap"));
    let text = read_jsonl(&dir.join("oracle").join(format!("{name}.text.jsonl")));
    let json = read_jsonl(&dir.join("oracle").join(format!("{name}.jsonl")));
    assert_eq!(text.len(), json.len(), "{name}: oracle files disagree on event count");
    let fields = fields();
    let mut insp = ScapInspector::open(&trace).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut x: SyscallExtractor = insp.extractor();
    x.set_time_zone(TimeZone::Utc);
    let refs: Vec<_> = fields
        .iter()
        .map(|f| x.field_ref(f).unwrap_or_else(|| panic!("field {f} is not in the schema")))
        .collect();
    let schema = insp.schema();
    let mut tally = Tally::default();
    let mut i = 0;
    let mut vals = Values::new();
    while let Some(evt) = insp.next_event().unwrap_or_else(|e| panic!("{name}: {e}")) {
        assert!(i < text.len(), "{name}: more events than the oracle");
        let want_num = text[i]["evt.num"].as_str().unwrap().parse::<u64>().unwrap();
        assert_eq!(evt.num(), want_num, "{name}: evt.num of event #{i}");
        for (f, r) in fields.iter().zip(&refs) {
            tally.total += 1;
            let info = schema.field(r.id);
            let mut got = String::new();
            if !x.render_text(&evt, r, info, &mut got) {
                got = "<NA>".into();
            }
            let want = text[i][f].as_str().unwrap_or("");
            let entry = tally.per_field.entry(f.clone()).or_default();
            if got != want {
                tally.text_bad += 1;
                entry.0 += 1;
                if entry.2.len() < 3 {
                    entry.2.push(format!("#{want_num} text: got {got:?} want {want:?}"));
                }
            }
            vals.clear();
            x.extract(&evt, r, &mut vals.sink());
            let got_json = if vals.is_empty() { Json::Null } else { to_json(vals.get(0)) };
            let want_json = json[i].get(f).cloned().unwrap_or(Json::Null);
            let same = match (&got_json, &want_json) {
                (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
                (a, b) => a == b,
            };
            if !same {
                tally.json_bad += 1;
                entry.1 += 1;
                if entry.2.len() < 3 {
                    entry.2.push(format!("#{want_num} json: got {got_json} want {want_json}"));
                }
            }
        }
        i += 1;
    }
    assert_eq!(i, text.len(), "{name}: fewer events than the oracle");
    tally
}

fn report(name: &str, t: &Tally) -> bool {
    let text_ok = 1.0 - t.text_bad as f64 / t.total as f64;
    let json_ok = 1.0 - t.json_bad as f64 / t.total as f64;
    println!(
        "{name}: {} pairs, text agreement {:.3}%, json agreement {:.3}%",
        t.total,
        text_ok * 100.0,
        json_ok * 100.0
    );
    for (f, (tb, jb, ex)) in &t.per_field {
        if *tb > 0 || *jb > 0 {
            println!("  {f}: {tb} text, {jb} json disagreements; e.g. {}", ex.join(" | "));
        }
    }
    text_ok >= 0.995 && json_ok >= 0.995
}

#[test]
fn extra_traces_agree_with_their_oracle() {
    let Ok(dir) = std::env::var("FALCO_ORACLE_EXTRA") else {
        // Nothing to compare: the public traces are checked by the test below.
        return;
    };
    let dir = PathBuf::from(dir);
    let mut names: Vec<String> = std::fs::read_dir(dir.join("traces"))
        .expect("FALCO_ORACLE_EXTRA/traces")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".scap").map(String::from))
        .collect();
    names.sort();
    let failed: Vec<_> = names.iter().filter(|n| !report(n, &check_trace_in(&dir, n))).collect();
    assert!(failed.is_empty(), "below 99.5% agreement: {failed:?}");
}

#[test]
fn traces_agree_with_the_sysdig_oracle() {
    let mut failed = Vec::new();
    for name in ["cat_write", "connect_localhost", "empty", "open-multiple-files", "syscall"] {
        let t = check_trace(name);
        if !report(name, &t) {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "below 99.5% agreement: {failed:?}");
}
