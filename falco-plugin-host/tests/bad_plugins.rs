//! Every way a plugin can be broken gives one clear error naming the plugin and the cause.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::plugin_path;
use falco_engine::{FieldArg, Values};
use falco_plugin_host::{
    BatchStatus, Error, ErrorKind, EventBatch, EventInput, Plugin, SourceInstance,
};

/// A directory for this test's files, under cargo's scratch space for tests (in `target/`).
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("falco-plugin-host-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compiles a tiny C "plugin" into a shared library.
fn c_plugin(name: &str, source: &str) -> PathBuf {
    let dir = scratch_dir(name);
    let c = dir.join(format!("{name}.c"));
    let so = dir.join(format!("lib{name}.so"));
    std::fs::write(&c, source).unwrap();
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&so)
        .arg(&c)
        .status()
        .expect("a C compiler (cc) is needed for this test");
    assert!(status.success());
    so
}

fn load_err(path: &Path) -> Error {
    Plugin::load(path).unwrap_err()
}

#[test]
fn missing_file() {
    let e = load_err(Path::new("/nonexistent/libnothing.so"));
    assert!(matches!(e.kind(), ErrorKind::Library(_)), "{e}");
    assert_eq!(e.plugin(), "/nonexistent/libnothing.so");
    assert!(
        e.to_string().starts_with(
            "plugin '/nonexistent/libnothing.so': can't load plugin dynamic library: "
        )
    );
}

#[test]
fn not_a_shared_library() {
    let path = scratch_dir("notso").join("libtext.so");
    std::fs::write(&path, "this is not an ELF file\n").unwrap();
    let e = load_err(&path);
    assert!(matches!(e.kind(), ErrorKind::Library(_)), "{e}");
}

#[test]
fn missing_mandatory_symbols() {
    let so = c_plugin("nosyms", "int unrelated(void) { return 1; }\n");
    let e = load_err(&so);
    assert_eq!(e.kind(), &ErrorKind::MissingSymbol("get_required_api_version"));
    let so = c_plugin(
        "noinit",
        r#"const char* plugin_get_required_api_version(void) { return "3.0.0"; }
           const char* plugin_get_version(void) { return "1.0.0"; }
           const char* plugin_get_name(void) { return "noinit"; }
           const char* plugin_get_description(void) { return ""; }
           const char* plugin_get_contact(void) { return ""; }
        "#,
    );
    let e = load_err(&so);
    assert_eq!(e.kind(), &ErrorKind::MissingSymbol("init"));
    assert!(e.to_string().ends_with("required symbol not implemented: 'init'"), "{e}");
}

#[test]
fn api_version_the_host_cannot_serve() {
    let so = c_plugin(
        "future",
        r#"const char* plugin_get_required_api_version(void) { return "4.0.0"; }"#,
    );
    let e = load_err(&so);
    assert!(
        e.to_string().contains(
            "plugin required API version '4.0.0' not compatible with the framework's API version"
        ) && e.to_string().ends_with("major versions disagree"),
        "{e}"
    );
    let so = c_plugin(
        "newminor",
        r#"const char* plugin_get_required_api_version(void) { return "3.99.0"; }"#,
    );
    assert!(
        load_err(&so).to_string().ends_with("framework's minor is less than the requested one")
    );
}

#[test]
fn half_implemented_capabilities() {
    let so = c_plugin(
        "halfsource",
        r#"#include <stddef.h>
           const char* plugin_get_required_api_version(void) { return "3.0.0"; }
           const char* plugin_get_version(void) { return "1.0.0"; }
           const char* plugin_get_name(void) { return "halfsource"; }
           const char* plugin_get_description(void) { return ""; }
           const char* plugin_get_contact(void) { return ""; }
           const char* plugin_get_last_error(void* s) { return ""; }
           void* plugin_init(const void* in, int* rc) { *rc = 0; return (void*)1; }
           void plugin_destroy(void* s) {}
           void* plugin_open(void* s, const char* p, int* rc) { return NULL; }
        "#,
    );
    let e = load_err(&so);
    assert_eq!(e.plugin(), "halfsource", "errors name the plugin once its name is known");
    assert!(e.to_string().contains("broken plugin capabilities: must implement all of"), "{e}");
}

