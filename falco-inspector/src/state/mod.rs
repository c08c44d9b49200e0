//! The syscall inspector's state: threads, their fd tables, users, groups and containers,
//! kept current event by event the way libsinsp keeps it.
//!
//! Data enters from the capture's state blocks ([`State::load_block`]) and from every event
//! ([`State::process`], in [`update`]); it leaves through read-only lookups the field
//! extractors make for the current event ([`EventCtx`] says which thread and fd the event is
//! about). Removals that libsinsp defers (the thread of a `procexit`, the fd of a `close`)
//! happen at the start of the next event, so the event itself still sees them.

pub mod container;
pub mod fds;
pub mod plugin_table;
pub mod threads;
pub mod update;
pub mod users;

use rustc_hash::FxHashMap;

pub use container::{ContainerInfo, Containers};
pub use fds::{FdInfo, FdTable, FdType, SockInfo};
pub use threads::{ThreadInfo, ThreadTable};
pub use users::{Group, User, Users};

use crate::event::render::Resolve;
use crate::scap::block::{self, BlockError, FdEntryInfo};
use crate::scap::btype;

/// Appends to `out` the directory a relative path of thread `t` is relative to, with a
/// trailing `/`: its cwd (no dirfd, or `AT_FDCWD`) or the path of directory fd `dirfd`
/// (libsinsp's `parse_dirfd`). Returns false, appending nothing, if the dirfd is unknown.
pub(crate) fn push_base_dir(
    threads: &ThreadTable,
    fds: Option<&FdTable>,
    t: &ThreadInfo,
    dirfd: Option<i64>,
    out: &mut Vec<u8>,
) -> bool {
    match dirfd {
        None | Some(crate::event::render::PPM_AT_FDCWD) => {
            out.extend_from_slice(threads.cwd(t));
            true
        }
        Some(d) => match fds.and_then(|f| f.get(d)) {
            Some(dir) => {
                out.extend_from_slice(&dir.name);
                out.push(b'/');
                true
            }
            None => false,
        },
    }
}

/// One address of a network interface (from the capture's interface list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iface {
    /// Interface name (`eth0`).
    pub name: Vec<u8>,
    /// Address.
    pub addr: std::net::IpAddr,
    /// IPv4 netmask (unused for IPv6, where libsinsp assumes a /64).
    pub netmask: [u8; 4],
}

/// What the current event is about, as the parser found it (libsinsp's `m_tinfo`,
/// `m_fdinfo`, `m_errorcode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventCtx {
    /// The event's thread exists in the table (after the parser ran).
    pub has_thread: bool,
    /// The fd the event is about (`m_fdinfo`), if known.
    pub fd: Option<i64>,
    /// The thread's `m_lastevent_fd` after the event.
    pub lastevent_fd: i64,
    /// The errno of a failed syscall (positive), or 0.
    pub errorcode: i32,
    /// The exit event had a matching enter event.
    pub enter_matched: bool,
    /// The event gave its fd a (new) name (`fd.name_changed`).
    pub name_changed: bool,
}

/// Threads, fds, users and containers.
#[derive(Debug, Default)]
pub struct State {
    /// All threads.
    pub threads: ThreadTable,
    fdtables: fds::FdTables,
    /// Users and groups.
    pub users: Users,
    /// Containers seen in container events.
    pub containers: Containers,
    /// Interface addresses from the interface list.
    pub ifaces: Vec<Iface>,
    /// Timestamp of the first event (for `evt.reltime`).
    pub first_ts: u64,
    /// Timestamp of the event before the current one (for `evt.deltatime`).
    pub prev_ts: u64,
    pub(crate) last_ts: u64,
    pub(crate) tid_to_remove: Option<i64>,
    pub(crate) fds_to_remove: Vec<(i64, i64)>,
    pub(crate) ctx: EventCtx,
    pub(crate) scratch_offs: Vec<u32>,
    pub(crate) path_buf: Vec<u8>,
    pub(crate) old_name_hash: u64,
    pub(crate) old_fd: Option<i64>,
    pub(crate) copied_fd: Option<i64>,
}

impl State {
    /// The fd table of the process `pid`.
    pub fn fd_table(&self, pid: i64) -> Option<&FdTable> {
        self.fdtables.get(&pid)
    }

    pub(crate) fn fd_table_mut(&mut self, pid: i64) -> &mut FdTable {
        self.fdtables.get_or_default(pid)
    }

