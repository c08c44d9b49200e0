//! An inspector over a source plugin: a plugin event source is just another [`Inspector`].
//!
//! Falco gives every plugin event source its own inspector (`init_inspectors.cpp`): the source
//! plugin, plus every loaded plugin that extracts from, parses, or injects async events into
//! that source, each initialised *for this source* (one plugin state per source: design rule
//! L2). Rules for the source may use the generic `evt.*` fields libsinsp offers for every
//! source (`sinsp_filter_check_gen_event`: `evt.num`, `evt.time`, `evt.plugininfo`,
//! `evt.source`, ...) and the fields of the compatible extractor plugins; two providers of one
//! field are refused, as in Falco.
//!
//! Data enters as plugin events (from `next_batch`, or replayed from a capture file with
//! [`PluginInspectorBuilder::build_replay`]) and async events; every event is handed to the
//! parsing plugins, then yielded as a [`PluginSourceEvent`] that borrows the inspector's
//! plugins, so the [`PluginExtractor`] can ask them for field values on the same thread.
//!
//! ```no_run
//! use falco_inspector::plugin_source::PluginInspector;
//! use falco_inspector::{Inspector, Next};
//! use falco_plugin_host::Plugin;
//!
//! let k8saudit = Plugin::load("/usr/share/falco/plugins/libk8saudit.so")?;
//! let json = Plugin::load("/usr/share/falco/plugins/libjson.so")?;
//! let mut insp = PluginInspector::builder(&k8saudit, "", "http://:9765/k8s-audit")
//!     .plugin(&json, "")
//!     .build()?;
//! let field = insp.schema().by_name("ka.verb").expect("a k8saudit field");
//! insp.open()?;
//! while let Next::Event(evt) = insp.next()? {
//!     // evaluate rules with `insp.extractor()` ...
//! #   let _ = (&evt, field);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;
use std::ffi::CString;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Offset, TimeZone as _};
use falco_engine::{
    Event, EventType, Extractor, FieldInfo, FieldRef, FieldType, Schema, ValueSink,
};
use falco_plugin_host::event::{ASYNC_EVENT_TYPE, EventRef, NO_TID, UNSET_TS};
use falco_plugin_host::{
    AsyncReceiver, AsyncSender, BatchStatus, ErrorKind, EventBatch, EventInput, InitOptions,
    LogRecord, LogSeverity, LogSink, Plugin, PluginInstance, SourceInstance, TableRegistry,
    tracing_log_sink,
};

use crate::fields::TimeZone;
use crate::{Error, Inspector, Next};

/// The generic fields of plugin sources (libsinsp's `sinsp_filter_check_gen_event`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gen {
    Num,
    Time,
    TimeS,
    TimeIso8601,
    Datetime,
    DatetimeS,
    Rawtime,
    RawtimeS,
    RawtimeNs,
    Reltime,
    ReltimeS,
    ReltimeNs,
    PluginName,
    PluginInfo,
    Source,
    IsAsync,
    AsyncType,
    Hostname,
}

const GEN_FIELDS: &[(&str, FieldType, Gen, &str)] = &[
    ("evt.num", FieldType::U64, Gen::Num, "event number."),
    (
        "evt.time",
        FieldType::AbsTime,
        Gen::Time,
        "event timestamp as a time string that includes the nanosecond part.",
    ),
    (
        "evt.time.s",
        FieldType::AbsTime,
        Gen::TimeS,
        "event timestamp as a time string with no nanoseconds.",
    ),
    (
        "evt.time.iso8601",
        FieldType::AbsTime,
        Gen::TimeIso8601,
        "event timestamp in ISO 8601 format, including nanoseconds and time zone offset (in UTC).",
    ),
    (
        "evt.datetime",
        FieldType::AbsTime,
        Gen::Datetime,
        "event timestamp as a time string that includes the date.",
    ),
    (
        "evt.datetime.s",
        FieldType::AbsTime,
        Gen::DatetimeS,
        "event timestamp as a datetime string with no nanoseconds.",
    ),
    (
        "evt.rawtime",
        FieldType::AbsTime,
        Gen::Rawtime,
        "absolute event timestamp, i.e. nanoseconds from epoch.",
    ),
    (
        "evt.rawtime.s",
        FieldType::AbsTime,
        Gen::RawtimeS,
        "integer part of the event timestamp (e.g. seconds since epoch).",
    ),
    (
        "evt.rawtime.ns",
        FieldType::AbsTime,
        Gen::RawtimeNs,
        "fractional part of the absolute event timestamp.",
    ),
    (
        "evt.reltime",
        FieldType::RelTime,
        Gen::Reltime,
        "number of nanoseconds from the beginning of the capture.",
    ),
    (
        "evt.reltime.s",
        FieldType::RelTime,
        Gen::ReltimeS,
        "number of seconds from the beginning of the capture.",
    ),
    (
        "evt.reltime.ns",
        FieldType::RelTime,
        Gen::ReltimeNs,
        "fractional part (in ns) of the time from the beginning of the capture.",
    ),
    (
        "evt.pluginname",
        FieldType::CharBuf,
        Gen::PluginName,
        "if the event comes from a plugin-defined event source, the name of the plugin that generated it. The plugin must be currently loaded.",
    ),
    (
        "evt.plugininfo",
        FieldType::CharBuf,
        Gen::PluginInfo,
        "if the event comes from a plugin-defined event source, a summary of the event as formatted by the plugin. The plugin must be currently loaded.",
    ),
    (
        "evt.source",
        FieldType::CharBuf,
        Gen::Source,
        "the name of the source that produced the event.",
    ),
    (
        "evt.is_async",
        FieldType::Bool,
        Gen::IsAsync,
        "'true' for asynchronous events, 'false' otherwise.",
    ),
    (
        "evt.asynctype",
        FieldType::CharBuf,
        Gen::AsyncType,
        "If the event is asynchronous, the type of the event (e.g. 'container').",
    ),
    (
        "evt.hostname",
        FieldType::CharBuf,
        Gen::Hostname,
        "The hostname of the underlying host can be customized by setting an environment variable (e.g. FALCO_HOSTNAME for the Falco agent).",
    ),
];

