//! State updates from events: libsinsp's parser (`sinsp_parser::process_event`), one
//! function per syscall family.
//!
//! For every event, [`State::process`] first applies the removals the previous event
//! deferred, then finds the event's thread (making a placeholder for a thread the capture
//! never announced), pairs exit events with their enter event, finds the fd the event is
//! about, and finally applies the event's effect: new threads on clone, new program on
//! execve, new fds on open/socket/accept/pipe/dup, addresses on connect/bind, removals on
//! close and procexit.

use std::io::Write;

use super::fds::{FdInfo, FdType, SockInfo, fdflags, ipv4, ipv6, l4};
use super::threads::{CL_CLONE_FILES, CL_CLONE_PARENT, CL_CLONE_THREAD, CL_CLOSED, ThreadInfo};
use super::{EventCtx, State};
use crate::event::codes::*;
use crate::event::info::flags as ef;
use crate::event::{RawEvent, decode};

const PPM_O_DIRECTORY: u32 = 1 << 10;
const PPM_CL_CHILD_IN_PIDNS: u32 = 1 << 29;
const AF_UNIX: u8 = 1;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

fn is_clone_exit(t: u16) -> bool {
    matches!(
        t,
        SYSCALL_CLONE_11_X
            | SYSCALL_CLONE_16_X
            | SYSCALL_CLONE_17_X
            | SYSCALL_CLONE_20_X
            | SYSCALL_FORK_X
            | SYSCALL_FORK_17_X
            | SYSCALL_FORK_20_X
            | SYSCALL_VFORK_X
            | SYSCALL_VFORK_17_X
            | SYSCALL_VFORK_20_X
            | SYSCALL_CLONE3_X
    )
}

/// Enter events whose parameters the exit event's parser needs.
fn stores_enter(t: u16) -> bool {
    matches!(
        t,
        SOCKET_SENDTO_E
            | SYSCALL_OPEN_E
            | SYSCALL_CREAT_E
            | SYSCALL_OPENAT_E
            | SYSCALL_OPENAT_2_E
            | SYSCALL_OPENAT2_E
            | SOCKET_SOCKET_E
            | SYSCALL_EVENTFD_E
            | SYSCALL_CHDIR_E
            | SYSCALL_FCHDIR_E
            | SOCKET_SHUTDOWN_E
            | SYSCALL_GETRLIMIT_E
            | SYSCALL_SETRLIMIT_E
            | SYSCALL_PRLIMIT_E
            | SOCKET_SENDMSG_E
            | SYSCALL_SENDFILE_E
            | SYSCALL_SETRESUID_E
            | SYSCALL_SETRESGID_E
            | SYSCALL_SETUID_E
            | SYSCALL_SETGID_E
            | SYSCALL_EXECVE_18_E
            | SYSCALL_EXECVE_19_E
            | SYSCALL_EXECVEAT_E
            | SYSCALL_SETPGID_E
            | SYSCALL_FCNTL_E
            | SOCKET_CONNECT_E
    )
}

impl State {
    /// Updates the state with one event and records what the event is about in
    /// [`State::ctx`]. `v2` says how the event header is laid out (for stored enter events).
    pub fn process(&mut self, evt: &RawEvent<'_>, v2: bool) {
        self.apply_deferred();
        if self.first_ts == 0 {
            self.first_ts = evt.ts();
            self.last_ts = evt.ts();
        }
        self.prev_ts = self.last_ts;
        self.last_ts = evt.ts();
        self.ctx = EventCtx { lastevent_fd: -1, ..EventCtx::default() };
        let etype = evt.etype();
        let eflags = evt.flags();
        let tid = evt.tid();

        if eflags & ef::SKIPPARSERESET != 0 {
            // procinfo and friends: look the thread up, change nothing.
            if etype == PROCINFO_E {
                self.ctx.has_thread = self.threads.get(tid).is_some();
            } else if etype == CONTAINER_E {
                // The container event of old captures: id, type, name, image.
                let text = |i: usize| {
                    String::from_utf8_lossy(evt.param_str(i).unwrap_or(b"")).into_owned()
                };
                let image = text(3);
                // The repository is the image without its tag (a ':' after the last '/').
                let slash = image.rfind('/').map_or(0, |p| p + 1);
                let repo = match image[slash..].find(':') {
                    Some(c) => image[..slash + c].to_string(),
                    None => image.clone(),
                };
                self.containers.insert(super::ContainerInfo {
                    id: text(0),
                    name: text(2),
                    image_repository: repo,
                    image,
                    ..Default::default()
                });
            }
            self.finish(evt);
            return;
        }
        if etype == ASYNCEVENT_E && evt.param_str(1) == Some(b"container") {
            // The container plugin's async event: container metadata as JSON.
            if let Some(json) = evt.param(2) {
                self.containers.add_json(crate::event::until_nul(json));
            }
        }
        if etype == CONTAINER_JSON_E || etype == CONTAINER_JSON_2_E {
            if let Some(json) = evt.param(0) {
                self.containers.add_json(crate::event::until_nul(json));
            }
            return;
        }
        let query_os = !(is_clone_exit(etype) || etype == SCHEDSWITCH_6_E);
        let mut exists = self.threads.get(tid).is_some();
        if !exists && query_os {
            self.add_placeholder(tid);
            exists = true;
        }
        self.ctx.has_thread = exists;
        if etype != SCHEDSWITCH_6_E && exists {
            self.reset(evt, v2, eflags);
        }
        self.parse(evt, v2);
        self.finish(evt);
    }

    /// Makes `fd` the event's fd if it exists, remembering its name at the start of the
    /// event (libsinsp's `m_oldname`, for `fd.name_changed`).
    fn snapshot_fd(&mut self, pid: i64, fd: i64) {
        if let Some(fi) = self.fdtables.get(&pid).and_then(|f| f.get(fd)) {
            self.ctx.fd = Some(fd);
            self.old_name_hash = name_hash(&fi.name);
            self.old_fd = Some(fd);
        }
    }

    fn finish(&mut self, evt: &RawEvent<'_>) {
        // fd.name_changed: the event's fd has a name other than the one it had when the
        // event started; a new fd started nameless, unless copied from another (dup).
        if let (Some(fd), Some(t)) = (self.ctx.fd, self.threads.get(evt.tid())) {
            if let Some(fi) = self.fdtables.get(&t.pid).and_then(|f| f.get(fd)) {
                self.ctx.name_changed = if self.copied_fd == Some(fd) {
                    false
                } else if self.old_fd == Some(fd) {
                    name_hash(&fi.name) != self.old_name_hash
                } else {
                    !fi.name.is_empty()
                };
            }
        }
        self.old_fd = None;
        self.copied_fd = None;
        match self.threads.get_mut(evt.tid()) {
            Some(t) => {
                self.ctx.lastevent_fd = t.parse.lastevent_fd;
                // event_cleanup: a stored enter event serves one exit event only.
                if !evt.is_enter() {
                    t.parse.enter_valid = false;
                }
                self.ctx.has_thread = true;
            }
            None => self.ctx.has_thread = false,
        }
    }

    fn add_placeholder(&mut self, tid: i64) {
        let mut t = ThreadInfo::placeholder(tid);
        t.nchilds = self.threads.iter().filter(|x| x.pid == tid && x.tid != tid).count() as u64;
        self.threads.insert(t);
    }

    fn apply_deferred(&mut self) {
        if let Some(tid) = self.tid_to_remove.take() {
            self.remove_thread(tid);
        }
        if !self.fds_to_remove.is_empty() {
            let list = std::mem::take(&mut self.fds_to_remove);
            for &(pid, fd) in &list {
                if let Some(tbl) = self.fdtables.get_mut(&pid) {
                    tbl.remove(fd);
                }
            }
            self.fds_to_remove = list;
            self.fds_to_remove.clear();
        }
    }

