//! The thread table: every known thread and what libsinsp knows of it (`sinsp_threadinfo`).
//!
//! Threads enter the table from the capture's process-list block, from clone/fork/vfork
//! events, or, when an event comes from a thread nobody announced, as a placeholder the way
//! libsinsp makes one (`comm` `<NA>`, uid `4294967295`). A process is its main thread
//! (`tid == pid`); its parent is the thread `ptid`, which gives `proc.pname` and the
//! `proc.aname[N]` ancestor chain.

use rustc_hash::FxHashMap;

/// `PPM_CL_CLONE_THREAD`: the thread shares its process with the creator.
pub const CL_CLONE_THREAD: u32 = 1 << 13;
/// `PPM_CL_CLONE_FILES`: the thread shares its fd table with the creator.
pub const CL_CLONE_FILES: u32 = 1 << 0;
/// `PPM_CL_CLONE_PARENT`.
pub const CL_CLONE_PARENT: u32 = 1 << 8;
/// `PPM_CL_CLONE_INVERTED`: the child's clone exit came before the parent's.
pub const CL_CLONE_INVERTED_FLAG: u32 = 1 << 16;
/// `PPM_CL_CLOSED`: the thread has exited.
pub const CL_CLOSED: u32 = 1 << 18;

/// One thread.
#[derive(Clone, Debug, Default)]
#[allow(missing_docs)]
pub struct ThreadInfo {
    pub tid: i64,
    pub pid: i64,
    pub ptid: i64,
    pub sid: i64,
    pub vpgid: i64,
    pub pgid: i64,
    pub vtid: i64,
    pub vpid: i64,
    pub comm: Vec<u8>,
    pub exe: Vec<u8>,
    pub exepath: Vec<u8>,
    pub args: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    /// Working directory, always ending with `/` (as libsinsp keeps it).
    pub cwd: Vec<u8>,
    pub root: Vec<u8>,
    pub fdlimit: i64,
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    pub loginuid: u32,
    pub tty: u32,
    /// `(subsystem, path)` pairs.
    pub cgroups: Vec<(Vec<u8>, Vec<u8>)>,
    /// The container id derived from the cgroups (empty: the host).
    pub container_id: Vec<u8>,
    pub clone_ts: u64,
    pub pidns_init_start_ts: u64,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_writable: bool,
    pub exe_upper_layer: bool,
    pub exe_lower_layer: bool,
    pub exe_from_memfd: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    /// Threads of this process besides the main one (main threads only).
    pub nchilds: u64,
    /// Made up for a thread missing from the capture (libsinsp's placeholder).
    pub placeholder: bool,
    pub(crate) parse: ParseState,
}

/// Per-thread parser state (libsinsp `m_lastevent_*`).
#[derive(Clone, Debug)]
pub(crate) struct ParseState {
    pub lastevent_type: u16,
    pub lastevent_fd: i64,
    pub enter_valid: bool,
    pub enter_v2: bool,
    pub enter: Vec<u8>,
    pub latency: u64,
    pub enter_ts: u64,
}

impl Default for ParseState {
    fn default() -> ParseState {
        ParseState {
            lastevent_type: u16::MAX,
            lastevent_fd: 0,
            enter_valid: false,
            enter_v2: false,
            enter: Vec::new(),
            latency: 0,
            enter_ts: 0,
        }
    }
}

impl ThreadInfo {
    /// A thread with libsinsp's initial values.
    pub fn new(tid: i64) -> ThreadInfo {
        ThreadInfo {
            tid,
            pid: -1,
            ptid: -1,
            sid: -1,
            vpgid: -1,
            pgid: -1,
            vtid: -1,
            vpid: -1,
            fdlimit: -1,
            ..ThreadInfo::default()
        }
    }

    /// The placeholder libsinsp creates for an event of a thread it never saw.
    pub fn placeholder(tid: i64) -> ThreadInfo {
        let mut t = ThreadInfo::new(tid);
        t.pid = tid;
        t.comm = b"<NA>".to_vec();
        t.exe = b"<NA>".to_vec();
        t.uid = u32::MAX;
        t.gid = u32::MAX;
        t.loginuid = u32::MAX;
        t.placeholder = true;
        t
    }

    /// True for the main thread of its process.
    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid
    }

    /// Sets `args` from NUL-separated bytes.
    pub fn set_args(&mut self, raw: &[u8]) {
        split_nul(raw, &mut self.args);
    }

    /// Sets `env` from NUL-separated bytes; like libsinsp, stops where only NULs are left.
    pub fn set_env(&mut self, raw: &[u8]) {
        let end = raw.iter().rposition(|c| *c != 0).map_or(0, |p| p + 1);
        split_nul(&raw[..end], &mut self.env);
    }

    /// Sets `cgroups` from NUL-separated `subsys=path` entries, with libsinsp's subsystem
    /// names (`_cgroup` suffixes dropped; `perf`, `mem` and cgroup v2's `io` become
    /// `perf_event`, `memory` and `blkio`).
    pub fn set_cgroups(&mut self, raw: &[u8]) {
        self.cgroups.clear();
        for entry in raw.split(|c| *c == 0).filter(|e| !e.is_empty()) {
            let Some(eq) = entry.iter().rposition(|c| *c == b'=') else { break };
            let mut subsys = entry[..eq].to_vec();
            if let Some(p) = subsys.windows(7).position(|w| w == b"_cgroup") {
                subsys.drain(p..p + 7);
            }
            let subsys = match subsys.as_slice() {
                b"perf" => b"perf_event".to_vec(),
                b"mem" => b"memory".to_vec(),
                b"io" => b"blkio".to_vec(),
                _ => subsys,
            };
            self.cgroups.push((subsys, entry[eq + 1..].to_vec()));
        }
        self.container_id = super::container::container_id_from_cgroups(&self.cgroups);
    }

    /// Sets the working directory, keeping libsinsp's trailing `/`.
    pub fn set_cwd(&mut self, cwd: &[u8]) {
        self.cwd.clear();
        self.cwd.extend_from_slice(cwd);
        if self.cwd.last() != Some(&b'/') {
            self.cwd.push(b'/');
        }
    }
}

