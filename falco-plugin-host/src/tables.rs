//! The host side of the plugin table API: state tables plugins can read and write.
//!
//! In Falco, plugins share state through named tables: libsinsp exports its thread table
//! (`threads`, keyed by tid) and plugins may add fields to it or export tables of their own.
//! Here a [`TableRegistry`] holds the tables one inspector offers to its plugins:
//!
//! - host tables: anything implementing [`HostTable`] (the syscall inspector can back one with
//!   its thread table; [`MemTable`] is a complete in-memory implementation), and
//! - tables a plugin exported with `add_table`, which other plugins reach through the host.
//!
//! Plugins find tables with `list_tables`/`get_table` during `init`, then read and write
//! entries during extraction and parsing. Every callback goes through
//! [`callbacks`](crate::callbacks), behind `catch_unwind`; lookups that fail (unknown table,
//! wrong key type, unknown field, missing entry) return the API's null/failure answer and set
//! the owner's last error, never crash.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::callbacks::FfiTable;
use crate::raw::ffi;

/// The type of a table key or field (`ss_plugin_state_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StateType {
    /// `int8_t`
    I8,
    /// `int16_t`
    I16,
    /// `int32_t`
    I32,
    /// `int64_t`
    I64,
    /// `uint8_t`
    U8,
    /// `uint16_t`
    U16,
    /// `uint32_t`
    U32,
    /// `uint64_t`
    U64,
    /// A NUL-terminated string.
    String,
    /// A boolean.
    Bool,
    /// A nested table (not supported by host tables).
    Table,
}

impl StateType {
    /// The API's numeric code of the type.
    pub fn code(self) -> u32 {
        match self {
            StateType::I8 => ffi::ss_plugin_state_type_SS_PLUGIN_ST_INT8,
            StateType::I16 => ffi::ss_plugin_state_type_SS_PLUGIN_ST_INT16,
            StateType::I32 => ffi::ss_plugin_state_type_SS_PLUGIN_ST_INT32,
            StateType::I64 => ffi::ss_plugin_state_type_SS_PLUGIN_ST_INT64,
            StateType::U8 => ffi::ss_plugin_state_type_SS_PLUGIN_ST_UINT8,
            StateType::U16 => ffi::ss_plugin_state_type_SS_PLUGIN_ST_UINT16,
            StateType::U32 => ffi::ss_plugin_state_type_SS_PLUGIN_ST_UINT32,
            StateType::U64 => ffi::ss_plugin_state_type_SS_PLUGIN_ST_UINT64,
            StateType::String => ffi::ss_plugin_state_type_SS_PLUGIN_ST_STRING,
            StateType::Bool => ffi::ss_plugin_state_type_SS_PLUGIN_ST_BOOL,
            StateType::Table => ffi::ss_plugin_state_type_SS_PLUGIN_ST_TABLE,
        }
    }

    /// The type with this numeric code.
    pub fn from_code(code: u32) -> Option<StateType> {
        [
            StateType::I8,
            StateType::I16,
            StateType::I32,
            StateType::I64,
            StateType::U8,
            StateType::U16,
            StateType::U32,
            StateType::U64,
            StateType::String,
            StateType::Bool,
            StateType::Table,
        ]
        .into_iter()
        .find(|t| t.code() == code)
    }
}

/// A key or field value of a table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StateValue {
    /// `int8_t`
    I8(i8),
    /// `int16_t`
    I16(i16),
    /// `int32_t`
    I32(i32),
    /// `int64_t`
    I64(i64),
    /// `uint8_t`
    U8(u8),
    /// `uint16_t`
    U16(u16),
    /// `uint32_t`
    U32(u32),
    /// `uint64_t`
    U64(u64),
    /// A string.
    String(String),
    /// A boolean.
    Bool(bool),
}

impl StateValue {
    /// The value's type.
    pub fn state_type(&self) -> StateType {
        match self {
            StateValue::I8(_) => StateType::I8,
            StateValue::I16(_) => StateType::I16,
            StateValue::I32(_) => StateType::I32,
            StateValue::I64(_) => StateType::I64,
            StateValue::U8(_) => StateType::U8,
            StateValue::U16(_) => StateType::U16,
            StateValue::U32(_) => StateType::U32,
            StateValue::U64(_) => StateType::U64,
            StateValue::String(_) => StateType::String,
            StateValue::Bool(_) => StateType::Bool,
        }
    }