    fn remove_thread(&mut self, tid: i64) {
        let Some(t) = self.threads.remove(tid) else {
            return;
        };
        if t.is_main_thread() {
            // The process is gone once no thread refers to it.
            if t.nchilds == 0 {
                self.fdtables.remove(&t.pid);
            } else {
                // Keep the main thread around for its children, as libsinsp does.
                let mut keep = t;
                keep.flags |= CL_CLOSED;
                self.threads.insert(keep);
            }
        } else if let Some(m) = self.threads.get_mut(t.pid) {
            m.nchilds = m.nchilds.saturating_sub(1);
            if m.nchilds == 0 && m.flags & CL_CLOSED != 0 {
                let pid = m.pid;
                self.threads.remove(pid);
                self.fdtables.remove(&pid);
            }
        }
    }

    /// libsinsp's `sinsp_parser::reset`: enter/exit pairing, `lastevent_fd`, the event's fd.
    fn reset(&mut self, evt: &RawEvent<'_>, v2: bool, eflags: u32) {
        let etype = evt.etype();
        let tid = evt.tid();
        let uses_fd = eflags & ef::USES_FD != 0;
        // Enter events carry their fd first, except mmap/mmap2 (5th) and splice (2nd).
        let fd_param = evt.param_i64(match etype {
            SYSCALL_MMAP_E | SYSCALL_MMAP2_E => 4,
            SYSCALL_SPLICE_E => 1,
            _ => 0,
        });
        let Some(t) = self.threads.get_mut(tid) else {
            return;
        };
        if evt.is_enter() {
            t.parse.lastevent_fd = -1;
            t.parse.lastevent_type = etype;
            t.parse.enter_ts = evt.ts();
            t.parse.latency = 0;
            if uses_fd {
                t.parse.lastevent_fd = fd_param.unwrap_or(-1);
            }
            if stores_enter(etype) {
                t.parse.enter.clear();
                t.parse.enter.extend_from_slice(evt.bytes());
                t.parse.enter_v2 = v2;
                t.parse.enter_valid = true;
            }
            let pid = t.pid;
            let lfd = t.parse.lastevent_fd;
            if uses_fd {
                self.snapshot_fd(pid, lfd);
            }
            return;
        }
        if t.parse.enter_ts != 0 {
            t.parse.latency = evt.ts().saturating_sub(t.parse.enter_ts);
        }
        // A successful execveat is reported as an execveat enter and an execve exit.
        let execveat_pair =
            etype == SYSCALL_EXECVE_19_X && t.parse.lastevent_type == SYSCALL_EXECVEAT_E;
        if execveat_pair
            || (t.parse.lastevent_type != u16::MAX
                && etype == t.parse.lastevent_type.wrapping_add(1))
        {
            self.ctx.enter_matched = true;
        } else {
            t.parse.enter_valid = false;
            if t.parse.lastevent_type != TRACER_E {
                return;
            }
        }
        if evt.nparams() != 0 && crate::event::first_param_is_result(etype) {
            if let Some(res) = evt.param_i64(0) {
                if res < 0 {
                    self.ctx.errorcode = -(res as i32);
                }
            }
        }
        if uses_fd {
            if etype == SYSCALL_COPY_FILE_RANGE_X {
                if let Some(fd) = evt.param_i64(1) {
                    t.parse.lastevent_fd = fd;
                }
            }
            let (pid, lfd) = (t.pid, t.parse.lastevent_fd);
            self.snapshot_fd(pid, lfd);
        }
    }

    /// The stored enter event of the current exit event's thread, if it matches.
    fn enter_event<'s>(&'s mut self, evt: &RawEvent<'_>) -> Option<RawEvent<'s>> {
        if !self.ctx.enter_matched {
            return None;
        }
        let t = self.threads.get(evt.tid())?;
        if !t.parse.enter_valid {
            return None;
        }
        let h = decode(&t.parse.enter, t.parse.enter_v2, &mut self.scratch_offs).ok()?;
        let execveat_pair = evt.etype() == SYSCALL_EXECVE_19_X && h.etype == SYSCALL_EXECVEAT_E;
        if h.etype != evt.etype().wrapping_sub(1) && !execveat_pair {
            return None;
        }
        Some(RawEvent::new(&t.parse.enter, &self.scratch_offs, h))
    }

    fn parse(&mut self, evt: &RawEvent<'_>, v2: bool) {
        let etype = evt.etype();
        match etype {
            SYSCALL_OPEN_X
            | SYSCALL_CREAT_X
            | SYSCALL_OPENAT_X
            | SYSCALL_OPENAT_2_X
            | SYSCALL_OPENAT2_X
            | SYSCALL_OPEN_BY_HANDLE_AT_X => self.parse_open_exit(evt),
            _ if is_clone_exit(etype) => self.parse_clone_exit(evt),
            SYSCALL_EXECVE_8_X | SYSCALL_EXECVE_13_X | SYSCALL_EXECVE_14_X
            | SYSCALL_EXECVE_15_X | SYSCALL_EXECVE_16_X | SYSCALL_EXECVE_17_X
            | SYSCALL_EXECVE_18_X | SYSCALL_EXECVE_19_X | SYSCALL_EXECVEAT_X => {
                self.parse_execve_exit(evt)
            }
            PROCEXIT_E | PROCEXIT_1_E => {
                if let Some(t) = self.threads.get_mut(evt.tid()) {
                    t.flags |= CL_CLOSED;
                    self.tid_to_remove = Some(evt.tid());
                }
            }
            SYSCALL_PIPE_X | SYSCALL_PIPE2_X => self.parse_pipe_exit(evt),
            SOCKET_SOCKET_X => self.parse_socket_exit(evt),
            SOCKET_BIND_X => self.parse_bind_exit(evt),
            SOCKET_CONNECT_E => self.parse_connect_enter(evt),
            SOCKET_CONNECT_X => self.parse_connect_exit(evt),
            SOCKET_ACCEPT_X | SOCKET_ACCEPT_5_X | SOCKET_ACCEPT4_X | SOCKET_ACCEPT4_5_X
            | SOCKET_ACCEPT4_6_X => self.parse_accept_exit(evt),
            SYSCALL_CLOSE_E => {
                if let Some(fd) = self.ctx.fd {
                    if let Some(fi) = self.cur_fd_mut(evt, fd) {
                        fi.flags |= fdflags::CLOSE_IN_PROGRESS;
                    }
                }
            }
            SYSCALL_CLOSE_X => self.parse_close_exit(evt),
            SYSCALL_FCNTL_X => self.parse_fcntl_exit(evt),
            SYSCALL_EVENTFD_X | SYSCALL_EVENTFD2_X => {
                self.add_simple_fd(evt, 0, FdType::Event, b"")
            }
            SYSCALL_SIGNALFD_X | SYSCALL_SIGNALFD4_X => {
                self.add_simple_fd(evt, 0, FdType::SignalFd, b"")
            }
            SYSCALL_TIMERFD_CREATE_X => self.add_simple_fd(evt, 0, FdType::TimerFd, b""),
            SYSCALL_INOTIFY_INIT_X | SYSCALL_INOTIFY_INIT1_X => {
                self.add_simple_fd(evt, 0, FdType::Inotify, b"")
            }
            SYSCALL_EPOLL_CREATE_X | SYSCALL_EPOLL_CREATE1_X => {
                self.add_simple_fd(evt, 0, FdType::EventPoll, b"")
            }
            SYSCALL_USERFAULTFD_X => self.add_simple_fd(evt, 0, FdType::UserFaultFd, b""),
            SYSCALL_IO_URING_SETUP_X => self.add_simple_fd(evt, 0, FdType::IoUring, b""),
            SYSCALL_BPF_2_X => self.add_simple_fd(evt, 0, FdType::Bpf, b""),
            SYSCALL_PIDFD_OPEN_X => self.add_simple_fd(evt, 0, FdType::PidFd, b""),
            SYSCALL_MEMFD_CREATE_X => {
                let name = evt.param_str(1).unwrap_or(b"").to_vec();
                let mut full = b"memfd:".to_vec();
                full.extend_from_slice(&name);
                self.add_simple_fd(evt, 0, FdType::MemFd, &full)
            }
            SYSCALL_DUP_X | SYSCALL_DUP_1_X | SYSCALL_DUP2_X | SYSCALL_DUP3_X => {
                self.parse_dup_exit(evt)
            }
            SOCKET_SOCKETPAIR_X => self.parse_socketpair_exit(evt),
            SYSCALL_CHDIR_X => self.parse_chdir_exit(evt),
            SYSCALL_FCHDIR_X => self.parse_fchdir_exit(evt),
            SYSCALL_SETUID_X | SYSCALL_SETGID_X | SYSCALL_SETRESUID_X | SYSCALL_SETRESGID_X => {
                self.parse_setid_exit(evt)
            }
            SYSCALL_SETSID_X => {
                if let (Some(res), Some(t)) = (evt.param_i64(0), self.threads.get_mut(evt.tid())) {
                    if res >= 0 {
                        t.sid = res;
                    }
                }
            }
            SYSCALL_CHROOT_X if evt.param_i64(0) == Some(0) => {
                let root = evt.param_str(1).unwrap_or(b"").to_vec();
                if let Some(t) = self.threads.get_mut(evt.tid()) {
                    t.root = root;
                }
            }
            SCHEDSWITCH_6_E => self.parse_context_switch(evt),
            SYSCALL_BRK_4_X | SYSCALL_MMAP_X | SYSCALL_MMAP2_X | SYSCALL_MUNMAP_X => {
                let vals = (evt.param_u64(1), evt.param_u64(2), evt.param_u64(3));
                if let (Some(a), Some(b), Some(c), Some(t)) =
                    (vals.0, vals.1, vals.2, self.threads.get_mut(evt.tid()))
                {
                    t.vmsize_kb = a as u32;
                    t.vmrss_kb = b as u32;
                    t.vmswap_kb = c as u32;
                }
            }
            SYSCALL_PRLIMIT_X | SYSCALL_GETRLIMIT_X | SYSCALL_SETRLIMIT_X => {
                self.parse_rlimit_exit(evt)
            }
            SYSCALL_READ_X | SYSCALL_WRITE_X | SOCKET_RECV_X | SOCKET_SEND_X
            | SOCKET_RECVFROM_X | SOCKET_RECVMSG_X | SOCKET_SENDTO_X | SOCKET_SENDMSG_X
            | SYSCALL_READV_X | SYSCALL_WRITEV_X | SYSCALL_PREAD_X | SYSCALL_PWRITE_X
            | SYSCALL_PREADV_X | SYSCALL_PWRITEV_X => self.parse_rw_exit(evt),
            _ => {}
        }
        let _ = v2;
    }

