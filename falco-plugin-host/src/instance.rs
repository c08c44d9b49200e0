//! Initialised plugins: [`PluginInstance`] (extract, parse, async events, capture listening,
//! metrics) and [`SourceInstance`] (an instance with its event source open).
//!
//! Lifecycles are types: a [`Plugin`](crate::Plugin) is loaded, [`PluginInstance`] is
//! initialised (destroyed on drop), [`SourceInstance`] is open (closed on drop or by
//! [`SourceInstance::close`], which gives the instance back).
//!
//! Events from `next_batch` are copied into a host-owned [`EventBatch`] and checked as libscap
//! checks them: a plugin with an id may only produce `PPME_PLUGINEVENT_E` with two parameters;
//! a plugin id of 0 is replaced by the plugin's, another plugin's id is refused; the timestamp
//! is filled in when the plugin left it at `UINT64_MAX`; plugin events get no thread id.

use std::cell::RefCell;
use std::ffi::CStr;
use std::net::IpAddr;
use std::sync::Arc;

use falco_engine::{FieldArg, ValueSink};

use crate::error::{Error, ErrorKind};
use crate::event::{
    EventRef, NO_TID, PLUGIN_EVENT_TYPE, UNSET_TS, now_ns, set_plugin_id, set_tid, set_ts,
};
use crate::fields::PluginField;
use crate::owner::{AsyncSender, Owner, lock};
use crate::plugin::{Core, InitOptions, Plugin, SYSCALL_SOURCE, is_source_compatible};
use crate::raw::{
    self, EventInput as RawEventInput, ExtractReq, InstancePtr, RawBatch, RawMetricValue, RawValue,
    StatePtr, ffi,
};

/// An event handed to a plugin: the event, its number and the name of its source.
#[derive(Clone, Copy, Debug)]
pub struct EventInput<'a> {
    /// The event (libs format).
    pub event: EventRef<'a>,
    /// The event number (`evt.num`).
    pub num: u64,
    /// The name of the event's source, NUL-terminated for the plugin.
    pub source: &'a CStr,
}

impl<'a> EventInput<'a> {
    fn raw(&self) -> RawEventInput<'a> {
        RawEventInput { evt: self.event.bytes(), num: self.num, source: self.source }
    }
}

/// One suggested open parameter (`list_open_params`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenParam {
    /// The value to pass to `open`.
    pub value: String,
    /// What it means.
    pub desc: String,
    /// Separator for combining several values, if any.
    pub separator: String,
}

/// A metric a plugin reports; its name is prefixed with the plugin name, as libsinsp does.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// `plugin.metric`.
    pub name: String,
    /// Monotonic (a counter) or not (a gauge).
    pub monotonic: bool,
    /// The value.
    pub value: MetricValue,
}

/// A metric value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetricValue {
    /// Unsigned.
    U64(u64),
    /// Signed.
    I64(i64),
    /// Floating point.
    Double(f64),
}

/// An initialised plugin: one plugin state, with its own owner (log, tables, async queue).
pub struct PluginInstance {
    core: Arc<Core>,
    state: StatePtr,
    owner: Arc<Owner>,
    extract_codes: CodeSet,
    parse_codes: CodeSet,
    key_scratch: RefCell<Vec<u8>>,
    async_on: bool,
    capture_on: bool,
}

impl std::fmt::Debug for PluginInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginInstance")
            .field("plugin", &self.core.info.name)
            .finish_non_exhaustive()
    }
}

/// The event types an extractor or parser accepts (checked once per field per event, so a
/// short list scan rather than a hash).
#[derive(Clone, Debug, Default)]
enum CodeSet {
    /// Every event type.
    All,
    /// These types.
    #[default]
    None,
    Some(Vec<u16>),
}

impl CodeSet {
    fn contains(&self, code: u16) -> bool {
        match self {
            CodeSet::All => true,
            CodeSet::None => false,
            CodeSet::Some(v) => v.contains(&code),
        }
    }
}

