//! Load Falco plugins (plugin API 3.x) and use them as event sources, field extractors and
//! event parsers, behind a safe API.
//!
//! A Falco plugin is a shared library exporting `plugin_*` functions (the plugin API, C ABI),
//! built with any of the official SDKs (Go, C++, Rust). This crate:
//!
//! - loads it ([`Plugin::load`], or [`Plugin::from_api`] for a statically linked one), checks
//!   its API version and mandatory symbols, reads its info and [`Capabilities`];
//! - initialises instances ([`Plugin::init`]): the init config is validated against the
//!   plugin's JSON schema first; every instance has its own state, so one library can serve
//!   several event sources (design rule L2);
//! - opens event sources ([`SourceInstance`]), whose events arrive in the libs event format
//!   ([`event`]) so they can be written to and read from capture files;
//! - extracts fields ([`PluginInstance::extract`], one field per call, into the engine's
//!   [`ValueSink`](falco_engine::ValueSink)), with schemas from `get_fields` as engine
//!   [`FieldInfo`](falco_engine::FieldInfo)s; parses events; delivers async events; runs
//!   capture-listening routines; reports metrics;
//! - answers the plugins' callbacks: logging, last error, and the table API over a
//!   [`TableRegistry`], including tables the host keeps elsewhere and lends for the length of
//!   a call ([`lent`]: an inspector's thread table).
//!
//! All `unsafe` code is in three modules: `raw` (calls into plugins), `callbacks` (calls from
//! plugins, none of which can unwind) and [`lent`] (a borrowed view reachable from those
//! callbacks while it is lent).
//!
//! ```no_run
//! use falco_plugin_host::{EventBatch, EventInput, Plugin, SourceInstance};
//! use falco_engine::{FieldArg, Values};
//!
//! let plugin = Plugin::load("/usr/share/falco/plugins/libk8saudit.so")?;
//! println!("{} {}", plugin.name(), plugin.info().version);
//! let mut source = SourceInstance::open(plugin.init("")?, "http://:9765/k8s-audit")?;
//! let mut batch = EventBatch::new();
//! source.next_batch(&mut batch)?;
//! let mut values = Values::new();
//! if let Some(event) = batch.get(0) {
//!     let input = EventInput { event, num: 1, source: c"k8s_audit" };
//!     source.instance().extract(&input, 0, &FieldArg::None, &mut values.sink())?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]

mod callbacks;
mod error;
pub mod event;
mod fields;
mod instance;
pub mod lent;
mod listing;
mod owner;
mod plugin;
mod raw;
mod tables;
pub mod test_support;
mod version;

pub use error::{Error, ErrorKind};
pub use fields::PluginField;
pub use instance::{
    BatchStatus, EventBatch, EventInput, Metric, MetricValue, OpenParam, PluginInstance,
    SourceInstance,
};
pub use listing::{format_plugin_info, list_plugins_text, plugin_info_text};
pub use owner::{
    ASYNC_QUEUE_CAPACITY, AsyncEvent, AsyncReceiver, AsyncSender, LogRecord, LogSeverity, LogSink,
    tracing_log_sink,
};
pub use plugin::{
    AsyncCaps, Capabilities, ExtractCaps, InitOptions, ParseCaps, Plugin, PluginInfo,
    SYSCALL_SOURCE, SourceCaps, is_source_compatible,
};
pub use tables::{
    DuplicateTable, EntryId, HostTable, MemTable, StateType, StateValue, TableField, TableRegistry,
};
pub use version::{PluginRequirement, Version, check_plugin_requirements, host_api_version};

/// The `falco_plugin_api` crate whose ABI types this host uses (for [`Plugin::from_api`]).
pub use falco_plugin_api as api;