    /// Context switches report the thread's page faults and its process's memory.
    fn parse_context_switch(&mut self, evt: &RawEvent<'_>) {
        let Some(t) = self.threads.get_mut(evt.tid()) else { return };
        if let (Some(maj), Some(min)) = (evt.param_u64(1), evt.param_u64(2)) {
            t.pfmajor = maj;
            t.pfminor = min;
        }
        let pid = t.pid;
        let vm = (evt.param_u64(3), evt.param_u64(4), evt.param_u64(5));
        if let (Some(m), (Some(size), Some(rss), Some(swap))) = (self.threads.get_mut(pid), vm) {
            m.vmsize_kb = size as u32;
            m.vmrss_kb = rss as u32;
            m.vmswap_kb = swap as u32;
        }
    }

    fn cur_fd_mut(&mut self, evt: &RawEvent<'_>, fd: i64) -> Option<&mut FdInfo> {
        let pid = self.threads.get(evt.tid())?.pid;
        self.fdtables.get_mut(&pid)?.get_mut(fd)
    }

    /// Adds `info` as fd `fd` of the event's process and makes it the event's fd.
    fn add_fd(&mut self, evt: &RawEvent<'_>, fd: i64, info: FdInfo) {
        let Some(t) = self.threads.get_mut(evt.tid()) else {
            return;
        };
        // libsinsp's add_fd makes the new fd the thread's last event fd.
        t.parse.lastevent_fd = fd;
        let pid = t.pid;
        self.fd_table_mut(pid).insert(fd, info);
        self.ctx.fd = Some(fd);
    }

    fn add_simple_fd(&mut self, evt: &RawEvent<'_>, res_idx: usize, ft: FdType, name: &[u8]) {
        let Some(fd) = evt.param_i64(res_idx) else {
            return;
        };
        if fd < 0 || self.threads.get(evt.tid()).is_none() {
            return;
        }
        let mut fi = FdInfo::new(ft, name);
        fi.name_raw = name.to_vec();
        self.add_fd(evt, fd, fi);
    }

    /// open/openat/openat2/creat exits: a new file or directory fd named by the absolute
    /// path. The path is built in a reused buffer and written into the fd slot's own
    /// buffers, so the common open/close cycle allocates nothing.
    fn parse_open_exit(&mut self, evt: &RawEvent<'_>) {
        let etype = evt.etype();
        let Some(fd) = evt.param_i64(0) else { return };
        let tid = evt.tid();
        let Some(t) = self.threads.get(tid) else {
            return;
        };
        let pid = t.pid;
        let enter = if self.ctx.enter_matched && t.parse.enter_valid {
            decode(&t.parse.enter, t.parse.enter_v2, &mut self.scratch_offs)
                .ok()
                .filter(|h| h.etype == etype.wrapping_sub(1))
                .map(|h| RawEvent::new(&t.parse.enter, &self.scratch_offs, h))
        } else {
            None
        };
        let usable = |n: &[u8]| !n.is_empty() && n != b"(NULL)";
        let flag = |e: &RawEvent<'_>, i: usize| e.param_u64(i).unwrap_or(0) as u32;
        let mut dev = 0u32;
        let (name, flags, dirfd): (&[u8], u32, Option<i64>) = match etype {
            SYSCALL_OPEN_X => {
                if evt.nparams() > 4 {
                    dev = flag(evt, 4);
                }
                match &enter {
                    Some(e) if e.nparams() >= 2 && usable(e.param_str(0).unwrap_or(b"")) => {
                        (e.param_str(0).unwrap_or(b""), flag(e, 1), None)
                    }
                    _ => (evt.param_str(1).unwrap_or(b""), flag(evt, 2), None),
                }
            }
            SYSCALL_CREAT_X => {
                if evt.nparams() > 3 {
                    dev = flag(evt, 3);
                }
                match &enter {
                    Some(e) if e.nparams() >= 1 && usable(e.param_str(0).unwrap_or(b"")) => {
                        (e.param_str(0).unwrap_or(b""), 0, None)
                    }
                    _ => (evt.param_str(1).unwrap_or(b""), 0, None),
                }
            }
            SYSCALL_OPENAT_X => {
                // The old openat exit carries only the fd: the rest is in the enter event.
                let Some(e) = &enter else { return };
                (e.param_str(1).unwrap_or(b""), flag(e, 2), e.param_i64(0))
            }
            SYSCALL_OPENAT_2_X | SYSCALL_OPENAT2_X => {
                if etype == SYSCALL_OPENAT_2_X && evt.nparams() > 5 {
                    dev = flag(evt, 5);
                }
                match &enter {
                    Some(e) if e.nparams() >= 3 && usable(e.param_str(1).unwrap_or(b"")) => {
                        (e.param_str(1).unwrap_or(b""), flag(e, 2), e.param_i64(0))
                    }
                    _ => (evt.param_str(2).unwrap_or(b""), flag(evt, 3), evt.param_i64(1)),
                }
            }
            SYSCALL_OPEN_BY_HANDLE_AT_X => (evt.param_str(3).unwrap_or(b""), flag(evt, 2), None),
            _ => return,
        };
        // The absolute path: the name alone, or under the cwd or the dirfd's directory.
        let buf = &mut self.path_buf;
        buf.clear();
        if name.first() != Some(&b'/')
            && !name.is_empty()
            && !super::push_base_dir(&self.threads, self.fdtables.get(&pid), t, dirfd, buf)
        {
            buf.extend_from_slice(b"<UNKNOWN>/");
        }
        crate::path::append(buf, name);
        if fd < 0 {
            return;
        }
        let slot = self.fdtables.get_or_default(pid).slot(fd);
        slot.ftype = if flags & PPM_O_DIRECTORY != 0 { FdType::Directory } else { FdType::FileV2 };
        slot.name.extend_from_slice(&self.path_buf);
        slot.name_raw.extend_from_slice(name);
        slot.openflags = flags;
        slot.dev = dev;
        if let Some(t) = self.threads.get_mut(tid) {
            t.parse.lastevent_fd = fd;
        }
        self.ctx.fd = Some(fd);
    }

