//! Inspectors: one event source each, with its state and its field extractors.
//!
//! An [`Inspector`] opens one event source (a syscall capture file, a plugin source),
//! yields its events one at a time, keeps whatever state the source needs (thread and fd
//! tables for syscalls) and hands out a fresh [`Extractor`](falco_engine::Extractor) for the
//! source thread that runs it. The engine compiles rules against the inspector's
//! [`Schema`](falco_engine::Schema).
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]

use std::sync::Arc;

use falco_engine::{Extractor, Schema};

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
