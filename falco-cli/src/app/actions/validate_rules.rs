//! `-V/--validate`: loads each file into the engine in order and prints Falco's result, text
//! or JSON (`{"falco_load_results": [...]}` with `-o json_output=true`).

use std::collections::HashMap;

use crate::app::{Flow, State, StepResult, fatal};

/// Validates the `-V` files and exits.
pub fn validate_rules(s: &mut State) -> StepResult {
    if s.flags.validate.is_empty() {
        return Ok(Flow::Continue);
    }
    let mut contents = HashMap::new();
    for f in &s.flags.validate {
        let text =
            std::fs::read(f).map_err(|_| fatal(format!("Could not open file {f} for reading")))?;
        contents.insert(f.clone(), String::from_utf8_lossy(&text).into_owned());
    }
    crate::log::info("Validating rules file(s):");
    for f in &s.flags.validate {
        crate::log::info(&format!("   {f}"));
    }
    let json = s.config().outputs.format.json_output;
    let mut successful = true;
    let mut results = Vec::new();
    let mut summary = String::new();
    for f in s.flags.validate.clone() {
        let res = s.engine.load_rules(&contents[&f], &f);
        crate::rules::check_plugin_requirements(&s.engine, &super::load_rules::plugin_versions(s))
            .map_err(fatal)?;
        successful &= res.successful();
        let all = s.engine.contents();
        if json {
            results.push(res.as_json(all));
        }
        if !summary.is_empty() {
            summary.push('\n');
        }
        if !res.successful() || !res.has_warnings() {
            summary.push_str(&res.verbose(all));
        } else {
            summary.push_str(&format!("{f}: Ok, with warnings"));
            crate::log::warn(&res.verbose(all));
        }
    }
    if json {
        println!("{}", serde_json::json!({ "falco_load_results": results }));
    } else {
        println!("{summary}");
    }
    if !successful {
        return Err(fatal(summary));
    }
    Ok(Flow::Exit)
}
