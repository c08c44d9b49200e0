//! Alerts print exactly as Falco prints them: the strict-output conformance file, and JSON
//! objects with Falco's keys, key order and value types.

mod common;

use std::collections::BTreeSet;

use falco_engine::Priority;
use falco_outputs::{Alert, FileChannel, FormatOptions, Formatter, LocalTime, OutputEngine};
use serde_json::Value;

const OUTPUT: &str = "An open was seen (command=cat /dev/null)";

/// The expected lines of `single_rule_with_cat_write.txt` and the event time of each,
/// read back from the ISO 8601 prefix (the file is the oracle; the times are its input).
fn expected() -> Vec<(u64, String)> {
    let path = common::conformance_dir().join("output_files/single_rule_with_cat_write.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("conformance data {}: {e}", path.display()));
    let lines: Vec<(u64, String)> =
        text.lines().map(|l| (parse_iso(&l[..34]), l.to_string())).collect();
    assert_eq!(lines.len(), 8, "the file has 8 alerts");
    lines
}

/// `2016-08-04T16:17:57.881781397+0000` -> ns since the epoch (via chrono, independently of
/// the formatter under test).
fn parse_iso(s: &str) -> u64 {
    let t = chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.9f%z").unwrap();
    t.timestamp_nanos_opt().unwrap() as u64
}

fn alert(ts: u64) -> Alert {
    Alert::new(ts, "open_from_cat", Priority::Warning, "syscall", OUTPUT)
        .with_field("proc.cmdline", "cat /dev/null")
}

fn options(json: bool, iso: bool) -> FormatOptions {
    FormatOptions {
        json_output: json,
        time_format_iso_8601: iso,
        local_time: LocalTime::Fixed(0),
        ..FormatOptions::default()
    }
}

#[test]
fn text_iso8601_reproduces_the_strict_output_file() {
    let mut f = Formatter::new(options(false, true), "test-falco-hostname");
    for (ts, want) in expected() {
        let mut line = String::new();
        f.format(&alert(ts), &mut line);
        assert_eq!(line, want);
    }
}

#[test]
fn text_local_time_prints_hh_mm_ss_ns() {
    let mut f = Formatter::new(options(false, false), "h");
    for (ts, want) in expected() {
        let mut line = String::new();
        f.format(&alert(ts), &mut line);
        // "2016-08-04T16:17:57.881781397+0000: ..." -> "16:17:57.881781397: ..." in UTC.
        assert_eq!(line, format!("{}{}", &want[11..29], &want[34..]));
    }
    // Another zone shifts the clock (Falco uses the offset of *now*).
    let mut f = Formatter::new(
        FormatOptions { local_time: LocalTime::Fixed(2 * 3600), ..options(false, false) },
        "h",
    );
    let mut line = String::new();
    f.format(&alert(expected()[0].0), &mut line);
    assert!(line.starts_with("18:17:57.881781397: Warning "), "{line}");
}

#[test]
fn file_channel_through_the_engine_writes_the_strict_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file_output.txt");
    let outputs = OutputEngine::builder(options(false, true))
        .queue_capacity(16)
        .channel(FileChannel::new(&path, false, false))
        .build()
        .unwrap();
    let want = expected();
    for (ts, _) in &want {
        outputs.send(alert(*ts)).unwrap();
    }
    let stats = outputs.shutdown();
    assert_eq!((stats.delivered, stats.dropped), (8, 0));
    assert_eq!(stats.by_rule["open_from_cat"], 8);
    assert_eq!(stats.by_priority[&Priority::Warning], 8);
    let text = std::fs::read_to_string(&path).unwrap();
    let got: Vec<&str> = text.lines().collect();
    let want: Vec<&str> = want.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(got, want);
}

/// The keys of Falco's JSON alert, in the order it prints them, and each value's type.
fn check_falco_json(line: &str, keys: &[&str]) -> Value {
    let v: Value = serde_json::from_str(line).unwrap();
    let obj = v.as_object().unwrap();
    let got: Vec<&str> = obj.keys().map(String::as_str).collect();
    let mut want: Vec<&str> = keys.to_vec();
    want.sort();
    assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), want.iter().copied().collect());
    // Printed as Falco 0.34.1 printed it: the other keys sorted and compact (jsoncpp's
    // FastWriter), then `output_fields` grafted on last as `, "output_fields": {...}}`.
    let (head, fields) = match line.split_once(", \"output_fields\": ") {
        Some((head, fields)) => (head, Some(fields)),
        None => (line, None),
    };
    assert_eq!(fields.is_some(), keys.contains(&"output_fields"), "{line}");
    if let Some(fields) = fields {
        assert!(fields.starts_with('{') && fields.ends_with("}}"), "{line}");
        assert!(!fields.contains(": ") && !fields.contains(", "), "compact: {line}");
    }
    let mut pos = 0;
    for k in want.iter().filter(|k| **k != "output_fields") {
        let at = head[pos..].find(&format!("\"{k}\":")).map(|i| i + pos);
        let at = at.unwrap_or_else(|| panic!("{k} out of order in {line}"));
        pos = at;
    }
    assert!(!head.contains(": ") || head.contains("An open"), "compact: {line}");
    for (k, val) in obj {
        match k.as_str() {
            "hostname" | "output" | "priority" | "rule" | "source" | "time" | "message" => {
                assert!(val.is_string(), "{k} is a string")
            }
            "output_fields" => assert!(val.is_object()),
            "tags" => assert!(val.as_array().unwrap().iter().all(Value::is_string)),
            other => panic!("unexpected key {other}"),
        }
    }
    v
}

