//! `--support`: version, configuration and rules files as JSON.

use crate::app::{Flow, State, StepResult};

/// Prints support information and exits.
pub fn print_support(s: &mut State) -> StepResult {
    if !s.flags.support {
        return Ok(Flow::Continue);
    }
    let config = s.config();
    let files = crate::rules::rules_paths(config, &s.flags).unwrap_or_default();
    let rules: Vec<serde_json::Value> = files
        .iter()
        .map(|f| serde_json::json!({"name": f, "content": std::fs::read_to_string(f).unwrap_or_default()}))
        .collect();
    let j = serde_json::json!({
        "version": super::print_version::FALCO_VERSION,
        "engine_info": { "engine_version": falco_engine::ENGINE_VERSION.to_string() },
        "cmdline": std::env::args().collect::<Vec<_>>().join(" "),
        "config": config.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "system_info": { "machine": std::env::consts::ARCH, "sysname": std::env::consts::OS },
        "rules_files": rules,
    });
    println!("{j:#}");
    Ok(Flow::Exit)
}
