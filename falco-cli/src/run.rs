//! Running the event sources: one inspector per source on its own scoped thread (the calling
//! thread when there is only one: design rules D2/D3). On each thread the whole path runs:
//! next event -> its source's rules (a lock-free snapshot read) -> format -> `send` to the
//! shared output engine. A source at EOF ends and the others go on; a source that fails
//! stops every other one (design rule D5).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use falco_engine::{
    Extractor, Priority, RuleId, RuleMatching, Rules, RulesetId, Scratch, SourceIdx,
};
use falco_inspector::{Inspector, Next};
use falco_outputs::{Alert, Fields, OutputEngine};

use crate::drops::{DropMonitor, DropOutcome};

/// What every source thread shares.
pub struct Shared {
    /// The compiled rules, swapped whole on reload.
    pub rules: Arc<ArcSwap<Rules>>,
    /// The output engine (design rule D7).
    pub outputs: Arc<OutputEngine>,
    /// Set to stop every source at its next event boundary.
    pub stop: Arc<AtomicBool>,
    /// First match or all matches.
    pub matching: RuleMatching,
    /// Stop after this instant (`-M`).
    pub deadline: Option<Instant>,
}

/// What one source did.
#[derive(Debug, Default, Clone)]
pub struct SourceReport {
    /// The source.
    pub name: String,
    /// Events read from the inspector.
    pub events: u64,
    /// Events evaluated against the rules.
    pub evaluated: u64,
    /// Time spent.
    pub elapsed: Duration,
    /// Matches by rule name: (priority, count).
    pub by_rule: HashMap<String, (Priority, u64)>,
}

/// The counters of the whole run, printed at the end (across reloads: counts are by rule
/// name, so a rule removed by a reload keeps its count).
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// One report per source.
    pub sources: Vec<SourceReport>,
}

impl Summary {
    /// Total matches.
    pub fn total(&self) -> u64 {
        self.sources.iter().flat_map(|s| s.by_rule.values()).map(|(_, n)| n).sum()
    }

    /// Falco's end-of-run text, with rules in `order` first (the current rules' order), then
    /// any other counted rule.
    pub fn format(&self, order: &[String]) -> String {
        let mut by_rule: HashMap<&str, (Priority, u64)> = HashMap::new();
        for s in &self.sources {
            for (name, (p, n)) in &s.by_rule {
                let e = by_rule.entry(name.as_str()).or_insert((*p, 0));
                e.1 += n;
            }
        }
        let mut by_priority = [0u64; 8];
        for (p, n) in by_rule.values() {
            by_priority[*p as usize] += n;
        }
        let mut out = format!("Events detected: {}\nRule counts by severity:\n", self.total());
        for p in Priority::ALL {
            let n = by_priority[p as usize];
            if n > 0 {
                out.push_str(&format!("   {}: {n}\n", p.short_name().to_uppercase()));
            }
        }
        out.push_str("Triggered rules by rule name:\n");
        let mut printed = std::collections::HashSet::new();
        for name in order {
            if let Some((_, n)) = by_rule.get(name.as_str()) {
                if *n > 0 && printed.insert(name.as_str()) {
                    out.push_str(&format!("   {name}: {n}\n"));
                }
            }
        }
        let mut rest: Vec<_> = by_rule.iter().filter(|(k, _)| !printed.contains(*k)).collect();
        rest.sort_by_key(|(k, _)| *k);
        for (name, (_, n)) in rest {
            if *n > 0 {
                out.push_str(&format!("   {name}: {n}\n"));
            }
        }
        out
    }
}

/// A source the runner can drive, whatever its inspector type.
pub trait SourceRunner: Send {
    /// The source name.
    fn name(&self) -> &str;
    /// Runs the source to EOF, failure or stop.
    fn run(&mut self, shared: &Shared) -> Result<SourceReport, String>;
}

/// Drives one [`Inspector`].
pub struct InspectorRunner<I: Inspector> {
    inspector: I,
    idx: SourceIdx,
    name: String,
    drops: Option<DropMonitor>,
}

impl<I: Inspector> InspectorRunner<I> {
    /// A runner for `inspector`, whose rules are those of source `idx`.
    pub fn new(inspector: I, idx: SourceIdx) -> Self {
        let name = inspector.source().to_string();
        InspectorRunner { inspector, idx, name, drops: None }
    }

    /// Monitors syscall event drops on this source (the syscall source).
    pub fn with_drop_monitor(mut self, m: DropMonitor) -> Self {
        self.drops = Some(m);
        self
    }
}

fn alert_for<X: Extractor>(
    rules: &Rules,
    idx: SourceIdx,
    id: RuleId,
    evt: &X::Event<'_>,
    x: &mut X,
    scratch: &mut Scratch,
) -> Option<Alert> {
    use falco_engine::Event;
    let src = rules.source(idx)?;
    let rule = src.rule(id)?;
    let mut output = String::new();
    src.format_output(id, evt, x, scratch, &mut output);
    let mut map = serde_json::Map::new();
    src.output_fields(id, evt, x, scratch, &mut map);
    let fields: Fields = map.into_iter().collect();
    Some(
        Alert::new(
            evt.timestamp(),
            rule.name.as_str(),
            rule.priority,
            rule.source.as_str(),
            output,
        )
        .with_fields(fields)
        .with_tags(rule.tags.iter().map(String::as_str)),
    )
}

