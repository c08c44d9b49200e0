//! The FFI layer: every call into a plugin's vtable, and every read of memory a plugin hands
//! back, happens here and nowhere else (with [`callbacks`](crate::callbacks), the other
//! direction).
//!
//! Data enters as a [`Vtable`] (resolved from a shared library with `dlopen`/`dlsym`, as
//! libsinsp's `plugin_loader.c` does, or copied from a statically linked `plugin_api`) and raw
//! pointers to plugin state. It leaves as owned Rust values: strings are copied out of the
//! plugin's buffers before the next call can invalidate them, events are copied into a
//! host-owned [`RawBatch`] after their header was checked, extracted values are handed to a
//! closure while the plugin's result buffers are still valid. Nothing above this module sees a
//! pointer the plugin owns.
//!
//! What we cannot check, we must trust, as every plugin host does: that a non-null pointer a
//! plugin returns points to as many bytes as the plugin says. Everything that *can* be checked
//! (null pointers, counts, header lengths against the minimum, batch and result sizes against
//! sane bounds) is checked before it is used.

use std::ffi::{CStr, CString, c_char};
use std::path::Path;
use std::ptr;
use std::sync::Arc;

pub(crate) use falco_plugin_api as ffi;

use crate::callbacks;

/// Size of the libs event header (`ts u64, tid u64, len u32, type u16, nparams u32`, packed).
pub(crate) const EVENT_HEADER_LEN: usize = 26;
/// Largest event accepted from a plugin (libscap's own limit for plugin events is far lower in
/// practice; this only guards against garbage lengths).
pub(crate) const MAX_EVENT_LEN: usize = 64 << 20;
/// Largest number of events accepted in one batch.
pub(crate) const MAX_BATCH_EVENTS: u32 = 1 << 20;
/// Largest number of values accepted for one extracted field.
pub(crate) const MAX_FIELD_VALUES: u64 = 1 << 20;
/// Largest number of metrics or event types accepted from one call.
const MAX_LIST_LEN: u32 = 1 << 16;

/// The plugin API version this host implements (that of the `falco_plugin_api` crate).
pub(crate) const HOST_API_VERSION: (u32, u32, u32) =
    (ffi::PLUGIN_API_VERSION_MAJOR, ffi::PLUGIN_API_VERSION_MINOR, ffi::PLUGIN_API_VERSION_PATCH);

type StrGetter = unsafe extern "C-unwind" fn() -> *const c_char;

/// Pointer to an initialised plugin's state (`ss_plugin_t*`). Only [`Vtable::init`] makes one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatePtr(*mut ffi::ss_plugin_t);

// SAFETY: a plugin state is an opaque handle; the plugin API lets the host call into one state
// from any thread as long as calls do not overlap, which the owning `PluginInstance` (Send, not
// Sync) guarantees for everything but the documented concurrent callbacks (async events,
// capture-listening routines), which plugins must support by contract.
unsafe impl Send for StatePtr {}

impl StatePtr {
    pub(crate) fn as_ptr(self) -> *mut ffi::ss_plugin_t {
        self.0
    }
}

/// Pointer to an open source instance (`ss_instance_t*`). Only [`Vtable::open`] makes one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InstancePtr(*mut ffi::ss_instance_t);

// SAFETY: as for `StatePtr`; an instance is only used by the `SourceInstance` that owns it.
unsafe impl Send for InstancePtr {}

/// The owner pointer handed to a plugin: the address of a [`crate::owner::Owner`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct OwnerPtr(pub(crate) *mut ffi::ss_plugin_owner_t);

// SAFETY: it points to an `Owner`, which is `Sync` and outlives every plugin state it owns.
unsafe impl Send for OwnerPtr {}

/// An event as handed to a plugin for extraction, parsing or formatting.
pub(crate) struct EventInput<'a> {
    /// The whole event in the libs format (header included).
    pub evt: &'a [u8],
    /// The event number (`evt.num`).
    pub num: u64,
    /// The name of the source the event belongs to.
    pub source: &'a CStr,
}

impl EventInput<'_> {
    fn to_ffi(&self) -> ffi::ss_plugin_event_input {
        ffi::ss_plugin_event_input {
            evt: self.evt.as_ptr().cast(),
            evtnum: self.num,
            evtsrc: self.source.as_ptr(),
        }
    }
}

