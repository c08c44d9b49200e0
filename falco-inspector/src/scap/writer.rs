//! Writes captures in the current libscap format (1.2: V9 process list, V2 fd list, V2
//! event blocks with `nparams`), for our own fixtures and benchmark inputs. `sysdig -r` reads
//! what it writes.
//!
//! State blocks (machine info, interfaces, users, processes, fds) are buffered and written
//! before the first event; events are written as they come.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::Path;

use super::btype;
use crate::event::codes;

/// A parameter value for [`EventBuilder::typed`].
#[derive(Clone, Debug)]
pub enum Arg<'a> {
    /// Any integer parameter (written with the width its type has in the table).
    Int(i64),
    /// A string parameter (NUL-terminated on the wire).
    Str(&'a str),
    /// Raw bytes (buffers, NUL-separated argument lists).
    Bytes(&'a [u8]),
    /// A sockaddr parameter.
    Addr(IpAddr, u16),
    /// A socktuple parameter: source, then destination.
    Tuple(IpAddr, u16, IpAddr, u16),
}

/// Builds one event: header fields plus parameters in table order.
#[derive(Clone, Debug)]
pub struct EventBuilder {
    ts: u64,
    tid: i64,
    etype: u16,
    params: Vec<Vec<u8>>,
}

impl EventBuilder {
    /// An event of type `etype` at `ts` from thread `tid`, with no parameters yet.
    pub fn new(ts: u64, tid: i64, etype: u16) -> EventBuilder {
        EventBuilder { ts, tid, etype, params: Vec::new() }
    }

    /// Appends raw parameter bytes.
    pub fn raw(mut self, b: &[u8]) -> Self {
        self.params.push(b.to_vec());
        self
    }

    /// Appends a 64-bit signed parameter (fd, pid, errno).
    pub fn i64(self, v: i64) -> Self {
        self.raw(&v.to_le_bytes())
    }

    /// Appends a 64-bit unsigned parameter.
    pub fn u64(self, v: u64) -> Self {
        self.raw(&v.to_le_bytes())
    }

    /// Appends a 32-bit parameter.
    pub fn u32(self, v: u32) -> Self {
        self.raw(&v.to_le_bytes())
    }

    /// Appends a 16-bit parameter.
    pub fn u16(self, v: u16) -> Self {
        self.raw(&v.to_le_bytes())
    }

    /// Appends an 8-bit parameter.
    pub fn u8(self, v: u8) -> Self {
        self.raw(&[v])
    }

    /// Appends a NUL-terminated string parameter.
    pub fn str(self, s: &str) -> Self {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        self.raw(&b)
    }

    /// Appends a sockaddr parameter (IPv4 or IPv6 address and port).
    pub fn sockaddr(self, ip: IpAddr, port: u16) -> Self {
        let mut b = Vec::new();
        push_addr(&mut b, ip);
        b.extend(port.to_le_bytes());
        self.raw(&b)
    }

    /// Appends a socktuple parameter (source and destination address and port).
    pub fn socktuple(self, sip: IpAddr, sport: u16, dip: IpAddr, dport: u16) -> Self {
        let mut b = Vec::new();
        push_addr(&mut b, sip);
        b.extend(sport.to_le_bytes());
        match dip {
            IpAddr::V4(a) => b.extend(a.octets()),
            IpAddr::V6(a) => b.extend(a.octets()),
        }
        b.extend(dport.to_le_bytes());
        self.raw(&b)
    }

    /// An event of type `etype` with every parameter its table entry lists, in order: the
    /// value given by name in `args`, or zero / empty for the others. Integers take the
    /// width of their declared type.
    ///
    /// ```
    /// use falco_inspector::event::codes;
    /// use falco_inspector::scap::writer::{Arg, EventBuilder};
    /// let e = EventBuilder::typed(5, 100, codes::SYSCALL_CLOSE_X, &[("res", Arg::Int(0))]);
    /// assert_eq!(e.encode().len(), 26 + 2 + 8);
    /// ```
    pub fn typed(ts: u64, tid: i64, etype: u16, args: &[(&str, Arg<'_>)]) -> EventBuilder {
        use crate::event::ParamType as P;
        let mut b = EventBuilder::new(ts, tid, etype);
        let Some(info) = crate::event::event_info(etype) else {
            return b;
        };
        for p in info.params {
            let given = args.iter().find(|(n, _)| *n == p.name).map(|(_, v)| v);
            let width = match p.ptype {
                P::Int8
                | P::Uint8
                | P::Flags8
                | P::EnumFlags8
                | P::SigType
                | P::L4Proto
                | P::SockFamily => 1,
                P::Int16 | P::Uint16 | P::Flags16 | P::EnumFlags16 | P::SyscallId | P::Port => 2,
                P::Int32
                | P::Uint32
                | P::Flags32
                | P::EnumFlags32
                | P::Mode
                | P::Uid
                | P::Gid
                | P::Bool
                | P::SigSet
                | P::Ipv4Addr => 4,
                P::Int64
                | P::Uint64
                | P::Errno
                | P::Fd
                | P::Pid
                | P::RelTime
                | P::AbsTime
                | P::Double => 8,
                _ => 0,
            };
            let is_str = matches!(p.ptype, P::CharBuf | P::FsPath | P::FsRelPath);
            b = match given {
                Some(Arg::Int(v)) if width > 0 => b.raw(&v.to_le_bytes()[..width]),
                Some(Arg::Str(v)) => b.str(v),
                Some(Arg::Bytes(v)) => b.raw(v),
                Some(Arg::Addr(ip, port)) => b.sockaddr(*ip, *port),
                Some(Arg::Tuple(s, sp, d, dp)) => b.socktuple(*s, *sp, *d, *dp),
                _ if width > 0 => b.raw(&[0u8; 8][..width]),
                _ if is_str => b.str(""),
                _ => b.raw(&[]),
            };
        }
        b
    }

    /// An `open` exit event (`PPME_SYSCALL_OPEN_X`): fd, name, flags, mode, dev, ino.
    pub fn open_exit(ts: u64, tid: i64, fd: i64, name: &str, flags: u32) -> EventBuilder {
        EventBuilder::new(ts, tid, codes::SYSCALL_OPEN_X)
            .i64(fd)
            .str(name)
            .u32(flags)
            .u32(0)
            .u32(0)
            .u64(0)
    }

    /// The encoded event (v2 header).
    pub fn encode(&self) -> Vec<u8> {
        let info = crate::event::event_info(self.etype);
        let wide = info.is_some_and(|i| i.flags & crate::event::info::flags::LARGE_PAYLOAD != 0);
        let lw = if wide { 4 } else { 2 };
        let len = crate::event::HEADER_V2_LEN
            + self.params.len() * lw
            + self.params.iter().map(|p| p.len()).sum::<usize>();
        let mut v = Vec::with_capacity(len);
        v.extend(self.ts.to_le_bytes());
        v.extend(self.tid.to_le_bytes());
        v.extend((len as u32).to_le_bytes());
        v.extend(self.etype.to_le_bytes());
        v.extend((self.params.len() as u32).to_le_bytes());
        for p in &self.params {
            if wide {
                v.extend((p.len() as u32).to_le_bytes());
            } else {
                v.extend((p.len() as u16).to_le_bytes());
            }
        }
        for p in &self.params {
            v.extend(p);
        }
        v
    }
}

fn push_addr(b: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            b.push(2);
            b.extend(a.octets());
        }
        IpAddr::V6(a) => {
            b.push(10);
            b.extend(a.octets());
        }
    }
}

/// One fd of the initial fd list.
#[derive(Clone, Debug)]
pub enum FdSpec {
    /// A regular file (`SCAP_FD_FILE_V2`).
    File {
        /// Path.
        name: String,
        /// Open flags (`PPM_O_*`).
        flags: u32,
    },
    /// A connected IPv4/IPv6 socket.
    Socket {
        /// Client address.
        sip: IpAddr,
        /// Server address.
        dip: IpAddr,
        /// Client port.
        sport: u16,
        /// Server port.
        dport: u16,
        /// `SCAP_L4_*` (2 = TCP).
        l4proto: u8,
    },
    /// A listening IPv4/IPv6 socket.
    Server {
        /// Bound address.
        ip: IpAddr,
        /// Bound port.
        port: u16,
        /// `SCAP_L4_*`.
        l4proto: u8,
    },
}

/// Writes a capture file.
pub struct Writer<W: Write> {
    out: W,
    header_done: bool,
    procs: Vec<u8>,
    fdls: Vec<Vec<u8>>,
    users: Vec<u8>,
    ifaces: Vec<u8>,
}

impl<W: Write> std::fmt::Debug for Writer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("header_done", &self.header_done).finish()
    }
}