/// Where the value of one schema field comes from.
#[derive(Clone, Copy, Debug)]
enum Route {
    Gen(Gen),
    /// Static field `i` (falco.yaml `static_fields`).
    Static(usize),
    /// Field `field` of plugin `plugin` (0 is the source plugin, then the other plugins).
    Plugin {
        plugin: usize,
        field: usize,
    },
}

/// Builds a [`PluginInspector`]: the source plugin and the other loaded plugins.
pub struct PluginInspectorBuilder {
    source: Plugin,
    source_config: String,
    open_params: String,
    others: Vec<(Plugin, String)>,
    statics: Vec<(String, String)>,
    tables: Arc<TableRegistry>,
    log: LogSink,
}

impl PluginInspectorBuilder {
    /// Adds a loaded plugin with its init config. It is initialised for this source only if
    /// it extracts from, parses, or injects async events into the source (as Falco registers
    /// plugins per inspector); otherwise it is ignored.
    pub fn plugin(mut self, plugin: &Plugin, init_config: &str) -> Self {
        self.others.push((plugin.clone(), init_config.to_string()));
        self
    }

    /// Fields with a fixed value on every event (falco.yaml `static_fields`), as Falco adds to
    /// every source: key `k` is the field `static.k`.
    pub fn static_fields(mut self, fields: &[(String, String)]) -> Self {
        self.statics = fields.to_vec();
        self
    }

    /// The table registry the source's plugins share (e.g. one with a thread table).
    pub fn tables(mut self, tables: Arc<TableRegistry>) -> Self {
        self.tables = tables;
        self
    }

    /// Where the plugins' log messages go (default: `tracing`).
    pub fn log(mut self, log: LogSink) -> Self {
        self.log = log;
        self
    }

    /// Initialises the plugins and builds the schema; the source is opened by
    /// [`Inspector::open`].
    pub fn build(self) -> Result<PluginInspector, falco_plugin_host::Error> {
        self.build_with(Feed::Live)
    }

    /// Like [`PluginInspectorBuilder::build`], but the events come from `events` (plugin and
    /// async events in the libs format, e.g. read back from a capture file) instead of the
    /// source plugin's `next_batch`.
    pub fn build_replay(
        self,
        events: impl Iterator<Item = Vec<u8>> + Send + 'static,
    ) -> Result<PluginInspector, falco_plugin_host::Error> {
        self.build_with(Feed::Replay(Box::new(events), Vec::new()))
    }

    fn build_with(self, feed: Feed) -> Result<PluginInspector, falco_plugin_host::Error> {
        let Some(src) = self.source.caps().source.clone().filter(|s| s.id != 0) else {
            return Err(falco_plugin_host::Error::new(
                self.source.name(),
                ErrorKind::NotSupported("a plugin event source (no event source with an id)"),
            ));
        };
        let source_name = src.event_source.clone();
        let opts = InitOptions { tables: self.tables.clone(), log: self.log.clone() };
        let source = self.source.init_with(&self.source_config, &opts)?;
        let mut others = Vec::new();
        for (p, config) in &self.others {
            let caps = p.caps();
            let wanted = caps.extracts_from(&source_name)
                || caps.parses(&source_name)
                || caps.injects_into(&source_name);
            if wanted && p.name() != self.source.name() {
                // One instance per source, even if another source uses this plugin too (L2).
                others.push(p.init_with(config, &opts)?);
            }
        }
        let parsers = std::iter::once(&source)
            .chain(others.iter())
            .enumerate()
            .filter(|(_, p)| p.plugin().caps().parses(&source_name))
            .map(|(i, _)| i)
            .collect();
        let ctx = Ctx {
            source_c: CString::new(source_name.clone()).unwrap_or_default(),
            plugin_id: src.id,
            source_plugin: self.source.name().to_string(),
            source: Slot::Idle(source),
            others,
            parsers,
            statics: self.statics.iter().map(|(_, v)| v.clone()).collect(),
            first_ts: None,
            hostname: hostname(),
        };
        let (schema, routes) = build_schema(&source_name, &ctx, &self.statics)?;
        Ok(PluginInspector {
            source_name,
            open_params: self.open_params,
            schema: Arc::new(schema),
            routes: routes.into(),
            ctx,
            feed,
            batch: EventBatch::new(),
            next_in_batch: 0,
            status: None,
            pending_async: None,
            async_buf: Vec::new(),
            async_rx: None,
            async_tx: None,
            num: 0,
            log: self.log,
        })
    }
}

/// Where events come from.
enum Feed {
    /// The source plugin's `next_batch`.
    Live,
    /// Recorded events (and the one being yielded).
    Replay(Box<dyn Iterator<Item = Vec<u8>> + Send>, Vec<u8>),
}

/// The source plugin's instance, before and after `open`.
enum Slot {
    Idle(PluginInstance),
    Open(SourceInstance),
    Gone,
}

/// What events borrow: the plugins and the facts the generic fields need.
struct Ctx {
    source_c: CString,
    plugin_id: u32,
    source_plugin: String,
    source: Slot,
    others: Vec<PluginInstance>,
    /// The plugins (indices as in [`Ctx::plugin`]) that parse this source's events.
    parsers: Vec<usize>,
    /// Values of the static fields.
    statics: Vec<String>,
    first_ts: Option<u64>,
    hostname: String,
}