/// One field extraction request (libsinsp asks for one field per call; so do we).
pub(crate) struct ExtractReq<'a> {
    pub field_id: u32,
    pub field: &'a CStr,
    pub arg_key: Option<&'a CStr>,
    pub arg_index: u64,
    pub arg_present: bool,
    pub ftype: u32,
    pub list: bool,
}

/// One value a plugin extracted, borrowed from the plugin's result buffers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RawValue<'a> {
    U64(u64),
    Bool(bool),
    Str(&'a [u8]),
    Buf(&'a [u8]),
}

/// A metric as a plugin reported it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawMetric {
    pub name: String,
    pub monotonic: bool,
    pub value: RawMetricValue,
}

/// A metric value, by the type the plugin declared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RawMetricValue {
    U32(u32),
    S32(i32),
    U64(u64),
    S64(i64),
    Double(f64),
    Float(f32),
    Int(i32),
}

/// Events copied out of one `next_batch` call: one buffer, one range per event.
#[derive(Debug, Default)]
pub(crate) struct RawBatch {
    pub bytes: Vec<u8>,
    pub events: Vec<(usize, usize)>,
}

impl RawBatch {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.events.clear();
    }
}

/// A plugin's vtable and the library its functions live in.
///
/// The library handle is kept next to the function pointers and dropped after them: a
/// `Vtable` can never outlive the code it points to.
pub(crate) struct Vtable {
    api: ffi::plugin_api,
    _lib: Option<Arc<libloading::Library>>,
}

/// Reads a C string a plugin returned and copies it, or `None` for a null pointer.
fn copy_cstr(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: a non-null string pointer returned by a plugin API function is NUL-terminated and
    // valid until the next call into that plugin (plugin_api.h); we copy it immediately.
    let s = unsafe { CStr::from_ptr(p) };
    Some(s.to_string_lossy().into_owned())
}

fn call_str(f: Option<StrGetter>) -> Option<String> {
    let f = f?;
    // SAFETY: plugin_api.h declares these getters (get_name, get_fields, ...) without
    // arguments; they may be called at any time after loading.
    copy_cstr(unsafe { f() })
}

/// Resolves `plugin_<name>` from `lib`, typed as the vtable field it fills.
fn symbol<T: Copy>(lib: &libloading::Library, name: &[u8]) -> Option<T> {
    // SAFETY: `T` is the exact function pointer type plugin_api.h gives the symbol of this name
    // (the caller assigns the result to the vtable field of that name); libloading checks the
    // name is NUL-terminated.
    unsafe { lib.get::<T>(name) }.ok().map(|s| *s)
}