/// The event types a plugin declared, or libsinsp's default when it declared none: every
/// type for syscall-compatible plugins, plugin events otherwise.
fn default_codes(sources: &[String], declared: Vec<u16>) -> CodeSet {
    if !declared.is_empty() {
        let mut v = declared;
        v.sort_unstable();
        v.dedup();
        return CodeSet::Some(v);
    }
    if is_source_compatible(sources, SYSCALL_SOURCE) {
        CodeSet::All
    } else {
        CodeSet::Some(vec![PLUGIN_EVENT_TYPE])
    }
}

impl PluginInstance {
    pub(crate) fn init(core: Arc<Core>, config: &str, opts: &InitOptions) -> Result<Self, Error> {
        let plugin = Plugin { core: core.clone() };
        let owner = plugin.new_owner(opts);
        let caps = &core.caps;
        let with_tables = caps.extract.is_some() || caps.parse.is_some();
        let config_c = raw::to_cstring(config);
        let (state, rc) = core.vtable.init(&config_c, owner.ptr(), with_tables);
        let err = |kind| Error::new(&core.info.name, kind);
        let Some(state) = state else {
            owner.tables.remove_exported_by(Arc::as_ptr(&owner) as usize);
            return Err(err(ErrorKind::Init(format!(
                "plugin returned no state (result code {rc})"
            ))));
        };
        if rc != ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS {
            let msg = core.vtable.last_error(state);
            owner.tables.remove_exported_by(Arc::as_ptr(&owner) as usize);
            core.vtable.destroy(state);
            return Err(err(ErrorKind::Init(msg)));
        }
        owner.set_state(Some(state));
        let extract_codes = match &caps.extract {
            Some(e) => default_codes(&e.sources, core.vtable.extract_event_types(state)),
            None => CodeSet::None,
        };
        let parse_codes = match &caps.parse {
            Some(p) => default_codes(&p.sources, core.vtable.parse_event_types(state)),
            None => CodeSet::None,
        };
        owner.tables.end_call();
        Ok(PluginInstance {
            core,
            state,
            owner,
            extract_codes,
            parse_codes,
            key_scratch: RefCell::default(),
            async_on: false,
            capture_on: false,
        })
    }

    /// The plugin this is an instance of.
    pub fn plugin(&self) -> Plugin {
        Plugin { core: self.core.clone() }
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.core.info.name
    }

    /// The plugin's fields (empty without the extraction capability).
    pub fn fields(&self) -> &[PluginField] {
        self.core.caps.extract.as_ref().map_or(&[], |e| &e.fields)
    }

    fn err(&self, kind: ErrorKind) -> Error {
        Error::new(&self.core.info.name, kind)
    }

    /// The plugin's last error message.
    pub fn last_error(&self) -> String {
        self.core.vtable.last_error(self.state)
    }

    /// True if the plugin extracts fields from events of this type.
    pub fn extracts_event_type(&self, code: u16) -> bool {
        self.extract_codes.contains(code)
    }

    /// True if the plugin parses events of this type.
    pub fn parses_event_type(&self, code: u16) -> bool {
        self.parse_codes.contains(code)
    }