    /// The directory a relative `name` is relative to (empty for absolute names), with a
    /// trailing `/`; `<UNKNOWN>/` for an unknown dirfd, as libsinsp does.
    fn dir_base(&self, evt: &RawEvent<'_>, dirfd: Option<i64>, name: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let Some(t) = self.threads.get(evt.tid()) else { return out };
        if name.first() == Some(&b'/') {
            return out;
        }
        if !super::push_base_dir(&self.threads, self.fdtables.get(&t.pid), t, dirfd, &mut out) {
            out.extend_from_slice(b"<UNKNOWN>/");
        }
        out
    }

    fn parse_socket_exit(&mut self, evt: &RawEvent<'_>) {
        let Some(fd) = evt.param_i64(0) else { return };
        if fd < 0 || self.threads.get(evt.tid()).is_none() {
            return;
        }
        // The enter event says domain/type/protocol (the exit event does too since 2023).
        let (domain, stype, proto) = if evt.nparams() >= 4 {
            (evt.param_u64(1), evt.param_u64(2), evt.param_u64(3))
        } else {
            match self.enter_event(evt) {
                Some(e) => (e.param_u64(0), e.param_u64(1), e.param_u64(2)),
                None => (None, None, None),
            }
        };
        let fi = new_socket(
            domain.unwrap_or(0) as u32,
            stype.unwrap_or(0) as u32,
            proto.unwrap_or(0) as u32,
        );
        self.add_fd(evt, fd, fi);
    }

    /// bind exit (libsinsp's `parse_bind_exit`): a non-zero port makes the socket a
    /// listening (server) socket; in every case its name becomes the bound address as the
    /// sockaddr parameter prints.
    fn parse_bind_exit(&mut self, evt: &RawEvent<'_>) {
        if evt.param_i64(0).is_none_or(|r| r < 0) {
            return;
        }
        let Some(fd) = self.ctx.fd else { return };
        let Some(addr) = evt.param(1).filter(|a| !a.is_empty()).map(|a| a.to_vec()) else {
            return;
        };
        let Some(fi) = self.cur_fd_mut(evt, fd) else { return };
        let l4 = fi.raw_l4proto();
        let fam = addr[0];
        let server = if fam == AF_INET && addr.len() >= 7 {
            let ip = ipv4([addr[1], addr[2], addr[3], addr[4]]);
            Some((FdType::Ipv4ServSock, ip, u16::from_le_bytes([addr[5], addr[6]])))
        } else if fam == AF_INET6 && addr.len() >= 19 {
            let mut a = [0u8; 16];
            a.copy_from_slice(&addr[1..17]);
            let port = u16::from_le_bytes([addr[17], addr[18]]);
            if super::fds::ipv4_mapped(&a) {
                Some((FdType::Ipv4ServSock, ipv4([a[12], a[13], a[14], a[15]]), port))
            } else {
                Some((FdType::Ipv6ServSock, ipv6(a), port))
            }
        } else {
            None
        };
        if let Some((ftype, ip, port)) = server.filter(|(_, _, port)| *port > 0) {
            fi.ftype = ftype;
            fi.sock = SockInfo::Server { ip, port, l4proto: l4 };
            fi.flags |= fdflags::ROLE_SERVER;
        }
        fi.name.clear();
        crate::event::render::sockaddr(&mut fi.name, &addr, l4);
        fi.name_raw.clear();
        fi.name_raw.extend_from_slice(&fi.name);
    }

    fn parse_connect_enter(&mut self, evt: &RawEvent<'_>) {
        let Some(fd) = self.ctx.fd else { return };
        let Some(addr) = evt.param(1).map(|a| a.to_vec()) else {
            return;
        };
        let Some(fi) = self.cur_fd_mut(evt, fd) else {
            return;
        };
        fill_client_from_sockaddr(fi, &addr);
    }

    fn parse_connect_exit(&mut self, evt: &RawEvent<'_>) {
        let Some(fd) = self.ctx.fd else { return };
        let res = evt.param_i64(0).unwrap_or(0);
        let tuple = evt.param(1).map(|a| a.to_vec());
        let Some(fi) = self.cur_fd_mut(evt, fd) else {
            return;
        };
        if res < 0 && res != -115 {
            // Failed (EINPROGRESS is not a failure: libsinsp, not tracking connection
            // status, counts an in-progress connect as connected).
            fi.flags |= fdflags::CONNECTION_FAILED;
            return;
        }
        fi.flags |= fdflags::SOCKET_CONNECTED;
        fi.flags &= !(fdflags::CONNECTION_PENDING | fdflags::CONNECTION_FAILED);
        if let Some(t) = tuple.filter(|t| !t.is_empty()) {
            let moved = update_tuple(fi, &t);
            if moved && fi.is_server() && fi.raw_l4proto() == l4::UDP {
                swap_ends(fi);
            }
            name_socket(fi, &t);
            if !fi.is_server() && !fi.is_client() {
                fi.flags |= fdflags::ROLE_CLIENT;
            }
        }
    }

    fn parse_accept_exit(&mut self, evt: &RawEvent<'_>) {
        let Some(fd) = evt.param_i64(0) else { return };
        if fd < 0 || self.threads.get(evt.tid()).is_none() {
            return;
        }
        let mut fi = FdInfo::default();
        if let Some(t) = evt.param(1).filter(|t| !t.is_empty()) {
            // Accepted sockets are stream (TCP) sockets.
            fi.sock = SockInfo::Tuple {
                sip: ipv4([0; 4]),
                dip: ipv4([0; 4]),
                sport: 0,
                dport: 0,
                l4proto: l4::TCP,
            };
            update_tuple(&mut fi, t);
            name_socket(&mut fi, t);
        }
        fi.flags |= fdflags::ROLE_SERVER | fdflags::SOCKET_CONNECTED;
        self.add_fd(evt, fd, fi);
    }

    fn parse_close_exit(&mut self, evt: &RawEvent<'_>) {
        let res = evt.param_i64(0).unwrap_or(-1);
        let Some(fd) = self.ctx.fd else { return };
        if res >= 0 {
            if let Some(t) = self.threads.get(evt.tid()) {
                self.fds_to_remove.push((t.pid, fd));
            }
        } else if let Some(fi) = self.cur_fd_mut(evt, fd) {
            fi.flags &= !fdflags::CLOSE_IN_PROGRESS;
        }
    }

    fn parse_pipe_exit(&mut self, evt: &RawEvent<'_>) {
        if evt.param_i64(0).is_none_or(|r| r < 0) {
            return;
        }
        let (Some(fd1), Some(fd2)) = (evt.param_i64(1), evt.param_i64(2)) else {
            return;
        };
        let ino = evt.param_u64(3).unwrap_or(0);
        if self.threads.get(evt.tid()).is_none() {
            return;
        }
        for fd in [fd1, fd2] {
            let mut fi = FdInfo::new(FdType::Fifo, b"");
            fi.ino = ino;
            self.add_fd(evt, fd, fi);
        }
        // libsinsp leaves the event's fd on the last one added.
    }

    fn parse_socketpair_exit(&mut self, evt: &RawEvent<'_>) {
        if evt.param_i64(0).is_none_or(|r| r < 0) {
            return;
        }
        let (Some(fd1), Some(fd2)) = (evt.param_i64(1), evt.param_i64(2)) else {
            return;
        };
        let src = evt.param_u64(3).unwrap_or(0);
        let dst = evt.param_u64(4).unwrap_or(0);
        let mut fi = FdInfo::new(FdType::UnixSock, b"");
        fi.sock = SockInfo::Unix { source: src, dest: dst };
        self.add_fd(evt, fd2, fi.clone());
        self.add_fd(evt, fd1, fi);
    }

