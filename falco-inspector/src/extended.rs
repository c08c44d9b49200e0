//! What Falco adds to a source's own fields: the fields of the extractor plugins compatible
//! with the source, the event parsing of compatible parsing plugins, and the static fields of
//! falco.yaml (Falco's `init_inspectors`). [`PluginInspector`](crate::PluginInspector) does
//! this itself for plugin sources; [`ExtendedInspector`] does it for any other inspector whose
//! events carry their libs bytes ([`Event::raw`]) — the syscall inspector.
//!
//! Data flow: the inner inspector yields an event; it is rewritten once into the current libs
//! layout (if plugins are present) and handed to the parsing plugins; it leaves as an
//! [`ExtendedEvent`] borrowing the plugins, so the [`ExtendedExtractor`] routes each field to
//! the inner extractor, a plugin, or a static value on the source's own thread.
//!
//! The schema is the inner one, its field ids unchanged, with the plugins' fields and the
//! static fields (`static.<key>`) appended. A plugin field with the name of a built-in field is
//! refused as Falco refuses it ("overlapping"), except for a plugin named `container`, which
//! takes over the built-in `container.*` fields (same ids), as Falco's `container` plugin took
//! them over from libsinsp.
//!
//! ```no_run
//! use falco_inspector::extended::ExtendedInspector;
//! use falco_inspector::{Inspector, ScapInspector};
//! use falco_plugin_host::Plugin;
//!
//! let json = Plugin::load("/usr/share/falco/plugins/libjson.so")?;
//! let insp = ExtendedInspector::builder(ScapInspector::new("trace.scap"))
//!     .plugin(&json, "")
//!     .static_fields(&[("cluster".into(), "prod".into())])
//!     .build()?;
//! assert!(insp.schema().by_name("static.cluster").is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;
use std::ffi::CString;
use std::sync::Arc;

use falco_engine::{
    Event, EventType, Extractor, FieldInfo, FieldRef, FieldType, Schema, ValueSink,
};
use falco_plugin_host::event::EventRef;
use falco_plugin_host::lent::{LentTable, TableLender, TableView};
use falco_plugin_host::{
    ErrorKind, EventInput, InitOptions, LogRecord, LogSeverity, LogSink, Plugin, PluginInstance,
    tracing_log_sink,
};

use crate::plugin_source::plugin_extract;
use crate::{Error, Inspector, Next};

/// The plugin allowed to take over built-in fields, and the prefix of those fields.
const CONTAINER_PLUGIN: &str = "container";
const CONTAINER_PREFIX: &str = "container.";

/// Where the value of one schema field comes from.
#[derive(Clone, Copy, Debug)]
enum Route {
    Inner,
    Static(usize),
    Plugin { plugin: usize, field: usize },
}

/// Builds an [`ExtendedInspector`].
pub struct ExtendedInspectorBuilder<I> {
    inner: I,
    plugins: Vec<(Plugin, String)>,
    statics: Vec<(String, String)>,
    log: LogSink,
}

