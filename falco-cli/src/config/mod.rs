//! `falco.yaml` and `-o` overrides turned into a typed [`Config`], as Falco's
//! `falco_configuration` reads them (same keys, defaults and error messages).
//!
//! The file is loaded as a tree ([`tree::Tree`]), `config_files` are merged in, `-o` options
//! applied, then every key is decoded. Without `-c` and without `/etc/falco/falco.yaml`, the
//! built-in defaults below are used, so `falco -r rules.yaml -e trace.scap` just works.

pub mod de;
pub mod tree;

use std::path::{Path, PathBuf};

use falco_engine::rules::yaml::Node;
use falco_engine::{Priority, RuleMatching};
use falco_outputs::OutputsConfig;
use serde::Deserialize;

use self::tree::Tree;

/// The configuration used when no file is given and /etc/falco/falco.yaml does not exist:
/// Falco's shipped defaults, with alerts on stdout only.
pub const BUILTIN_DEFAULTS: &str = r#"
rules_files:
  - /etc/falco/falco_rules.yaml
  - /etc/falco/falco_rules.local.yaml
  - /etc/falco/rules.d
engine:
  kind: kmod
priority: debug
json_output: false
json_include_output_property: true
json_include_tags_property: true
stdout_output:
  enabled: true
log_stderr: true
log_syslog: false
log_level: info
watch_config_files: true
"#;

/// Default config file location.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/falco/falco.yaml";

/// Top-level keys current Falco knows (others are reported as unknown and ignored).
const KNOWN_KEYS: &[&str] = &[
    "config_files",
    "watch_config_files",
    "rules_files",
    "rules_file",
    "rules",
    "engine",
    "capture",
    "load_plugins",
    "plugins",
    "plugins_hostinfo",
    "priority",
    "json_output",
    "json_include_output_property",
    "json_include_message_property",
    "json_include_output_fields_property",
    "json_include_tags_property",
    "buffered_outputs",
    "rule_matching",
    "outputs_queue",
    "append_output",
    "static_fields",
    "stdout_output",
    "syslog_output",
    "file_output",
    "http_output",
    "program_output",
    "grpc_output",
    "grpc",
    "webserver",
    "log_stderr",
    "log_syslog",
    "log_level",
    "libs_logger",
    "output_timeout",
    "outputs",
    "syscall_event_timeouts",
    "syscall_event_drops",
    "metrics",
    "base_syscalls",
    "falco_libs",
    "time_format_iso_8601",
    "syscall_buf_size_preset",
    "modern_bpf",
    "metadata_download",
    "container_engines",
];

/// How events are produced (`engine.kind`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// Live syscalls through the kernel module (no live driver here).
    Kmod,
    /// Live syscalls through modern eBPF (no live driver here).
    ModernEbpf,
    /// Replay a capture file.
    Replay {
        /// The capture.
        capture_file: String,
    },
    /// No syscall source (plugin sources only).
    Nodriver,
}

/// One `rules:` selection entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSelection {
    /// Enable (true) or disable.
    pub enable: bool,
    /// Rule name pattern (wildcards allowed), if any.
    pub rule: String,
    /// Tag, if any.
    pub tag: String,
}

/// One `plugins:` entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PluginConfig {
    /// The plugin name.
    pub name: String,
    /// Path of its shared library (relative paths are looked up in /usr/share/falco/plugins).
    pub library_path: String,
    /// Init configuration: a string, or YAML turned into JSON.
    #[serde(skip)]
    pub init_config: String,
    /// Open parameters.
    #[serde(default)]
    pub open_params: String,
}

/// One `append_output` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppendOutput {
    /// Match rules of this source.
    pub source: String,
    /// Match rules having all these tags.
    pub tags: Vec<String>,
    /// Match this rule.
    pub rule: String,
    /// Text appended to the output.
    pub extra_output: String,
    /// Extra output fields: `(key, format)` or raw `(field, "")`.
    pub extra_fields: Vec<(String, Option<String>)>,
}

