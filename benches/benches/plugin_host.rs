//! Plugin host overhead: events/s through `next_batch` + extraction of 2 fields of the
//! `counter` test plugin, loaded from its `.so` through `falco-plugin-host`, beside the same
//! plugin linked in-process and driven by the SDK's `falco_plugin_runner`.
//!
//! Both sides run the same plugin code (release profile), open the same endless source
//! (batches of 64 events) and extract `counter.value` (u64) and `counter.label` (string) of
//! every event, one field per call.
//!
//! - `runner`: `falco_plugin_runner` (the SDK's in-process host) with the static vtable.
//! - `host_source`: `SourceInstance::next_batch` + `PluginInstance::extract` (the host API).
//! - `host_inspector`: `PluginInspector::next` + `PluginExtractor::extract` (what a Falco
//!   source thread does: the inspector seam, evt.num bookkeeping, parsers check).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use falco_engine::{Extractor, FieldArg, FieldRef, Values};
use falco_inspector::{Inspector, Next, PluginInspector};
use falco_plugin_host::test_support::{build_plugins, plugin_library};
use falco_plugin_host::{EventBatch, EventInput, Plugin, SourceInstance};
use falco_plugin_runner::{ExtractedField, PluginRunner};

const EVENTS: u64 = 1024;
const CONFIG: &str = r#"{"label":"bench","events":18446744073709551615,"start_ts":1}"#;

fn counter_so() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let dir = build_plugins(root, &["counter"], true).expect("counter plugin builds");
    plugin_library(&dir, "counter")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("plugin_host/next_batch+extract2");
    g.throughput(Throughput::Elements(EVENTS));

    // Baseline: the SDK's in-process runner.
    let mut runner = PluginRunner::new();
    let config = std::ffi::CString::new(CONFIG).unwrap();
    runner
        .register_plugin(&counter_plugin::PLUGIN_API, &config)
        .unwrap();
    let mut runner = runner.start_capture().unwrap();
    g.bench_function("runner", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for _ in 0..EVENTS {
                let evt = runner.next_event().unwrap();
                if let Some(Ok(ExtractedField::U64(v))) =
                    runner.extract_field(&evt, "counter.value")
                {
                    sum += v;
                }
                if let Some(Ok(ExtractedField::String(s))) =
                    runner.extract_field(&evt, "counter.label")
                {
                    sum += s.as_bytes().len() as u64;
                }
            }
            sum
        })
    });

    // The host API over the dlopened library.
    let plugin = Plugin::load(counter_so()).unwrap();
    let mut src = SourceInstance::open(plugin.init(CONFIG).unwrap(), "").unwrap();
    let mut batch = EventBatch::new();
    let (mut i, mut num) = (0usize, 0u64);
    let mut values = Values::new();
    g.bench_function("host_source", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for _ in 0..EVENTS {
                if i >= batch.len() {
                    src.next_batch(&mut batch).unwrap();
                    i = 0;
                }
                num += 1;
                let input = EventInput {
                    event: batch.get(i).unwrap(),
                    num,
                    source: c"counter",
                };
                i += 1;
                values.clear();
                src.instance()
                    .extract(&input, 0, &FieldArg::None, &mut values.sink())
                    .unwrap();
                src.instance()
                    .extract(&input, 1, &FieldArg::None, &mut values.sink())
                    .unwrap();
                sum += values.len() as u64;
            }
            sum
        })
    });

    // The inspector seam, as a source thread uses it.
    let mut insp = PluginInspector::builder(&plugin, CONFIG, "")
        .build()
        .unwrap();
    let schema = insp.schema();
    let fields = ["counter.value", "counter.label"].map(|n| FieldRef {
        id: schema.by_name(n).unwrap(),
        arg: FieldArg::None,
    });
    let mut x = insp.extractor();
    insp.open().unwrap();
    g.bench_function("host_inspector", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for _ in 0..EVENTS {
                let Next::Event(evt) = insp.next().unwrap() else {
                    panic!("endless source")
                };
                values.clear();
                for f in &fields {
                    x.extract(&evt, f, &mut values.sink());
                }
                sum += values.len() as u64;
            }
            sum
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