impl<I: Inspector> ExtendedInspectorBuilder<I>
where
    for<'e> <I::Extractor as Extractor>::Event<'e>: CurrentLayout,
{
    /// Adds a loaded plugin with its init config; it is initialised for this source only if it
    /// extracts from or parses the source's events, otherwise ignored.
    pub fn plugin(mut self, plugin: &Plugin, init_config: &str) -> Self {
        self.plugins.push((plugin.clone(), init_config.to_string()));
        self
    }

    /// Fields with a fixed value on every event (falco.yaml `static_fields`): key `k` is the
    /// field `static.k`.
    pub fn static_fields(mut self, fields: &[(String, String)]) -> Self {
        self.statics = fields.to_vec();
        self
    }

    /// Where the plugins' log messages go (default: `tracing`).
    pub fn log(mut self, log: LogSink) -> Self {
        self.log = log;
        self
    }

    /// Initialises the compatible plugins and builds the schema.
    pub fn build(self) -> Result<ExtendedInspector<I>, falco_plugin_host::Error> {
        let base = self.inner.schema();
        let source = base.source().to_string();
        let opts = InitOptions { log: self.log.clone(), ..InitOptions::default() };
        let lender = if <<I::Extractor as Extractor>::Event<'static> as CurrentLayout>::THREADS {
            let (table, lender) = LentTable::new(
                crate::state::plugin_table::THREADS_TABLE,
                falco_plugin_host::StateType::I64,
                crate::state::plugin_table::thread_fields(),
            );
            opts.tables.add_host_table(table).map_err(|e| {
                falco_plugin_host::Error::new("threads", ErrorKind::Metadata(e.to_string()))
            })?;
            Some(lender)
        } else {
            None
        };
        let mut plugins = Vec::new();
        for (p, config) in &self.plugins {
            let caps = p.caps();
            if caps.injects_into(&source) {
                (self.log)(&LogRecord {
                    component: p.name(),
                    message: &format!(
                        "async events into the '{source}' source are not started: as in \
                         libsinsp, plugins produce async events only live, and this source \
                         reads a capture, which holds its async events already"
                    ),
                    severity: LogSeverity::Info,
                });
            }
            if caps.extracts_from(&source) || caps.parses(&source) {
                plugins.push(p.init_with(config, &opts)?);
            }
        }
        let mut schema = (*base).clone();
        let mut routes = vec![Route::Inner; schema.fields().len()];
        for (i, (key, _)) in self.statics.iter().enumerate() {
            let name = format!("static.{key}");
            let f =
                FieldInfo::new(&name, FieldType::CharBuf, "static field from the configuration");
            schema.add_field(f).map_err(|e| {
                falco_plugin_host::Error::new("static_fields", ErrorKind::Metadata(e.to_string()))
            })?;
            routes.push(Route::Static(i));
        }
        for (pi, p) in plugins.iter().enumerate() {
            if !p.plugin().caps().extracts_from(&source) {
                continue;
            }
            let takes_over = |name: &str| {
                p.name() == CONTAINER_PLUGIN
                    && name.starts_with(CONTAINER_PREFIX)
                    && base.by_name(name).is_some()
            };
            // Falco checks all of a plugin's fields before adding any.
            let clash = p
                .fields()
                .iter()
                .find(|f| schema.by_name(&f.info.name).is_some() && !takes_over(&f.info.name));
            if let Some(f) = clash {
                return Err(falco_plugin_host::Error::new(
                    p.name(),
                    ErrorKind::OverlappingField {
                        field: f.info.name.clone(),
                        source_name: source.clone(),
                    },
                ));
            }
            for (fi, f) in p.fields().iter().enumerate() {
                let route = Route::Plugin { plugin: pi, field: fi };
                if takes_over(&f.info.name) {
                    let id = schema.replace_field(f.info.clone()).expect("checked above");
                    routes[id.index()] = route;
                } else {
                    schema.add_field(f.info.clone()).expect("checked above");
                    routes.push(route);
                }
            }
        }
        let parsers = plugins
            .iter()
            .enumerate()
            .filter(|(_, p)| p.plugin().caps().parses(&source))
            .map(|(i, _)| i)
            .collect();
        Ok(ExtendedInspector {
            inner: self.inner,
            schema: Arc::new(schema),
            routes: routes.into(),
            ctx: Ctx {
                source_c: CString::new(source).unwrap_or_default(),
                plugins,
                parsers,
                statics: self.statics.into_iter().map(|(_, v)| v).collect(),
                lender,
            },
            current: Vec::new(),
            log: self.log,
        })
    }
}

/// What extended events borrow.
struct Ctx {
    source_c: CString,
    plugins: Vec<PluginInstance>,
    parsers: Vec<usize>,
    statics: Vec<String>,
    /// Lends the inner inspector's thread table to plugins during their calls.
    lender: Option<TableLender>,
}

impl Ctx {
    /// Runs a plugin call with the event's thread table lent to the plugins' `threads` table.
    fn with_tables<E: CurrentLayout, R>(&self, evt: &E, call: impl FnOnce() -> R) -> R {
        match (&self.lender, evt.thread_table()) {
            (Some(lender), Some(view)) => lender.lend(view, call),
            _ => call(),
        }
    }
}