    /// The zero value of a type (what a new entry's fields hold).
    pub fn default_of(ty: StateType) -> Option<StateValue> {
        Some(match ty {
            StateType::I8 => StateValue::I8(0),
            StateType::I16 => StateValue::I16(0),
            StateType::I32 => StateValue::I32(0),
            StateType::I64 => StateValue::I64(0),
            StateType::U8 => StateValue::U8(0),
            StateType::U16 => StateValue::U16(0),
            StateType::U32 => StateValue::U32(0),
            StateType::U64 => StateValue::U64(0),
            StateType::String => StateValue::String(String::new()),
            StateType::Bool => StateValue::Bool(false),
            StateType::Table => return None,
        })
    }
}

/// A field of a table, as listed to plugins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableField {
    /// Field name.
    pub name: String,
    /// Field type.
    pub ty: StateType,
    /// Plugins may read but not write it.
    pub read_only: bool,
}

/// Opaque handle of one entry of a [`HostTable`] (chosen by the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntryId(pub u64);

/// A table the host offers to plugins. Only lookups and reads are required; writes, entry
/// management and dynamic fields are optional ("not supported" by default).
///
/// Field indices are positions in [`HostTable::fields`]; a field added with
/// [`HostTable::add_field`] is appended to that list.
pub trait HostTable: Send {
    /// The table name (`threads`, ...).
    fn name(&self) -> &str;
    /// The key type.
    fn key_type(&self) -> StateType;
    /// The fields of every entry.
    fn fields(&self) -> Vec<TableField>;
    /// Number of entries.
    fn len(&self) -> u64;
    /// True if the table has no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The entry with this key, if any.
    fn entry(&mut self, key: &StateValue) -> Option<EntryId>;
    /// The value of field `field` (an index into [`HostTable::fields`]) of `entry`.
    fn read(&mut self, entry: EntryId, field: usize) -> Option<StateValue>;
    /// Every entry, for iteration.
    fn entries(&mut self) -> Vec<EntryId>;
    /// Writes a field of an entry.
    fn write(&mut self, _entry: EntryId, _field: usize, _value: StateValue) -> Result<(), String> {
        Err("writing is not supported by this table".into())
    }
    /// Adds a field to every entry; returns its index.
    fn add_field(&mut self, _name: &str, _ty: StateType) -> Result<usize, String> {
        Err("adding fields is not supported by this table".into())
    }
    /// Removes every entry.
    fn clear(&mut self) -> Result<(), String> {
        Err("clearing is not supported by this table".into())
    }
    /// Removes the entry with this key.
    fn erase(&mut self, _key: &StateValue) -> Result<(), String> {
        Err("erasing entries is not supported by this table".into())
    }
    /// Creates a detached entry, to be filled and then added with [`HostTable::add_entry`].
    fn create_entry(&mut self) -> Result<EntryId, String> {
        Err("creating entries is not supported by this table".into())
    }
    /// Adds a detached entry under `key`; returns the entry's handle in the table.
    fn add_entry(&mut self, _key: StateValue, _entry: EntryId) -> Result<EntryId, String> {
        Err("adding entries is not supported by this table".into())
    }
    /// Destroys a detached entry that was never added.
    fn destroy_entry(&mut self, _entry: EntryId) {}
}

/// A complete in-memory [`HostTable`]: any key type, fields added at will, every operation
/// supported.
///
/// ```
/// use falco_plugin_host::{HostTable, MemTable, StateType, StateValue};
/// let mut t = MemTable::new("threads", StateType::I64);
/// let comm = t.add_field("comm", StateType::String)?;
/// let e = t.insert(StateValue::I64(42));
/// t.write(e, comm, StateValue::String("bash".into()))?;
/// assert_eq!(t.read(e, comm), Some(StateValue::String("bash".into())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MemTable {
    name: String,
    key_type: StateType,
    fields: Vec<TableField>,
    rows: Vec<Option<Row>>,
    index: HashMap<StateValue, usize>,
}

#[derive(Debug)]
struct Row {
    key: Option<StateValue>,
    values: Vec<StateValue>,
}

