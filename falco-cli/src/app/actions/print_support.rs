//! `--support`: what Falco prints for bug reports — versions, system, the merged
//! configuration and the rules files, as one JSON object.

use crate::app::{Flow, State, StepResult};

/// The `engine_info` object (Falco's `versions_info`).
pub fn versions_json(s: &State) -> serde_json::Value {
    let engine = falco_engine::ENGINE_VERSION;
    let plugins: serde_json::Map<String, serde_json::Value> =
        s.plugins.iter().map(|p| (p.name().to_string(), p.version().to_string().into())).collect();
    let mut j = serde_json::json!({
        "falco_version": super::print_version::FALCO_VERSION,
        "plugin_api_version": falco_plugin_host::host_api_version().to_string(),
        "engine_version": engine.minor.to_string(),
        "engine_version_semver": engine.to_string(),
    });
    if !plugins.is_empty() {
        j["plugin_versions"] = plugins.into();
    }
    j
}

fn kernel(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/kernel/{name}"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Prints support information and exits.
pub fn print_support(s: &mut State) -> StepResult {
    if !s.flags.support {
        return Ok(Flow::Continue);
    }
    let config = s.config();
    let files = crate::rules::rules_paths(config, &s.flags).unwrap_or_default();
    let rules: Vec<serde_json::Value> = files
        .iter()
        .map(|f| {
            let content = std::fs::read_to_string(f).unwrap_or_default();
            serde_json::json!({"name": f, "variants": [{"content": content}]})
        })
        .collect();
    let j = serde_json::json!({
        "version": super::print_version::FALCO_VERSION,
        "engine_info": versions_json(s),
        "cmdline": std::env::args().collect::<Vec<_>>().join(" "),
        "config": crate::config::node_to_json(&config.tree.root).to_string(),
        "system_info": {
            "sysname": kernel("ostype"),
            "nodename": kernel("hostname"),
            "release": kernel("osrelease"),
            "version": kernel("version"),
            "machine": std::env::consts::ARCH,
        },
        "rules_files": rules,
    });
    println!("{j}");
    Ok(Flow::Exit)
}