    fn parse_dup_exit(&mut self, evt: &RawEvent<'_>) {
        let Some(res) = evt.param_i64(0) else { return };
        if res < 0 {
            return;
        }
        // The source fd: a parameter of newer events, else the enter event's fd.
        let oldfd = if evt.nparams() >= 2 {
            evt.param_i64(1)
        } else {
            self.threads.get(evt.tid()).map(|t| t.parse.lastevent_fd)
        };
        let Some(oldfd) = oldfd else { return };
        let Some(t) = self.threads.get(evt.tid()) else {
            return;
        };
        let Some(src) = self.fd_of(t, oldfd).cloned() else {
            return;
        };
        if res == oldfd {
            return;
        }
        self.add_fd(evt, res, src);
        self.copied_fd = Some(res);
    }

    fn parse_fcntl_exit(&mut self, evt: &RawEvent<'_>) {
        const PPM_FCNTL_F_DUPFD: u64 = 1;
        const PPM_FCNTL_F_DUPFD_CLOEXEC: u64 = 14;
        let Some(res) = evt.param_i64(0) else { return };
        if res < 0 {
            return;
        }
        let cmd = match evt.param_u64(2) {
            Some(c) => Some(c),
            None => self.enter_event(evt).and_then(|e| e.param_u64(1)),
        };
        if !matches!(cmd, Some(PPM_FCNTL_F_DUPFD) | Some(PPM_FCNTL_F_DUPFD_CLOEXEC)) {
            return;
        }
        let Some(t) = self.threads.get(evt.tid()) else {
            return;
        };
        let Some(src) = self.fd_of(t, t.parse.lastevent_fd).cloned() else {
            return;
        };
        self.add_fd(evt, res, src);
        self.copied_fd = Some(res);
    }

    fn parse_chdir_exit(&mut self, evt: &RawEvent<'_>) {
        if evt.param_i64(0).is_none_or(|r| r < 0) {
            return;
        }
        let path = match evt.param_str(1) {
            Some(p) => p.to_vec(),
            None => match self.enter_event(evt) {
                Some(e) => e.param_str(0).unwrap_or(b"").to_vec(),
                None => return,
            },
        };
        self.update_cwd(evt.tid(), &path);
    }

    fn parse_fchdir_exit(&mut self, evt: &RawEvent<'_>) {
        if evt.param_i64(0).is_none_or(|r| r < 0) {
            return;
        }
        let Some(t) = self.threads.get(evt.tid()) else {
            return;
        };
        let Some(fi) = self.fd_of(t, t.parse.lastevent_fd) else {
            return;
        };
        let path = fi.name.clone();
        self.update_cwd(evt.tid(), &path);
    }

    fn update_cwd(&mut self, tid: i64, path: &[u8]) {
        let Some(t) = self.threads.get(tid) else {
            return;
        };
        let pid = if self.threads.get(t.pid).is_some() { t.pid } else { tid };
        let cwd = self.threads.cwd(t).to_vec();
        let mut full = Vec::new();
        crate::path::concatenate(&mut full, &cwd, path);
        if let Some(m) = self.threads.get_mut(pid) {
            m.set_cwd(&full);
        }
        if let Some(t) = self.threads.get_mut(tid) {
            t.set_cwd(&full);
        }
    }

    fn parse_setid_exit(&mut self, evt: &RawEvent<'_>) {
        if evt.param_i64(0) != Some(0) {
            return;
        }
        let etype = evt.etype();
        let val = match evt.param_u64(1) {
            Some(v) => Some(v as u32),
            None => self.enter_event(evt).and_then(|e| e.param_u64(0)).map(|v| v as u32),
        };
        let Some(v) = val else { return };
        if v == u32::MAX {
            return;
        }
        let Some(t) = self.threads.get_mut(evt.tid()) else {
            return;
        };
        match etype {
            SYSCALL_SETUID_X | SYSCALL_SETRESUID_X => t.uid = v,
            _ => t.gid = v,
        }
    }

    fn parse_rlimit_exit(&mut self, evt: &RawEvent<'_>) {
        const PPM_RLIMIT_NOFILE: u64 = 7;
        if evt.param_i64(0) != Some(0) {
            return;
        }
        let resource = match self.enter_event(evt) {
            Some(e) => e.param_u64(if evt.etype() == SYSCALL_PRLIMIT_X { 1 } else { 0 }),
            None => return,
        };
        if resource != Some(PPM_RLIMIT_NOFILE) {
            return;
        }
        // The new soft limit is the first limit parameter of both exits.
        let cur = evt.param_i64(1);
        if let (Some(cur), Some(t)) = (cur, self.threads.get_mut(evt.tid())) {
            if cur >= 0 {
                let main = t.pid;
                t.fdlimit = cur;
                if let Some(m) = self.threads.get_mut(main) {
                    m.fdlimit = cur;
                }
            }
        }
    }

    /// Read/write exits (libsinsp's `parse_rw_exit`): a successful I/O marks an IP socket
    /// connected; recvfrom/recvmsg (tuple in the exit event) and sendto/sendmsg (tuple in the
    /// enter event) give unconnected or non-TCP sockets their addresses, guessing the role
    /// from the ports the process uses.
    fn parse_rw_exit(&mut self, evt: &RawEvent<'_>) {
        let etype = evt.etype();
        if evt.param_i64(0).is_none_or(|r| r < 0) {
            return;
        }
        let Some(fd) = self.ctx.fd else { return };
        let tid = evt.tid();
        let Some(t) = self.threads.get(tid) else {
            return;
        };
        let pid = t.pid;
        let reads = evt.flags() & ef::READS_FROM_FD != 0;
        // The tuple: from the exit event for reads, from the enter event for writes.
        let mut tuple = std::mem::take(&mut self.path_buf);
        tuple.clear();
        let has_tuple = match etype {
            SOCKET_RECVFROM_X => evt.param(2).map(|p| tuple.extend_from_slice(p)).is_some(),
            SOCKET_RECVMSG_X => evt.param(3).map(|p| tuple.extend_from_slice(p)).is_some(),
            SOCKET_SENDTO_X | SOCKET_SENDMSG_X => {
                let enter = if self.ctx.enter_matched && t.parse.enter_valid {
                    decode(&t.parse.enter, t.parse.enter_v2, &mut self.scratch_offs)
                        .ok()
                        .filter(|h| h.etype == etype.wrapping_sub(1))
                        .map(|h| RawEvent::new(&t.parse.enter, &self.scratch_offs, h))
                } else {
                    None
                };
                match enter.and_then(|e| e.param(2)) {
                    Some(p) => {
                        tuple.extend_from_slice(p);
                        true
                    }
                    None => {
                        self.path_buf = tuple;
                        return;
                    }
                }
            }
            _ => false,
        };
        let Some(tbl) = self.fdtables.get_mut(&pid) else {
            self.path_buf = tuple;
            return;
        };
        let Some(fi) = tbl.get_mut(fd) else {
            self.path_buf = tuple;
            return;
        };
        if fi.ftype.is_ip() && !fi.ftype.is_server_type() {
            fi.flags |= fdflags::SOCKET_CONNECTED;
        }
        if has_tuple
            && !tuple.is_empty()
            && (fi.name.is_empty() || fi.raw_l4proto() != l4::TCP)
            && update_tuple(fi, &tuple)
        {
            // An unspecified local end becomes the interface address (after the update,
            // as libsinsp's update_fd does).
            super::infer_local_end(&self.ifaces, fi);
            if matches!(fi.ftype, FdType::Ipv4Sock | FdType::Ipv6Sock) {
                if !fi.is_client() && !fi.is_server() {
                    let role = guess_role(tbl, fd, reads);
                    if let Some(fi) = tbl.get_mut(fd) {
                        fi.flags |= role;
                    }
                }
                let Some(fi) = tbl.get_mut(fd) else { return };
                if (reads && fi.is_client()) || (!reads && fi.is_server()) {
                    swap_ends(fi);
                }
                tuple_name(fi);
            } else {
                name_socket(fi, &tuple);
            }
        }
        self.path_buf = tuple;
    }

