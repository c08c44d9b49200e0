//! `plugins` / `load_plugins` from falco.yaml, `--list-plugins`, `--plugin-info`.

use crate::app::{Flow, State, StepResult, fatal};

/// `--plugin-info NAME`.
pub fn print_plugin_info(s: &mut State) -> StepResult {
    match &s.flags.plugin_info {
        None => Ok(Flow::Continue),
        Some(name) => {
            Err(fatal(format!("plugin {name} not loaded: plugin support is not wired yet")))
        }
    }
}

/// `--list-plugins`.
pub fn list_plugins(s: &mut State) -> StepResult {
    if !s.flags.list_plugins {
        return Ok(Flow::Continue);
    }
    println!("0 Plugins Loaded:");
    Ok(Flow::Exit)
}

/// Loads the configured plugins.
pub fn load_plugins(s: &mut State) -> StepResult {
    if !s.config().plugins.is_empty() {
        return Err(fatal("loading plugins is not supported yet by this build"));
    }
    Ok(Flow::Continue)
}
