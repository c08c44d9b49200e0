//! Syscall events: the event table and lazy, zero-copy decoding of one event.
//!
//! A libs event is a header (`ts`, `tid`, `len`, `type`, and from capture format 1.2 on
//! `nparams`), a table of parameter lengths (16-bit, or 32-bit for large-payload events) and
//! the parameter values back to back. [`RawEvent`] borrows the bytes of one event as the reader
//! found them and the offsets of its parameters; nothing is copied or converted until a field
//! asks for a value.
//!
//! What every event type and parameter *is* (names, types, print formats, flag names) comes
//! from [`table`](self), generated once from the event table of the `falco_event_schema` crate
//! (see `tools/gen_event_table.sh`). Captures written by older drivers may carry fewer
//! parameters than the table lists: the decoder takes the parameters that are there, and a
//! missing parameter simply has no value.

pub mod codes;
#[rustfmt::skip]
pub(crate) mod compat;
pub(crate) mod info;
pub(crate) mod render;
#[rustfmt::skip]
#[allow(dead_code)]
pub(crate) mod table;

pub use info::{EventInfo, ParamExtra, ParamInfo, ParamType, PrintFormat, SyscallInfo};

/// Number of event types in the table (`PPM_EVENT_MAX`).
pub const EVENT_TYPE_COUNT: u16 = table::EVENTS.len() as u16;

/// The current table with the compatibility entries applied, merged at compile time.
static MERGED: [&EventInfo; table::EVENTS.len()] = {
    let mut merged = [&table::EVENTS[0]; table::EVENTS.len()];
    let mut i = 0;
    while i < merged.len() {
        merged[i] = &table::EVENTS[i];
        i += 1;
    }
    let mut k = 0;
    while k < compat::COMPAT.len() {
        let code = compat::COMPAT[k].0 as usize;
        if code < merged.len() {
            merged[code] = &compat::COMPAT[k].1;
        }
        k += 1;
    }
    merged
};

/// The table entry of an event type, or `None` for a code past the table.
///
/// The entries are those of the current table (from `falco_event_schema`), except the few
/// that libs 0.10.4 (Falco 0.34.1) defined differently in ways that change field values of
/// existing captures (`mmap` does not use an fd and returns a hex address, `execve`'s
/// `pgid`...): those keep their 0.34-era definition (`compat.rs`, generated too).
#[inline]
pub fn event_info(etype: u16) -> Option<&'static EventInfo> {
    MERGED.get(etype as usize).copied()
}

/// True if the first parameter of events of type `etype` is their return value (`res` or
/// `fd`), which libsinsp reads as the syscall's error code. Computed once for the table.
#[inline]
pub(crate) fn first_param_is_result(etype: u16) -> bool {
    static T: std::sync::OnceLock<Vec<bool>> = std::sync::OnceLock::new();
    let t = T.get_or_init(|| {
        table::EVENTS
            .iter()
            .map(|e| e.params.first().is_some_and(|p| p.name == "res" || p.name == "fd"))
            .collect()
    });
    t.get(etype as usize).copied().unwrap_or(false)
}

/// The name and category of a syscall as generic events report it (`ppm_sc_code`).
pub fn syscall_info(id: u16) -> Option<&'static SyscallInfo> {
    table::SYSCALLS.get(id as usize)
}

/// Size of the v1 event header (capture format 1.0/1.1): ts, tid, len, type.
pub(crate) const HEADER_V1_LEN: usize = 22;
/// Size of the v2 event header (format 1.2+): v1 plus nparams.
pub(crate) const HEADER_V2_LEN: usize = 26;

/// Why an event could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// The event is shorter than its header.
    ShortHeader,
    /// The header's length is not what the block holds.
    BadLength { len: u32, avail: usize },
    /// The parameter lengths do not add up to the event length.
    BadParams,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::ShortHeader => f.write_str("event shorter than its header"),
            DecodeError::BadLength { len, avail } => {
                write!(f, "event length {len} does not fit the {avail} bytes of its block")
            }
            DecodeError::BadParams => {
                f.write_str("event parameter lengths do not add up to the event length")
            }
        }
    }
}

/// The decoded header of one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub ts: u64,
    pub tid: i64,
    pub etype: u16,
    /// Bytes of the event (from the header start), after old-format corrections.
    pub len: usize,
}

