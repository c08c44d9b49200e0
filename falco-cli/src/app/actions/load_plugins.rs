//! `plugins` / `load_plugins` from falco.yaml, `--list-plugins`, `--plugin-info`.

use crate::app::{Flow, State, StepResult, fatal};

/// `--plugin-info NAME`: NAME is a configured plugin's name or its `library_path`.
pub fn print_plugin_info(s: &mut State) -> StepResult {
    let Some(wanted) = s.flags.plugin_info.clone() else {
        return Ok(Flow::Continue);
    };
    let config = s.config().plugins.iter().find(|p| p.name == wanted || p.library_path == wanted);
    let Some(config) = config.cloned() else {
        return Err(fatal(format!("can't find plugin and print its info: {wanted}")));
    };
    let loaded = crate::plugins::load(std::slice::from_ref(&config)).map_err(fatal)?;
    let text = falco_plugin_host::plugin_info_text(&loaded[0].plugin, &config.init_config)
        .map_err(|e| fatal(e.to_string()))?;
    print!("{text}");
    Ok(Flow::Exit)
}

/// `--list-plugins`: the configured plugins, loaded but not initialised.
pub fn list_plugins(s: &mut State) -> StepResult {
    if !s.flags.list_plugins {
        return Ok(Flow::Continue);
    }
    let loaded = crate::plugins::load(&s.config().plugins).map_err(fatal)?;
    let plugins: Vec<_> = loaded.into_iter().map(|p| p.plugin).collect();
    print!("{}", falco_plugin_host::list_plugins_text(&plugins));
    Ok(Flow::Exit)
}

/// Loads the configured plugins (they are initialised per source by `init_sources`).
pub fn load_plugins(s: &mut State) -> StepResult {
    s.plugins = crate::plugins::load(&s.config().plugins).map_err(fatal)?;
    Ok(Flow::Continue)
}