/// `syscall_event_drops`.
#[derive(Clone, Debug, PartialEq)]
pub struct DropsConfig {
    /// `actions`: `ignore`, `log`, `alert`, `exit` (default: ignore).
    pub actions: Vec<String>,
    /// `threshold`: drop ratio over which actions run (default 0.1).
    pub threshold: f64,
    /// `rate`: actions per second allowed by the token bucket (default 0.03333).
    pub rate: f64,
    /// `max_burst`: token bucket size (default 1).
    pub max_burst: f64,
    /// `simulate_drops`: pretend a drop every second (testing).
    pub simulate_drops: bool,
}

/// The decoded configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The merged tree (for `--support` and lookups).
    pub tree: Tree,
    /// Config files loaded (main first), for watching.
    pub files: Vec<PathBuf>,
    /// `rules_files`, existing paths only (as Falco keeps them).
    pub rules_files: Vec<String>,
    /// `rules` selections.
    pub rules_selection: Vec<RuleSelection>,
    /// Plugins to load, after `load_plugins` filtering.
    pub plugins: Vec<PluginConfig>,
    /// `priority`.
    pub min_priority: Priority,
    /// `rule_matching`.
    pub rule_matching: RuleMatching,
    /// Output options.
    pub outputs: OutputsConfig,
    /// `append_output`.
    pub append_output: Vec<AppendOutput>,
    /// `watch_config_files`.
    pub watch_config_files: bool,
    /// `log_level`.
    pub log_level: String,
    /// `log_stderr`.
    pub log_stderr: bool,
    /// `log_syslog`.
    pub log_syslog: bool,
    /// `engine.kind`.
    pub engine: EngineKind,
    /// `syscall_event_drops`.
    pub drops: DropsConfig,
    /// Warnings found while reading (unknown keys...).
    pub warnings: Vec<String>,
}

fn node_str(n: &Node) -> Option<String> {
    n.scalar().map(str::to_string)
}

fn yaml_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// Renders a YAML node as JSON text (for a plugin's `init_config` given as a mapping).
fn node_to_json(n: &Node) -> serde_json::Value {
    use falco_engine::rules::yaml::NodeKind;
    match &n.kind {
        NodeKind::Null => serde_json::Value::Null,
        NodeKind::Scalar { text, plain } => {
            if *plain {
                if let Some(b) = yaml_bool(text) {
                    return serde_json::Value::Bool(b);
                }
                if let Ok(i) = text.parse::<i64>() {
                    return serde_json::Value::from(i);
                }
                if let Ok(f) = text.parse::<f64>() {
                    if let Some(num) = serde_json::Number::from_f64(f) {
                        return serde_json::Value::Number(num);
                    }
                }
            }
            serde_json::Value::String(text.clone())
        }
        NodeKind::Seq(items) => serde_json::Value::Array(items.iter().map(node_to_json).collect()),
        NodeKind::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.scalar().unwrap_or_default().to_string(), node_to_json(v)))
                .collect(),
        ),
    }
}

impl Config {
    /// Loads the configuration: `path` (or the default file, or the built-in defaults), its
    /// includes, then the `-o` options.
    pub fn load(path: Option<&str>, options: &[String]) -> Result<Config, String> {
        let mut files = Vec::new();
        let (mut tree, name) = match path {
            Some(p) => {
                files.push(PathBuf::from(p));
                (Tree::load_file(Path::new(p))?, p.to_string())
            }
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                files.push(PathBuf::from(DEFAULT_CONFIG_FILE));
                (Tree::load_file(Path::new(DEFAULT_CONFIG_FILE))?, DEFAULT_CONFIG_FILE.to_string())
            }
            None => (
                Tree::load_str(BUILTIN_DEFAULTS).expect("built-in defaults parse"),
                "defaults".to_string(),
            ),
        };
        // `-o config_files=...` first, then the includes, then every other `-o`.
        for opt in options.iter().filter(|o| o.starts_with("config_files")) {
            tree.set_option(opt)?;
        }
        for (inc, strategy) in tree.config_files()? {
            if files.first().is_some_and(|m| *m == inc) {
                return Err(format!(
                    "Config error: 'config_files' directive tried to recursively include main config file: {name}."
                ));
            }
            if inc.is_file() {
                let t = Tree::load_file(&inc)?;
                tree.include(t, strategy, &inc)?;
                files.push(inc);
            } else if inc.is_dir() {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(&inc)
                    .map_err(|e| format!("Cannot read config directory {}: {e}", inc.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file())
                    .collect();
                entries.sort();
                for f in entries {
                    let t = Tree::load_file(&f)?;
                    tree.include(t, strategy, &f)?;
                    files.push(f);
                }
            }
        }
        for opt in options.iter().filter(|o| !o.starts_with("config_files")) {
            tree.set_option(opt)?;
        }
        Config::decode(tree, files, &name)
    }