impl Writer<BufWriter<File>> {
    /// Creates (truncates) the capture file at `path`.
    pub fn create(path: impl AsRef<Path>) -> std::io::Result<Self> {
        Ok(Writer::new(BufWriter::new(File::create(path)?)))
    }
}

fn block(out: &mut impl Write, bt: u32, body: &[u8]) -> std::io::Result<()> {
    let pad = (4 - body.len() % 4) % 4;
    let total = (12 + body.len() + pad) as u32;
    out.write_all(&bt.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&[0u8; 3][..pad])?;
    out.write_all(&total.to_le_bytes())
}

fn str16(v: &mut Vec<u8>, s: &[u8]) {
    v.extend((s.len() as u16).to_le_bytes());
    v.extend(s);
}

impl<W: Write> Writer<W> {
    /// A writer to any byte sink.
    pub fn new(out: W) -> Writer<W> {
        Writer {
            out,
            header_done: false,
            procs: Vec::new(),
            fdls: Vec::new(),
            users: Vec::new(),
            ifaces: Vec::new(),
        }
    }

    /// Adds a thread to the initial process list (a main thread: `tid == pid`).
    #[allow(clippy::too_many_arguments)]
    pub fn process(
        &mut self,
        tid: i64,
        pid: i64,
        ptid: i64,
        comm: &str,
        exe: &str,
        args: &[&str],
        cwd: &str,
    ) -> std::io::Result<()> {
        self.thread(tid, pid, ptid, comm, exe, args, cwd, 0, 0)
    }

