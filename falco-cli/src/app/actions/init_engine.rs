//! Creates the rule engine: registers every source's schema (design rule L1: duplicate
//! names refused), the minimum priority and `append_output` (plus the deprecated `-p`).

use crate::app::{Flow, State, StepResult, fatal};

/// Sets up the engine.
pub fn init_engine(s: &mut State) -> StepResult {
    let sources: Vec<_> = s.sources.iter().map(|x| (x.name.clone(), x.schema.clone())).collect();
    let config = s.config.clone().expect("config loaded");
    crate::rules::configure_engine(&mut s.engine, &sources, &config, &s.flags).map_err(fatal)?;
    Ok(Flow::Continue)
}