    fn decode(tree: Tree, files: Vec<PathBuf>, name: &str) -> Result<Config, String> {
        let mut warnings = Vec::new();
        for (k, _) in tree.root.entries() {
            let key = k.scalar().unwrap_or_default();
            if !KNOWN_KEYS.contains(&key) {
                warnings
                    .push(format!("Unknown configuration key '{key}' in {name}: it is ignored"));
            }
        }
        let get = |k: &str| tree.get(k);
        let get_str = |k: &str, d: &str| get(k).and_then(node_str).unwrap_or_else(|| d.to_string());
        let get_bool = |k: &str, d: bool| -> Result<bool, String> {
            match get(k).and_then(|n| n.scalar()) {
                None => Ok(d),
                Some(s) => yaml_bool(s).ok_or_else(|| {
                    format!(
                        "Error reading config file ({name}): '{k}' must be a boolean, found '{s}'"
                    )
                }),
            }
        };

        let engine = match get_str("engine.kind", "kmod").as_str() {
            "kmod" => EngineKind::Kmod,
            "modern_ebpf" => EngineKind::ModernEbpf,
            "nodriver" => EngineKind::Nodriver,
            "replay" => {
                let capture_file = get_str("engine.replay.capture_file", "");
                if capture_file.is_empty() {
                    return Err(format!(
                        "Error reading config file ({name}): engine.kind is 'replay' but no engine.replay.capture_file specified."
                    ));
                }
                EngineKind::Replay { capture_file }
            }
            other => {
                return Err(format!(
                    "Error reading config file ({name}): engine.kind '{other}' is not a valid kind."
                ));
            }
        };

        let seq = |k: &str| -> Vec<String> {
            match get(k) {
                None => Vec::new(),
                Some(n) if n.is_seq() => n.items().iter().filter_map(node_str).collect(),
                Some(n) => node_str(n).into_iter().collect(),
            }
        };
        if get("rules_files").is_some() && get("rules_file").is_some() {
            return Err(format!(
                "Error reading config file ({name}): both 'rules_files' and 'rules_file' keys set"
            ));
        }
        if get("rules_file").is_some() {
            warnings.push("Using deprecated config key 'rules_file' (singular form). Please use new 'rules_files' config key (plural form).".into());
        }
        let rules_files: Vec<String> = seq("rules_files")
            .into_iter()
            .chain(seq("rules_file"))
            .filter(|f| Path::new(f).exists())
            .collect();

        let rule_matching = get_str("rule_matching", "first");
        let rule_matching = RuleMatching::parse(&rule_matching).ok_or_else(|| {
            format!("Unknown rule matching strategy \"{rule_matching}\"--must be one of first, all")
        })?;
        let priority = get_str("priority", "debug");
        let min_priority = Priority::parse(&priority).ok_or_else(|| {
            format!("Unknown priority \"{priority}\"--must be one of emergency, alert, critical, error, warning, notice, informational, debug")
        })?;

        let outputs: OutputsConfig = de::from_node(&tree.root)
            .map_err(|e| format!("Error reading config file ({name}): {e}"))?;

        let mut rules_selection = Vec::new();
        if let Some(rules) = get("rules") {
            for item in rules.items() {
                let (enable, body) = match (item.get("enable"), item.get("disable")) {
                    (Some(b), _) => (true, b),
                    (None, Some(b)) => (false, b),
                    _ => {
                        return Err(format!(
                            "Error reading config file ({name}): 'rules' entries must be 'enable' or 'disable' mappings"
                        ));
                    }
                };
                rules_selection.push(RuleSelection {
                    enable,
                    rule: body.get("rule").and_then(node_str).unwrap_or_default(),
                    tag: body.get("tag").and_then(node_str).unwrap_or_default(),
                });
            }
        }

        let mut append_output = Vec::new();
        if let Some(ao) = get("append_output") {
            for item in ao.items() {
                let m = item.get("match");
                let mut a = AppendOutput {
                    source: m.and_then(|m| m.get("source")).and_then(node_str).unwrap_or_default(),
                    tags: m
                        .and_then(|m| m.get("tags"))
                        .map(|t| t.items().iter().filter_map(node_str).collect())
                        .unwrap_or_default(),
                    rule: m.and_then(|m| m.get("rule")).and_then(node_str).unwrap_or_default(),
                    extra_output: item.get("extra_output").and_then(node_str).unwrap_or_default(),
                    extra_fields: Vec::new(),
                };
                if let Some(ef) = item.get("extra_fields") {
                    for f in ef.items() {
                        if let Some(s) = f.scalar() {
                            a.extra_fields.push((s.to_string(), None));
                        } else if let Some((k, v)) = f.entries().first() {
                            a.extra_fields.push((
                                node_str(k).unwrap_or_default(),
                                Some(node_str(v).unwrap_or_default()),
                            ));
                        }
                    }
                }
                if !a.rule.is_empty() && !a.tags.is_empty() {
                    warnings.push(format!(
                        "An append_output entry specifies both a rule ({}) and a list of tags ({}). This means that output will be appended only to the {} rule and only if it has all the tags: {}.",
                        a.rule, a.tags.join(", "), a.rule, a.tags.join(", ")
                    ));
                }
                append_output.push(a);
            }
        }

        let mut all_plugins = Vec::new();
        if let Some(p) = get("plugins") {
            for item in p.items() {
                let name_of = |k: &str| item.get(k).and_then(node_str).unwrap_or_default();
                let init_config = match item.get("init_config") {
                    None => String::new(),
                    Some(n) if n.is_null() => String::new(),
                    Some(n) => match n.scalar() {
                        Some(s) => s.to_string(),
                        None => node_to_json(n).to_string(),
                    },
                };
                let pc = PluginConfig {
                    name: name_of("name"),
                    library_path: name_of("library_path"),
                    init_config,
                    open_params: name_of("open_params"),
                };
                if pc.name.is_empty() || pc.library_path.is_empty() {
                    return Err(format!(
                        "Error reading config file({name}): could not load plugins config: every plugin needs 'name' and 'library_path'"
                    ));
                }
                all_plugins.push(pc);
            }
        }
        let plugins = match get("load_plugins") {
            None => all_plugins,
            Some(_) => {
                let mut out = Vec::new();
                for pname in seq("load_plugins") {
                    match all_plugins.iter().find(|p| p.name == pname) {
                        Some(p) => out.push(p.clone()),
                        None => {
                            return Err(format!(
                                "Cannot load plugin '{pname}': plugin config not found for given name"
                            ));
                        }
                    }
                }
                out
            }
        };

        let get_f64 = |k: &str, d: f64| -> Result<f64, String> {
            match get(k).and_then(|n| n.scalar()) {
                None => Ok(d),
                Some(v) => v.trim().parse::<f64>().map_err(|_| {
                    format!(
                        "Error reading config file ({name}): '{k}' must be a number, found '{v}'"
                    )
                }),
            }
        };
        let mut actions: Vec<String> = Vec::new();
        for act in seq("syscall_event_drops.actions") {
            match act.as_str() {
                "ignore" | "exit" => {}
                "log" | "alert" => {
                    if actions.iter().any(|a| a == "ignore") {
                        return Err(format!(
                            "Error reading config file ({name}): syscall event drop action \"{act}\" does not make sense with the \"ignore\" action"
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "Error reading config file ({name}): available actions for syscall event drops are \"ignore\", \"log\", \"alert\", and \"exit\""
                    ));
                }
            }
            if !actions.contains(&act) {
                actions.push(act);
            }
        }
        if actions.is_empty() {
            actions.push("ignore".into());
        }
        let threshold = get_f64("syscall_event_drops.threshold", 0.1)?;
        if !(0.0..=1.0).contains(&threshold) {
            return Err(format!(
                "Error reading config file ({name}): syscall event drops threshold must be a double in the range [0, 1]"
            ));
        }
        let drops = DropsConfig {
            actions,
            threshold,
            rate: get_f64("syscall_event_drops.rate", 0.03333)?,
            max_burst: get_f64("syscall_event_drops.max_burst", 1.0)?,
            simulate_drops: get_bool("syscall_event_drops.simulate_drops", false)?,
        };

        Ok(Config {
            drops,
            rules_files,
            rules_selection,
            plugins,
            min_priority,
            rule_matching,
            outputs,
            append_output,
            watch_config_files: get_bool("watch_config_files", true)?,
            log_level: get_str("log_level", "info"),
            log_stderr: get_bool("log_stderr", false)?,
            log_syslog: get_bool("log_syslog", true)?,
            engine,
            warnings,
            files,
            tree,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_defaults() {
        let c = Config::load(Some("/nonexistent/falco.yaml"), &[]);
        assert!(c.unwrap_err().starts_with("Cannot read config file (/nonexistent/falco.yaml)"));
        let tree = Tree::load_str(BUILTIN_DEFAULTS).unwrap();
        let c = Config::decode(tree, vec![], "defaults").unwrap();
        assert!(c.outputs.stdout_output.enabled);
        assert_eq!(c.min_priority, Priority::Debug);
        assert_eq!(c.engine, EngineKind::Kmod);
    }

    #[test]
    fn overrides_and_errors() {
        let opts = |o: &[&str]| -> Result<Config, String> {
            let mut t = Tree::load_str(BUILTIN_DEFAULTS).unwrap();
            for x in o {
                t.set_option(x)?;
            }
            Config::decode(t, vec![], "falco.yaml")
        };
        let c = opts(&[
            "json_output=True",
            "priority=WARNING",
            "engine.kind=replay",
            "engine.replay.capture_file=x.scap",
        ])
        .unwrap();
        assert!(c.outputs.format.json_output);
        assert_eq!(c.min_priority, Priority::Warning);
        assert_eq!(c.engine, EngineKind::Replay { capture_file: "x.scap".into() });
        assert!(opts(&["priority=loud"]).unwrap_err().starts_with("Unknown priority \"loud\""));
        assert!(
            opts(&["engine.kind=replay"])
                .unwrap_err()
                .contains("no engine.replay.capture_file specified")
        );
        assert!(
            opts(&["engine.kind=ebpf"])
                .unwrap_err()
                .contains("engine.kind 'ebpf' is not a valid kind")
        );
        assert!(opts(&["bogus_key=1"]).unwrap().warnings.iter().any(|w| w.contains("'bogus_key'")));
        assert!(opts(&["rule_matching=all"]).unwrap().rule_matching == RuleMatching::All);
    }

    #[test]
    fn plugins_and_load_plugins() {
        let mut t = Tree::load_str("plugins:\n  - name: a\n    library_path: liba.so\n    init_config: {x: 1}\n  - name: b\n    library_path: libb.so\nload_plugins: [b]\n").unwrap();
        let c = Config::decode(t.clone(), vec![], "f").unwrap();
        assert_eq!(c.plugins.len(), 1);
        assert_eq!(c.plugins[0].name, "b");
        t.set_option("load_plugins[0]=a").unwrap();
        let c = Config::decode(t.clone(), vec![], "f").unwrap();
        assert_eq!(c.plugins[0].init_config, "{\"x\":1}");
        t.set_option("load_plugins[0]=zz").unwrap();
        assert_eq!(
            Config::decode(t, vec![], "f").unwrap_err(),
            "Cannot load plugin 'zz': plugin config not found for given name"
        );
    }
}
