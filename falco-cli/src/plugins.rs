//! The plugins of a run (Falco's `load_plugins` and `init_inspectors`): the configured
//! libraries loaded once, the event sources they open, and one [`PluginInspector`] per plugin
//! source, holding its own instance of every plugin that serves it (design rule L2).
//!
//! Data enters as the `plugins` entries of falco.yaml (after `load_plugins`) and leaves as
//! [`LoadedPlugin`]s (for listings and `required_plugin_versions`) and inspectors the source
//! threads run.

use falco_inspector::extended::ExtendedInspector;
use falco_inspector::{PluginInspector, ScapInspector};
use falco_plugin_host::Plugin;

const SYSCALL: &str = "syscall";

use crate::config::PluginConfig;

/// A plugin library loaded for this run, with its configuration.
#[derive(Debug)]
pub struct LoadedPlugin {
    /// Its `plugins:` entry.
    pub config: PluginConfig,
    /// The loaded library.
    pub plugin: Plugin,
}

impl LoadedPlugin {
    /// The plugin's name (as the plugin says).
    pub fn name(&self) -> &str {
        self.plugin.name()
    }

    /// The plugin's version string.
    pub fn version(&self) -> &str {
        &self.plugin.info().version_string
    }

    /// The event source this plugin opens, if it has one of its own (`id != 0`).
    pub fn event_source(&self) -> Option<&str> {
        self.plugin.caps().source.as_ref().filter(|s| s.id != 0).map(|s| s.event_source.as_str())
    }

    /// True if the plugin sources syscall events (plugin id 0).
    pub fn sources_syscalls(&self) -> bool {
        self.plugin.caps().source.as_ref().is_some_and(|s| s.id == 0)
    }

    /// True if the plugin serves `source`: opens it, extracts from, parses, or injects async
    /// events into its events.
    pub fn serves(&self, source: &str) -> bool {
        let caps = self.plugin.caps();
        caps.sources(source)
            || caps.extracts_from(source)
            || caps.parses(source)
            || caps.injects_into(source)
    }
}

/// Loads the configured plugin libraries (without initialising them), refusing two plugins
/// with one name or one event source id, as libsinsp's plugin manager does.
pub fn load(configs: &[PluginConfig]) -> Result<Vec<LoadedPlugin>, String> {
    let mut out: Vec<LoadedPlugin> = Vec::new();
    for c in configs {
        let plugin = Plugin::load(&c.library_path).map_err(|e| e.to_string())?;
        if out.iter().any(|p| p.name() == plugin.name()) {
            return Err(format!("found another plugin with name {}. Aborting.", plugin.name()));
        }
        let id = plugin.caps().source.as_ref().map_or(0, |s| s.id);
        if id != 0
            && out.iter().any(|p| p.plugin.caps().source.as_ref().is_some_and(|s| s.id == id))
        {
            return Err(format!("found another plugin with ID {id}. Aborting."));
        }
        crate::log::info(&format!(
            "Loaded plugin '{}@{}' from file {}",
            c.name,
            plugin.info().version_string,
            c.library_path
        ));
        out.push(LoadedPlugin { config: c.clone(), plugin });
    }
    Ok(out)
}

/// The plugin event sources, in load order, as `(source name, plugin index)`. Two plugins
/// opening sources of the same name are refused (design rule L1).
pub fn event_sources(plugins: &[LoadedPlugin]) -> Result<Vec<(String, usize)>, String> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for (i, p) in plugins.iter().enumerate() {
        let Some(src) = p.event_source() else { continue };
        if let Some((_, j)) = out.iter().find(|(s, _)| s == src) {
            return Err(format!(
                "event source '{src}' is opened by two plugins, '{}' and '{}': two active sources \
                 may not have the same name; load only one of them",
                plugins[*j].name(),
                p.name()
            ));
        }
        out.push((src.to_string(), i));
    }
    Ok(out)
}

/// Builds the inspector of the source opened by plugin `i`: that plugin plus every other
/// loaded plugin serving the source, each with its own instance, and the static fields.
pub fn source_inspector(
    plugins: &[LoadedPlugin],
    i: usize,
    static_fields: &[(String, String)],
) -> Result<PluginInspector, String> {
    let p = &plugins[i];
    let mut builder =
        PluginInspector::builder(&p.plugin, &p.config.init_config, &p.config.open_params)
            .static_fields(static_fields)
            .log(crate::log::plugin_log_sink());
    for (j, other) in plugins.iter().enumerate() {
        if j != i {
            builder = builder.plugin(&other.plugin, &other.config.init_config);
        }
    }
    builder.build().map_err(|e| e.to_string())
}

