//! The shape of the event table: what every event type and parameter is.
//!
//! The table itself (`table.rs`) is generated once from the event table shipped by the
//! `falco_event_schema` crate (see `tools/gen_event_table.sh`); this module holds the types it
//! is made of and the constants (categories, flags) the decoder and the extractors test.

/// A parameter's type (libscap `ppm_param_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ParamType {
    None,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    CharBuf,
    ByteBuf,
    Errno,
    SockAddr,
    SockTuple,
    Fd,
    Pid,
    FdList,
    FsPath,
    SyscallId,
    SigType,
    RelTime,
    AbsTime,
    Port,
    L4Proto,
    SockFamily,
    Bool,
    Ipv4Addr,
    Dyn,
    Flags8,
    Flags16,
    Flags32,
    Uid,
    Gid,
    Double,
    SigSet,
    CharBufArray,
    CharBufPairArray,
    Ipv4Net,
    Ipv6Addr,
    Ipv6Net,
    IpAddr,
    IpNet,
    Mode,
    FsRelPath,
    EnumFlags8,
    EnumFlags16,
    EnumFlags32,
}

/// How a numeric parameter is printed (libscap `ppm_print_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum PrintFormat {
    Na,
    Dec,
    Hex,
    PaddedDec,
    Id,
    Dir,
    Oct,
}

/// Extra information attached to a parameter.
#[derive(Clone, Copy, Debug)]
pub enum ParamExtra {
    /// Nothing.
    None,
    /// Flag names for a flags or enum-flags parameter.
    Flags(&'static [(&'static str, u32)]),
    /// For a `FSRELPATH` parameter: the index of the parameter holding its directory fd.
    DirFd(u8),
    /// For a dynamic parameter: the possible types, chosen by the first byte of the value.
    Dyn(&'static [ParamInfo]),
}

/// One parameter of an event type.
#[derive(Clone, Copy, Debug)]
pub struct ParamInfo {
    /// Name (`fd`, `name`, `flags`...).
    pub name: &'static str,
    /// Type.
    pub ptype: ParamType,
    /// Print format.
    pub fmt: PrintFormat,
    /// Flags table, directory fd or dynamic types.
    pub extra: ParamExtra,
}

/// One event type (libscap `ppm_event_info`).
#[derive(Clone, Copy, Debug)]
pub struct EventInfo {
    /// The `evt.type` name (`open`, `execve`...).
    pub name: &'static str,
    /// `ppm_event_category` bits.
    pub category: u32,
    /// `ppm_event_flags` bits.
    pub flags: u32,
    /// The parameters of the newest version of this event.
    pub params: &'static [ParamInfo],
}

/// A syscall as generic syscall events report it (`ppm_sc_code` -> name, category).
#[derive(Clone, Copy, Debug)]
pub struct SyscallInfo {
    /// Lower-case syscall name (`madvise`).
    pub name: &'static str,
    /// Category bits, as the event categories.
    pub category: u32,
}

/// Event categories (`ppm_event_category`).
pub mod cat {
    #![allow(missing_docs, dead_code)]
    pub const UNKNOWN: u32 = 0;
    pub const OTHER: u32 = 1;
    pub const FILE: u32 = 2;
    pub const NET: u32 = 3;
    pub const IPC: u32 = 4;
    pub const MEMORY: u32 = 5;
    pub const PROCESS: u32 = 6;
    pub const SLEEP: u32 = 7;
    pub const SYSTEM: u32 = 8;
    pub const SIGNAL: u32 = 9;
    pub const USER: u32 = 10;
    pub const TIME: u32 = 11;
    pub const PROCESSING: u32 = 12;
    pub const IO_BASE: u32 = 32;
    pub const IO_READ: u32 = 32;
    pub const IO_WRITE: u32 = 33;
    pub const IO_OTHER: u32 = 34;
    pub const WAIT: u32 = 1 << 6;
    pub const SCHEDULER: u32 = 1 << 7;
    pub const INTERNAL: u32 = 1 << 8;
    pub const SYSCALL: u32 = 1 << 9;
    pub const TRACEPOINT: u32 = 1 << 10;
    pub const PLUGIN: u32 = 1 << 11;
    pub const METAEVENT: u32 = 1 << 12;
    /// The bits that select the syscall category (below the source bits).
    pub const MASK: u32 = SYSCALL - 1;
}

/// Event flags (`ppm_event_flags`).
pub mod flags {
    #![allow(missing_docs, dead_code)]
    pub const CREATES_FD: u32 = 1 << 0;
    pub const DESTROYS_FD: u32 = 1 << 1;
    pub const USES_FD: u32 = 1 << 2;
    pub const READS_FROM_FD: u32 = 1 << 3;
    pub const WRITES_TO_FD: u32 = 1 << 4;
    pub const MODIFIES_STATE: u32 = 1 << 5;
    pub const UNUSED: u32 = 1 << 6;
    pub const WAITS: u32 = 1 << 7;
    pub const SKIPPARSERESET: u32 = 1 << 8;
    pub const OLD_VERSION: u32 = 1 << 9;
    pub const LARGE_PAYLOAD: u32 = 1 << 11;
}
