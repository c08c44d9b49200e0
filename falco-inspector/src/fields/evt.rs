//! `evt.*`: the event itself (libsinsp's `sinsp_filter_check_event`).

use chrono::{DateTime, Datelike, FixedOffset, Offset, TimeZone as _, Timelike};
use falco_engine::{ArgSpec, FieldArg, FieldType as T, ValueSink};

use super::{Def, Kind, Scratch, TimeZone, def};
use crate::capture::SyscallEvent;
use crate::event::codes::*;
use crate::event::info::{cat, flags as ef};
use crate::event::render::{self, render_args, render_param};
use crate::state::EventResolver;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum F {
    Num,
    Time,
    TimeS,
    TimeIso8601,
    Datetime,
    DatetimeS,
    Rawtime,
    RawtimeS,
    RawtimeNs,
    Reltime,
    ReltimeS,
    ReltimeNs,
    Latency,
    LatencyS,
    LatencyNs,
    LatencyHuman,
    Deltatime,
    DeltatimeS,
    DeltatimeNs,
    Dir,
    Type,
    TypeIs,
    SyscallType,
    Category,
    Cpu,
    Args,
    Arg,
    RawArg,
    Info,
    Buffer,
    Buflen,
    Res,
    Rawres,
    Failed,
    IsIo,
    IsIoRead,
    IsIoWrite,
    IoDir,
    IsWait,
    WaitLatency,
    IsSyslog,
    Count,
    CountError,
    CountExit,
    Around,
    Abspath,
    IsOpenRead,
    IsOpenWrite,
    IsOpenExec,
    IsOpenCreate,
    Source,
    IsAsync,
    AsyncType,
    Hostname,
}