    fn parse_clone_exit(&mut self, evt: &RawEvent<'_>) {
        let etype = evt.etype();
        let mut tid = evt.tid();
        let Some(mut childtid) = evt.param_i64(0) else {
            return;
        };
        let flags_idx = match etype {
            SYSCALL_CLONE_11_X => 8,
            SYSCALL_CLONE_16_X | SYSCALL_FORK_X | SYSCALL_VFORK_X => 13,
            SYSCALL_CLONE_17_X | SYSCALL_FORK_17_X | SYSCALL_VFORK_17_X => 14,
            _ => 15,
        };
        let flags = evt.param_u64(flags_idx).unwrap_or(0) as u32;
        if childtid < 0 {
            return;
        }
        let (mut vtid, mut vpid) = (tid, -1);
        if let (Some(a), Some(b)) = (evt.param_i64(18), evt.param_i64(19)) {
            if evt.nparams() > 19 {
                vtid = a;
                vpid = b;
            }
        }
        let in_container = flags & PPM_CL_CHILD_IN_PIDNS != 0 || tid != vtid;
        let mut inverted = false;
        if childtid == 0 {
            // The child's side of the clone.
            let parenttid = if flags & CL_CLONE_THREAD != 0 {
                evt.param_i64(4).unwrap_or(-1)
            } else {
                evt.param_i64(5).unwrap_or(-1)
            };
            match self.threads.get_mut(tid) {
                Some(t) => {
                    if in_container {
                        t.vtid = vtid;
                        t.vpid = vpid;
                    }
                    return;
                }
                None => {
                    inverted = true;
                    childtid = tid;
                    tid = parenttid;
                }
            }
        } else if in_container {
            return;
        }
        if self.threads.get(tid).is_none() {
            self.add_placeholder(tid);
        }
        let Some(parent) = self.threads.get(tid) else {
            return;
        };
        let valid_parent = !(parent.comm == b"<NA>" && parent.uid == u32::MAX);
        if let Some(child) = self.threads.get(childtid) {
            if child.flags & super::threads::CL_CLONE_INVERTED_FLAG != 0 {
                return;
            }
            self.remove_thread(childtid);
        }
        let Some(parent) = self.parent_view(tid) else {
            return;
        };
        let mut t = ThreadInfo::new(childtid);
        t.ptid = tid;
        if valid_parent {
            t.comm = parent.comm.clone();
            t.exe = parent.exe.clone();
            t.exepath = parent.exepath.clone();
            t.exe_writable = parent.exe_writable;
            t.args = parent.args.clone();
            t.root = parent.root.clone();
            t.sid = parent.sid;
            t.vpgid = parent.vpgid;
            t.tty = parent.tty;
            t.loginuid = parent.loginuid;
            t.cap_inheritable = parent.cap_inheritable;
            t.cap_permitted = parent.cap_permitted;
            t.cap_effective = parent.cap_effective;
            t.exe_upper_layer = parent.exe_upper_layer;
            t.exe_lower_layer = parent.exe_lower_layer;
            t.exe_from_memfd = parent.exe_from_memfd;
            t.exe_ino = parent.exe_ino;
            t.exe_ino_ctime = parent.exe_ino_ctime;
            t.exe_ino_mtime = parent.exe_ino_mtime;
            if flags & CL_CLONE_THREAD == 0 {
                t.env = parent.env.clone();
            }
        } else {
            // The parent is a placeholder: learn the program from the event.
            t.exe = evt.param_str(1).unwrap_or(b"").to_vec();
            t.comm = clone_comm(evt, &t.exe);
            t.set_args(evt.param(2).unwrap_or(b""));
            if let Some(p) = self.threads.get_mut(tid) {
                p.comm = t.comm.clone();
                p.exe = t.exe.clone();
                p.args = t.args.clone();
            }
        }
        t.pid = evt.param_i64(4).unwrap_or(childtid);
        t.flags = flags;
        if flags & CL_CLONE_THREAD == 0 {
            t.pid = childtid;
            // A new process: copy the parent's fd table (unless shared) and cwd.
            let ppid = parent.pid;
            if flags & CL_CLONE_FILES == 0 || t.pid != ppid {
                let tbl = self.fdtables.get(&ppid).cloned().unwrap_or_default();
                self.fdtables.insert(childtid, tbl);
            }
            t.cwd = parent.cwd_of_process.clone();
        }
        if flags & CL_CLONE_PARENT != 0 && flags & CL_CLONE_THREAD == 0 {
            // CLONE_PARENT: the child's parent is the caller's parent.
            t.ptid = parent.ptid;
        }
        if inverted {
            t.flags |= super::threads::CL_CLONE_INVERTED_FLAG;
        }
        t.exe = evt.param_str(1).unwrap_or(b"").to_vec();
        t.comm = clone_comm(evt, &t.exe);
        t.set_args(evt.param(2).unwrap_or(b""));
        t.fdlimit = evt.param_i64(7).unwrap_or(-1);
        if etype != SYSCALL_CLONE_11_X {
            t.pfmajor = evt.param_u64(8).unwrap_or(0);
            t.pfminor = evt.param_u64(9).unwrap_or(0);
            t.vmsize_kb = evt.param_u64(10).unwrap_or(0) as u32;
            t.vmrss_kb = evt.param_u64(11).unwrap_or(0) as u32;
            t.vmswap_kb = evt.param_u64(12).unwrap_or(0) as u32;
        }
        let (uid_idx, gid_idx) = match flags_idx {
            8 => (9, 10),
            13 => (14, 15),
            14 => (15, 16),
            _ => (16, 17),
        };
        t.uid = evt.param_u64(uid_idx).unwrap_or(0) as u32;
        t.gid = evt.param_u64(gid_idx).unwrap_or(0) as u32;
        if in_container {
            t.vtid = vtid;
            t.vpid = vpid;
        } else {
            t.vtid = t.tid;
            t.vpid = t.pid;
        }
        if flags_idx == 15 {
            t.set_cgroups(evt.param(14).unwrap_or(b""));
        } else {
            t.cgroups = parent.cgroups.clone();
            t.container_id = parent.container_id.clone();
        }
        t.clone_ts = evt.ts();
        if t.flags & CL_CLONE_THREAD != 0 && t.pid != t.tid {
            if let Some(m) = self.threads.get_mut(t.pid) {
                m.nchilds += 1;
            }
        }
        self.threads.insert(t);
        // The event is now about the parent again (libsinsp re-runs reset on a collision).
        self.ctx.has_thread = self.threads.get(evt.tid()).is_some();
    }

