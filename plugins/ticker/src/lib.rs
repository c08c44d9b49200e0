//! `ticker`: a test plugin with every capability but extraction-only ones, built with the
//! official Rust SDK.
//!
//! - source `ticker` (plugin id 1000): `open("N")` produces N events (default 5), one per
//!   batch, with payload `tick <n>` and timestamps `1_000_000 + n`.
//! - event parsing: counts the events it parsed; with `use_table` it also writes, for each
//!   event, an entry keyed by the event number in the host table `tick_counts` (field
//!   `parsed`); with `export_table` the plugin exports `tick_counts` itself and uses it
//!   through the host's table API the same way.
//! - fields: `ticker.n`, `ticker.parsed` (events parsed so far: parsing runs before
//!   extraction), `ticker.from_table` (reads the entry back through the host's table API),
//!   `ticker.routine_runs` (runs of the capture-listening routine).
//! - async events: emits `alarms` events named `ticker_alarm` (payload `alarm <i>`) from
//!   another thread when the handler is set.
//! - capture listening: subscribes a routine on `capture_open`, unsubscribes on close.
#![allow(elided_lifetimes_in_paths)]

use std::ffi::{CStr, CString};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use falco_plugin::anyhow::{self, Error};
use falco_plugin::async_event::{AsyncEventPlugin, AsyncHandler};
use falco_plugin::base::{Json, Plugin};
use falco_plugin::event::PluginEvent;
use falco_plugin::event::events::{Event, EventMetadata};
use falco_plugin::extract::{EventInput, ExtractFieldInfo, ExtractPlugin, ExtractRequest, field};
use falco_plugin::listen::{CaptureListenInput, CaptureListenPlugin, Routine};
use falco_plugin::parse::{ParseInput, ParsePlugin};
use falco_plugin::schemars::JsonSchema;
use falco_plugin::serde::Deserialize;
use falco_plugin::source::{EventBatch, SourcePlugin, SourcePluginInstance};
use falco_plugin::tables::{TablesInput, export, import};
use falco_plugin::{
    FailureReason, async_event_plugin, capture_listen_plugin, extract_plugin, parse_plugin, plugin,
    source_plugin,
};

/// The host table the plugin writes to (`use_table`).
pub type TickTable = import::Table<u64, TickEntry>;
/// One entry of it.
pub type TickEntry = import::Entry<Arc<TickMetadata>>;

/// Fields of `tick_counts` entries.
#[derive(import::TableMetadata)]
#[entry_type(TickEntry)]
#[accessors_mod(tick_accessors)]
pub struct TickMetadata {
    parsed: import::Field<u64, TickEntry>,
}

use tick_accessors::*;

/// The same table, owned by the plugin (`export_table`).
pub type OwnTickTable = export::Table<u64, OwnTick>;

/// An entry of the plugin-owned `tick_counts`.
#[derive(export::Entry)]
pub struct OwnTick {
    /// Events parsed when this entry was written.
    pub parsed: export::Public<u64>,
}

/// Init config.
#[derive(JsonSchema, Deserialize, Default)]
#[schemars(crate = "falco_plugin::schemars")]
#[serde(crate = "falco_plugin::serde", deny_unknown_fields)]
pub struct Config {
    /// Async events to emit once the handler is set.
    #[serde(default)]
    pub alarms: u64,
    /// Write parsed events into the table `tick_counts` (the host's).
    #[serde(default)]
    pub use_table: bool,
    /// Export `tick_counts` from the plugin itself (then used like the host's).
    #[serde(default)]
    pub export_table: bool,
}

/// The plugin.
pub struct TickerPlugin {
    parsed: u64,
    table: Option<TickTable>,
    #[allow(dead_code)] // keeps the exported table alive
    own_table: Option<Box<OwnTickTable>>,
    alarms: u64,
    routine: Option<Routine>,
    routine_runs: Arc<AtomicU64>,
}

impl Plugin for TickerPlugin {
    const NAME: &'static CStr = c"ticker";
    const PLUGIN_VERSION: &'static CStr = c"0.1.0";
    const DESCRIPTION: &'static CStr = c"Ticks, parses its ticks, raises alarms";
    const CONTACT: &'static CStr = c"falco-rs test suite";
    type ConfigType = Json<Config>;

    fn new(input: Option<&TablesInput>, Json(config): Self::ConfigType) -> Result<Self, Error> {
        let mut own_table = None;
        let table = if config.use_table || config.export_table {
            let input = input.ok_or_else(|| anyhow::anyhow!("no table access"))?;
            if config.export_table {
                own_table = Some(input.add_table(OwnTickTable::new(c"tick_counts")?)?);
            }
            Some(input.get_table(c"tick_counts")?)
        } else {
            None
        };
        Ok(TickerPlugin {
            parsed: 0,
            table,
            own_table,
            alarms: config.alarms,
            routine: None,
            routine_runs: Arc::default(),
        })
    }
}

/// An open `ticker` source.
pub struct TickerInstance {
    n: u64,
    total: u64,
}

