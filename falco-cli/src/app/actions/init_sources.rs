//! Decides the event sources of the run and their schemas (Falco's `init_inspectors`), and
//! applies `--enable-source`/`--disable-source` (`select_event_sources`).
//!
//! The syscall source is always known; each source plugin adds its source, whose inspector is
//! built here (initialising the plugins that serve it, one instance per source) so that its
//! fields are known before the rules load.

use crate::app::{Flow, State, StepResult, fatal};
use crate::config::EngineKind;
use crate::sources::{SourceKind, SourceSpec};

/// The syscall source (capture or live) and one source per source plugin.
pub fn init_sources(s: &mut State) -> StepResult {
    let schema = falco_inspector::fields::schema();
    let capture = s.capture_file();
    let kind = match &capture {
        Some(f) => Some(SourceKind::Capture(f.clone())),
        None => match s.config().engine {
            EngineKind::Kmod | EngineKind::ModernEbpf => Some(SourceKind::LiveSyscall),
            EngineKind::Nodriver => None,
            EngineKind::Replay { .. } => unreachable!("capture_file() covers replay"),
        },
    };
    if let Some(p) = s.plugins.iter().find(|p| p.sources_syscalls()) {
        if kind == Some(SourceKind::LiveSyscall) {
            return Err(fatal(format!(
                "plugin '{}' sources syscall events: plugins as the syscall source are not \
                 supported by this build",
                p.name()
            )));
        }
    }
    // The syscall source's fields are always known to the engine (rules for it load), even
    // when it does not run (nodriver); plugins serving it and static fields extend them.
    let statics = s.config().static_fields.clone();
    let path = capture.clone().unwrap_or_default();
    let syscall = crate::plugins::syscall_inspector(&s.plugins, &path, &statics).map_err(fatal)?;
    let schema = match &syscall {
        Some(x) => falco_inspector::Inspector::schema(x),
        None => schema,
    };
    s.syscall_inspector = syscall;
    s.sources.push(SourceSpec {
        name: "syscall".into(),
        schema,
        enabled: kind.is_some(),
        kind: kind.unwrap_or(SourceKind::LiveSyscall),
    });
    let plugin_sources = crate::plugins::event_sources(&s.plugins).map_err(fatal)?;
    for (name, i) in plugin_sources {
        let inspector = crate::plugins::source_inspector(&s.plugins, i, &statics).map_err(fatal)?;
        let schema = falco_inspector::Inspector::schema(&inspector);
        s.sources.push(SourceSpec {
            name,
            schema,
            enabled: true,
            kind: SourceKind::Plugin(s.plugin_inspectors.len()),
        });
        s.plugin_inspectors.push(Some(inspector));
    }
    let names: Vec<String> = s.sources.iter().map(|x| x.name.clone()).collect();
    crate::plugins::check_all_used(&s.plugins, &names).map_err(fatal)?;
    Ok(Flow::Continue)
}

/// Applies `--enable-source` / `--disable-source`; in capture mode only the capture runs
/// (design rule D4).
pub fn select_sources(s: &mut State) -> StepResult {
    apply_selection(s)
}

fn apply_selection(s: &mut State) -> StepResult {
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