    fn parse_execve_exit(&mut self, evt: &RawEvent<'_>) {
        let etype = evt.etype();
        if evt.param_i64(0).is_none_or(|r| r < 0) {
            return;
        }
        if self.threads.get(evt.tid()).is_none() {
            return;
        }
        let old = matches!(etype, SYSCALL_EXECVE_8_X | SYSCALL_EXECVE_13_X | SYSCALL_EXECVE_14_X);
        // exepath: the enter event's path (execveat: relative to its dirfd) under the cwd.
        let enter_path: Option<(Vec<u8>, Option<i64>, bool)> =
            self.enter_event(evt).and_then(|e| {
                if e.etype() == SYSCALL_EXECVEAT_E {
                    Some((e.param_str(1)?.to_vec(), e.param_i64(0), true))
                } else {
                    Some((e.param_str(0)?.to_vec(), None, false))
                }
            });
        let exepath = enter_path.map(|(p, dirfd, at)| {
            if p.starts_with(b"<NA>") {
                return b"<NA>".to_vec();
            }
            let base = if at {
                self.dir_base(evt, dirfd, &p)
            } else {
                self.threads.get(evt.tid()).map(|t| t.cwd.clone()).unwrap_or_default()
            };
            let mut full = Vec::new();
            crate::path::concatenate(&mut full, &base, &p);
            full
        });
        let Some(t) = self.threads.get_mut(evt.tid()) else {
            return;
        };
        t.exe = evt.param_str(1).unwrap_or(b"").to_vec();
        if old {
            t.comm = t.exe.clone();
        } else if let Some(c) = evt.param_str(13) {
            t.comm = c.to_vec();
        }
        t.set_args(evt.param(2).unwrap_or(b""));
        if let Some(pid) = evt.param_i64(4) {
            t.pid = pid;
        }
        if t.ptid == -1 {
            if let Some(ptid) = evt.param_i64(5) {
                t.ptid = ptid;
            }
        }
        if let Some(l) = evt.param_i64(7) {
            t.fdlimit = l;
        }
        if let (Some(a), Some(b), Some(c), Some(d), Some(e)) = (
            evt.param_u64(8),
            evt.param_u64(9),
            evt.param_u64(10),
            evt.param_u64(11),
            evt.param_u64(12),
        ) {
            t.pfmajor = a;
            t.pfminor = b;
            t.vmsize_kb = c as u32;
            t.vmrss_kb = d as u32;
            t.vmswap_kb = e as u32;
        }
        match etype {
            SYSCALL_EXECVE_8_X | SYSCALL_EXECVE_13_X => {}
            SYSCALL_EXECVE_14_X => t.set_env(evt.param(13).unwrap_or(b"")),
            SYSCALL_EXECVE_15_X => t.set_env(evt.param(14).unwrap_or(b"")),
            _ => {
                if let Some(env) = evt.param(15) {
                    t.set_env(env);
                }
                if let Some(cg) = evt.param(14) {
                    t.set_cgroups(cg);
                }
            }
        }
        if let Some(tty) = evt.param_i64(16) {
            t.tty = tty as u32;
        }
        if let Some(p) = exepath {
            t.exepath = p;
        }
        if let Some(vpgid) = evt.param_i64(17) {
            t.vpgid = vpgid;
        }
        if let Some(l) = evt.param_u64(18) {
            t.loginuid = l as u32;
        }
        if let Some(f) = evt.param_u64(19) {
            const PPM_EXE_WRITABLE: u64 = 1;
            const PPM_EXE_UPPER_LAYER: u64 = 2;
            const PPM_EXE_FROM_MEMFD: u64 = 4;
            const PPM_EXE_LOWER_LAYER: u64 = 8;
            t.exe_writable = f & PPM_EXE_WRITABLE != 0;
            t.exe_upper_layer = f & PPM_EXE_UPPER_LAYER != 0;
            t.exe_from_memfd = f & PPM_EXE_FROM_MEMFD != 0;
            t.exe_lower_layer = f & PPM_EXE_LOWER_LAYER != 0;
        }
        if let (Some(a), Some(b), Some(c)) =
            (evt.param_u64(20), evt.param_u64(21), evt.param_u64(22))
        {
            t.cap_inheritable = a;
            t.cap_permitted = b;
            t.cap_effective = c;
        }
        if let Some(ino) = evt.param_u64(23) {
            t.exe_ino = ino;
        }
        if let Some(ct) = evt.param_u64(24) {
            t.exe_ino_ctime = ct;
        }
        if let Some(mt) = evt.param_u64(25) {
            t.exe_ino_mtime = mt;
        }
        if let Some(uid) = evt.param_u64(26) {
            t.uid = uid as u32;
        }
        if let Some(p) = evt.param_str(27) {
            if !p.is_empty() {
                t.exepath = p.to_vec();
            }
        }
        if let Some(pgid) = evt.param_i64(28) {
            t.pgid = pgid;
        }
        if let Some(gid) = evt.param_u64(29) {
            t.gid = gid as u32;
        }
        // Close-on-exec fds go away with the old program.
        let pid = t.pid;
        if let Some(tbl) = self.fdtables.get_mut(&pid) {
            const PPM_O_CLOEXEC: u32 = 1 << 12;
            let gone: Vec<i64> = tbl
                .iter()
                .filter(|(_, f)| {
                    f.openflags & PPM_O_CLOEXEC != 0 && f.flags & fdflags::FROM_PROC == 0
                })
                .map(|(fd, _)| fd)
                .collect();
            for fd in gone {
                self.fds_to_remove.push((pid, fd));
            }
        }
    }
}

impl State {
    fn parent_view(&self, tid: i64) -> Option<ParentView> {
        let p = self.threads.get(tid)?;
        Some(ParentView {
            comm: p.comm.clone(),
            exe: p.exe.clone(),
            exepath: p.exepath.clone(),
            exe_writable: p.exe_writable,
            args: p.args.clone(),
            env: p.env.clone(),
            root: p.root.clone(),
            sid: p.sid,
            vpgid: p.vpgid,
            tty: p.tty,
            loginuid: p.loginuid,
            pid: p.pid,
            ptid: p.ptid,
            cwd_of_process: self.threads.cwd(p).to_vec(),
            cgroups: p.cgroups.clone(),
            container_id: p.container_id.clone(),
            cap_inheritable: p.cap_inheritable,
            cap_permitted: p.cap_permitted,
            cap_effective: p.cap_effective,
            exe_upper_layer: p.exe_upper_layer,
            exe_lower_layer: p.exe_lower_layer,
            exe_from_memfd: p.exe_from_memfd,
            exe_ino: p.exe_ino,
            exe_ino_ctime: p.exe_ino_ctime,
            exe_ino_mtime: p.exe_ino_mtime,
        })
    }
}

/// A hash of an fd name, to tell whether an event renamed its fd without copying the name.
fn name_hash(name: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(name);
    h.write_usize(name.len());
    h.finish()
}

fn clone_comm(evt: &RawEvent<'_>, exe: &[u8]) -> Vec<u8> {
    match evt.etype() {
        SYSCALL_CLONE_11_X | SYSCALL_CLONE_16_X | SYSCALL_FORK_X | SYSCALL_VFORK_X => exe.to_vec(),
        _ => evt.param_str(13).unwrap_or(exe).to_vec(),
    }
}

/// What a child needs from its parent.
pub(crate) struct ParentView {
    pub comm: Vec<u8>,
    pub exe: Vec<u8>,
    pub exepath: Vec<u8>,
    pub exe_writable: bool,
    pub args: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    pub root: Vec<u8>,
    pub sid: i64,
    pub vpgid: i64,
    pub tty: u32,
    pub loginuid: u32,
    pub pid: i64,
    pub ptid: i64,
    pub cwd_of_process: Vec<u8>,
    pub cgroups: Vec<(Vec<u8>, Vec<u8>)>,
    pub container_id: Vec<u8>,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_upper_layer: bool,
    pub exe_lower_layer: bool,
    pub exe_from_memfd: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
}

/// A new socket fd from `socket(domain, type, protocol)`.
fn new_socket(domain: u32, stype: u32, proto: u32) -> FdInfo {
    const SOCK_STREAM: u32 = 1;
    const SOCK_DGRAM: u32 = 2;
    const SOCK_RAW: u32 = 3;
    const IPPROTO_TCP: u32 = 6;
    const IPPROTO_UDP: u32 = 17;
    const IPPROTO_ICMP: u32 = 1;
    let mut fi = FdInfo::default();
    let l4proto = match stype & 0xf {
        SOCK_STREAM if proto == 0 || proto == IPPROTO_TCP => l4::TCP,
        SOCK_DGRAM if proto == 0 || proto == IPPROTO_UDP => l4::UDP,
        SOCK_DGRAM if proto == IPPROTO_ICMP => l4::ICMP,
        SOCK_RAW => l4::RAW,
        _ if proto == IPPROTO_TCP => l4::TCP,
        _ if proto == IPPROTO_UDP => l4::UDP,
        _ => l4::UNKNOWN,
    };
    match domain as u8 {
        AF_UNIX => fi.ftype = FdType::UnixSock,
        AF_INET | AF_INET6 => {
            fi.ftype = if domain as u8 == AF_INET { FdType::Ipv4Sock } else { FdType::Ipv6Sock };
            let unspec = if domain as u8 == AF_INET { ipv4([0; 4]) } else { ipv6([0; 16]) };
            fi.sock = SockInfo::Tuple { sip: unspec, dip: unspec, sport: 0, dport: 0, l4proto };
        }
        16 => fi.ftype = FdType::Netlink,
        _ => fi.ftype = FdType::Unknown,
    }
    fi
}

