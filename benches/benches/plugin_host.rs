//! Plugin host overhead: events/s through `next_batch` + extraction of 2 fields of the
//! `counter` test plugin, loaded from its `.so` through `falco-plugin-host`, beside the same
//! plugin linked in-process and driven by the SDK's `falco_plugin_runner`.
//!
//! Both sides run the same plugin code (release profile), open the same endless source
//! (batches of 64 events) and extract `counter.value` (u64) and `counter.label` (string) of
//! every event, one field per call.
//!
//! The three run interleaved, chunk by chunk (each benchmark times its own chunks of the same
//! interleaved run), so that a shared machine's drifting load hits all three alike.
//!
//! - `runner`: `falco_plugin_runner` (the SDK's in-process host) with the static vtable.
//! - `host_source`: `SourceInstance::next_batch` + `PluginInstance::extract` (the host API).
//! - `host_inspector`: `PluginInspector::next` + `PluginExtractor::extract` (what a Falco
//!   source thread does: the inspector seam, evt.num bookkeeping, parsers check).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use falco_engine::{Extractor, FieldArg, FieldRef, Values};
use falco_inspector::{Inspector, Next, PluginInspector};
use falco_plugin_host::test_support::{build_plugins, plugin_library};
use falco_plugin_host::{EventBatch, EventInput, Plugin, SourceInstance};
use falco_plugin_runner::{ExtractedField, PluginRunner};

const EVENTS: u64 = 1024;
const CONFIG: &str = r#"{"label":"bench","events":18446744073709551615,"start_ts":1}"#;

fn counter_so() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace");
    let dir = build_plugins(root, &["counter"], true).expect("counter plugin builds");
    plugin_library(&dir, "counter")
}

/// The three drivers of the same plugin, each reading and extracting `EVENTS` events per call.
struct Drivers {
    runner: falco_plugin_runner::CapturingPluginRunner,
    src: SourceInstance,
    batch: EventBatch,
    next: usize,
    num: u64,
    values: Values,
    insp: PluginInspector,
    x: falco_inspector::PluginExtractor,
    fields: [FieldRef; 2],
}

impl Drivers {
    fn new() -> Drivers {
        let mut runner = PluginRunner::new();
        let config = std::ffi::CString::new(CONFIG).unwrap();
        runner.register_plugin(&counter_plugin::PLUGIN_API, &config).unwrap();
        let plugin = Plugin::load(counter_so()).unwrap();
        let src = SourceInstance::open(plugin.init(CONFIG).unwrap(), "").unwrap();
        let mut insp = PluginInspector::builder(&plugin, CONFIG, "").build().unwrap();
        let schema = insp.schema();
        let fields = ["counter.value", "counter.label"]
            .map(|n| FieldRef { id: schema.by_name(n).unwrap(), arg: FieldArg::None });
        let x = insp.extractor();
        insp.open().unwrap();
        Drivers {
            runner: runner.start_capture().unwrap(),
            src,
            batch: EventBatch::new(),
            next: 0,
            num: 0,
            values: Values::new(),
            insp,
            x,
            fields,
        }
    }

    /// Baseline: the SDK's in-process runner over the statically linked plugin.
    fn runner(&mut self) -> u64 {
        let mut sum = 0u64;
        for _ in 0..EVENTS {
            let evt = self.runner.next_event().unwrap();
            if let Some(Ok(ExtractedField::U64(v))) =
                self.runner.extract_field(&evt, "counter.value")
            {
                sum += v;
            }
            if let Some(Ok(ExtractedField::String(s))) =
                self.runner.extract_field(&evt, "counter.label")
            {
                sum += s.as_bytes().len() as u64;
            }
        }
        sum
    }

    /// The host API over the dlopened library.
    fn host_source(&mut self) -> u64 {
        let mut sum = 0u64;
        for _ in 0..EVENTS {
            if self.next >= self.batch.len() {
                self.src.next_batch(&mut self.batch).unwrap();
                self.next = 0;
            }
            self.num += 1;
            let event = self.batch.get(self.next).unwrap();
            let input = EventInput { event, num: self.num, source: c"counter" };
            self.next += 1;
            self.values.clear();
            let inst = self.src.instance();
            inst.extract(&input, 0, &FieldArg::None, &mut self.values.sink()).unwrap();
            inst.extract(&input, 1, &FieldArg::None, &mut self.values.sink()).unwrap();
            sum += self.values.len() as u64;
        }
        sum
    }

    /// The inspector seam, as a source thread uses it.
    fn host_inspector(&mut self) -> u64 {
        let mut sum = 0u64;
        for _ in 0..EVENTS {
            let Next::Event(evt) = self.insp.next().unwrap() else { panic!("endless source") };
            self.values.clear();
            for f in &self.fields {
                self.x.extract(&evt, f, &mut self.values.sink());
            }
            sum += self.values.len() as u64;
        }
        sum
    }

    /// Runs the three drivers interleaved (so that they share the machine's load, which on a
    /// shared machine drifts by more than the differences measured) and returns their times.
    fn interleaved(&mut self, iters: u64) -> [Duration; 3] {
        let mut t = [Duration::ZERO; 3];
        for i in 0..iters {
            for k in 0..3 {
                let which = (k + i as usize) % 3;
                let start = Instant::now();
                let n = match which {
                    0 => self.runner(),
                    1 => self.host_source(),
                    _ => self.host_inspector(),
                };
                t[which] += start.elapsed();
                black_box(n);
            }
        }
        t
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("plugin_host/next_batch+extract2");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(40).measurement_time(Duration::from_secs(8));
    let mut d = Drivers::new();
    for (i, name) in ["runner", "host_source", "host_inspector"].into_iter().enumerate() {
        g.bench_function(name, |b| b.iter_custom(|iters| d.interleaved(iters)[i]));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