#[inline]
fn rd_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

#[inline]
fn rd_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline]
fn rd_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Decodes the header and parameter offsets of the event at the start of `bytes`.
///
/// `v2` says whether the header carries `nparams` (capture format 1.2+). For the v1 form the
/// number of parameters is worked out from the length, as libscap does: the largest count not
/// above the table's whose lengths add up exactly to the event length. `offs` receives
/// `nparams + 1` absolute offsets into `bytes` (parameter `i` spans `offs[i]..offs[i + 1]`).
pub(crate) fn decode(bytes: &[u8], v2: bool, offs: &mut Vec<u32>) -> Result<Header, DecodeError> {
    let hlen = if v2 { HEADER_V2_LEN } else { HEADER_V1_LEN };
    if bytes.len() < hlen {
        return Err(DecodeError::ShortHeader);
    }
    let ts = rd_u64(bytes, 0);
    let tid = rd_u64(bytes, 8) as i64;
    let raw_len = rd_u32(bytes, 16);
    let etype = rd_u16(bytes, 20);
    let mut len = raw_len as usize;
    if !v2 && (etype == codes::NOTIFICATION_E || etype == codes::INFRASTRUCTURE_EVENT_E) {
        // Old captures overstate the length of these two events by 3 bytes.
        len = len.saturating_sub(3);
    }
    if len < hlen || len > bytes.len() {
        return Err(DecodeError::BadLength { len: raw_len, avail: bytes.len() });
    }
    let info = event_info(etype);
    let wide = info.is_some_and(|i| i.flags & info::flags::LARGE_PAYLOAD != 0);
    let lw = if wide { 4 } else { 2 };
    offs.clear();
    if v2 {
        let n = rd_u32(bytes, 22) as usize;
        let start = n
            .checked_mul(lw)
            .and_then(|x| x.checked_add(hlen))
            .filter(|s| *s <= len)
            .ok_or(DecodeError::BadParams)?;
        let mut at = start;
        let lens = &bytes[hlen..start];
        if wide {
            for l in lens.chunks_exact(4) {
                offs.push(at as u32);
                at += u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                if at > len {
                    return Err(DecodeError::BadParams);
                }
            }
        } else {
            for l in lens.chunks_exact(2) {
                offs.push(at as u32);
                at += u16::from_le_bytes([l[0], l[1]]) as usize;
                if at > len {
                    return Err(DecodeError::BadParams);
                }
            }
        }
        offs.push(at as u32);
        return Ok(Header { ts, tid, etype, len });
    }
    // v1: the largest parameter count n (up to the table's) whose n lengths, read right
    // after the header, add up exactly to the event length. One pass: the sum for n
    // extends the sum for n - 1.
    let param_len = |i: usize| -> usize {
        let at = hlen + i * lw;
        if wide { rd_u32(bytes, at) as usize } else { rd_u16(bytes, at) as usize }
    };
    let max = info.map_or(0, |i| i.params.len());
    let mut found = None;
    let mut sum = 0usize;
    for n in 0..=max {
        let start = hlen + n * lw;
        if start > len {
            break;
        }
        if n > 0 {
            sum += param_len(n - 1);
        }
        if start + sum == len {
            found = Some(n);
        }
    }
    if let Some(n) = found {
        let mut at = hlen + n * lw;
        for i in 0..n {
            offs.push(at as u32);
            at += param_len(i);
        }
        offs.push(at as u32);
        return Ok(Header { ts, tid, etype, len });
    }
    Err(DecodeError::BadParams)
}

/// One event as found in the capture: header fields plus borrowed parameter bytes.
#[derive(Clone, Copy, Debug)]
pub struct RawEvent<'a> {
    bytes: &'a [u8],
    offs: &'a [u32],
    ts: u64,
    tid: i64,
    etype: u16,
}

