//! The thread table as plugins see it: libsinsp's state table `threads` (key: tid, `int64`),
//! with the scalar fields libsinsp exports under the names and types it gives them.
//!
//! [`ExtendedInspector`](crate::extended::ExtendedInspector) registers a
//! [`LentTable`](falco_plugin_host::lent::LentTable) named `threads` with these
//! [`fields`](thread_fields) for its plugins, and lends the [`ThreadTable`] of the current
//! event during each plugin call (parse, extract). Fixed fields are read-only here (libsinsp
//! lets plugins overwrite some of them); fields plugins add (`add_table_field`) are kept per
//! thread and start from zero for a new thread reusing a tid. The sub-tables libsinsp also
//! exports (`args`, `env`, `cgroups`, `file_descriptors`) are not offered.

use falco_plugin_host::lent::TableView;
use falco_plugin_host::{EntryId, StateType, StateValue, TableField};

use super::threads::{ThreadInfo, ThreadTable};

/// The table's name, as libsinsp registers it.
pub const THREADS_TABLE: &str = "threads";

/// One fixed field: name, type, and how to read it.
struct Column {
    name: &'static str,
    ty: StateType,
    read: fn(&ThreadTable, &ThreadInfo) -> StateValue,
}

fn text(b: &[u8]) -> StateValue {
    StateValue::String(String::from_utf8_lossy(b).into_owned())
}

/// libsinsp's `sinsp_threadinfo::get_static_fields`, scalar fields only, in its order.
const COLUMNS: &[Column] = &[
    Column { name: "tid", ty: StateType::I64, read: |_, t| StateValue::I64(t.tid) },
    Column { name: "pid", ty: StateType::I64, read: |_, t| StateValue::I64(t.pid) },
    Column { name: "ptid", ty: StateType::I64, read: |_, t| StateValue::I64(t.ptid) },
    Column { name: "sid", ty: StateType::I64, read: |_, t| StateValue::I64(t.sid) },
    Column { name: "comm", ty: StateType::String, read: |_, t| text(&t.comm) },
    Column { name: "exe", ty: StateType::String, read: |_, t| text(&t.exe) },
    Column { name: "exe_path", ty: StateType::String, read: |_, t| text(&t.exepath) },
    Column {
        name: "exe_writable",
        ty: StateType::Bool,
        read: |_, t| StateValue::Bool(t.exe_writable),
    },
    Column {
        name: "exe_upper_layer",
        ty: StateType::Bool,
        read: |_, t| StateValue::Bool(t.exe_upper_layer),
    },
    Column {
        name: "exe_lower_layer",
        ty: StateType::Bool,
        read: |_, t| StateValue::Bool(t.exe_lower_layer),
    },
    Column {
        name: "exe_from_memfd",
        ty: StateType::Bool,
        read: |_, t| StateValue::Bool(t.exe_from_memfd),
    },
    Column { name: "flags", ty: StateType::U32, read: |_, t| StateValue::U32(t.flags) },
    Column { name: "fd_limit", ty: StateType::I64, read: |_, t| StateValue::I64(t.fdlimit) },
    Column { name: "uid", ty: StateType::U32, read: |_, t| StateValue::U32(t.uid) },
    Column { name: "gid", ty: StateType::U32, read: |_, t| StateValue::U32(t.gid) },
    Column { name: "loginuid", ty: StateType::U32, read: |_, t| StateValue::U32(t.loginuid) },
    Column { name: "exe_ino", ty: StateType::U64, read: |_, t| StateValue::U64(t.exe_ino) },
    Column {
        name: "exe_ino_ctime",
        ty: StateType::U64,
        read: |_, t| StateValue::U64(t.exe_ino_ctime),
    },
    Column {
        name: "exe_ino_mtime",
        ty: StateType::U64,
        read: |_, t| StateValue::U64(t.exe_ino_mtime),
    },
    Column { name: "vtid", ty: StateType::I64, read: |_, t| StateValue::I64(t.vtid) },
    Column { name: "vpid", ty: StateType::I64, read: |_, t| StateValue::I64(t.vpid) },
    Column { name: "vpgid", ty: StateType::I64, read: |_, t| StateValue::I64(t.vpgid) },
    Column { name: "pgid", ty: StateType::I64, read: |_, t| StateValue::I64(t.pgid) },
    Column {
        name: "pidns_init_start_ts",
        ty: StateType::U64,
        read: |_, t| StateValue::U64(t.pidns_init_start_ts),
    },
    Column { name: "root", ty: StateType::String, read: |_, t| text(&t.root) },
    Column { name: "tty", ty: StateType::U32, read: |_, t| StateValue::U32(t.tty) },
    Column { name: "cwd", ty: StateType::String, read: |tt, t| text(tt.cwd(t)) },
];

