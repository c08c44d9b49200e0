//! Functions plugins call into the host: logging, the owner's last error, the table API, async
//! events and capture-listening routines.
//!
//! Every function here is `extern "C-unwind"` because that is the type `falco_plugin_api`
//! gives the vtables, but none ever unwinds: each body runs inside [`guard`]
//! (`catch_unwind`) and answers a panic with the API's failure value (null, `FAILURE`, 0).
//! Pointers from plugins are checked for null before use; everything else they point to is the
//! plugin API's contract (a key of the declared type, a NUL-terminated name).
//!
//! Table handles given to plugins point to an `ss_plugin_table_input` held by the inspector's
//! [`TableRegistry`](crate::TableRegistry); the `dispatch_*` functions forward each call
//! through that input's vtables, either to the `host_*` functions below (host tables) or to the
//! plugin that exported the table, exactly as libsinsp's dispatchers do.

use std::cell::UnsafeCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::owner::{Owner, lock};
use crate::raw::{StatePtr, event_bytes, ffi};
use crate::tables::{EntryId, HostTable, StateType, StateValue};

const SUCCESS: ffi::ss_plugin_rc = ffi::ss_plugin_rc_SS_PLUGIN_SUCCESS;
const FAILURE: ffi::ss_plugin_rc = ffi::ss_plugin_rc_SS_PLUGIN_FAILURE;

/// Runs a callback body; a panic becomes `fallback` instead of unwinding into the plugin.
fn guard<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn owner<'a>(o: *mut ffi::ss_plugin_owner_t) -> Option<&'a Owner> {
    // SAFETY: every owner pointer the host hands out is `Owner::ptr` of an `Arc<Owner>` that the
    // plugin core keeps alive for as long as the library is loaded (see `owner.rs`).
    unsafe { o.cast::<Owner>().as_ref() }
}

fn cstr<'a>(p: *const c_char) -> Option<&'a CStr> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the plugin API passes names, messages and keys as NUL-terminated strings valid for
    // the duration of the call; only used within it.
    Some(unsafe { CStr::from_ptr(p) })
}

pub(crate) unsafe extern "C-unwind" fn get_owner_last_error(
    o: *mut ffi::ss_plugin_owner_t,
) -> *const c_char {
    guard(ptr::null(), || owner(o).and_then(|o| o.last_error_ptr()).unwrap_or(ptr::null()))
}

