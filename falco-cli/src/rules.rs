//! Building the rules of a run from the configuration and the command line: shared by
//! start-up and by hot reload, which builds a whole new engine off to the side.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use falco_engine::{Engine, ExtraField, ExtraOutput, NameMatch, Rules, RulesetId, Schema};

use crate::config::Config;
use crate::flags::Flags;

/// The version of the falcosecurity `container` plugin whose fields the syscall inspector's
/// built-in `container.*` fields cover: rules requiring that plugin up to this version load
/// without it (and a real `container` plugin, when loaded, takes over).
pub const BUILTIN_CONTAINER_PLUGIN_VERSION: &str = "0.4.1";

/// Registers the sources and applies the engine-level configuration: minimum priority,
/// `append_output`, and the deprecated `-p`.
pub fn configure_engine(
    engine: &mut Engine,
    sources: &[(String, Arc<Schema>)],
    config: &Config,
    flags: &Flags,
) -> Result<(), String> {
    for (_, schema) in sources {
        engine.add_source((**schema).clone()).map_err(|e| e.to_string())?;
    }
    engine.set_min_priority(config.min_priority);
    for a in &config.append_output {
        if !a.extra_output.is_empty() {
            engine.add_extra_output(ExtraOutput {
                source: a.source.clone(),
                tags: a.tags.iter().cloned().collect(),
                rule: a.rule.clone(),
                format: a.extra_output.clone(),
            });
        }
        for (key, fmt) in &a.extra_fields {
            engine.add_extra_field(ExtraField {
                source: a.source.clone(),
                tags: a.tags.iter().cloned().collect(),
                rule: a.rule.clone(),
                key: key.clone(),
                format: fmt.clone().unwrap_or_else(|| format!("%{key}")),
                raw: fmt.is_none(),
            });
        }
    }
    if let Some(p) = &flags.print {
        // -pc / -pk append container (and Kubernetes) details to syscall rules; anything else
        // is a format appended to every rule.
        let (source, format) = match p.as_str() {
            "c" | "container" => {
                ("syscall", "container_id=%container.id container_name=%container.name")
            }
            "k" | "kubernetes" => (
                "syscall",
                "k8s_ns=%k8s.ns.name k8s_pod=%k8s.pod.name container_id=%container.id container_name=%container.name",
            ),
            other => ("", other),
        };
        crate::log::warn("-p is deprecated: use -o append_output... instead");
        engine.add_extra_output(ExtraOutput {
            source: source.into(),
            format: format.into(),
            ..Default::default()
        });
    }
    Ok(())
}

/// Expands rules paths as Falco does: directories give their `*.yaml`/`*.yml` files in name
/// order, files must end in `.yaml`/`.yml`.
pub fn expand_rules_paths(paths: &[String]) -> Vec<String> {
    let is_yaml = |p: &str| p.ends_with(".yaml") || p.ends_with(".yml");
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            let mut files: Vec<String> = std::fs::read_dir(path)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| e.path().is_file())
                        .map(|e| e.path().display().to_string())
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            out.extend(files.into_iter().filter(|f| is_yaml(f)));
        } else if is_yaml(p) {
            out.push(p.clone());
        }
    }
    out
}

/// The rules files of the run: `-r` if given, else `rules_files`.
pub fn rules_paths(config: &Config, flags: &Flags) -> Result<Vec<String>, String> {
    let configured =
        if flags.rules.is_empty() { config.rules_files.clone() } else { flags.rules.clone() };
    if configured.is_empty() {
        return Err("You must specify at least one rules file/directory via -r or a rules_file entry in falco.yaml".into());
    }
    Ok(expand_rules_paths(&configured))
}

/// Checks `required_plugin_versions` against the loaded plugins (and the built-in container
/// fields, unless a real `container` plugin is loaded).
pub fn check_plugin_requirements(
    engine: &Engine,
    plugins: &[(String, String)],
) -> Result<(), String> {
    let mut plugins = plugins.to_vec();
    if !plugins.iter().any(|(n, _)| n == "container") {
        plugins.push(("container".into(), BUILTIN_CONTAINER_PLUGIN_VERSION.into()));
    }
    engine.check_plugin_requirements(&plugins).map_err(|e| e.to_string())
}

/// Loads the rules files into the engine; the error is Falco's verbose load result.
pub fn load_files(
    engine: &mut Engine,
    files: &[String],
    plugins: &[(String, String)],
) -> Result<(), String> {
    let mut contents: HashMap<String, String> = HashMap::new();
    for f in files {
        let text = std::fs::read(f).map_err(|_| format!("Could not open file {f} for reading"))?;
        contents.insert(f.clone(), String::from_utf8_lossy(&text).into_owned());
    }
    crate::log::info("Loading rules from:");
    let mut err = None;
    for f in files {
        crate::log::info(&format!("   {f}"));
        let res = engine.load_rules(&contents[f], f);
        if !res.successful() {
            err = Some(res.verbose(engine.contents()));
            break;
        }
        if res.has_warnings() {
            crate::log::warn(&res.verbose(engine.contents()));
        }
    }
    // A plugin requirement not met is the likely cause of other errors: it wins.
    check_plugin_requirements(engine, plugins)?;
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Applies rule selections: `rules:` from falco.yaml, then `-D`, `-T`, `-t`.
pub fn apply_selections(engine: &mut Engine, config: &Config, flags: &Flags) {
    let default = RulesetId::DEFAULT;
    for sel in &config.rules_selection {
        let verb = if sel.enable { "Enabling" } else { "Disabling" };
        if !sel.rule.is_empty() {
            crate::log::info(&format!("{verb} rules with name: {}", sel.rule));
            engine.enable_rule(&sel.rule, NameMatch::Wildcard, sel.enable, default);
        }
        if !sel.tag.is_empty() {
            crate::log::info(&format!("{verb} rules with tag: {}", sel.tag));
            engine.enable_tags(&[sel.tag.as_str()], sel.enable, default);
        }
    }
    for sub in &flags.disable_rules {
        crate::log::info(&format!("Disabling rules with name containing: {sub}"));
        engine.enable_rule(sub, NameMatch::Substring, false, default);
    }
    if !flags.disable_tags.is_empty() {
        let tags: Vec<&str> = flags.disable_tags.iter().map(String::as_str).collect();
        engine.enable_tags(&tags, false, default);
    }
    if !flags.run_tags.is_empty() {
        // Only these tags: disable everything first.
        engine.enable_rule("", NameMatch::Substring, false, default);
        let tags: Vec<&str> = flags.run_tags.iter().map(String::as_str).collect();
        engine.enable_tags(&tags, true, default);
    }
}

/// Builds a fresh engine and its rules from scratch (hot reload).
pub fn build(
    sources: &[(String, Arc<Schema>)],
    plugins: &[(String, String)],
    config: &Config,
    flags: &Flags,
) -> Result<(Engine, Rules), String> {
    let mut engine = Engine::new();
    configure_engine(&mut engine, sources, config, flags)?;
    let files = rules_paths(config, flags)?;
    load_files(&mut engine, &files, plugins)?;
    apply_selections(&mut engine, config, flags);
    let rules = engine.rules();
    Ok((engine, rules))
}