/// The fixed fields of the `threads` table, all read-only.
///
/// ```
/// use falco_inspector::state::plugin_table::thread_fields;
/// use falco_plugin_host::StateType;
/// let f = thread_fields();
/// assert!(f.iter().any(|f| f.name == "comm" && f.ty == StateType::String));
/// assert!(f.iter().all(|f| f.read_only));
/// ```
pub fn thread_fields() -> Vec<TableField> {
    COLUMNS
        .iter()
        .map(|c| TableField { name: c.name.to_string(), ty: c.ty, read_only: true })
        .collect()
}

impl ThreadTable {
    fn by_entry(&self, entry: EntryId) -> Option<&ThreadInfo> {
        self.get(entry.0 as i64)
    }
}

impl TableView for ThreadTable {
    fn len(&self) -> u64 {
        ThreadTable::len(self) as u64
    }

    fn entry(&self, key: &StateValue) -> Option<EntryId> {
        let &StateValue::I64(tid) = key else { return None };
        self.get(tid).map(|t| EntryId(t.tid as u64))
    }

    fn read(&self, entry: EntryId, field: usize) -> Option<StateValue> {
        let t = self.by_entry(entry)?;
        Some((COLUMNS.get(field)?.read)(self, t))
    }

    fn entries(&self) -> Vec<EntryId> {
        let mut v: Vec<EntryId> = self.iter().map(|t| EntryId(t.tid as u64)).collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }

    fn generation(&self, entry: EntryId) -> Option<u64> {
        self.by_entry(entry).map(|t| t.clone_ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falco_plugin_host::HostTable;
    use falco_plugin_host::lent::LentTable;

    fn table() -> ThreadTable {
        let mut tt = ThreadTable::default();
        let mut t = ThreadInfo::new(10);
        t.pid = 10;
        t.comm = b"bash".to_vec();
        t.set_cwd(b"/root");
        t.clone_ts = 1;
        tt.insert(t);
        let mut t = ThreadInfo::new(11);
        t.pid = 10;
        t.comm = b"bash".to_vec();
        tt.insert(t);
        tt
    }

    #[test]
    fn fixed_fields_read_the_thread_table() {
        let tt = table();
        let (mut lent, lender) = LentTable::new(THREADS_TABLE, StateType::I64, thread_fields());
        let field = |n: &str| thread_fields().iter().position(|f| f.name == n).unwrap();
        lender.lend(&tt, || {
            assert_eq!(lent.len(), 2);
            let e = lent.entry(&StateValue::I64(11)).unwrap();
            assert_eq!(lent.read(e, field("comm")), Some(StateValue::String("bash".into())));
            assert_eq!(lent.read(e, field("pid")), Some(StateValue::I64(10)));
            // A thread's cwd is its process's.
            assert_eq!(lent.read(e, field("cwd")), Some(StateValue::String("/root/".into())));
            assert_eq!(lent.entry(&StateValue::I64(12)), None);
            assert_eq!(lent.entry(&StateValue::U64(11)), None);
            assert!(lent.write(e, field("comm"), StateValue::String("x".into())).is_err());
            assert_eq!(lent.entries().len(), 2);
        });
        // Nothing is lent outside a call.
        assert_eq!(lent.len(), 0);
        assert_eq!(lent.entry(&StateValue::I64(10)), None);
    }

    #[test]
    fn added_fields_live_per_thread_and_reset_for_a_new_thread() {
        let mut tt = table();
        let (mut lent, lender) = LentTable::new(THREADS_TABLE, StateType::I64, thread_fields());
        let n = lent.add_field("n", StateType::U64).unwrap();
        assert_eq!(lent.add_field("n", StateType::U64), Ok(n));
        assert!(lent.add_field("n", StateType::String).is_err());
        lender.lend(&tt, || {
            let e = lent.entry(&StateValue::I64(10)).unwrap();
            assert_eq!(lent.read(e, n), Some(StateValue::U64(0)));
            lent.write(e, n, StateValue::U64(5)).unwrap();
            assert!(lent.write(e, n, StateValue::I64(5)).is_err());
            assert_eq!(lent.read(e, n), Some(StateValue::U64(5)));
        });
        // Another thread takes tid 10.
        let mut t = ThreadInfo::new(10);
        t.clone_ts = 2;
        tt.insert(t);
        lender.lend(&tt, || {
            let e = lent.entry(&StateValue::I64(10)).unwrap();
            assert_eq!(lent.read(e, n), Some(StateValue::U64(0)));
        });
    }

    #[test]
    fn other_threads_see_nothing_while_lent() {
        let tt = table();
        let (lent, lender) = LentTable::new(THREADS_TABLE, StateType::I64, thread_fields());
        let lent = std::sync::Mutex::new(lent);
        lender.lend(&tt, || {
            assert_eq!(lent.lock().unwrap().len(), 2);
            std::thread::scope(|s| {
                s.spawn(|| assert_eq!(lent.lock().unwrap().len(), 0));
            });
        });
    }
}