#[test]
fn init_failure() {
    let p = Plugin::load(plugin_path("badplugin")).unwrap();
    let e = p.init("fail_init").unwrap_err();
    assert_eq!(
        e.to_string(),
        "plugin 'badplugin': could not initialize plugin: refusing to start: fail_init requested"
    );
}

fn drain(mut src: SourceInstance) -> (Vec<u64>, Option<Error>) {
    let mut batch = EventBatch::new();
    let mut values = Values::new();
    let mut got = Vec::new();
    let mut num = 0;
    loop {
        match src.next_batch(&mut batch) {
            Ok(BatchStatus::Eof) => return (got, None),
            Ok(_) => {}
            Err(e) => return (got, Some(e)),
        }
        for i in 0..batch.len() {
            num += 1;
            let input = EventInput { event: batch.get(i).unwrap(), num, source: c"bad" };
            values.clear();
            if let Err(e) = src.instance().extract(&input, 0, &FieldArg::None, &mut values.sink()) {
                return (got, Some(e));
            }
            if let Some(falco_engine::Value::U64(n)) = values.iter().next() {
                got.push(n);
            }
        }
    }
}

fn run_bad(config: &str, events: &str) -> (Vec<u64>, Option<Error>) {
    let p = Plugin::load(plugin_path("badplugin")).unwrap();
    drain(SourceInstance::open(p.init(config).unwrap(), events).unwrap())
}

#[test]
fn well_behaved_by_default() {
    assert_eq!(run_bad("", "3"), (vec![1, 2, 3], None));
}

#[test]
fn next_batch_fails_mid_stream() {
    let (got, e) = run_bad("fail_after=2", "5");
    assert_eq!(got, [1, 2]);
    let e = e.unwrap();
    assert_eq!(
        e.to_string(),
        "plugin 'badplugin': could not read the next events: simulated failure after 2 events"
    );
}

#[test]
fn bad_event_lengths() {
    let (got, e) = run_bad("bad_len_at=2", "5");
    assert_eq!(got, [1]);
    let e = e.unwrap();
    assert!(matches!(e.kind(), ErrorKind::MalformedEvent(_)), "{e}");
    assert!(e.to_string().contains("parameter lengths"), "{e}");

    let (got, e) = run_bad("short_at=3", "5");
    assert_eq!(got, [1, 2]);
    let e = e.unwrap();
    assert!(e.to_string().contains("declares an invalid length of 10"), "{e}");
}

#[test]
fn foreign_plugin_id() {
    let (got, e) = run_bad("wrong_id_at=1", "5");
    assert!(got.is_empty());
    assert!(e.unwrap().to_string().contains("expected_id=1001, actual_id=4242"));
}

#[test]
fn extraction_failure() {
    let (_, e) = run_bad("fail_extract", "1");
    assert_eq!(
        e.unwrap().to_string(),
        "plugin 'badplugin': extraction of field 'bad.n' failed: simulated extraction failure"
    );
}

#[test]
fn open_failure() {
    let p = Plugin::load(plugin_path("counter")).unwrap();
    let e = SourceInstance::open(p.init("").unwrap(), "lots").unwrap_err();
    assert!(e.to_string().starts_with("plugin 'counter': could not open event source: "), "{e}");
    assert!(e.to_string().contains("open params must be a number of events, got 'lots'"), "{e}");
}

#[test]
fn init_config_schema_validation() {
    let p = Plugin::load(plugin_path("counter")).unwrap();
    let e = p.init(r#"{"step": 0}"#).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InitConfig(_)), "{e}");
    assert!(e.to_string().starts_with("plugin 'counter': init config: In /step, "), "{e}");
    let e = p.init(r#"{"lable": "x"}"#).unwrap_err();
    assert!(e.to_string().contains("In /, "), "{e}");
    let e = p.init("{not json").unwrap_err();
    assert_eq!(e.to_string(), "plugin 'counter': init config: init config is not a valid json");
    // An empty config is validated (and passed) as `{}`.
    assert!(p.init("").is_ok());
}