    /// The fd `fd` of thread `t`'s process.
    #[inline]
    pub fn fd_of(&self, t: &ThreadInfo, fd: i64) -> Option<&FdInfo> {
        self.fdtables.get(&t.pid)?.get(fd)
    }

    /// What the current event is about.
    #[inline]
    pub fn ctx(&self) -> &EventCtx {
        &self.ctx
    }

    /// Applies a state block (process list, fd list, user list, interface list); other block
    /// types are ignored. Errors say what is wrong and where inside the body.
    pub fn load_block(&mut self, bt: u32, body: &[u8]) -> Result<(), BlockError> {
        if btype::is_process_list(bt) {
            let mut added = Vec::new();
            block::parse_process_list(bt, body, |e| {
                let mut t = ThreadInfo::new(e.tid);
                t.pid = e.pid;
                t.ptid = e.ptid;
                t.sid = e.sid;
                t.vpgid = e.vpgid;
                t.pgid = e.pgid;
                t.comm = e.comm.to_vec();
                t.exe = e.exe.to_vec();
                t.exepath = e.exepath.to_vec();
                t.set_args(e.args);
                t.set_env(e.env);
                t.set_cwd(e.cwd);
                t.fdlimit = e.fdlimit as i64;
                t.flags = e.flags;
                t.uid = e.uid;
                t.gid = e.gid;
                t.vmsize_kb = e.vmsize_kb;
                t.vmrss_kb = e.vmrss_kb;
                t.vmswap_kb = e.vmswap_kb;
                t.pfmajor = e.pfmajor;
                t.pfminor = e.pfminor;
                t.vtid = e.vtid;
                t.vpid = e.vpid;
                t.set_cgroups(e.cgroups);
                t.root = e.root.to_vec();
                t.pidns_init_start_ts = e.pidns_init_start_ts;
                t.tty = e.tty;
                t.loginuid = e.loginuid;
                t.exe_writable = e.exe_writable;
                t.cap_inheritable = e.cap_inheritable;
                t.cap_permitted = e.cap_permitted;
                t.cap_effective = e.cap_effective;
                t.exe_upper_layer = e.exe_upper_layer;
                t.exe_lower_layer = e.exe_lower_layer;
                t.exe_from_memfd = e.exe_from_memfd;
                t.exe_ino = e.exe_ino;
                t.exe_ino_ctime = e.exe_ino_ctime;
                t.exe_ino_mtime = e.exe_ino_mtime;
                added.push(t);
            })?;
            for t in added {
                self.threads.insert(t);
            }
            self.recount_children();
        } else if matches!(bt, btype::FDL | btype::FDL_INT | btype::FDL_V2) {
            let mut added = Vec::new();
            let ifaces = &self.ifaces;
            block::parse_fd_list(bt, body, |tid, e| {
                added.push((tid, fd_from_entry(&e, ifaces), e.fd))
            })?;
            for (tid, info, fd) in added {
                let pid = self.threads.get(tid).map_or(tid, |t| t.pid);
                self.fd_table_mut(pid).insert(fd, info);
            }
        } else if matches!(bt, btype::UL | btype::UL_INT | btype::UL_V2) {
            let mut users = Vec::new();
            let mut groups = Vec::new();
            block::parse_user_list(
                bt,
                body,
                |u| {
                    users.push(User {
                        uid: u.uid,
                        gid: u.gid,
                        name: u.name.to_vec(),
                        homedir: u.homedir.to_vec(),
                        shell: u.shell.to_vec(),
                    })
                },
                |g| groups.push(Group { gid: g.gid, name: g.name.to_vec() }),
            )?;
            users.into_iter().for_each(|u| self.users.add_user(u));
            groups.into_iter().for_each(|g| self.users.add_group(g));
        } else if matches!(bt, btype::IL | btype::IL_INT | btype::IL_V2) {
            let mut ifs = Vec::new();
            block::parse_iface_list(bt, body, |e| match e {
                block::IfaceEntry::V4 { name, addr, netmask } => {
                    ifs.push(Iface { name: name.to_vec(), addr: fds::ipv4(addr), netmask })
                }
                block::IfaceEntry::V6 { name, addr, .. } => {
                    ifs.push(Iface { name: name.to_vec(), addr: fds::ipv6(addr), netmask: [0; 4] })
                }
            })?;
            self.ifaces = ifs;
        }
        Ok(())
    }

