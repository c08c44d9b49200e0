//! Plugin events in the libs event format, as they travel through libscap and capture files.
//!
//! Every event is a 26-byte header (`ts u64, tid u64, len u32, type u16, nparams u32`, little
//! endian, packed) followed by `nparams` parameter lengths and the parameters. Plugin events
//! and async events carry the `EF_LARGE_PAYLOAD` flag, so their lengths are `u32`:
//!
//! ```text
//! PPME_PLUGINEVENT_E (322): | header | len(plugin_id)=4 | len(data) | plugin_id u32 | data |
//! PPME_ASYNCEVENT_E  (402): | header | 4 | len(name) | len(data) | plugin_id | name\0 | data |
//! ```
//!
//! [`EventRef::parse`] checks every length against the buffer (a plugin's lengths are never
//! trusted), and [`write_plugin_event`] / [`write_async_event`] produce exactly the bytes libscap
//! writes, so events round-trip through capture files.

use std::fmt;

use crate::raw::EVENT_HEADER_LEN;

/// `PPME_PLUGINEVENT_E`: the type of every event a source plugin produces.
pub const PLUGIN_EVENT_TYPE: u16 = 322;
/// `PPME_ASYNCEVENT_E`: the type of async events plugins inject.
pub const ASYNC_EVENT_TYPE: u16 = 402;
/// `tid` of events that belong to no thread (plugin events).
pub const NO_TID: u64 = u64::MAX;
/// `ts` a plugin leaves when it wants the host to stamp the event.
pub const UNSET_TS: u64 = u64::MAX;

/// Why bytes are not a well-formed event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// Shorter than a header.
    #[error("event of {0} bytes is shorter than the 26-byte header")]
    TooShort(usize),
    /// The header's length disagrees with the buffer.
    #[error("event header says {declared} bytes but the event has {actual}")]
    LengthMismatch {
        /// Length in the header.
        declared: usize,
        /// Bytes available.
        actual: usize,
    },
    /// The parameter lengths do not fit in the event.
    #[error("parameter lengths ({0} bytes) overflow the event")]
    ParamsOverflow(usize),
    /// Wrong number of parameters for the event type.
    #[error("event type {event_type} has {nparams} parameters, expected {expected}")]
    ParamCount {
        /// Event type.
        event_type: u16,
        /// Parameters found.
        nparams: u32,
        /// Parameters expected.
        expected: u32,
    },
}

/// A borrowed event whose framing has been checked.
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    bytes: &'a [u8],
}

impl fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventRef")
            .field("ts", &self.ts())
            .field("type", &self.event_type())
            .field("len", &self.bytes.len())
            .finish()
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

