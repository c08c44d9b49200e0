//! Decoding of block bodies: process list, fd list, user list, interface list and event
//! blocks, in every version libscap has written.
//!
//! Process-list entries before V9 carry no length: their fields must be read in the order
//! and with the set of fields of their block version. V9 (and FDL_V2, UL_V2, IL_V2) entries
//! start with their own length, so fields added later are detected by what fits and unknown
//! trailing fields are skipped. Decoders call back once per entry with a borrowed view; they
//! never allocate.

use super::btype;

/// Why a block body does not decode: what and where (offset inside the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockError {
    /// What is wrong.
    pub msg: String,
    /// Offset inside the block body.
    pub at: usize,
}

struct Cur<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8]) -> Cur<'a> {
        Cur { b, at: 0 }
    }

    fn left(&self) -> usize {
        self.b.len() - self.at
    }

    #[inline]
    fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], BlockError> {
        if self.left() < n {
            return Err(BlockError {
                msg: format!("{what}: needs {n} bytes, {} left", self.left()),
                at: self.at,
            });
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    #[inline]
    fn u8(&mut self, what: &str) -> Result<u8, BlockError> {
        Ok(self.bytes(1, what)?[0])
    }

    #[inline]
    fn u16(&mut self, what: &str) -> Result<u16, BlockError> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    #[inline]
    fn u32(&mut self, what: &str) -> Result<u32, BlockError> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    #[inline]
    fn u64(&mut self, what: &str) -> Result<u64, BlockError> {
        let b = self.bytes(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A u16-length-prefixed string.
    fn str16(&mut self, what: &str) -> Result<&'a [u8], BlockError> {
        let n = self.u16(what)? as usize;
        self.bytes(n, what)
    }
}

/// One thread of a process-list block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ProcEntry<'a> {
    pub tid: i64,
    pub pid: i64,
    pub ptid: i64,
    pub sid: i64,
    pub vpgid: i64,
    pub pgid: i64,
    pub comm: &'a [u8],
    pub exe: &'a [u8],
    pub exepath: &'a [u8],
    /// Arguments, each NUL-terminated.
    pub args: &'a [u8],
    pub cwd: &'a [u8],
    pub fdlimit: u64,
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    /// Environment, each entry NUL-terminated.
    pub env: &'a [u8],
    pub vtid: i64,
    pub vpid: i64,
    /// cgroups as `subsys=path` entries, NUL-terminated.
    pub cgroups: &'a [u8],
    pub root: &'a [u8],
    pub pidns_init_start_ts: u64,
    pub tty: u32,
    pub loginuid: u32,
    pub exe_writable: bool,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_upper_layer: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub exe_from_memfd: bool,
    pub exe_lower_layer: bool,
}

/// Decodes a process-list block of type `bt`, calling `f` for each thread.
pub fn parse_process_list<'a>(
    bt: u32,
    body: &'a [u8],
    mut f: impl FnMut(ProcEntry<'a>),
) -> Result<(), BlockError> {
    use btype::*;
    let ver = match bt {
        PL_V1 | PL_V1_INT => 1,
        PL_V2 | PL_V2_INT => 2,
        PL_V3 | PL_V3_INT => 3,
        PL_V4 => 4,
        PL_V5 => 5,
        PL_V6 => 6,
        PL_V7 => 7,
        PL_V8 => 8,
        PL_V9 => 9,
        _ => {
            return Err(BlockError { msg: format!("unknown process list type 0x{bt:x}"), at: 0 });
        }
    };
    let mut c = Cur::new(body);
    while c.left() >= 4 {
        let entry_start = c.at;
        let sub_len = if ver == 9 { c.u32("entry length")? as usize } else { 0 };
        let mut e = ProcEntry {
            sid: -1,
            vpgid: -1,
            pgid: -1,
            vtid: -1,
            vpid: -1,
            loginuid: u32::MAX,
            ..ProcEntry::default()
        };
        e.tid = c.u64("tid")? as i64;
        e.pid = c.u64("pid")? as i64;
        e.ptid = c.u64("ptid")? as i64;
        if ver >= 6 {
            e.sid = c.u64("sid")? as i64;
        }
        if ver >= 8 {
            e.vpgid = c.u64("vpgid")? as i64;
        }
        e.comm = c.str16("comm")?;
        e.exe = c.str16("exe")?;
        if ver >= 7 {
            e.exepath = c.str16("exepath")?;
        }
        e.args = c.str16("args")?;
        e.cwd = c.str16("cwd")?;
        e.fdlimit = c.u64("fdlimit")?;
        e.flags = c.u32("flags")?;
        e.uid = c.u32("uid")?;
        e.gid = c.u32("gid")?;
        if ver >= 2 {
            e.vmsize_kb = c.u32("vmsize")?;
            e.vmrss_kb = c.u32("vmrss")?;
            e.vmswap_kb = c.u32("vmswap")?;
            e.pfmajor = c.u64("pfmajor")?;
            e.pfminor = c.u64("pfminor")?;
            if ver >= 3 {
                e.env = c.str16("env")?;
            }
            if ver >= 4 {
                e.vtid = c.u64("vtid")? as i64;
                e.vpid = c.u64("vpid")? as i64;
                e.cgroups = c.str16("cgroups")?;
                if ver >= 5 {
                    e.root = c.str16("root")?;
                }
            }
        }
        if ver == 9 {
            let read = |c: &Cur<'_>| c.at - entry_start;
            let fits = |c: &Cur<'_>, n: usize| sub_len != 0 && read(c) + n <= sub_len;
            // Entries written before libs 0.10 have no pidns start time and no tty.
            let pre_0_10 = sub_len.wrapping_sub(read(&c)) <= 29;
            if !pre_0_10 {
                if fits(&c, 8) {
                    e.pidns_init_start_ts = c.u64("pidns_init_start_ts")?;
                }
                if fits(&c, 4) {
                    e.tty = c.u32("tty")?;
                }
            }
            if fits(&c, 4) {
                e.loginuid = c.u32("loginuid")?;
            }
            if fits(&c, 1) {
                e.exe_writable = c.u8("exe_writable")? != 0;
            }
            if fits(&c, 8) {
                e.cap_inheritable = c.u64("cap_inheritable")?;
            }
            if fits(&c, 8) {
                e.cap_permitted = c.u64("cap_permitted")?;
            }
            if fits(&c, 8) {
                e.cap_effective = c.u64("cap_effective")?;
            }
            if fits(&c, 1) {
                e.exe_upper_layer = c.u8("exe_upper_layer")? != 0;
            }
            if fits(&c, 8) {
                e.exe_ino = c.u64("exe_ino")?;
            }
            if fits(&c, 8) {
                e.exe_ino_ctime = c.u64("exe_ino_ctime")?;
            }
            if fits(&c, 8) {
                e.exe_ino_mtime = c.u64("exe_ino_mtime")?;
            }
            if fits(&c, 1) {
                e.exe_from_memfd = c.u8("exe_from_memfd")? != 0;
            }
            if fits(&c, 1) {
                e.exe_lower_layer = c.u8("exe_lower_layer")? != 0;
            }
            if fits(&c, 8) {
                e.pgid = c.u64("pgid")? as i64;
            }
            let done = read(&c);
            if sub_len != 0 && done != sub_len {
                if done > sub_len {
                    return Err(BlockError {
                        msg: format!("process entry is {done} bytes, its length says {sub_len}"),
                        at: entry_start,
                    });
                }
                c.bytes(sub_len - done, "process entry tail")?;
            }
        }
        f(e);
    }
    Ok(())
}

/// The type-specific part of an fd-list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum FdEntryInfo<'a> {
    Ipv4Sock { sip: [u8; 4], dip: [u8; 4], sport: u16, dport: u16, l4proto: u8 },
    Ipv4Serv { ip: [u8; 4], port: u16, l4proto: u8 },
    Ipv6Sock { sip: [u8; 16], dip: [u8; 16], sport: u16, dport: u16, l4proto: u8 },
    Ipv6Serv { ip: [u8; 16], port: u16, l4proto: u8 },
    Unix { source: u64, dest: u64, name: &'a [u8] },
    File { flags: u32, name: &'a [u8], dev: u32 },
    Name(&'a [u8]),
    None,
}

/// One fd of an fd-list block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdEntry<'a> {
    /// The fd number.
    pub fd: i64,
    /// Inode number.
    pub ino: u64,
    /// `scap_fd_type`.
    pub ftype: u8,
    /// Type-specific data.
    pub info: FdEntryInfo<'a>,
}

fn arr4(b: &[u8]) -> [u8; 4] {
    [b[0], b[1], b[2], b[3]]
}

fn arr16(b: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    a
}

/// Decodes an fd-list block: the owning tid, then one callback per fd.
pub fn parse_fd_list<'a>(
    bt: u32,
    body: &'a [u8],
    mut f: impl FnMut(i64, FdEntry<'a>),
) -> Result<(), BlockError> {
    let v2 = bt == btype::FDL_V2;
    let mut c = Cur::new(body);
    let tid = c.u64("tid")? as i64;
    while c.left() >= 4 {
        let start = c.at;
        let sub_len = if v2 { c.u32("fd entry length")? as usize } else { 0 };
        let fd = c.u64("fd")? as i64;
        let ino = c.u64("ino")?;
        let ftype = c.u8("fd type")?;
        let info = match ftype {
            3 => FdEntryInfo::Ipv4Sock {
                sip: arr4(c.bytes(4, "sip")?),
                dip: arr4(c.bytes(4, "dip")?),
                sport: c.u16("sport")?,
                dport: c.u16("dport")?,
                l4proto: c.u8("l4proto")?,
            },
            5 => FdEntryInfo::Ipv4Serv {
                ip: arr4(c.bytes(4, "ip")?),
                port: c.u16("port")?,
                l4proto: c.u8("l4proto")?,
            },
            4 => FdEntryInfo::Ipv6Sock {
                sip: arr16(c.bytes(16, "sip")?),
                dip: arr16(c.bytes(16, "dip")?),
                sport: c.u16("sport")?,
                dport: c.u16("dport")?,
                l4proto: c.u8("l4proto")?,
            },
            6 => FdEntryInfo::Ipv6Serv {
                ip: arr16(c.bytes(16, "ip")?),
                port: c.u16("port")?,
                l4proto: c.u8("l4proto")?,
            },
            8 => FdEntryInfo::Unix {
                source: c.u64("unix source")?,
                dest: c.u64("unix dest")?,
                name: c.str16("unix name")?,
            },
            16 => {
                let flags = c.u32("open flags")?;
                let name = c.str16("file name")?;
                let dev =
                    if sub_len != 0 && sub_len >= c.at - start + 4 { c.u32("dev")? } else { 0 };
                FdEntryInfo::File { flags, name, dev }
            }
            1 | 2 | 7 | 9..=15 | 17..=21 => FdEntryInfo::Name(c.str16("fd name")?),
            _ => FdEntryInfo::None,
        };
        let done = c.at - start;
        if sub_len != 0 && done != sub_len {
            if done > sub_len {
                return Err(BlockError {
                    msg: format!("fd entry is {done} bytes, its length says {sub_len}"),
                    at: start,
                });
            }
            c.bytes(sub_len - done, "fd entry tail")?;
        }
        // Unknown types are kept as "unsupported", as libscap does.
        let ftype = if matches!(ftype, 0..=21) { ftype } else { 10 };
        f(tid, FdEntry { fd, ino, ftype, info });
    }
    Ok(())
}

/// A user of the user list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct UserEntry<'a> {
    pub uid: u32,
    pub gid: u32,
    pub name: &'a [u8],
    pub homedir: &'a [u8],
    pub shell: &'a [u8],
}

/// A group of the user list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct GroupEntry<'a> {
    pub gid: u32,
    pub name: &'a [u8],
}