    /// Recomputes `nchilds` of every main thread (threads created with `CLONE_THREAD`).
    fn recount_children(&mut self) {
        let mut counts: FxHashMap<i64, u64> = FxHashMap::default();
        for t in self.threads.iter() {
            if t.flags & threads::CL_CLONE_THREAD != 0 && !t.is_main_thread() {
                *counts.entry(t.pid).or_default() += 1;
            }
        }
        let pids: Vec<i64> = self.threads.iter().map(|t| t.tid).collect();
        for tid in pids {
            if let Some(t) = self.threads.get_mut(tid) {
                t.nchilds = counts.get(&tid).copied().unwrap_or(0);
            }
        }
    }
}

/// The local address libsinsp infers for a socket whose one end is unspecified
/// (`infer_ipv4_address` / `infer_ipv6_address`): the interface with that very address,
/// else one in the same subnet, else the first non-loopback one.
pub(crate) fn infer_address(ifaces: &[Iface], other: std::net::IpAddr) -> Option<std::net::IpAddr> {
    use std::net::IpAddr;
    let same_family = |i: &&Iface| i.addr.is_ipv4() == other.is_ipv4();
    if let Some(i) = ifaces.iter().filter(same_family).find(|i| i.addr == other) {
        return Some(i.addr);
    }
    let in_subnet = |i: &&Iface| match (i.addr, other) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let (a, b, m) = (a.octets(), b.octets(), i.netmask);
            (0..4).all(|k| a[k] & m[k] == b[k] & m[k])
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets()[..8] == b.octets()[..8],
        _ => false,
    };
    if let Some(i) = ifaces.iter().filter(same_family).find(in_subnet) {
        return Some(i.addr);
    }
    ifaces.iter().filter(same_family).find(|i| !i.addr.is_loopback()).map(|i| i.addr)
}

/// Fills an unspecified end of a connected IP socket with the inferred local address
/// (libsinsp's `sinsp_network_interfaces::update_fd`).
pub(crate) fn infer_local_end(ifaces: &[Iface], fi: &mut FdInfo) {
    let SockInfo::Tuple { sip, dip, sport, dport, l4proto } = fi.sock else {
        return;
    };
    if !matches!(fi.ftype, FdType::Ipv4Sock | FdType::Ipv6Sock) {
        return;
    }
    let zero = |a: std::net::IpAddr| a.is_unspecified();
    if !zero(sip) && !zero(dip) {
        return;
    }
    let unspec = if sip.is_ipv4() { fds::ipv4([0; 4]) } else { fds::ipv6([0; 16]) };
    if zero(sip) {
        let new = infer_address(ifaces, dip).unwrap_or(unspec);
        if new == dip && sport == dport {
            return;
        }
        fi.sock = SockInfo::Tuple { sip: new, dip, sport, dport, l4proto };
    } else {
        let new = infer_address(ifaces, sip).unwrap_or(unspec);
        if new == sip && sport == dport {
            return;
        }
        fi.sock = SockInfo::Tuple { sip, dip: new, sport, dport, l4proto };
    }
}