    /// Extracts field `field` (an index into [`PluginInstance::fields`]) of `evt` with `arg`,
    /// pushing its values into `out`; returns how many it pushed. One field per call, as
    /// libsinsp asks (the Rust SDK 0.5.1 corrupts u64 results of multi-field requests).
    ///
    /// A numeric argument of a field that also takes keys is passed as both index and key, as
    /// libsinsp does.
    pub fn extract(
        &self,
        evt: &EventInput<'_>,
        field: usize,
        arg: &FieldArg,
        out: &mut ValueSink<'_>,
    ) -> Result<usize, Error> {
        let Some(f) = self.fields().get(field) else {
            return Err(self.err(ErrorKind::NotSupported("a field with this index")));
        };
        let mut scratch = self.key_scratch.borrow_mut();
        let (arg_present, arg_index, key) = match arg {
            FieldArg::None => (false, 0, None),
            FieldArg::Index(i) => {
                let key = f.info.arg.key.then(|| {
                    use std::io::Write;
                    scratch.clear();
                    let _ = write!(scratch, "{i}\0");
                });
                (true, *i, key)
            }
            FieldArg::Key(k) => {
                scratch.clear();
                scratch.extend(k.bytes().take_while(|&b| b != 0));
                scratch.push(0);
                (true, u64::MAX, Some(()))
            }
        };
        let arg_key = key.and_then(|()| CStr::from_bytes_until_nul(&scratch).ok());
        let req = ExtractReq {
            field_id: field as u32,
            field: &f.name_c,
            arg_key,
            arg_index,
            arg_present,
            ftype: f.ftype,
            list: f.info.multiplicity == falco_engine::Multiplicity::List,
        };
        let mut bad_value = None;
        let mut count = 0;
        let result =
            self.core.vtable.extract(self.state, self.owner.ptr(), &evt.raw(), &req, &mut |v| {
                count += 1;
                match v {
                    RawValue::U64(n) => out.push_u64(n),
                    RawValue::Bool(b) => out.push_bool(b),
                    RawValue::Str(s) => out.push_bytes(s),
                    RawValue::Buf(b) => match ip_from_bytes(b) {
                        Some(ip) => out.push_ip(ip),
                        None => bad_value = Some(b.len()),
                    },
                }
            });
        drop(scratch);
        self.owner.tables.end_call();
        let extract_err =
            |message: String| self.err(ErrorKind::Extract { field: f.info.name.clone(), message });
        match result {
            Err(msg) => Err(extract_err(msg)),
            Ok((rc, _)) if rc != ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS => {
                Err(extract_err(self.last_error()))
            }
            Ok(_) => match bad_value {
                Some(n) => Err(extract_err(format!("address of {n} bytes"))),
                None => Ok(count),
            },
        }
    }

    /// Lets the plugin parse `evt` (it updates its state or tables).
    pub fn parse(&self, evt: &EventInput<'_>) -> Result<(), Error> {
        if self.core.caps.parse.is_none() {
            return Err(self.err(ErrorKind::NotSupported("event parsing")));
        }
        let rc = self.core.vtable.parse(self.state, self.owner.ptr(), &evt.raw());
        self.owner.tables.end_call();
        if rc == ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS {
            Ok(())
        } else {
            Err(self.err(ErrorKind::Parse(self.last_error())))
        }
    }

    /// The plugin's one-line rendering of `evt` (`evt.plugininfo`). Falls back to libsinsp's
    /// `datalen=N data=...` when the plugin has none.
    pub fn event_to_string(&self, evt: &EventInput<'_>) -> String {
        let s = self.core.vtable.event_to_string(self.state, &evt.raw()).unwrap_or_default();
        if !s.is_empty() {
            return s;
        }
        let data = evt.event.data().unwrap_or_default();
        let mut out = format!("datalen={} data=", data.len());
        let shown = &data[..data.len().min(50)];
        if shown.iter().any(|b| !(0x20..0x7f).contains(b)) {
            out.push_str("<binary>");
            return out;
        }
        out.push_str(&String::from_utf8_lossy(shown));
        if data.len() > 50 {
            out.push_str("...");
        }
        out
    }