impl<'a> EventRef<'a> {
    /// Checks the framing of `bytes`: header length, and for plugin and async events the
    /// parameter count and every parameter length.
    ///
    /// ```
    /// use falco_plugin_host::event::{write_plugin_event, EventRef};
    /// let mut buf = Vec::new();
    /// write_plugin_event(&mut buf, 7, 999, b"hello");
    /// let evt = EventRef::parse(&buf)?;
    /// assert_eq!((evt.ts(), evt.plugin_id(), evt.data()), (7, Some(999), Some(&b"hello"[..])));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(bytes: &'a [u8]) -> Result<EventRef<'a>, EventError> {
        if bytes.len() < EVENT_HEADER_LEN {
            return Err(EventError::TooShort(bytes.len()));
        }
        let declared = u32_at(bytes, 16) as usize;
        if declared != bytes.len() {
            return Err(EventError::LengthMismatch { declared, actual: bytes.len() });
        }
        let evt = EventRef { bytes };
        let expected = match evt.event_type() {
            PLUGIN_EVENT_TYPE => 2,
            ASYNC_EVENT_TYPE => 3,
            _ => return Ok(evt),
        };
        if evt.nparams() != expected {
            return Err(EventError::ParamCount {
                event_type: evt.event_type(),
                nparams: evt.nparams(),
                expected,
            });
        }
        let lens_end = EVENT_HEADER_LEN + 4 * expected as usize;
        if lens_end > bytes.len() {
            return Err(EventError::ParamsOverflow(lens_end));
        }
        let total: usize =
            (0..expected as usize).map(|i| u32_at(bytes, EVENT_HEADER_LEN + 4 * i) as usize).sum();
        if lens_end + total != bytes.len() {
            return Err(EventError::ParamsOverflow(lens_end + total));
        }
        if u32_at(bytes, EVENT_HEADER_LEN) != 4 {
            return Err(EventError::ParamsOverflow(lens_end + total));
        }
        Ok(evt)
    }

    /// Wraps bytes that already went through [`EventRef::parse`] (the host's own buffers).
    pub(crate) fn checked(bytes: &'a [u8]) -> EventRef<'a> {
        debug_assert!(EventRef::parse(bytes).is_ok());
        EventRef { bytes }
    }

    /// The whole event.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// Timestamp, ns since the epoch.
    pub fn ts(&self) -> u64 {
        u64_at(self.bytes, 0)
    }
    /// Thread id (`u64::MAX` for plugin events).
    pub fn tid(&self) -> u64 {
        u64_at(self.bytes, 8)
    }
    /// Event type code.
    pub fn event_type(&self) -> u16 {
        u16_at(self.bytes, 20)
    }
    /// Number of parameters.
    pub fn nparams(&self) -> u32 {
        u32_at(self.bytes, 22)
    }

    /// Parameter `i` of a plugin or async event (u32 lengths).
    fn param(&self, i: usize) -> Option<&'a [u8]> {
        let n = match self.event_type() {
            PLUGIN_EVENT_TYPE => 2,
            ASYNC_EVENT_TYPE => 3,
            _ => return None,
        };
        if i >= n {
            return None;
        }
        let mut at = EVENT_HEADER_LEN + 4 * n;
        for j in 0..i {
            at += u32_at(self.bytes, EVENT_HEADER_LEN + 4 * j) as usize;
        }
        let len = u32_at(self.bytes, EVENT_HEADER_LEN + 4 * i) as usize;
        self.bytes.get(at..at + len)
    }

    /// The id of the plugin that produced a plugin or async event.
    pub fn plugin_id(&self) -> Option<u32> {
        self.param(0).map(|p| u32_at(p, 0))
    }

    /// The payload of a plugin event (or the data of an async event).
    pub fn data(&self) -> Option<&'a [u8]> {
        match self.event_type() {
            PLUGIN_EVENT_TYPE => self.param(1),
            _ => self.param(2),
        }
    }

    /// The name of an async event.
    pub fn async_name(&self) -> Option<&'a str> {
        if self.event_type() != ASYNC_EVENT_TYPE {
            return None;
        }
        let p = self.param(1)?;
        let p = p.strip_suffix(&[0]).unwrap_or(p);
        std::str::from_utf8(p).ok()
    }
}

fn write_header(out: &mut Vec<u8>, ts: u64, tid: u64, len: usize, ty: u16, nparams: u32) {
    out.extend_from_slice(&ts.to_le_bytes());
    out.extend_from_slice(&tid.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&nparams.to_le_bytes());
}

/// Appends a `PPME_PLUGINEVENT_E` to `out`, exactly as libscap lays it out.
pub fn write_plugin_event(out: &mut Vec<u8>, ts: u64, plugin_id: u32, data: &[u8]) {
    let len = EVENT_HEADER_LEN + 8 + 4 + data.len();
    write_header(out, ts, NO_TID, len, PLUGIN_EVENT_TYPE, 2);
    out.extend_from_slice(&4u32.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&plugin_id.to_le_bytes());
    out.extend_from_slice(data);
}

