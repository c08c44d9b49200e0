//! Runs the enabled sources until they end, fail, or are stopped (design rules D2-D5).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use falco_inspector::ScapInspector;

use crate::app::{Flow, State, StepResult, fatal};
use crate::drops::DropMonitor;
use crate::run::{InspectorRunner, Shared, SourceRunner, run_all};
use crate::sources::SourceKind;

/// Processes events.
pub fn process_events(s: &mut State) -> StepResult {
    if s.flags.dry_run {
        crate::log::info("Skipping event processing in dry-run");
        return Ok(Flow::Continue);
    }
    let mut runners: Vec<Box<dyn SourceRunner>> = Vec::new();
    for src in s.sources.iter().filter(|x| x.enabled) {
        let idx = s.engine.source_idx(&src.name).expect("registered in init_engine");
        match &src.kind {
            SourceKind::Capture(path) => {
                let monitor = DropMonitor::new(s.config().drops.clone());
                match s.syscall_inspector.take() {
                    Some(extended) => {
                        let runner = InspectorRunner::new(extended, idx);
                        runners.push(Box::new(runner.with_drop_monitor(monitor)));
                    }
                    None => {
                        let runner = InspectorRunner::new(ScapInspector::new(path), idx);
                        runners.push(Box::new(runner.with_drop_monitor(monitor)));
                    }
                }
            }
            SourceKind::LiveSyscall => {
                return Err(fatal(
                    "the syscall source has no live driver in this build: replay a capture with -e FILE \
                     (or -o engine.kind=replay -o engine.replay.capture_file=FILE), or turn it off with \
                     --disable-source syscall (or -o engine.kind=nodriver) to run plugin sources only",
                ));
            }
            SourceKind::Plugin(i) => {
                let inspector = s.plugin_inspectors.get_mut(*i).and_then(Option::take);
                let inspector = inspector.expect("each plugin inspector runs once");
                runners.push(Box::new(InspectorRunner::new(inspector, idx)));
            }
        }
    }
    if runners.is_empty() {
        return Err(fatal("Must enable at least one event source"));
    }
    let capture = s.capture_file().is_some();
    if !capture {
        let names: Vec<&str> = runners.iter().map(|r| r.name()).collect();
        crate::log::info(&format!("Enabled event sources: {}", names.join(", ")));
    }
    let duration = (s.flags.duration > 0).then(|| Duration::from_secs(s.flags.duration));
    let start = Instant::now();
    let shared = Shared {
        rules: s.rules.clone().expect("rules loaded"),
        outputs: s.outputs.clone().expect("outputs initialized"),
        stop: s.stop.clone(),
        matching: s.config().rule_matching,
        deadline: duration.map(|d| start + d),
    };
    let (summary, error) = run_all(runners, &shared);
    if s.flags.verbose {
        for r in &summary.sources {
            let secs = r.elapsed.as_secs_f64().max(1e-9);
            let prefix = if capture { String::new() } else { format!("({}) ", r.name) };
            eprintln!(
                "{prefix}Elapsed time: {:.3}, Captured Events: {}, {:.2} eps",
                secs,
                r.events,
                r.events as f64 / secs
            );
        }
    }
    // -M is honoured in capture mode too: wait until the duration is reached.
    if let (true, Some(d)) = (capture, duration) {
        while start.elapsed() < d && !s.stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    s.summary = Some(summary);
    match error {
        Some(e) => Err(fatal(e)),
        None => Ok(Flow::Continue),
    }
}
