//! Whole-process benchmarks of the `falco` binary (release build), as users run it.
//!
//! - `r2_parity`: design rule R2. The same two plugin sources (`counter` and `ticker`, 2 M
//!   events each, with their rules) run as two single-source `falco` processes at once
//!   (`two_processes`: `--enable-source counter` and `--enable-source ticker`, the time until
//!   both end) and as one `falco` with both sources (`one_process`). Before timing, the alert
//!   lines of both set-ups are compared: they must be identical. Criterion reports the time of
//!   each set-up (2 × 2 M events per iteration): the throughput ratio is their inverse ratio.
//! - `capture_replay`: `falco -e FILE` with the upstream `falco_rules.yaml` over a capture of
//!   2 M events made by `../shared/tools/scapgen.py` from a conformance trace, beside
//!   `sysdig -r FILE -q` (libsinsp reading and parsing the same file, no rules) when sysdig is
//!   installed.
//!
//! Both build `falco` and the test plugins first (`target/test-plugins/release`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

const EVENTS_PER_SOURCE: u64 = 2_000_000;
const CAPTURE_EVENTS: u64 = 2_000_000;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("in the workspace").to_path_buf()
}

/// Builds `falco` and the plugins (release) into their own target directory; returns it.
fn build() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("test-plugins");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--quiet", "--release", "-p", "falco-cli"])
        .args(["-p", "falco-plugin-counter", "-p", "falco-plugin-ticker"])
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building falco and the plugins failed");
    target.join("release")
}

const RULES: &str = r#"
- list: lucky
  items: [7777, 77777, 777777]
- rule: counter lucky
  desc: d
  condition: counter.value in (lucky) or counter.value < 3
  output: "lucky %counter.value %counter.label"
  priority: NOTICE
  source: counter
- rule: counter round
  desc: d
  condition: counter.value > 1000 and counter.div[100000] > 0 and counter.label = never
  output: "round %counter.value"
  priority: INFO
  source: counter
- rule: counter even tail
  desc: d
  condition: counter.even = true and counter.value >= 1999990
  output: "even tail %counter.value"
  priority: INFO
  source: counter
- rule: tick lucky
  desc: d
  condition: ticker.n in (lucky) or ticker.n < 3
  output: "tick %ticker.n %evt.plugininfo"
  priority: NOTICE
  source: ticker
- rule: tick late
  desc: d
  condition: ticker.n > 1999995 and evt.plugininfo startswith tick
  output: "late tick %ticker.n"
  priority: INFO
  source: ticker
"#;

struct Parity {
    falco: PathBuf,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Parity {
    fn new(bin: &Path) -> Parity {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules.yaml");
        std::fs::write(&rules, RULES).unwrap();
        let so = |n: &str| bin.join(format!("lib{n}_plugin.so")).display().to_string();
        let config = format!(
            "engine:\n  kind: nodriver\nstdout_output:\n  enabled: true\nlog_stderr: false\nlog_syslog: false\n\
             rules_files: [{}]\n\
             plugins:\n\
             \x20 - name: counter\n    library_path: {}\n    init_config: '{{\"label\": \"bench\", \"start_ts\": 1}}'\n    open_params: '{EVENTS_PER_SOURCE}'\n\
             \x20 - name: ticker\n    library_path: {}\n    init_config: '{{\"batch\": 64}}'\n    open_params: '{EVENTS_PER_SOURCE}'\n\
             load_plugins: [counter, ticker]\n",
            rules.display(),
            so("counter"),
            so("ticker"),
        );
        let path = dir.path().join("falco.yaml");
        std::fs::write(&path, config).unwrap();
        Parity { falco: bin.join("falco"), config: path, _dir: dir }
    }

    fn spawn(&self, sources: &[&str]) -> std::process::Child {
        let mut cmd = Command::new(&self.falco);
        cmd.arg("-c").arg(&self.config).arg("-v");
        for s in sources {
            cmd.args(["--enable-source", s]);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("falco starts")
    }

    /// Both sources in one process.
    fn one(&self) -> Vec<Output> {
        vec![self.spawn(&["counter", "ticker"]).wait_with_output().unwrap()]
    }

    /// One process per source, at once.
    fn two(&self) -> Vec<Output> {
        let a = self.spawn(&["counter"]);
        let b = self.spawn(&["ticker"]);
        vec![a.wait_with_output().unwrap(), b.wait_with_output().unwrap()]
    }
}

/// The sorted alert lines of some runs (summary lines left out).
fn alert_lines(outs: &[Output]) -> Vec<String> {
    let mut lines: Vec<String> = outs
        .iter()
        .flat_map(|o| {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect::<Vec<_>>()
        })
        .filter(|l| l.contains(": Notice ") || l.contains(": Informational "))
        .collect();
    lines.sort();
    lines
}

fn r2_parity(c: &mut Criterion) {
    let bin = build();
    let p = Parity::new(&bin);
    let (one, two) = (alert_lines(&p.one()), alert_lines(&p.two()));
    assert!(!one.is_empty());
    assert_eq!(one, two, "one process and two processes give different alerts");
    eprintln!("r2_parity: {} identical alert lines in both set-ups", one.len());

    let mut g = c.benchmark_group("r2_parity");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(40))
        .throughput(Throughput::Elements(2 * EVENTS_PER_SOURCE));
    g.bench_function("two_processes", |b| b.iter_custom(|n| timed(n, || p.two())));
    g.bench_function("one_process", |b| b.iter_custom(|n| timed(n, || p.one())));
    g.finish();
}

fn timed(n: u64, mut f: impl FnMut() -> Vec<Output>) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..n {
        let start = Instant::now();
        let outs = f();
        total += start.elapsed();
        for o in &outs {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
    }
    total
}

/// A capture of `CAPTURE_EVENTS` events made by scapgen from a conformance trace.
fn big_capture(dir: &Path) -> PathBuf {
    let out = dir.join("bench.scap");
    let conf = falco_benches::conformance_dir();
    let status = Command::new("python3")
        .arg(conf.join("../tools/scapgen.py"))
        .arg(conf.join("traces/syscall.scap"))
        .args(["--target-events", &CAPTURE_EVENTS.to_string(), "-o"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .expect("python3 runs scapgen");
    assert!(status.success(), "scapgen failed");
    out
}

fn capture_replay(c: &mut Criterion) {
    let bin = build();
    let dir = tempfile::tempdir().unwrap();
    let scap = big_capture(dir.path());
    let rules = falco_benches::conformance_dir().join("rules/upstream/falco_rules.yaml");
    let falco = || {
        let out = Command::new(bin.join("falco"))
            .arg("-e")
            .arg(&scap)
            .arg("-r")
            .arg(&rules)
            .args(["-o", "stdout_output.enabled=true", "-o", "log_stderr=false"])
            .output()
            .unwrap();
        vec![out]
    };
    let sysdig_ok = Command::new("sysdig").arg("--version").output().is_ok();
    let mut g = c.benchmark_group("capture_replay");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(CAPTURE_EVENTS));
    g.bench_function("falco_upstream_rules", |b| b.iter_custom(|n| timed(n, falco)));
    if sysdig_ok {
        let sysdig =
            || vec![Command::new("sysdig").arg("-r").arg(&scap).arg("-q").output().unwrap()];
        g.bench_function("sysdig_q", |b| b.iter_custom(|n| timed(n, sysdig)));
    } else {
        eprintln!("capture_replay: sysdig is not installed, only falco is measured");
    }
    g.finish();
}

criterion_group!(benches, r2_parity, capture_replay);
criterion_main!(benches);
