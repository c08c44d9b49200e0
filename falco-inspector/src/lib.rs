//! Inspectors: one event source each, with its state and its field extractors.
//!
//! An [`Inspector`] opens one event source (a syscall capture file, a plugin source),
//! yields its events one at a time, keeps whatever state the source needs (thread and fd
//! tables for syscalls) and hands out a fresh [`Extractor`] for the
//! source thread that runs it. The engine compiles rules against the inspector's
//! [`Schema`].
//!
//! The syscall source over capture files is [`ScapInspector`]: [`scap`] reads the `.scap`
//! format (every block version, gzip), [`event`] decodes events lazily against the event
//! table generated from the `falco_event_schema` crate, [`state`] keeps threads, fds, users
//! and containers as libsinsp does, and [`fields`] extracts the `evt`, `proc`, `thread`,
//! `fd`, `fs.path`, `user`, `group`, `container` (and `k8s`, always without value) fields.
//!
//! Open a capture, iterate its events and extract fields:
//!
//! ```
//! use falco_engine::Extractor;
//! use falco_inspector::fields::{SyscallExtractor, TimeZone};
//! use falco_inspector::scap::writer::{EventBuilder, Writer};
//! use falco_inspector::{Inspector, ScapInspector};
//!
//! // A tiny capture written with our own writer: bash opens /etc/passwd.
//! let path = std::env::temp_dir().join(format!("doc-{}.scap", std::process::id()));
//! let mut w = Writer::create(&path)?;
//! w.process(1000, 1000, 1, "bash", "/bin/bash", &["-i"], "/root")?;
//! w.event(EventBuilder::open_exit(1_000, 1000, 3, "/etc/passwd", 1))?;
//! w.finish()?;
//!
//! let mut insp = ScapInspector::open(&path)?;
//! let mut x: SyscallExtractor = insp.extractor();
//! x.set_time_zone(TimeZone::Utc);
//! let name = x.field_ref("fd.name").unwrap();
//! let proc_name = x.field_ref("proc.name").unwrap();
//! let evt = insp.next_event()?.expect("one event");
//! assert_eq!(x.text(&evt, &name).as_deref(), Some("/etc/passwd"));
//! assert_eq!(x.text(&evt, &proc_name).as_deref(), Some("bash"));
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]

use std::sync::Arc;

use falco_engine::{Extractor, Schema};

mod capture;
pub mod event;
pub mod extended;
pub mod fields;
mod path;
pub mod plugin_source;
pub mod scap;
pub mod state;

pub use capture::{ScapInspector, SyscallEvent};
pub use plugin_source::{PluginExtractor, PluginInspector, PluginSourceEvent};
pub use scap::{ScapError, ScapErrorKind};

/// What [`Inspector::next`] produced.
#[derive(Debug)]
pub enum Next<E> {
    /// An event.
    Event(E),
    /// No event right now; ask again (live sources).
    Timeout,
    /// The source has no more events.
    Eof,
}

/// Errors of an inspector.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source failed; the message says why.
    #[error("{0}")]
    Source(String),
    /// A capture file could not be read: what and at which byte offset.
    #[error(transparent)]
    Capture(#[from] ScapError),
}

/// One event source with its state and field extractors (design rules D2/D3: one inspector
/// per source, run on one thread).
pub trait Inspector: Send {
    /// The extractor for this source's events; its `Event` type is what [`Inspector::next`]
    /// yields.
    type Extractor: Extractor + Send;

    /// The source name (`syscall`, or a plugin's event source).
    fn source(&self) -> &str;

    /// The fields rules for this source may use.
    fn schema(&self) -> Arc<Schema>;

    /// Opens the source.
    fn open(&mut self) -> Result<(), Error>;

    /// The next event, a timeout, or the end of the source.
    fn next(&mut self) -> Result<Next<<Self::Extractor as Extractor>::Event<'_>>, Error>;

    /// A fresh extractor for the thread running this inspector.
    fn extractor(&self) -> Self::Extractor;

    /// Closes the source.
    fn close(&mut self);
}
