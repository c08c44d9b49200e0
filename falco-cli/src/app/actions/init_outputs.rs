//! Creates the output engine from the output options (`-U` turns buffering off).

use std::sync::Arc;

use falco_outputs::OutputEngine;

use crate::app::{Flow, State, StepResult, fatal};

/// Builds the output engine.
pub fn init_outputs(s: &mut State) -> StepResult {
    if s.flags.dry_run {
        crate::log::info("Skipping outputs initialization in dry-run");
        return Ok(Flow::Continue);
    }
    let mut cfg = s.config().outputs.clone();
    if s.flags.unbuffered {
        cfg.buffered_outputs = false;
    }
    let engine = OutputEngine::from_config(&cfg).map_err(|e| fatal(e.to_string()))?;
    s.outputs = Some(Arc::new(engine));
    Ok(Flow::Continue)
}