    /// The plugin's suggested open parameters.
    pub fn list_open_params(&self) -> Result<Vec<OpenParam>, Error> {
        let Some((rc, json)) = self.core.vtable.list_open_params(self.state) else {
            return Ok(Vec::new());
        };
        if rc != ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS {
            return Err(self.err(ErrorKind::OpenParams(self.last_error())));
        }
        let json = json.unwrap_or_default();
        if json.is_empty() {
            return Ok(Vec::new());
        }
        let bad = |m: &str| self.err(ErrorKind::OpenParams(m.to_string()));
        let Ok(serde_json::Value::Array(items)) = serde_json::from_str(&json) else {
            return Err(bad("list_open_params returned a non-array JSON"));
        };
        let text = |v: &serde_json::Value, k: &str| {
            v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string()
        };
        items
            .iter()
            .map(|v| {
                let value = text(v, "value");
                if value.is_empty() {
                    return Err(bad("list_open_params has entry with no value"));
                }
                Ok(OpenParam { value, desc: text(v, "desc"), separator: text(v, "separator") })
            })
            .collect()
    }

    /// The plugin's metrics.
    pub fn metrics(&self) -> Vec<Metric> {
        self.core
            .vtable
            .metrics(self.state)
            .into_iter()
            .map(|m| Metric {
                name: format!("{}.{}", self.core.info.name, m.name),
                monotonic: m.monotonic,
                value: match m.value {
                    RawMetricValue::U32(v) => MetricValue::U64(v.into()),
                    RawMetricValue::U64(v) => MetricValue::U64(v),
                    RawMetricValue::S32(v) | RawMetricValue::Int(v) => MetricValue::I64(v.into()),
                    RawMetricValue::S64(v) => MetricValue::I64(v),
                    RawMetricValue::Double(v) => MetricValue::Double(v),
                    RawMetricValue::Float(v) => MetricValue::Double(v.into()),
                },
            })
            .collect()
    }

    /// Updates the plugin's config (validated against its schema first).
    pub fn set_config(&mut self, config: &str) -> Result<(), Error> {
        let config =
            crate::plugin::validate_config(&self.core.info, config).map_err(|k| self.err(k))?;
        match self.core.vtable.set_config(self.state, &raw::to_cstring(&config)) {
            None => Err(self.err(ErrorKind::NotSupported("set_config"))),
            Some(ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS) => Ok(()),
            Some(_) => Err(self.err(ErrorKind::SetConfig(self.last_error()))),
        }
    }

    /// Starts delivering the plugin's async events into `tx` (libsinsp's
    /// `set_async_event_handler`). Events are checked (type, parameter count, declared name)
    /// before they are queued; a full queue drops and counts.
    pub fn start_async(&mut self, tx: AsyncSender) -> Result<(), Error> {
        if self.core.caps.async_events.is_none() {
            return Err(self.err(ErrorKind::NotSupported("async events")));
        }
        if self.async_on {
            return Err(self.err(ErrorKind::Async("the async event handler is already set".into())));
        }
        self.owner.set_async_sender(Some(tx));
        let rc = self.core.vtable.set_async_handler(self.state, self.owner.ptr(), true);
        if rc != ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS {
            self.owner.set_async_sender(None);
            return Err(self.err(ErrorKind::Async(self.last_error())));
        }
        self.async_on = true;
        Ok(())
    }

    /// Stops async events (the plugin stops its threads before this returns).
    pub fn stop_async(&mut self) -> Result<(), Error> {
        if !self.async_on {
            return Ok(());
        }
        let rc = self.core.vtable.set_async_handler(self.state, self.owner.ptr(), false);
        self.async_on = false;
        self.owner.set_async_sender(None);
        if rc == ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS {
            Ok(())
        } else {
            Err(self.err(ErrorKind::Async(self.last_error())))
        }
    }

    /// Tells a capture-listening plugin that the capture opened.
    pub fn capture_open(&mut self) -> Result<(), Error> {
        match self.core.vtable.capture(self.state, self.owner.ptr(), true) {
            None => Err(self.err(ErrorKind::NotSupported("capture listening"))),
            Some(ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS) => {
                self.capture_on = true;
                Ok(())
            }
            Some(_) => Err(self.err(ErrorKind::CaptureListen(self.last_error()))),
        }
    }