/// An inspector with plugin fields, parsing plugins and static fields added (see the
/// [module docs](self)).
pub struct ExtendedInspector<I> {
    inner: I,
    schema: Arc<Schema>,
    routes: Arc<[Route]>,
    ctx: Ctx,
    /// The current event in the current libs layout (when plugins need it).
    current: Vec<u8>,
    log: LogSink,
}

impl<I: Inspector> ExtendedInspector<I> {
    /// A builder extending `inner`.
    pub fn builder(inner: I) -> ExtendedInspectorBuilder<I> {
        ExtendedInspectorBuilder {
            inner,
            plugins: Vec::new(),
            statics: Vec::new(),
            log: tracing_log_sink(),
        }
    }

    /// The inner inspector.
    pub fn inner(&self) -> &I {
        &self.inner
    }

    /// The inner inspector, mutably (e.g. to set its time zone).
    pub fn inner_mut(&mut self) -> &mut I {
        &mut self.inner
    }

    /// The names of the plugins serving this source.
    pub fn plugin_names(&self) -> Vec<&str> {
        self.ctx.plugins.iter().map(|p| p.name()).collect()
    }
}

impl<I: Inspector> std::fmt::Debug for ExtendedInspector<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtendedInspector")
            .field("source", &self.inner.source())
            .field("plugins", &self.plugin_names())
            .field("statics", &self.ctx.statics.len())
            .finish_non_exhaustive()
    }
}

/// Rewrites an event's bytes into the current libs layout when they are not in it (captures
/// with the old 21-byte header): what plugins expect.
fn current_layout(raw: &[u8], out: &mut Vec<u8>) -> bool {
    if EventRef::parse(raw).is_ok() {
        out.clear();
        out.extend_from_slice(raw);
        return true;
    }
    false
}

impl<I: Inspector> Inspector for ExtendedInspector<I>
where
    for<'e> <I::Extractor as Extractor>::Event<'e>: CurrentLayout,
{
    type Extractor = ExtendedExtractor<I::Extractor>;

    fn source(&self) -> &str {
        self.inner.source()
    }

    fn schema(&self) -> Arc<Schema> {
        self.schema.clone()
    }

    fn open(&mut self) -> Result<(), Error> {
        self.inner.open()?;
        for p in &mut self.ctx.plugins {
            if p.plugin().caps().capture_listening {
                p.capture_open().map_err(|e| Error::Source(e.to_string()))?;
            }
        }
        Ok(())
    }

    fn next(
        &mut self,
    ) -> Result<Next<ExtendedEvent<'_, <I::Extractor as Extractor>::Event<'_>>>, Error> {
        let evt = match self.inner.next()? {
            Next::Event(e) => e,
            Next::Timeout => return Ok(Next::Timeout),
            Next::Eof => return Ok(Next::Eof),
        };
        let ctx = &self.ctx;
        let has_bytes = !ctx.plugins.is_empty() && evt.write_current_layout(&mut self.current);
        let current: &[u8] = if has_bytes { &self.current } else { &[] };
        if has_bytes {
            if let Ok(event) = EventRef::parse(current) {
                let input = EventInput { event, num: evt.num(), source: &ctx.source_c };
                for &pi in &ctx.parsers {
                    let p = &ctx.plugins[pi];
                    if p.parses_event_type(event.event_type()) {
                        ctx.with_tables(&evt, || p.parse(&input))
                            .map_err(|e| Error::Source(e.to_string()))?;
                    }
                }
            }
        }
        Ok(Next::Event(ExtendedEvent { inner: evt, current, ctx }))
    }

    fn extractor(&self) -> ExtendedExtractor<I::Extractor> {
        ExtendedExtractor {
            inner: self.inner.extractor(),
            routes: self.routes.clone(),
            warned: HashSet::new(),
            log: self.log.clone(),
        }
    }

    fn close(&mut self) {
        for p in &mut self.ctx.plugins {
            if p.plugin().caps().capture_listening {
                if let Err(e) = p.capture_close() {
                    (self.log)(&LogRecord {
                        component: p.name(),
                        message: &e.to_string(),
                        severity: LogSeverity::Warning,
                    });
                }
            }
        }
        self.inner.close();
    }
}

