//! Installs and removes the signal handlers and the file watcher.

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::{Flow, State, StepResult, fatal};
use crate::reload::Reloader;
use crate::signals::Signals;

/// Installs the handlers (reload needs the rules snapshot and the sources).
pub fn create_signal_handlers(s: &mut State) -> StepResult {
    let reloader = s.rules.as_ref().map(|rules| {
        let sources = s.sources.iter().map(|x| (x.name.clone(), x.schema.clone())).collect();
        Arc::new(Reloader::new(
            s.flags.clone(),
            sources,
            super::load_rules::plugin_versions(s),
            rules.clone(),
        ))
    });
    let config = s.config();
    // Capture replays end by themselves: no need to watch files then.
    let mut watch: Vec<PathBuf> = Vec::new();
    if config.watch_config_files && s.capture_file().is_none() {
        watch.extend(config.files.iter().cloned());
        if let Ok(files) = crate::rules::rules_paths(config, &s.flags) {
            watch.extend(files.into_iter().map(PathBuf::from));
        }
    }
    let signals = Signals::install(s.stop.clone(), reloader, s.outputs.clone(), watch)
        .map_err(|e| fatal(format!("could not install signal handlers: {e}")))?;
    s.signals = Some(signals);
    Ok(Flow::Continue)
}

/// Removes them.
pub fn unregister_signal_handlers(s: &mut State) -> StepResult {
    if let Some(sig) = s.signals.take() {
        sig.close();
    }
    Ok(Flow::Continue)
}
