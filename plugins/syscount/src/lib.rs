//! `syscount`: an extractor + parser test plugin for the `syscall` source, built with the
//! official Rust SDK: what Falco's extractor plugins on syscalls (e.g. `container`) look like
//! to the host.
//!
//! - parsing: counts the syscall events it is given, and the `open`/`openat` exits among them
//!   (event types 3 and 307);
//! - fields: `syscount.parsed` (events parsed so far, parsing runs before extraction),
//!   `syscount.opens` (openat exits parsed so far), `syscount.type` (the event type code read
//!   from the event the host passes), `syscount.tid` (its thread id);
//! - init config: a prefix for `syscount.tag` (default `sc`), which renders `<prefix>-<type>`.
#![allow(elided_lifetimes_in_paths)]

use std::ffi::{CStr, CString};

use falco_plugin::anyhow::Error;
use falco_plugin::base::Plugin;
use falco_plugin::event::events::RawEvent;
use falco_plugin::extract::{EventInput, ExtractFieldInfo, ExtractPlugin, ExtractRequest, field};
use falco_plugin::parse::{ParseInput, ParsePlugin};
use falco_plugin::tables::TablesInput;
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

/// The plugin.
pub struct SyscountPlugin {
    prefix: String,
    parsed: u64,
    opens: u64,
}

impl Plugin for SyscountPlugin {
    const NAME: &'static CStr = c"syscount";
    const PLUGIN_VERSION: &'static CStr = c"0.2.0";
    const DESCRIPTION: &'static CStr = c"Counts and tags syscall events";
    const CONTACT: &'static CStr = c"falco-rs test suite";
    type ConfigType = String;

    fn new(_input: Option<&TablesInput>, config: String) -> Result<Self, Error> {
        let prefix = if config.is_empty() { "sc".to_string() } else { config };
        Ok(SyscountPlugin { prefix, parsed: 0, opens: 0 })
    }
}

impl ParsePlugin for SyscountPlugin {
    type Event<'a> = SysEvent;

    fn parse_event(
        &mut self,
        event: &EventInput<SysEvent>,
        _input: &ParseInput,
    ) -> Result<(), Error> {
        let e = event.event()?;
        self.parsed += 1;
        if OPEN_EXITS.contains(&e.event_type) {
            self.opens += 1;
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
    ];
}

plugin!(SyscountPlugin);
parse_plugin!(SyscountPlugin);
extract_plugin!(SyscountPlugin);