fn write_ip(out: &mut Vec<u8>, ip: std::net::IpAddr) {
    match ip {
        std::net::IpAddr::V4(a) => {
            let _ = write!(out, "{a}");
        }
        std::net::IpAddr::V6(a) => crate::event::render::push_ipv6(out, &a.octets()),
    }
}

/// `sip:sport->dip:dport`, the name libsinsp gives a connected IP socket.
pub(crate) fn tuple_name(fi: &mut FdInfo) {
    if let SockInfo::Tuple { sip, dip, sport, dport, .. } = fi.sock {
        fi.name.clear();
        write_ip(&mut fi.name, sip);
        let _ = write!(fi.name, ":{sport}->");
        write_ip(&mut fi.name, dip);
        let _ = write!(fi.name, ":{dport}");
    }
}

/// Records the destination of a connect (enter event sockaddr) on a client socket, as
/// libsinsp does: the type and destination change, the name does not (the exit event names
/// the connection); a unix destination becomes the name.
fn fill_client_from_sockaddr(fi: &mut FdInfo, addr: &[u8]) {
    let Some(&fam) = addr.first() else { return };
    let l4proto = fi.raw_l4proto();
    let (sip, sport) = match fi.sock {
        SockInfo::Tuple { sip, sport, .. } => (Some(sip), sport),
        _ => (None, 0),
    };
    if fam == AF_INET && addr.len() >= 7 {
        let dip = ipv4([addr[1], addr[2], addr[3], addr[4]]);
        let dport = u16::from_le_bytes([addr[5], addr[6]]);
        fi.ftype = FdType::Ipv4Sock;
        fi.sock = SockInfo::Tuple { sip: sip.unwrap_or(ipv4([0; 4])), dip, sport, dport, l4proto };
    } else if fam == AF_INET6 && addr.len() >= 19 {
        let mut a = [0u8; 16];
        a.copy_from_slice(&addr[1..17]);
        let dport = u16::from_le_bytes([addr[17], addr[18]]);
        if super::fds::ipv4_mapped(&a) {
            let dip = ipv4([a[12], a[13], a[14], a[15]]);
            fi.ftype = FdType::Ipv4Sock;
            let sip = sip.filter(|s| s.is_ipv4()).unwrap_or(ipv4([0; 4]));
            fi.sock = SockInfo::Tuple { sip, dip, sport, dport, l4proto };
        } else {
            fi.ftype = FdType::Ipv6Sock;
            let sip = sip.filter(|s| s.is_ipv6()).unwrap_or(ipv6([0; 16]));
            fi.sock = SockInfo::Tuple { sip, dip: ipv6(a), sport, dport, l4proto };
        }
    } else if fam == AF_UNIX {
        fi.name.clear();
        crate::event::render::push_sanitized(&mut fi.name, crate::event::until_nul(&addr[1..]));
        fi.name_raw = fi.name.clone();
    }
}

/// Applies a socktuple parameter to a socket the way libsinsp's `update_fd` does: the
/// type follows the tuple's family (IPv4-mapped IPv6 counts as IPv4), the source end is
/// taken, the destination end only where still unknown, and a socket of unknown protocol
/// becomes UDP. Returns false if the tuple is empty or changes nothing.
fn update_tuple(fi: &mut FdInfo, t: &[u8]) -> bool {
    let Some(&fam) = t.first() else { return false };
    let mut l4proto = fi.raw_l4proto();
    let (tsip, tsport, tdip, tdport) = match fam {
        AF_INET if t.len() >= 13 => (
            ipv4([t[1], t[2], t[3], t[4]]),
            u16::from_le_bytes([t[5], t[6]]),
            ipv4([t[7], t[8], t[9], t[10]]),
            u16::from_le_bytes([t[11], t[12]]),
        ),
        AF_INET6 if t.len() >= 37 => {
            let mut s = [0u8; 16];
            let mut d = [0u8; 16];
            s.copy_from_slice(&t[1..17]);
            d.copy_from_slice(&t[19..35]);
            let sp = u16::from_le_bytes([t[17], t[18]]);
            let dp = u16::from_le_bytes([t[35], t[36]]);
            if super::fds::ipv4_mapped(&s) && super::fds::ipv4_mapped(&d) {
                (ipv4([s[12], s[13], s[14], s[15]]), sp, ipv4([d[12], d[13], d[14], d[15]]), dp)
            } else {
                (ipv6(s), sp, ipv6(d), dp)
            }
        }
        AF_UNIX if t.len() >= 17 => {
            fi.ftype = FdType::UnixSock;
            let src = u64::from_le_bytes(t[1..9].try_into().unwrap_or([0; 8]));
            let dst = u64::from_le_bytes(t[9..17].try_into().unwrap_or([0; 8]));
            fi.sock = SockInfo::Unix { source: src, dest: dst };
            return true;
        }
        _ => return false,
    };
    let v4 = tsip.is_ipv4();
    let new_type = if v4 { FdType::Ipv4Sock } else { FdType::Ipv6Sock };
    if let SockInfo::Tuple { sip, dip, sport, dport, .. } = fi.sock {
        let same = (sip, sport, dip, dport) == (tsip, tsport, tdip, tdport)
            || (sip, sport, dip, dport) == (tdip, tdport, tsip, tsport);
        if fi.ftype == new_type && same {
            return false;
        }
    }
    let (mut dip, mut dport) = match fi.sock {
        SockInfo::Tuple { dip, dport, .. } if dip.is_ipv4() == v4 => (dip, dport),
        _ => (if v4 { ipv4([0; 4]) } else { ipv6([0; 16]) }, 0),
    };
    if dip.is_unspecified() {
        dip = tdip;
    }
    if dport == 0 {
        dport = tdport;
    }
    if matches!(l4proto, l4::UNKNOWN | l4::NA) {
        l4proto = l4::UDP;
    }
    fi.ftype = new_type;
    fi.sock = SockInfo::Tuple { sip: tsip, dip, sport: tsport, dport, l4proto };
    true
}

/// Names a socket from its addresses (IP) or from the tuple's path (unix).
fn name_socket(fi: &mut FdInfo, t: &[u8]) {
    if fi.ftype == FdType::UnixSock {
        fi.name.clear();
        if t.len() > 17 {
            crate::event::render::push_sanitized(&mut fi.name, crate::event::until_nul(&t[17..]));
        }
    } else {
        tuple_name(fi);
    }
    fi.name_raw.clear();
    fi.name_raw.extend_from_slice(&fi.name);
}

/// Swaps the two ends of a connected socket.
fn swap_ends(fi: &mut FdInfo) {
    if let SockInfo::Tuple { sip, dip, sport, dport, l4proto } = fi.sock {
        fi.sock = SockInfo::Tuple { sip: dip, dip: sip, sport: dport, dport: sport, l4proto };
    }
}

/// libsinsp's `set_net_role_by_guessing`: server if the process uses the destination port
/// as its own (a bound port) and not the source port as a client port; client if the
/// destination port is not its own; otherwise by direction.
fn guess_role(tbl: &super::FdTable, fd: i64, incoming: bool) -> u32 {
    let Some(SockInfo::Tuple { sport, dport, .. }) = tbl.get(fd).map(|f| f.sock) else {
        return if incoming { fdflags::ROLE_SERVER } else { fdflags::ROLE_CLIENT };
    };
    let bound = tbl.iter().any(|(_, f)| match (f.ftype, f.sock) {
        (FdType::Ipv4Sock, SockInfo::Tuple { dport: p, .. }) => p == dport,
        (FdType::Ipv4ServSock, SockInfo::Server { port, .. }) => port == dport,
        _ => false,
    });
    if !bound {
        return fdflags::ROLE_CLIENT;
    }
    let client_port = tbl.iter().any(|(_, f)| {
        matches!((f.ftype, f.sock), (FdType::Ipv4Sock, SockInfo::Tuple { sport: p, .. }) if p == sport)
    });
    if !client_port {
        return fdflags::ROLE_SERVER;
    }
    if incoming { fdflags::ROLE_SERVER } else { fdflags::ROLE_CLIENT }
}
