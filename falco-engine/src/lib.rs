//! Falco's rules language and a rule engine partitioned by event source.
//!
//! (Work in progress: this crate currently holds the seams other crates build on.)
//!
//! - [`Schema`] / [`FieldInfo`]: the fields one event source offers.
//! - [`Event`]: what the engine reads of any event (type code, timestamp).
//! - [`Extractor`]: produces field values for the current event into a reused [`Values`]
//!   buffer.
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]

mod event;
mod extract;
pub mod filter;
mod ids;
mod priority;
pub mod rules;
mod schema;

pub use event::Event;
pub use extract::{ByteWriter, Extractor, Value, ValueSink, Values};
pub use ids::{EventType, FieldId, PluginId, RuleId, RulesetId, SourceIdx};
pub use priority::{Priority, UnknownPriority};
pub use schema::{
    ArgSpec, DuplicateField, EventTypeTable, FieldArg, FieldInfo, FieldRef, FieldType,
    Multiplicity, Schema, TypeClass,
};