impl Ctx {
    /// Plugin `i`: 0 is the source plugin, then the others in load order.
    fn plugin(&self, i: usize) -> Option<&PluginInstance> {
        match i {
            0 => match &self.source {
                Slot::Idle(p) => Some(p),
                Slot::Open(s) => Some(s.instance()),
                Slot::Gone => None,
            },
            _ => self.others.get(i - 1),
        }
    }

    fn plugins(&self) -> impl Iterator<Item = &PluginInstance> {
        self.plugin(0).into_iter().chain(self.others.iter())
    }
}

fn build_schema(
    source: &str,
    ctx: &Ctx,
    statics: &[(String, String)],
) -> Result<(Schema, Vec<Route>), falco_plugin_host::Error> {
    let mut schema = Schema::new(source);
    let mut routes = Vec::new();
    for &(name, ty, g, desc) in GEN_FIELDS {
        let mut f = FieldInfo::new(name, ty, desc);
        f.provider = "evt".to_string();
        schema.add_field(f).expect("generic fields are distinct");
        routes.push(Route::Gen(g));
    }
    for (i, (name, _)) in statics.iter().enumerate() {
        // libsinsp's `sinsp_filter_check_static` names them `static.<key>`.
        let name = format!("static.{name}");
        let f = FieldInfo::new(&name, FieldType::CharBuf, "static field from the configuration");
        schema.add_field(f).map_err(|e| {
            falco_plugin_host::Error::new(&ctx.source_plugin, ErrorKind::Metadata(e.to_string()))
        })?;
        routes.push(Route::Static(i));
    }
    let count = 1 + ctx.others.len();
    for pi in 0..count {
        let Some(p) = ctx.plugin(pi) else { continue };
        if !p.plugin().caps().extracts_from(source) {
            continue;
        }
        // Falco checks all of a plugin's fields against those already there before adding any.
        if let Some(f) = p.fields().iter().find(|f| schema.by_name(&f.info.name).is_some()) {
            return Err(falco_plugin_host::Error::new(
                p.name(),
                ErrorKind::OverlappingField {
                    field: f.info.name.clone(),
                    source_name: source.into(),
                },
            ));
        }
        for (fi, f) in p.fields().iter().enumerate() {
            schema.add_field(f.info.clone()).expect("checked above");
            routes.push(Route::Plugin { plugin: pi, field: fi });
        }
    }
    Ok((schema, routes))
}

