//! `ExtendedInspector` over the syscall inspector: a plugin extracting from and parsing
//! syscall events (the `syscount` test plugin, built with the official SDK and loaded by
//! path), static fields, and plugins that do not serve the source left out.

use std::path::{Path, PathBuf};

use falco_engine::{Extractor, FieldArg, FieldRef, Schema};
use falco_inspector::extended::ExtendedInspector;
use falco_inspector::{Inspector, Next, ScapInspector};
use falco_plugin_host::test_support::{build_plugins, plugin_library};
use falco_plugin_host::{ErrorKind, Plugin};

fn plugins() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("in the workspace");
    build_plugins(root, &["syscount", "tagger"], false).expect("test plugins build")
}

fn trace(name: &str) -> String {
    let dir = match std::env::var_os("FALCO_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    };
    dir.join("traces").join(name).display().to_string()
}

fn field(schema: &Schema, name: &str) -> FieldRef {
    FieldRef {
        id: schema.by_name(name).unwrap_or_else(|| panic!("no {name}")),
        arg: FieldArg::None,
    }
}

#[test]
fn syscall_events_reach_plugin_parsers_and_extractors() {
    let dir = plugins();
    let syscount = Plugin::load(plugin_library(&dir, "syscount")).unwrap();
    let tagger = Plugin::load(plugin_library(&dir, "tagger")).unwrap();
    let statics = [("site".to_string(), "lab".to_string())];
    let mut insp = ExtendedInspector::builder(ScapInspector::new(trace("cat_write.scap")))
        .plugin(&syscount, "p")
        .plugin(&tagger, "")
        .static_fields(&statics)
        .build()
        .unwrap();
    // tagger serves counter and ticker only: not initialised for syscalls.
    assert_eq!(insp.plugin_names(), vec!["syscount"]);
    let schema = insp.schema();
    let base = falco_inspector::fields::schema();
    // Built-in ids unchanged, plugin and static fields appended.
    assert_eq!(schema.by_name("proc.name"), base.by_name("proc.name"));
    assert!(schema.by_name("tagger.len").is_none());
    let names = [
        "evt.num",
        "fd.name",
        "syscount.parsed",
        "syscount.opens",
        "syscount.type",
        "syscount.tag",
        "static.site",
    ];
    let fields: Vec<FieldRef> = names.iter().map(|n| field(&schema, n)).collect();
    let mut x = insp.extractor();
    insp.open().unwrap();
    let mut lines = Vec::new();
    let mut events = 0u64;
    while let Next::Event(evt) = insp.next().unwrap() {
        events += 1;
        let vals: Vec<String> = fields
            .iter()
            .map(|f| {
                let mut s = String::new();
                if !x.render_text(&evt, f, schema.field(f.id), &mut s) {
                    s.push_str("<NA>");
                }
                s
            })
            .collect();
        lines.push(vals.join(" "));
    }
    insp.close();
    assert!(events > 100);
    // The parser saw every event before extraction ran (parsed = evt.num).
    for l in &lines {
        let v: Vec<&str> = l.split(' ').collect();
        assert_eq!(v[0], v[2], "{l}");
        assert_eq!(v[6], "lab");
        assert_eq!(v[5], format!("p-{}", v[4]));
    }
    // The open exits: the plugin counted them as the inspector's fd.name shows them.
    let opens: Vec<&String> = lines.iter().filter(|l| l.split(' ').nth(4) == Some("3")).collect();
    assert_eq!(opens.len(), 4, "{lines:?}");
    assert!(
        opens[0].contains(" /etc/ld.so.cache ") && opens[0].contains(" 1 3 p-3 "),
        "{}",
        opens[0]
    );
    assert!(opens[3].contains(" /dev/null ") && opens[3].contains(" 4 3 p-3 "), "{}", opens[3]);
}

#[test]
fn static_fields_alone_and_their_errors() {
    let statics = [("a".to_string(), "1".to_string()), ("a".to_string(), "2".to_string())];
    let e = ExtendedInspector::builder(ScapInspector::new(trace("empty.scap")))
        .static_fields(&statics)
        .build()
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Metadata(_)), "{e}");
    let insp = ExtendedInspector::builder(ScapInspector::new(trace("empty.scap")))
        .static_fields(&statics[..1])
        .build()
        .unwrap();
    assert!(insp.schema().by_name("static.a").is_some());
    assert!(insp.plugin_names().is_empty());
}

/// The `threads` table as plugins see it: `syscount` reads `comm`, `ptid` and `pid` of the
/// event's thread through the host's table API and counts opens per thread in a field it adds.
#[test]
fn plugins_read_and_extend_the_thread_table() {
    let dir = plugins();
    let syscount = Plugin::load(plugin_library(&dir, "syscount")).unwrap();
    let mut insp = ExtendedInspector::builder(ScapInspector::new(trace("syscall.scap")))
        .plugin(&syscount, "")
        .build()
        .unwrap();
    let schema = insp.schema();
    let names = [
        "thread.tid",
        "proc.name",
        "proc.ppid",
        "syscount.comm",
        "syscount.ppid",
        "syscount.type",
        "syscount.thread_opens",
    ];
    let fields: Vec<FieldRef> = names.iter().map(|n| field(&schema, n)).collect();
    let mut x = insp.extractor();
    insp.open().unwrap();
    let mut opens: std::collections::HashMap<String, u64> = Default::default();
    let (mut events, mut compared, mut counted, mut parents) = (0u64, 0u64, 0u64, 0u64);
    while let Next::Event(evt) = insp.next().unwrap() {
        events += 1;
        let v: Vec<Option<String>> = fields
            .iter()
            .map(|f| {
                let mut s = String::new();
                x.render_text(&evt, f, schema.field(f.id), &mut s).then_some(s)
            })
            .collect();
        let (Some(tid), Some(name)) = (&v[0], &v[1]) else { continue };
        // The table holds what the inspector holds for the same thread.
        assert_eq!(v[3].as_ref(), Some(name), "comm of {tid}");
        // (The plugin finds no parent for a thread whose parent the capture never showed.)
        if let Some(ppid) = &v[4] {
            assert_eq!(v[2].as_ref(), Some(ppid), "parent pid of {tid}");
            parents += 1;
        }
        compared += 1;
        // Parsing ran before extraction: this event's open is already counted.
        let n = opens.entry(tid.clone()).or_default();
        if matches!(v[5].as_deref(), Some("3" | "307")) {
            *n += 1;
            counted += 1;
        }
        assert_eq!(v[6], Some(n.to_string()), "opens of thread {tid}");
    }
    insp.close();
    assert!(compared > 300 && compared * 10 > events * 8, "{compared} of {events}");
    assert!(counted >= 4, "{counted} opens");
    assert!(parents * 2 > compared, "{parents} parents of {compared}");
    // Threads that opened nothing read 0: the counts are per thread.
    assert!(opens.values().any(|&n| n == 0) && opens.values().any(|&n| n > 0), "{opens:?}");
}