/// Decodes a user-list block.
pub fn parse_user_list<'a>(
    bt: u32,
    body: &'a [u8],
    mut user: impl FnMut(UserEntry<'a>),
    mut group: impl FnMut(GroupEntry<'a>),
) -> Result<(), BlockError> {
    let v2 = bt == btype::UL_V2;
    let mut c = Cur::new(body);
    while c.left() >= 4 {
        let start = c.at;
        let sub_len = if v2 { c.u32("entry length")? as usize } else { 0 };
        let kind = c.u8("entry type")?;
        if kind == 0 {
            let uid = c.u32("uid")?;
            let gid = c.u32("gid")?;
            let name = c.str16("user name")?;
            let homedir = c.str16("home dir")?;
            let shell = c.str16("shell")?;
            user(UserEntry { uid, gid, name, homedir, shell });
        } else {
            let gid = c.u32("gid")?;
            let name = c.str16("group name")?;
            group(GroupEntry { gid, name });
        }
        let done = c.at - start;
        if sub_len != 0 && done != sub_len {
            if done > sub_len {
                return Err(BlockError {
                    msg: format!("user entry is {done} bytes, its length says {sub_len}"),
                    at: start,
                });
            }
            c.bytes(sub_len - done, "user entry tail")?;
        }
    }
    Ok(())
}

/// An interface address of the interface list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum IfaceEntry<'a> {
    V4 { name: &'a [u8], addr: [u8; 4], netmask: [u8; 4] },
    V6 { name: &'a [u8], addr: [u8; 16], netmask: [u8; 16] },
}

/// Decodes an interface-list block.
pub fn parse_iface_list<'a>(
    bt: u32,
    body: &'a [u8],
    mut f: impl FnMut(IfaceEntry<'a>),
) -> Result<(), BlockError> {
    let v2 = bt == btype::IL_V2;
    let mut c = Cur::new(body);
    while c.left() >= 4 {
        let start = c.at;
        let sub_len = if v2 { c.u32("entry length")? as usize } else { 0 };
        let ty = c.u16("interface type")?;
        let namelen = c.u16("name length")? as usize;
        let e = match ty {
            // SCAP_II_IPV4, SCAP_II_IPV4_NOLINKSPEED
            1 | 3 => {
                let addr = arr4(c.bytes(4, "addr")?);
                let netmask = arr4(c.bytes(4, "netmask")?);
                c.bytes(4, "bcast")?;
                if ty == 1 {
                    c.u64("linkspeed")?;
                }
                IfaceEntry::V4 { name: c.bytes(namelen, "name")?, addr, netmask }
            }
            2 | 4 => {
                let addr = arr16(c.bytes(16, "addr")?);
                let netmask = arr16(c.bytes(16, "netmask")?);
                c.bytes(16, "bcast")?;
                if ty == 2 {
                    c.u64("linkspeed")?;
                }
                IfaceEntry::V6 { name: c.bytes(namelen, "name")?, addr, netmask }
            }
            _ => {
                return Err(BlockError { msg: format!("unknown interface type {ty}"), at: start });
            }
        };
        if sub_len != 0 {
            let done = c.at - start;
            let want = sub_len + 4;
            if done < want {
                c.bytes(want - done, "interface entry tail")?;
            }
        }
        f(e);
    }
    Ok(())
}

/// An event block's framing: cpu, flags, and the event bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventBlock<'a> {
    /// The CPU that produced the event.
    pub cpu: u16,
    /// Event flags (EVF blocks), else 0.
    pub flags: u32,
    /// True if the event header carries `nparams` (V2 blocks).
    pub v2: bool,
    /// The event bytes (header first), with any trailing padding or options.
    pub event: &'a [u8],
}

/// Splits an event block body.
#[inline]
pub fn parse_event_block(bt: u32, body: &[u8]) -> Result<EventBlock<'_>, BlockError> {
    use btype::*;
    let with_flags = matches!(bt, EVF | EVF_V2 | EVF_V2_LARGE);
    let v2 = matches!(bt, EV_V2 | EV_V2_LARGE | EVF_V2 | EVF_V2_LARGE);
    let mut c = Cur::new(body);
    let cpu = c.u16("cpu id")?;
    let flags = if with_flags { c.u32("event flags")? } else { 0 };
    Ok(EventBlock { cpu, flags, v2, event: &body[c.at..] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_entries_are_errors() {
        let body = [1u8, 0, 0, 0, 0, 0, 0, 0, 2];
        let err = parse_process_list(btype::PL_V6, &body, |_| {}).unwrap_err();
        assert!(err.msg.contains("pid"), "{err:?}");
        let err = parse_fd_list(btype::FDL, &[1, 2, 3], |_, _| {}).unwrap_err();
        assert!(err.msg.contains("tid"));
    }
}