/// Appends a `PPME_ASYNCEVENT_E` to `out`.
pub fn write_async_event(
    out: &mut Vec<u8>,
    ts: u64,
    tid: u64,
    plugin_id: u32,
    name: &str,
    data: &[u8],
) {
    let name_len = name.len() + 1;
    let len = EVENT_HEADER_LEN + 12 + 4 + name_len + data.len();
    write_header(out, ts, tid, len, ASYNC_EVENT_TYPE, 3);
    out.extend_from_slice(&4u32.to_le_bytes());
    out.extend_from_slice(&(name_len as u32).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&plugin_id.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    out.extend_from_slice(data);
}

/// Overwrites the timestamp of an event (at least a header long).
pub(crate) fn set_ts(bytes: &mut [u8], ts: u64) {
    bytes[0..8].copy_from_slice(&ts.to_le_bytes());
}

/// Overwrites the thread id of an event.
pub(crate) fn set_tid(bytes: &mut [u8], tid: u64) {
    bytes[8..16].copy_from_slice(&tid.to_le_bytes());
}

/// Overwrites the plugin id (parameter 0) of a checked plugin or async event.
pub(crate) fn set_plugin_id(bytes: &mut [u8], id: u32) {
    let nparams = u32_at(bytes, 22) as usize;
    let at = EVENT_HEADER_LEN + 4 * nparams;
    bytes[at..at + 4].copy_from_slice(&id.to_le_bytes());
}

/// Nanoseconds since the epoch, now.
pub(crate) fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_event_layout_matches_libscap() {
        let mut b = Vec::new();
        write_plugin_event(&mut b, 0x0102, 999, b"ab");
        assert_eq!(b.len(), 26 + 8 + 4 + 2);
        assert_eq!(&b[16..20], &(40u32).to_le_bytes());
        assert_eq!(&b[20..22], &322u16.to_le_bytes());
        assert_eq!(&b[26..30], &4u32.to_le_bytes());
        assert_eq!(&b[30..34], &2u32.to_le_bytes());
        assert_eq!(&b[34..38], &999u32.to_le_bytes());
        assert_eq!(&b[38..], b"ab");
        let e = EventRef::parse(&b).unwrap();
        assert_eq!(e.tid(), NO_TID);
        assert_eq!(e.data(), Some(&b"ab"[..]));
    }

    #[test]
    fn async_event_round_trips() {
        let mut b = Vec::new();
        write_async_event(&mut b, 5, NO_TID, 0, "alarm", b"xyz");
        let e = EventRef::parse(&b).unwrap();
        assert_eq!(e.async_name(), Some("alarm"));
        assert_eq!(e.data(), Some(&b"xyz"[..]));
        assert_eq!(e.plugin_id(), Some(0));
        let mut b2 = b.clone();
        set_plugin_id(&mut b2, 7);
        set_ts(&mut b2, 9);
        let e = EventRef::parse(&b2).unwrap();
        assert_eq!((e.plugin_id(), e.ts()), (Some(7), 9));
    }

    #[test]
    fn bad_lengths_are_rejected() {
        let mut b = Vec::new();
        write_plugin_event(&mut b, 1, 1, b"abcd");
        assert!(matches!(EventRef::parse(&b[..20]), Err(EventError::TooShort(20))));
        assert!(matches!(
            EventRef::parse(&b[..b.len() - 1]),
            Err(EventError::LengthMismatch { .. })
        ));
        let mut bad = b.clone();
        bad[30..34].copy_from_slice(&1000u32.to_le_bytes());
        assert!(matches!(EventRef::parse(&bad), Err(EventError::ParamsOverflow(_))));
        let mut bad = b.clone();
        bad[22..26].copy_from_slice(&3u32.to_le_bytes());
        assert!(matches!(EventRef::parse(&bad), Err(EventError::ParamCount { .. })));
        let mut bad = b;
        bad[26..30].copy_from_slice(&0u32.to_le_bytes());
        bad[30..34].copy_from_slice(&8u32.to_le_bytes());
        assert!(EventRef::parse(&bad).is_err(), "plugin id must be 4 bytes");
    }
}