    /// Adds a thread with its uid/gid to the initial process list.
    #[allow(clippy::too_many_arguments)]
    pub fn thread(
        &mut self,
        tid: i64,
        pid: i64,
        ptid: i64,
        comm: &str,
        exe: &str,
        args: &[&str],
        cwd: &str,
        uid: u32,
        gid: u32,
    ) -> std::io::Result<()> {
        let mut e = Vec::new();
        e.extend(tid.to_le_bytes());
        e.extend(pid.to_le_bytes());
        e.extend(ptid.to_le_bytes());
        e.extend(pid.to_le_bytes()); // sid
        e.extend(pid.to_le_bytes()); // vpgid
        str16(&mut e, comm.as_bytes());
        str16(&mut e, exe.as_bytes());
        str16(&mut e, exe.as_bytes()); // exepath
        let mut a = Vec::new();
        for s in args {
            a.extend(s.as_bytes());
            a.push(0);
        }
        str16(&mut e, &a);
        str16(&mut e, cwd.as_bytes());
        e.extend(1024u64.to_le_bytes()); // fdlimit
        e.extend(0u32.to_le_bytes()); // flags
        e.extend(uid.to_le_bytes());
        e.extend(gid.to_le_bytes());
        e.extend([0u8; 12]); // vmsize, vmrss, vmswap
        e.extend([0u8; 16]); // pfmajor, pfminor
        str16(&mut e, b""); // env
        e.extend(tid.to_le_bytes()); // vtid
        e.extend(pid.to_le_bytes()); // vpid
        str16(&mut e, b""); // cgroups
        str16(&mut e, b"/"); // root
        // The tail of libs before 0.10 (loginuid, exe_writable, capabilities: 29 bytes),
        // which every reader, sysdig 0.29.3 included, decodes the same way.
        e.extend(u32::MAX.to_le_bytes()); // loginuid
        e.push(0); // exe_writable
        e.extend([0u8; 24]); // cap_inheritable, cap_permitted, cap_effective
        self.procs.extend(((e.len() + 4) as u32).to_le_bytes());
        self.procs.extend(e);
        Ok(())
    }

