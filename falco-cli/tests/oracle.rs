//! The sysdig oracle through the `falco` binary: a rule `condition: evt.num > 0` whose output
//! names every oracle field, run as `falco -r RULES -e TRACE -o json_output=true`, alerts on
//! every event of each public trace, and its `output_fields` agree with the oracle's typed
//! values (`../shared/conformance/oracle/<trace>.jsonl`, `sysdig -j`) on at least 99.5% of
//! (event, field) pairs. Absolute times may be integers (nanoseconds) in our JSON, as Falco
//! prints them; they then must equal the event's `evt.rawtime`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn conformance_dir() -> PathBuf {
    match std::env::var_os("FALCO_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

fn fields() -> Vec<String> {
    let text = std::fs::read_to_string(conformance_dir().join("oracle/tools/fields.txt")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Times Falco's JSON may give as integer nanoseconds.
const TIME_FIELDS: &[&str] = &["evt.time", "evt.time.iso8601", "evt.rawtime"];

fn agree(field: &str, ours: &Value, oracle: &Value, rawtime: &Value) -> bool {
    if ours == oracle {
        return true;
    }
    if TIME_FIELDS.contains(&field) && ours.is_u64() && ours.as_u64() == rawtime.as_u64() {
        return true;
    }
    // A number on one side and its text on the other.
    match (ours, oracle) {
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            n.to_string() == *s
        }
        _ => false,
    }
}

#[test]
fn every_event_alerts_with_the_oracles_values() {
    let fields = fields();
    assert!(fields.len() > 90);
    let dir = tempfile::tempdir().unwrap();
    let output: Vec<String> = fields.iter().map(|f| format!("{f}=%{f}")).collect();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            "- rule: every event\n  desc: d\n  condition: evt.num > 0\n  output: \"{}\"\n  priority: INFO\n",
            output.join(" ")
        ),
    )
    .unwrap();
    let mut report = Vec::new();
    for trace in ["cat_write", "connect_localhost", "empty", "open-multiple-files", "syscall"] {
        let oracle_text =
            std::fs::read_to_string(conformance_dir().join(format!("oracle/{trace}.jsonl")))
                .unwrap();
        let oracle: Vec<Value> =
            oracle_text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_falco"))
            .arg("-r")
            .arg(&rules)
            .arg("-e")
            .arg(conformance_dir().join(format!("traces/{trace}.scap")))
            .args(["-o", "json_output=true", "-o", "stdout_output.enabled=true"])
            .env("TZ", "UTC")
            .output()
            .unwrap();
        assert!(out.status.success(), "{trace}: {}", String::from_utf8_lossy(&out.stderr));
        let alerts: HashMap<u64, Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let f = v["output_fields"].clone();
                (f["evt.num"].as_u64().expect("evt.num"), f)
            })
            .collect();
        assert_eq!(alerts.len(), oracle.len(), "{trace}: one alert per event");
        let (mut pairs, mut same) = (0usize, 0usize);
        let mut bad: HashMap<&str, usize> = HashMap::new();
        for o in &oracle {
            let num = o["evt.num"].as_u64().unwrap();
            let ours = alerts.get(&num).unwrap_or_else(|| panic!("{trace}: no alert for {num}"));
            for f in &fields {
                pairs += 1;
                if agree(f, &ours[f.as_str()], &o[f.as_str()], &o["evt.rawtime"]) {
                    same += 1;
                } else {
                    *bad.entry(f.as_str()).or_default() += 1;
                }
            }
        }
        let ratio = same as f64 / pairs as f64;
        report.push(format!(
            "{trace}: {:.3}% of {pairs} pairs agree; disagreements: {bad:?}",
            ratio * 100.0
        ));
        assert!(ratio >= 0.995, "{}", report.join("\n"));
    }
    eprintln!("{}", report.join("\n"));
}