impl<'a> RawEvent<'a> {
    pub(crate) fn new(bytes: &'a [u8], offs: &'a [u32], h: Header) -> RawEvent<'a> {
        RawEvent { bytes: &bytes[..h.len], offs, ts: h.ts, tid: h.tid, etype: h.etype }
    }

    /// Timestamp, nanoseconds since the epoch.
    #[inline]
    pub fn ts(&self) -> u64 {
        self.ts
    }

    /// The thread that produced the event.
    #[inline]
    pub fn tid(&self) -> i64 {
        self.tid
    }

    /// The event type code (`ppm_event_code`).
    #[inline]
    pub fn etype(&self) -> u16 {
        self.etype
    }

    /// The event's bytes, header included.
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// True for enter events (even codes).
    #[inline]
    pub fn is_enter(&self) -> bool {
        self.etype & 1 == 0
    }

    /// The table entry of this event's type.
    #[inline]
    pub fn info(&self) -> Option<&'static EventInfo> {
        event_info(self.etype)
    }

    /// Number of parameters the event carries.
    #[inline]
    pub fn nparams(&self) -> usize {
        self.offs.len().saturating_sub(1)
    }

    /// The bytes of parameter `i`.
    #[inline]
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        if i + 1 >= self.offs.len() {
            return None;
        }
        self.bytes.get(self.offs[i] as usize..self.offs[i + 1] as usize)
    }

    /// Writes the event in the current libs layout (26-byte header with the parameter count,
    /// then the parameter lengths and values) into `out`, whatever layout the capture used:
    /// what plugins expect to receive.
    pub fn write_current_layout(&self, out: &mut Vec<u8>) {
        let wide = self.info().is_some_and(|i| i.flags & info::flags::LARGE_PAYLOAD != 0);
        let n = self.nparams();
        let first = self.offs.first().copied().unwrap_or(0) as usize;
        let last = self.offs.last().copied().unwrap_or(0) as usize;
        let values = self.bytes.get(first..last).unwrap_or_default();
        let len = 26 + n * if wide { 4 } else { 2 } + values.len();
        out.clear();
        out.extend_from_slice(&self.ts.to_le_bytes());
        out.extend_from_slice(&self.tid.to_le_bytes());
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend_from_slice(&self.etype.to_le_bytes());
        out.extend_from_slice(&(n as u32).to_le_bytes());
        for i in 0..n {
            let l = self.offs[i + 1] - self.offs[i];
            if wide {
                out.extend_from_slice(&l.to_le_bytes());
            } else {
                out.extend_from_slice(&(l as u16).to_le_bytes());
            }
        }
        out.extend_from_slice(values);
    }

    /// The table description of parameter `i`.
    pub fn param_info(&self, i: usize) -> Option<&'static ParamInfo> {
        if i >= self.nparams() {
            return None;
        }
        self.info()?.params.get(i)
    }

    /// The index of the parameter named `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        let n = self.nparams();
        self.info()?.params.iter().take(n).position(|p| p.name == name)
    }

    /// Parameter `i` as an unsigned integer of its own width (1, 2, 4 or 8 bytes).
    #[inline]
    pub fn param_u64(&self, i: usize) -> Option<u64> {
        let b = self.param(i)?;
        Some(match b.len() {
            1 => b[0] as u64,
            2 => rd_u16(b, 0) as u64,
            4 => rd_u32(b, 0) as u64,
            8 => rd_u64(b, 0),
            _ => return None,
        })
    }

    /// Parameter `i` as a signed integer of its own width, sign-extended.
    #[inline]
    pub fn param_i64(&self, i: usize) -> Option<i64> {
        let b = self.param(i)?;
        Some(match b.len() {
            1 => b[0] as i8 as i64,
            2 => rd_u16(b, 0) as i16 as i64,
            4 => rd_u32(b, 0) as i32 as i64,
            8 => rd_u64(b, 0) as i64,
            _ => return None,
        })
    }

    /// Parameter `i` as a string: the bytes up to the first NUL.
    #[inline]
    pub fn param_str(&self, i: usize) -> Option<&'a [u8]> {
        let b = self.param(i)?;
        Some(until_nul(b))
    }

    /// For generic syscall events, the syscall (`ppm_sc_code`) from the ID parameter.
    pub fn generic_syscall(&self) -> Option<u16> {
        if self.etype == codes::GENERIC_E || self.etype == codes::GENERIC_X {
            self.param_u64(0).map(|v| v as u16)
        } else {
            None
        }
    }

    /// The `evt.type` name: the table name, or the syscall name for generic events.
    pub fn type_name(&self) -> &'static str {
        if let Some(id) = self.generic_syscall() {
            return syscall_info(id).map_or("<unknown>", |s| s.name);
        }
        self.info().map_or("<unknown>", |i| i.name)
    }

    /// The event's category bits (the syscall's, for generic events).
    pub fn category(&self) -> u32 {
        if let Some(id) = self.generic_syscall() {
            return syscall_info(id).map_or(info::cat::OTHER, |s| s.category);
        }
        self.info().map_or(info::cat::UNKNOWN, |i| i.category)
    }

    /// The event's flag bits.
    #[inline]
    pub fn flags(&self) -> u32 {
        self.info().map_or(0, |i| i.flags)
    }
}