/// Builds an [`FdInfo`] from an fd-list entry, naming it as libsinsp does.
/// As libsinsp imports fds from the capture (`add_fd_from_scap`): TCP sockets are
/// connected, IPv4-mapped IPv6 sockets are IPv4, an unspecified local end is inferred from
/// the interfaces, and unix sockets are servers when they have a path.
fn fd_from_entry(e: &block::FdEntry<'_>, ifaces: &[Iface]) -> FdInfo {
    use std::io::Write;
    let mut fi = FdInfo::new(FdType::from_u8(e.ftype), b"");
    fi.ino = e.ino;
    fi.flags = fds::fdflags::FROM_PROC;
    match &e.info {
        FdEntryInfo::Ipv4Sock { sip, dip, sport, dport, l4proto } => {
            fi.sock = SockInfo::Tuple {
                sip: fds::ipv4(*sip),
                dip: fds::ipv4(*dip),
                sport: *sport,
                dport: *dport,
                l4proto: *l4proto,
            };
            if *l4proto == fds::l4::TCP {
                fi.flags |= fds::fdflags::SOCKET_CONNECTED;
            }
            infer_local_end(ifaces, &mut fi);
            update::tuple_name(&mut fi);
        }
        FdEntryInfo::Ipv6Sock { sip, dip, sport, dport, l4proto } => {
            let (s, d) = if fds::ipv4_mapped(sip) && fds::ipv4_mapped(dip) {
                fi.ftype = FdType::Ipv4Sock;
                (
                    fds::ipv4([sip[12], sip[13], sip[14], sip[15]]),
                    fds::ipv4([dip[12], dip[13], dip[14], dip[15]]),
                )
            } else {
                (fds::ipv6(*sip), fds::ipv6(*dip))
            };
            fi.sock =
                SockInfo::Tuple { sip: s, dip: d, sport: *sport, dport: *dport, l4proto: *l4proto };
            if *l4proto == fds::l4::TCP {
                fi.flags |= fds::fdflags::SOCKET_CONNECTED;
            }
            if fi.ftype == FdType::Ipv4Sock {
                infer_local_end(ifaces, &mut fi);
            }
            update::tuple_name(&mut fi);
        }
        FdEntryInfo::Ipv4Serv { ip, port, l4proto } => {
            fi.sock = SockInfo::Server { ip: fds::ipv4(*ip), port: *port, l4proto: *l4proto };
            let _ = write!(fi.name, "{}:{}", fds::ipv4(*ip), port);
        }
        FdEntryInfo::Ipv6Serv { ip, port, l4proto } => {
            fi.sock = SockInfo::Server { ip: fds::ipv6(*ip), port: *port, l4proto: *l4proto };
            crate::event::render::push_ipv6(&mut fi.name, ip);
            let _ = write!(fi.name, ":{port}");
        }
        FdEntryInfo::Unix { source, dest, name } => {
            fi.sock = SockInfo::Unix { source: *source, dest: *dest };
            fi.name = name.to_vec();
            fi.flags |=
                if name.is_empty() { fds::fdflags::ROLE_CLIENT } else { fds::fdflags::ROLE_SERVER };
        }
        FdEntryInfo::File { flags, name, dev } => {
            fi.openflags = *flags;
            fi.dev = *dev;
            fi.name = name.to_vec();
        }
        FdEntryInfo::Name(name) => fi.name = name.to_vec(),
        FdEntryInfo::None => {}
    }
    fi.name_raw = fi.name.clone();
    fi
}

/// Resolution for parameter rendering, seen from the current event's thread.
pub(crate) struct EventResolver<'a> {
    pub state: &'a State,
    pub thread: Option<&'a ThreadInfo>,
    pub fd: Option<&'a FdInfo>,
}

impl Resolve for EventResolver<'_> {
    fn has_thread(&self) -> bool {
        self.thread.is_some()
    }

    fn fd_resolved(&self, fd: i64, out: &mut Vec<u8>) -> bool {
        let Some(t) = self.thread else { return false };
        let Some(fi) = self.state.fd_of(t, fd) else {
            return false;
        };
        out.push(b'<');
        out.push(fi.ftype.typechar());
        if fi.ftype.is_ip() {
            match fi.l4proto() {
                fds::l4::TCP => out.push(b't'),
                fds::l4::UDP => out.push(b'u'),
                fds::l4::ICMP => out.push(b'i'),
                fds::l4::RAW => out.push(b'r'),
                _ => {}
            }
        }
        out.push(b'>');
        crate::event::render::push_sanitized(out, &fi.name);
        true
    }

    fn fd_typechar(&self, fd: i64) -> Option<u8> {
        let t = self.thread?;
        Some(self.state.fd_of(t, fd)?.ftype.typechar())
    }

    fn comm(&self, tid: i64) -> Option<&[u8]> {
        self.state.threads.get(tid).map(|t| t.comm.as_slice())
    }

    fn user_name(&self, uid: u32) -> Option<&[u8]> {
        self.state.users.user(uid).map(|u| u.name.as_slice())
    }

    fn group_name(&self, gid: u32) -> Option<&[u8]> {
        self.state.users.group(gid).map(|g| g.name.as_slice())
    }

    fn cwd(&self) -> Option<&[u8]> {
        self.thread.map(|t| self.state.threads.cwd(t))
    }

    fn dir_fd_path(&self, fd: i64) -> Option<&[u8]> {
        let t = self.thread?;
        let fi = self.state.fd_of(t, fd)?;
        (fi.ftype == FdType::Directory).then_some(fi.name.as_slice())
    }

    fn l4proto(&self) -> u8 {
        self.fd.map_or(0, |f| f.l4proto())
    }
}
