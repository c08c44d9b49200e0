//! Plugin sources through the `falco` binary: several sources in one process (R1), one
//! extractor instance per source (L2), a failing source stopping the others (D5), hot reload
//! under load, the plugin listings, the bundled example, and the errors of bad plugins.
//!
//! The test plugins of `plugins/` are built once (with cargo, into their own target directory)
//! and loaded by path, as Falco loads plugins.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use falco_plugin_host::test_support::{build_plugins, plugin_library};

fn plugin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = workspace_root();
        build_plugins(&root, &["counter", "tagger", "ticker", "badplugin", "syscount"], false)
            .expect("test plugins build")
    })
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("in the workspace").to_path_buf()
}

fn lib(name: &str) -> String {
    plugin_library(plugin_dir(), name).display().to_string()
}

/// A temporary directory with `falco.yaml` (the given plugins and extra settings) and
/// `rules.yaml`.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    /// `plugins` are `(name, init_config, open_params)`.
    fn new(plugins: &[(&str, &str, &str)], extra: &str, rules: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let mut yaml = String::from(
            "log_stderr: true\nlog_syslog: false\nengine:\n  kind: nodriver\nstdout_output:\n  enabled: true\n",
        );
        yaml.push_str(&format!("rules_files:\n  - {}\n", dir.path().join("rules.yaml").display()));
        yaml.push_str("plugins:\n");
        for (name, init, open) in plugins {
            yaml.push_str(&format!(
                "  - name: {name}\n    library_path: {}\n    init_config: '{init}'\n    open_params: '{open}'\n",
                lib(name)
            ));
        }
        let names: Vec<&str> = plugins.iter().map(|p| p.0).collect();
        yaml.push_str(&format!("load_plugins: [{}]\n", names.join(", ")));
        yaml.push_str(extra);
        std::fs::write(dir.path().join("falco.yaml"), yaml).unwrap();
        std::fs::write(dir.path().join("rules.yaml"), rules).unwrap();
        Setup { dir }
    }

    fn config(&self) -> String {
        self.dir.path().join("falco.yaml").display().to_string()
    }

    fn rules(&self) -> PathBuf {
        self.dir.path().join("rules.yaml")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_falco"));
        cmd.arg("-c").arg(self.config()).args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("falco runs")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `rule: n` lines of the summary.
fn rule_count(stdout: &str, rule: &str) -> u64 {
    let prefix = format!("   {rule}: ");
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).and_then(|n| n.trim().parse().ok()))
        .unwrap_or(0)
}

/// Alert lines containing `needle`.
fn alerts<'a>(stdout: &'a str, needle: &str) -> Vec<&'a str> {
    stdout.lines().filter(|l| l.contains(needle)).collect()
}

const TWO_SOURCE_RULES: &str = r#"
- rule: counter value
  desc: d
  condition: counter.value in (7, 70, 700)
  output: "C value=%counter.value seen=%tagger.seen site=%static.site src=%evt.source"
  priority: NOTICE
  source: counter
- rule: tick
  desc: d
  condition: ticker.n > 0
  output: "T n=%ticker.n seen=%tagger.seen words=%tagger.words info=%evt.plugininfo"
  priority: INFO
  source: ticker
"#;

