//! A source + extractor plugin built with the official SDK, loaded by path.

mod common;

use common::plugin_path;
use falco_engine::{FieldArg, FieldType, Multiplicity, Value, Values};
use falco_plugin_host::{BatchStatus, EventBatch, EventInput, Plugin, SourceInstance};

#[test]
fn counter_info_and_capabilities() {
    let p = Plugin::load(plugin_path("counter")).unwrap();
    assert_eq!(p.name(), "counter");
    assert_eq!(p.info().version.to_string(), "0.3.1");
    let src = p.caps().source.as_ref().unwrap();
    assert_eq!((src.id, src.event_source.as_str()), (999, "counter"));
    assert!(p.caps().extracts_from("counter"));
    assert!(!p.caps().extracts_from("ticker"));
    assert!(p.info().init_schema.as_deref().unwrap_or("").contains("\"step\""));
    let f = p.fields();
    assert_eq!(f[0].info.name, "counter.value");
    assert_eq!(f[0].info.ftype, FieldType::U64);
    assert_eq!(f[3].info.multiplicity, Multiplicity::List);
    assert!(f[4].info.arg.required && f[4].info.arg.index);
    assert!(f[5].info.arg.required && f[5].info.arg.key);
}

#[test]
fn counter_events_and_fields() {
    let p = Plugin::load(plugin_path("counter")).unwrap();
    let inst = p.init(r#"{"label":"hi","start":7,"step":2}"#).unwrap();
    let mut src = SourceInstance::open(inst, "3").unwrap();
    let mut batch = EventBatch::new();
    assert_eq!(src.next_batch(&mut batch).unwrap(), BatchStatus::Ok);
    assert_eq!(batch.len(), 3);
    let mut vals = Values::new();
    let mut got = Vec::new();
    for i in 0..batch.len() {
        let event = batch.get(i).unwrap();
        assert_eq!(event.plugin_id(), Some(999));
        assert_ne!(event.ts(), u64::MAX, "host fills the timestamp");
        let input = EventInput { event, num: i as u64 + 1, source: c"counter" };
        vals.clear();
        src.instance().extract(&input, 0, &FieldArg::None, &mut vals.sink()).unwrap();
        src.instance().extract(&input, 1, &FieldArg::None, &mut vals.sink()).unwrap();
        src.instance().extract(&input, 4, &FieldArg::Index(2), &mut vals.sink()).unwrap();
        src.instance()
            .extract(&input, 5, &FieldArg::Key("parity".into()), &mut vals.sink())
            .unwrap();
        got.push(vals.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" "));
        if i == 2 {
            vals.clear();
            src.instance().extract(&input, 3, &FieldArg::None, &mut vals.sink()).unwrap();
            assert_eq!(vals.iter().collect::<Vec<_>>(), [Value::U64(1), Value::U64(1)]);
            vals.clear();
            src.instance().extract(&input, 2, &FieldArg::None, &mut vals.sink()).unwrap();
            assert_eq!(vals.get(0), Value::Bool(false));
            vals.clear();
            src.instance().extract(&input, 6, &FieldArg::None, &mut vals.sink()).unwrap();
            assert_eq!(vals.get(0), Value::Ip("10.0.0.11".parse().unwrap()));
            assert_eq!(src.instance().event_to_string(&input), "counter=11 label=hi");
        }
    }
    assert_eq!(got, ["7 hi 3 odd", "9 hi 4 odd", "11 hi 5 odd"]);
    assert_eq!(src.next_batch(&mut batch).unwrap(), BatchStatus::Eof);
    assert_eq!(src.progress().unwrap(), (100.0, "3/3".to_string()));
    let metrics = src.instance().metrics();
    assert_eq!(metrics[0].name, "counter.events");
}