/// The bytes of `b` up to its first NUL.
#[inline]
pub(crate) fn until_nul(b: &[u8]) -> &[u8] {
    match memchr_nul(b) {
        Some(p) => &b[..p],
        None => b,
    }
}

#[inline]
fn memchr_nul(b: &[u8]) -> Option<usize> {
    b.iter().position(|c| *c == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_v2(etype: u16, params: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        let len = HEADER_V2_LEN + params.len() * 2 + params.iter().map(|p| p.len()).sum::<usize>();
        v.extend(7u64.to_le_bytes());
        v.extend(42u64.to_le_bytes());
        v.extend((len as u32).to_le_bytes());
        v.extend(etype.to_le_bytes());
        v.extend((params.len() as u32).to_le_bytes());
        for p in params {
            v.extend((p.len() as u16).to_le_bytes());
        }
        for p in params {
            v.extend(*p);
        }
        v
    }

    #[test]
    fn table_matches_known_codes() {
        assert_eq!(event_info(codes::SYSCALL_OPEN_E).unwrap().name, "open");
        assert_eq!(event_info(codes::PROCINFO_E).unwrap().name, "procinfo");
        assert_eq!(event_info(codes::SYSCALL_EXECVE_19_X).unwrap().params[0].name, "res");
        assert_eq!(syscall_info(0).unwrap().name, "<unknown>");
        assert!(EVENT_TYPE_COUNT as usize >= 400);
    }

    #[test]
    fn decodes_v2_params() {
        let b = event_v2(codes::SYSCALL_CLOSE_E, &[&5i64.to_le_bytes()]);
        let mut offs = Vec::new();
        let h = decode(&b, true, &mut offs).unwrap();
        let e = RawEvent::new(&b, &offs, h);
        assert_eq!((e.ts(), e.tid(), e.type_name()), (7, 42, "close"));
        assert_eq!(e.param_i64(0), Some(5));
        assert_eq!(e.param_index("fd"), Some(0));
        assert_eq!(e.param(1), None);
    }

    #[test]
    fn v1_infers_fewer_params() {
        // open exit with only 3 of its 6 params (an old driver), v1 header.
        let mut b = event_v2(codes::SYSCALL_OPEN_X, &[&3i64.to_le_bytes(), b"/etc\0", &[0; 4]]);
        b.drain(22..26);
        let len = (b.len() as u32).to_le_bytes();
        b[16..20].copy_from_slice(&len);
        let mut offs = Vec::new();
        let h = decode(&b, false, &mut offs).unwrap();
        let e = RawEvent::new(&b, &offs, h);
        assert_eq!(e.nparams(), 3);
        assert_eq!(e.param_str(1), Some(&b"/etc"[..]));
        // Rewritten in the current layout, it is the v2 event it was made from.
        let mut cur = Vec::new();
        e.write_current_layout(&mut cur);
        let v2 = event_v2(codes::SYSCALL_OPEN_X, &[&3i64.to_le_bytes(), b"/etc\0", &[0; 4]]);
        assert_eq!(cur, v2);
        let h = decode(&v2, true, &mut offs).unwrap();
        RawEvent::new(&v2, &offs, h).write_current_layout(&mut cur);
        assert_eq!(cur, v2);
    }

    #[test]
    fn rejects_inconsistent_lengths() {
        let mut b = event_v2(codes::SYSCALL_CLOSE_E, &[&5i64.to_le_bytes()]);
        b[26] = 200; // param length past the end
        let mut offs = Vec::new();
        assert_eq!(decode(&b, true, &mut offs), Err(DecodeError::BadParams));
        assert!(matches!(decode(&b[..10], true, &mut offs), Err(DecodeError::ShortHeader)));
    }
}
