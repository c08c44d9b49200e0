//! Text rendering of event parameters, as libsinsp prints them in `evt.args`, `evt.arg.*`.
//!
//! Every parameter renders to a *value* (`3`, `4097`, `-2`) and sometimes a *resolved* form
//! (`<f>/etc/passwd`, `O_RDONLY|O_CLOEXEC`, `ENOENT`). `evt.args` prints `name=value(resolved)`,
//! `evt.arg.name` prints the resolved form when there is one, else the value. Resolution needs
//! the inspector's state (fd tables, thread names, users), reached through [`Resolve`].

use std::fmt::Write as _;
use std::io::Write as _;

use super::info::{ParamExtra, ParamInfo, ParamType, PrintFormat};
use super::{RawEvent, syscall_info};

/// What rendering needs from the inspector's state for the current event.
pub(crate) trait Resolve {
    /// True if the event's thread is known.
    fn has_thread(&self) -> bool;
    /// Writes `<typechar[proto]>name` for `fd` of the event's process; false if unknown.
    fn fd_resolved(&self, fd: i64, out: &mut Vec<u8>) -> bool;
    /// The type character of `fd` of the event's process.
    fn fd_typechar(&self, fd: i64) -> Option<u8>;
    /// The command name of thread `tid`.
    fn comm(&self, tid: i64) -> Option<&[u8]>;
    /// The name of user `uid`.
    fn user_name(&self, uid: u32) -> Option<&[u8]>;
    /// The name of group `gid`.
    fn group_name(&self, gid: u32) -> Option<&[u8]>;
    /// The event thread's working directory (with a trailing `/`).
    fn cwd(&self) -> Option<&[u8]>;
    /// The path of directory fd `fd` of the event's process.
    fn dir_fd_path(&self, fd: i64) -> Option<&[u8]>;
    /// The layer-4 protocol of the event's fd (`SCAP_L4_*`), 0 if unknown.
    fn l4proto(&self) -> u8;
}

/// A resolver that knows nothing (no state).
pub(crate) struct NoState;

impl Resolve for NoState {
    fn has_thread(&self) -> bool {
        false
    }
    fn fd_resolved(&self, _: i64, _: &mut Vec<u8>) -> bool {
        false
    }
    fn fd_typechar(&self, _: i64) -> Option<u8> {
        None
    }
    fn comm(&self, _: i64) -> Option<&[u8]> {
        None
    }
    fn user_name(&self, _: u32) -> Option<&[u8]> {
        None
    }
    fn group_name(&self, _: u32) -> Option<&[u8]> {
        None
    }
    fn cwd(&self) -> Option<&[u8]> {
        None
    }
    fn dir_fd_path(&self, _: i64) -> Option<&[u8]> {
        None
    }
    fn l4proto(&self) -> u8 {
        0
    }
}

/// `AT_FDCWD` as the drivers encode it.
pub(crate) const PPM_AT_FDCWD: i64 = -100;

/// Renders parameter `i` of `evt`: its value into `val`, its resolved form (possibly empty)
/// into `res`. Both buffers are cleared first. Returns false if the parameter is absent.
pub(crate) fn render_param(
    evt: &RawEvent<'_>,
    i: usize,
    r: &dyn Resolve,
    val: &mut Vec<u8>,
    res: &mut Vec<u8>,
) -> bool {
    val.clear();
    res.clear();
    let (Some(mut payload), Some(pinfo)) = (evt.param(i), evt.param_info(i)) else {
        return false;
    };
    let mut info: &ParamInfo = pinfo;
    if let (ParamType::Dyn, ParamExtra::Dyn(alts)) = (pinfo.ptype, pinfo.extra) {
        if let Some((&idx, rest)) = payload.split_first() {
            if let Some(alt) = alts.get(idx as usize) {
                info = alt;
                payload = rest;
            }
        }
    }
    // The print format always comes from the declared parameter, as libsinsp does.
    let fmt = pinfo.fmt;
    render_value(evt, i, info, pinfo, fmt, payload, r, val, res);
    true
}

fn le_u64(b: &[u8]) -> Option<u64> {
    Some(match b.len() {
        0 => return None,
        1 => b[0] as u64,
        2 | 3 => u16::from_le_bytes([b[0], b[1]]) as u64,
        4..=7 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64,
        _ => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    })
}

