//! `syscount`: an extractor + parser test plugin for the `syscall` source, built with the
//! official Rust SDK: what Falco's extractor plugins on syscalls (e.g. `container`) look like
//! to the host.
//!
//! - parsing: counts the syscall events it is given, and the `open`/`openat` exits among them
//!   (event types 3 and 307);
//! - fields: `syscount.parsed` (events parsed so far, parsing runs before extraction),
//!   `syscount.opens` (openat exits parsed so far), `syscount.type` (the event type code read
//!   from the event the host passes), `syscount.tid` (its thread id);
//! - init config: a prefix for `syscount.tag` (default `sc`), which renders `<prefix>-<type>`;
//! - the host's thread table (`threads`, as libsinsp offers it), when there is one: parsing
//!   counts open/openat exits per thread in a field it adds (`syscount_opens`), read back by
//!   `syscount.thread_opens`; `syscount.comm` reads the `comm` of the event's thread from the
//!   table, `syscount.ppid` its `ptid`'s `pid`.
#![allow(elided_lifetimes_in_paths)]

use std::ffi::{CStr, CString};
use std::sync::Arc;

use falco_plugin::anyhow::Error;
use falco_plugin::base::Plugin;
use falco_plugin::event::events::RawEvent;
use falco_plugin::extract::{EventInput, ExtractFieldInfo, ExtractPlugin, ExtractRequest, field};
use falco_plugin::parse::{ParseInput, ParsePlugin};
use falco_plugin::tables::{TablesInput, import};
use falco_plugin::{extract_plugin, parse_plugin, plugin};

/// The `open` and `openat` exit event codes (`PPME_SYSCALL_OPEN_X`, `PPME_SYSCALL_OPENAT_2_X`).
const OPEN_EXITS: [u16; 2] = [3, 307];

/// A syscall event: any type, source `syscall` only.
pub struct SysEvent {
    event_type: u16,
    tid: u64,
}

impl falco_plugin::event::events::AnyEventPayload for SysEvent {
    const SOURCES: &'static [Option<&'static str>] = &[Some("syscall")];
    const EVENT_TYPES: &'static [u16] = &[];
}

impl<'a, 'b> From<&'b RawEvent<'a>> for SysEvent {
    fn from(raw: &'b RawEvent<'a>) -> Self {
        SysEvent { event_type: raw.event_type, tid: raw.metadata.tid as u64 }
    }
}

/// An entry of the host's `threads` table.
pub type Thread = import::Entry<Arc<ThreadMetadata>>;
/// The host's `threads` table.
pub type Threads = import::Table<i64, Thread>;

/// The fields of `threads` the plugin uses.
#[derive(import::TableMetadata)]
#[entry_type(Thread)]
#[accessors_mod(thread_accessors)]
pub struct ThreadMetadata {
    comm: import::Field<CStr, Thread>,
    pid: import::Field<i64, Thread>,
    ptid: import::Field<i64, Thread>,
    #[custom]
    syscount_opens: import::Field<u64, Thread>,
}

use thread_accessors::*;

/// The plugin.
pub struct SyscountPlugin {
    prefix: String,
    parsed: u64,
    opens: u64,
    threads: Option<Threads>,
}

impl Plugin for SyscountPlugin {
    const NAME: &'static CStr = c"syscount";
    const PLUGIN_VERSION: &'static CStr = c"0.2.0";
    const DESCRIPTION: &'static CStr = c"Counts and tags syscall events";
    const CONTACT: &'static CStr = c"falco-rs test suite";
    type ConfigType = String;

    fn new(input: Option<&TablesInput>, config: String) -> Result<Self, Error> {
        let prefix = if config.is_empty() { "sc".to_string() } else { config };
        // Without a thread table (or one without these fields) the table fields fail to extract.
        let threads = input.and_then(|i| i.get_table(c"threads").ok());
        Ok(SyscountPlugin { prefix, parsed: 0, opens: 0, threads })
    }
}

impl ParsePlugin for SyscountPlugin {
    type Event<'a> = SysEvent;

    fn parse_event(
        &mut self,
        event: &EventInput<SysEvent>,
        input: &ParseInput,
    ) -> Result<(), Error> {
        let e = event.event()?;
        self.parsed += 1;
        if OPEN_EXITS.contains(&e.event_type) {
            self.opens += 1;
            if let Some(threads) = &self.threads {
                // A thread the host does not know is no error (as with libsinsp's table).
                if let Ok(t) = threads.get_entry(&input.reader, &(e.tid as i64)) {
                    let n = t.get_syscount_opens(&input.reader)?;
                    t.set_syscount_opens(&input.writer, &(n + 1))?;
                }
            }
        }
        Ok(())
    }
}

impl SyscountPlugin {
    fn parsed(&mut self, _req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(self.parsed)
    }

    fn opens(&mut self, _req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(self.opens)
    }

    fn event_type(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(u64::from(req.event.event()?.event_type))
    }

    fn tid(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(req.event.event()?.tid)
    }

    fn thread(&self, req: &ExtractRequest<Self>) -> Result<Thread, Error> {
        let threads = self
            .threads
            .as_ref()
            .ok_or_else(|| falco_plugin::anyhow::anyhow!("no thread table"))?;
        let tid = req.event.event()?.tid as i64;
        threads.get_entry(req.table_reader, &tid)
    }

    fn comm(&mut self, req: ExtractRequest<Self>) -> Result<CString, Error> {
        let t = self.thread(&req)?;
        Ok(t.get_comm(req.table_reader)?.to_owned())
    }

    fn ppid(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        let threads = self
            .threads
            .as_ref()
            .ok_or_else(|| falco_plugin::anyhow::anyhow!("no thread table"))?;
        let ptid = self.thread(&req)?.get_ptid(req.table_reader)?;
        let parent = threads.get_entry(req.table_reader, &ptid)?;
        Ok(parent.get_pid(req.table_reader)? as u64)
    }

    fn thread_opens(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        self.thread(&req)?.get_syscount_opens(req.table_reader)
    }

    fn tag(&mut self, req: ExtractRequest<Self>) -> Result<CString, Error> {
        let t = req.event.event()?.event_type;
        Ok(CString::new(format!("{}-{t}", self.prefix))?)
    }
}

impl ExtractPlugin for SyscountPlugin {
    type Event<'a> = SysEvent;
    type ExtractContext = ();
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("syscount.parsed", &Self::parsed).with_description("syscall events parsed so far"),
        field("syscount.opens", &Self::opens).with_description("open/openat exits parsed so far"),
        field("syscount.type", &Self::event_type).with_description("the event type code"),
        field("syscount.tid", &Self::tid).with_description("the event's thread id"),
        field("syscount.tag", &Self::tag).with_description("<prefix>-<event type>"),
        field("syscount.comm", &Self::comm).with_description("comm of the event's thread"),
        field("syscount.ppid", &Self::ppid).with_description("pid of the thread's parent"),
        field("syscount.thread_opens", &Self::thread_opens)
            .with_description("open/openat exits of the event's thread parsed so far"),
    ];
}

plugin!(SyscountPlugin);
parse_plugin!(SyscountPlugin);
extract_plugin!(SyscountPlugin);