impl<I: Inspector> SourceRunner for InspectorRunner<I> {
    fn name(&self) -> &str {
        &self.name
    }

    fn run(&mut self, shared: &Shared) -> Result<SourceReport, String> {
        let start = Instant::now();
        let mut report = SourceReport { name: self.name.clone(), ..Default::default() };
        self.inspector.open().map_err(|e| e.to_string())?;
        let mut x = self.inspector.extractor();
        let mut scratch = Scratch::default();
        let mut matches = Vec::new();
        let mut cache = arc_swap::Cache::new(&*shared.rules);
        let mut counts: HashMap<RuleId, u64> = HashMap::new();
        let mut snapshot: Option<Arc<Rules>> = None;
        let flush_counts =
            |counts: &mut HashMap<RuleId, u64>, rules: &Rules, report: &mut SourceReport| {
                for (id, n) in counts.drain() {
                    if let Some(r) = rules.rule(id) {
                        let e = report.by_rule.entry(r.name.clone()).or_insert((r.priority, 0));
                        e.1 += n;
                    }
                }
            };
        let mut n: u64 = 0;
        loop {
            if shared.stop.load(Ordering::Relaxed) {
                break;
            }
            n = n.wrapping_add(1);
            if n % 1024 == 0 && shared.deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let evt = match self.inspector.next() {
                Ok(Next::Event(e)) => e,
                Ok(Next::Timeout) => continue,
                Ok(Next::Eof) => break,
                Err(e) => {
                    if let Some(s) = &snapshot {
                        flush_counts(&mut counts, s, &mut report);
                    }
                    return Err(e.to_string());
                }
            };
            report.events += 1;
            if let Some(m) = &mut self.drops {
                use falco_engine::Event;
                match m.on_event(evt.timestamp(), report.events, 0) {
                    DropOutcome::Continue => {}
                    DropOutcome::Alert(a) => {
                        let _ = shared.outputs.send(*a);
                    }
                    DropOutcome::Exit(msg) => {
                        eprint!("{}", m.stats());
                        return Err(msg);
                    }
                }
            }
            let rules = cache.load();
            // Counts are kept by rule id per snapshot and folded into names on a swap.
            if snapshot.as_ref().is_none_or(|s| !Arc::ptr_eq(s, rules)) {
                if let Some(s) = &snapshot {
                    flush_counts(&mut counts, s, &mut report);
                }
                snapshot = Some(rules.clone());
            }
            let Some(src) = rules.source(self.idx) else {
                continue;
            };
            report.evaluated += 1;
            if src.run(
                RulesetId::DEFAULT,
                shared.matching,
                &evt,
                &mut x,
                &mut scratch,
                &mut matches,
            ) == 0
            {
                continue;
            }
            for &id in &matches {
                *counts.entry(id).or_insert(0) += 1;
                if let Some(alert) = alert_for(rules, self.idx, id, &evt, &mut x, &mut scratch) {
                    // A full queue drops (and counts) the alert: the source never waits.
                    let _ = shared.outputs.send(alert);
                }
            }
        }
        if let Some(s) = &snapshot {
            flush_counts(&mut counts, s, &mut report);
        }
        self.inspector.close();
        report.elapsed = start.elapsed();
        if let Some(m) = &self.drops {
            eprint!("{}", m.stats());
        }
        Ok(report)
    }
}

/// Runs every source: on this thread when there is one, else one scoped thread each. The
/// first failure stops the others; its message names the source.
pub fn run_all(runners: Vec<Box<dyn SourceRunner>>, shared: &Shared) -> (Summary, Option<String>) {
    let mut summary = Summary::default();
    let mut first_error = None;
    if runners.len() == 1 {
        let mut r = runners.into_iter().next().expect("one runner");
        match r.run(shared) {
            Ok(rep) => summary.sources.push(rep),
            Err(e) => first_error = Some(format!("event source '{}' failed: {e}", r.name())),
        }
        return (summary, first_error);
    }
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut handles = Vec::new();
        for mut r in runners {
            let tx = tx.clone();
            handles.push(scope.spawn(move || {
                let name = r.name().to_string();
                let res = r.run(shared);
                if res.is_err() {
                    // D5: one failed source stops every other one.
                    shared.stop.store(true, Ordering::SeqCst);
                }
                let _ = tx.send(());
                (name, res)
            }));
        }
        drop(tx);
        for _ in rx {}
        for h in handles {
            match h.join() {
                Ok((_, Ok(rep))) => summary.sources.push(rep),
                Ok((name, Err(e))) => {
                    if first_error.is_none() {
                        first_error = Some(format!("event source '{name}' failed: {e}"));
                    }
                }
                Err(_) => {
                    if first_error.is_none() {
                        first_error = Some("an event source thread panicked".into());
                    }
                }
            }
        }
    });
    (summary, first_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_text_is_falcos() {
        let mut rep = SourceReport::default();
        rep.by_rule.insert("open_from_cat".into(), (Priority::Warning, 8));
        rep.by_rule.insert("other".into(), (Priority::Informational, 2));
        let s = Summary { sources: vec![rep] };
        assert_eq!(
            s.format(&["open_from_cat".to_string(), "other".to_string()]),
            "Events detected: 10\nRule counts by severity:\n   WARNING: 8\n   INFO: 2\nTriggered rules by rule name:\n   open_from_cat: 8\n   other: 2\n"
        );
    }
}
