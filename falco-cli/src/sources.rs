//! The event sources of a run: what each one is, its field schema, whether it runs.

use std::sync::Arc;

use falco_engine::Schema;

/// Where a source's events come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// Syscalls replayed from a capture file.
    Capture(String),
    /// Live syscalls: no live driver in this build.
    LiveSyscall,
    /// A source plugin (index into the loaded plugins).
    Plugin(usize),
}

/// One event source.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    /// The source name (`syscall`, a plugin's event source).
    pub name: String,
    /// Its fields, including those of compatible extractor plugins.
    pub schema: Arc<Schema>,
    /// Where events come from.
    pub kind: SourceKind,
    /// Whether it runs (after --enable-source/--disable-source).
    pub enabled: bool,
}