    /// Tells a capture-listening plugin that the capture closed, then stops the routines it
    /// subscribed.
    pub fn capture_close(&mut self) -> Result<(), Error> {
        if !self.capture_on {
            return Ok(());
        }
        self.capture_on = false;
        let rc = self.core.vtable.capture(self.state, self.owner.ptr(), false);
        self.stop_routines();
        match rc {
            Some(ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS) | None => Ok(()),
            Some(_) => Err(self.err(ErrorKind::CaptureListen(self.last_error()))),
        }
    }

    /// Number of capture-listening routines currently running.
    pub fn running_routines(&self) -> usize {
        lock(&self.owner.routines).iter().filter(|r| r.is_running()).count()
    }

    fn stop_routines(&self) {
        let mut routines = std::mem::take(&mut *lock(&self.owner.routines));
        for r in &mut routines {
            r.stop_and_join();
        }
    }
}

impl Drop for PluginInstance {
    fn drop(&mut self) {
        let _ = self.capture_close();
        let _ = self.stop_async();
        self.stop_routines();
        self.owner.set_state(None);
        self.owner.tables.remove_exported_by(Arc::as_ptr(&self.owner) as usize);
        self.core.vtable.destroy(self.state);
    }
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}

/// What `next_batch` said besides the events it returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchStatus {
    /// More events may follow.
    Ok,
    /// No events right now; ask again.
    Timeout,
    /// The source is exhausted.
    Eof,
}

/// Events of one batch, copied into host memory and checked.
#[derive(Debug, Default)]
pub struct EventBatch {
    raw: RawBatch,
}

impl EventBatch {
    /// An empty batch (reuse it across calls: its buffers are kept).
    pub fn new() -> EventBatch {
        EventBatch::default()
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.raw.events.len()
    }

    /// True if the batch has no events.
    pub fn is_empty(&self) -> bool {
        self.raw.events.is_empty()
    }

    /// Event `i`.
    pub fn get(&self, i: usize) -> Option<EventRef<'_>> {
        let &(start, len) = self.raw.events.get(i)?;
        // Every event was checked by `next_batch` before the batch was handed out.
        Some(EventRef::checked(&self.raw.bytes[start..start + len]))
    }

    /// Forgets the events, keeping the buffers.
    pub fn clear(&mut self) {
        self.raw.clear();
    }
}

/// A plugin instance with its event source open.
pub struct SourceInstance {
    // Always `Some` until `close` consumes the source.
    inner: Option<PluginInstance>,
    handle: Option<InstancePtr>,
    id: u32,
}

impl std::fmt::Debug for SourceInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceInstance")
            .field("plugin", &self.instance().name())
            .finish_non_exhaustive()
    }
}

impl SourceInstance {
    /// Opens the plugin's event source with `params` (`open_params` in falco.yaml).
    pub fn open(instance: PluginInstance, params: &str) -> Result<SourceInstance, Error> {
        let Some(src) = &instance.core.caps.source else {
            return Err(instance.err(ErrorKind::NotSupported("event sourcing")));
        };
        let id = src.id;
        let (handle, rc) = instance.core.vtable.open(instance.state, &raw::to_cstring(params));
        match handle {
            Some(h) if rc == ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS => {
                Ok(SourceInstance { inner: Some(instance), handle: Some(h), id })
            }
            Some(h) => {
                let msg = instance.last_error();
                instance.core.vtable.close(instance.state, h);
                Err(instance.err(ErrorKind::Open(msg)))
            }
            None => Err(instance.err(ErrorKind::Open(instance.last_error()))),
        }
    }

