//! Per-process fd tables: what each open file descriptor is (`sinsp_fdinfo`).
//!
//! An fd enters the table from the capture's fd-list blocks or from the exit event of a
//! syscall that creates one (open, socket, accept, pipe, dup, eventfd, ...), is updated by
//! connect/bind/accept, and leaves on close (after the close event has been shown, as
//! libsinsp defers the removal to the next event). Threads of one process share its table.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rustc_hash::FxHashMap;

/// libscap's `scap_fd_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum FdType {
    #[default]
    Unknown = 0,
    File = 1,
    Directory = 2,
    Ipv4Sock = 3,
    Ipv6Sock = 4,
    Ipv4ServSock = 5,
    Ipv6ServSock = 6,
    Fifo = 7,
    UnixSock = 8,
    Event = 9,
    Unsupported = 10,
    SignalFd = 11,
    EventPoll = 12,
    Inotify = 13,
    TimerFd = 14,
    Netlink = 15,
    FileV2 = 16,
    Bpf = 17,
    UserFaultFd = 18,
    IoUring = 19,
    MemFd = 20,
    PidFd = 21,
}

impl FdType {
    /// From the numeric `scap_fd_type` (unknown numbers are "unsupported").
    pub fn from_u8(v: u8) -> FdType {
        use FdType::*;
        const ALL: [FdType; 22] = [
            Unknown,
            File,
            Directory,
            Ipv4Sock,
            Ipv6Sock,
            Ipv4ServSock,
            Ipv6ServSock,
            Fifo,
            UnixSock,
            Event,
            Unsupported,
            SignalFd,
            EventPoll,
            Inotify,
            TimerFd,
            Netlink,
            FileV2,
            Bpf,
            UserFaultFd,
            IoUring,
            MemFd,
            PidFd,
        ];
        ALL.get(v as usize).copied().unwrap_or(Unsupported)
    }

    /// `fd.typechar`.
    pub fn typechar(self) -> u8 {
        use FdType::*;
        match self {
            File | FileV2 => b'f',
            Directory => b'd',
            Ipv4Sock | Ipv4ServSock => b'4',
            Ipv6Sock | Ipv6ServSock => b'6',
            Fifo => b'p',
            UnixSock | UserFaultFd => b'u',
            Event => b'e',
            Unknown => b'o',
            Unsupported => b'X',
            SignalFd => b's',
            EventPoll => b'l',
            Inotify => b'i',
            TimerFd => b't',
            Netlink => b'n',
            Bpf => b'b',
            IoUring => b'r',
            MemFd => b'm',
            PidFd => b'P',
        }
    }

    /// `fd.type`, or `None` where libsinsp has no name.
    pub fn type_name(self) -> Option<&'static str> {
        use FdType::*;
        Some(match self {
            File | FileV2 => "file",
            Directory => "directory",
            Ipv4Sock | Ipv4ServSock => "ipv4",
            Ipv6Sock | Ipv6ServSock => "ipv6",
            UnixSock => "unix",
            Fifo => "pipe",
            Event => "event",
            SignalFd => "signalfd",
            EventPoll => "eventpoll",
            Inotify => "inotify",
            TimerFd => "timerfd",
            Netlink => "netlink",
            Bpf => "bpf",
            UserFaultFd => "userfaultfd",
            IoUring => "io_uring",
            MemFd => "memfd",
            PidFd => "pidfd",
            Unknown | Unsupported => return None,
        })
    }

    /// True for listening IP sockets.
    pub fn is_server_type(self) -> bool {
        matches!(self, FdType::Ipv4ServSock | FdType::Ipv6ServSock)
    }

    /// True for IPv4/IPv6 sockets (connected or server).
    pub fn is_ip(self) -> bool {
        matches!(
            self,
            FdType::Ipv4Sock | FdType::Ipv6Sock | FdType::Ipv4ServSock | FdType::Ipv6ServSock
        )
    }
}

/// The address part of a socket fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SockInfo {
    /// Not a socket (or nothing known yet).
    #[default]
    None,
    /// A connected (or connecting) IP socket: source and destination, as libsinsp keeps them
    /// (source = client side).
    Tuple {
        /// Client address.
        sip: IpAddr,
        /// Server address.
        dip: IpAddr,
        /// Client port.
        sport: u16,
        /// Server port.
        dport: u16,
        /// `SCAP_L4_*`.
        l4proto: u8,
    },
    /// A listening IP socket.
    Server {
        /// Bound address.
        ip: IpAddr,
        /// Bound port.
        port: u16,
        /// `SCAP_L4_*`.
        l4proto: u8,
    },
    /// A unix socket: kernel addresses of both ends.
    Unix {
        /// This end.
        source: u64,
        /// The peer.
        dest: u64,
    },
}

/// Layer-4 protocols (`scap_l4_proto`).
pub mod l4 {
    #![allow(missing_docs)]
    pub const UNKNOWN: u8 = 0;
    pub const NA: u8 = 1;
    pub const TCP: u8 = 2;
    pub const UDP: u8 = 3;
    pub const ICMP: u8 = 4;
    pub const RAW: u8 = 5;
}

