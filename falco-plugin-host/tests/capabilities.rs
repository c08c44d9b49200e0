//! Extraction across sources (one instance per source), parsing, tables, async events,
//! capture listening, listings.

mod common;

use std::ffi::CStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::plugin_path;
use falco_engine::{FieldArg, Multiplicity, Value, Values};
use falco_plugin_host::event::{ASYNC_EVENT_TYPE, EventRef, write_plugin_event};
use falco_plugin_host::{
    AsyncSender, EventBatch, EventInput, HostTable, InitOptions, LogSeverity, MemTable, Plugin,
    PluginInstance, SourceInstance, StateType, StateValue, TableRegistry,
};

fn u64s(vals: &Values) -> Vec<u64> {
    vals.iter()
        .map(|v| match v {
            Value::U64(n) => n,
            other => panic!("not a u64: {other:?}"),
        })
        .collect()
}

fn extract(inst: &PluginInstance, evt: &EventInput<'_>, field: usize) -> Values {
    let mut vals = Values::new();
    inst.extract(evt, field, &FieldArg::None, &mut vals.sink()).unwrap();
    vals
}

#[test]
fn extractor_compatible_with_two_sources_gets_one_state_per_source() {
    let tagger = Plugin::load(plugin_path("tagger")).unwrap();
    let ex = tagger.caps().extract.as_ref().unwrap();
    assert_eq!(ex.sources, ["counter", "ticker"]);
    assert!(tagger.caps().extracts_from("counter") && tagger.caps().extracts_from("ticker"));
    assert!(!tagger.caps().extracts_from("syscall"));
    assert_eq!(tagger.fields()[1].info.multiplicity, Multiplicity::List);

    // Design rule L2: one library, one instance per source.
    let for_counter = tagger.init("").unwrap();
    let for_ticker = tagger.init("").unwrap();
    let mut buf = Vec::new();
    let mut seen = |inst: &PluginInstance, source: &CStr, num: u64, data: &[u8]| {
        buf.clear();
        write_plugin_event(&mut buf, num, 999, data);
        let evt = EventInput { event: EventRef::parse(&buf).unwrap(), num, source };
        (u64s(&extract(inst, &evt, 3))[0], extract(inst, &evt, 2).get(0).to_string())
    };
    assert_eq!(seen(&for_counter, c"counter", 1, b"1 a"), (1, "counter".into()));
    assert_eq!(seen(&for_ticker, c"ticker", 1, b"tick 1"), (1, "ticker".into()));
    assert_eq!(seen(&for_ticker, c"ticker", 2, b"tick 2"), (2, "ticker".into()));
    assert_eq!(seen(&for_counter, c"counter", 2, b"2 a"), (2, "counter".into()));
    assert_eq!(seen(&for_counter, c"counter", 3, b"3 a"), (3, "counter".into()));

    buf.clear();
    write_plugin_event(&mut buf, 1, 999, b"one two  three");
    let evt = EventInput { event: EventRef::parse(&buf).unwrap(), num: 9, source: c"counter" };
    let words = extract(&for_counter, &evt, 1);
    assert_eq!(words.iter().map(|v| v.to_string()).collect::<Vec<_>>(), ["one", "two", "three"]);
    assert_eq!(u64s(&extract(&for_counter, &evt, 0)), [14]);
}

fn ticker(config: &str, opts: &InitOptions, ticks: &str) -> SourceInstance {
    let p = Plugin::load(plugin_path("ticker")).unwrap();
    SourceInstance::open(p.init_with(config, opts).unwrap(), ticks).unwrap()
}

