//! Falco's output engine: one thread-safe queue shared by every source thread, one worker
//! that formats alerts exactly as Falco prints them and sends them to the configured output
//! channels.
//!
//! - [`Alert`]: what a source thread builds when a rule matches (time, rule, priority,
//!   source, output message, typed output fields, tags).
//! - [`OutputEngine`]: [`send`](OutputEngine::send) never blocks (a full queue drops and
//!   counts), [`reopen`](OutputEngine::reopen) for SIGUSR1, [`shutdown`](OutputEngine::shutdown)
//!   delivers everything accepted, [`stats`](OutputEngine::stats) for the summary.
//! - [`Formatter`]: Falco's text line and JSON object, byte for byte.
//! - [`Channel`]: `stdout`, `file`, `program`, `syslog`, `http`, or your own.
//! - [`OutputsConfig`]: the output keys of `falco.yaml` (serde structs, no YAML here).
//!
//! ```
//! use falco_engine::Priority;
//! use falco_outputs::{Alert, Channel, ChannelError, FormatOptions, Message, OutputEngine};
//! use std::sync::{Arc, Mutex};
//!
//! #[derive(Clone, Default)]
//! struct Collect(Arc<Mutex<Vec<String>>>);
//! impl Channel for Collect {
//!     fn name(&self) -> &str { "collect" }
//!     fn emit(&mut self, m: &Message<'_>) -> Result<(), ChannelError> {
//!         self.0.lock().unwrap().push(m.text.to_string());
//!         Ok(())
//!     }
//! }
//!
//! let seen = Collect::default();
//! let opts = FormatOptions { json_output: true, ..FormatOptions::default() };
//! let outputs = OutputEngine::builder(opts).hostname("node-1").channel(seen.clone()).build()?;
//! std::thread::scope(|s| {
//!     for source in ["syscall", "k8s_audit"] {
//!         let outputs = &outputs;
//!         s.spawn(move || {
//!             let alert = Alert::new(0, "my rule", Priority::Notice, source, "something happened")
//!                 .with_field("proc.name", "bash")
//!                 .with_tags(["t2", "t1"]);
//!             outputs.send(alert)
//!         });
//!     }
//! });
//! let stats = outputs.shutdown();
//! assert_eq!(stats.delivered, 2);
//! assert_eq!(stats.by_source["k8s_audit"], 1);
//! let lines = seen.0.lock().unwrap();
//! assert!(lines[0].starts_with(r#"{"hostname":"node-1","output":"#));
//! assert!(lines[0].contains(r#""tags":["t1","t2"],"time":"1970-01-01T00:00:00.000000000Z", "#));
//! assert!(lines[0].ends_with(r#""output_fields": {"evt.time":0,"proc.name":"bash"}}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]

mod alert;
mod channel;
mod config;
mod engine;
mod error;
mod format;
mod json;
mod slot;
mod stats;
mod time;

pub use alert::{Alert, AlertKind, Fields};
pub use channel::{
    Channel, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SYSLOG_SOCKET, FileChannel, HttpChannel, Message,
    ProgramChannel, StdoutChannel, SyslogChannel,
};
pub use config::{
    FileOutput, GrpcOutput, HttpOutput, OutputsConfig, OutputsQueue, ProgramOutput, StdoutOutput,
    SyslogOutput,
};
pub use engine::{Dropped, OutputEngine, OutputEngineBuilder, ShutdownTimeout, system_hostname};
pub use error::{ChannelError, Error, ErrorKind};
pub use format::{FormatOptions, Formatter};
pub use stats::{ChannelStats, Stats};
pub use time::LocalTime;