impl Vtable {
    /// Opens the shared library at `path` (`RTLD_NOW | RTLD_LOCAL`, as libsinsp does) and
    /// resolves every `plugin_*` symbol of the plugin API.
    pub(crate) fn load(path: &Path) -> Result<Vtable, String> {
        use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
        // SAFETY: opening a library runs its initialisers. Loading a plugin means trusting its
        // code (the user configured it), exactly as Falco's `dlopen` does.
        let lib = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }
            .map_err(|e| e.to_string())?;
        let lib = libloading::Library::from(lib);
        let mut api = empty_api();
        macro_rules! resolve {
            ($($($field:ident).+ = $sym:literal;)*) => {
                $( api.$($field).+ = symbol(&lib, concat!("plugin_", $sym, "\0").as_bytes()); )*
            };
        }
        resolve! {
            get_required_api_version = "get_required_api_version";
            get_version = "get_version";
            get_last_error = "get_last_error";
            get_name = "get_name";
            get_description = "get_description";
            get_contact = "get_contact";
            get_init_schema = "get_init_schema";
            init = "init";
            destroy = "destroy";
            __bindgen_anon_1.get_id = "get_id";
            __bindgen_anon_1.get_event_source = "get_event_source";
            __bindgen_anon_1.open = "open";
            __bindgen_anon_1.close = "close";
            __bindgen_anon_1.next_batch = "next_batch";
            __bindgen_anon_1.get_progress = "get_progress";
            __bindgen_anon_1.list_open_params = "list_open_params";
            __bindgen_anon_1.event_to_string = "event_to_string";
            __bindgen_anon_2.get_fields = "get_fields";
            __bindgen_anon_2.extract_fields = "extract_fields";
            __bindgen_anon_2.get_extract_event_sources = "get_extract_event_sources";
            __bindgen_anon_2.get_extract_event_types = "get_extract_event_types";
            __bindgen_anon_3.get_parse_event_types = "get_parse_event_types";
            __bindgen_anon_3.get_parse_event_sources = "get_parse_event_sources";
            __bindgen_anon_3.parse_event = "parse_event";
            __bindgen_anon_4.get_async_event_sources = "get_async_event_sources";
            __bindgen_anon_4.get_async_events = "get_async_events";
            __bindgen_anon_4.set_async_event_handler = "set_async_event_handler";
            __bindgen_anon_4.dump_state = "dump_state";
            set_config = "set_config";
            get_metrics = "get_metrics";
            __bindgen_anon_5.capture_open = "capture_open";
            __bindgen_anon_5.capture_close = "capture_close";
        }
        Ok(Vtable { api, _lib: Some(Arc::new(lib)) })
    }

    /// Wraps a statically linked plugin's vtable (one built by the SDK's `static_plugin!`).
    ///
    /// Plugins requiring an API older than 3.10 were built before `dump_state` was inserted in
    /// the middle of the struct; their trailing entries are shifted back, as libsinsp's
    /// `plugin_load_api` does.
    pub(crate) fn from_static(api: &'static ffi::plugin_api) -> Vtable {
        let mut api = *api;
        let old_layout = call_str(api.get_required_api_version)
            .and_then(|v| crate::version::parse_triple(&v))
            .is_some_and(|(major, minor, _)| major == 3 && minor < 10);
        if old_layout {
            let a4 = api.__bindgen_anon_4;
            let (set_config, get_metrics) = (api.set_config, api.get_metrics);
            let capture_open = api.__bindgen_anon_5.capture_open;
            // What sits in the new slots is the old struct's next entries, one slot later.
            api.set_config = reinterpret(a4.dump_state);
            api.get_metrics = reinterpret(set_config);
            api.__bindgen_anon_5.capture_open = reinterpret(get_metrics);
            api.__bindgen_anon_5.capture_close = reinterpret(capture_open);
            api.__bindgen_anon_4.dump_state = None;
        }
        Vtable { api, _lib: None }
    }

    pub(crate) fn api(&self) -> &ffi::plugin_api {
        &self.api
    }

    pub(crate) fn required_api_version(&self) -> Option<String> {
        call_str(self.api.get_required_api_version)
    }
    pub(crate) fn name(&self) -> Option<String> {
        call_str(self.api.get_name)
    }
    pub(crate) fn description(&self) -> Option<String> {
        call_str(self.api.get_description)
    }
    pub(crate) fn contact(&self) -> Option<String> {
        call_str(self.api.get_contact)
    }
    pub(crate) fn version(&self) -> Option<String> {
        call_str(self.api.get_version)
    }
    pub(crate) fn event_source(&self) -> Option<String> {
        call_str(self.api.__bindgen_anon_1.get_event_source)
    }
    pub(crate) fn fields_json(&self) -> Option<String> {
        call_str(self.api.__bindgen_anon_2.get_fields)
    }
    pub(crate) fn extract_event_sources(&self) -> Option<String> {
        call_str(self.api.__bindgen_anon_2.get_extract_event_sources)
    }
    pub(crate) fn parse_event_sources(&self) -> Option<String> {
        call_str(self.api.__bindgen_anon_3.get_parse_event_sources)
    }
    pub(crate) fn async_event_sources(&self) -> Option<String> {
        call_str(self.api.__bindgen_anon_4.get_async_event_sources)
    }
    pub(crate) fn async_events(&self) -> Option<String> {
        call_str(self.api.__bindgen_anon_4.get_async_events)
    }

    pub(crate) fn id(&self) -> Option<u32> {
        let f = self.api.__bindgen_anon_1.get_id?;
        // SAFETY: `get_id` takes no argument (plugin_api.h).
        Some(unsafe { f() })
    }

    /// The init schema: `(schema type, schema text)`.
    pub(crate) fn init_schema(&self) -> (u32, Option<String>) {
        let Some(f) = self.api.get_init_schema else {
            return (ffi::ss_plugin_schema_type_SS_PLUGIN_SCHEMA_NONE, None);
        };
        let mut ty = ffi::ss_plugin_schema_type_SS_PLUGIN_SCHEMA_NONE;
        // SAFETY: `get_init_schema` writes the schema type through a valid pointer we own and
        // returns a string or NULL.
        let p = unsafe { f(&mut ty) };
        (ty, copy_cstr(p))
    }

    /// Calls `init`; returns the state (which may exist even on failure, to read the error
    /// from) and the result code.
    pub(crate) fn init(
        &self,
        config: &CStr,
        owner: OwnerPtr,
        with_tables: bool,
    ) -> (Option<StatePtr>, i32) {
        let Some(f) = self.api.init else {
            return (None, ffi::ss_plugin_rc_SS_PLUGIN_FAILURE);
        };
        let mut fields = callbacks::fields_vtables();
        let mut reader = callbacks::reader_vtables();
        let mut writer = callbacks::writer_vtables();
        let tables = ffi::ss_plugin_init_tables_input {
            list_tables: Some(callbacks::list_tables),
            get_table: Some(callbacks::get_table),
            add_table: Some(callbacks::add_table),
            fields: fields.0,
            fields_ext: &mut fields.1,
            reader_ext: &mut reader.1,
            writer_ext: &mut writer.1,
        };
        let input = ffi::ss_plugin_init_input {
            config: config.as_ptr(),
            owner: owner.0,
            get_owner_last_error: Some(callbacks::get_owner_last_error),
            tables: if with_tables { &tables } else { ptr::null() },
            log_fn: Some(callbacks::log),
        };
        let mut rc = ffi::ss_plugin_rc_SS_PLUGIN_FAILURE;
        // SAFETY: `input` and everything it points to (config, vtables) live on this stack
        // frame for the whole call; the owner pointer outlives the state (see `Owner`).
        let state = unsafe { f(&input, &mut rc) };
        ((!state.is_null()).then_some(StatePtr(state)), rc)
    }

    pub(crate) fn destroy(&self, state: StatePtr) {
        if let Some(f) = self.api.destroy {
            // SAFETY: `state` came from `init` and is destroyed once, by its only owner.
            unsafe { f(state.0) }
        }
    }

    pub(crate) fn last_error(&self, state: StatePtr) -> String {
        let Some(f) = self.api.get_last_error else {
            return "plugin handle or 'get_last_error' function not defined".to_string();
        };
        // SAFETY: `state` is a live state from `init`.
        copy_cstr(unsafe { f(state.0) }).unwrap_or_default()
    }

    fn event_types(
        f: Option<unsafe extern "C-unwind" fn(*mut u32, *mut ffi::ss_plugin_t) -> *mut u16>,
        state: StatePtr,
    ) -> Vec<u16> {
        let Some(f) = f else { return Vec::new() };
        let mut n = 0u32;
        // SAFETY: `state` is live; `n` is a valid out-pointer.
        let p = unsafe { f(&mut n, state.0) };
        if p.is_null() || n == 0 || n > MAX_LIST_LEN {
            return Vec::new();
        }
        // SAFETY: the plugin returned a non-null array of `n` event codes, valid until the next
        // call; copied now.
        unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec()
    }

    pub(crate) fn extract_event_types(&self, state: StatePtr) -> Vec<u16> {
        Self::event_types(self.api.__bindgen_anon_2.get_extract_event_types, state)
    }

    pub(crate) fn parse_event_types(&self, state: StatePtr) -> Vec<u16> {
        Self::event_types(self.api.__bindgen_anon_3.get_parse_event_types, state)
    }

    pub(crate) fn set_config(&self, state: StatePtr, config: &CStr) -> Option<i32> {
        let f = self.api.set_config?;
        let input = ffi::ss_plugin_set_config_input { config: config.as_ptr() };
        // SAFETY: `state` is live and `input` outlives the call.
        Some(unsafe { f(state.0, &input) })
    }

    pub(crate) fn metrics(&self, state: StatePtr) -> Vec<RawMetric> {
        let Some(f) = self.api.get_metrics else {
            return Vec::new();
        };
        let mut n = 0u32;
        // SAFETY: `state` is live; `n` is a valid out-pointer.
        let p = unsafe { f(state.0, &mut n) };
        if p.is_null() || n == 0 || n > MAX_LIST_LEN {
            return Vec::new();
        }
        // SAFETY: the plugin returned an array of `n` metrics valid until the next call.
        let metrics = unsafe { std::slice::from_raw_parts(p, n as usize) };
        metrics
            .iter()
            .map(|m| {
                // SAFETY: the union member read is the one `value_type` says the plugin wrote.
                let value = unsafe {
                    match m.value_type {
                        ffi::ss_plugin_metric_value_type_SS_PLUGIN_METRIC_VALUE_TYPE_U32 => {
                            RawMetricValue::U32(m.value.u32_)
                        }
                        ffi::ss_plugin_metric_value_type_SS_PLUGIN_METRIC_VALUE_TYPE_S32 => {
                            RawMetricValue::S32(m.value.s32)
                        }
                        ffi::ss_plugin_metric_value_type_SS_PLUGIN_METRIC_VALUE_TYPE_U64 => {
                            RawMetricValue::U64(m.value.u64_)
                        }
                        ffi::ss_plugin_metric_value_type_SS_PLUGIN_METRIC_VALUE_TYPE_S64 => {
                            RawMetricValue::S64(m.value.s64)
                        }
                        ffi::ss_plugin_metric_value_type_SS_PLUGIN_METRIC_VALUE_TYPE_D => {
                            RawMetricValue::Double(m.value.d)
                        }
                        ffi::ss_plugin_metric_value_type_SS_PLUGIN_METRIC_VALUE_TYPE_F => {
                            RawMetricValue::Float(m.value.f)
                        }
                        _ => RawMetricValue::Int(m.value.i),
                    }
                };
                RawMetric {
                    name: copy_cstr(m.name).unwrap_or_default(),
                    monotonic: m.type_
                        == ffi::ss_plugin_metric_type_SS_PLUGIN_METRIC_TYPE_MONOTONIC,
                    value,
                }
            })
            .collect()
    }

    pub(crate) fn list_open_params(&self, state: StatePtr) -> Option<(i32, Option<String>)> {
        let f = self.api.__bindgen_anon_1.list_open_params?;
        let mut rc = ffi::ss_plugin_rc_SS_PLUGIN_FAILURE;
        // SAFETY: `state` is live; `rc` is a valid out-pointer.
        let p = unsafe { f(state.0, &mut rc) };
        Some((rc, copy_cstr(p)))
    }

    pub(crate) fn open(&self, state: StatePtr, params: &CStr) -> (Option<InstancePtr>, i32) {
        let Some(f) = self.api.__bindgen_anon_1.open else {
            return (None, ffi::ss_plugin_rc_SS_PLUGIN_NOT_SUPPORTED);
        };
        let mut rc = ffi::ss_plugin_rc_SS_PLUGIN_FAILURE;
        // SAFETY: `state` is live; `params` outlives the call; `rc` is a valid out-pointer.
        let h = unsafe { f(state.0, params.as_ptr(), &mut rc) };
        ((!h.is_null()).then_some(InstancePtr(h)), rc)
    }

    pub(crate) fn close(&self, state: StatePtr, inst: InstancePtr) {
        if let Some(f) = self.api.__bindgen_anon_1.close {
            // SAFETY: `inst` came from `open` on this state and is closed once.
            unsafe { f(state.0, inst.0) }
        }
    }

    pub(crate) fn progress(&self, state: StatePtr, inst: InstancePtr) -> Option<(u32, String)> {
        let f = self.api.__bindgen_anon_1.get_progress?;
        let mut pct = 0u32;
        // SAFETY: `state` and `inst` are live; `pct` is a valid out-pointer.
        let p = unsafe { f(state.0, inst.0, &mut pct) };
        Some((pct, copy_cstr(p).unwrap_or_default()))
    }

    pub(crate) fn event_to_string(&self, state: StatePtr, evt: &EventInput<'_>) -> Option<String> {
        let f = self.api.__bindgen_anon_1.event_to_string?;
        let input = evt.to_ffi();
        // SAFETY: `state` is live; `input` points to a complete event in host memory that
        // outlives the call.
        copy_cstr(unsafe { f(state.0, &input) })
    }

    /// Calls `next_batch` and copies every returned event into `out` after checking its
    /// pointer and header length. Returns the plugin's result code, or an error for a batch
    /// that cannot be read safely.
    pub(crate) fn next_batch(
        &self,
        state: StatePtr,
        inst: InstancePtr,
        out: &mut RawBatch,
    ) -> Result<i32, String> {
        out.clear();
        let Some(f) = self.api.__bindgen_anon_1.next_batch else {
            return Ok(ffi::ss_plugin_rc_SS_PLUGIN_EOF);
        };
        let mut nevts = 0u32;
        let mut evts: *mut *mut ffi::ss_plugin_event = ptr::null_mut();
        // SAFETY: `state` and `inst` are live; both out-pointers are valid.
        let rc = unsafe { f(state.0, inst.0, &mut nevts, &mut evts) };
        if nevts == 0 {
            return Ok(rc);
        }
        if nevts > MAX_BATCH_EVENTS {
            return Err(format!("next_batch returned an implausible batch of {nevts} events"));
        }
        if evts.is_null() {
            return Err(format!("next_batch returned {nevts} events and a null array"));
        }
        for i in 0..nevts as usize {
            // SAFETY: the plugin returned an array of `nevts` event pointers, valid until the
            // next call into the plugin; `i < nevts`.
            let evt = unsafe { *evts.add(i) };
            if evt.is_null() {
                return Err(format!("next_batch returned a null pointer for event {i}"));
            }
            // SAFETY: a non-null event pointer from the batch array, valid until the next call.
            let bytes = unsafe { event_bytes(evt) }.map_err(|len| {
                format!("event {i} of the batch declares an invalid length of {len}")
            })?;
            let start = out.bytes.len();
            out.bytes.extend_from_slice(bytes);
            out.events.push((start, bytes.len()));
        }
        Ok(rc)
    }

    /// Extracts one field; `each` receives every value while the plugin's buffers are valid.
    /// Returns the plugin's result code and the number of values.
    pub(crate) fn extract(
        &self,
        state: StatePtr,
        owner: OwnerPtr,
        evt: &EventInput<'_>,
        req: &ExtractReq<'_>,
        each: &mut dyn FnMut(RawValue<'_>),
    ) -> Result<(i32, u64), String> {
        let Some(f) = self.api.__bindgen_anon_2.extract_fields else {
            return Ok((ffi::ss_plugin_rc_SS_PLUGIN_NOT_SUPPORTED, 0));
        };
        let mut field = ffi::ss_plugin_extract_field {
            res: ffi::ss_plugin_extract_field__bindgen_ty_1 { u64_: ptr::null_mut() },
            res_len: 0,
            field_id: req.field_id,
            field: req.field.as_ptr(),
            arg_key: req.arg_key.map_or(ptr::null(), |k| k.as_ptr()),
            arg_index: req.arg_index,
            arg_present: req.arg_present as u32,
            ftype: req.ftype,
            flist: req.list as u32,
        };
        let mut reader = callbacks::reader_vtables();
        let input = ffi::ss_plugin_field_extract_input {
            owner: owner.0,
            get_owner_last_error: Some(callbacks::get_owner_last_error),
            num_fields: 1,
            fields: &mut field,
            table_reader: reader.0,
            table_reader_ext: &mut reader.1,
            value_offsets: ptr::null_mut(),
        };
        let evt_in = evt.to_ffi();
        // SAFETY: `state` is live; the event, the field request and the vtables live on this
        // frame or in host buffers for the whole call.
        let rc = unsafe { f(state.0, &evt_in, &input) };
        if rc != ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS || field.res_len == 0 {
            return Ok((rc, 0));
        }
        let n = field.res_len;
        if n > MAX_FIELD_VALUES {
            return Err(format!("plugin returned an implausible number of values ({n})"));
        }
        let n = n as usize;
        // SAFETY (all reads below): on success the plugin filled `res` with `res_len` values of
        // the requested type in buffers that stay valid until the next call into it (plugin_api.h);
        // `ftype` selects the union member the plugin wrote. Null pointers are rejected first.
        match req.ftype {
            ffi::ss_plugin_field_type_FTYPE_STRING => {
                // SAFETY: `ftype` says the plugin wrote the `str_` member of the union.
                let p = unsafe { field.res.str_ };
                if p.is_null() {
                    return Err("plugin returned a null string array".into());
                }
                // SAFETY: see above.
                for &s in unsafe { std::slice::from_raw_parts(p, n) } {
                    if s.is_null() {
                        return Err("plugin returned a null string".into());
                    }
                    // SAFETY: a non-null extracted string is NUL-terminated (plugin_api.h).
                    each(RawValue::Str(unsafe { CStr::from_ptr(s) }.to_bytes()));
                }
            }
            ffi::ss_plugin_field_type_FTYPE_BOOL => {
                // SAFETY: `ftype` says the plugin wrote the `boolean` member of the union.
                let p = unsafe { field.res.boolean };
                if p.is_null() {
                    return Err("plugin returned a null bool array".into());
                }
                // SAFETY: see above.
                for &b in unsafe { std::slice::from_raw_parts(p, n) } {
                    each(RawValue::Bool(b != 0));
                }
            }
            ffi::ss_plugin_field_type_FTYPE_IPADDR | ffi::ss_plugin_field_type_FTYPE_IPNET => {
                // SAFETY: `ftype` says the plugin wrote the `buf` member of the union.
                let p = unsafe { field.res.buf };
                if p.is_null() {
                    return Err("plugin returned a null buffer array".into());
                }
                // SAFETY: see above.
                for b in unsafe { std::slice::from_raw_parts(p, n) } {
                    if b.ptr.is_null() || b.len > 16 {
                        return Err(format!(
                            "plugin returned an invalid address of {} bytes",
                            b.len
                        ));
                    }
                    // SAFETY: a non-null buffer of `len` (<= 16) bytes, see above.
                    each(RawValue::Buf(unsafe {
                        std::slice::from_raw_parts(b.ptr.cast::<u8>(), b.len as usize)
                    }));
                }
            }
            _ => {
                // SAFETY: `ftype` says the plugin wrote the `u64_` member of the union.
                let p = unsafe { field.res.u64_ };
                if p.is_null() {
                    return Err("plugin returned a null integer array".into());
                }
                // SAFETY: see above (UINT64, RELTIME and ABSTIME are all u64 arrays).
                for &v in unsafe { std::slice::from_raw_parts(p, n) } {
                    each(RawValue::U64(v));
                }
            }
        }
        Ok((rc, n as u64))
    }

    pub(crate) fn parse(&self, state: StatePtr, owner: OwnerPtr, evt: &EventInput<'_>) -> i32 {
        let Some(f) = self.api.__bindgen_anon_3.parse_event else {
            return ffi::ss_plugin_rc_SS_PLUGIN_NOT_SUPPORTED;
        };
        let mut reader = callbacks::reader_vtables();
        let mut writer = callbacks::writer_vtables();
        let input = ffi::ss_plugin_event_parse_input {
            owner: owner.0,
            get_owner_last_error: Some(callbacks::get_owner_last_error),
            table_reader: reader.0,
            table_writer: writer.0,
            table_reader_ext: &mut reader.1,
            table_writer_ext: &mut writer.1,
        };
        let evt_in = evt.to_ffi();
        // SAFETY: `state` is live; event and vtables outlive the call.
        unsafe { f(state.0, &evt_in, &input) }
    }

    /// Installs (or with `enable == false` removes) the host's async event handler.
    pub(crate) fn set_async_handler(&self, state: StatePtr, owner: OwnerPtr, enable: bool) -> i32 {
        let Some(f) = self.api.__bindgen_anon_4.set_async_event_handler else {
            return ffi::ss_plugin_rc_SS_PLUGIN_NOT_SUPPORTED;
        };
        let handler: ffi::ss_plugin_async_event_handler_t =
            if enable { Some(callbacks::async_event) } else { None };
        // SAFETY: `state` is live; the owner outlives the state, so the plugin may call the
        // handler with it from any thread until the handler is removed.
        unsafe { f(state.0, owner.0, handler) }
    }

    /// Calls `capture_open` (`open == true`) or `capture_close`.
    pub(crate) fn capture(&self, state: StatePtr, owner: OwnerPtr, open: bool) -> Option<i32> {
        let f = if open {
            self.api.__bindgen_anon_5.capture_open?
        } else {
            self.api.__bindgen_anon_5.capture_close?
        };
        let mut routines = callbacks::routine_vtable();
        let mut reader = callbacks::reader_vtables();
        let mut writer = callbacks::writer_vtables();
        let input = ffi::ss_plugin_capture_listen_input {
            owner: owner.0,
            routine: &mut routines,
            table_reader_ext: &mut reader.1,
            table_writer_ext: &mut writer.1,
            get_owner_last_error: Some(callbacks::get_owner_last_error),
        };
        // SAFETY: `state` is live; the input and vtables outlive the call.
        Some(unsafe { f(state.0, &input) })
    }
}

