//! The text Falco prints for `falco --list-plugins` and `falco --plugin-info NAME`
//! (falco's `list_plugins.cpp`, `print_plugin_info.cpp` and `format_plugin_info`).

use std::fmt::Write;

use crate::error::Error;
use crate::plugin::Plugin;

/// The description block of one plugin (`format_plugin_info`).
pub fn format_plugin_info(p: &Plugin) -> String {
    let info = p.info();
    let caps = p.caps();
    let mut s = String::new();
    let _ = writeln!(s, "Name: {}", info.name);
    let _ = writeln!(s, "Description: {}", info.description);
    let _ = writeln!(s, "Contact: {}", info.contact);
    let _ = writeln!(s, "Version: {}", info.version);
    let _ = writeln!(s, "Capabilities: ");
    if let Some(src) = &caps.source {
        if src.id != 0 {
            let _ =
                writeln!(s, "  - Event Sourcing (ID={}, source='{}')", src.id, src.event_source);
        } else {
            let _ = writeln!(s, "  - Event Sourcing (system events)");
        }
    }
    if caps.extract.is_some() {
        let _ = writeln!(s, "  - Field Extraction");
    }
    if caps.parse.is_some() {
        let _ = writeln!(s, "  - Event Parsing");
    }
    if caps.async_events.is_some() {
        let _ = writeln!(s, "  - Async Events");
    }
    s
}

/// What `falco --list-plugins` prints for the configured plugins (loaded, not initialised).
///
/// ```
/// assert_eq!(falco_plugin_host::list_plugins_text(&[]), "0 Plugins Loaded:\n\n\n");
/// ```
pub fn list_plugins_text(plugins: &[Plugin]) -> String {
    let mut body = String::new();
    for p in plugins {
        body.push_str(&format_plugin_info(p));
        body.push('\n');
    }
    format!("{} Plugins Loaded:\n\n{}\n", plugins.len(), body)
}

/// What `falco --plugin-info NAME` prints for `plugin` configured with `init_config`: the
/// description, the init schema, and (after initialising it) the suggested open parameters.
/// An init failure is returned as the error Falco exits with.
pub fn plugin_info_text(plugin: &Plugin, init_config: &str) -> Result<String, Error> {
    let mut s = format_plugin_info(plugin);
    s.push('\n');
    s.push_str("Init config schema type: ");
    match &plugin.info().init_schema {
        Some(_) => s.push_str("JSON\n"),
        None => s.push_str(
            "Not available, plugin does not implement the init config schema functionality\n",
        ),
    }
    s.push_str(plugin.info().init_schema.as_deref().unwrap_or(""));
    s.push_str("\n\n");
    let instance = plugin.init(init_config)?;
    if plugin.caps().source.is_some() {
        let params = instance.list_open_params()?;
        if params.is_empty() {
            s.push_str(
                "No suggested open params available: plugin has not been configured, or it does \
                 not implement the open params suggestion functionality\n",
            );
        } else {
            s.push_str("Suggested open params:\n");
            for p in params {
                if p.desc.is_empty() {
                    let _ = writeln!(s, "{}", p.value);
                } else {
                    let _ = writeln!(s, "{}: {}", p.value, p.desc);
                }
            }
        }
        s.push('\n');
    }
    Ok(s)
}