fn num(out: &mut Vec<u8>, fmt: PrintFormat, signed: i64, unsigned: u64, bits: u32) {
    // libsinsp prints unsigned types with a signed conversion (PRId32 of a uint32_t), so the
    // decimal form is the value reinterpreted as signed of its width.
    let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let u = unsigned & mask;
    let _ = match fmt {
        PrintFormat::Oct => {
            if u == 0 {
                write!(out, "0")
            } else {
                write!(out, "0{u:o}")
            }
        }
        PrintFormat::Hex => write!(out, "{u:X}"),
        PrintFormat::PaddedDec => write!(out, "{signed:09}"),
        _ => write!(out, "{signed}"),
    };
}

fn sign_extend(v: u64, bits: u32) -> i64 {
    if bits == 64 {
        v as i64
    } else {
        let shift = 64 - bits;
        ((v << shift) as i64) >> shift
    }
}

/// Appends `s` without the characters libsinsp's `sanitize_string` drops (non-printable).
pub(crate) fn push_sanitized(out: &mut Vec<u8>, s: &[u8]) {
    out.extend(s.iter().copied().filter(|c| (0x20..0x7f).contains(c)));
}

/// Appends `s` with non-printable bytes replaced by `.` (libsinsp's buffer rendering).
pub(crate) fn push_dots(out: &mut Vec<u8>, s: &[u8]) {
    out.extend(s.iter().map(|&c| if (0x20..0x7f).contains(&c) { c } else { b'.' }));
}