/// The host name `evt.hostname` shows: `FALCO_HOSTNAME` if set (as Falco does), else the
/// kernel's.
fn hostname() -> String {
    if let Ok(h) = std::env::var("FALCO_HOSTNAME") {
        return h;
    }
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// An inspector over one plugin event source (see the [module docs](self)).
pub struct PluginInspector {
    source_name: String,
    open_params: String,
    schema: Arc<Schema>,
    routes: Arc<[Route]>,
    ctx: Ctx,
    feed: Feed,
    batch: EventBatch,
    next_in_batch: usize,
    /// What the last `next_batch` said besides its events (reported once they are consumed).
    status: Option<BatchStatus>,
    pending_async: Option<Vec<u8>>,
    async_buf: Vec<u8>,
    async_rx: Option<AsyncReceiver>,
    async_tx: Option<AsyncSender>,
    num: u64,
    log: LogSink,
}

impl std::fmt::Debug for PluginInspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginInspector")
            .field("source", &self.source_name)
            .field("plugins", &self.ctx.plugins().map(|p| p.name()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Which buffer holds the event being yielded.
enum Loc {
    Batch(usize),
    Async,
    Replay,
}

impl PluginInspector {
    /// A builder for the source of `source` (initialised with `init_config`, opened with
    /// `open_params`).
    pub fn builder(
        source: &Plugin,
        init_config: &str,
        open_params: &str,
    ) -> PluginInspectorBuilder {
        PluginInspectorBuilder {
            source: source.clone(),
            source_config: init_config.to_string(),
            open_params: open_params.to_string(),
            others: Vec::new(),
            statics: Vec::new(),
            tables: TableRegistry::new(),
            log: tracing_log_sink(),
        }
    }

    /// The names of the plugins serving this source (the source plugin first).
    pub fn plugin_names(&self) -> Vec<&str> {
        self.ctx.plugins().map(|p| p.name()).collect()
    }

    /// The metrics of every plugin of this source.
    pub fn metrics(&self) -> Vec<falco_plugin_host::Metric> {
        self.ctx.plugins().flat_map(|p| p.metrics()).collect()
    }

    /// Async events dropped because the queue was full.
    pub fn async_dropped(&self) -> u64 {
        self.async_tx.as_ref().map_or(0, |t| t.dropped())
    }

    fn warn(&self, message: &str) {
        (self.log)(&LogRecord {
            component: &self.source_name,
            message,
            severity: LogSeverity::Warning,
        });
    }

    fn source_err(e: falco_plugin_host::Error) -> Error {
        Error::Source(e.to_string())
    }

    /// Takes the next queued async event, fixed up as libsinsp does: the open source's plugin
    /// id, a timestamp if it has none; events tied to a thread are dropped (plugin sources have
    /// no threads).
    fn poll_async(&mut self) {
        while self.pending_async.is_none() {
            let Some(evt) = self.async_rx.as_ref().and_then(|rx| rx.try_recv().ok()) else {
                return;
            };
            let mut bytes = evt.bytes;
            let Ok(e) = EventRef::parse(&bytes) else {
                continue;
            };
            if e.tid() != NO_TID {
                self.warn("dropped an async event tied to a thread");
                continue;
            }
            let unset = e.ts() == UNSET_TS;
            let id = self.ctx.plugin_id;
            // Plugin id sits after the three parameter lengths.
            bytes[26 + 12..26 + 16].copy_from_slice(&id.to_le_bytes());
            if unset {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                bytes[..8].copy_from_slice(&now.to_le_bytes());
            }
            self.pending_async = Some(bytes);
        }
    }

    /// Finds the next event: an async event whose time has come, the next event of the batch
    /// (reading a new batch when needed), or the source's timeout / end.
    fn advance(&mut self) -> Result<Result<Loc, Next<()>>, Error> {
        if let Feed::Replay(events, current) = &mut self.feed {
            return match events.next() {
                Some(bytes) => {
                    *current = bytes;
                    Ok(Ok(Loc::Replay))
                }
                None => Ok(Err(Next::Eof)),
            };
        }
        self.poll_async();
        if self.next_in_batch >= self.batch.len() && self.status.is_none() {
            let Slot::Open(src) = &mut self.ctx.source else {
                return Err(Error::Source(format!(
                    "plugin '{}': the event source is not open",
                    self.ctx.source_plugin
                )));
            };
            let status = src.next_batch(&mut self.batch).map_err(Self::source_err)?;
            self.next_in_batch = 0;
            self.status = (status != BatchStatus::Ok).then_some(status);
        }
        let next_ts = self.batch.get(self.next_in_batch).map(|e| e.ts());
        if let Some(pending) = self.pending_async.take() {
            let ts = EventRef::parse(&pending).map(|e| e.ts()).unwrap_or(0);
            if next_ts.is_none_or(|t| ts <= t) {
                self.async_buf = pending;
                return Ok(Ok(Loc::Async));
            }
            self.pending_async = Some(pending);
        }
        if next_ts.is_some() {
            self.next_in_batch += 1;
            return Ok(Ok(Loc::Batch(self.next_in_batch - 1)));
        }
        match self.status {
            Some(BatchStatus::Eof) => Ok(Err(Next::Eof)),
            _ => {
                // A timeout: report it and read again next time.
                self.status = None;
                Ok(Err(Next::Timeout))
            }
        }
    }
}

impl Inspector for PluginInspector {
    type Extractor = PluginExtractor;

    fn source(&self) -> &str {
        &self.source_name
    }

    fn schema(&self) -> Arc<Schema> {
        self.schema.clone()
    }

    fn open(&mut self) -> Result<(), Error> {
        if let Feed::Live = self.feed {
            let idle = std::mem::replace(&mut self.ctx.source, Slot::Gone);
            let Slot::Idle(inst) = idle else {
                self.ctx.source = idle;
                return Err(Error::Source(format!(
                    "plugin '{}': the event source is already open or failed",
                    self.ctx.source_plugin
                )));
            };
            let src = SourceInstance::open(inst, &self.open_params).map_err(Self::source_err)?;
            self.ctx.source = Slot::Open(src);
            let (tx, rx) = AsyncSender::channel();
            let source = self.source_name.clone();
            let mut injecting = 0;
            let start = |p: &mut PluginInstance| -> Result<usize, Error> {
                if p.plugin().caps().injects_into(&source) {
                    p.start_async(tx.clone()).map_err(Self::source_err)?;
                    return Ok(1);
                }
                Ok(0)
            };
            if let Slot::Open(s) = &mut self.ctx.source {
                injecting += start(s.instance_mut())?;
            }
            for p in &mut self.ctx.others {
                injecting += start(p)?;
            }
            if injecting > 0 {
                self.async_rx = Some(rx);
                self.async_tx = Some(tx);
            }
        }
        for p in plugins_mut(&mut self.ctx) {
            if p.plugin().caps().capture_listening {
                p.capture_open().map_err(Self::source_err)?;
            }
        }
        Ok(())
    }

    fn next(&mut self) -> Result<Next<PluginSourceEvent<'_>>, Error> {
        let loc = match self.advance()? {
            Ok(loc) => loc,
            Err(Next::Eof) => return Ok(Next::Eof),
            Err(_) => return Ok(Next::Timeout),
        };
        let event = match loc {
            // Batch events were checked when the batch was read.
            Loc::Batch(i) => self.batch.get(i),
            Loc::Async => EventRef::parse(&self.async_buf).ok(),
            Loc::Replay => match &self.feed {
                Feed::Replay(_, current) => EventRef::parse(current).ok(),
                Feed::Live => None,
            },
        };
        let Some(event) = event else {
            return Err(Error::Source(format!("source '{}': malformed event", self.source_name)));
        };
        self.num += 1;
        self.ctx.first_ts.get_or_insert(event.ts());
        let ctx = &self.ctx;
        let input = EventInput { event, num: self.num, source: &ctx.source_c };
        for &pi in &ctx.parsers {
            if let Some(p) = ctx.plugin(pi).filter(|p| p.parses_event_type(event.event_type())) {
                p.parse(&input).map_err(Self::source_err)?;
            }
        }
        Ok(Next::Event(PluginSourceEvent { event, num: self.num, ctx }))
    }

    fn extractor(&self) -> PluginExtractor {
        PluginExtractor {
            routes: self.routes.clone(),
            tz: TimeZone::default(),
            warned: HashSet::new(),
            log: self.log.clone(),
        }
    }

    fn close(&mut self) {
        for p in plugins_mut(&mut self.ctx) {
            if let Err(e) = p.stop_async().and_then(|()| p.capture_close()) {
                (self.log)(&LogRecord {
                    component: &self.source_name,
                    message: &e.to_string(),
                    severity: LogSeverity::Warning,
                });
            }
        }
        self.async_rx = None;
        if let Slot::Open(_) = self.ctx.source {
            if let Slot::Open(src) = std::mem::replace(&mut self.ctx.source, Slot::Gone) {
                self.ctx.source = Slot::Idle(src.close());
            }
        }
        self.batch.clear();
        self.next_in_batch = 0;
        self.status = None;
    }
}

fn plugins_mut(ctx: &mut Ctx) -> impl Iterator<Item = &mut PluginInstance> {
    let first = match &mut ctx.source {
        Slot::Idle(p) => Some(p),
        Slot::Open(s) => Some(s.instance_mut()),
        Slot::Gone => None,
    };
    first.into_iter().chain(ctx.others.iter_mut())
}

/// One event of a plugin source: the event in the libs format, its number, and the plugins
/// that can extract fields from it.
pub struct PluginSourceEvent<'e> {
    event: EventRef<'e>,
    num: u64,
    ctx: &'e Ctx,
}

impl std::fmt::Debug for PluginSourceEvent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginSourceEvent")
            .field("num", &self.num)
            .field("event", &self.event)
            .finish()
    }
}

