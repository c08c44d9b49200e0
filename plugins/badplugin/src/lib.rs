//! `badplugin`: a deliberately misbehaving test plugin (source `bad`, plugin id 1001), built
//! with the official Rust SDK.
//!
//! The init config is a comma-separated list of misbehaviours:
//!
//! - `fail_init`: `init` fails with "refusing to start: fail_init requested";
//! - `fail_after=N`: `next_batch` fails once N events were produced;
//! - `bad_len_at=N`: event N declares a data length larger than the event;
//! - `short_at=N`: event N has a header length shorter than a header;
//! - `wrong_id_at=N`: event N carries another plugin's id;
//! - `fail_extract`: every extraction fails.
//!
//! Without any, it produces `open("N")` (default 10) well-formed events, one per batch, and
//! extracts `bad.n`.
#![allow(elided_lifetimes_in_paths)]

use std::ffi::{CStr, CString};

use falco_plugin::anyhow::{self, Error};
use falco_plugin::base::Plugin;
use falco_plugin::event::events::RawEvent;
use falco_plugin::extract::{EventInput, ExtractFieldInfo, ExtractPlugin, ExtractRequest, field};
use falco_plugin::source::{EventBatch, SourcePlugin, SourcePluginInstance};
use falco_plugin::tables::TablesInput;
use falco_plugin::{FailureReason, extract_plugin, plugin, source_plugin};

const ID: u32 = 1001;

/// The plugin.
#[derive(Default)]
pub struct BadPlugin {
    fail_after: Option<u64>,
    bad_len_at: Option<u64>,
    short_at: Option<u64>,
    wrong_id_at: Option<u64>,
    fail_extract: bool,
}

impl Plugin for BadPlugin {
    const NAME: &'static CStr = c"badplugin";
    const PLUGIN_VERSION: &'static CStr = c"0.0.1";
    const DESCRIPTION: &'static CStr = c"Misbehaves on request";
    const CONTACT: &'static CStr = c"falco-rs test suite";
    type ConfigType = String;

    fn new(_input: Option<&TablesInput>, config: String) -> Result<Self, Error> {
        let mut p = BadPlugin::default();
        for item in config.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            let n = || value.parse::<u64>().map_err(|_| anyhow::anyhow!("bad number in '{item}'"));
            match key {
                "fail_init" => anyhow::bail!("refusing to start: fail_init requested"),
                "fail_after" => p.fail_after = Some(n()?),
                "bad_len_at" => p.bad_len_at = Some(n()?),
                "short_at" => p.short_at = Some(n()?),
                "wrong_id_at" => p.wrong_id_at = Some(n()?),
                "fail_extract" => p.fail_extract = true,
                _ => anyhow::bail!("unknown misbehaviour '{key}'"),
            }
        }
        Ok(p)
    }
}

/// An open `bad` source.
pub struct BadInstance {
    produced: u64,
    total: u64,
    buf: Vec<u8>,
}

/// A plugin event, written by hand so that it can lie about its lengths.
fn event(buf: &mut Vec<u8>, id: u32, data: &[u8], header_len: Option<u32>, data_len: Option<u32>) {
    let len = 26 + 8 + 4 + data.len();
    buf.clear();
    buf.extend_from_slice(&u64::MAX.to_le_bytes());
    buf.extend_from_slice(&u64::MAX.to_le_bytes());
    buf.extend_from_slice(&header_len.unwrap_or(len as u32).to_le_bytes());
    buf.extend_from_slice(&322u16.to_le_bytes());
    buf.extend_from_slice(&2u32.to_le_bytes());
    buf.extend_from_slice(&4u32.to_le_bytes());
    buf.extend_from_slice(&data_len.unwrap_or(data.len() as u32).to_le_bytes());
    buf.extend_from_slice(&id.to_le_bytes());
    buf.extend_from_slice(data);
}

impl SourcePluginInstance for BadInstance {
    type Plugin = BadPlugin;

    fn next_batch(&mut self, plugin: &mut BadPlugin, batch: &mut EventBatch) -> Result<(), Error> {
        if plugin.fail_after == Some(self.produced) {
            anyhow::bail!("simulated failure after {} events", self.produced);
        }
        if self.produced >= self.total {
            return Err(anyhow::anyhow!("done").context(FailureReason::Eof));
        }
        self.produced += 1;
        let n = self.produced;
        let data = n.to_string();
        let at = |x: Option<u64>| x == Some(n);
        let id = if at(plugin.wrong_id_at) { 4242 } else { ID };
        let header_len = at(plugin.short_at).then_some(10);
        let data_len = at(plugin.bad_len_at).then_some(data.len() as u32 + 100);
        event(&mut self.buf, id, data.as_bytes(), header_len, data_len);
        batch.add(self.buf.as_slice())?;
        Ok(())
    }
}

impl SourcePlugin for BadPlugin {
    type Instance = BadInstance;
    const EVENT_SOURCE: &'static CStr = c"bad";
    const PLUGIN_ID: u32 = ID;
    type Event<'a> = RawEvent<'a>;

    fn open(&mut self, params: Option<&str>) -> Result<BadInstance, Error> {
        let p = params.unwrap_or("").trim();
        let total = if p.is_empty() { 10 } else { p.parse()? };
        Ok(BadInstance { produced: 0, total, buf: Vec::new() })
    }

    fn event_to_string(&mut self, _event: &EventInput<RawEvent<'_>>) -> Result<CString, Error> {
        Ok(c"bad event".to_owned())
    }
}

impl BadPlugin {
    fn n(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        anyhow::ensure!(!self.fail_extract, "simulated extraction failure");
        let raw = req.event.event()?;
        let p = raw.payload;
        anyhow::ensure!(p.len() >= 12, "short payload");
        Ok(std::str::from_utf8(&p[12..])?.parse()?)
    }
}

impl ExtractPlugin for BadPlugin {
    type Event<'a> = RawEvent<'a>;
    type ExtractContext = ();
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] =
        &[field("bad.n", &Self::n).with_description("the event number as the plugin sees it")];
}

plugin!(BadPlugin);
source_plugin!(BadPlugin);
extract_plugin!(BadPlugin);
