//! `fd.*`: the file descriptor the event is about (libsinsp's `sinsp_filter_check_fd`).
//!
//! The event's fd is the one its parser found (the fd argument, or the fd the syscall
//! created), or else the thread's last fd. Events that neither create, use nor destroy an fd
//! have no fd fields. Names of fds the syscall is still creating come from its arguments.

use std::net::IpAddr;

use falco_engine::{FieldArg, FieldType as T, Multiplicity, ValueSink};

use super::{Def, Kind, Scratch, def};
use crate::capture::SyscallEvent;
use crate::event::codes::*;
use crate::event::info::flags as ef;
use crate::event::render::render_param;
use crate::state::fds::{SockInfo, l4};
use crate::state::{EventResolver, FdInfo, FdType};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum F {
    Num,
    Type,
    Typechar,
    Name,
    Nameraw,
    Directory,
    Filename,
    Ip,
    Cip,
    Sip,
    Lip,
    Rip,
    Port,
    Cport,
    Sport,
    Lport,
    Rport,
    L4proto,
    Sockfamily,
    IsServer,
    Uid,
    Containername,
    Containerdirectory,
    Proto,
    Cproto,
    Sproto,
    Lproto,
    Rproto,
    Net,
    Cnet,
    Snet,
    Lnet,
    Rnet,
    Connected,
    NameChanged,
    CipName,
    SipName,
    LipName,
    RipName,
    Dev,
    DevMajor,
    DevMinor,
    Ino,
    Types,
}

pub(crate) fn defs() -> Vec<Def> {
    use F::*;
    let k = Kind::Fd;
    let either = |d: Def| d.mult(Multiplicity::EitherEnd).no_rhs();
    vec![
        def("fd.num", T::I64, "the fd number", k(Num)),
        def(
            "fd.type",
            T::CharBuf,
            "the type of fd: file, directory, ipv4, ipv6, unix, pipe, event...",
            k(Type),
        ),
        def("fd.typechar", T::CharBuf, "the type of fd as one character", k(Typechar)),
        def("fd.name", T::CharBuf, "the full name of the fd: path, or connection tuple", k(Name)),
        def("fd.nameraw", T::CharBuf, "the name of the fd as the syscall gave it", k(Nameraw)),
        def("fd.directory", T::CharBuf, "the directory of a file fd", k(Directory)),
        def(
            "fd.filename",
            T::CharBuf,
            "the file name of a file fd, without directory",
            k(Filename),
        ),
        either(def("fd.ip", T::IpAddr, "either end of a connection (filter only)", k(Ip)))
            .filter_only(),
        def("fd.cip", T::IpAddr, "client address", k(Cip)),
        def("fd.sip", T::IpAddr, "server address", k(Sip)),
        def("fd.lip", T::IpAddr, "local address", k(Lip)),
        def("fd.rip", T::IpAddr, "remote address", k(Rip)),
        either(def("fd.port", T::Port, "either port of a connection (filter only)", k(Port)))
            .filter_only(),
        def("fd.cport", T::Port, "client port", k(Cport)),
        def("fd.sport", T::Port, "server port", k(Sport)),
        def("fd.lport", T::Port, "local port", k(Lport)),
        def("fd.rport", T::Port, "remote port", k(Rport)),
        def("fd.l4proto", T::CharBuf, "the IP protocol: tcp, udp, icmp or raw", k(L4proto)),
        def("fd.sockfamily", T::CharBuf, "ip or unix for sockets", k(Sockfamily)),
        def("fd.is_server", T::Bool, "true if the process is the server end", k(IsServer)),
        def("fd.uid", T::CharBuf, "a unique id of the fd: thread id plus fd number", k(Uid)),
        def("fd.containername", T::CharBuf, "container id plus fd name", k(Containername)),
        def(
            "fd.containerdirectory",
            T::CharBuf,
            "container id plus directory",
            k(Containerdirectory),
        ),
        either(def("fd.proto", T::Port, "either protocol of a connection (filter only)", k(Proto)))
            .filter_only(),
        def("fd.cproto", T::CharBuf, "client protocol (port number: no service lookup)", k(Cproto)),
        def("fd.sproto", T::CharBuf, "server protocol (port number: no service lookup)", k(Sproto)),
        def("fd.lproto", T::CharBuf, "local protocol (port number: no service lookup)", k(Lproto)),
        def("fd.rproto", T::CharBuf, "remote protocol (port number: no service lookup)", k(Rproto)),
        either(def("fd.net", T::IpNet, "either end's network (filter only)", k(Net))).filter_only(),
        def("fd.cnet", T::IpNet, "client network (filter only)", k(Cnet)).filter_only().no_rhs(),
        def("fd.snet", T::IpNet, "server network (filter only)", k(Snet)).filter_only().no_rhs(),
        def("fd.lnet", T::IpNet, "local network (filter only)", k(Lnet)).filter_only().no_rhs(),
        def("fd.rnet", T::IpNet, "remote network (filter only)", k(Rnet)).filter_only().no_rhs(),
        def("fd.connected", T::Bool, "true for connected sockets", k(Connected)),
        def(
            "fd.name_changed",
            T::Bool,
            "true when the fd name changed with this event",
            k(NameChanged),
        ),
        def("fd.cip.name", T::CharBuf, "client host name (no DNS in captures)", k(CipName))
            .no_rhs(),
        def("fd.sip.name", T::CharBuf, "server host name (no DNS in captures)", k(SipName))
            .no_rhs(),
        def("fd.lip.name", T::CharBuf, "local host name (no DNS in captures)", k(LipName)).no_rhs(),
        def("fd.rip.name", T::CharBuf, "remote host name (no DNS in captures)", k(RipName))
            .no_rhs(),
        def("fd.dev", T::I32, "device number of a file fd", k(Dev)),
        def("fd.dev.major", T::I32, "major device number of a file fd", k(DevMajor)),
        def("fd.dev.minor", T::I32, "minor device number of a file fd", k(DevMinor)),
        def("fd.ino", T::I64, "inode of a file fd", k(Ino)),
        def("fd.types", T::CharBuf, "types of the fds the event uses", k(Types))
            .mult(Multiplicity::List),
    ]
}

