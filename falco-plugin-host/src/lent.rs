//! Tables the host keeps elsewhere and lends to plugins for the length of one call: how an
//! inspector offers its thread table (libsinsp's `threads`) without copying it or putting a
//! lock on its hot path.
//!
//! The owner of the state (the inspector) implements [`TableView`] over it. A [`LentTable`]
//! registered in the plugins' [`TableRegistry`](crate::TableRegistry) stands for the table: it
//! knows the fixed fields, and keeps the fields plugins add (`add_table_field`) with their
//! values itself. Around each plugin call (parse, extract) the owner calls
//! [`TableLender::lend`] with a view of its state at that event; during the call, lookups and
//! reads go to that view; outside a call, and from any thread other than the lending one, the
//! table has no entries.
//!
//! ```
//! use falco_plugin_host::lent::{LentTable, TableView};
//! use falco_plugin_host::{EntryId, HostTable, StateType, StateValue, TableField};
//!
//! /// Thread ids and their names.
//! struct Names(Vec<(i64, &'static str)>);
//! impl TableView for Names {
//!     fn len(&self) -> u64 { self.0.len() as u64 }
//!     fn entry(&self, key: &StateValue) -> Option<EntryId> {
//!         let StateValue::I64(k) = key else { return None };
//!         self.0.iter().any(|(t, _)| t == k).then_some(EntryId(*k as u64))
//!     }
//!     fn read(&self, e: EntryId, _field: usize) -> Option<StateValue> {
//!         let (_, n) = self.0.iter().find(|(t, _)| *t as u64 == e.0)?;
//!         Some(StateValue::String(n.to_string()))
//!     }
//!     fn entries(&self) -> Vec<EntryId> { self.0.iter().map(|(t, _)| EntryId(*t as u64)).collect() }
//!     fn generation(&self, e: EntryId) -> Option<u64> {
//!         self.0.iter().any(|(t, _)| *t as u64 == e.0).then_some(0)
//!     }
//! }
//!
//! let comm = TableField { name: "comm".into(), ty: StateType::String, read_only: true };
//! let (mut table, lender) = LentTable::new("threads", StateType::I64, vec![comm]);
//! let key = StateValue::I64(7);
//! assert_eq!(table.entry(&key), None); // nothing lent
//! let state = Names(vec![(7, "bash")]);
//! let name = lender.lend(&state, || {
//!     let e = table.entry(&key).unwrap();
//!     table.read(e, 0)
//! });
//! assert_eq!(name, Some(StateValue::String("bash".into())));
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;

use crate::tables::{EntryId, HostTable, StateType, StateValue, TableField, add_field_to};

/// A read-only view of a table kept by the host (e.g. an inspector's thread table).
pub trait TableView {
    /// Number of entries.
    fn len(&self) -> u64;
    /// True if there are no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The entry with this key. Handles must stay meaningful across calls: a plugin may keep
    /// one and read it during a later call (then it reads the entry as it is then, or nothing).
    fn entry(&self, key: &StateValue) -> Option<EntryId>;
    /// Field `field` (an index into the fixed fields given to [`LentTable::new`]) of `entry`.
    fn read(&self, entry: EntryId, field: usize) -> Option<StateValue>;
    /// Every entry.
    fn entries(&self) -> Vec<EntryId>;
    /// `None` if the entry no longer exists; otherwise a value that changes when the entry
    /// behind a handle is replaced by another one (a new thread reusing a tid), so that the
    /// fields plugins added start again from zero.
    fn generation(&self, entry: EntryId) -> Option<u64>;
}

/// The view currently lent, and the thread that lent it.
struct Lent {
    view: *const (dyn TableView + 'static),
    thread: ThreadId,
}

/// Where the lent view lives while it is lent.
#[derive(Default)]
struct Slot(Mutex<Option<Lent>>);

// SAFETY: the raw view pointer is only dereferenced on the thread that lent it (checked against
// `Lent::thread`), while the lend is active; every other thread sees an empty table.
unsafe impl Send for Slot {}
// SAFETY: as above; the pointer itself is only read and written under the mutex.
unsafe impl Sync for Slot {}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Option<Lent>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the lent view if there is one and this thread lent it.
    fn with<R>(&self, f: impl FnOnce(&dyn TableView) -> R) -> Option<R> {
        let guard = self.lock();
        let lent = guard.as_ref()?;
        if lent.thread != std::thread::current().id() {
            return None;
        }
        // SAFETY: `lend` stores the pointer of a reference that outlives the lend and clears it
        // (under this mutex, which we hold) before returning or unwinding; we are on the lending
        // thread, so the shared borrow it holds is the only other access, and it is shared too.
        let view = unsafe { &*lent.view };
        Some(f(view))
    }
}

/// The owner's side of a [`LentTable`]: lends a view of the state for one call.
#[derive(Clone)]
pub struct TableLender {
    slot: Arc<Slot>,
}

impl std::fmt::Debug for TableLender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableLender").finish_non_exhaustive()
    }
}

