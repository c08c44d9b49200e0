//! `counter`: a source + extractor test plugin built with the official Rust SDK.
//!
//! - source `counter` (plugin id 999): `open("N")` produces events carrying the numbers
//!   `start, start+step, ...` (N of them; an empty parameter means `events` from the config,
//!   10 by default), in batches of 64;
//!   the payload is the text `"<value> <label>"`.
//! - init config (JSON, with a JSON schema): `{"label": "...", "step": 1, "start": 0,
//!   "start_ts": 0, "events": 10}`; with `start_ts` 0 the plugin leaves timestamps for the
//!   host to fill.
//! - fields: `counter.value`, `counter.label`, `counter.even`, `counter.digits` (list),
//!   `counter.div[N]` (required index), `counter.tag[key]` (required key), `counter.ip`,
//!   `counter.age` (reltime).
//! - metrics: `events`.
//!
//! `PLUGIN_API` is the same plugin as a static vtable, for in-process runners.
#![allow(elided_lifetimes_in_paths)]

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use falco_plugin::anyhow::{self, Error};
use falco_plugin::base::{Json, Metric, MetricLabel, MetricType, MetricValue, Plugin};
use falco_plugin::event::PluginEvent;
use falco_plugin::event::events::{Event, EventMetadata};
use falco_plugin::extract::{EventInput, ExtractFieldInfo, ExtractPlugin, ExtractRequest, field};
use falco_plugin::schemars::JsonSchema;
use falco_plugin::serde::Deserialize;
use falco_plugin::source::{EventBatch, SourcePlugin, SourcePluginInstance};
use falco_plugin::tables::TablesInput;
use falco_plugin::{FailureReason, extract_plugin, plugin, source_plugin};

/// Init config.
#[derive(JsonSchema, Deserialize)]
#[schemars(crate = "falco_plugin::schemars")]
#[serde(crate = "falco_plugin::serde", deny_unknown_fields)]
pub struct Config {
    /// Label carried by every event.
    #[serde(default = "default_label")]
    pub label: String,
    /// Increment between two values (at least 1).
    #[serde(default = "one")]
    #[schemars(range(min = 1))]
    pub step: u64,
    /// First value.
    #[serde(default)]
    pub start: u64,
    /// Timestamp of the first event (ns); 0 leaves timestamps to the host.
    #[serde(default)]
    pub start_ts: u64,
    /// Number of events when the open parameters are empty.
    #[serde(default = "ten")]
    pub events: u64,
}

fn ten() -> u64 {
    10
}

fn default_label() -> String {
    "count".to_string()
}
fn one() -> u64 {
    1
}

/// The plugin.
pub struct CounterPlugin {
    config: Config,
    emitted: u64,
}

impl Plugin for CounterPlugin {
    const NAME: &'static CStr = c"counter";
    const PLUGIN_VERSION: &'static CStr = c"0.3.1";
    const DESCRIPTION: &'static CStr = c"Counts from a configured start, one event per number";
    const CONTACT: &'static CStr = c"falco-rs test suite";
    type ConfigType = Json<Config>;

    fn new(_input: Option<&TablesInput>, Json(config): Self::ConfigType) -> Result<Self, Error> {
        anyhow::ensure!(config.step > 0, "step must be at least 1");
        Ok(CounterPlugin { config, emitted: 0 })
    }

    fn set_config(&mut self, Json(config): Self::ConfigType) -> Result<(), Error> {
        self.config = config;
        Ok(())
    }

    fn get_metrics(&mut self) -> impl IntoIterator<Item = Metric> {
        [Metric::new(
            MetricLabel::new(c"events", MetricType::Monotonic),
            MetricValue::U64(self.emitted),
        )]
    }
}

/// An open `counter` source.
pub struct CounterInstance {
    next: u64,
    remaining: u64,
    total: u64,
    index: u64,
    progress: CString,
}

const BATCH: u64 = 64;

impl SourcePluginInstance for CounterInstance {
    type Plugin = CounterPlugin;

    fn next_batch(
        &mut self,
        plugin: &mut CounterPlugin,
        batch: &mut EventBatch,
    ) -> Result<(), Error> {
        if self.remaining == 0 {
            return Err(anyhow::anyhow!("all numbers counted").context(FailureReason::Eof));
        }
        let n = self.remaining.min(BATCH);
        batch.reserve(n as usize);
        let mut payload = Vec::with_capacity(32);
        for _ in 0..n {
            payload.clear();
            use std::io::Write;
            write!(payload, "{} {}", self.next, plugin.config.label)?;
            let mut event = Self::plugin_event(&payload);
            if plugin.config.start_ts != 0 {
                event.metadata = EventMetadata {
                    ts: plugin.config.start_ts + self.index * 1_000,
                    ..EventMetadata::default()
                };
            }
            batch.add(event)?;
            self.next += plugin.config.step;
            self.index += 1;
        }
        self.remaining -= n;
        plugin.emitted += n;
        Ok(())
    }