fn split_nul(raw: &[u8], out: &mut Vec<Vec<u8>>) {
    out.clear();
    if raw.is_empty() {
        return;
    }
    let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
    for part in raw.split(|c| *c == 0) {
        out.push(part.to_vec());
    }
}

/// All known threads, by tid.
///
/// Threads live in a slab (a `Vec` reused through a free list) indexed by a small
/// `tid -> slot` map, with a one-entry cache of the last lookup: consecutive events mostly
/// come from the same thread, so most lookups cost one comparison.
#[derive(Debug, Default)]
pub struct ThreadTable {
    slots: Vec<Option<ThreadInfo>>,
    free: Vec<u32>,
    index: FxHashMap<i64, u32>,
    last: std::cell::Cell<(i64, u32)>,
}

const NO_SLOT: u32 = u32::MAX;

impl ThreadTable {
    #[inline]
    fn slot_of(&self, tid: i64) -> Option<u32> {
        let (ltid, lslot) = self.last.get();
        if ltid == tid && lslot != NO_SLOT {
            return Some(lslot);
        }
        let s = *self.index.get(&tid)?;
        self.last.set((tid, s));
        Some(s)
    }

    /// The thread `tid`.
    #[inline]
    pub fn get(&self, tid: i64) -> Option<&ThreadInfo> {
        let s = self.slot_of(tid)?;
        self.slots[s as usize].as_ref()
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, tid: i64) -> Option<&mut ThreadInfo> {
        let s = self.slot_of(tid)?;
        self.slots[s as usize].as_mut()
    }

    pub(crate) fn insert(&mut self, t: ThreadInfo) {
        if let Some(s) = self.slot_of(t.tid) {
            self.slots[s as usize] = Some(t);
            return;
        }
        let tid = t.tid;
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(t);
                s
            }
            None => {
                self.slots.push(Some(t));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(tid, s);
    }

    pub(crate) fn remove(&mut self, tid: i64) -> Option<ThreadInfo> {
        let s = self.index.remove(&tid)?;
        if self.last.get().0 == tid {
            self.last.set((0, NO_SLOT));
        }
        self.free.push(s);
        self.slots[s as usize].take()
    }

    /// Number of threads.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True if no thread is known.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Every thread, in no order.
    pub fn iter(&self) -> impl Iterator<Item = &ThreadInfo> {
        self.slots.iter().filter_map(|t| t.as_ref())
    }

    /// The main thread of `t`'s process (`t` itself for a main thread).
    pub fn main_thread<'a>(&'a self, t: &'a ThreadInfo) -> Option<&'a ThreadInfo> {
        if t.is_main_thread() { Some(t) } else { self.get(t.pid) }
    }

    /// The parent thread of `t` (`ptid`).
    pub fn parent<'a>(&'a self, t: &'a ThreadInfo) -> Option<&'a ThreadInfo> {
        self.get(t.ptid)
    }

    /// Walks the parents of `t` (not `t` itself) while `f` returns true, stopping at a loop.
    pub fn for_each_ancestor<'a>(
        &'a self,
        t: &'a ThreadInfo,
        mut f: impl FnMut(&'a ThreadInfo) -> bool,
    ) {
        let mut cur = t;
        // A slow pointer detects loops in the parent chain (Floyd), as libsinsp does.
        let mut slow = t;
        let mut step = false;
        while let Some(p) = self.parent(cur) {
            if p.tid == cur.tid || !f(p) {
                return;
            }
            cur = p;
            if step {
                slow = self.parent(slow).unwrap_or(slow);
                if slow.tid == cur.tid {
                    return;
                }
            }
            step = !step;
        }
    }

    /// The working directory of `t`: its main thread's (shared by the process).
    pub fn cwd<'a>(&'a self, t: &'a ThreadInfo) -> &'a [u8] {
        match self.main_thread(t) {
            Some(m) => &m.cwd,
            None => &t.cwd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_stop_on_loops() {
        let mut tt = ThreadTable::default();
        for (tid, ptid) in [(1, 0), (10, 1), (20, 10), (30, 31), (31, 30)] {
            let mut t = ThreadInfo::new(tid);
            t.pid = tid;
            t.ptid = ptid;
            tt.insert(t);
        }
        let mut seen = Vec::new();
        tt.for_each_ancestor(tt.get(20).unwrap(), |p| {
            seen.push(p.tid);
            true
        });
        assert_eq!(seen, [10, 1]);
        let mut n = 0;
        tt.for_each_ancestor(tt.get(30).unwrap(), |_| {
            n += 1;
            true
        });
        assert!(n < 10);
    }

    #[test]
    fn args_split_on_nul() {
        let mut t = ThreadInfo::new(1);
        t.set_args(b"-l\0/tmp\0");
        assert_eq!(t.args, [b"-l".to_vec(), b"/tmp".to_vec()]);
        t.set_cwd(b"/home");
        assert_eq!(t.cwd, b"/home/");
    }
}