pub(crate) unsafe extern "C-unwind" fn log(
    o: *mut ffi::ss_plugin_owner_t,
    component: *const c_char,
    msg: *const c_char,
    sev: ffi::ss_plugin_log_severity,
) {
    guard((), || {
        if let (Some(o), Some(msg)) = (owner(o), cstr(msg)) {
            o.log(cstr(component), msg, sev);
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Async events

pub(crate) unsafe extern "C-unwind" fn async_event(
    o: *mut ffi::ss_plugin_owner_t,
    evt: *const ffi::ss_plugin_event,
    err: *mut c_char,
) -> ffi::ss_plugin_rc {
    guard(FAILURE, || {
        let result = (|| {
            let o = owner(o).ok_or("async event sent with a null owner")?;
            if evt.is_null() {
                return Err(format!("null async event produced by plugin: {}", o.plugin_name));
            }
            // SAFETY: a non-null event the plugin emits, valid for this call; copied.
            let bytes = unsafe { event_bytes(evt) }
                .map_err(|_| {
                    format!("malformed async event produced by plugin: {}", o.plugin_name)
                })?
                .to_vec();
            o.push_async(bytes)
        })();
        match result {
            Ok(()) => SUCCESS,
            Err(msg) => {
                write_err(err, &msg);
                FAILURE
            }
        }
    })
}

/// Writes `msg` into a plugin-provided `PLUGIN_MAX_ERRLEN` error buffer.
fn write_err(err: *mut c_char, msg: &str) {
    if err.is_null() {
        return;
    }
    let n = msg.len().min(ffi::PLUGIN_MAX_ERRLEN as usize - 1);
    // SAFETY: the async handler's `err` argument is a buffer of PLUGIN_MAX_ERRLEN bytes
    // (plugin_api.h); we write at most that many, NUL included.
    unsafe {
        ptr::copy_nonoverlapping(msg.as_ptr().cast::<c_char>(), err, n);
        *err.add(n) = 0;
    }
}

// ---------------------------------------------------------------------------------------------
// Capture-listening routines

type RoutineFn = unsafe extern "C-unwind" fn(
    *mut ffi::ss_plugin_t,
    *mut ffi::ss_plugin_routine_state_t,
) -> ffi::ss_plugin_bool;

/// A routine a plugin subscribed; run on its own thread until it returns false or is
/// unsubscribed.
pub(crate) struct Routine {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Routine {
    /// True while the routine's thread runs.
    pub(crate) fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Asks the routine to stop and waits for its thread.
    pub(crate) fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct RoutineCall {
    f: RoutineFn,
    state: StatePtr,
    arg: *mut ffi::ss_plugin_routine_state_t,
}

// SAFETY: the routine state is the plugin's; the plugin API requires subscribed routines to be
// callable from a host worker thread (libsinsp runs them on its thread pool).
unsafe impl Send for RoutineCall {}

impl RoutineCall {
    fn call(&self) -> bool {
        // SAFETY: the plugin subscribed `f` with `arg` for its live state; the host stops and
        // joins the routine before the state is destroyed.
        unsafe { (self.f)(self.state.as_ptr(), self.arg) != 0 }
    }
}

pub(crate) fn routine_vtable() -> ffi::ss_plugin_routine_vtable {
    ffi::ss_plugin_routine_vtable {
        subscribe: Some(routine_subscribe),
        unsubscribe: Some(routine_unsubscribe),
    }
}

unsafe extern "C-unwind" fn routine_subscribe(
    o: *mut ffi::ss_plugin_owner_t,
    f: ffi::ss_plugin_routine_fn_t,
    s: *mut ffi::ss_plugin_routine_state_t,
) -> *mut ffi::ss_plugin_routine_t {
    guard(ptr::null_mut(), || {
        let (Some(o), Some(f)) = (owner(o), f) else {
            return ptr::null_mut();
        };
        let Some(state) = o.state() else {
            return ptr::null_mut();
        };
        let call = RoutineCall { f, state, arg: s };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new().name(format!("{}-routine", o.plugin_name)).spawn(
            move || {
                while !flag.load(Ordering::Relaxed) && call.call() {
                    std::thread::yield_now();
                }
            },
        );
        let Ok(thread) = thread else {
            return ptr::null_mut();
        };
        let mut routines = lock(&o.routines);
        routines.push(Routine { stop, thread: Some(thread) });
        // Handles are 1-based indices, never null.
        routines.len() as *mut ffi::ss_plugin_routine_t
    })
}

unsafe extern "C-unwind" fn routine_unsubscribe(
    o: *mut ffi::ss_plugin_owner_t,
    r: *mut ffi::ss_plugin_routine_t,
) -> ffi::ss_plugin_rc {
    guard(FAILURE, || {
        let Some(o) = owner(o) else { return FAILURE };
        let i = (r as usize).wrapping_sub(1);
        let thread = {
            let mut routines = lock(&o.routines);
            let Some(routine) = routines.get_mut(i) else {
                return FAILURE;
            };
            routine.stop.store(true, Ordering::Relaxed);
            // From another thread, wait until the routine is out of its current run: the
            // plugin frees the routine's state right after unsubscribing. From the routine's
            // own thread, the flag is enough (it stops after this run).
            match &routine.thread {
                Some(t) if t.thread().id() != std::thread::current().id() => routine.thread.take(),
                _ => None,
            }
        };
        if let Some(t) = thread {
            let _ = t.join();
        }
        SUCCESS
    })
}

// ---------------------------------------------------------------------------------------------
// Tables: registry entry points

/// Scratch for `list_tables`: the array handed to the plugin and the tables its names live in.
#[derive(Default)]
pub(crate) struct TableList {
    infos: Vec<ffi::ss_plugin_table_info>,
    keep: Vec<Arc<FfiTable>>,
}

// SAFETY: the raw name pointers point into the `FfiTable`s held in `keep`.
unsafe impl Send for TableList {}

pub(crate) unsafe extern "C-unwind" fn list_tables(
    o: *mut ffi::ss_plugin_owner_t,
    ntables: *mut u32,
) -> *mut ffi::ss_plugin_table_info {
    guard(ptr::null_mut(), || {
        let Some(o) = owner(o) else {
            return ptr::null_mut();
        };
        if ntables.is_null() {
            return ptr::null_mut();
        }
        let tables: Vec<Arc<FfiTable>> = o.tables.lock().clone();
        let mut list = lock(&o.table_list);
        list.infos = tables
            .iter()
            .map(|t| ffi::ss_plugin_table_info { name: t.name.as_ptr(), key_type: t.key_type })
            .collect();
        list.keep = tables;
        // SAFETY: `ntables` is a non-null out-pointer from the plugin.
        unsafe { *ntables = list.infos.len() as u32 };
        list.infos.as_mut_ptr()
    })
}

pub(crate) unsafe extern "C-unwind" fn get_table(
    o: *mut ffi::ss_plugin_owner_t,
    name: *const c_char,
    key_type: ffi::ss_plugin_state_type,
) -> *mut ffi::ss_plugin_table_t {
    guard(ptr::null_mut(), || {
        let (Some(o), Some(name)) = (owner(o), cstr(name)) else {
            return ptr::null_mut();
        };
        let name = name.to_string_lossy();
        let Some(t) = o.tables.find(&name) else {
            o.set_last_error(&format!("table '{name}' does not exist"));
            return ptr::null_mut();
        };
        if t.key_type != key_type {
            o.set_last_error(&format!(
                "table '{name}' has key type {:?}, requested {:?}",
                StateType::from_code(t.key_type),
                StateType::from_code(key_type)
            ));
            return ptr::null_mut();
        }
        t.input.get().cast()
    })
}

pub(crate) unsafe extern "C-unwind" fn add_table(
    o: *mut ffi::ss_plugin_owner_t,
    input: *const ffi::ss_plugin_table_input,
) -> ffi::ss_plugin_rc {
    guard(FAILURE, || {
        let Some(o) = owner(o) else { return FAILURE };
        // SAFETY: a non-null table input from the plugin, valid for this call; copied.
        let Some(input) = (unsafe { input.as_ref() }) else {
            o.set_last_error("add_table called with a null input");
            return FAILURE;
        };
        match FfiTable::from_plugin(input, o as *const Owner as usize) {
            Ok(t) => {
                let mut tables = o.tables.lock();
                if tables.iter().any(|x| x.name == t.name) {
                    o.set_last_error(&format!(
                        "a table named '{}' is already registered",
                        t.name.to_string_lossy()
                    ));
                    return FAILURE;
                }
                tables.push(Arc::new(t));
                SUCCESS
            }
            Err(msg) => {
                o.set_last_error(&format!("add_table: {msg}"));
                FAILURE
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Tables: one registered table, in the FFI shape plugins see

/// The host's state behind a host table's `ss_plugin_table_t*`.
pub(crate) struct HostSlot {
    pub(crate) table: Mutex<Box<dyn HostTable>>,
    name: CString,
    scratch: Mutex<HostScratch>,
    dirty: Arc<AtomicBool>,
}

/// Memory a host table lends to plugins: field listings and strings read from entries.
#[derive(Default)]
struct HostScratch {
    field_infos: Vec<ffi::ss_plugin_table_fieldinfo>,
    field_names: Vec<CString>,
    strings: Vec<CString>,
}

// SAFETY: the raw pointers in `field_infos` point into `field_names`, owned alongside.
unsafe impl Send for HostScratch {}

/// A registered table: the `ss_plugin_table_input` plugins receive (stable address inside an
/// `Arc`), its vtables, and for host tables the host state.
pub(crate) struct FfiTable {
    name: CString,
    key_type: ffi::ss_plugin_state_type,
    input: UnsafeCell<ffi::ss_plugin_table_input>,
    _reader: Box<UnsafeCell<ffi::ss_plugin_table_reader_vtable_ext>>,
    _writer: Box<UnsafeCell<ffi::ss_plugin_table_writer_vtable_ext>>,
    _fields: Box<UnsafeCell<ffi::ss_plugin_table_fields_vtable_ext>>,
    host: Option<Arc<HostSlot>>,
    /// The owner (address) of the plugin that exported the table; `None` for host tables.
    owner: Option<usize>,
}

// SAFETY: the input only points to the boxed vtables and host slot owned by this struct, or to
// a table owned by a plugin that the API lets any host thread call; the host slot's state is
// behind mutexes.
unsafe impl Send for FfiTable {}
// SAFETY: as above; `input` is never written after construction.
unsafe impl Sync for FfiTable {}

impl FfiTable {
    pub(crate) fn host(table: Box<dyn HostTable>, dirty: Arc<AtomicBool>) -> FfiTable {
        let name = crate::raw::to_cstring(table.name());
        let key_type = table.key_type().code();
        let slot = Arc::new(HostSlot {
            name: name.clone(),
            table: Mutex::new(table),
            scratch: Mutex::default(),
            dirty,
        });
        let reader = Box::new(UnsafeCell::new(ffi::ss_plugin_table_reader_vtable_ext {
            get_table_name: Some(host_get_name),
            get_table_size: Some(host_get_size),
            get_table_entry: Some(host_get_entry),
            read_entry_field: Some(host_read_entry_field),
            release_table_entry: Some(host_release_entry),
            iterate_entries: Some(host_iterate_entries),
        }));
        let writer = Box::new(UnsafeCell::new(ffi::ss_plugin_table_writer_vtable_ext {
            clear_table: Some(host_clear),
            erase_table_entry: Some(host_erase_entry),
            create_table_entry: Some(host_create_entry),
            destroy_table_entry: Some(host_destroy_entry),
            add_table_entry: Some(host_add_entry),
            write_entry_field: Some(host_write_entry_field),
        }));
        let fields = Box::new(UnsafeCell::new(ffi::ss_plugin_table_fields_vtable_ext {
            list_table_fields: Some(host_list_fields),
            get_table_field: Some(host_get_field),
            add_table_field: Some(host_add_field),
        }));
        let table_ptr = Arc::as_ptr(&slot).cast_mut().cast::<ffi::ss_plugin_table_t>();
        Self::assemble(name, key_type, table_ptr, reader, writer, fields, Some(slot))
    }

    fn from_plugin(input: &ffi::ss_plugin_table_input, owner: usize) -> Result<FfiTable, String> {
        let name = cstr(input.name).ok_or("table without a name")?;
        if input.table.is_null() {
            return Err("table without a table pointer".into());
        }
        // SAFETY: non-null ext vtable pointers from the plugin, valid for this call; copied.
        let (reader, writer, fields) = unsafe {
            (input.reader_ext.as_ref(), input.writer_ext.as_ref(), input.fields_ext.as_ref())
        };
        let (Some(reader), Some(writer), Some(fields)) = (reader, writer, fields) else {
            return Err("table input without its vtables".into());
        };
        let complete = reader.get_table_name.is_some()
            && reader.get_table_size.is_some()
            && reader.get_table_entry.is_some()
            && reader.read_entry_field.is_some()
            && reader.release_table_entry.is_some()
            && reader.iterate_entries.is_some()
            && writer.clear_table.is_some()
            && writer.erase_table_entry.is_some()
            && writer.create_table_entry.is_some()
            && writer.destroy_table_entry.is_some()
            && writer.add_table_entry.is_some()
            && writer.write_entry_field.is_some()
            && fields.list_table_fields.is_some()
            && fields.get_table_field.is_some()
            && fields.add_table_field.is_some();
        if !complete {
            return Err("table vtables are incomplete".into());
        }
        let mut t = Self::assemble(
            name.to_owned(),
            input.key_type,
            input.table,
            Box::new(UnsafeCell::new(*reader)),
            Box::new(UnsafeCell::new(*writer)),
            Box::new(UnsafeCell::new(*fields)),
            None,
        );
        t.owner = Some(owner);
        Ok(t)
    }

    fn assemble(
        name: CString,
        key_type: ffi::ss_plugin_state_type,
        table: *mut ffi::ss_plugin_table_t,
        reader: Box<UnsafeCell<ffi::ss_plugin_table_reader_vtable_ext>>,
        writer: Box<UnsafeCell<ffi::ss_plugin_table_writer_vtable_ext>>,
        fields: Box<UnsafeCell<ffi::ss_plugin_table_fields_vtable_ext>>,
        host: Option<Arc<HostSlot>>,
    ) -> FfiTable {
        let r = reader_vtables();
        let w = writer_vtables();
        let f = fields_vtables();
        let input = ffi::ss_plugin_table_input {
            name: name.as_ptr(),
            key_type,
            table,
            reader: r.0,
            writer: w.0,
            fields: f.0,
            reader_ext: reader.get(),
            writer_ext: writer.get(),
            fields_ext: fields.get(),
        };
        FfiTable {
            name,
            key_type,
            input: UnsafeCell::new(input),
            _reader: reader,
            _writer: writer,
            _fields: fields,
            host,
            owner: None,
        }
    }

    pub(crate) fn name(&self) -> &str {
        self.name.to_str().unwrap_or_default()
    }

    pub(crate) fn key_type(&self) -> u32 {
        self.key_type
    }

    pub(crate) fn exported_by(&self, owner: usize) -> bool {
        self.owner == Some(owner)
    }

    pub(crate) fn host_slot(&self) -> Option<&HostSlot> {
        self.host.as_deref()
    }

    pub(crate) fn clear_scratch(&self) {
        if let Some(h) = &self.host {
            lock(&h.scratch).strings.clear();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tables: vtables handed to plugins (dispatchers)

pub(crate) fn reader_vtables()
-> (ffi::ss_plugin_table_reader_vtable, ffi::ss_plugin_table_reader_vtable_ext) {
    (
        ffi::ss_plugin_table_reader_vtable {
            get_table_name: Some(dispatch_get_name),
            get_table_size: Some(dispatch_get_size),
            get_table_entry: Some(dispatch_get_entry),
            read_entry_field: Some(dispatch_read_entry_field),
        },
        ffi::ss_plugin_table_reader_vtable_ext {
            get_table_name: Some(dispatch_get_name),
            get_table_size: Some(dispatch_get_size),
            get_table_entry: Some(dispatch_get_entry),
            read_entry_field: Some(dispatch_read_entry_field),
            release_table_entry: Some(dispatch_release_entry),
            iterate_entries: Some(dispatch_iterate_entries),
        },
    )
}

pub(crate) fn writer_vtables()
-> (ffi::ss_plugin_table_writer_vtable, ffi::ss_plugin_table_writer_vtable_ext) {
    (
        ffi::ss_plugin_table_writer_vtable {
            clear_table: Some(dispatch_clear),
            erase_table_entry: Some(dispatch_erase_entry),
            create_table_entry: Some(dispatch_create_entry),
            destroy_table_entry: Some(dispatch_destroy_entry),
            add_table_entry: Some(dispatch_add_entry),
            write_entry_field: Some(dispatch_write_entry_field),
        },
        ffi::ss_plugin_table_writer_vtable_ext {
            clear_table: Some(dispatch_clear),
            erase_table_entry: Some(dispatch_erase_entry),
            create_table_entry: Some(dispatch_create_entry),
            destroy_table_entry: Some(dispatch_destroy_entry),
            add_table_entry: Some(dispatch_add_entry),
            write_entry_field: Some(dispatch_write_entry_field),
        },
    )
}

pub(crate) fn fields_vtables()
-> (ffi::ss_plugin_table_fields_vtable, ffi::ss_plugin_table_fields_vtable_ext) {
    (
        ffi::ss_plugin_table_fields_vtable {
            list_table_fields: Some(dispatch_list_fields),
            get_table_field: Some(dispatch_get_field),
            add_table_field: Some(dispatch_add_field),
        },
        ffi::ss_plugin_table_fields_vtable_ext {
            list_table_fields: Some(dispatch_list_fields),
            get_table_field: Some(dispatch_get_field),
            add_table_field: Some(dispatch_add_field),
        },
    )
}

/// The input behind a table handle given to a plugin.
fn input<'a>(t: *mut ffi::ss_plugin_table_t) -> Option<&'a ffi::ss_plugin_table_input> {
    // SAFETY: table handles handed to plugins are addresses of `FfiTable::input`, which the
    // registry keeps alive (never removed) for as long as any plugin of the inspector lives.
    unsafe { t.cast::<ffi::ss_plugin_table_input>().as_ref() }
}

/// Forwards one table call through the handle's vtable of the given kind.
macro_rules! dispatch {
    ($t:ident, $ext:ident . $f:ident ( $($arg:expr),* ), $fallback:expr) => {
        guard($fallback, || {
            let Some(i) = input($t) else { return $fallback };
            // SAFETY: the ext vtables of a registered input are boxed in its `FfiTable` and
            // complete (checked at registration); `i.table` is the table they operate on.
            unsafe {
                match (*i.$ext).$f {
                    Some(f) => f(i.table, $($arg),*),
                    None => $fallback,
                }
            }
        })
    };
}

unsafe extern "C-unwind" fn dispatch_list_fields(
    t: *mut ffi::ss_plugin_table_t,
    n: *mut u32,
) -> *const ffi::ss_plugin_table_fieldinfo {
    dispatch!(t, fields_ext.list_table_fields(n), ptr::null())
}
unsafe extern "C-unwind" fn dispatch_get_field(
    t: *mut ffi::ss_plugin_table_t,
    name: *const c_char,
    ty: ffi::ss_plugin_state_type,
) -> *mut ffi::ss_plugin_table_field_t {
    dispatch!(t, fields_ext.get_table_field(name, ty), ptr::null_mut())
}
unsafe extern "C-unwind" fn dispatch_add_field(
    t: *mut ffi::ss_plugin_table_t,
    name: *const c_char,
    ty: ffi::ss_plugin_state_type,
) -> *mut ffi::ss_plugin_table_field_t {
    dispatch!(t, fields_ext.add_table_field(name, ty), ptr::null_mut())
}
unsafe extern "C-unwind" fn dispatch_get_name(t: *mut ffi::ss_plugin_table_t) -> *const c_char {
    dispatch!(t, reader_ext.get_table_name(), ptr::null())
}
unsafe extern "C-unwind" fn dispatch_get_size(t: *mut ffi::ss_plugin_table_t) -> u64 {
    dispatch!(t, reader_ext.get_table_size(), 0)
}
unsafe extern "C-unwind" fn dispatch_get_entry(
    t: *mut ffi::ss_plugin_table_t,
    key: *const ffi::ss_plugin_state_data,
) -> *mut ffi::ss_plugin_table_entry_t {
    dispatch!(t, reader_ext.get_table_entry(key), ptr::null_mut())
}
unsafe extern "C-unwind" fn dispatch_read_entry_field(
    t: *mut ffi::ss_plugin_table_t,
    e: *mut ffi::ss_plugin_table_entry_t,
    f: *const ffi::ss_plugin_table_field_t,
    out: *mut ffi::ss_plugin_state_data,
) -> ffi::ss_plugin_rc {
    dispatch!(t, reader_ext.read_entry_field(e, f, out), FAILURE)
}
#[allow(clippy::unused_unit)] // the dispatcher's fallback value
unsafe extern "C-unwind" fn dispatch_release_entry(
    t: *mut ffi::ss_plugin_table_t,
    e: *mut ffi::ss_plugin_table_entry_t,
) {
    dispatch!(t, reader_ext.release_table_entry(e), ())
}
unsafe extern "C-unwind" fn dispatch_iterate_entries(
    t: *mut ffi::ss_plugin_table_t,
    it: ffi::ss_plugin_table_iterator_func_t,
    s: *mut ffi::ss_plugin_table_iterator_state_t,
) -> ffi::ss_plugin_bool {
    dispatch!(t, reader_ext.iterate_entries(it, s), 0)
}
unsafe extern "C-unwind" fn dispatch_clear(t: *mut ffi::ss_plugin_table_t) -> ffi::ss_plugin_rc {
    dispatch!(t, writer_ext.clear_table(), FAILURE)
}
unsafe extern "C-unwind" fn dispatch_erase_entry(
    t: *mut ffi::ss_plugin_table_t,
    key: *const ffi::ss_plugin_state_data,
) -> ffi::ss_plugin_rc {
    dispatch!(t, writer_ext.erase_table_entry(key), FAILURE)
}
unsafe extern "C-unwind" fn dispatch_create_entry(
    t: *mut ffi::ss_plugin_table_t,
) -> *mut ffi::ss_plugin_table_entry_t {
    dispatch!(t, writer_ext.create_table_entry(), ptr::null_mut())
}
#[allow(clippy::unused_unit)] // the dispatcher's fallback value
unsafe extern "C-unwind" fn dispatch_destroy_entry(
    t: *mut ffi::ss_plugin_table_t,
    e: *mut ffi::ss_plugin_table_entry_t,
) {
    dispatch!(t, writer_ext.destroy_table_entry(e), ())
}
unsafe extern "C-unwind" fn dispatch_add_entry(
    t: *mut ffi::ss_plugin_table_t,
    key: *const ffi::ss_plugin_state_data,
    e: *mut ffi::ss_plugin_table_entry_t,
) -> *mut ffi::ss_plugin_table_entry_t {
    dispatch!(t, writer_ext.add_table_entry(key, e), ptr::null_mut())
}
unsafe extern "C-unwind" fn dispatch_write_entry_field(
    t: *mut ffi::ss_plugin_table_t,
    e: *mut ffi::ss_plugin_table_entry_t,
    f: *const ffi::ss_plugin_table_field_t,
    value: *const ffi::ss_plugin_state_data,
) -> ffi::ss_plugin_rc {
    dispatch!(t, writer_ext.write_entry_field(e, f, value), FAILURE)
}

// ---------------------------------------------------------------------------------------------
// Tables: host table implementations (the far side of the dispatchers for host tables)

fn slot<'a>(t: *mut ffi::ss_plugin_table_t) -> Option<&'a HostSlot> {
    // SAFETY: the `table` pointer of a host table's input is `Arc::as_ptr` of its `HostSlot`,
    // kept alive by the registered `FfiTable`.
    unsafe { t.cast::<HostSlot>().as_ref() }
}

/// Entries and fields are 1-based indices disguised as pointers (never null).
fn handle<T>(i: u64) -> *mut T {
    (i as usize + 1) as *mut T
}
fn unhandle<T>(p: *const T) -> Option<u64> {
    (p as usize).checked_sub(1).map(|i| i as u64)
}

/// Reads a key or value of type `ty` from the API's union.
fn read_state(ty: StateType, data: *const ffi::ss_plugin_state_data) -> Option<StateValue> {
    if data.is_null() {
        return None;
    }
    // SAFETY: a non-null state datum from the plugin holds a value of the type the table or
    // field declares (the API contract); the union member read is that type's.
    let d = unsafe { &*data };
    // SAFETY: as above.
    Some(unsafe {
        match ty {
            StateType::I8 => StateValue::I8(d.s8),
            StateType::I16 => StateValue::I16(d.s16),
            StateType::I32 => StateValue::I32(d.s32),
            StateType::I64 => StateValue::I64(d.s64),
            StateType::U8 => StateValue::U8(d.u8_),
            StateType::U16 => StateValue::U16(d.u16_),
            StateType::U32 => StateValue::U32(d.u32_),
            StateType::U64 => StateValue::U64(d.u64_),
            StateType::Bool => StateValue::Bool(d.b != 0),
            StateType::String => StateValue::String(cstr(d.str_)?.to_string_lossy().into_owned()),
            StateType::Table => return None,
        }
    })
}

unsafe extern "C-unwind" fn host_get_name(t: *mut ffi::ss_plugin_table_t) -> *const c_char {
    guard(ptr::null(), || slot(t).map_or(ptr::null(), |s| s.name.as_ptr()))
}

unsafe extern "C-unwind" fn host_get_size(t: *mut ffi::ss_plugin_table_t) -> u64 {
    guard(0, || slot(t).map_or(0, |s| lock(&s.table).len()))
}

unsafe extern "C-unwind" fn host_list_fields(
    t: *mut ffi::ss_plugin_table_t,
    n: *mut u32,
) -> *const ffi::ss_plugin_table_fieldinfo {
    guard(ptr::null(), || {
        let Some(s) = slot(t) else { return ptr::null() };
        if n.is_null() {
            return ptr::null();
        }
        let fields = lock(&s.table).fields();
        let mut scratch = lock(&s.scratch);
        scratch.field_names = fields.iter().map(|f| crate::raw::to_cstring(&f.name)).collect();
        let infos: Vec<_> = fields
            .iter()
            .zip(&scratch.field_names)
            .map(|(f, name)| ffi::ss_plugin_table_fieldinfo {
                name: name.as_ptr(),
                field_type: f.ty.code(),
                read_only: f.read_only as u32,
            })
            .collect();
        scratch.field_infos = infos;
        // SAFETY: `n` is a non-null out-pointer from the plugin.
        unsafe { *n = scratch.field_infos.len() as u32 };
        scratch.field_infos.as_ptr()
    })
}

unsafe extern "C-unwind" fn host_get_field(
    t: *mut ffi::ss_plugin_table_t,
    name: *const c_char,
    ty: ffi::ss_plugin_state_type,
) -> *mut ffi::ss_plugin_table_field_t {
    guard(ptr::null_mut(), || {
        let (Some(s), Some(name)) = (slot(t), cstr(name)) else {
            return ptr::null_mut();
        };
        let name = name.to_string_lossy();
        let fields = lock(&s.table).fields();
        match fields.iter().position(|f| f.name == name && f.ty.code() == ty) {
            Some(i) => handle(i as u64),
            None => ptr::null_mut(),
        }
    })
}

unsafe extern "C-unwind" fn host_add_field(
    t: *mut ffi::ss_plugin_table_t,
    name: *const c_char,
    ty: ffi::ss_plugin_state_type,
) -> *mut ffi::ss_plugin_table_field_t {
    guard(ptr::null_mut(), || {
        let (Some(s), Some(name), Some(ty)) = (slot(t), cstr(name), StateType::from_code(ty))
        else {
            return ptr::null_mut();
        };
        match lock(&s.table).add_field(&name.to_string_lossy(), ty) {
            Ok(i) => handle(i as u64),
            Err(_) => ptr::null_mut(),
        }
    })
}

unsafe extern "C-unwind" fn host_get_entry(
    t: *mut ffi::ss_plugin_table_t,
    key: *const ffi::ss_plugin_state_data,
) -> *mut ffi::ss_plugin_table_entry_t {
    guard(ptr::null_mut(), || {
        let Some(s) = slot(t) else {
            return ptr::null_mut();
        };
        let mut table = lock(&s.table);
        let Some(key) = read_state(table.key_type(), key) else {
            return ptr::null_mut();
        };
        table.entry(&key).map_or(ptr::null_mut(), |e| handle(e.0))
    })
}

unsafe extern "C-unwind" fn host_read_entry_field(
    t: *mut ffi::ss_plugin_table_t,
    e: *mut ffi::ss_plugin_table_entry_t,
    f: *const ffi::ss_plugin_table_field_t,
    out: *mut ffi::ss_plugin_state_data,
) -> ffi::ss_plugin_rc {
    guard(FAILURE, || {
        let (Some(s), Some(e), Some(f)) = (slot(t), unhandle(e), unhandle(f)) else {
            return FAILURE;
        };
        if out.is_null() {
            return FAILURE;
        }
        let Some(value) = lock(&s.table).read(EntryId(e), f as usize) else {
            return FAILURE;
        };
        // SAFETY: `out` is a non-null out-pointer from the plugin; we write the union member of
        // the field's type, which is the one the plugin will read.
        let out = unsafe { &mut *out };
        match value {
            StateValue::I8(v) => out.s8 = v,
            StateValue::I16(v) => out.s16 = v,
            StateValue::I32(v) => out.s32 = v,
            StateValue::I64(v) => out.s64 = v,
            StateValue::U8(v) => out.u8_ = v,
            StateValue::U16(v) => out.u16_ = v,
            StateValue::U32(v) => out.u32_ = v,
            StateValue::U64(v) => out.u64_ = v,
            StateValue::Bool(v) => out.b = v as u32,
            StateValue::String(v) => {
                let c = crate::raw::to_cstring(&v);
                let mut scratch = lock(&s.scratch);
                // The string lives in the scratch until the current plugin call returns.
                out.str_ = c.as_ptr();
                scratch.strings.push(c);
                s.dirty.store(true, Ordering::Relaxed);
            }
        }
        SUCCESS
    })
}

unsafe extern "C-unwind" fn host_release_entry(
    _t: *mut ffi::ss_plugin_table_t,
    _e: *mut ffi::ss_plugin_table_entry_t,
) {
}

unsafe extern "C-unwind" fn host_iterate_entries(
    t: *mut ffi::ss_plugin_table_t,
    it: ffi::ss_plugin_table_iterator_func_t,
    s: *mut ffi::ss_plugin_table_iterator_state_t,
) -> ffi::ss_plugin_bool {
    guard(0, || {
        let (Some(slot), Some(it)) = (slot(t), it) else {
            return 0;
        };
        // Collect first: the iterator calls back into this table (reads), so no lock is held
        // while plugin code runs.
        let entries = lock(&slot.table).entries();
        for e in entries {
            // SAFETY: the plugin's iterator with the state it passed, for an entry handle of
            // this table, during this call.
            if unsafe { it(s, handle(e.0)) } == 0 {
                return 0;
            }
        }
        1
    })
}

unsafe extern "C-unwind" fn host_clear(t: *mut ffi::ss_plugin_table_t) -> ffi::ss_plugin_rc {
    guard(FAILURE, || match slot(t).map(|s| lock(&s.table).clear()) {
        Some(Ok(())) => SUCCESS,
        _ => FAILURE,
    })
}

unsafe extern "C-unwind" fn host_erase_entry(
    t: *mut ffi::ss_plugin_table_t,
    key: *const ffi::ss_plugin_state_data,
) -> ffi::ss_plugin_rc {
    guard(FAILURE, || {
        let Some(s) = slot(t) else { return FAILURE };
        let mut table = lock(&s.table);
        let Some(key) = read_state(table.key_type(), key) else {
            return FAILURE;
        };
        if table.erase(&key).is_ok() { SUCCESS } else { FAILURE }
    })
}

unsafe extern "C-unwind" fn host_create_entry(
    t: *mut ffi::ss_plugin_table_t,
) -> *mut ffi::ss_plugin_table_entry_t {
    guard(ptr::null_mut(), || match slot(t).map(|s| lock(&s.table).create_entry()) {
        Some(Ok(e)) => handle(e.0),
        _ => ptr::null_mut(),
    })
}

unsafe extern "C-unwind" fn host_destroy_entry(
    t: *mut ffi::ss_plugin_table_t,
    e: *mut ffi::ss_plugin_table_entry_t,
) {
    guard((), || {
        if let (Some(s), Some(e)) = (slot(t), unhandle(e)) {
            lock(&s.table).destroy_entry(EntryId(e));
        }
    })
}

unsafe extern "C-unwind" fn host_add_entry(
    t: *mut ffi::ss_plugin_table_t,
    key: *const ffi::ss_plugin_state_data,
    e: *mut ffi::ss_plugin_table_entry_t,
) -> *mut ffi::ss_plugin_table_entry_t {
    guard(ptr::null_mut(), || {
        let (Some(s), Some(e)) = (slot(t), unhandle(e)) else {
            return ptr::null_mut();
        };
        let mut table = lock(&s.table);
        let Some(key) = read_state(table.key_type(), key) else {
            return ptr::null_mut();
        };
        match table.add_entry(key, EntryId(e)) {
            Ok(e) => handle(e.0),
            Err(_) => ptr::null_mut(),
        }
    })
}

unsafe extern "C-unwind" fn host_write_entry_field(
    t: *mut ffi::ss_plugin_table_t,
    e: *mut ffi::ss_plugin_table_entry_t,
    f: *const ffi::ss_plugin_table_field_t,
    value: *const ffi::ss_plugin_state_data,
) -> ffi::ss_plugin_rc {
    guard(FAILURE, || {
        let (Some(s), Some(e), Some(f)) = (slot(t), unhandle(e), unhandle(f)) else {
            return FAILURE;
        };
        let mut table = lock(&s.table);
        let Some(field) = table.fields().get(f as usize).cloned() else {
            return FAILURE;
        };
        if field.read_only {
            return FAILURE;
        }
        let Some(value) = read_state(field.ty, value) else {
            return FAILURE;
        };
        if table.write(EntryId(e), f as usize, value).is_ok() { SUCCESS } else { FAILURE }
    })
}