#[allow(clippy::too_many_arguments)]
fn render_value(
    evt: &RawEvent<'_>,
    i: usize,
    info: &ParamInfo,
    decl: &ParamInfo,
    fmt: PrintFormat,
    p: &[u8],
    r: &dyn Resolve,
    val: &mut Vec<u8>,
    res: &mut Vec<u8>,
) {
    let u = le_u64(p).unwrap_or(0);
    match info.ptype {
        ParamType::Int8 | ParamType::Uint8 => num(val, fmt, sign_extend(u, 8), u, 8),
        ParamType::Int16 | ParamType::Uint16 => num(val, fmt, sign_extend(u, 16), u, 16),
        ParamType::Int32 | ParamType::Uint32 => num(val, fmt, sign_extend(u, 32), u, 32),
        ParamType::Int64 | ParamType::Uint64 => num(val, fmt, u as i64, u, 64),
        ParamType::Fd => {
            let fd = u as i64;
            let _ = write!(val, "{fd}");
            // With a thread: an open fd resolves to `<type>name`, AT_FDCWD to its name, and
            // a negative value to an errno name (fd parameters double as return values).
            if r.has_thread() {
                if fd >= 0 {
                    r.fd_resolved(fd, res);
                } else if fd == PPM_AT_FDCWD {
                    res.extend_from_slice(b"AT_FDCWD");
                } else if let Some(name) = errno_name(fd) {
                    res.extend_from_slice(name.as_bytes());
                }
            }
        }
        ParamType::Pid => {
            let _ = write!(val, "{}", u as i64);
            if let Some(c) = r.comm(u as i64) {
                res.extend_from_slice(c);
            }
        }
        ParamType::Errno => {
            let v = u as i64;
            let _ = write!(val, "{v}");
            if v < 0 {
                if let Some(name) = errno_name(v) {
                    res.extend_from_slice(name.as_bytes());
                }
            }
        }
        ParamType::CharBuf => val.extend_from_slice(super::until_nul(p)),
        ParamType::FsPath | ParamType::FsRelPath => {
            let s = super::until_nul(p);
            push_sanitized(val, s);
            if r.has_thread() && !p.is_empty() && !s.starts_with(b"<NA>") {
                let base = base_dir(evt, i, decl, r);
                if let Some(base) = base {
                    if !crate::path::concatenate(res, base, s) {
                        res.clear();
                    }
                }
            } else if !r.has_thread() {
                // Without a thread libsinsp shows the path itself as the resolved form.
                push_sanitized(res, s);
            }
        }
        ParamType::ByteBuf => push_dots(val, p),
        ParamType::SockAddr => sockaddr(val, p, r.l4proto()),
        ParamType::SockTuple => socktuple(val, p),
        ParamType::FdList => {
            if !r.has_thread() || p.len() < 2 {
                return;
            }
            let n = u16::from_le_bytes([p[0], p[1]]) as usize;
            let mut at = 2;
            for j in 0..n {
                if at + 10 > p.len() {
                    break;
                }
                let fd = le_u64(&p[at..at + 8]).unwrap_or(0);
                let fl = i16::from_le_bytes([p[at + 8], p[at + 9]]);
                let tch = r.fd_typechar(fd as i64).unwrap_or(b'?');
                let _ = write!(val, "{}:{}{:x}", fd, tch as char, fl as i32 as u32);
                if j + 1 < n {
                    val.push(b' ');
                }
                at += 10;
            }
        }
        ParamType::SyscallId => {
            let id = u as u16;
            match syscall_info(id) {
                Some(s) => {
                    let _ = write!(val, "{id}");
                    res.extend_from_slice(s.name.as_bytes());
                }
                None => val.extend_from_slice(b"<unknown syscall>"),
            }
        }
        ParamType::SigType => {
            let _ = write!(val, "{}", u as u8);
            if let Some(s) = signal_name(u as u8) {
                res.extend_from_slice(s.as_bytes());
            }
        }
        ParamType::RelTime => {
            if u == u64::MAX {
                val.extend_from_slice(b"none");
            } else {
                let _ = write!(val, "{u}");
                let mut s = String::new();
                fmt_g(&mut s, u as f64 / 1e9);
                res.extend_from_slice(s.as_bytes());
                res.push(b's');
            }
        }
        ParamType::Flags8
        | ParamType::Flags16
        | ParamType::Flags32
        | ParamType::EnumFlags8
        | ParamType::EnumFlags16
        | ParamType::EnumFlags32 => {
            let bits = match info.ptype {
                ParamType::Flags8 | ParamType::EnumFlags8 => 8,
                ParamType::Flags16 | ParamType::EnumFlags16 => 16,
                _ => 32,
            };
            let v = (u & ((1u64 << bits) - 1)) as u32;
            let _ = write!(val, "{v}");
            flag_names(decl, v, res);
        }
        ParamType::Mode => {
            let v = u as u32;
            num(val, fmt, v as i32 as i64, v as u64, 32);
            flag_names(decl, v, res);
        }
        ParamType::AbsTime | ParamType::Dyn => {
            val.extend_from_slice(b"INVALID DYNAMIC PARAMETER");
        }
        ParamType::Uid | ParamType::Gid => {
            let v = u as u32;
            if v < u32::MAX {
                let _ = write!(val, "{}", v as i32);
                let name =
                    if info.ptype == ParamType::Uid { r.user_name(v) } else { r.group_name(v) };
                match name {
                    Some(n) => push_sanitized(res, n),
                    None => res.extend_from_slice(b"<NA>"),
                }
            } else {
                val.extend_from_slice(b"-1");
                res.extend_from_slice(b"<NONE>");
            }
        }
        ParamType::SigSet => {
            let v = u as u32;
            let mut first = true;
            for sig in 0..32u8 {
                if v & (1 << sig) != 0 {
                    if let Some(s) = signal_name(sig + 1) {
                        if !first {
                            val.push(b' ');
                        }
                        val.extend_from_slice(s.as_bytes());
                        first = false;
                    }
                }
            }
        }
        ParamType::Ipv4Addr if p.len() >= 4 => {
            let _ = write!(val, "{}.{}.{}.{}", p[0], p[1], p[2], p[3]);
        }
        ParamType::Ipv6Addr if p.len() >= 16 => push_ipv6(val, p),
        ParamType::IpAddr if p.len() == 4 => {
            let _ = write!(val, "{}.{}.{}.{}", p[0], p[1], p[2], p[3]);
        }
        ParamType::IpAddr if p.len() == 16 => push_ipv6(val, p),
        ParamType::Bool => val.extend_from_slice(if u != 0 { b"true" } else { b"false" }),
        ParamType::Double if p.len() == 8 => {
            let mut s = String::new();
            fmt_g(&mut s, f64::from_bits(u));
            val.extend_from_slice(s.as_bytes());
        }
        ParamType::Port => {
            let _ = write!(val, "{}", u as u16);
        }
        ParamType::L4Proto | ParamType::SockFamily => {
            let _ = write!(val, "{}", u as u8);
        }
        _ => val.extend_from_slice(b"(n.a.)"),
    }
}

