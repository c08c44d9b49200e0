//! [`ScapInspector`]: the syscall source over a capture file, and [`SyscallEvent`], the
//! event it yields.
//!
//! Each call to [`ScapInspector::next_event`] reads blocks until the next event, applies
//! state blocks (process lists, fd lists... may also appear between events), decodes the
//! event header and parameter offsets in place, numbers the event (`evt.num` counts every
//! event of the file, including the container events libsinsp consumes without showing),
//! updates the state and returns a [`SyscallEvent`] that borrows the event bytes and the
//! state. Nothing is allocated per event once the buffers are warm.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use falco_engine::{Event, EventType, Schema};

use crate::event::{self, RawEvent, codes};
use crate::fields::{SyscallExtractor, TimeZone};
use crate::scap::block::parse_event_block;
use crate::scap::{Reader, ScapError, ScapErrorKind, btype};
use crate::state::{EventCtx, FdInfo, State, ThreadInfo};
use crate::{Error, Inspector, Next};

/// One syscall event with the state it was parsed against.
#[derive(Clone, Copy)]
pub struct SyscallEvent<'a> {
    raw: RawEvent<'a>,
    num: u64,
    cpu: u16,
    state: &'a State,
    thread: Option<&'a ThreadInfo>,
    fd: Option<&'a FdInfo>,
    ctx: EventCtx,
}

impl std::fmt::Debug for SyscallEvent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyscallEvent")
            .field("num", &self.num)
            .field("ts", &self.raw.ts())
            .field("tid", &self.raw.tid())
            .field("type", &self.raw.type_name())
            .finish()
    }
}

impl<'a> SyscallEvent<'a> {
    /// Builds an event from its parts (the state must already reflect the event).
    pub(crate) fn new(raw: RawEvent<'a>, num: u64, cpu: u16, state: &'a State) -> Self {
        let ctx = *state.ctx();
        let thread = if ctx.has_thread { state.threads.get(raw.tid()) } else { None };
        let fd = match (thread, ctx.fd) {
            (Some(t), Some(fd)) => state.fd_of(t, fd),
            _ => None,
        };
        SyscallEvent { raw, num, cpu, state, thread, fd, ctx }
    }

    /// The decoded event.
    pub fn raw(&self) -> &RawEvent<'a> {
        &self.raw
    }

    /// `evt.num`.
    pub fn num(&self) -> u64 {
        self.num
    }

    /// The CPU that produced the event.
    pub fn cpu(&self) -> u16 {
        self.cpu
    }

    /// The inspector state after this event.
    pub fn state(&self) -> &'a State {
        self.state
    }

    /// The event's thread.
    pub fn thread(&self) -> Option<&'a ThreadInfo> {
        self.thread
    }

    /// The fd the event is about.
    pub fn fd(&self) -> Option<&'a FdInfo> {
        self.fd
    }

    /// What the parser found about the event.
    pub fn ctx(&self) -> &EventCtx {
        &self.ctx
    }
}

impl Event for SyscallEvent<'_> {
    fn event_type(&self) -> EventType {
        EventType(self.raw.etype())
    }

    fn timestamp(&self) -> u64 {
        self.raw.ts()
    }

    fn num(&self) -> u64 {
        self.num
    }

    fn raw(&self) -> &[u8] {
        self.raw.bytes()
    }
}

/// The syscall source over a `.scap` capture file (plain or gzip).
///
/// ```no_run
/// use falco_inspector::ScapInspector;
/// let mut insp = ScapInspector::open("trace.scap")?;
/// while let Some(evt) = insp.next_event()? {
///     println!("{} {}", evt.num(), evt.raw().type_name());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ScapInspector {
    path: Option<PathBuf>,
    reader: Option<Reader>,
    state: State,
    offs: Vec<u32>,
    num: u64,
    schema: Arc<Schema>,
    tz: TimeZone,
}

impl std::fmt::Debug for ScapInspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScapInspector").field("path", &self.path).field("num", &self.num).finish()
    }
}

impl ScapInspector {
    /// An inspector for the capture at `path`, not opened yet (see [`Inspector::open`]).
    pub fn new(path: impl AsRef<Path>) -> ScapInspector {
        ScapInspector {
            path: Some(path.as_ref().to_path_buf()),
            reader: None,
            state: State::default(),
            offs: Vec::with_capacity(32),
            num: 0,
            schema: crate::fields::schema(),
            tz: TimeZone::Local,
        }
    }