pub(crate) fn defs() -> Vec<Def> {
    use F::*;
    let e = Kind::Evt;
    vec![
        def("evt.num", T::U64, "event number", e(Num)),
        def("evt.time", T::AbsTime, "event timestamp as a time string with nanoseconds", e(Time)),
        def(
            "evt.time.s",
            T::AbsTime,
            "event timestamp as a time string with no nanoseconds",
            e(TimeS),
        ),
        def(
            "evt.time.iso8601",
            T::AbsTime,
            "event timestamp in ISO 8601 format (UTC)",
            e(TimeIso8601),
        ),
        def("evt.datetime", T::AbsTime, "event timestamp as a date and time string", e(Datetime)),
        def(
            "evt.datetime.s",
            T::AbsTime,
            "event timestamp as a date and time string, no nanoseconds",
            e(DatetimeS),
        ),
        def(
            "evt.rawtime",
            T::AbsTime,
            "absolute event timestamp, nanoseconds from epoch",
            e(Rawtime),
        ),
        def("evt.rawtime.s", T::AbsTime, "integer part of the event timestamp", e(RawtimeS)),
        def("evt.rawtime.ns", T::AbsTime, "fractional part of the event timestamp", e(RawtimeNs)),
        def("evt.reltime", T::RelTime, "time since the first event, in nanoseconds", e(Reltime)),
        def("evt.reltime.s", T::RelTime, "integer part of the relative time", e(ReltimeS)),
        def("evt.reltime.ns", T::RelTime, "fractional part of the relative time", e(ReltimeNs)),
        def(
            "evt.latency",
            T::RelTime,
            "delta between an exit event and its enter event, in nanoseconds",
            e(Latency),
        ),
        def("evt.latency.s", T::RelTime, "integer part of the latency", e(LatencyS)),
        def("evt.latency.ns", T::RelTime, "fractional part of the latency", e(LatencyNs)),
        def("evt.latency.human", T::CharBuf, "latency as a human readable string", e(LatencyHuman)),
        def(
            "evt.deltatime",
            T::RelTime,
            "delta from the previous event, in nanoseconds",
            e(Deltatime),
        ),
        def("evt.deltatime.s", T::RelTime, "integer part of the delta", e(DeltatimeS)),
        def("evt.deltatime.ns", T::RelTime, "fractional part of the delta", e(DeltatimeNs)),
        def("evt.dir", T::CharBuf, "'>' for enter events, '<' for exit events", e(Dir)),
        def("evt.type", T::CharBuf, "the name of the event (e.g. 'open')", e(Type)),
        def("evt.type.is", T::U32, "1 for events of the type given as argument", e(TypeIs))
            .arg(ArgSpec::REQUIRED_KEY),
        def(
            "syscall.type",
            T::CharBuf,
            "for system call events, the name of the system call",
            e(SyscallType),
        ),
        def("evt.category", T::CharBuf, "the event category (file, net, process...)", e(Category)),
        def("evt.cpu", T::I16, "number of the CPU where the event happened", e(Cpu)),
        def("evt.args", T::CharBuf, "all the event arguments, in one string", e(Args)),
        def(
            "evt.arg",
            T::CharBuf,
            "one event argument by name or number (evt.arg.fd, evt.arg[0])",
            e(Arg),
        )
        .arg(ArgSpec::REQUIRED_INDEX_OR_KEY),
        def("evt.rawarg", T::Dynamic, "one event argument by name, unresolved", e(RawArg))
            .arg(ArgSpec::REQUIRED_KEY),
        def("evt.info", T::CharBuf, "for most events the same as evt.args", e(Info)),
        def("evt.buffer", T::ByteBuf, "the data buffer of I/O events", e(Buffer)),
        def("evt.buflen", T::U64, "the length of the data buffer of I/O events", e(Buflen)),
        def(
            "evt.res",
            T::CharBuf,
            "the return value as a string: SUCCESS or an error code",
            e(Res),
        ),
        def("evt.rawres", T::I64, "the return value as a number", e(Rawres)),
        def("evt.failed", T::Bool, "true for events that returned an error", e(Failed)),
        def("evt.is_io", T::Bool, "true for events that read or write fds", e(IsIo)),
        def("evt.is_io_read", T::Bool, "true for events that read from fds", e(IsIoRead)),
        def("evt.is_io_write", T::Bool, "true for events that write to fds", e(IsIoWrite)),
        def("evt.io_dir", T::CharBuf, "'read' or 'write' for I/O events", e(IoDir)),
        def("evt.is_wait", T::Bool, "true for events that make the thread wait", e(IsWait)),
        def(
            "evt.wait_latency",
            T::RelTime,
            "time spent waiting, for waiting events",
            e(WaitLatency),
        ),
        def("evt.is_syslog", T::Bool, "true for writes to /dev/log", e(IsSyslog)),
        def("evt.count", T::U32, "always 1", e(Count)),
        def("evt.count.error", T::U32, "1 for events that returned an error", e(CountError)),
        def("evt.count.exit", T::U32, "1 for exit events", e(CountExit)),
        def("evt.around", T::U64, "accepts events around a time (filter only)", e(Around))
            .arg(ArgSpec::REQUIRED_INDEX)
            .filter_only(),
        def(
            "evt.abspath",
            T::CharBuf,
            "absolute path from dirfd and name (evt.abspath.src/.dst)",
            e(Abspath),
        )
        .arg(ArgSpec::OPTIONAL_KEY),
        def("evt.is_open_read", T::Bool, "true for opens for reading", e(IsOpenRead)),
        def("evt.is_open_write", T::Bool, "true for opens for writing", e(IsOpenWrite)),
        def(
            "evt.is_open_exec",
            T::Bool,
            "true for opens creating an executable file",
            e(IsOpenExec),
        ),
        def("evt.is_open_create", T::Bool, "true for opens that created the file", e(IsOpenCreate)),
        def("evt.source", T::CharBuf, "the event source: syscall", e(Source)),
        def("evt.is_async", T::Bool, "true for asynchronous events", e(IsAsync)),
        def(
            "evt.asynctype",
            T::CharBuf,
            "if the event is asynchronous, the type of the event (e.g. 'container')",
            e(AsyncType),
        ),
        def(
            "evt.hostname",
            T::CharBuf,
            "the host name of the capture (not recorded: no value)",
            e(Hostname),
        ),
    ]
}