impl PluginSourceEvent<'_> {
    /// The event (plugin or async event, libs format).
    pub fn event(&self) -> EventRef<'_> {
        self.event
    }

    /// True for async events.
    pub fn is_async(&self) -> bool {
        self.event.event_type() == ASYNC_EVENT_TYPE
    }

    fn input(&self) -> EventInput<'_> {
        EventInput { event: self.event, num: self.num, source: &self.ctx.source_c }
    }
}

impl Event for PluginSourceEvent<'_> {
    fn event_type(&self) -> EventType {
        EventType(self.event.event_type())
    }
    fn timestamp(&self) -> u64 {
        self.event.ts()
    }
    fn num(&self) -> u64 {
        self.num
    }
    fn raw(&self) -> &[u8] {
        self.event.bytes()
    }
}

/// Extracts the fields of a plugin source: the generic `evt.*` fields and those of the
/// source's extractor plugins (asked one field per call, on the source's own instances).
///
/// A plugin extraction that fails gives no value (`<NA>`), as in libsinsp; the first failure
/// of each field is logged.
pub struct PluginExtractor {
    routes: Arc<[Route]>,
    tz: TimeZone,
    warned: HashSet<u32>,
    log: LogSink,
}

impl std::fmt::Debug for PluginExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginExtractor").field("tz", &self.tz).finish_non_exhaustive()
    }
}

impl PluginExtractor {
    /// Sets the time zone of `evt.time` / `evt.datetime` (default: local, as libsinsp).
    pub fn set_time_zone(&mut self, tz: TimeZone) {
        self.tz = tz;
    }

    fn generic(&self, g: Gen, evt: &PluginSourceEvent<'_>, out: &mut ValueSink<'_>) {
        const NS: u64 = 1_000_000_000;
        let ts = evt.event.ts();
        let rel = ts.saturating_sub(evt.ctx.first_ts.unwrap_or(ts));
        let from_source = evt.event.event_type() != ASYNC_EVENT_TYPE
            && evt.event.plugin_id() == Some(evt.ctx.plugin_id);
        match g {
            Gen::Num => out.push_u64(evt.num),
            Gen::Time | Gen::TimeS | Gen::TimeIso8601 | Gen::Datetime | Gen::DatetimeS => {
                out.push_u64(ts)
            }
            Gen::Rawtime => out.push_u64(ts),
            Gen::RawtimeS => out.push_u64(ts / NS),
            Gen::RawtimeNs => out.push_u64(ts % NS),
            Gen::Reltime => out.push_u64(rel),
            Gen::ReltimeS => out.push_u64(rel / NS),
            Gen::ReltimeNs => out.push_u64(rel % NS),
            Gen::PluginName if from_source => out.push_str(&evt.ctx.source_plugin),
            Gen::PluginInfo if from_source => {
                if let Some(p) = evt.ctx.plugin(0) {
                    out.push_str(&p.event_to_string(&evt.input()));
                }
            }
            Gen::PluginName | Gen::PluginInfo => {}
            Gen::Source => out.push_bytes(evt.ctx.source_c.to_bytes()),
            Gen::IsAsync => out.push_bool(evt.is_async()),
            Gen::AsyncType => {
                if let Some(name) = evt.event.async_name() {
                    out.push_str(name);
                }
            }
            Gen::Hostname => out.push_str(&evt.ctx.hostname),
        }
    }

    fn render_time(&self, g: Gen, ts: u64, rel: u64, out: &mut String) -> Option<bool> {
        let secs = (ts / 1_000_000_000) as i64;
        let ns = ts % 1_000_000_000;
        let utc = FixedOffset::east_opt(0)?;
        let offset = match (g, self.tz) {
            (Gen::TimeIso8601, _) | (_, TimeZone::Utc) => utc,
            (_, TimeZone::Fixed(s)) => FixedOffset::east_opt(s).unwrap_or(utc),
            (_, TimeZone::Local) => {
                chrono::Local.timestamp_opt(secs, 0).single().map_or(utc, |d| d.offset().fix())
            }
        };
        let d: DateTime<FixedOffset> =
            DateTime::from_timestamp(secs, ns as u32).map(|d| d.with_timezone(&offset))?;
        let r = match g {
            Gen::Time => write!(out, "{}.{ns:09}", d.format("%H:%M:%S")),
            Gen::TimeS => write!(out, "{}", d.format("%H:%M:%S")),
            Gen::Datetime => write!(out, "{}.{ns:09}", d.format("%Y-%m-%d %H:%M:%S")),
            Gen::DatetimeS => write!(out, "{}", d.format("%Y-%m-%d %H:%M:%S")),
            Gen::TimeIso8601 => write!(out, "{}.{ns:09}+0000", d.format("%Y-%m-%dT%H:%M:%S")),
            // libsinsp prints these with PF_10_PADDED_DEC.
            Gen::RawtimeNs => write!(out, "{:09}", ts % 1_000_000_000),
            Gen::Reltime => write!(out, "{rel:09}"),
            Gen::ReltimeNs => write!(out, "{:09}", rel % 1_000_000_000),
            _ => return None,
        };
        Some(r.is_ok())
    }
}

