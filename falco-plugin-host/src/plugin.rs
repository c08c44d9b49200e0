//! A loaded plugin: its library, what it says about itself, and its capabilities.
//!
//! Loading follows libsinsp's `sinsp_plugin::resolve_dylib_symbols`: check the required API
//! version, check the mandatory symbols, read the descriptive info, derive the capabilities
//! from which functions exist (refusing half-implemented ones), then read the per-capability
//! metadata (event source and id, fields, compatible sources, async event names). A [`Plugin`]
//! is not initialised; [`Plugin::init`] makes a [`PluginInstance`], and may be called several
//! times (one instance per event source, design rule L2) on one loaded library.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::error::{Error, ErrorKind};
use crate::fields::{PluginField, parse_fields, parse_string_list};
use crate::instance::PluginInstance;
use crate::owner::{LogSink, Owner, tracing_log_sink};
use crate::raw::{Vtable, ffi};
use crate::tables::TableRegistry;
use crate::version::{Version, check_api_version};

/// The name of the event source reserved for syscalls.
pub const SYSCALL_SOURCE: &str = "syscall";

/// What a plugin says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginInfo {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Contact.
    pub contact: String,
    /// The version string as the plugin returns it.
    pub version_string: String,
    /// The version, as libsinsp parses it.
    pub version: Version,
    /// The plugin API version it requires.
    pub required_api_version: String,
    /// The init config schema, if the plugin provides a JSON schema.
    pub init_schema: Option<String>,
}

/// Event sourcing capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceCaps {
    /// The plugin id (0: the plugin produces syscall events).
    pub id: u32,
    /// The event source name (empty when `id` is 0).
    pub event_source: String,
}

/// Field extraction capability.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtractCaps {
    /// The fields, in declaration order.
    pub fields: Vec<PluginField>,
    /// Compatible event sources; empty means every source.
    pub sources: Vec<String>,
}

/// Event parsing capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseCaps {
    /// Compatible event sources; empty means every source.
    pub sources: Vec<String>,
}

/// Async events capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsyncCaps {
    /// Sources the plugin may inject events into; empty means every source.
    pub sources: Vec<String>,
    /// Names of the async events it may emit.
    pub names: Vec<String>,
}

/// The capabilities of a plugin, read from the functions it exports.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Capabilities {
    /// Event sourcing.
    pub source: Option<SourceCaps>,
    /// Field extraction.
    pub extract: Option<ExtractCaps>,
    /// Event parsing.
    pub parse: Option<ParseCaps>,
    /// Async events.
    pub async_events: Option<AsyncCaps>,
    /// Capture listening (`capture_open`/`capture_close`).
    pub capture_listening: bool,
}

/// True if a capability declared for `sources` applies to `source` (empty means all).
pub fn is_source_compatible(sources: &[String], source: &str) -> bool {
    sources.is_empty() || sources.iter().any(|s| s == source)
}

impl Capabilities {
    /// True if the plugin extracts fields from events of `source`.
    pub fn extracts_from(&self, source: &str) -> bool {
        self.extract.as_ref().is_some_and(|e| is_source_compatible(&e.sources, source))
    }
    /// True if the plugin parses events of `source`.
    pub fn parses(&self, source: &str) -> bool {
        self.parse.as_ref().is_some_and(|p| is_source_compatible(&p.sources, source))
    }
    /// True if the plugin may inject async events into `source`.
    pub fn injects_into(&self, source: &str) -> bool {
        self.async_events.as_ref().is_some_and(|a| is_source_compatible(&a.sources, source))
    }
    /// True if the plugin opens the event source `source`.
    pub fn sources(&self, source: &str) -> bool {
        self.source.as_ref().is_some_and(|s| {
            if s.id == 0 { source == SYSCALL_SOURCE } else { s.event_source == source }
        })
    }
}

pub(crate) struct Core {
    pub(crate) vtable: Vtable,
    pub(crate) info: PluginInfo,
    pub(crate) caps: Capabilities,
    /// Every owner ever handed to this library's code; kept until the library is unloaded.
    pub(crate) owners: Mutex<Vec<Arc<Owner>>>,
}

/// How to initialise a plugin instance.
#[derive(Clone)]
pub struct InitOptions {
    /// The tables this instance's plugins share (one registry per inspector).
    pub tables: Arc<TableRegistry>,
    /// Where the plugin's log messages go.
    pub log: LogSink,
}

impl Default for InitOptions {
    fn default() -> InitOptions {
        InitOptions { tables: TableRegistry::new(), log: tracing_log_sink() }
    }
}

impl std::fmt::Debug for InitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitOptions").field("tables", &self.tables).finish_non_exhaustive()
    }
}

/// A loaded, not yet initialised, plugin.
///
/// Cheap to clone: clones share the library.
#[derive(Clone)]
pub struct Plugin {
    pub(crate) core: Arc<Core>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("info", &self.core.info)
            .field("caps", &self.core.caps)
            .finish()
    }
}