/// The event's name as `evt.type` shows it: for an async event (`PPME_ASYNCEVENT_E`), the
/// name it carries (libsinsp makes `evt.type` an alias of `evt.asynctype` there).
fn type_name<'a>(raw: &crate::event::RawEvent<'a>) -> &'a [u8] {
    if raw.etype() == ASYNCEVENT_E {
        if let Some(name) = raw.param_str(1) {
            return name;
        }
    }
    raw.type_name().as_bytes()
}

fn res_param(evt: &SyscallEvent<'_>) -> Option<usize> {
    let raw = evt.raw();
    if let Some(i) = raw.param_index("res") {
        return Some(i);
    }
    if raw.flags() & ef::CREATES_FD != 0 && !raw.is_enter() {
        return raw.param_index("fd");
    }
    None
}

fn resolver<'a>(evt: &SyscallEvent<'a>) -> EventResolver<'a> {
    EventResolver { state: evt.state(), thread: evt.thread(), fd: evt.fd() }
}

pub(crate) fn extract(
    f: F,
    evt: &SyscallEvent<'_>,
    arg: &FieldArg,
    out: &mut ValueSink<'_>,
    sc: &mut Scratch,
) {
    use F::*;
    let raw = evt.raw();
    let ts = raw.ts();
    let flags = raw.flags();
    let state = evt.state();
    match f {
        Num => out.push_u64(evt.num()),
        Time | TimeS | TimeIso8601 | Datetime | DatetimeS | Rawtime => out.push_u64(ts),
        RawtimeS => out.push_u64(ts / 1_000_000_000),
        RawtimeNs => out.push_u64(ts % 1_000_000_000),
        Reltime => out.push_u64(ts.saturating_sub(state.first_ts)),
        ReltimeS => out.push_u64(ts.saturating_sub(state.first_ts) / 1_000_000_000),
        ReltimeNs => out.push_u64(ts.saturating_sub(state.first_ts) % 1_000_000_000),
        Latency | LatencyS | LatencyNs | LatencyHuman => {
            let Some(t) = evt.thread() else { return };
            if raw.category() & cat::INTERNAL != 0 {
                return;
            }
            let lat = t.parse.latency;
            match f {
                Latency => out.push_u64(lat),
                LatencyS => out.push_u64(lat / 1_000_000_000),
                LatencyNs => out.push_u64(lat % 1_000_000_000),
                _ => out.push_str_with(|w| {
                    use std::fmt::Write;
                    let _ = if lat >= 1_000_000_000 {
                        write!(w, "{:.2}s", lat as f64 / 1e9)
                    } else if lat >= 1_000_000 {
                        write!(w, "{:.2}ms", lat as f64 / 1e6)
                    } else if lat >= 1000 {
                        write!(w, "{:.2}us", lat as f64 / 1e3)
                    } else {
                        write!(w, "{lat}ns")
                    };
                }),
            }
        }
        Deltatime => out.push_u64(ts.saturating_sub(state.prev_ts)),
        DeltatimeS => out.push_u64(ts.saturating_sub(state.prev_ts) / 1_000_000_000),
        DeltatimeNs => out.push_u64(ts.saturating_sub(state.prev_ts) % 1_000_000_000),
        Dir => out.push_str(if raw.is_enter() { ">" } else { "<" }),
        Type => out.push_bytes(type_name(raw)),
        TypeIs => {
            if let FieldArg::Key(name) = arg {
                out.push_u64((type_name(raw) == name.as_bytes()) as u64);
            }
        }
        SyscallType => {
            if raw.etype() == SCHEDSWITCH_6_E
                || raw.category() & cat::INTERNAL != 0
                || flags & ef::SKIPPARSERESET != 0
            {
                return;
            }
            out.push_str(raw.type_name());
        }
        Category => out.push_str(category_name(evt)),
        Cpu => out.push_i64(evt.cpu() as i16 as i64),
        Args | Info => {
            let r = resolver(evt);
            sc.a.clear();
            render_args(raw, &r, &mut sc.a);
            out.push_bytes(&sc.a);
        }
        Arg => {
            let idx = match arg {
                FieldArg::Index(n) => Some(*n as usize),
                FieldArg::Key(k) => raw.param_index(k),
                FieldArg::None => None,
            };
            let Some(i) = idx else { return };
            let r = resolver(evt);
            if render_param(raw, i, &r, &mut sc.a, &mut sc.b) {
                out.push_bytes(if sc.b.is_empty() { &sc.a } else { &sc.b });
            }
        }
        RawArg => {
            let FieldArg::Key(k) = arg else { return };
            let Some(i) = raw.param_index(k) else { return };
            let r = render::NoState;
            if render_param(raw, i, &r, &mut sc.a, &mut sc.b) {
                out.push_bytes(&sc.a);
            }
        }
        Buffer => {
            if let Some(i) = raw.param_index("data") {
                if let Some(b) = raw.param(i) {
                    out.push_bytes(b);
                }
            }
        }
        Buflen => {
            if evt.ctx().fd.is_some() && raw.category() & cat::IO_BASE != 0 && !raw.is_enter() {
                if let Some(res) = raw.param_i64(0) {
                    if res >= 0 {
                        out.push_u64(res as u64);
                    }
                }
            }
        }
        Res => {
            let Some(i) = res_param(evt) else { return };
            let Some(v) = raw.param_i64(i) else { return };
            if v >= 0 {
                out.push_str("SUCCESS");
            } else {
                match render::errno_name(v) {
                    Some(name) => out.push_str(name),
                    None => out.push_str_with(|w| {
                        use std::fmt::Write;
                        let _ = write!(w, "{v}");
                    }),
                }
            }
        }
        Rawres => {
            if let Some(v) = res_param(evt).and_then(|i| raw.param_i64(i)) {
                out.push_i64(v);
            }
        }
        Failed => {
            let v = res_param(evt).and_then(|i| raw.param_i64(i)).is_some_and(|v| v < 0);
            out.push_bool(v);
        }
        IsIo => out.push_bool(flags & (ef::READS_FROM_FD | ef::WRITES_TO_FD) != 0),
        IsIoRead => out.push_bool(flags & ef::READS_FROM_FD != 0),
        IsIoWrite => out.push_bool(flags & ef::WRITES_TO_FD != 0),
        IoDir => {
            if flags & ef::WRITES_TO_FD != 0 {
                out.push_str("write")
            } else if flags & ef::READS_FROM_FD != 0 {
                out.push_str("read")
            }
        }
        IsWait => out.push_bool(flags & ef::WAITS != 0),
        WaitLatency => {
            if flags & ef::WAITS != 0 && !raw.is_enter() {
                out.push_u64(evt.thread().map_or(0, |t| t.parse.latency));
            }
        }
        IsSyslog => {
            let v = flags & ef::WRITES_TO_FD != 0
                && evt.fd().is_some_and(|f| f.name.windows(8).any(|w| w == b"/dev/log"));
            out.push_bool(v);
        }
        Count => out.push_u64(1),
        CountError => {
            let v = res_param(evt).and_then(|i| raw.param_i64(i)).is_some_and(|v| v < 0);
            out.push_u64(v as u64);
        }
        CountExit => out.push_u64(!raw.is_enter() as u64),
        Around => {}
        Abspath => abspath(evt, arg, out, sc),
        IsOpenRead | IsOpenWrite | IsOpenExec | IsOpenCreate => out.push_bool(is_open(f, evt)),
        Source => out.push_str("syscall"),
        IsAsync => out.push_bool(raw.category() & cat::METAEVENT != 0),
        AsyncType => {
            if raw.category() & cat::METAEVENT != 0 {
                out.push_bytes(type_name(raw));
            }
        }
        Hostname => {}
    }
}

