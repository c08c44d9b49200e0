//! Loads `falco.yaml` (or the built-in defaults) and the `-o` overrides.

use crate::app::{Flow, State, StepResult, fatal};
use crate::config::Config;

/// Loads the configuration into the state.
pub fn load_config(s: &mut State) -> StepResult {
    let config = Config::load(s.flags.config.as_deref(), &s.flags.options).map_err(fatal)?;
    crate::log::init(&config, s.flags.verbose);
    for w in &config.warnings {
        crate::log::warn(w);
    }
    s.config = Some(config);
    Ok(Flow::Continue)
}