#[test]
fn parsing_runs_before_extraction_and_writes_host_tables() {
    let tables = TableRegistry::new();
    let mut counts = MemTable::new("tick_counts", StateType::U64);
    counts.add_field("parsed", StateType::U64).unwrap();
    tables.add_host_table(counts).unwrap();
    let opts = InitOptions { tables: tables.clone(), ..InitOptions::default() };
    let mut src = ticker(r#"{"use_table": true}"#, &opts, "3");
    let caps = src.instance().plugin().caps().clone();
    assert!(caps.parses("ticker") && !caps.parses("counter"));
    let mut batch = EventBatch::new();
    for num in 1..=3u64 {
        src.next_batch(&mut batch).unwrap();
        let evt = EventInput { event: batch.get(0).unwrap(), num, source: c"ticker" };
        assert_eq!(evt.event.ts(), 1_000_000 + num, "plugin timestamps are kept");
        assert!(src.instance().parses_event_type(322));
        src.instance().parse(&evt).unwrap();
        assert_eq!(u64s(&extract(src.instance(), &evt, 0)), [num], "ticker.n");
        assert_eq!(u64s(&extract(src.instance(), &evt, 1)), [num], "ticker.parsed");
        assert_eq!(u64s(&extract(src.instance(), &evt, 2)), [num], "ticker.from_table");
    }
    // What the plugin wrote through the table API is in the host table.
    let rows = tables
        .with_host_table("tick_counts", |t| {
            let field = t.fields().iter().position(|f| f.name == "parsed").unwrap();
            (1..=3u64)
                .map(|k| {
                    let e = t.entry(&StateValue::U64(k)).unwrap();
                    t.read(e, field)
                })
                .collect::<Vec<_>>()
        })
        .unwrap();
    assert_eq!(rows, [1, 2, 3].map(|v| Some(StateValue::U64(v))));
}

#[test]
fn plugin_exported_tables_are_reached_through_the_host() {
    let tables = TableRegistry::new();
    let opts = InitOptions { tables: tables.clone(), ..InitOptions::default() };
    let mut src = ticker(r#"{"export_table": true}"#, &opts, "2");
    // add_table registered it; get_table handed the plugin's own table back through the
    // host's dispatchers, which parse and extraction then use.
    assert_eq!(tables.names(), [("tick_counts".to_string(), StateType::U64)]);
    let mut batch = EventBatch::new();
    for num in 1..=2u64 {
        src.next_batch(&mut batch).unwrap();
        let evt = EventInput { event: batch.get(0).unwrap(), num, source: c"ticker" };
        src.instance().parse(&evt).unwrap();
        assert_eq!(u64s(&extract(src.instance(), &evt, 2)), [num], "ticker.stored_count");
    }
    // A second plugin exporting the same table name is refused (its init fails cleanly).
    let p = Plugin::load(plugin_path("ticker")).unwrap();
    let e = p.init_with(r#"{"export_table": true}"#, &opts).unwrap_err();
    assert!(e.to_string().contains("could not initialize plugin"), "{e}");
    // Destroying the exporter takes its table out of the registry.
    drop(src);
    assert!(tables.names().is_empty());
}

#[test]
fn table_lookup_failures_are_init_errors_not_crashes() {
    // No `tick_counts` table: the plugin's get_table fails, init reports it.
    let p = Plugin::load(plugin_path("ticker")).unwrap();
    let e = p.init(r#"{"use_table": true}"#).unwrap_err();
    assert!(e.to_string().contains("could not initialize plugin"), "{e}");
    assert!(e.to_string().contains("tick_counts"), "{e}");
    // A table with the wrong key type is refused the same way.
    let tables = TableRegistry::new();
    tables.add_host_table(MemTable::new("tick_counts", StateType::String)).unwrap();
    let opts = InitOptions { tables, ..InitOptions::default() };
    let e = p.init_with(r#"{"use_table": true}"#, &opts).unwrap_err();
    assert!(e.to_string().contains("key type"), "{e}");
}

#[test]
fn async_events_are_checked_and_queued() {
    let p = Plugin::load(plugin_path("ticker")).unwrap();
    let a = p.caps().async_events.clone().unwrap();
    assert_eq!(
        (a.names, a.sources),
        (vec!["ticker_alarm".to_string()], vec!["ticker".to_string()])
    );
    let mut inst = p.init(r#"{"alarms": 3}"#).unwrap();
    let (tx, rx) = AsyncSender::channel();
    inst.start_async(tx.clone()).unwrap();
    let mut got = Vec::new();
    while got.len() < 3 {
        let evt = rx.recv_timeout(Duration::from_secs(5)).expect("async event");
        let e = EventRef::parse(&evt.bytes).unwrap();
        assert_eq!(e.event_type(), ASYNC_EVENT_TYPE);
        assert_eq!(e.async_name(), Some("ticker_alarm"));
        got.push(String::from_utf8(e.data().unwrap().to_vec()).unwrap());
    }
    assert_eq!(got, ["alarm 0", "alarm 1", "alarm 2"]);
    inst.stop_async().unwrap();
    assert_eq!(tx.dropped(), 0);
}

#[test]
fn capture_listening_runs_routines_until_close() {
    let mut src = ticker("", &InitOptions::default(), "1");
    src.instance_mut().capture_open().unwrap();
    let start = Instant::now();
    let mut batch = EventBatch::new();
    src.next_batch(&mut batch).unwrap();
    let evt = EventInput { event: batch.get(0).unwrap(), num: 1, source: c"ticker" };
    let runs = loop {
        let runs = u64s(&extract(src.instance(), &evt, 3))[0];
        if runs >= 3 || start.elapsed() > Duration::from_secs(5) {
            break runs;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(runs >= 3, "the routine ran {runs} times");
    assert_eq!(src.instance().running_routines(), 1);
    src.instance_mut().capture_close().unwrap();
    assert_eq!(src.instance().running_routines(), 0);
    let after = u64s(&extract(src.instance(), &evt, 3))[0];
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(u64s(&extract(src.instance(), &evt, 3))[0], after, "no run after close");
}

#[test]
fn plugin_logs_reach_the_log_sink() {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = logs.clone();
    let opts = InitOptions {
        log: Arc::new(move |r: &falco_plugin_host::LogRecord<'_>| {
            sink.lock().unwrap().push((r.severity, r.message.to_string()))
        }),
        ..InitOptions::default()
    };
    let p = Plugin::load(plugin_path("badplugin")).unwrap();
    assert!(p.init_with("fail_init", &opts).is_err());
    let logs = logs.lock().unwrap();
    assert!(
        logs.iter().any(|(sev, m)| *sev == LogSeverity::Error && m.contains("fail_init requested")),
        "{logs:?}"
    );
}

#[test]
fn list_plugins_and_plugin_info_text() {
    let counter = Plugin::load(plugin_path("counter")).unwrap();
    let tagger = Plugin::load(plugin_path("tagger")).unwrap();
    let ticker = Plugin::load(plugin_path("ticker")).unwrap();
    let text = falco_plugin_host::list_plugins_text(&[counter.clone(), tagger, ticker]);
    let expected = "3 Plugins Loaded:\n\n\
        Name: counter\nDescription: Counts from a configured start, one event per number\n\
        Contact: falco-rs test suite\nVersion: 0.3.1\nCapabilities: \n\
        \x20 - Event Sourcing (ID=999, source='counter')\n  - Field Extraction\n\n\
        Name: tagger\nDescription: Tags the payload of counter and ticker events\n\
        Contact: falco-rs test suite\nVersion: 1.2.0\nCapabilities: \n  - Field Extraction\n\n\
        Name: ticker\nDescription: Ticks, parses its ticks, raises alarms\n\
        Contact: falco-rs test suite\nVersion: 0.1.0\nCapabilities: \n\
        \x20 - Event Sourcing (ID=1000, source='ticker')\n  - Field Extraction\n\
        \x20 - Event Parsing\n  - Async Events\n\n\n";
    assert_eq!(text, expected);

    let info = falco_plugin_host::plugin_info_text(&counter, "").unwrap();
    assert!(info.contains("\nInit config schema type: JSON\n{"), "{info}");
    assert!(info.ends_with(
        "Suggested open params:\n10: count ten numbers\n1000000: count a million numbers\n\n"
    ));
    let e = falco_plugin_host::plugin_info_text(&counter, r#"{"step":0}"#).unwrap_err();
    assert!(e.to_string().contains("init config"));
}
