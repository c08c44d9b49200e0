//! Rule engine benchmarks.
//!
//! - `engine/load`: read + collect + compile the upstream `falco_rules.yaml` against the
//!   syscall schema (Falco 0.31.1 needs 256 ms to validate its own rules on this machine).
//! - `engine/eval/{1,25,100}_rules`: events/s through the evttype index and the compiled
//!   conditions of 1 rule, all 25 rules of upstream `falco_rules.yaml`, and 100 rules (the
//!   upstream rules four times over), on synthetic events whose event types follow the
//!   distribution of the conformance traces and whose field values vary per event, extracted
//!   by a synthetic extractor (so the figure is the engine's own cost).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use falco_engine::*;
use falco_inspector::ScapInspector;

fn upstream_rules() -> String {
    let p = falco_benches::conformance_dir().join("rules/upstream/falco_rules.yaml");
    std::fs::read_to_string(p).expect("upstream rules")
}

fn engine_with(rules: &str) -> (Engine, SourceIdx) {
    let mut e = Engine::new();
    let idx = e.add_source((*falco_inspector::fields::schema()).clone()).unwrap();
    let res = e.load_rules(rules, "falco_rules.yaml");
    assert!(res.successful(), "{}", res.summary());
    (e, idx)
}

/// Event type codes in the proportions of the conformance traces (without procinfo).
fn trace_type_mix() -> Vec<u16> {
    let mut types = Vec::new();
    for t in ["cat_write", "connect_localhost", "empty", "open-multiple-files", "syscall"] {
        let p = falco_benches::conformance_dir().join(format!("traces/{t}.scap"));
        let mut insp = ScapInspector::open(p).expect("trace opens");
        while let Ok(Some(e)) = insp.next_event() {
            // procinfo meta-events are capture artifacts (one per thread per second).
            let code = e.event_type().0;
            if falco_inspector::event::event_info(code).is_some_and(|i| i.name != "procinfo") {
                types.push(code);
            }
        }
    }
    types
}

struct SynEvent {
    etype: u16,
    seed: u64,
}

impl Event for SynEvent {
    fn event_type(&self) -> EventType {
        EventType(self.etype)
    }
    fn timestamp(&self) -> u64 {
        self.seed
    }
}

/// Values vary with the event: drawn from small pools by a hash of (field, event).
struct SynExtractor {
    /// Per field id: a fixed value (e.g. `evt.type`), or the type class of the values to draw
    /// (looked up once, as a real extractor dispatches on a per-field kind).
    kinds: Vec<Result<&'static str, TypeClass>>,
}

const STRINGS: [&str; 8] =
    ["bash", "cat", "nginx", "/etc/passwd", "/tmp/x", "sshd", "python3", "runc"];

impl Extractor for SynExtractor {
    type Event<'e> = SynEvent;
    fn extract(&mut self, evt: &SynEvent, f: &FieldRef, out: &mut ValueSink<'_>) {
        let h = (evt.seed ^ (f.id.0 as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .wrapping_mul(0xff51_afd7_ed55_8ccd);
        let Some(&kind) = self.kinds.get(f.id.index()) else { return };
        let class = match kind {
            Ok(fixed) => return out.push_str(fixed),
            Err(class) => class,
        };
        match class {
            TypeClass::String | TypeClass::Bytes => {
                out.push_str(STRINGS[(h >> 7) as usize % STRINGS.len()])
            }
            TypeClass::Unsigned => out.push_u64(h % 1000),
            TypeClass::Signed => out.push_i64((h % 1000) as i64 - 500),
            TypeClass::Bool => out.push_bool(h & 1 == 0),
            TypeClass::Double => out.push_double((h % 100) as f64),
            TypeClass::Ip | TypeClass::Net => {
                out.push_ip(std::net::IpAddr::from([10, 0, 0, (h % 255) as u8]))
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let rules = upstream_rules();
    c.bench_function("engine/load/upstream_falco_rules", |b| {
        b.iter(|| {
            let (e, _) = engine_with(&rules);
            e.rules()
        })
    });

    let mix = trace_type_mix();
    let n = 100_000usize;
    let events: Vec<SynEvent> = (0..n)
        .map(|i| {
            let seed = (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
            SynEvent { etype: mix[(seed >> 17) as usize % mix.len()], seed }
        })
        .collect();

    // 1 rule, the 25 upstream rules, and 100 (the upstream rules four times, renamed).
    let mut hundred = rules.clone();
    for k in 1..4 {
        hundred.push_str(&rules.replace("- rule: ", &format!("- rule: copy{k} ")));
    }
    let one = "- rule: one\n  desc: d\n  condition: evt.type in (open, openat, openat2) and evt.is_open_write=true and fd.name startswith /etc\n  output: o %fd.name\n  priority: WARNING\n";
    let mut group = c.benchmark_group("engine/eval");
    group.throughput(Throughput::Elements(n as u64));
    for (label, text) in
        [("1_rule", one.to_string()), ("25_rules", rules.clone()), ("100_rules", hundred)]
    {
        let (e, idx) = engine_with(&text);
        let snapshot = e.rules();
        let src = snapshot.source(idx).unwrap();
        let kinds = src
            .schema()
            .fields()
            .iter()
            .map(|f| if f.name == "evt.type" { Ok("open") } else { Err(f.ftype.class()) })
            .collect();
        let mut x = SynExtractor { kinds };
        let mut scratch = Scratch::default();
        let mut matches = Vec::new();
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut hits = 0usize;
                for evt in &events {
                    hits += src.run(
                        RulesetId::DEFAULT,
                        RuleMatching::First,
                        evt,
                        &mut x,
                        &mut scratch,
                        &mut matches,
                    );
                }
                hits
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
