//! `tagger`: an extractor-only test plugin compatible with two event sources (`counter` and
//! `ticker`), built with the official Rust SDK.
//!
//! Fields: `tagger.len` (payload length), `tagger.words` (payload words, a list),
//! `tagger.source` (the event's source name) and `tagger.seen` (how many distinct events this
//! plugin *instance* extracted from so far: with one instance per source, as design rule L2
//! wants, it counts the events of one source only).
#![allow(elided_lifetimes_in_paths)]

use std::ffi::{CStr, CString};

use falco_plugin::anyhow::{self, Error};
use falco_plugin::base::Plugin;
use falco_plugin::event::events::{AnyEventPayload, RawEvent};
use falco_plugin::extract::{ExtractFieldInfo, ExtractPlugin, ExtractRequest, field};
use falco_plugin::tables::TablesInput;
use falco_plugin::{extract_plugin, plugin};

/// A plugin event of the `counter` or `ticker` source: just its payload.
pub struct TaggedEvent<'a> {
    data: &'a [u8],
}

impl AnyEventPayload for TaggedEvent<'_> {
    const SOURCES: &'static [Option<&'static str>] = &[Some("counter"), Some("ticker")];
    const EVENT_TYPES: &'static [u16] = &[322];
}

/// Why an event is not a plugin event.
#[derive(Debug)]
pub struct NotAPluginEvent;

impl std::fmt::Display for NotAPluginEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a plugin event")
    }
}

impl std::error::Error for NotAPluginEvent {}

impl<'a, 'b> TryFrom<&'b RawEvent<'a>> for TaggedEvent<'a> {
    type Error = NotAPluginEvent;

    fn try_from(raw: &'b RawEvent<'a>) -> Result<Self, Self::Error> {
        // | len(id) u32 | len(data) u32 | id u32 | data |
        let p = raw.payload;
        if raw.event_type != 322 || raw.nparams != 2 || p.len() < 12 {
            return Err(NotAPluginEvent);
        }
        let len = u32::from_le_bytes([p[4], p[5], p[6], p[7]]) as usize;
        let data = p.get(12..12 + len).ok_or(NotAPluginEvent)?;
        Ok(TaggedEvent { data })
    }
}

/// The plugin.
pub struct TaggerPlugin {
    last_event: u64,
    seen: u64,
}

impl Plugin for TaggerPlugin {
    const NAME: &'static CStr = c"tagger";
    const PLUGIN_VERSION: &'static CStr = c"1.2.0";
    const DESCRIPTION: &'static CStr = c"Tags the payload of counter and ticker events";
    const CONTACT: &'static CStr = c"falco-rs test suite";
    type ConfigType = String;

    fn new(_input: Option<&TablesInput>, _config: String) -> Result<Self, Error> {
        Ok(TaggerPlugin { last_event: 0, seen: 0 })
    }
}

impl TaggerPlugin {
    fn data<'a>(req: &ExtractRequest<'_, '_, 'a, '_, Self>) -> Result<Vec<u8>, Error> {
        let raw = req.event.event()?;
        Ok(raw.data.to_vec())
    }

    fn len(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(Self::data(&req)?.len() as u64)
    }

    fn words(&mut self, req: ExtractRequest<Self>) -> Result<Vec<CString>, Error> {
        let data = Self::data(&req)?;
        let text = String::from_utf8_lossy(&data);
        Ok(text.split_whitespace().filter_map(|w| CString::new(w).ok()).collect())
    }

    fn source(&mut self, req: ExtractRequest<Self>) -> Result<CString, Error> {
        let src = req.event.source().ok_or_else(|| anyhow::anyhow!("no event source"))?;
        Ok(src.to_owned())
    }

    fn seen(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        let num = req.event.event_number() as u64;
        if num != self.last_event {
            self.last_event = num;
            self.seen += 1;
        }
        Ok(self.seen)
    }
}

impl ExtractPlugin for TaggerPlugin {
    type Event<'a> = TaggedEvent<'a>;
    type ExtractContext = ();
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("tagger.len", &Self::len).with_description("payload length in bytes"),
        field("tagger.words", &Self::words).with_description("the words of the payload"),
        field("tagger.source", &Self::source).with_description("the event source"),
        field("tagger.seen", &Self::seen)
            .with_description("distinct events this instance extracted from"),
    ];
}

plugin!(TaggerPlugin);
extract_plugin!(TaggerPlugin);
