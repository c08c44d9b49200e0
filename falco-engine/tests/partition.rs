//! Design rule D6: one engine, its rules partitioned by source. A source's partition holds
//! only that source's rules, so a source thread evaluating its own partition never sees, and
//! never extracts for, another source's rules, and needs no lock to do it.

use falco_engine::*;

/// An event carrying one number, read by the field `x.n` of either source.
struct Ev(u64);

impl Event for Ev {
    fn event_type(&self) -> EventType {
        EventType::PLUGIN_EVENT
    }
    fn timestamp(&self) -> u64 {
        0
    }
}

/// Counts its extractions.
#[derive(Default)]
struct X {
    calls: usize,
}

impl Extractor for X {
    type Event<'e> = Ev;
    fn extract(&mut self, evt: &Ev, _f: &FieldRef, out: &mut ValueSink<'_>) {
        self.calls += 1;
        out.push_u64(evt.0);
    }
}

fn schema(source: &str) -> Schema {
    let mut s = Schema::new(source);
    s.add_field(FieldInfo::new("x.n", FieldType::U64, "a number")).unwrap();
    s
}

const RULES: &str = r#"
- rule: a one
  desc: d
  condition: x.n = 1
  output: a %x.n
  priority: INFO
  source: a
- rule: b one
  desc: d
  condition: x.n = 1
  output: b %x.n
  priority: INFO
  source: b
- rule: b any
  desc: d
  condition: x.n > 0
  output: b %x.n
  priority: INFO
  source: b
"#;

#[test]
fn each_source_evaluates_only_its_own_rules() {
    let mut e = Engine::new();
    let a = e.add_source(schema("a")).unwrap();
    let b = e.add_source(schema("b")).unwrap();
    let r = e.load_rules(RULES, "rules.yaml");
    assert!(r.successful(), "{}", r.summary());
    let rules = e.rules();
    let names = |src: SourceIdx, evt: Ev| {
        let part = rules.source(src).unwrap();
        let mut x = X::default();
        let mut scratch = Scratch::default();
        let mut matches = Vec::new();
        part.run(RulesetId::DEFAULT, RuleMatching::All, &evt, &mut x, &mut scratch, &mut matches);
        let names: Vec<String> =
            matches.iter().map(|id| rules.rule(*id).unwrap().name.clone()).collect();
        (names, x.calls)
    };
    // Same field name, same value: only the partition's own rules run.
    assert_eq!(names(a, Ev(1)), (vec!["a one".to_string()], 1));
    let (b_names, b_calls) = names(b, Ev(1));
    assert_eq!(b_names, vec!["b one".to_string(), "b any".to_string()]);
    assert_eq!(b_calls, 1, "one extraction of x.n, shared by b's two rules");
    assert_eq!(names(a, Ev(2)).0, Vec::<String>::new());
    assert_eq!(rules.source(a).unwrap().rules().len(), 1);
    assert_eq!(rules.source(b).unwrap().rules().len(), 2);
}

#[test]
fn partitions_are_shared_across_threads_without_locks() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let mut e = Engine::new();
    let a = e.add_source(schema("a")).unwrap();
    let b = e.add_source(schema("b")).unwrap();
    assert!(e.load_rules(RULES, "rules.yaml").successful());
    let rules = std::sync::Arc::new(e.rules());
    send_sync(&*rules);
    // Two threads evaluate their own partitions of one snapshot at once (`run` takes `&self`).
    let counts: Vec<usize> = std::thread::scope(|s| {
        let hs: Vec<_> = [a, b]
            .into_iter()
            .map(|idx| {
                let rules = rules.clone();
                s.spawn(move || {
                    let part = rules.source(idx).unwrap();
                    let (mut x, mut scratch, mut m) =
                        (X::default(), Scratch::default(), Vec::new());
                    (1..=1000u64)
                        .map(|n| {
                            part.run(
                                RulesetId::DEFAULT,
                                RuleMatching::All,
                                &Ev(n),
                                &mut x,
                                &mut scratch,
                                &mut m,
                            )
                        })
                        .sum()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(counts, vec![1, 1001]);
}
