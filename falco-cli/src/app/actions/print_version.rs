//! `--version`.

use crate::app::{Flow, State, StepResult};

/// The version of this Falco.
pub const FALCO_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Prints the version information and exits, like `falco --version`.
pub fn print_version(s: &mut State) -> StepResult {
    if !s.flags.version {
        return Ok(Flow::Continue);
    }
    if s.config.as_ref().is_some_and(|c| c.outputs.format.json_output) {
        let j = serde_json::json!({
            "falco_version": FALCO_VERSION,
            "engine_version": falco_engine::ENGINE_VERSION.to_string(),
            "engine_version_semver": falco_engine::ENGINE_VERSION.to_string(),
        });
        println!("{j}");
    } else {
        println!("Falco version: {FALCO_VERSION} (falco-rs)");
        println!("Engine:        {}", falco_engine::ENGINE_VERSION);
    }
    Ok(Flow::Exit)
}
