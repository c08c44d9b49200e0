//! Falco's rules language and a rule engine partitioned by event source.
//!
//! Users of Falco write rules in YAML files: lists, macros and rules whose conditions use
//! Falco's filter language (`evt.type = open and proc.name in (cat, less)`). This crate reads
//! those files exactly as Falco does (same errors and warnings, same codes), compiles every
//! rule against the field schema of its own event source, and matches events.
//!
//! - [`Schema`] / [`FieldInfo`]: the fields one event source offers (the seam with
//!   inspectors).
//! - [`Event`]: what the engine reads of any event (type code, timestamp).
//! - [`Extractor`]: produces field values for the current event into a reused [`Values`]
//!   buffer.
//! - [`Engine`]: register sources, load rules files ([`LoadResult`] per file), select rules,
//!   build [`Rules`] snapshots.
//! - [`Rules`] / [`SourceRules`]: the immutable, `Send + Sync` compiled rules; a source thread
//!   matches events with [`SourceRules::run`] and its own [`Scratch`].
//!
//! ```
//! use falco_engine::*;
//!
//! // A source with two fields.
//! let mut schema = Schema::new("demo");
//! schema.add_field(FieldInfo::new("demo.user", FieldType::CharBuf, "the user"))?;
//! schema.add_field(FieldInfo::new("demo.count", FieldType::U64, "a counter"))?;
//! let mut engine = Engine::new();
//! let demo = engine.add_source(schema)?;
//!
//! let res = engine.load_rules(r#"
//! - list: admins
//!   items: [root, admin]
//! - rule: admin activity
//!   desc: an admin did many things
//!   condition: demo.user in (admins) and demo.count > 10
//!   output: "%demo.user did %demo.count things"
//!   priority: WARNING
//!   source: demo
//! "#, "demo.yaml");
//! assert!(res.successful(), "{}", res.summary());
//!
//! // Events and an extractor for them.
//! struct Ev { user: &'static str, count: u64 }
//! impl Event for Ev {
//!     fn event_type(&self) -> EventType { EventType::PLUGIN_EVENT }
//!     fn timestamp(&self) -> u64 { 0 }
//! }
//! struct Fields;
//! impl Extractor for Fields {
//!     type Event<'e> = Ev;
//!     fn extract(&mut self, e: &Ev, f: &FieldRef, out: &mut ValueSink<'_>) {
//!         match f.id.0 {
//!             0 => out.push_str(e.user),
//!             _ => out.push_u64(e.count),
//!         }
//!     }
//! }
//!
//! let rules = engine.rules();
//! let source = rules.source(demo).unwrap();
//! let (mut scratch, mut matches) = (Scratch::default(), Vec::new());
//! let evt = Ev { user: "root", count: 42 };
//! source.run(RulesetId::DEFAULT, RuleMatching::First, &evt, &mut Fields, &mut scratch, &mut matches);
//! assert_eq!(matches.len(), 1);
//! let mut text = String::new();
//! source.format_output(matches[0], &evt, &mut Fields, &mut scratch, &mut text);
//! assert_eq!(text, "root did 42 things");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]

mod engine;
mod event;
mod extract;
pub mod filter;
pub mod format;
mod ids;
mod priority;
pub mod rules;
mod ruleset;
mod schema;

pub use engine::{ENGINE_VERSION, Engine, EngineError, NameMatch};
pub use event::Event;
pub use extract::{
    ByteWriter, Extractor, Value, ValueSink, Values, default_render_text, render_values,
};
pub use filter::program::Scratch;
pub use ids::{EventType, FieldId, PluginId, RuleId, RulesetId, SourceIdx};
pub use priority::{Priority, UnknownPriority};
pub use rules::compiler::{CompiledRule, ExtraField, ExtraOutput};
pub use rules::items::Version;
pub use rules::result::{ErrorCode, LoadResult, WarningCode};
pub use ruleset::{RuleEntry, RuleMatching, Rules, SourceRules};
pub use schema::{
    ArgSpec, DuplicateField, EventTypeTable, FieldArg, FieldInfo, FieldRef, FieldType,
    Multiplicity, Schema, TypeClass,
};
