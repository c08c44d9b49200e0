//! `thread.*`: the event's thread itself (libsinsp's `sinsp_filter_check_thread`, thread
//! half).

use falco_engine::{ArgSpec, FieldArg, FieldType as T, ValueSink};

use super::{Def, Kind, Scratch, def};
use crate::capture::SyscallEvent;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum F {
    Tid,
    Ismain,
    Vtid,
    Cgroups,
    Cgroup,
    Pfmajor,
    Pfminor,
    Vmsize,
    Vmrss,
    CapPermitted,
    CapInheritable,
    CapEffective,
    Nametid,
}

pub(crate) fn defs() -> Vec<Def> {
    use F::*;
    let k = Kind::Thread;
    vec![
        def("thread.tid", T::I64, "the id of the thread", k(Tid)),
        def("thread.ismain", T::Bool, "true for the main thread of its process", k(Ismain)),
        def("thread.vtid", T::I64, "the thread id as seen from its pid namespace", k(Vtid)),
        def("thread.cgroups", T::CharBuf, "all the cgroups of the thread", k(Cgroups)),
        def("thread.cgroup", T::CharBuf, "the cgroup of the thread for a subsystem", k(Cgroup))
            .arg(ArgSpec::REQUIRED_KEY),
        def("thread.pfmajor", T::U64, "major page faults", k(Pfmajor)),
        def("thread.pfminor", T::U64, "minor page faults", k(Pfminor)),
        def(
            "thread.vmsize",
            T::U64,
            "virtual memory of the main thread (kb), 0 for others",
            k(Vmsize),
        ),
        def(
            "thread.vmrss",
            T::U64,
            "resident memory of the main thread (kb), 0 for others",
            k(Vmrss),
        ),
        def("thread.cap_permitted", T::CharBuf, "permitted capabilities", k(CapPermitted)),
        def("thread.cap_inheritable", T::CharBuf, "inheritable capabilities", k(CapInheritable)),
        def("thread.cap_effective", T::CharBuf, "effective capabilities", k(CapEffective)),
        def("thread.nametid", T::CharBuf, "process name plus thread id", k(Nametid)),
    ]
}

/// Linux capability names by bit, as libsinsp prints them (`CAP_CHOWN CAP_KILL ...`).
const CAPS: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

fn push_caps(out: &mut ValueSink<'_>, caps: u64) {
    out.push_str_with(|w| {
        let mut first = true;
        for (bit, name) in CAPS.iter().enumerate() {
            if caps & (1 << bit) != 0 {
                if !first {
                    w.push(b' ');
                }
                w.extend(name.as_bytes());
                first = false;
            }
        }
    });
}

pub(crate) fn extract(
    f: F,
    evt: &SyscallEvent<'_>,
    arg: &FieldArg,
    out: &mut ValueSink<'_>,
    _sc: &mut Scratch,
) {
    use F::*;
    if f == Tid {
        out.push_i64(evt.raw().tid());
        return;
    }
    let Some(t) = evt.thread() else { return };
    match f {
        Tid => {}
        Ismain => out.push_bool(t.is_main_thread()),
        Vtid => {
            if t.vtid != -1 {
                out.push_i64(t.vtid)
            }
        }
        Cgroups => {
            if t.cgroups.is_empty() {
                return;
            }
            out.push_str_with(|w| {
                for (i, (k, v)) in t.cgroups.iter().enumerate() {
                    if i > 0 {
                        w.push(b' ');
                    }
                    w.extend(k);
                    w.push(b'=');
                    w.extend(v);
                }
            });
        }
        Cgroup => {
            let FieldArg::Key(k) = arg else { return };
            if let Some((_, v)) = t.cgroups.iter().find(|(s, _)| s == k.as_bytes()) {
                out.push_bytes(v);
            }
        }
        Pfmajor => out.push_u64(t.pfmajor),
        Pfminor => out.push_u64(t.pfminor),
        Vmsize => out.push_u64(if t.is_main_thread() { t.vmsize_kb as u64 } else { 0 }),
        Vmrss => out.push_u64(if t.is_main_thread() { t.vmrss_kb as u64 } else { 0 }),
        CapPermitted => push_caps(out, t.cap_permitted),
        CapInheritable => push_caps(out, t.cap_inheritable),
        CapEffective => push_caps(out, t.cap_effective),
        Nametid => out.push_str_with(|w| {
            use std::fmt::Write;
            w.extend(&t.comm);
            let _ = write!(w, "{}", evt.raw().tid());
        }),
    }
}