impl MemTable {
    /// An empty table.
    pub fn new(name: &str, key_type: StateType) -> MemTable {
        MemTable {
            name: name.to_string(),
            key_type,
            fields: Vec::new(),
            rows: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Inserts (or finds) the entry with this key.
    pub fn insert(&mut self, key: StateValue) -> EntryId {
        if let Some(&i) = self.index.get(&key) {
            return EntryId(i as u64);
        }
        let i = self.new_row(Some(key.clone()));
        self.index.insert(key, i);
        EntryId(i as u64)
    }

    fn new_row(&mut self, key: Option<StateValue>) -> usize {
        let values = self.fields.iter().filter_map(|f| StateValue::default_of(f.ty)).collect();
        self.rows.push(Some(Row { key, values }));
        self.rows.len() - 1
    }

    fn row(&mut self, e: EntryId) -> Option<&mut Row> {
        self.rows.get_mut(e.0 as usize)?.as_mut()
    }
}

impl HostTable for MemTable {
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
        self.index.len() as u64
    }
    fn entry(&mut self, key: &StateValue) -> Option<EntryId> {
        self.index.get(key).map(|&i| EntryId(i as u64))
    }
    fn read(&mut self, entry: EntryId, field: usize) -> Option<StateValue> {
        self.row(entry)?.values.get(field).cloned()
    }
    fn entries(&mut self) -> Vec<EntryId> {
        let mut v: Vec<EntryId> = self.index.values().map(|&i| EntryId(i as u64)).collect();
        v.sort_by_key(|e| e.0);
        v
    }
    fn write(&mut self, entry: EntryId, field: usize, value: StateValue) -> Result<(), String> {
        let ty = self.fields.get(field).ok_or("unknown field")?.ty;
        if value.state_type() != ty {
            return Err(format!("wrong type for field: expected {ty:?}"));
        }
        let row = self.row(entry).ok_or("unknown entry")?;
        row.values[field] = value;
        Ok(())
    }
    fn add_field(&mut self, name: &str, ty: StateType) -> Result<usize, String> {
        let (i, added) = add_field_to(&mut self.fields, name, ty)?;
        if added {
            let zero = StateValue::default_of(ty).ok_or("nested tables are not supported")?;
            for row in self.rows.iter_mut().flatten() {
                row.values.push(zero.clone());
            }
        }
        Ok(i)
    }
    fn clear(&mut self) -> Result<(), String> {
        self.rows.clear();
        self.index.clear();
        Ok(())
    }
    fn erase(&mut self, key: &StateValue) -> Result<(), String> {
        let i = self.index.remove(key).ok_or("no entry with this key")?;
        self.rows[i] = None;
        Ok(())
    }
    fn create_entry(&mut self) -> Result<EntryId, String> {
        Ok(EntryId(self.new_row(None) as u64))
    }
    fn add_entry(&mut self, key: StateValue, entry: EntryId) -> Result<EntryId, String> {
        if key.state_type() != self.key_type {
            return Err("wrong key type".into());
        }
        let row = self.row(entry).ok_or("unknown entry")?;
        if row.key.is_some() {
            return Err("entry already added".into());
        }
        row.key = Some(key.clone());
        if let Some(old) = self.index.insert(key, entry.0 as usize) {
            self.rows[old] = None;
        }
        Ok(entry)
    }
    fn destroy_entry(&mut self, entry: EntryId) {
        if let Some(slot) = self.rows.get_mut(entry.0 as usize) {
            if slot.as_ref().is_some_and(|r| r.key.is_none()) {
                *slot = None;
            }
        }
    }
}

/// Adds field `name` to a field list as libsinsp's `add_table_field` does: the index of the
/// field (true if it is new); adding an existing field again with the same type finds it.
pub(crate) fn add_field_to(
    fields: &mut Vec<TableField>,
    name: &str,
    ty: StateType,
) -> Result<(usize, bool), String> {
    if let Some(i) = fields.iter().position(|f| f.name == name) {
        return if fields[i].ty == ty {
            Ok((i, false))
        } else {
            Err(format!("field '{name}' already exists with another type"))
        };
    }
    StateValue::default_of(ty).ok_or("nested tables are not supported")?;
    fields.push(TableField { name: name.to_string(), ty, read_only: false });
    Ok((fields.len() - 1, true))
}

/// Error adding a table to a [`TableRegistry`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a table named '{0}' is already registered")]
pub struct DuplicateTable(pub String);

/// The tables one inspector offers to its plugins (libsinsp's `table_registry`).
///
/// Shared (`Arc`) by every plugin instance of one event source; plugins of different sources
/// see different registries (design rule L2).
#[derive(Default)]
pub struct TableRegistry {
    pub(crate) tables: Mutex<Vec<Arc<FfiTable>>>,
    /// Set when a host table handed a string to a plugin, so the scratch can be freed after
    /// the plugin call (checked with one atomic load on the hot path).
    pub(crate) dirty: Arc<AtomicBool>,
}

impl std::fmt::Debug for TableRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableRegistry").field("tables", &self.names()).finish()
    }
}

