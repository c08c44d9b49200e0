//! Loads the rules files (`-r` or `rules_files`), checks plugin requirements, applies rule
//! selections, answers `-L`/`-l`, and builds the rules snapshot the sources will run.

use std::sync::Arc;

use crate::app::{Flow, State, StepResult, fatal};

/// `(name, version)` of the loaded plugins, for `required_plugin_versions`.
pub fn plugin_versions(s: &State) -> Vec<(String, String)> {
    s.plugins.iter().map(|p| (p.name.clone(), p.version.clone())).collect()
}

/// Loads the rules.
pub fn load_rules(s: &mut State) -> StepResult {
    let config = s.config.clone().expect("config loaded");
    let files = crate::rules::rules_paths(&config, &s.flags).map_err(fatal)?;
    let plugins = plugin_versions(s);
    crate::rules::load_files(&mut s.engine, &files, &plugins).map_err(fatal)?;
    crate::rules::apply_selections(&mut s.engine, &config, &s.flags);
    let rules = s.engine.rules();
    if s.flags.describe_all_rules || s.flags.describe_rule.is_some() {
        crate::describe::print(
            &rules,
            s.flags.describe_rule.as_deref(),
            config.outputs.format.json_output,
        )
        .map_err(fatal)?;
        return Ok(Flow::Exit);
    }
    s.rules = Some(Arc::new(arc_swap::ArcSwap::from_pointee(rules)));
    Ok(Flow::Continue)
}