    /// Adds an open fd of thread `tid` to the initial fd lists.
    pub fn fd(&mut self, tid: i64, fd: i64, spec: FdSpec) -> std::io::Result<()> {
        let mut e = Vec::new();
        e.extend(fd.to_le_bytes());
        e.extend(0u64.to_le_bytes()); // ino
        match &spec {
            FdSpec::File { name, flags } => {
                e.push(16);
                e.extend(flags.to_le_bytes());
                str16(&mut e, name.as_bytes());
                e.extend(0u32.to_le_bytes()); // dev
            }
            FdSpec::Socket { sip, dip, sport, dport, l4proto } => match (sip, dip) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    e.push(3);
                    e.extend(s.octets());
                    e.extend(d.octets());
                    e.extend(sport.to_le_bytes());
                    e.extend(dport.to_le_bytes());
                    e.push(*l4proto);
                }
                _ => {
                    let v6 = |a: &IpAddr| match a {
                        IpAddr::V4(x) => x.to_ipv6_mapped().octets(),
                        IpAddr::V6(x) => x.octets(),
                    };
                    e.push(4);
                    e.extend(v6(sip));
                    e.extend(v6(dip));
                    e.extend(sport.to_le_bytes());
                    e.extend(dport.to_le_bytes());
                    e.push(*l4proto);
                }
            },
            FdSpec::Server { ip, port, l4proto } => match ip {
                IpAddr::V4(a) => {
                    e.push(5);
                    e.extend(a.octets());
                    e.extend(port.to_le_bytes());
                    e.push(*l4proto);
                }
                IpAddr::V6(a) => {
                    e.push(6);
                    e.extend(a.octets());
                    e.extend(port.to_le_bytes());
                    e.push(*l4proto);
                }
            },
        }
        let mut body = Vec::new();
        body.extend(tid.to_le_bytes());
        body.extend(((e.len() + 4) as u32).to_le_bytes());
        body.extend(e);
        self.fdls.push(body);
        Ok(())
    }

    /// Adds a user to the user list.
    pub fn user(&mut self, uid: u32, gid: u32, name: &str, home: &str, shell: &str) {
        let mut e = vec![0u8];
        e.extend(uid.to_le_bytes());
        e.extend(gid.to_le_bytes());
        str16(&mut e, name.as_bytes());
        str16(&mut e, home.as_bytes());
        str16(&mut e, shell.as_bytes());
        self.users.extend(((e.len() + 4) as u32).to_le_bytes());
        self.users.extend(e);
    }

    /// Adds a group to the user list.
    pub fn group(&mut self, gid: u32, name: &str) {
        let mut e = vec![1u8];
        e.extend(gid.to_le_bytes());
        str16(&mut e, name.as_bytes());
        self.users.extend(((e.len() + 4) as u32).to_le_bytes());
        self.users.extend(e);
    }

    /// Adds an interface address (its name and address) to the interface list.
    pub fn iface(&mut self, name: &str, addr: IpAddr) {
        let mut e = Vec::new();
        match addr {
            IpAddr::V4(a) => {
                e.extend(1u16.to_le_bytes());
                e.extend((name.len() as u16).to_le_bytes());
                e.extend(a.octets());
                e.extend([255, 0, 0, 0]);
                e.extend([0u8; 4]);
                e.extend(0u64.to_le_bytes());
            }
            IpAddr::V6(a) => {
                e.extend(2u16.to_le_bytes());
                e.extend((name.len() as u16).to_le_bytes());
                e.extend(a.octets());
                e.extend([0u8; 32]);
                e.extend(0u64.to_le_bytes());
            }
        }
        e.extend(name.as_bytes());
        self.ifaces.extend((e.len() as u32).to_le_bytes());
        self.ifaces.extend(e);
    }

    fn header(&mut self) -> std::io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        let mut shb = Vec::new();
        shb.extend(super::SHB_MAGIC.to_le_bytes());
        shb.extend(1u16.to_le_bytes());
        shb.extend(2u16.to_le_bytes());
        shb.extend(u64::MAX.to_le_bytes());
        block(&mut self.out, btype::SHB, &shb)?;
        // Machine info (packed, 180 bytes): num_cpus, memory, max_pid, hostname[128], four
        // reserved u64.
        let mut mi = Vec::new();
        mi.extend(1u32.to_le_bytes());
        mi.extend((1u64 << 30).to_le_bytes());
        mi.extend(32768u64.to_le_bytes());
        let mut host = [0u8; 128];
        host[..7].copy_from_slice(b"falcors");
        mi.extend(host);
        mi.extend([0u8; 32]);
        block(&mut self.out, btype::MI, &mi)?;
        let il = std::mem::take(&mut self.ifaces);
        block(&mut self.out, btype::IL_V2, &il)?;
        let ul = std::mem::take(&mut self.users);
        block(&mut self.out, btype::UL_V2, &ul)?;
        let pl = std::mem::take(&mut self.procs);
        block(&mut self.out, btype::PL_V9, &pl)?;
        for f in std::mem::take(&mut self.fdls) {
            block(&mut self.out, btype::FDL_V2, &f)?;
        }
        Ok(())
    }

    /// Writes an event (the state blocks go out before the first one).
    pub fn event(&mut self, e: EventBuilder) -> std::io::Result<()> {
        self.event_on_cpu(0, e)
    }

    /// Writes an event produced on `cpu`.
    pub fn event_on_cpu(&mut self, cpu: u16, e: EventBuilder) -> std::io::Result<()> {
        self.header()?;
        let mut body = cpu.to_le_bytes().to_vec();
        body.extend(e.encode());
        block(&mut self.out, btype::EV_V2, &body)
    }

    /// Flushes and returns the sink (writes the state blocks if no event was written).
    pub fn finish(mut self) -> std::io::Result<W> {
        self.header()?;
        self.out.flush()?;
        Ok(self.out)
    }
}