fn base_dir<'r>(
    evt: &RawEvent<'_>,
    _i: usize,
    decl: &ParamInfo,
    r: &'r dyn Resolve,
) -> Option<&'r [u8]> {
    if decl.ptype != ParamType::FsRelPath {
        return r.cwd();
    }
    let ParamExtra::DirFd(d) = decl.extra else {
        return r.cwd();
    };
    let d = d as usize;
    match evt.param_info(d) {
        Some(pi) if pi.ptype == ParamType::Fd => {}
        _ => return r.cwd(),
    }
    let dirfd = evt.param_i64(d)?;
    if dirfd == PPM_AT_FDCWD {
        return r.cwd();
    }
    r.dir_fd_path(dirfd)
}

/// Appends the `|`-joined names of the flags set in `v`, as libsinsp does (an exact match
/// of a table value stops the scan and prints that name).
fn flag_names(decl: &ParamInfo, v: u32, res: &mut Vec<u8>) {
    let ParamExtra::Flags(table) = decl.extra else {
        return;
    };
    let initial = v;
    let mut v = v;
    let mut sep = false;
    let mut it = table.iter();
    let mut cur = it.next();
    while let Some(&(name, value)) = cur {
        if value == initial {
            break;
        }
        if (value == 0 && initial == 0) || (value != 0 && v & value == value && v != 0) {
            if sep {
                res.push(b'|');
            }
            res.extend_from_slice(name.as_bytes());
            sep = true;
            v &= !value;
        }
        cur = it.next();
    }
    if let Some(&(name, _)) = cur {
        if sep {
            res.push(b'|');
        }
        res.extend_from_slice(name.as_bytes());
    }
}

