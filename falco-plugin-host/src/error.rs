//! Errors of the plugin host.
//!
//! Every error names the plugin it is about (its name once known, else the library path) and
//! says what went wrong in one sentence, so the CLI can print it as one line:
//! `plugin 'cloudtrail': could not initialize plugin: missing S3 bucket`.

use std::fmt;

/// An error of the plugin host: which plugin, and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    plugin: String,
    kind: ErrorKind,
}

impl Error {
    /// An error about the plugin named (or located at) `plugin`.
    pub fn new(plugin: impl Into<String>, kind: ErrorKind) -> Error {
        Error { plugin: plugin.into(), kind }
    }

    /// The plugin's name, or its library path when the name is not known yet.
    pub fn plugin(&self) -> &str {
        &self.plugin
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plugin '{}': {}", self.plugin, self.kind)
    }
}

impl std::error::Error for Error {}

/// What went wrong with a plugin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The library file could not be opened (missing, not a shared library, wrong arch).
    #[error("can't load plugin dynamic library: {0}")]
    Library(String),
    /// A symbol every plugin must export is missing.
    #[error("required symbol not implemented: '{0}'")]
    MissingSymbol(&'static str),
    /// The plugin's required API version string does not parse.
    #[error("plugin provided an invalid required API version: '{0}'")]
    InvalidApiVersion(String),
    /// The plugin needs a plugin API this host does not serve.
    #[error(
        "plugin required API version '{required}' not compatible with the framework's API \
         version '{host}': {reason}"
    )]
    IncompatibleApiVersion {
        /// The version the plugin requires.
        required: String,
        /// The version this host implements.
        host: String,
        /// Why they are incompatible.
        reason: &'static str,
    },
    /// The plugin's own version string does not parse.
    #[error("plugin provided an invalid version string: '{0}'")]
    InvalidVersion(String),
    /// The plugin exports half of a capability (e.g. `open` without `next_batch`).
    #[error("broken plugin capabilities: {0}")]
    BrokenCapabilities(String),
    /// The plugin exports no capability at all.
    #[error("plugin does not implement any capability")]
    NoCapabilities,
    /// The plugin declares the event source reserved for syscalls.
    #[error("plugin can't implement the reserved event source 'syscall'")]
    ReservedSource,
    /// The plugin's self-description (fields JSON, source lists, ...) is malformed.
    #[error("{0}")]
    Metadata(String),
    /// The init config does not validate against the plugin's init schema.
    #[error("init config: {0}")]
    InitConfig(String),
    /// The plugin's `init` failed.
    #[error("could not initialize plugin: {0}")]
    Init(String),
    /// A capability was used that the plugin does not have.
    #[error("plugin does not support {0}")]
    NotSupported(&'static str),
    /// `open` failed.
    #[error("could not open event source: {0}")]
    Open(String),
    /// `list_open_params` failed or returned malformed JSON.
    #[error("list_open_params failed: {0}")]
    OpenParams(String),
    /// `next_batch` failed.
    #[error("could not read the next events: {0}")]
    NextBatch(String),
    /// The plugin produced an event that is not a well-formed libs event.
    #[error("malformed plugin event: {0}")]
    MalformedEvent(String),
    /// `extract_fields` failed.
    #[error("extraction of field '{field}' failed: {message}")]
    Extract {
        /// The field being extracted.
        field: String,
        /// The plugin's last error.
        message: String,
    },
    /// `parse_event` failed.
    #[error("event parsing failed: {0}")]
    Parse(String),
    /// Setting up or tearing down async events failed.
    #[error("async events: {0}")]
    Async(String),
    /// `capture_open` or `capture_close` failed.
    #[error("capture listening: {0}")]
    CaptureListen(String),
    /// Two plugins export the same field for one event source.
    #[error(
        "supports extraction of field '{field}' that is overlapping for source '{source_name}'"
    )]
    OverlappingField {
        /// The field name.
        field: String,
        /// The event source both plugins extract from.
        source_name: String,
    },
    /// `set_config` failed.
    #[error("could not update plugin config: {0}")]
    SetConfig(String),
}