impl TableRegistry {
    /// An empty registry.
    pub fn new() -> Arc<TableRegistry> {
        Arc::new(TableRegistry::default())
    }

    /// Offers a host table to plugins.
    pub fn add_host_table(&self, table: impl HostTable + 'static) -> Result<(), DuplicateTable> {
        let name = table.name().to_string();
        let mut tables = self.lock();
        if tables.iter().any(|t| t.name() == name) {
            return Err(DuplicateTable(name));
        }
        tables.push(Arc::new(FfiTable::host(Box::new(table), self.dirty.clone())));
        Ok(())
    }

    /// The registered tables: name and key type.
    pub fn names(&self) -> Vec<(String, StateType)> {
        self.lock()
            .iter()
            .map(|t| {
                (
                    t.name().to_string(),
                    StateType::from_code(t.key_type()).unwrap_or(StateType::Table),
                )
            })
            .collect()
    }

    /// Runs `f` on the host table named `name` (e.g. to inspect what plugins wrote).
    pub fn with_host_table<R>(
        &self,
        name: &str,
        f: impl FnOnce(&mut dyn HostTable) -> R,
    ) -> Option<R> {
        let t = self.find(name)?;
        let host = t.host_slot()?;
        let mut guard = host.table.lock().unwrap_or_else(|e| e.into_inner());
        Some(f(guard.as_mut()))
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<FfiTable>>> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn find(&self, name: &str) -> Option<Arc<FfiTable>> {
        self.lock().iter().find(|t| t.name() == name).cloned()
    }

    /// Forgets the tables a plugin exported, before the plugin is destroyed (so no new lookup
    /// can reach its freed memory).
    pub(crate) fn remove_exported_by(&self, owner: usize) {
        self.lock().retain(|t| !t.exported_by(owner));
    }

    /// Frees strings host tables handed to plugins during the call that just ended.
    pub(crate) fn end_call(&self) {
        // A plain load first: the hot path (no string lent) costs no read-modify-write.
        if self.dirty.load(Ordering::Relaxed) && self.dirty.swap(false, Ordering::Relaxed) {
            for t in self.lock().iter() {
                t.clear_scratch();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_table_entries_and_fields() {
        let mut t = MemTable::new("t", StateType::U64);
        let a = t.insert(StateValue::U64(1));
        let f = t.add_field("n", StateType::U32).unwrap();
        assert_eq!(t.read(a, f), Some(StateValue::U32(0)));
        assert!(t.write(a, f, StateValue::U64(3)).is_err(), "type is checked");
        t.write(a, f, StateValue::U32(3)).unwrap();
        let d = t.create_entry().unwrap();
        assert_eq!(t.len(), 1, "a detached entry is not counted");
        t.add_entry(StateValue::U64(2), d).unwrap();
        assert_eq!(t.entries(), vec![a, d]);
        t.erase(&StateValue::U64(1)).unwrap();
        assert_eq!(t.entry(&StateValue::U64(1)), None);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn state_type_codes_round_trip() {
        for t in [StateType::I8, StateType::U64, StateType::String, StateType::Bool] {
            assert_eq!(StateType::from_code(t.code()), Some(t));
        }
        assert_eq!(StateType::from_code(999), None);
    }

    #[test]
    fn registry_refuses_duplicates() {
        let r = TableRegistry::new();
        r.add_host_table(MemTable::new("threads", StateType::I64)).unwrap();
        assert!(r.add_host_table(MemTable::new("threads", StateType::I64)).is_err());
        assert_eq!(r.names(), vec![("threads".to_string(), StateType::I64)]);
    }
}