/// Formats like C's `%g` (6 significant digits, trailing zeros dropped).
pub(crate) fn fmt_g(out: &mut String, v: f64) {
    if v == 0.0 {
        out.push('0');
        return;
    }
    if !v.is_finite() {
        let _ = write!(out, "{v}");
        return;
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        let s = format!("{v:.5e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = trim_zeros(m);
        let e: i32 = e.parse().unwrap_or(0);
        let _ = write!(out, "{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    } else {
        let prec = (5 - exp).max(0) as usize;
        let s = format!("{v:.prec$}");
        out.push_str(trim_zeros(&s));
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

/// Appends an IPv6 address as glibc's `inet_ntop` prints it.
pub(crate) fn push_ipv6(out: &mut Vec<u8>, b: &[u8]) {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    let _ = write!(out, "{}", Ipv6Text(a));
}

/// An IPv6 address with `inet_ntop`'s text form (IPv4-compatible addresses keep the dotted
/// tail, which Rust's `Display` does not).
pub(crate) struct Ipv6Text(pub [u8; 16]);

impl std::fmt::Display for Ipv6Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0;
        if a[..12].iter().all(|b| *b == 0) && (a[12] != 0 || a[13] != 0) {
            return write!(f, "::{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
        }
        std::net::Ipv6Addr::from(a).fmt(f)
    }
}

/// Appends a sockaddr parameter as libsinsp prints it (`ip:port`, a unix path, ...).
pub(crate) fn sockaddr(val: &mut Vec<u8>, p: &[u8], _l4: u8) {
    let Some(&fam) = p.first() else {
        val.extend_from_slice(b"NULL");
        return;
    };
    match fam {
        1 => push_sanitized(val, super::until_nul(&p[1..])),
        2 => {
            if p.len() == 7 {
                let port = u16::from_le_bytes([p[5], p[6]]);
                let _ = write!(val, "{}.{}.{}.{}:{}", p[1], p[2], p[3], p[4], port);
            } else {
                val.extend_from_slice(b"INVALID IPv4");
            }
        }
        10 => {
            if p.len() == 19 {
                push_ipv6(val, &p[1..17]);
                let _ = write!(val, ":{}", u16::from_le_bytes([p[17], p[18]]));
            } else {
                val.extend_from_slice(b"INVALID IPv6");
            }
        }
        _ => {
            let _ = write!(val, "family {}", fam as i8);
        }
    }
}

fn socktuple(val: &mut Vec<u8>, p: &[u8]) {
    let Some(&fam) = p.first() else {
        val.extend_from_slice(b"NULL");
        return;
    };
    match fam {
        2 => {
            if p.len() == 13 {
                let sp = u16::from_le_bytes([p[5], p[6]]);
                let dp = u16::from_le_bytes([p[11], p[12]]);
                let _ = write!(
                    val,
                    "{}.{}.{}.{}:{}->{}.{}.{}.{}:{}",
                    p[1], p[2], p[3], p[4], sp, p[7], p[8], p[9], p[10], dp
                );
            } else {
                val.extend_from_slice(b"INVALID IPv4");
            }
        }
        10 => {
            if p.len() == 37 {
                let (s6, d6) = (&p[1..17], &p[19..35]);
                let sp = u16::from_le_bytes([p[17], p[18]]);
                let dp = u16::from_le_bytes([p[35], p[36]]);
                if crate::state::fds::ipv4_mapped(s6) && crate::state::fds::ipv4_mapped(d6) {
                    let _ = write!(
                        val,
                        "{}.{}.{}.{}:{}->{}.{}.{}.{}:{}",
                        s6[12], s6[13], s6[14], s6[15], sp, d6[12], d6[13], d6[14], d6[15], dp
                    );
                } else {
                    push_ipv6(val, s6);
                    let _ = write!(val, ":{sp}->");
                    push_ipv6(val, d6);
                    let _ = write!(val, ":{dp}");
                }
            } else {
                val.extend_from_slice(b"INVALID IPv6");
            }
        }
        1 => {
            if p.len() >= 17 {
                let a = le_u64(&p[1..9]).unwrap_or(0);
                let b = le_u64(&p[9..17]).unwrap_or(0);
                let _ = write!(val, "{a:x}->{b:x} ");
                push_sanitized(val, super::until_nul(&p[17..]));
            }
        }
        _ => {
            let _ = write!(val, "family {}", fam as i8);
        }
    }
}

/// The name of a (negative) errno value, as libsinsp prints it.
pub(crate) fn errno_name(v: i64) -> Option<&'static str> {
    const NAMES: [&str; 126] = [
        "",
        "EPERM",
        "ENOENT",
        "ESRCH",
        "EINTR",
        "EIO",
        "ENXIO",
        "E2BIG",
        "ENOEXEC",
        "EBADF",
        "ECHILD",
        "EAGAIN",
        "ENOMEM",
        "EACCES",
        "EFAULT",
        "ENOTBLK",
        "EBUSY",
        "EEXIST",
        "EXDEV",
        "ENODEV",
        "ENOTDIR",
        "EISDIR",
        "EINVAL",
        "ENFILE",
        "EMFILE",
        "ENOTTY",
        "ETXTBSY",
        "EFBIG",
        "ENOSPC",
        "ESPIPE",
        "EROFS",
        "EMLINK",
        "EPIPE",
        "EDOM",
        "ERANGE",
        "EDEADLK",
        "ENAMETOOLONG",
        "ENOLCK",
        "ENOSYS",
        "ENOTEMPTY",
        "ELOOP",
        "",
        "ENOMSG",
        "EIDRM",
        "ECHRNG",
        "EL2NSYNC",
        "EL3HLT",
        "EL3RST",
        "ELNRNG",
        "EUNATCH",
        "ENOCSI",
        "EL2HLT",
        "EBADE",
        "EBADR",
        "EXFULL",
        "ENOANO",
        "EBADRQC",
        "EBADSLT",
        "",
        "EBFONT",
        "ENOSTR",
        "ENODATA",
        "ETIME",
        "ENOSR",
        "ENONET",
        "ENOPKG",
        "EREMOTE",
        "ENOLINK",
        "EADV",
        "ESRMNT",
        "ECOMM",
        "EPROTO",
        "EMULTIHOP",
        "EDOTDOT",
        "EBADMSG",
        "EOVERFLOW",
        "ENOTUNIQ",
        "EBADFD",
        "EREMCHG",
        "ELIBACC",
        "ELIBBAD",
        "ELIBSCN",
        "ELIBMAX",
        "ELIBEXEC",
        "EILSEQ",
        "ERESTART",
        "ESTRPIPE",
        "EUSERS",
        "ENOTSOCK",
        "EDESTADDRREQ",
        "EMSGSIZE",
        "EPROTOTYPE",
        "ENOPROTOOPT",
        "EPROTONOSUPPORT",
        "ESOCKTNOSUPPORT",
        "EOPNOTSUPP",
        "EPFNOSUPPORT",
        "EAFNOSUPPORT",
        "EADDRINUSE",
        "EADDRNOTAVAIL",
        "ENETDOWN",
        "ENETUNREACH",
        "ENETRESET",
        "ECONNABORTED",
        "ECONNRESET",
        "ENOBUFS",
        "EISCONN",
        "ENOTCONN",
        "ESHUTDOWN",
        "ETOOMANYREFS",
        "ETIMEDOUT",
        "ECONNREFUSED",
        "EHOSTDOWN",
        "EHOSTUNREACH",
        "EALREADY",
        "EINPROGRESS",
        "ESTALE",
        "EUCLEAN",
        "ENOTNAM",
        "ENAVAIL",
        "EISNAM",
        "EREMOTEIO",
        "EDQUOT",
        "ENOMEDIUM",
        "EMEDIUMTYPE",
        "ECANCELED",
    ];
    let code = (-(v as i32)) as i64;
    let name = match code {
        1..=125 => NAMES[code as usize],
        512 => "ERESTARTSYS",
        513 => "ERESTARTNOINTR",
        514 => "ERESTARTNOHAND",
        515 => "ENOIOCTLCMD",
        516 => "ERESTART_RESTARTBLOCK",
        521 => "EBADHANDLE",
        522 => "ENOTSYNC",
        523 => "EBADCOOKIE",
        524 => "ENOTSUPP",
        525 => "ETOOSMALL",
        526 => "ESERVERFAULT",
        527 => "EBADTYPE",
        528 => "EJUKEBOX",
        529 => "EIOCBQUEUED",
        530 => "EIOCBRETRY",
        _ => "",
    };
    (!name.is_empty()).then_some(name)
}

/// The name of a signal number.
pub(crate) fn signal_name(sig: u8) -> Option<&'static str> {
    const NAMES: [&str; 32] = [
        "",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    NAMES.get(sig as usize).copied().filter(|s| !s.is_empty())
}

/// Renders `evt.args`: `name=value ` or `name=value(resolved) ` for every parameter.
pub(crate) fn render_args(evt: &RawEvent<'_>, r: &dyn Resolve, out: &mut Vec<u8>) {
    if evt.generic_syscall().is_some() {
        return;
    }
    let (mut val, mut res) = (Vec::new(), Vec::new());
    for i in 0..evt.nparams() {
        let Some(pi) = evt.param_info(i) else { break };
        render_param(evt, i, r, &mut val, &mut res);
        out.extend_from_slice(pi.name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(&val);
        if !res.is_empty() {
            out.push(b'(');
            out.extend_from_slice(&res);
            out.push(b')');
        }
        out.push(b' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format() {
        let f = |v: f64| {
            let mut s = String::new();
            fmt_g(&mut s, v);
            s
        };
        assert_eq!(f(0.5), "0.5");
        assert_eq!(f(1.0), "1");
        assert_eq!(f(0.000123), "0.000123");
        assert_eq!(f(1234567.0), "1.23457e+06");
        assert_eq!(f(0.00001), "1e-05");
    }

    #[test]
    fn errno_and_signals() {
        assert_eq!(errno_name(-2), Some("ENOENT"));
        assert_eq!(errno_name(-115), Some("EINPROGRESS"));
        assert_eq!(errno_name(-41), None);
        assert_eq!(signal_name(9), Some("SIGKILL"));
    }

    #[test]
    fn ipv6_text_matches_inet_ntop() {
        let t = |s: &str| Ipv6Text(s.parse::<std::net::Ipv6Addr>().unwrap().octets()).to_string();
        assert_eq!(t("::1"), "::1");
        assert_eq!(t("::ffff:10.0.0.1"), "::ffff:10.0.0.1");
        assert_eq!(t("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(t("fe80::1:2"), "fe80::1:2");
    }
}