impl Plugin {
    /// Loads the plugin library at `path` (a `.so` built with any plugin SDK).
    ///
    /// Errors name the path: a missing file, a file that is not a shared library, a missing
    /// mandatory symbol, an API version this host cannot serve, broken capabilities.
    pub fn load(path: impl AsRef<Path>) -> Result<Plugin, Error> {
        let path = path.as_ref();
        let label = path.display().to_string();
        let vtable = Vtable::load(path).map_err(|e| Error::new(&label, ErrorKind::Library(e)))?;
        Self::from_vtable(vtable, &label)
    }

    /// Wraps a statically linked plugin (the `plugin_api` of the SDK's `static_plugin!`), as
    /// `falco_plugin_runner::register_plugin` does. This is the real constructor;
    /// [`Plugin::load`] only adds `dlopen`.
    pub fn from_api(api: &'static ffi::plugin_api) -> Result<Plugin, Error> {
        Self::from_vtable(Vtable::from_static(api), "<static plugin>")
    }

    fn from_vtable(vtable: Vtable, label: &str) -> Result<Plugin, Error> {
        let err = |kind| Error::new(label, kind);
        let api = vtable.api();
        let required = match (api.get_required_api_version, vtable.required_api_version()) {
            (None, _) => return Err(err(ErrorKind::MissingSymbol("get_required_api_version"))),
            (Some(_), v) => v.unwrap_or_default(),
        };
        check_api_version(&required).map_err(err)?;
        for (present, name) in [
            (api.get_version.is_some(), "get_version"),
            (api.get_name.is_some(), "get_name"),
            (api.get_description.is_some(), "get_description"),
            (api.get_contact.is_some(), "get_contact"),
            (api.init.is_some(), "init"),
            (api.destroy.is_some(), "destroy"),
            (api.get_last_error.is_some(), "get_last_error"),
        ] {
            if !present {
                return Err(err(ErrorKind::MissingSymbol(name)));
            }
        }
        let name = vtable.name().unwrap_or_default();
        // From here on errors name the plugin, not its path.
        let err = |kind| Error::new(if name.is_empty() { label } else { &name }, kind);
        let version_string = vtable.version().unwrap_or_default();
        let version = Version::parse(&version_string)
            .ok_or_else(|| err(ErrorKind::InvalidVersion(version_string.clone())))?;
        let (schema_type, schema) = vtable.init_schema();
        let init_schema = schema.filter(|s| {
            !s.is_empty() && schema_type == ffi::ss_plugin_schema_type_SS_PLUGIN_SCHEMA_JSON
        });
        let info = PluginInfo {
            name: name.clone(),
            description: vtable.description().unwrap_or_default(),
            contact: vtable.contact().unwrap_or_default(),
            version_string,
            version,
            required_api_version: required,
            init_schema,
        };
        let caps = read_capabilities(&vtable, &name).map_err(err)?;
        Ok(Plugin { core: Arc::new(Core { vtable, info, caps, owners: Mutex::default() }) })
    }

    /// What the plugin says about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.core.info
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.core.info.name
    }

    /// The plugin's capabilities.
    pub fn caps(&self) -> &Capabilities {
        &self.core.caps
    }

    /// The fields the plugin extracts (empty without the extraction capability).
    pub fn fields(&self) -> &[PluginField] {
        self.core.caps.extract.as_ref().map_or(&[], |e| &e.fields)
    }

    /// Initialises a new instance with `config` and default options (its own table registry,
    /// logs to `tracing`).
    pub fn init(&self, config: &str) -> Result<PluginInstance, Error> {
        self.init_with(config, &InitOptions::default())
    }

    /// Initialises a new instance: validates `config` against the init schema (if the plugin
    /// has one; an empty config is validated as `{}`, and that is what the plugin receives, as
    /// in libsinsp), then calls `init`.
    pub fn init_with(&self, config: &str, opts: &InitOptions) -> Result<PluginInstance, Error> {
        let config = self.validate_config(config)?;
        PluginInstance::init(self.core.clone(), &config, opts)
    }

    pub(crate) fn validate_config(&self, config: &str) -> Result<String, Error> {
        validate_config(&self.core.info, config).map_err(|k| Error::new(self.name(), k))
    }

    pub(crate) fn new_owner(&self, opts: &InitOptions) -> Arc<Owner> {
        let names: HashSet<String> =
            self.core.caps.async_events.iter().flat_map(|a| a.names.iter().cloned()).collect();
        let owner = Arc::new(Owner::new(self.name(), opts.log.clone(), opts.tables.clone(), names));
        crate::owner::lock(&self.core.owners).push(owner.clone());
        owner
    }
}

pub(crate) fn validate_config(info: &PluginInfo, config: &str) -> Result<String, ErrorKind> {
    let Some(schema) = &info.init_schema else {
        return Ok(config.to_string());
    };
    let schema: serde_json::Value = match serde_json::from_str(schema) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => {
            return Err(ErrorKind::Metadata("get_init_schema did not return a json object".into()));
        }
    };
    let config = if config.is_empty() { "{}" } else { config };
    let value: serde_json::Value = serde_json::from_str(config)
        .map_err(|_| ErrorKind::InitConfig("init config is not a valid json".into()))?;
    let validator = jsonschema::validator_for(&schema).map_err(|e| {
        ErrorKind::Metadata(format!("get_init_schema returned an invalid schema: {e}"))
    })?;
    if let Some(e) = validator.iter_errors(&value).next() {
        let path = e.instance_path().to_string();
        let path = if path.is_empty() { "/".to_string() } else { path };
        return Err(ErrorKind::InitConfig(format!("In {path}, {e}")));
    }
    Ok(config.to_string())
}