/// What plugins get of an inner inspector's event: its bytes in the current libs layout, and
/// the inspector's thread table at this event (libsinsp's `threads` state table).
pub trait CurrentLayout: Event {
    /// True if the inspector has a thread table to offer plugins.
    const THREADS: bool = false;

    /// Writes the event into `out` in the current libs layout; false if it cannot.
    fn write_current_layout(&self, out: &mut Vec<u8>) -> bool {
        current_layout(self.raw(), out)
    }

    /// The thread table as of this event.
    fn thread_table(&self) -> Option<&dyn TableView> {
        None
    }
}

impl CurrentLayout for crate::SyscallEvent<'_> {
    const THREADS: bool = true;

    fn write_current_layout(&self, out: &mut Vec<u8>) -> bool {
        self.raw().write_current_layout(out);
        true
    }

    fn thread_table(&self) -> Option<&dyn TableView> {
        Some(&self.state().threads)
    }
}

/// An event of an [`ExtendedInspector`]: the inner event, its bytes in the current layout (if
/// plugins are present), and the plugins that can extract from it.
pub struct ExtendedEvent<'e, E> {
    inner: E,
    current: &'e [u8],
    ctx: &'e Ctx,
}

impl<E> ExtendedEvent<'_, E> {
    /// The inner inspector's event.
    pub fn inner(&self) -> &E {
        &self.inner
    }
}

impl<E: Event> Event for ExtendedEvent<'_, E> {
    fn event_type(&self) -> EventType {
        self.inner.event_type()
    }
    fn timestamp(&self) -> u64 {
        self.inner.timestamp()
    }
    fn num(&self) -> u64 {
        self.inner.num()
    }
    fn raw(&self) -> &[u8] {
        self.inner.raw()
    }
}

/// The extractor of an [`ExtendedInspector`]: routes each field to the inner extractor, a
/// plugin, or a static value.
pub struct ExtendedExtractor<X> {
    inner: X,
    routes: Arc<[Route]>,
    warned: HashSet<u32>,
    log: LogSink,
}

impl<X> std::fmt::Debug for ExtendedExtractor<X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtendedExtractor")
            .field("fields", &self.routes.len())
            .finish_non_exhaustive()
    }
}

impl<X> ExtendedExtractor<X> {
    /// The inner extractor (e.g. to set its time zone).
    pub fn inner_mut(&mut self) -> &mut X {
        &mut self.inner
    }
}

impl<X: Extractor> Extractor for ExtendedExtractor<X>
where
    for<'e> X::Event<'e>: CurrentLayout,
{
    type Event<'e> = ExtendedEvent<'e, X::Event<'e>>;

    fn extract(&mut self, evt: &Self::Event<'_>, field: &FieldRef, out: &mut ValueSink<'_>) {
        match self.routes.get(field.id.index()) {
            Some(Route::Inner) => self.inner.extract(&evt.inner, field, out),
            Some(&Route::Static(i)) => {
                if let Some(v) = evt.ctx.statics.get(i) {
                    out.push_str(v);
                }
            }
            Some(&Route::Plugin { plugin, field: fi }) => {
                let Some(p) = evt.ctx.plugins.get(plugin) else { return };
                let Ok(event) = EventRef::parse(evt.current) else { return };
                let input = EventInput { event, num: evt.inner.num(), source: &evt.ctx.source_c };
                evt.ctx.with_tables(&evt.inner, || {
                    plugin_extract(p, &input, fi, field, out, &mut self.warned, &self.log)
                });
            }
            None => {}
        }
    }

    fn render_text(
        &mut self,
        evt: &Self::Event<'_>,
        field: &FieldRef,
        info: &FieldInfo,
        out: &mut String,
    ) -> bool {
        if let Some(Route::Inner) = self.routes.get(field.id.index()) {
            return self.inner.render_text(&evt.inner, field, info, out);
        }
        falco_engine::default_render_text(self, evt, field, info, out)
    }
}