fn is_open(f: F, evt: &SyscallEvent<'_>) -> bool {
    const PPM_O_RDONLY: u32 = 1;
    const PPM_O_WRONLY: u32 = 2;
    const PPM_O_CREAT: u32 = 1 << 2;
    const PPM_O_TMPFILE: u32 = 1 << 13;
    const PPM_O_F_CREATED: u32 = 1 << 14;
    const EXEC_MASK: u32 = 0o111;
    let raw = evt.raw();
    let etype = raw.etype();
    // libsinsp reads the flags of OPEN_X, OPENAT_E (sic), OPENAT_2_X and OPENAT2_X.
    if matches!(etype, SYSCALL_OPEN_X | SYSCALL_OPENAT_E | SYSCALL_OPENAT_2_X | SYSCALL_OPENAT2_X) {
        let newer = matches!(etype, SYSCALL_OPENAT_2_X | SYSCALL_OPENAT2_X);
        let Some(flags) = raw.param_u64(if newer { 3 } else { 2 }) else {
            return false;
        };
        let flags = flags as u32;
        return match f {
            F::IsOpenRead => flags & PPM_O_RDONLY != 0,
            F::IsOpenWrite => flags & PPM_O_WRONLY != 0,
            F::IsOpenCreate => flags & PPM_O_F_CREATED != 0,
            _ => {
                flags & (PPM_O_TMPFILE | PPM_O_CREAT) != 0
                    && raw
                        .param_u64(if newer { 4 } else { 3 })
                        .is_some_and(|m| m as u32 & EXEC_MASK != 0)
            }
        };
    }
    if etype == SYSCALL_CREAT_X {
        return match f {
            F::IsOpenExec => raw.param_u64(2).is_some_and(|m| m as u32 & EXEC_MASK != 0),
            F::IsOpenCreate => raw.param_u64(2).is_some(),
            _ => false,
        };
    }
    false
}