#[test]
fn json_alerts_have_falcos_keys_and_types() {
    let want = expected();
    let (ts, text_line) = &want[0];
    let a = alert(*ts)
        .with_field("fd.name", Value::Null)
        .with_field("proc.pid", 1234u64)
        .with_tags(["filesystem", "mitre_discovery", "filesystem"]);

    let mut f = Formatter::new(options(true, true), "test-falco-hostname");
    let mut line = String::new();
    f.format(&a, &mut line);
    let keys: Vec<&str> = ALL_KEYS.into_iter().filter(|k| *k != "message").collect();
    let v = check_falco_json(&line, &keys);
    assert_eq!(v["hostname"], "test-falco-hostname");
    assert_eq!(v["output"], text_line.as_str());
    assert_eq!(v["priority"], "Warning");
    assert_eq!(v["rule"], "open_from_cat");
    assert_eq!(v["source"], "syscall");
    assert_eq!(v["time"], "2016-08-04T16:17:57.881781397Z");
    assert_eq!(v["tags"], serde_json::json!(["filesystem", "mitre_discovery"]));
    assert_eq!(
        v["output_fields"],
        serde_json::json!({
            "evt.time.iso8601": ts,
            "fd.name": null,
            "proc.cmdline": "cat /dev/null",
            "proc.pid": 1234,
        })
    );
    // falcosidekick parses `time` as RFC 3339.
    let t = chrono::DateTime::parse_from_rfc3339(v["time"].as_str().unwrap()).unwrap();
    assert_eq!(t.timestamp_nanos_opt().unwrap() as u64, *ts);

    // Without ISO 8601 the output starts with the local time and the field is evt.time.
    let mut f = Formatter::new(options(true, false), "h");
    let mut line = String::new();
    f.format(&a, &mut line);
    let v = check_falco_json(&line, &keys);
    assert_eq!(v["output"], format!("16:17:57.881781397: Warning {OUTPUT}"));
    assert_eq!(v["output_fields"]["evt.time"], *ts);
    assert!(v["output_fields"].get("evt.time.iso8601").is_none());
}

/// Every key of a rule alert in Falco's JSON, sorted.
const ALL_KEYS: [&str; 9] = [
    "hostname",
    "message",
    "output",
    "output_fields",
    "priority",
    "rule",
    "source",
    "tags",
    "time",
];

#[test]
fn json_include_options_add_and_remove_keys() {
    let a = alert(expected()[0].0);
    // (output, tags, message, output_fields): the keys each option removes when off.
    let cases = [
        (false, true, false, true),
        (true, false, false, true),
        (true, true, true, true),
        (false, false, false, false),
    ];
    for (output, tags, message, fields) in cases {
        let opts = FormatOptions {
            json_include_output_property: output,
            json_include_tags_property: tags,
            json_include_message_property: message,
            json_include_output_fields_property: fields,
            ..options(true, false)
        };
        let off =
            [(output, "output"), (tags, "tags"), (message, "message"), (fields, "output_fields")];
        let keys: Vec<&str> = ALL_KEYS
            .into_iter()
            .filter(|k| !off.iter().any(|(on, name)| !on && name == k))
            .collect();
        let mut f = Formatter::new(opts, "h");
        let mut line = String::new();
        f.format(&a, &mut line);
        let v = check_falco_json(&line, &keys);
        if message {
            assert_eq!(v["message"], OUTPUT);
        }
    }
}

#[test]
fn empty_tags_print_as_an_empty_list() {
    // The `json_output_empty_tags_property` conformance case: `"tags":[],`.
    let mut f = Formatter::new(options(true, false), "h");
    let mut line = String::new();
    f.format(&alert(1), &mut line);
    assert!(line.contains(r#""tags":[],"#), "{line}");
}

#[test]
fn hostname_override_per_alert() {
    let mut f = Formatter::new(options(true, false), "node");
    let mut line = String::new();
    f.format(&alert(1).with_hostname("edge-7"), &mut line);
    assert!(line.starts_with(r#"{"hostname":"edge-7","#));
    line.clear();
    f.format(&alert(1), &mut line);
    assert!(line.starts_with(r#"{"hostname":"node","#));
}