/// The bytes of an event a plugin handed over (header length checked against sane bounds), or
/// the bad length.
///
/// # Safety
/// `evt` must be non-null and point to an event of the length its header declares, valid for
/// `'a` (the plugin API's contract for every event pointer a plugin returns or emits).
pub(crate) unsafe fn event_bytes<'a>(evt: *const ffi::ss_plugin_event) -> Result<&'a [u8], usize> {
    let mut header = [0u8; EVENT_HEADER_LEN];
    // SAFETY: per the contract, `evt` points to at least a complete header.
    unsafe { ptr::copy_nonoverlapping(evt.cast::<u8>(), header.as_mut_ptr(), header.len()) };
    let len = u32::from_le_bytes([header[16], header[17], header[18], header[19]]) as usize;
    if !(EVENT_HEADER_LEN..=MAX_EVENT_LEN).contains(&len) {
        return Err(len);
    }
    // SAFETY: per the contract, the event is `len` bytes long and valid for `'a`.
    Ok(unsafe { std::slice::from_raw_parts(evt.cast::<u8>(), len) })
}

/// Reads a vtable slot as the function type of another slot (only for the pre-3.10 layout
/// fix-up, where slots hold the entry that used to sit one position earlier).
fn reinterpret<A: Copy, B: Copy>(a: Option<A>) -> Option<B> {
    const { assert!(size_of::<Option<A>>() == size_of::<Option<B>>()) };
    // SAFETY: both are nullable function pointers of the same size; the pre-3.10 layout puts
    // the function of type B in the slot typed A, exactly as libsinsp's memmove reinterprets it.
    unsafe { std::mem::transmute_copy::<Option<A>, Option<B>>(&a) }
}