    fn get_progress(&mut self) -> falco_plugin::source::ProgressInfo<'_> {
        let done = self.total - self.remaining;
        let pct = if self.total == 0 { 100.0 } else { done as f64 * 100.0 / self.total as f64 };
        self.progress = CString::new(format!("{done}/{}", self.total)).unwrap_or_default();
        falco_plugin::source::ProgressInfo { value: pct, detail: Some(&self.progress) }
    }
}

type CounterEvent<'a> = Event<PluginEvent<&'a [u8]>>;

impl SourcePlugin for CounterPlugin {
    type Instance = CounterInstance;
    const EVENT_SOURCE: &'static CStr = c"counter";
    const PLUGIN_ID: u32 = 999;
    type Event<'a> = CounterEvent<'a>;

    fn list_open_params(&mut self) -> Result<&CStr, Error> {
        Ok(cr#"[{"value":"10","desc":"count ten numbers"},{"value":"1000000","desc":"count a million numbers"}]"#)
    }

    fn open(&mut self, params: Option<&str>) -> Result<CounterInstance, Error> {
        let params = params.unwrap_or("").trim();
        let total = if params.is_empty() {
            self.config.events
        } else {
            params.parse().map_err(|_| {
                anyhow::anyhow!("open params must be a number of events, got '{params}'")
            })?
        };
        Ok(CounterInstance {
            next: self.config.start,
            remaining: total,
            total,
            index: 0,
            progress: CString::default(),
        })
    }

    fn event_to_string(&mut self, event: &EventInput<CounterEvent<'_>>) -> Result<CString, Error> {
        let event = event.event()?;
        let (value, label) = split(event.params.event_data)?;
        Ok(CString::new(format!("counter={value} label={label}"))?)
    }
}

fn split(data: &[u8]) -> Result<(u64, &str), Error> {
    let text = std::str::from_utf8(data)?;
    let (value, label) = text.split_once(' ').unwrap_or((text, ""));
    Ok((value.parse()?, label))
}

impl CounterPlugin {
    fn payload<'a>(req: &ExtractRequest<'_, '_, 'a, '_, Self>) -> Result<(u64, String), Error> {
        let event = req.event.event()?;
        let (v, l) = split(event.params.event_data)?;
        Ok((v, l.to_string()))
    }

    fn value(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(Self::payload(&req)?.0)
    }

    fn label(&mut self, req: ExtractRequest<Self>) -> Result<CString, Error> {
        Ok(CString::new(Self::payload(&req)?.1)?)
    }

    fn even(&mut self, req: ExtractRequest<Self>) -> Result<bool, Error> {
        Ok(Self::payload(&req)?.0 % 2 == 0)
    }

    fn digits(&mut self, req: ExtractRequest<Self>) -> Result<Vec<u64>, Error> {
        let v = Self::payload(&req)?.0;
        Ok(v.to_string().bytes().map(|b| u64::from(b - b'0')).collect())
    }

    fn div(&mut self, req: ExtractRequest<Self>, by: u64) -> Result<u64, Error> {
        anyhow::ensure!(by != 0, "division by zero");
        Ok(Self::payload(&req)?.0 / by)
    }

    fn tag(&mut self, req: ExtractRequest<Self>, key: &CStr) -> Result<Option<CString>, Error> {
        let (v, l) = Self::payload(&req)?;
        Ok(match key.to_bytes() {
            b"label" => Some(CString::new(l)?),
            b"parity" => Some(if v % 2 == 0 { c"even" } else { c"odd" }.to_owned()),
            _ => None,
        })
    }

    fn ip(&mut self, req: ExtractRequest<Self>) -> Result<IpAddr, Error> {
        let v = Self::payload(&req)?.0;
        Ok(IpAddr::V4(Ipv4Addr::new(10, 0, (v >> 8) as u8, v as u8)))
    }

    fn age(&mut self, req: ExtractRequest<Self>) -> Result<Duration, Error> {
        Ok(Duration::from_nanos(Self::payload(&req)?.0))
    }
}

impl ExtractPlugin for CounterPlugin {
    type Event<'a> = CounterEvent<'a>;
    type ExtractContext = ();
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("counter.value", &Self::value)
            .with_display("Value")
            .with_description("the number carried by the event"),
        field("counter.label", &Self::label).with_description("the configured label").add_output(),
        field("counter.even", &Self::even).with_description("true for even numbers"),
        field("counter.digits", &Self::digits).with_description("the decimal digits of the number"),
        field("counter.div", &Self::div).with_description("the number divided by the argument"),
        field("counter.tag", &Self::tag).with_description("'label' or 'parity' of the number"),
        field("counter.ip", &Self::ip).with_description("an address derived from the number"),
        field("counter.age", &Self::age).with_description("the number as a duration in ns"),
    ];
}

plugin!(CounterPlugin);
source_plugin!(CounterPlugin);
extract_plugin!(CounterPlugin);

/// The same plugin as a statically linked vtable (for `falco_plugin_runner` and
/// `falco_plugin_host::Plugin::from_api`).
pub static PLUGIN_API: falco_plugin::api::plugin_api = __plugin_base_api();