impl Extractor for PluginExtractor {
    type Event<'e> = PluginSourceEvent<'e>;

    fn extract(&mut self, evt: &PluginSourceEvent<'_>, field: &FieldRef, out: &mut ValueSink<'_>) {
        match self.routes.get(field.id.index()) {
            Some(&Route::Gen(g)) => self.generic(g, evt, out),
            Some(&Route::Static(i)) => {
                if let Some(v) = evt.ctx.statics.get(i) {
                    out.push_str(v);
                }
            }
            Some(&Route::Plugin { plugin, field: fi }) => {
                let Some(p) = evt.ctx.plugin(plugin) else {
                    return;
                };
                plugin_extract(p, &evt.input(), fi, field, out, &mut self.warned, &self.log);
            }
            None => {}
        }
    }

    fn render_text(
        &mut self,
        evt: &PluginSourceEvent<'_>,
        field: &FieldRef,
        info: &FieldInfo,
        out: &mut String,
    ) -> bool {
        if let Some(&Route::Gen(g)) = self.routes.get(field.id.index()) {
            let ts = evt.event.ts();
            let rel = ts.saturating_sub(evt.ctx.first_ts.unwrap_or(ts));
            if let Some(done) = self.render_time(g, ts, rel, out) {
                return done;
            }
        }
        falco_engine::default_render_text(self, evt, field, info, out)
    }
}