/// The event's fd as libsinsp's fd filtercheck finds it (`extract_fd`): `None` when the
/// event has no fd semantics or no thread; `Some(None)` when it has but the fd is unknown.
fn event_fd<'a>(evt: &SyscallEvent<'a>) -> Option<Option<&'a FdInfo>> {
    let flags = evt.raw().flags();
    if flags & (ef::CREATES_FD | ef::USES_FD | ef::DESTROYS_FD) == 0 {
        return None;
    }
    let t = evt.thread()?;
    if let Some(f) = evt.fd() {
        return Some(Some(f));
    }
    let lfd = evt.ctx().lastevent_fd;
    if lfd != -1 {
        return Some(evt.state().fd_of(t, lfd));
    }
    Some(None)
}

fn role_none(f: &FdInfo) -> bool {
    !f.is_client() && !f.is_server()
}

/// The fd name a creating syscall is about to give (libsinsp's `extract_fdname_from_creator`);
/// `None` on enter events.
fn name_from_creator(evt: &SyscallEvent<'_>, sc: &mut Scratch) -> Option<()> {
    let raw = evt.raw();
    if raw.is_enter() {
        return None;
    }
    sc.a.clear();
    match raw.etype() {
        SYSCALL_OPEN_X | SOCKET_ACCEPT_X | SOCKET_ACCEPT_5_X | SOCKET_ACCEPT4_X
        | SOCKET_ACCEPT4_5_X | SOCKET_ACCEPT4_6_X | SYSCALL_CREAT_X | SOCKET_CONNECT_X => {
            let r = EventResolver { state: evt.state(), thread: evt.thread(), fd: evt.fd() };
            let mut res = std::mem::take(&mut sc.b);
            let mut val = std::mem::take(&mut sc.a);
            render_param(raw, 1, &r, &mut val, &mut res);
            sc.a = if res.is_empty() { val } else { res };
            sc.b.clear();
        }
        SYSCALL_OPENAT_2_X | SYSCALL_OPENAT2_X => {
            let name = raw.param_str(2)?;
            let dirfd = raw.param_i64(1)?;
            let t = evt.thread()?;
            let state = evt.state();
            sc.b.clear();
            if name.first() != Some(&b'/')
                && !crate::state::push_base_dir(
                    &state.threads,
                    state.fd_table(t.pid),
                    t,
                    Some(dirfd),
                    &mut sc.b,
                )
            {
                sc.b.extend_from_slice(b"<UNKNOWN>/");
            }
            crate::path::concatenate(&mut sc.a, &sc.b, name);
        }
        _ => {}
    }
    Some(())
}