fn read_capabilities(vtable: &Vtable, name: &str) -> Result<Capabilities, ErrorKind> {
    let api = vtable.api();
    let a1 = &api.__bindgen_anon_1;
    let a2 = &api.__bindgen_anon_2;
    let a4 = &api.__bindgen_anon_4;
    let a5 = &api.__bindgen_anon_5;
    let mut broken = Vec::new();
    let mut caps = Capabilities::default();
    let mut any = false;

    if a1.open.is_some() && a1.close.is_some() && a1.next_batch.is_some() {
        let id = vtable.id().unwrap_or(0);
        let source = vtable.event_source().unwrap_or_default();
        let has_id = a1.get_id.is_some() && id != 0;
        let has_source = a1.get_event_source.is_some() && !source.is_empty();
        if has_id == has_source {
            if has_id && source == SYSCALL_SOURCE {
                return Err(ErrorKind::ReservedSource);
            }
            let (id, event_source) = if has_id { (id, source) } else { (0, String::new()) };
            caps.source = Some(SourceCaps { id, event_source });
            any = true;
        } else {
            broken.push("must implement both 'plugin_get_id' and 'plugin_get_event_source' or neither (event sourcing)");
        }
    } else if a1.open.is_some() || a1.close.is_some() || a1.next_batch.is_some() {
        broken.push("must implement all of 'plugin_open', 'plugin_close', and 'plugin_next_batch' (event sourcing)");
    }

    let extract = a2.get_fields.is_some() && a2.extract_fields.is_some();
    if !extract && a2.extract_fields.is_some() {
        broken.push("must implement both 'plugin_get_fields' and 'plugin_extract_fields' (field extraction)");
    }
    let parse = api.__bindgen_anon_3.parse_event.is_some();
    let asyn = a4.get_async_events.is_some() && a4.set_async_event_handler.is_some();
    if !asyn && a4.set_async_event_handler.is_some() {
        broken.push("must implement both 'plugin_get_async_events' and 'plugin_set_async_event_handler' (async events)");
    }
    caps.capture_listening = a5.capture_open.is_some() && a5.capture_close.is_some();
    if !caps.capture_listening && a5.capture_open.is_some() {
        broken.push("must implement both 'plugin_capture_open' and 'plugin_capture_close' (capture listening)");
    }
    if !broken.is_empty() {
        return Err(ErrorKind::BrokenCapabilities(broken.join(", ")));
    }
    if !(any || extract || parse || asyn || caps.capture_listening) {
        return Err(ErrorKind::NoCapabilities);
    }

    // A source plugin extracts from, parses and injects into its own source unless it says
    // otherwise (`resolve_dylib_compatible_sources`).
    let own = caps.source.as_ref().map(|s| s.event_source.clone()).filter(|s| !s.is_empty());
    let with_own = |mut v: Vec<String>| {
        if let Some(own) = &own {
            if !v.is_empty() && !v.contains(own) {
                v.push(own.clone());
            }
        }
        v
    };
    let in_plugin = |e: String| ErrorKind::Metadata(format!("error in plugin {name}: {e}"));
    if extract {
        let json = vtable
            .fields_json()
            .ok_or_else(|| in_plugin("get_fields returned a null string".into()))?;
        let fields = parse_fields(name, &json).map_err(in_plugin)?;
        let sources = parse_string_list(
            "get_extract_event_sources",
            vtable.extract_event_sources().as_deref(),
            true,
        )
        .map_err(in_plugin)?;
        caps.extract = Some(ExtractCaps { fields, sources: own_or(with_own(sources), &own) });
    }
    if parse {
        let sources = parse_string_list(
            "get_parse_event_sources",
            vtable.parse_event_sources().as_deref(),
            true,
        )
        .map_err(in_plugin)?;
        caps.parse = Some(ParseCaps { sources: own_or(with_own(sources), &own) });
    }
    if asyn {
        let sources = parse_string_list(
            "get_async_event_sources",
            vtable.async_event_sources().as_deref(),
            true,
        )
        .map_err(in_plugin)?;
        let names = parse_string_list("get_async_events", vtable.async_events().as_deref(), false)
            .map_err(in_plugin)?;
        caps.async_events = Some(AsyncCaps { sources: own_or(with_own(sources), &own), names });
    }
    Ok(caps)
}

/// A source plugin that declares no compatible sources works on its own source only.
fn own_or(sources: Vec<String>, own: &Option<String>) -> Vec<String> {
    match own {
        Some(own) if sources.is_empty() => vec![own.clone()],
        _ => sources,
    }
}