/// `evt.abspath`: the absolute path of a `*at` syscall's name relative to its dirfd.
fn abspath(evt: &SyscallEvent<'_>, arg: &FieldArg, out: &mut ValueSink<'_>, sc: &mut Scratch) {
    let raw = evt.raw();
    let dst = matches!(arg, FieldArg::Key(k) if &**k == "dst");
    let (dirfd_name, path_name) = match raw.etype() {
        SYSCALL_UNLINKAT_2_X | SYSCALL_MKDIRAT_X | SYSCALL_FCHMODAT_X | SYSCALL_FCHOWNAT_X => {
            ("dirfd", "name")
        }
        SYSCALL_RENAMEAT_X | SYSCALL_RENAMEAT2_X | SYSCALL_LINKAT_2_X => {
            if dst {
                ("newdirfd", "newpath")
            } else {
                ("olddirfd", "oldpath")
            }
        }
        SYSCALL_SYMLINKAT_X => ("linkdirfd", "linkpath"),
        SYSCALL_MKNODAT_X => ("dirfd", "path"),
        _ => return,
    };
    let (Some(di), Some(pi)) = (raw.param_index(dirfd_name), raw.param_index(path_name)) else {
        return;
    };
    let (Some(dirfd), Some(path)) = (raw.param_i64(di), raw.param_str(pi)) else {
        return;
    };
    let Some(t) = evt.thread() else { return };
    let state = evt.state();
    sc.b.clear();
    if !crate::state::push_base_dir(
        &state.threads,
        state.fd_table(t.pid),
        t,
        Some(dirfd),
        &mut sc.b,
    ) {
        return;
    }
    crate::path::concatenate(&mut sc.a, &sc.b, path);
    out.push_bytes(&sc.a);
}