type TickEvent<'a> = Event<PluginEvent<&'a [u8]>>;

impl SourcePluginInstance for TickerInstance {
    type Plugin = TickerPlugin;

    fn next_batch(
        &mut self,
        _plugin: &mut TickerPlugin,
        batch: &mut EventBatch,
    ) -> Result<(), Error> {
        if self.n >= self.total {
            return Err(anyhow::anyhow!("done").context(FailureReason::Eof));
        }
        self.n += 1;
        let payload = format!("tick {}", self.n);
        let mut event = Self::plugin_event(payload.as_bytes());
        event.metadata = EventMetadata { ts: 1_000_000 + self.n, ..EventMetadata::default() };
        batch.add(event)?;
        Ok(())
    }
}

impl SourcePlugin for TickerPlugin {
    type Instance = TickerInstance;
    const EVENT_SOURCE: &'static CStr = c"ticker";
    const PLUGIN_ID: u32 = 1000;
    type Event<'a> = TickEvent<'a>;

    fn open(&mut self, params: Option<&str>) -> Result<TickerInstance, Error> {
        let p = params.unwrap_or("").trim();
        let total = if p.is_empty() { 5 } else { p.parse()? };
        Ok(TickerInstance { n: 0, total })
    }

    fn event_to_string(&mut self, event: &EventInput<TickEvent<'_>>) -> Result<CString, Error> {
        let event = event.event()?;
        Ok(CString::new(event.params.event_data.to_vec())?)
    }
}

impl ParsePlugin for TickerPlugin {
    type Event<'a> = TickEvent<'a>;

    fn parse_event(
        &mut self,
        event: &EventInput<TickEvent<'_>>,
        input: &ParseInput,
    ) -> Result<(), Error> {
        let num = event.event_number() as u64;
        event.event()?;
        self.parsed += 1;
        if let Some(table) = &self.table {
            let entry = table.create_entry(&input.writer)?;
            entry.set_parsed(&input.writer, &self.parsed)?;
            table.insert(&input.reader, &input.writer, &num, entry)?;
        }
        Ok(())
    }
}

impl TickerPlugin {
    fn n(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        let event = req.event.event()?;
        let text = std::str::from_utf8(event.params.event_data)?;
        Ok(text.trim_start_matches("tick ").parse()?)
    }

    fn parsed(&mut self, _req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(self.parsed)
    }

    fn stored_count(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        let table = self.table.as_ref().ok_or_else(|| anyhow::anyhow!("no table"))?;
        let num = req.event.event_number() as u64;
        let entry = table.get_entry(req.table_reader, &num)?;
        entry.get_parsed(req.table_reader)
    }

    fn routine_runs(&mut self, _req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(self.routine_runs.load(Ordering::Relaxed))
    }
}

impl ExtractPlugin for TickerPlugin {
    type Event<'a> = TickEvent<'a>;
    type ExtractContext = ();
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("ticker.n", &Self::n).with_description("the tick number"),
        field("ticker.parsed", &Self::parsed).with_description("events parsed so far"),
        field("ticker.from_table", &Self::stored_count)
            .with_description("the parsed count stored in the host table"),
        field("ticker.routine_runs", &Self::routine_runs)
            .with_description("runs of the capture-listening routine"),
    ];
}

impl AsyncEventPlugin for TickerPlugin {
    const ASYNC_EVENTS: &'static [&'static str] = &["ticker_alarm"];
    const EVENT_SOURCES: &'static [&'static str] = &["ticker"];

    fn start_async(&mut self, handler: AsyncHandler) -> Result<(), Error> {
        self.stop_async()?;
        let alarms = self.alarms;
        // Emitted from another thread, as real async plugins do, but finished before the
        // handler is reported set, so that tests see every alarm deterministically.
        let thread = std::thread::spawn(move || {
            for i in 0..alarms {
                let data = format!("alarm {i}");
                handler.emit(Self::async_event(c"ticker_alarm", data.as_bytes()))?;
            }
            Ok(())
        });
        thread.join().map_err(|_| anyhow::anyhow!("alarm thread panicked"))?
    }

    fn stop_async(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

impl CaptureListenPlugin for TickerPlugin {
    fn capture_open(&mut self, input: &CaptureListenInput) -> Result<(), Error> {
        let runs = self.routine_runs.clone();
        self.routine = Some(input.thread_pool.subscribe(move || {
            runs.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(1));
            ControlFlow::Continue(())
        })?);
        Ok(())
    }

    fn capture_close(&mut self, input: &CaptureListenInput) -> Result<(), Error> {
        if let Some(r) = self.routine.take() {
            input.thread_pool.unsubscribe(&r)?;
        }
        Ok(())
    }
}

plugin!(TickerPlugin);
source_plugin!(TickerPlugin);
extract_plugin!(TickerPlugin);
parse_plugin!(TickerPlugin);
async_event_plugin!(TickerPlugin);
capture_listen_plugin!(TickerPlugin);
