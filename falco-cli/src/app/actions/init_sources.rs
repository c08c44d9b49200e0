//! Decides the event sources of the run and their schemas, and applies
//! `--enable-source`/`--disable-source` (Falco's `init_inspectors` and
//! `select_event_sources`).

use crate::app::{Flow, State, StepResult, fatal};
use crate::config::EngineKind;
use crate::sources::{SourceKind, SourceSpec};

/// The syscall source (capture or live) and one source per source plugin.
pub fn init_sources(s: &mut State) -> StepResult {
    let schema = falco_inspector::fields::schema();
    let kind = match s.capture_file() {
        Some(f) => Some(SourceKind::Capture(f)),
        None => match s.config().engine {
            EngineKind::Kmod | EngineKind::ModernEbpf => Some(SourceKind::LiveSyscall),
            EngineKind::Nodriver => None,
            EngineKind::Replay { .. } => unreachable!("capture_file() covers replay"),
        },
    };
    // The syscall source's fields are always known to the engine (rules for it load), even
    // when it does not run (nodriver).
    s.sources.push(SourceSpec {
        name: "syscall".into(),
        schema,
        enabled: kind.is_some(),
        kind: kind.unwrap_or(SourceKind::LiveSyscall),
    });
    Ok(Flow::Continue)
}

/// Applies `--enable-source` / `--disable-source`; in capture mode only the capture runs
/// (design rule D4).
pub fn select_sources(s: &mut State) -> StepResult {
    if s.capture_file().is_some() {
        for src in &mut s.sources {
            src.enabled = matches!(src.kind, SourceKind::Capture(_));
        }
        return Ok(Flow::Continue);
    }
    let known = |name: &str| s.sources.iter().any(|x| x.name == name);
    if !s.flags.enable_source.is_empty() {
        for name in &s.flags.enable_source {
            if !known(name) {
                return Err(fatal(format!("Attempted enabling an unknown event source: {name}")));
            }
        }
        let wanted = s.flags.enable_source.clone();
        for src in &mut s.sources {
            src.enabled = wanted.contains(&src.name);
        }
    } else if !s.flags.disable_source.is_empty() {
        for name in &s.flags.disable_source {
            if !known(name) {
                return Err(fatal(format!("Attempted disabling an unknown event source: {name}")));
            }
        }
        let unwanted = s.flags.disable_source.clone();
        for src in &mut s.sources {
            if unwanted.contains(&src.name) {
                src.enabled = false;
            }
        }
    }
    Ok(Flow::Continue)
}