    /// Opens the capture at `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<ScapInspector, ScapError> {
        let mut i = ScapInspector::new(path.as_ref());
        i.reader = Some(Reader::open(path)?);
        Ok(i)
    }

    /// An inspector over an already opened reader (e.g. a capture in memory).
    pub fn from_reader(reader: Reader) -> ScapInspector {
        let mut i = ScapInspector::new("");
        i.path = None;
        i.reader = Some(reader);
        i
    }

    /// Sets the time zone extractors from this inspector print `evt.time` in.
    pub fn set_time_zone(&mut self, tz: TimeZone) {
        self.tz = tz;
    }

    /// The state (threads, fds, users) as of the last event.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The next event, or `None` at the end of the capture.
    pub fn next_event(&mut self) -> Result<Option<SyscallEvent<'_>>, ScapError> {
        let Some(reader) = self.reader.as_mut() else {
            return Err(ScapError {
                kind: ScapErrorKind::Io("the capture is not open".into()),
                offset: 0,
                compressed: false,
            });
        };
        let (blk, cpu, v2, header, ev_start) = loop {
            let Some(blk) = reader.next_block()? else {
                return Ok(None);
            };
            let body = reader.body(&blk);
            if btype::is_event(blk.btype) {
                let eb = parse_event_block(blk.btype, body).map_err(|e| {
                    reader.error(
                        ScapErrorKind::Corrupt { block: "event", msg: e.msg },
                        blk.offset + 8 + e.at as u64,
                    )
                })?;
                let ev_start = blk.body.start + (body.len() - eb.event.len());
                let h = event::decode(eb.event, eb.v2, &mut self.offs).map_err(|e| {
                    reader.error(
                        ScapErrorKind::Corrupt { block: "event", msg: e.to_string() },
                        blk.offset,
                    )
                })?;
                if h.etype >= event::EVENT_TYPE_COUNT {
                    // An event type newer than our table: skipped, as libscap does.
                    continue;
                }
                self.num += 1;
                let raw = RawEvent::new(eb.event, &self.offs, h);
                self.state.process(&raw, eb.v2);
                if h.etype == codes::CONTAINER_JSON_E || h.etype == codes::CONTAINER_JSON_2_E {
                    // Consumed for container state, never shown (but counted in evt.num).
                    continue;
                }
                break (blk, eb.cpu, eb.v2, h, ev_start);
            }
            if blk.btype == btype::SHB {
                continue;
            }
            self.state.load_block(blk.btype, body).map_err(|e| {
                reader.error(
                    ScapErrorKind::Corrupt { block: block_name(blk.btype), msg: e.msg },
                    blk.offset + 8 + e.at as u64,
                )
            })?;
        };
        let _ = v2;
        let reader = self.reader.as_ref().expect("open");
        let bytes = &reader.body(&blk)[ev_start - blk.body.start..];
        let raw = RawEvent::new(bytes, &self.offs, header);
        Ok(Some(SyscallEvent::new(raw, self.num, cpu, &self.state)))
    }
}

fn block_name(bt: u32) -> &'static str {
    if btype::is_process_list(bt) {
        "process list"
    } else if matches!(bt, btype::FDL | btype::FDL_INT | btype::FDL_V2) {
        "fd list"
    } else if matches!(bt, btype::UL | btype::UL_INT | btype::UL_V2) {
        "user list"
    } else if matches!(bt, btype::IL | btype::IL_INT | btype::IL_V2) {
        "interface list"
    } else {
        "unknown"
    }
}

impl Inspector for ScapInspector {
    type Extractor = SyscallExtractor;

    fn source(&self) -> &str {
        "syscall"
    }

    fn schema(&self) -> Arc<Schema> {
        self.schema.clone()
    }

    fn open(&mut self) -> Result<(), Error> {
        if self.reader.is_none() {
            let path = self.path.clone().ok_or_else(|| Error::Source("no capture path".into()))?;
            self.reader = Some(Reader::open(path)?);
        }
        Ok(())
    }

    fn next(&mut self) -> Result<Next<SyscallEvent<'_>>, Error> {
        match self.next_event()? {
            Some(e) => Ok(Next::Event(e)),
            None => Ok(Next::Eof),
        }
    }

    fn extractor(&self) -> SyscallExtractor {
        let mut x = SyscallExtractor::new(self.schema.clone());
        x.set_time_zone(self.tz);
        x
    }

    fn close(&mut self) {
        self.reader = None;
    }
}