/// The syscall inspector extended with the plugins serving the syscall source (extraction,
/// parsing) and the static fields, or `None` when there are none (the plain inspector runs).
/// `capture` is the capture file to read (empty when the syscall source does not run: the
/// inspector then only gives the schema).
pub fn syscall_inspector(
    plugins: &[LoadedPlugin],
    capture: &str,
    static_fields: &[(String, String)],
) -> Result<Option<ExtendedInspector<ScapInspector>>, String> {
    let serving: Vec<&LoadedPlugin> = plugins
        .iter()
        .filter(|p| {
            let caps = p.plugin.caps();
            caps.extracts_from(SYSCALL) || caps.parses(SYSCALL) || caps.injects_into(SYSCALL)
        })
        .collect();
    if serving.is_empty() && static_fields.is_empty() {
        return Ok(None);
    }
    let mut builder = ExtendedInspector::builder(ScapInspector::new(capture))
        .static_fields(static_fields)
        .log(crate::log::plugin_log_sink());
    for p in serving {
        builder = builder.plugin(&p.plugin, &p.config.init_config);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

/// Falco refuses a plugin that serves none of the known sources.
pub fn check_all_used(plugins: &[LoadedPlugin], sources: &[String]) -> Result<(), String> {
    for p in plugins {
        if !sources.iter().any(|s| p.serves(s)) {
            return Err(format!(
                "Plugin '{}' is loaded but unused as not compatible with any known event source",
                p.name()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counter plugin linked in, and a twin of it: another name and id, same source.
    fn counter_and_twin() -> Vec<LoadedPlugin> {
        extern "C-unwind" fn twin_name() -> *const std::ffi::c_char {
            c"twin".as_ptr()
        }
        extern "C-unwind" fn twin_id() -> u32 {
            4242
        }
        let mut api = counter_plugin::PLUGIN_API;
        api.get_name = Some(twin_name);
        api.__bindgen_anon_1.get_id = Some(twin_id);
        let twin: &'static falco_plugin_host::api::plugin_api = Box::leak(Box::new(api));
        let loaded = |api: &'static falco_plugin_host::api::plugin_api, name: &str| LoadedPlugin {
            config: PluginConfig {
                name: name.into(),
                library_path: format!("/nowhere/lib{name}.so"),
                init_config: String::new(),
                open_params: String::new(),
            },
            plugin: Plugin::from_api(api).unwrap(),
        };
        vec![loaded(&counter_plugin::PLUGIN_API, "counter"), loaded(twin, "twin")]
    }

    #[test]
    fn two_plugins_opening_one_source_are_refused() {
        let plugins = counter_and_twin();
        assert_eq!(plugins[1].name(), "twin");
        assert_eq!(plugins[1].event_source(), Some("counter"));
        let e = event_sources(&plugins).unwrap_err();
        assert!(
            e.starts_with("event source 'counter' is opened by two plugins, 'counter' and 'twin'"),
            "{e}"
        );
        assert_eq!(event_sources(&plugins[..1]).unwrap(), vec![("counter".to_string(), 0)]);
    }

    #[test]
    fn unused_plugins_are_refused() {
        let plugins = counter_and_twin();
        assert!(check_all_used(&plugins[..1], &["syscall".into(), "counter".into()]).is_ok());
        let e = check_all_used(&plugins[..1], &["syscall".into()]).unwrap_err();
        assert_eq!(
            e,
            "Plugin 'counter' is loaded but unused as not compatible with any known event source"
        );
    }

    #[test]
    fn a_source_inspector_has_its_plugin_fields_and_static_fields() {
        let plugins = counter_and_twin();
        let statics = [("site".to_string(), "lab".to_string())];
        let insp = source_inspector(&plugins[..1], 0, &statics).unwrap();
        let schema = falco_inspector::Inspector::schema(&insp);
        assert_eq!(schema.source(), "counter");
        for f in ["counter.value", "counter.div", "evt.num", "evt.plugininfo", "static.site"] {
            assert!(schema.by_name(f).is_some(), "{f} missing");
        }
    }
}