/// fd flags (`sinsp_fdinfo::flags`).
pub mod fdflags {
    #![allow(missing_docs)]
    pub const FROM_PROC: u32 = 1 << 0;
    pub const ROLE_CLIENT: u32 = 1 << 2;
    pub const ROLE_SERVER: u32 = 1 << 3;
    pub const CLOSE_IN_PROGRESS: u32 = 1 << 4;
    pub const SOCKET_CONNECTED: u32 = 1 << 13;
    pub const CONNECTION_PENDING: u32 = 1 << 15;
    pub const CONNECTION_FAILED: u32 = 1 << 16;
}

/// One open file descriptor.
#[derive(Clone, Debug, Default)]
pub struct FdInfo {
    /// Kind of fd.
    pub ftype: FdType,
    /// `fd.name` as libsinsp renders it (path, `sip:sport->dip:dport`, ...).
    pub name: Vec<u8>,
    /// The name as the syscall gave it (`fd.nameraw`).
    pub name_raw: Vec<u8>,
    /// Open flags (`PPM_O_*`).
    pub openflags: u32,
    /// Inode.
    pub ino: u64,
    /// Device.
    pub dev: u32,
    /// Socket addresses.
    pub sock: SockInfo,
    /// `fdflags` bits.
    pub flags: u32,
    /// The name changed since the fd was created (`fd.name_changed`).
    pub name_changed: bool,
}

impl FdInfo {
    /// A new fd of `ftype` named `name`.
    pub fn new(ftype: FdType, name: &[u8]) -> FdInfo {
        FdInfo { ftype, name: name.to_vec(), ..FdInfo::default() }
    }

    /// The layer-4 protocol of a socket fd. A connected-type IP socket with no role yet
    /// (neither connected nor accepted) reports `NA`, as libsinsp does.
    pub fn l4proto(&self) -> u8 {
        match self.sock {
            SockInfo::Tuple { l4proto, .. } => {
                if l4proto != l4::RAW && !self.is_client() && !self.is_server() {
                    l4::NA
                } else {
                    l4proto
                }
            }
            SockInfo::Server { l4proto, .. } => l4proto,
            _ => l4::UNKNOWN,
        }
    }

    /// The stored layer-4 protocol, whatever the role.
    pub(crate) fn raw_l4proto(&self) -> u8 {
        match self.sock {
            SockInfo::Tuple { l4proto, .. } | SockInfo::Server { l4proto, .. } => l4proto,
            _ => l4::UNKNOWN,
        }
    }

    /// True for a socket this process accepted or listens on.
    pub fn is_server(&self) -> bool {
        self.flags & fdflags::ROLE_SERVER != 0
    }

    /// True for a socket this process connected.
    pub fn is_client(&self) -> bool {
        self.flags & fdflags::ROLE_CLIENT != 0
    }
}

/// libsinsp's `is_ipv4_mapped_ipv6`: `::ffff:a.b.c.d`, or the all-zero address (which
/// libsinsp also treats as IPv4).
pub(crate) fn ipv4_mapped(a: &[u8]) -> bool {
    a.len() >= 16
        && a[..10].iter().all(|c| *c == 0)
        && ((a[10] == 0xff && a[11] == 0xff) || a[10..16].iter().all(|c| *c == 0))
}

/// `a.b.c.d` of 4 bytes in network order.
pub fn ipv4(b: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(b))
}

/// An IPv6 address from 16 bytes.
pub fn ipv6(b: [u8; 16]) -> IpAddr {
    IpAddr::V6(Ipv6Addr::from(b))
}

/// The fd tables of all processes, by pid: a slab of tables indexed by a small pid map,
/// with a one-entry cache of the last lookup (consecutive events mostly come from the same
/// process).
#[derive(Debug, Default)]
pub(crate) struct FdTables {
    slots: Vec<FdTable>,
    free: Vec<u32>,
    by_pid: FxHashMap<i64, u32>,
    last: std::cell::Cell<(i64, u32)>,
}

const NO_SLOT: u32 = u32::MAX;

impl FdTables {
    #[inline]
    fn slot_of(&self, pid: i64) -> Option<u32> {
        let (lpid, lslot) = self.last.get();
        if lpid == pid && lslot != NO_SLOT {
            return Some(lslot);
        }
        let s = *self.by_pid.get(&pid)?;
        self.last.set((pid, s));
        Some(s)
    }

    /// The table of process `pid`.
    #[inline]
    pub(crate) fn get(&self, pid: &i64) -> Option<&FdTable> {
        self.slot_of(*pid).map(|s| &self.slots[s as usize])
    }

    /// The table of process `pid`, mutable.
    #[inline]
    pub(crate) fn get_mut(&mut self, pid: &i64) -> Option<&mut FdTable> {
        self.slot_of(*pid).map(|s| &mut self.slots[s as usize])
    }