/// R1: an endless source does not keep another source from running: both produce alerts in
/// one process. Run one after the other, the ticker would never start.
#[test]
fn two_plugin_sources_run_at_once() {
    let s = Setup::new(
        &[("counter", "", "1000000000000"), ("ticker", "", "5"), ("tagger", "", "")],
        "static_fields:\n  site: lab\n",
        TWO_SOURCE_RULES,
    );
    let out = s.run(&["-M", "2", "-v"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Enabled event sources: counter, ticker"), "{stderr}");
    assert_eq!(alerts(&stdout, "T n=").len(), 5, "{stdout}");
    assert_eq!(alerts(&stdout, "C value=").len(), 3, "{stdout}");
    assert!(stdout.contains("C value=70 seen=2 site=lab src=counter"), "{stdout}");
    assert!(stdout.contains("T n=3 seen=3 words=(tick,3) info=tick 3"), "{stdout}");
    assert_eq!(rule_count(&stdout, "tick"), 5);
    assert_eq!(rule_count(&stdout, "counter value"), 3);
    // -v: events per source.
    assert!(stderr.contains("(ticker) Elapsed time:") && stderr.contains("Captured Events: 5,"));
}

/// R2 (alerts): one process with two sources gives exactly the alerts of two processes with
/// one source each, on the same inputs. (The throughput half is `benches/benches/process.rs`.)
#[test]
fn one_process_alerts_equal_one_process_per_source() {
    let s = Setup::new(
        &[
            ("counter", r#"{"start_ts": 5}"#, "3000"),
            ("ticker", r#"{"batch": 16}"#, "3000"),
            ("tagger", "", ""),
        ],
        "",
        r#"
- rule: counter sevens
  desc: d
  condition: counter.digits intersects (7) and counter.even = false
  output: "C %counter.value %tagger.words %tagger.seen"
  priority: NOTICE
  source: counter
- rule: tick fives
  desc: d
  condition: ticker.n in (5, 55, 555, 2555) or tagger.len > 9
  output: "T %ticker.n %evt.plugininfo %tagger.seen"
  priority: INFO
  source: ticker
"#,
    );
    let lines = |args: &[&str]| {
        let out = s.run(args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut v: Vec<String> =
            text(&out.stdout).lines().filter(|l| l.contains(": ")).map(str::to_string).collect();
        v.retain(|l| l.contains(" Notice ") || l.contains(" Informational "));
        v.sort();
        v
    };
    let both = lines(&[]);
    let mut separate = lines(&["--enable-source", "counter"]);
    separate.extend(lines(&["--enable-source", "ticker"]));
    separate.sort();
    assert!(both.len() > 500, "{}", both.len());
    assert_eq!(both, separate);
}

/// D4: in capture mode exactly one inspector runs, the one reading the file, even with plugin
/// sources configured (whose endless source would otherwise keep the process running).
#[test]
fn capture_mode_runs_only_the_capture() {
    let s = Setup::new(
        &[("counter", "", "1000000000000")],
        "",
        "- rule: any open\n  desc: d\n  condition: evt.type = openat and fd.name startswith /etc\n  output: open %fd.name\n  priority: INFO\n\
         - rule: any counter\n  desc: d\n  condition: counter.value >= 0\n  output: c\n  priority: INFO\n  source: counter\n",
    );
    let trace = workspace_root().join("../shared/conformance/traces/cat_write.scap");
    let out = s
        .command(&["-e", &trace.display().to_string(), "-v"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = out;
    let (ok, stdout, stderr) = wait_output(&mut child, Duration::from_secs(30));
    assert!(ok, "{stderr}");
    assert_eq!(rule_count(&stdout, "any counter"), 0, "{stdout}");
    assert!(!stderr.contains("Enabled event sources"), "{stderr}");
    // One source's report (capture mode prints it without a source prefix).
    assert_eq!(stderr.matches("Elapsed time:").count(), 1, "{stderr}");
    assert!(!stderr.contains("(counter)"));
}

/// Plugins extracting from and parsing syscall events, and static fields, extend the syscall
/// source as in Falco.
#[test]
fn plugins_and_static_fields_extend_the_syscall_source() {
    let s = Setup::new(
        &[("syscount", "sc", "")],
        "static_fields:\n  site: lab\nrule_matching: all\n",
        "- rule: opens\n  desc: d\n  condition: evt.type = open and evt.dir = < and syscount.opens > 2\n  \
         output: \"open %fd.name opens=%syscount.opens tag=%syscount.tag site=%static.site\"\n  priority: INFO\n\
         - rule: thread table\n  desc: d\n  condition: evt.type = open and evt.dir = < and syscount.comm = val(proc.name)\n  \
         output: \"comm=%syscount.comm thread_opens=%syscount.thread_opens\"\n  priority: INFO\n",
    );
    let trace = workspace_root().join("../shared/conformance/traces/cat_write.scap");
    let out = s.run(&["-e", &trace.display().to_string()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(rule_count(&stdout, "opens"), 2, "{stdout}");
    assert!(
        stdout.contains("open /usr/lib/locale/locale-archive opens=3 tag=sc-3 site=lab"),
        "{stdout}"
    );
    assert!(stdout.contains("open /dev/null opens=4 tag=sc-3 site=lab"), "{stdout}");
    // The plugin read the syscall inspector's thread table (`threads`) and its own field there.
    assert_eq!(rule_count(&stdout, "thread table"), 4, "{stdout}");
    for n in 1..=4 {
        assert!(stdout.contains(&format!("comm=cat thread_opens={n}\n")), "{n}: {stdout}");
    }
}

/// L2: `tagger` serves both sources with one instance each: its per-instance counter of
/// events seen counts each source's events on their own, however the threads interleave.
#[test]
fn an_extractor_plugin_has_one_instance_per_source() {
    let rules = r#"
- rule: every counter event
  desc: d
  condition: tagger.len > 0
  output: "C seen=%tagger.seen value=%counter.value"
  priority: NOTICE
  source: counter
- rule: every tick
  desc: d
  condition: tagger.len > 0
  output: "T seen=%tagger.seen n=%ticker.n"
  priority: NOTICE
  source: ticker
"#;
    let s =
        Setup::new(&[("counter", "", "10"), ("ticker", "", "5"), ("tagger", "", "")], "", rules);
    let out = s.run(&[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for n in 1..=5 {
        assert!(stdout.contains(&format!("T seen={n} n={n}\n")), "tick {n}: {stdout}");
    }
    for v in 0..10 {
        assert!(stdout.contains(&format!("C seen={} value={v}\n", v + 1)), "value {v}: {stdout}");
    }
    assert_eq!(rule_count(&stdout, "every counter event"), 10);
    assert_eq!(rule_count(&stdout, "every tick"), 5);
}

/// D5: a source failing mid-stream stops the endless one within a second; the process exits
/// non-zero naming the failed source and its error.
#[test]
fn a_failing_source_stops_the_others() {
    let rules = "- rule: any bad\n  desc: d\n  condition: bad.n > 0\n  output: b %bad.n\n  priority: INFO\n  source: bad\n";
    let s = Setup::new(
        &[("counter", "", "1000000000000"), ("badplugin", "fail_after=20", "1000")],
        "",
        rules,
    );
    let start = Instant::now();
    let out = s.run(&["-M", "60"]);
    let elapsed = start.elapsed();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "Error: event source 'bad' failed: plugin 'badplugin': could not read the next events"
        ),
        "{stderr}"
    );
    // Start-up, 20 events, the stop: far below the 60 s the counter would run for.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

/// Hot reload under load: two endless sources, 20 reloads (every other one broken). Every
/// event read is evaluated by exactly one rules snapshot (the alert counts of the two rule
/// versions add up to the events read), the new rules take effect, and broken files leave the
/// old rules running.
#[test]
fn hot_reload_under_load_loses_no_event() {
    let version = |v: &str| {
        format!(
            "- rule: counter {v}\n  desc: d\n  condition: counter.value >= 0\n  output: x\n  priority: INFO\n  source: counter\n\
             - rule: tick {v}\n  desc: d\n  condition: ticker.n > 0\n  output: x\n  priority: INFO\n  source: ticker\n"
        )
    };
    let broken = "- rule: broken\n  desc: d\n  condition: counter.value >>= 1\n  output: x\n  priority: INFO\n  source: counter\n";
    let s = Setup::new(
        &[("counter", "", "1000000000000"), ("ticker", "", "1000000000000")],
        "file_output:\n  enabled: true\n  filename: /dev/null\nwatch_config_files: false\n",
        &version("A"),
    );
    let mut child = s
        .command(&["-v", "-o", "stdout_output.enabled=false"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falco starts");
    let pid = child.id().to_string();
    std::thread::sleep(Duration::from_millis(500));
    for i in 0..20 {
        let contents =
            if i % 2 == 1 { broken.to_string() } else { version(["B", "A"][(i / 2) % 2]) };
        std::fs::write(s.rules(), contents).unwrap();
        signal(&pid, "-HUP");
        std::thread::sleep(Duration::from_millis(150));
    }
    // The last reload (i = 19) was broken: version A (i = 18) keeps running for a while.
    std::thread::sleep(Duration::from_millis(300));
    signal(&pid, "-INT");
    let (status, stdout, stderr) = wait_output(&mut child, Duration::from_secs(20));
    assert!(status, "{stderr}");
    assert_eq!(stderr.matches("Rules reloaded: new rules are active").count(), 10, "{stderr}");
    assert_eq!(stderr.matches("Reload failed, the previous rules keep running").count(), 10);
    let captured: Vec<u64> = stderr
        .lines()
        .filter_map(|l| l.split("Captured Events: ").nth(1))
        .map(|r| r.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(captured.len(), 2, "{stderr}");
    let (ca, cb) = (rule_count(&stdout, "counter A"), rule_count(&stdout, "counter B"));
    let (ta, tb) = (rule_count(&stdout, "tick A"), rule_count(&stdout, "tick B"));
    assert!(ca > 0 && cb > 0 && ta > 0 && tb > 0, "{stdout}");
    // Each source's events are all evaluated (every event matches its source's one rule).
    let mut by_source = [ca + cb, ta + tb];
    by_source.sort();
    let mut read = [captured[0], captured[1]];
    read.sort();
    assert_eq!(by_source, read, "{stdout}\n{stderr}");
    assert!(!stdout.contains("broken"));
}

fn signal(pid: &str, sig: &str) {
    let ok = Command::new("kill").args([sig, pid]).status().expect("kill runs").success();
    assert!(ok, "kill {sig} {pid}");
}

/// Waits for `child` (killing it after `limit`), returning success, stdout, stderr.
fn wait_output(child: &mut Child, limit: Duration) -> (bool, String, String) {
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("falco did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status.success(), out, err)
}

#[test]
fn list_plugins_and_plugin_info_print_what_falco_prints() {
    let s = Setup::new(&[("counter", "", ""), ("tagger", "", "")], "", "[]\n");
    let out = s.run(&["--list-plugins"]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "2 Plugins Loaded:\n\n\
         Name: counter\nDescription: Counts from a configured start, one event per number\nContact: falco-rs test suite\nVersion: 0.3.1\nCapabilities: \n  - Event Sourcing (ID=999, source='counter')\n  - Field Extraction\n\n\
         Name: tagger\nDescription: Tags the payload of counter and ticker events\nContact: falco-rs test suite\nVersion: 1.2.0\nCapabilities: \n  - Field Extraction\n\n\n"
    );
    let out = s.run(&["--plugin-info", "counter"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.starts_with("Name: counter\n"), "{stdout}");
    assert!(stdout.contains("Init config schema type: JSON\n{"), "{stdout}");
    assert!(stdout.contains("Suggested open params:\n"), "{stdout}");
    // By library path too, and an unknown one is an error.
    assert!(s.run(&["--plugin-info", &lib("tagger")]).status.success());
    let out = s.run(&["--plugin-info", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "Error: can't find plugin and print its info: nope\n");
}

/// Bad plugins and bad plugin setups: one clear error line, exit status 1, no crash.
#[test]
fn plugin_errors_are_one_clear_line() {
    let any_rules = "[]\n";
    let cases: Vec<(Setup, &str)> = vec![
        (
            Setup::new(&[("badplugin", "fail_init", "")], "", any_rules),
            "Error: plugin 'badplugin': could not initialize plugin: refusing to start: fail_init requested",
        ),
        (
            Setup::new(&[("counter", "{\"step\": 0}", "")], "", any_rules),
            "Error: plugin 'counter': init config: In /step,",
        ),
        (
            Setup::new(&[("tagger", "", "")], "", any_rules),
            "Error: Plugin 'tagger' is loaded but unused as not compatible with any known event source",
        ),
        (
            Setup::new(
                &[("counter", "", "")],
                "",
                "- rule: r\n  desc: d\n  condition: counter.nope = 1\n  output: x\n  priority: INFO\n  source: counter\n",
            ),
            "LOAD_ERR_COMPILE_CONDITION",
        ),
        (
            Setup::new(
                &[("counter", "", "")],
                "",
                "- required_plugin_versions:\n    - name: counter\n      version: 0.4.0\n",
            ),
            "Plugin 'counter' version '0.3.1' is not compatible with required plugin version '0.4.0'",
        ),
    ];
    for (s, expected) in cases {
        let out = s.run(&[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "expected {expected:?} in:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A library that is not there.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(
        &cfg,
        "plugins:\n  - name: x\n    library_path: /nonexistent/libx.so\nload_plugins: [x]\nengine:\n  kind: nodriver\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_falco")).arg("-c").arg(&cfg).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr
            .starts_with("Error: plugin '/nonexistent/libx.so': can't load plugin dynamic library"),
        "{stderr}"
    );
}

/// The bundled example runs as the README says (with the plugins found under `${PWD}`).
#[test]
fn the_bundled_example_runs() {
    let pwd = tempfile::tempdir().unwrap();
    let release = pwd.path().join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    for name in ["counter", "ticker", "tagger"] {
        let file = format!("lib{name}_plugin.so");
        std::os::unix::fs::symlink(plugin_dir().join(&file), release.join(&file)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_falco"))
        .args(["-c", "examples/falco.yaml"])
        .current_dir(workspace_root())
        .env("PWD", pwd.path())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(rule_count(&stdout, "Lucky counter value"), 3, "{stdout}");
    assert_eq!(rule_count(&stdout, "Large even counter value"), 7);
    assert_eq!(rule_count(&stdout, "Ticker tick"), 4);
    assert_eq!(rule_count(&stdout, "Ticker alarm"), 2);
    assert!(
        stdout.contains("Notice lucky value 77777 (label=demo words=(77777,demo) site=example)")
    );
}