    /// Reads the next batch into `batch`. Every event is checked and fixed up (plugin id,
    /// timestamp, thread id) before it is returned; a malformed event fails the whole batch.
    /// A plugin failure returns the plugin's last error and no events.
    pub fn next_batch(&mut self, batch: &mut EventBatch) -> Result<BatchStatus, Error> {
        let inst = self.instance();
        let Some(h) = self.handle else {
            return Err(inst.err(ErrorKind::NextBatch("the source is closed".into())));
        };
        let rc = inst
            .core
            .vtable
            .next_batch(inst.state, h, &mut batch.raw)
            .map_err(|m| inst.err(ErrorKind::MalformedEvent(m)))?;
        let status = match rc {
            ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS => BatchStatus::Ok,
            ffi::ss_plugin_rc_SS_PLUGIN_TIMEOUT => BatchStatus::Timeout,
            ffi::ss_plugin_rc_SS_PLUGIN_EOF => BatchStatus::Eof,
            _ => {
                batch.clear();
                return Err(inst.err(ErrorKind::NextBatch(inst.last_error())));
            }
        };
        if status == BatchStatus::Ok && batch.is_empty() {
            return Err(
                inst.err(ErrorKind::NextBatch("unexpected 0 size event returned by plugin".into()))
            );
        }
        if let Err(m) = self.fix_up(batch) {
            batch.clear();
            return Err(self.instance().err(ErrorKind::MalformedEvent(m)));
        }
        Ok(status)
    }

    fn fix_up(&self, batch: &mut EventBatch) -> Result<(), String> {
        let now = now_ns();
        for (i, &(start, len)) in batch.raw.events.iter().enumerate() {
            let bytes = &mut batch.raw.bytes[start..start + len];
            let evt = EventRef::parse(bytes).map_err(|e| format!("event {i} of the batch: {e}"))?;
            let (ty, ts, plugin_id) = (evt.event_type(), evt.ts(), evt.plugin_id());
            if self.id != 0 && ty != PLUGIN_EVENT_TYPE {
                return Err(format!(
                    "event {i} of the batch has type {ty}, a plugin with an id may only produce \
                     plugin events"
                ));
            }
            if ty == PLUGIN_EVENT_TYPE {
                match plugin_id {
                    Some(0) if self.id != 0 => set_plugin_id(bytes, self.id),
                    Some(0) => return Err(format!("event {i} of the batch has no plugin id")),
                    Some(id) if id != self.id => {
                        return Err(format!(
                            "unexpected plugin ID in plugin event: expected_id={}, actual_id={id}",
                            self.id
                        ));
                    }
                    _ => {}
                }
                set_tid(bytes, NO_TID);
            }
            if ts == UNSET_TS {
                set_ts(bytes, now);
            }
        }
        Ok(())
    }

    /// Progress of a finite source: percentage (0 to 100, two decimals) and the plugin's
    /// message; `None` if the plugin does not report progress.
    pub fn progress(&self) -> Option<(f64, String)> {
        let inst = self.instance();
        let (pct, msg) = inst.core.vtable.progress(inst.state, self.handle?)?;
        Some((f64::from(pct.min(10_000)) / 100.0, msg))
    }

    /// The plugin id stamped on this source's events.
    pub fn plugin_id(&self) -> u32 {
        self.id
    }

    /// The instance, for extraction while the source is open.
    pub fn instance(&self) -> &PluginInstance {
        self.inner.as_ref().expect("a source owns its instance until closed")
    }

    /// The instance, mutably (async events, capture listening).
    pub fn instance_mut(&mut self) -> &mut PluginInstance {
        self.inner.as_mut().expect("a source owns its instance until closed")
    }

    /// Closes the source and gives the instance back.
    pub fn close(mut self) -> PluginInstance {
        self.close_handle();
        self.inner.take().expect("a source owns its instance until closed")
    }

    fn close_handle(&mut self) {
        if let (Some(h), Some(inst)) = (self.handle.take(), &self.inner) {
            inst.core.vtable.close(inst.state, h);
        }
    }
}

impl Drop for SourceInstance {
    fn drop(&mut self) {
        self.close_handle();
    }
}