impl TableLender {
    /// Runs `f` (a plugin call) with `view` lent to the table. Lends nest: the previous view
    /// is restored afterwards, also when `f` panics.
    pub fn lend<R>(&self, view: &dyn TableView, f: impl FnOnce() -> R) -> R {
        let ptr: *const (dyn TableView + '_) = view;
        // SAFETY: only the lifetime bound of the trait object is erased; `Restore` below takes
        // the pointer out of the slot before this function returns or unwinds, so it is never
        // used after `view`'s borrow ends.
        let ptr: *const (dyn TableView + 'static) = unsafe { std::mem::transmute(ptr) };
        let lent = Lent { view: ptr, thread: std::thread::current().id() };
        let previous = self.slot.lock().replace(lent);

        struct Restore<'a>(&'a Slot, Option<Lent>);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                *self.0.lock() = self.1.take();
            }
        }
        let _restore = Restore(&self.slot, previous);
        f()
    }
}

/// Values of the fields plugins added, for one entry.
struct Extra {
    generation: u64,
    values: Vec<StateValue>,
}

/// A [`HostTable`] whose entries and fixed fields come from a [`TableView`] lent for the
/// length of a call (see the [module docs](self)); fields plugins add are kept here. Entries
/// cannot be added, erased or cleared, and fixed fields are read-only.
pub struct LentTable {
    name: String,
    key_type: StateType,
    fields: Vec<TableField>,
    fixed: usize,
    slot: Arc<Slot>,
    extra: HashMap<EntryId, Extra>,
}

impl std::fmt::Debug for LentTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LentTable")
            .field("name", &self.name)
            .field("fields", &self.fields.len())
            .finish_non_exhaustive()
    }
}

impl LentTable {
    /// A table named `name` with these fixed fields (read through [`TableView::read`] by their
    /// index), and the lender that gives it a view during calls.
    pub fn new(
        name: &str,
        key_type: StateType,
        fixed: Vec<TableField>,
    ) -> (LentTable, TableLender) {
        let slot = Arc::new(Slot::default());
        let table = LentTable {
            name: name.to_string(),
            key_type,
            fixed: fixed.len(),
            fields: fixed,
            slot: slot.clone(),
            extra: HashMap::new(),
        };
        (table, TableLender { slot })
    }

    /// Forgets added-field values of entries the view no longer has (bounded memory when many
    /// short-lived threads get values).
    fn prune(&mut self, view: &dyn TableView) {
        if self.extra.len() > 1024 && self.extra.len() as u64 > 2 * view.len() {
            self.extra.retain(|e, x| view.generation(*e) == Some(x.generation));
        }
    }
}

impl HostTable for LentTable {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_type(&self) -> StateType {
        self.key_type
    }
    fn fields(&self) -> Vec<TableField> {
        self.fields.clone()
    }
    fn len(&self) -> u64 {
        self.slot.with(|v| v.len()).unwrap_or(0)
    }
    fn entry(&mut self, key: &StateValue) -> Option<EntryId> {
        self.slot.with(|v| v.entry(key)).flatten()
    }
    fn read(&mut self, entry: EntryId, field: usize) -> Option<StateValue> {
        if field < self.fixed {
            return self.slot.with(|v| v.read(entry, field)).flatten();
        }
        let ty = self.fields.get(field)?.ty;
        let generation = self.slot.with(|v| v.generation(entry)).flatten()?;
        let stored = self
            .extra
            .get(&entry)
            .filter(|x| x.generation == generation)
            .and_then(|x| x.values.get(field - self.fixed).cloned());
        stored.or_else(|| StateValue::default_of(ty))
    }
    fn entries(&mut self) -> Vec<EntryId> {
        self.slot.with(|v| v.entries()).unwrap_or_default()
    }
    fn write(&mut self, entry: EntryId, field: usize, value: StateValue) -> Result<(), String> {
        let f = self.fields.get(field).ok_or("unknown field")?;
        if field < self.fixed {
            return Err(format!("field '{}' of table '{}' is read-only", f.name, self.name));
        }
        if value.state_type() != f.ty {
            return Err(format!("wrong type for field '{}': expected {:?}", f.name, f.ty));
        }
        let generation = self
            .slot
            .with(|v| v.generation(entry))
            .flatten()
            .ok_or("no such entry (or the table is read outside a plugin call)")?;
        let x = self.extra.entry(entry).or_insert_with(|| Extra { generation, values: Vec::new() });
        if x.generation != generation {
            *x = Extra { generation, values: Vec::new() };
        }
        // Zero values for added fields this entry has none for yet (fields added since).
        let added = &self.fields[self.fixed..];
        let have = x.values.len();
        x.values.extend(added.iter().skip(have).filter_map(|f| StateValue::default_of(f.ty)));
        x.values[field - self.fixed] = value;
        let slot = self.slot.clone();
        slot.with(|v| self.prune(v));
        Ok(())
    }
    fn add_field(&mut self, name: &str, ty: StateType) -> Result<usize, String> {
        add_field_to(&mut self.fields, name, ty).map(|(i, _)| i)
    }
}