fn directory_of(name: &mut Vec<u8>, is_file: bool) {
    if !is_file {
        return;
    }
    match name.iter().rposition(|c| *c == b'/') {
        Some(pos) if pos != 0 => {
            if pos < name.len() - 1 {
                name.truncate(pos);
            }
        }
        _ => {
            name.clear();
            name.push(b'/');
        }
    }
}

fn filename_of(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|c| *c == b'/') {
        Some(pos) if pos < name.len() - 1 => &name[pos + 1..],
        Some(_) => b"/",
        None => name,
    }
}

/// `fd.typechar` for an event whose fd is not known yet.
fn creator_typechar(etype: u16) -> u8 {
    match etype & !1 {
        SYSCALL_OPEN_E | SYSCALL_OPENAT_E | SYSCALL_OPENAT_2_E | SYSCALL_OPENAT2_E
        | SYSCALL_CREAT_E => b'f',
        SOCKET_SOCKET_E | SOCKET_ACCEPT_E | SOCKET_ACCEPT_5_E | SOCKET_ACCEPT4_E
        | SOCKET_ACCEPT4_5_E | SOCKET_ACCEPT4_6_E => b'4',
        SYSCALL_PIPE_E | SYSCALL_PIPE2_E => b'p',
        SYSCALL_EVENTFD_E | SYSCALL_EVENTFD2_E => b'e',
        SYSCALL_SIGNALFD_E | SYSCALL_SIGNALFD4_E => b's',
        SYSCALL_TIMERFD_CREATE_E => b't',
        SYSCALL_INOTIFY_INIT_E | SYSCALL_INOTIFY_INIT1_E => b'i',
        _ => b'o',
    }
}

/// True if `ip` belongs to this machine, as libsinsp decides it: for a thread in a
/// container, its container's IPv4 address (IPv6 is never local there); otherwise an IPv4
/// address of an interface, or an IPv6 address in the /64 of an interface.
fn is_local(evt: &SyscallEvent<'_>, ip: IpAddr) -> bool {
    let state = evt.state();
    if let Some(t) = evt.thread() {
        if !t.container_id.is_empty() {
            let IpAddr::V4(v4) = ip else { return false };
            let cip = state.containers.get(&t.container_id).and_then(|c| c.ip.as_deref());
            return cip.and_then(|c| c.parse::<std::net::Ipv4Addr>().ok()) == Some(v4);
        }
    }
    state.ifaces.iter().any(|i| match (&i.addr, ip) {
        (IpAddr::V4(a), IpAddr::V4(b)) => *a == b,
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets()[..8] == b.octets()[..8],
        _ => false,
    })
}

fn tuple(f: &FdInfo) -> Option<(IpAddr, IpAddr, u16, u16)> {
    match (f.ftype, f.sock) {
        (FdType::Ipv4Sock | FdType::Ipv6Sock, SockInfo::Tuple { sip, dip, sport, dport, .. }) => {
            Some((sip, dip, sport, dport))
        }
        _ => None,
    }
}

