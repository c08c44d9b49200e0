//! Runs every case of Falco's regression suite (`../shared/conformance/cases.yaml`) through the
//! built `falco` binary, exactly as each case's `falco_args` and `env` say, from the
//! conformance directory, and checks `expected` as the file's header describes. Cases that
//! need gRPC (removed from Falco), and cases marked `unavailable` whose trace is indeed
//! missing, are the only ones skipped (and listed); the test fails if any other case fails,
//! and prints every failure.
//!
//! The data is read in place: set `FALCO_CONFORMANCE_DIR` to use another copy.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_yaml_ng::Value;

fn conformance_dir() -> PathBuf {
    match std::env::var_os("FALCO_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(|v| v.as_sequence())
        .map(|s| s.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The `Events detected`, severity and per-rule blocks of Falco's summary.
fn parse_summary(stdout: &str) -> (Option<u64>, BTreeMap<String, u64>) {
    let detected = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Events detected: ").and_then(|n| n.trim().parse().ok()));
    let mut counts = BTreeMap::new();
    if let Some(pos) = stdout.find("Triggered rules by rule name:") {
        for line in stdout[pos..].lines().skip(1) {
            let Some(rest) = line.strip_prefix("   ") else {
                break;
            };
            if let Some((rule, n)) = rest.rsplit_once(": ") {
                if let Ok(n) = n.trim().parse() {
                    counts.insert(rule.to_string(), n);
                }
            }
        }
    }
    (detected, counts)
}

fn search(pattern: &str, text: &str, dotall: bool) -> bool {
    let p = if dotall { format!("(?s){pattern}") } else { pattern.to_string() };
    match fancy_regex::Regex::new(&p) {
        Ok(re) => re.is_match(text).unwrap_or(false),
        Err(e) => panic!("bad pattern {pattern}: {e}"),
    }
}

fn check_case(case: &Value, dir: &PathBuf) -> Result<(), String> {
    let args = strs(case.get("falco_args"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falco"));
    cmd.args(&args).current_dir(dir);
    if let Some(env) = case.get("env").and_then(|e| e.as_mapping()) {
        for (k, v) in env {
            cmd.env(k.as_str().unwrap_or_default(), v.as_str().unwrap_or_default());
        }
    }
    // The upstream harness ran with an output directory for file/program outputs.
    let _ = std::fs::create_dir_all("/tmp/falco_outputs");
    let exp = case.get("expected").ok_or("case without expected")?;
    for o in exp.get("output_strictly_contains").and_then(|v| v.as_sequence()).into_iter().flatten()
    {
        if let Some(actual) = o.get("actual").and_then(|a| a.as_str()) {
            if actual != "stdout" {
                let _ = std::fs::remove_file(actual);
            }
        }
    }
    let out = cmd.output().map_err(|e| format!("cannot run falco: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let fail = |what: String| {
        Err(format!(
            "{what}\n  args: {}\n  exit: {:?}\n  stdout (first 1500): {}\n  stderr (first 1500): {}",
            args.join(" "),
            out.status.code(),
            &stdout[..stdout.len().min(1500)],
            &stderr[..stderr.len().min(1500)]
        ))
    };

    let want_status = exp.get("exit_status").and_then(|v| v.as_i64()).unwrap_or(0);
    if out.status.code() != Some(want_status as i32) {
        return fail(format!("exit status {:?}, want {want_status}", out.status.code()));
    }

    for p in strs(exp.get("stdout_contains")) {
        if !search(&p, &stdout, true) {
            return fail(format!("stdout does not match {p:?}"));
        }
    }
    for p in strs(exp.get("stderr_contains")) {
        if !search(&p, &stderr, true) {
            return fail(format!("stderr does not match {p:?}"));
        }
    }
    for p in strs(exp.get("stdout_not_contains")) {
        if search(&p, &stdout, false) {
            return fail(format!("stdout matches {p:?}"));
        }
    }
    for p in strs(exp.get("stderr_not_contains")) {
        if search(&p, &stderr, false) {
            return fail(format!("stderr matches {p:?}"));
        }
    }
    if let Some(is) = exp.get("stdout_is").and_then(|v| v.as_str()) {
        if stdout != is {
            return fail("stdout differs from stdout_is".into());
        }
    }
    if let Some(is) = exp.get("stderr_is").and_then(|v| v.as_str()) {
        if stderr != is {
            return fail("stderr differs from stderr_is".into());
        }
    }

    // Validation JSON: the first stdout line.
    let needs_json = exp.get("validate_ok").is_some()
        || exp.get("validate_errors").is_some()
        || exp.get("validate_warnings").is_some();
    if needs_json {
        let first = stdout.lines().next().unwrap_or("");
        let j: serde_json::Value = serde_json::from_str(first)
            .map_err(|e| format!("validation output is not JSON ({e}): {first}"))?;
        let results = j["falco_load_results"].as_array().cloned().unwrap_or_default();
        for name in strs(exp.get("validate_ok")) {
            let ok = results.iter().any(|r| {
                r["name"].as_str().is_some_and(|n| n.ends_with(&name))
                    && r["successful"] == serde_json::Value::Bool(true)
            });
            if !ok {
                return fail(format!("{name} not validated successfully"));
            }
        }
        for (key, list) in [("validate_errors", "errors"), ("validate_warnings", "warnings")] {
            for want in exp.get(key).and_then(|v| v.as_sequence()).into_iter().flatten() {
                let code = want.get("code").and_then(|v| v.as_str()).unwrap_or("");
                let item_type = want.get("item_type").and_then(|v| v.as_str()).unwrap_or("");
                let item_name = want.get("item_name").and_then(|v| v.as_str()).unwrap_or("");
                let message = want.get("message").and_then(|v| v.as_str());
                let contains = want.get("message_contains").and_then(|v| v.as_str());
                let found = results
                    .iter()
                    .flat_map(|r| r[list].as_array().cloned().unwrap_or_default())
                    .any(|e| {
                        let msg = e["message"].as_str().unwrap_or("");
                        e["code"] == code
                            && message.is_none_or(|m| msg == m)
                            && contains.is_none_or(|c| msg.contains(c))
                            && e["context"]["locations"].as_array().is_some_and(|locs| {
                                locs.iter().any(|l| {
                                    l["item_type"] == item_type && l["item_name"] == item_name
                                })
                            })
                    });
                if !found {
                    return fail(format!(
                        "no {list} entry {code} {item_type} '{item_name}' {message:?} {contains:?}"
                    ));
                }
            }
        }
    }

    // When the exit status is not 0, only status, patterns and validation are checked.
    if want_status != 0 || args.iter().any(|a| a == "-V") {
        return Ok(());
    }

    let (detected, counts) = parse_summary(&stdout);
    if let Some(d) = exp.get("detect").and_then(|v| v.as_bool()) {
        match detected {
            None => return fail("no 'Events detected:' line".into()),
            Some(n) if d && n == 0 => return fail("expected detections, got 0".into()),
            Some(n) if !d && n > 0 => return fail(format!("expected no detections, got {n}")),
            _ => {}
        }
    }
    for level in strs(exp.get("detect_levels")) {
        if !search(&format!("(?i){level}: (\\d+)"), &stdout, false) {
            return fail(format!("no severity line for {level}"));
        }
    }
    if let Some(m) = exp.get("detect_counts").and_then(|v| v.as_mapping()) {
        for (rule, n) in m {
            let rule = rule.as_str().unwrap_or_default();
            let want = n.as_u64().unwrap_or(0);
            let got = counts.get(rule).copied().unwrap_or(0);
            if got != want {
                return fail(format!("rule '{rule}': {got} detections, want {want}"));
            }
        }
    }
    for o in exp.get("output_strictly_contains").and_then(|v| v.as_sequence()).into_iter().flatten()
    {
        let actual = o.get("actual").and_then(|a| a.as_str()).unwrap_or("stdout");
        let expected_file = o.get("expected_file").and_then(|a| a.as_str()).unwrap_or("");
        let expected = std::fs::read_to_string(dir.join(expected_file))
            .map_err(|e| format!("{expected_file}: {e}"))?;
        let text = if actual == "stdout" {
            stdout.clone()
        } else {
            std::fs::read_to_string(actual).map_err(|e| format!("{actual}: {e}"))?
        };
        let mut lines = text.lines();
        for want in expected.lines() {
            if !lines.any(|l| l == want) {
                return fail(format!("{actual} lacks, in order, the line {want:?}"));
            }
        }
    }
    for key in strs(exp.get("json_lines_have_keys")) {
        for line in stdout.lines().filter(|l| l.starts_with('{')) {
            let j: serde_json::Value =
                serde_json::from_str(line).map_err(|e| format!("bad JSON line ({e}): {line}"))?;
            if j.get(&key).is_none() {
                return fail(format!("JSON line without key {key}: {line}"));
            }
        }
    }
    Ok(())
}

#[test]
fn falco_regression_suite() {
    let dir = conformance_dir();
    let text = std::fs::read_to_string(dir.join("cases.yaml"))
        .unwrap_or_else(|e| panic!("conformance data not found at {}: {e}", dir.display()));
    let cases: Vec<Value> = serde_yaml_ng::from_str(&text).expect("cases.yaml parses");
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut skipped = Vec::new();
    for case in &cases {
        let name = case.get("name").and_then(|n| n.as_str()).unwrap_or("?").to_string();
        let needs = strs(case.get("needs"));
        if needs.iter().any(|n| n == "grpc") {
            skipped.push(format!("{name} (gRPC)"));
            continue;
        }
        // A case the data set marks unavailable runs anyway if its trace is there.
        let unavailable = case.get("unavailable").and_then(|u| u.as_bool()) == Some(true);
        let trace = case.get("trace").and_then(|t| t.as_str());
        if unavailable && trace.is_none_or(|t| !dir.join(t).exists()) {
            skipped.push(format!("{name} (unavailable: no trace)"));
            continue;
        }
        ran += 1;
        if let Err(e) = check_case(case, &dir) {
            failures.push(format!("--- {name}: {e}"));
        }
    }
    eprintln!(
        "conformance: {ran} cases run, {} failed, {} skipped: {:?}",
        failures.len(),
        skipped.len(),
        skipped
    );
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} of {ran} conformance cases failed", failures.len());
}