fn category_name(evt: &SyscallEvent<'_>) -> &'static str {
    let raw = evt.raw();
    let c = raw.category() & cat::MASK;
    match c {
        cat::UNKNOWN => "unknown",
        cat::OTHER => "other",
        cat::FILE => "file",
        cat::NET => "net",
        cat::IPC => "IPC",
        cat::MEMORY => "memory",
        cat::PROCESS => "process",
        cat::SLEEP => "sleep",
        cat::SYSTEM => "system",
        cat::SIGNAL => "signal",
        cat::USER => "user",
        cat::TIME => "time",
        cat::PROCESSING => "processing",
        cat::IO_READ | cat::IO_WRITE | cat::IO_OTHER => {
            if raw.generic_syscall().is_some() {
                return "unknown";
            }
            use crate::state::FdType::*;
            match evt.fd().map(|f| f.ftype) {
                Some(File | FileV2 | Directory) => "file",
                Some(Ipv4Sock | Ipv6Sock | Ipv4ServSock | Ipv6ServSock) => "net",
                Some(Fifo | UnixSock | Event | SignalFd | Inotify) => "ipc",
                _ => "unknown",
            }
        }
        cat::WAIT => "wait",
        cat::SCHEDULER => "scheduler",
        _ => "unknown",
    }
}

/// The UTC offset of `tz` at `secs`.
fn offset(tz: TimeZone, secs: i64) -> FixedOffset {
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    match tz {
        TimeZone::Utc => utc,
        TimeZone::Fixed(s) => FixedOffset::east_opt(s).unwrap_or(utc),
        TimeZone::Local => {
            chrono::Local.timestamp_opt(secs, 0).single().map(|d| d.offset().fix()).unwrap_or(utc)
        }
    }
}

fn datetime(ts: u64, tz: TimeZone) -> Option<DateTime<FixedOffset>> {
    let secs = (ts / 1_000_000_000) as i64;
    let ns = (ts % 1_000_000_000) as u32;
    Some(DateTime::from_timestamp(secs, ns)?.with_timezone(&offset(tz, secs)))
}

/// The text rendering of time fields (libsinsp prints times, not numbers); `None` for fields
/// rendered from their value.
pub(crate) fn render_text(
    f: F,
    evt: &SyscallEvent<'_>,
    tz: TimeZone,
    out: &mut String,
) -> Option<bool> {
    use std::fmt::Write;
    let ts = evt.raw().ts();
    let ns = ts % 1_000_000_000;
    let r = match f {
        F::Time | F::TimeS | F::Datetime | F::DatetimeS | F::TimeIso8601 => {
            let tz = if f == F::TimeIso8601 { TimeZone::Utc } else { tz };
            let Some(d) = datetime(ts, tz) else {
                return Some(false);
            };
            let (h, m, s) = (d.hour(), d.minute(), d.second());
            let (y, mo, da) = (d.year(), d.month(), d.day());
            match f {
                F::Time => write!(out, "{h:02}:{m:02}:{s:02}.{ns:09}"),
                F::TimeS => write!(out, "{h:02}:{m:02}:{s:02}"),
                F::Datetime => write!(out, "{y:04}-{mo:02}-{da:02} {h:02}:{m:02}:{s:02}.{ns:09}"),
                F::DatetimeS => write!(out, "{y:04}-{mo:02}-{da:02} {h:02}:{m:02}:{s:02}"),
                _ => write!(out, "{y:04}-{mo:02}-{da:02}T{h:02}:{m:02}:{s:02}.{ns:09}+0000"),
            }
        }
        // libsinsp prints these with PF_10_PADDED_DEC (`%09`).
        F::Reltime | F::ReltimeNs | F::RawtimeNs | F::LatencyNs | F::DeltatimeNs => {
            let state = evt.state();
            let v = match f {
                F::Reltime => ts.saturating_sub(state.first_ts),
                F::ReltimeNs => ts.saturating_sub(state.first_ts) % 1_000_000_000,
                F::RawtimeNs => ns,
                F::DeltatimeNs => ts.saturating_sub(state.prev_ts) % 1_000_000_000,
                _ => match evt.thread() {
                    Some(t) if evt.raw().category() & cat::INTERNAL == 0 => {
                        t.parse.latency % 1_000_000_000
                    }
                    _ => return Some(false),
                },
            };
            write!(out, "{v:09}")
        }
        _ => return None,
    };
    Some(r.is_ok())
}