// The arms mirror libsinsp's switch one field at a time; guards would scatter them.
#[allow(clippy::collapsible_match)]
pub(crate) fn extract(
    f: F,
    evt: &SyscallEvent<'_>,
    _arg: &FieldArg,
    out: &mut ValueSink<'_>,
    sc: &mut Scratch,
) {
    use F::*;
    let Some(fd) = event_fd(evt) else { return };
    let raw = evt.raw();
    if f == Num {
        out.push_i64(evt.ctx().lastevent_fd);
        return;
    }
    if f == Uid {
        // The thread id followed by the fd number, known fd or not.
        out.push_str_with(|w| {
            use std::fmt::Write;
            let _ = write!(w, "{}{}", raw.tid(), evt.ctx().lastevent_fd);
        });
        return;
    }
    let Some(fi) = fd else {
        // The fd is not (yet) known: some fields come from the creating syscall.
        match f {
            Name | Nameraw | Containername => {
                if name_from_creator(evt, sc).is_some() {
                    if f == Containername {
                        let cid = evt.thread().map_or(&[][..], |t| &t.container_id);
                        out.push_str_with(|w| {
                            w.extend(cid);
                            w.push(b':');
                            w.extend(&sc.a);
                        });
                    } else {
                        out.push_bytes(&sc.a);
                    }
                }
            }
            Directory | Containerdirectory => {
                if name_from_creator(evt, sc).is_some() {
                    let mut d = std::mem::take(&mut sc.a);
                    directory_of(&mut d, true);
                    if f == Containerdirectory {
                        let cid = evt.thread().map_or(&[][..], |t| &t.container_id);
                        out.push_str_with(|w| {
                            w.extend(cid);
                            w.push(b':');
                            w.extend(&d);
                        });
                    } else {
                        out.push_bytes(&d);
                    }
                    sc.a = d;
                }
            }
            Filename => {
                if matches!(
                    raw.etype(),
                    SYSCALL_OPEN_E
                        | SYSCALL_OPENAT_E
                        | SYSCALL_OPENAT_2_E
                        | SYSCALL_OPENAT2_E
                        | SYSCALL_CREAT_E
                ) && name_from_creator(evt, sc).is_some()
                {
                    out.push_bytes(filename_of(&sc.a));
                }
            }
            Typechar => out.push_str_with(|w| w.push(creator_typechar(raw.etype()))),
            _ => {}
        }
        return;
    };
    let file_like = matches!(fi.ftype, FdType::File | FdType::FileV2);
    match f {
        Num => {}
        Name | Containername => {
            // A failed connect is named by its arguments, as an fd being created is.
            let failed_connect =
                raw.etype() == SOCKET_CONNECT_X && raw.param_i64(0).is_some_and(|r| r < 0);
            if failed_connect && name_from_creator(evt, sc).is_none() {
                return;
            }
            let name = if failed_connect { &sc.a[..] } else { &fi.name[..] };
            if f == Containername {
                let cid = evt.thread().map_or(&[][..], |t| &t.container_id);
                out.push_str_with(|w| {
                    w.extend(cid);
                    w.push(b':');
                    w.extend(name);
                })
            } else {
                out.push_bytes(name)
            }
        }
        Nameraw => out.push_bytes(&fi.name_raw),
        Type => {
            if let Some(n) = fi.ftype.type_name() {
                out.push_str(n)
            }
        }
        Typechar => out.push_str_with(|w| w.push(fi.ftype.typechar())),
        Directory | Containerdirectory => {
            if !(file_like || fi.ftype == FdType::Directory) {
                return;
            }
            sc.a.clear();
            crate::event::render::push_sanitized(&mut sc.a, &fi.name);
            let mut d = std::mem::take(&mut sc.a);
            directory_of(&mut d, file_like);
            if f == Containerdirectory {
                let cid = evt.thread().map_or(&[][..], |t| &t.container_id);
                out.push_str_with(|w| {
                    w.extend(cid);
                    w.push(b':');
                    w.extend(&d);
                });
            } else {
                out.push_bytes(&d);
            }
            sc.a = d;
        }
        Filename => {
            if file_like {
                out.push_bytes(filename_of(&fi.name));
            }
        }
        Ip | Net | Port | Proto => match (fi.ftype, fi.sock) {
            (
                FdType::Ipv4Sock | FdType::Ipv6Sock,
                SockInfo::Tuple { sip, dip, sport, dport, .. },
            ) => {
                if matches!(f, Ip | Net) {
                    out.push_ip(sip);
                    out.push_ip(dip);
                } else {
                    out.push_u64(sport as u64);
                    out.push_u64(dport as u64);
                }
            }
            (FdType::Ipv4ServSock | FdType::Ipv6ServSock, SockInfo::Server { ip, port, .. }) => {
                if matches!(f, Ip | Net) {
                    out.push_ip(ip);
                } else {
                    out.push_u64(port as u64);
                }
            }
            _ => {}
        },
        Cip | Cnet | Cport | Cproto => {
            if role_none(fi) {
                return;
            }
            if let Some((sip, _, sport, _)) = tuple(fi) {
                match f {
                    Cip | Cnet => out.push_ip(sip),
                    Cport => out.push_u64(sport as u64),
                    _ => push_port_str(out, sport),
                }
            }
        }
        Sip | Snet | Sport | Sproto => {
            let (ip, port) = match (fi.ftype, fi.sock) {
                (FdType::Ipv4Sock | FdType::Ipv6Sock, SockInfo::Tuple { dip, dport, .. }) => {
                    if role_none(fi) {
                        return;
                    }
                    (dip, dport)
                }
                (
                    FdType::Ipv4ServSock | FdType::Ipv6ServSock,
                    SockInfo::Server { ip, port, .. },
                ) => {
                    if matches!(f, Sip | Snet) && role_none(fi) {
                        return;
                    }
                    (ip, port)
                }
                _ => return,
            };
            match f {
                Sip | Snet => out.push_ip(ip),
                Sport => out.push_u64(port as u64),
                _ => {
                    if fi.ftype.is_ip() && matches!(fi.sock, SockInfo::Tuple { .. }) {
                        push_port_str(out, port)
                    } else {
                        out.push_str("")
                    }
                }
            }
        }
        Lip | Rip | Lnet | Rnet | Lport | Rport | Lproto | Rproto => {
            let Some((sip, dip, sport, dport)) = tuple(fi) else {
                return;
            };
            if role_none(fi) {
                return;
            }
            let local = is_local(evt, sip);
            let want_local = matches!(f, Lip | Lnet | Lport | Lproto);
            let (ip, port) = if local == want_local { (sip, sport) } else { (dip, dport) };
            match f {
                Lip | Rip | Lnet | Rnet => out.push_ip(ip),
                Lport | Rport => out.push_u64(port as u64),
                _ => push_port_str(out, port),
            }
        }
        L4proto => out.push_str(match fi.l4proto() {
            l4::TCP => "tcp",
            l4::UDP => "udp",
            l4::ICMP => "icmp",
            l4::RAW => "raw",
            _ => "<NA>",
        }),
        Sockfamily => {
            if fi.ftype.is_ip() {
                out.push_str("ip")
            } else if fi.ftype == FdType::UnixSock {
                out.push_str("unix")
            }
        }
        IsServer => {
            let v = match (fi.ftype, fi.sock) {
                (FdType::Ipv4ServSock | FdType::Ipv6ServSock, _) => true,
                (FdType::Ipv4Sock | FdType::Ipv6Sock, SockInfo::Tuple { dip, .. }) => {
                    is_local(evt, dip)
                }
                _ => false,
            };
            out.push_bool(v);
        }
        Uid => {}
        Connected => out.push_bool(fi.flags & crate::state::fds::fdflags::SOCKET_CONNECTED != 0),
        NameChanged => out.push_bool(evt.ctx().name_changed),
        CipName | SipName | LipName | RipName => {}
        Dev => out.push_i64(fi.dev as i32 as i64),
        DevMajor => out.push_i64(((fi.dev & 0xfff00) >> 8) as i64),
        DevMinor => out.push_i64(((fi.dev & 0xff) | ((fi.dev >> 12) & 0xfff00)) as i64),
        Ino => out.push_i64(fi.ino as i64),
        Types => {
            if let Some(n) = fi.ftype.type_name() {
                out.push_str(n)
            }
        }
    }
}

fn push_port_str(out: &mut ValueSink<'_>, port: u16) {
    out.push_str_with(|w| {
        use std::fmt::Write;
        let _ = write!(w, "{port}");
    });
}