    /// The table of process `pid`, created empty if needed.
    pub(crate) fn get_or_default(&mut self, pid: i64) -> &mut FdTable {
        let s = match self.slot_of(pid) {
            Some(s) => s,
            None => self.put(pid, FdTable::default()),
        };
        &mut self.slots[s as usize]
    }

    /// Sets the table of process `pid`.
    pub(crate) fn insert(&mut self, pid: i64, tbl: FdTable) {
        match self.slot_of(pid) {
            Some(s) => self.slots[s as usize] = tbl,
            None => {
                self.put(pid, tbl);
            }
        }
    }

    fn put(&mut self, pid: i64, tbl: FdTable) -> u32 {
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = tbl;
                s
            }
            None => {
                self.slots.push(tbl);
                (self.slots.len() - 1) as u32
            }
        };
        self.by_pid.insert(pid, s);
        s
    }

    /// Forgets the table of process `pid`.
    pub(crate) fn remove(&mut self, pid: &i64) {
        if let Some(s) = self.by_pid.remove(pid) {
            if self.last.get().0 == *pid {
                self.last.set((0, NO_SLOT));
            }
            self.slots[s as usize] = FdTable::default();
            self.free.push(s);
        }
    }
}

/// fds below this number live in a dense vector; larger ones in a map.
const DENSE: i64 = 1024;

/// The fds of one process.
///
/// Small fd numbers (the usual case) index a dense vector whose entries are kept when an fd
/// is closed, so that reopening it reuses the name buffers: an open/close cycle allocates
/// nothing once warm.
#[derive(Clone, Debug, Default)]
pub struct FdTable {
    dense: Vec<FdInfo>,
    live: Vec<bool>,
    sparse: FxHashMap<i64, FdInfo>,
    count: usize,
}

impl FdTable {
    /// The fd `fd`.
    #[inline]
    pub fn get(&self, fd: i64) -> Option<&FdInfo> {
        if (0..DENSE).contains(&fd) {
            let i = fd as usize;
            if self.live.get(i).copied().unwrap_or(false) {
                return Some(&self.dense[i]);
            }
            return None;
        }
        self.sparse.get(&fd)
    }

    pub(crate) fn get_mut(&mut self, fd: i64) -> Option<&mut FdInfo> {
        if (0..DENSE).contains(&fd) {
            let i = fd as usize;
            if self.live.get(i).copied().unwrap_or(false) {
                return Some(&mut self.dense[i]);
            }
            return None;
        }
        self.sparse.get_mut(&fd)
    }

    /// Adds (or replaces) an fd.
    pub(crate) fn insert(&mut self, fd: i64, info: FdInfo) {
        *self.slot(fd) = info;
    }

    /// A live slot for fd `fd`, reset to defaults but keeping its buffers' capacity.
    pub(crate) fn slot(&mut self, fd: i64) -> &mut FdInfo {
        let e = if (0..DENSE).contains(&fd) {
            let i = fd as usize;
            if i >= self.dense.len() {
                self.dense.resize_with(i + 1, FdInfo::default);
                self.live.resize(i + 1, false);
            }
            if !self.live[i] {
                self.live[i] = true;
                self.count += 1;
            }
            &mut self.dense[i]
        } else {
            if !self.sparse.contains_key(&fd) {
                self.count += 1;
            }
            self.sparse.entry(fd).or_default()
        };
        e.name.clear();
        e.name_raw.clear();
        e.ftype = FdType::Unknown;
        e.openflags = 0;
        e.ino = 0;
        e.dev = 0;
        e.sock = SockInfo::None;
        e.flags = 0;
        e.name_changed = false;
        e
    }

    /// Removes an fd; returns whether it was there.
    pub(crate) fn remove(&mut self, fd: i64) -> bool {
        let was = if (0..DENSE).contains(&fd) {
            let i = fd as usize;
            i < self.live.len() && std::mem::replace(&mut self.live[i], false)
        } else {
            self.sparse.remove(&fd).is_some()
        };
        if was {
            self.count -= 1;
        }
        was
    }

    /// Number of open fds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True if no fd is open.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Every fd, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &FdInfo)> {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .filter(|(i, _)| self.live[*i])
            .map(|(i, f)| (i as i64, f));
        dense.chain(self.sparse.iter().map(|(k, v)| (*k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_fds() {
        let mut t = FdTable::default();
        t.insert(3, FdInfo::new(FdType::File, b"/etc/passwd"));
        t.insert(70000, FdInfo::new(FdType::Fifo, b""));
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(3).unwrap().name, b"/etc/passwd");
        assert!(t.remove(3));
        assert!(!t.remove(3));
        assert!(t.get(3).is_none());
        let s = t.slot(3);
        assert!(s.name.is_empty() && s.name.capacity() >= 11, "buffers are reused");
        assert_eq!(t.iter().count(), 2);
        assert!(t.get(-1).is_none());
    }
}