/// Extracts field `fi` of plugin `p` for `field` when the plugin extracts from the event's
/// type; a failure leaves the field without value and is logged once per field (`warned`).
pub(crate) fn plugin_extract(
    p: &PluginInstance,
    input: &EventInput<'_>,
    fi: usize,
    field: &FieldRef,
    out: &mut ValueSink<'_>,
    warned: &mut HashSet<u32>,
    log: &LogSink,
) {
    if !p.extracts_event_type(input.event.event_type()) {
        return;
    }
    if let Err(e) = p.extract(input, fi, &field.arg, out) {
        if warned.insert(field.id.0) {
            log(&LogRecord {
                component: "extractor",
                message: &e.to_string(),
                severity: LogSeverity::Warning,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;

    use falco_engine::{FieldArg, Value, Values};
    use falco_plugin_host::test_support::{build_plugins, plugin_library};

    use super::*;

    fn plugin(name: &str) -> Plugin {
        static DIR: OnceLock<PathBuf> = OnceLock::new();
        let dir = DIR.get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("in the workspace");
            build_plugins(root, &["counter", "tagger", "ticker", "badplugin"], false)
                .expect("build")
        });
        Plugin::load(plugin_library(dir, name)).expect("test plugin loads")
    }

    fn field(insp: &PluginInspector, name: &str) -> FieldRef {
        let id = insp.schema().by_name(name).unwrap_or_else(|| panic!("no field {name}"));
        FieldRef { id, arg: FieldArg::None }
    }

    fn text(
        x: &mut PluginExtractor,
        insp_schema: &Schema,
        evt: &PluginSourceEvent<'_>,
        f: &FieldRef,
    ) -> String {
        let mut s = String::new();
        if !x.render_text(evt, f, insp_schema.field(f.id), &mut s) {
            s.push_str("<NA>");
        }
        s
    }

    /// Runs the inspector to the end, rendering `fields` for every event.
    fn run(insp: &mut PluginInspector, fields: &[&str]) -> Vec<String> {
        let refs: Vec<FieldRef> = fields.iter().map(|f| field(insp, f)).collect();
        let schema = insp.schema();
        let mut x = insp.extractor();
        x.set_time_zone(TimeZone::Utc);
        insp.open().unwrap();
        let mut lines = Vec::new();
        loop {
            match insp.next().unwrap() {
                Next::Event(evt) => {
                    let cols: Vec<String> =
                        refs.iter().map(|f| text(&mut x, &schema, &evt, f)).collect();
                    lines.push(cols.join(" "));
                }
                Next::Timeout => continue,
                Next::Eof => break,
            }
        }
        insp.close();
        lines
    }

    #[test]
    fn plugin_source_is_an_inspector() {
        let counter = plugin("counter");
        let tagger = plugin("tagger");
        let ticker = plugin("ticker");
        let mut insp = PluginInspector::builder(
            &counter,
            r#"{"start":4,"start_ts":1700000000123456789}"#,
            "3",
        )
        .plugin(&tagger, "")
        .plugin(&ticker, "")
        .build()
        .unwrap();
        assert_eq!(insp.source(), "counter");
        assert_eq!(insp.plugin_names(), ["counter", "tagger"], "ticker has nothing for counter");
        let schema = insp.schema();
        for f in [
            "evt.num",
            "evt.time",
            "evt.plugininfo",
            "evt.hostname",
            "counter.value",
            "tagger.seen",
        ] {
            assert!(schema.by_name(f).is_some(), "{f}");
        }
        assert!(schema.by_name("ticker.n").is_none());
        let lines = run(
            &mut insp,
            &[
                "evt.num",
                "evt.time",
                "evt.datetime.s",
                "evt.rawtime.ns",
                "evt.reltime",
                "counter.value",
                "tagger.seen",
                "tagger.source",
                "evt.source",
                "evt.pluginname",
                "evt.is_async",
                "evt.asynctype",
                "evt.plugininfo",
            ],
        );
        assert_eq!(
            lines,
            [
                "1 22:13:20.123456789 2023-11-14 22:13:20 123456789 000000000 4 1 counter counter counter false <NA> counter=4 label=count",
                "2 22:13:20.123457789 2023-11-14 22:13:20 123457789 000001000 5 2 counter counter counter false <NA> counter=5 label=count",
                "3 22:13:20.123458789 2023-11-14 22:13:20 123458789 000002000 6 3 counter counter counter false <NA> counter=6 label=count",
            ]
        );
    }

    #[test]
    fn typed_values_for_rules_and_json() {
        let counter = plugin("counter");
        let mut insp =
            PluginInspector::builder(&counter, r#"{"start_ts":5000000000}"#, "1").build().unwrap();
        let mut x = insp.extractor();
        let time = field(&insp, "evt.time");
        let tag = FieldRef {
            id: insp.schema().by_name("counter.tag").unwrap(),
            arg: FieldArg::Key("parity".into()),
        };
        let div =
            FieldRef { id: insp.schema().by_name("counter.div").unwrap(), arg: FieldArg::Index(0) };
        insp.open().unwrap();
        let Next::Event(evt) = insp.next().unwrap() else { panic!("an event") };
        assert_eq!(evt.timestamp(), 5_000_000_000);
        assert_eq!(evt.event_type(), EventType::PLUGIN_EVENT);
        let mut vals = Values::new();
        x.extract(&evt, &time, &mut vals.sink());
        assert_eq!(vals.get(0), Value::U64(5_000_000_000), "evt.time is a number in JSON");
        vals.clear();
        x.extract(&evt, &tag, &mut vals.sink());
        assert_eq!(vals.get(0), Value::Str(b"even"));
        vals.clear();
        x.extract(&evt, &div, &mut vals.sink());
        assert!(vals.is_empty(), "a failing extraction has no value");
    }

    #[test]
    fn one_extractor_state_per_source() {
        // Design rule L2: tagger serves both sources, with separate state.
        let tagger = plugin("tagger");
        let mut a = PluginInspector::builder(&plugin("counter"), "", "3")
            .plugin(&tagger, "")
            .build()
            .unwrap();
        let mut b = PluginInspector::builder(&plugin("ticker"), "", "3")
            .plugin(&tagger, "")
            .build()
            .unwrap();
        let (fa, fb) = (field(&a, "tagger.seen"), field(&b, "tagger.seen"));
        let (mut xa, mut xb) = (a.extractor(), b.extractor());
        a.open().unwrap();
        b.open().unwrap();
        let seen = |x: &mut PluginExtractor, evt: &PluginSourceEvent<'_>, f: &FieldRef| {
            let mut v = Values::new();
            x.extract(evt, f, &mut v.sink());
            v.get(0).to_string()
        };
        for n in 1..=3u64 {
            let Next::Event(ea) = a.next().unwrap() else { panic!() };
            assert_eq!(seen(&mut xa, &ea, &fa), n.to_string());
            let Next::Event(eb) = b.next().unwrap() else { panic!() };
            assert_eq!(seen(&mut xb, &eb, &fb), n.to_string(), "not {} (shared state)", 2 * n);
        }
    }

    #[test]
    fn overlapping_fields_are_refused() {
        let tagger = plugin("tagger");
        let err = PluginInspector::builder(&plugin("counter"), "", "")
            .plugin(&tagger, "")
            .plugin(&tagger, "")
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin 'tagger': supports extraction of field 'tagger.len' that is overlapping for source 'counter'"
        );
    }

    #[test]
    fn parsing_and_async_events_flow_through_the_inspector() {
        let ticker = plugin("ticker");
        let mut insp = PluginInspector::builder(&ticker, r#"{"alarms":2}"#, "3").build().unwrap();
        let lines = run(
            &mut insp,
            &[
                "evt.num",
                "evt.is_async",
                "evt.asynctype",
                "ticker.n",
                "ticker.parsed",
                "evt.plugininfo",
            ],
        );
        let ticks: Vec<&String> = lines.iter().filter(|l| l.contains(" false ")).collect();
        let alarms: Vec<&String> = lines.iter().filter(|l| l.contains(" true ")).collect();
        assert_eq!(ticks.len(), 3, "{lines:?}");
        assert_eq!(alarms.len(), 2, "{lines:?}");
        assert!(alarms.iter().all(|l| l.contains("true ticker_alarm <NA>")), "{alarms:?}");
        // Parsing ran before extraction: ticker.parsed equals ticker.n for every tick.
        for l in ticks {
            let cols: Vec<&str> = l.split(' ').collect();
            assert_eq!(cols[3], cols[4], "{l}");
        }
        let nums: Vec<u64> =
            lines.iter().map(|l| l.split(' ').next().unwrap().parse().unwrap()).collect();
        assert_eq!(nums, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_failing_source_fails_next_with_the_plugins_error() {
        let mut insp =
            PluginInspector::builder(&plugin("badplugin"), "fail_after=2", "5").build().unwrap();
        insp.open().unwrap();
        let mut events = 0;
        let err = loop {
            match insp.next() {
                Ok(Next::Event(_)) => events += 1,
                Ok(_) => continue,
                Err(e) => break e,
            }
        };
        assert_eq!(events, 2);
        assert_eq!(
            err.to_string(),
            "plugin 'badplugin': could not read the next events: simulated failure after 2 events"
        );
        let err =
            PluginInspector::builder(&plugin("badplugin"), "fail_init", "").build().unwrap_err();
        assert!(err.to_string().starts_with("plugin 'badplugin': could not initialize plugin"));
    }

    #[test]
    fn recorded_events_replay_with_the_same_fields() {
        let counter = plugin("counter");
        let mut live = PluginInspector::builder(&counter, r#"{"step":3}"#, "4").build().unwrap();
        let value = field(&live, "counter.value");
        let mut x = live.extractor();
        live.open().unwrap();
        let (mut recorded, mut want) = (Vec::new(), Vec::new());
        while let Next::Event(evt) = live.next().unwrap() {
            recorded.push(evt.raw().to_vec());
            let mut v = Values::new();
            x.extract(&evt, &value, &mut v.sink());
            want.push(v.get(0).to_string());
        }
        let mut replay = PluginInspector::builder(&counter, r#"{"step":3}"#, "")
            .build_replay(recorded.into_iter())
            .unwrap();
        assert_eq!(replay.schema().by_name("counter.value"), Some(value.id));
        assert_eq!(run(&mut replay, &["counter.value"]), want);
        assert_eq!(want, ["0", "3", "6", "9"]);
    }

    #[test]
    fn rules_for_a_plugin_source_compile_and_fire() {
        use falco_engine::{Engine, RuleMatching, RulesetId, Scratch};
        let mut insp = PluginInspector::builder(&plugin("counter"), r#"{"label":"blue"}"#, "4")
            .plugin(&plugin("tagger"), "")
            .static_fields(&[("cluster".into(), "prod".into())])
            .build()
            .unwrap();
        const ODD: &str = r#"
- rule: odd count
  desc: odd numbers from the counter plugin
  condition: counter.value > 0 and counter.tag[parity] = odd and tagger.words intersects (blue)
  output: "odd %counter.value label=%counter.label n=%evt.num src=%evt.source info=(%evt.plugininfo) %static.cluster"
  priority: WARNING
  source: counter
"#;
        const UNKNOWN: &str = r#"
- rule: unknown field
  desc: a field of a plugin that does not serve this source
  condition: ticker.n > 0
  output: "never"
  priority: WARNING
  source: counter
"#;
        let new_engine = || {
            let mut engine = Engine::new();
            engine.add_source((*insp.schema()).clone()).unwrap();
            engine
        };
        let unknown = format!("{ODD}{UNKNOWN}");
        assert!(!new_engine().load_rules(&unknown, "rules.yaml").successful(), "a load error");
        let mut engine = new_engine();
        let rules_text = ODD;
        assert!(engine.load_rules(rules_text, "plugin_rules.yaml").successful());
        let rules = engine.rules();
        let src = rules.source_by_name("counter").unwrap();
        let mut x = insp.extractor();
        let (mut scratch, mut matches, mut out) = (Scratch::default(), Vec::new(), Vec::new());
        insp.open().unwrap();
        while let Next::Event(evt) = insp.next().unwrap() {
            if src.run(
                RulesetId::DEFAULT,
                RuleMatching::First,
                &evt,
                &mut x,
                &mut scratch,
                &mut matches,
            ) > 0
            {
                let mut line = String::new();
                src.format_output(matches[0], &evt, &mut x, &mut scratch, &mut line);
                out.push(line);
            }
        }
        assert_eq!(
            out,
            [
                "odd 1 label=blue n=2 src=counter info=(counter=1 label=blue) prod",
                "odd 3 label=blue n=4 src=counter info=(counter=3 label=blue) prod",
            ]
        );
        let loaded = [("counter", "0.3.1")];
        let needs = vec![vec![falco_plugin_host::PluginRequirement::new("counter", "0.3.0")]];
        assert!(falco_plugin_host::check_plugin_requirements(&loaded, &needs).is_ok());
    }

    #[test]
    fn plugin_events_round_trip_through_capture_files() {
        use crate::ScapInspector;
        use crate::scap::writer::{EventBuilder, Writer};

        // Live events of the counter source...
        let counter = plugin("counter");
        let mut live =
            PluginInspector::builder(&counter, r#"{"start_ts":7000}"#, "3").build().unwrap();
        live.open().unwrap();
        let mut recorded = Vec::new();
        while let Next::Event(evt) = live.next().unwrap() {
            recorded.push(evt.raw().to_vec());
        }
        // ...are exactly what the capture writer encodes for PPME_PLUGINEVENT_E...
        let path = std::env::temp_dir().join(format!("plugin-events-{}.scap", std::process::id()));
        let mut w = Writer::create(&path).unwrap();
        for bytes in &recorded {
            let e = EventRef::parse(bytes).unwrap();
            let b = EventBuilder::new(e.ts(), -1, 322)
                .u32(e.plugin_id().unwrap())
                .raw(e.data().unwrap());
            assert_eq!(&b.encode(), bytes, "libs plugin-event layout");
            w.event(b).unwrap();
        }
        w.finish().unwrap();
        // ...and read back from the file, they replay through the same extractors.
        let mut scap = ScapInspector::open(&path).unwrap();
        let mut from_file = Vec::new();
        while let Some(evt) = scap.next_event().unwrap() {
            from_file.push(Event::raw(&evt).to_vec());
        }
        std::fs::remove_file(&path).unwrap();
        assert_eq!(from_file, recorded);
        let mut replay =
            PluginInspector::builder(&counter, "", "").build_replay(from_file.into_iter()).unwrap();
        assert_eq!(
            run(&mut replay, &["counter.value", "evt.rawtime", "evt.plugininfo"]),
            [
                "0 7000 counter=0 label=count",
                "1 8000 counter=1 label=count",
                "2 9000 counter=2 label=count"
            ]
        );
    }
}