fn empty_api() -> ffi::plugin_api {
    ffi::plugin_api {
        get_required_api_version: None,
        get_init_schema: None,
        init: None,
        destroy: None,
        get_last_error: None,
        get_name: None,
        get_description: None,
        get_contact: None,
        get_version: None,
        __bindgen_anon_1: ffi::plugin_api__bindgen_ty_1 {
            get_id: None,
            get_event_source: None,
            open: None,
            close: None,
            list_open_params: None,
            get_progress: None,
            event_to_string: None,
            next_batch: None,
        },
        __bindgen_anon_2: ffi::plugin_api__bindgen_ty_2 {
            get_extract_event_types: None,
            get_extract_event_sources: None,
            get_fields: None,
            extract_fields: None,
        },
        __bindgen_anon_3: ffi::plugin_api__bindgen_ty_3 {
            get_parse_event_types: None,
            get_parse_event_sources: None,
            parse_event: None,
        },
        __bindgen_anon_4: ffi::plugin_api__bindgen_ty_4 {
            get_async_event_sources: None,
            get_async_events: None,
            set_async_event_handler: None,
            dump_state: None,
        },
        set_config: None,
        get_metrics: None,
        __bindgen_anon_5: ffi::plugin_api__bindgen_ty_5 { capture_open: None, capture_close: None },
    }
}

/// A C string for the plugin from Rust text; interior NULs (which C cannot carry) end it.
pub(crate) fn to_cstring(s: &str) -> CString {
    let end = s.find('\0').unwrap_or(s.len());
    CString::new(&s[..end]).unwrap_or_default()
}
