//! `proc.*`: the process of the event's thread and its ancestors (libsinsp's
//! `sinsp_filter_check_thread`, process half).

use falco_engine::{ArgSpec, FieldArg, FieldType as T, Multiplicity, ValueSink};

use super::{Def, Kind, Scratch, def, index_arg};
use crate::capture::SyscallEvent;
use crate::state::ThreadInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum F {
    Pid,
    Exe,
    Name,
    Args,
    Env,
    Cmdline,
    Exeline,
    Cwd,
    Nthreads,
    Nchilds,
    Ppid,
    Pname,
    Pcmdline,
    Apid,
    Aname,
    Loginshellid,
    Duration,
    Fdopencount,
    Fdlimit,
    Fdusage,
    Vmsize,
    Vmrss,
    Vmswap,
    Vpid,
    Sid,
    Sname,
    Tty,
    Exepath,
    Vpgid,
    Pgid,
    IsExeWritable,
    IsExeUpperLayer,
    IsExeFromMemfd,
    ExeIno,
    ExeInoCtime,
    ExeInoMtime,
    ExeInoCtimeDurationProcStart,
    ExeInoCtimeDurationPidnsStart,
    Pexe,
    Pexepath,
    Aexe,
    Aexepath,
    Pvpid,
    IsSessionLeader,
    IsVpgidLeader,
    PidnsInitStartTs,
    IsContainerHealthcheck,
    IsContainerLivenessProbe,
    IsContainerReadinessProbe,
}

pub(crate) fn defs() -> Vec<Def> {
    use F::*;
    let p = Kind::Proc;
    let any = |d: Def| d.arg(ArgSpec::OPTIONAL_INDEX).mult(Multiplicity::Any).no_rhs();
    vec![
        def("proc.pid", T::I64, "the id of the process", p(Pid)),
        def("proc.exe", T::CharBuf, "the first command line argument (argv[0])", p(Exe)),
        def("proc.name", T::CharBuf, "the name of the executable (comm)", p(Name)),
        def(
            "proc.args",
            T::CharBuf,
            "the arguments, space separated; proc.args[N]: the Nth, from 0",
            p(Args),
        )
        .arg(ArgSpec::OPTIONAL_INDEX),
        def("proc.env", T::CharBuf, "the environment variables, space separated", p(Env))
            .arg(ArgSpec::OPTIONAL_KEY),
        def("proc.cmdline", T::CharBuf, "name plus arguments", p(Cmdline)),
        def("proc.exeline", T::CharBuf, "exe plus arguments", p(Exeline)),
        def("proc.cwd", T::CharBuf, "the current working directory", p(Cwd)),
        def("proc.nthreads", T::U32, "number of threads of the process", p(Nthreads)),
        def(
            "proc.nchilds",
            T::U32,
            "number of threads of the process besides the main one",
            p(Nchilds),
        ),
        def("proc.ppid", T::I64, "the pid of the parent process", p(Ppid)),
        def("proc.pname", T::CharBuf, "the name of the parent process", p(Pname)),
        def("proc.pcmdline", T::CharBuf, "the command line of the parent process", p(Pcmdline)),
        any(def(
            "proc.apid",
            T::I64,
            "the pid of an ancestor: proc.apid[1] is the parent; without index, any ancestor",
            p(Apid),
        )),
        any(def(
            "proc.aname",
            T::CharBuf,
            "the name of an ancestor: proc.aname[1] is the parent; without index, any ancestor",
            p(Aname),
        )),
        def(
            "proc.loginshellid",
            T::I64,
            "the pid of the oldest shell among the ancestors",
            p(Loginshellid),
        ),
        def("proc.duration", T::RelTime, "nanoseconds since the process started", p(Duration)),
        def("proc.fdopencount", T::U64, "number of open fds of the process", p(Fdopencount)),
        def("proc.fdlimit", T::I64, "maximum number of fds of the process", p(Fdlimit)),
        def("proc.fdusage", T::Double, "open fds as a percentage of the limit", p(Fdusage)),
        def("proc.vmsize", T::U64, "total virtual memory (kb)", p(Vmsize)),
        def("proc.vmrss", T::U64, "resident memory (kb)", p(Vmrss)),
        def("proc.vmswap", T::U64, "swapped memory (kb)", p(Vmswap)),
        def("proc.vpid", T::I64, "the pid as seen from its pid namespace", p(Vpid)),
        def("proc.sid", T::I64, "the session id", p(Sid)),
        def("proc.sname", T::CharBuf, "the name of the session leader", p(Sname)),
        def("proc.tty", T::U32, "the controlling terminal (0 if none)", p(Tty)),
        def("proc.exepath", T::CharBuf, "the full path of the executable", p(Exepath)),
        def("proc.vpgid", T::I64, "the process group id, as seen from its pid namespace", p(Vpgid)),
        def("proc.pgid", T::I64, "the process group id", p(Pgid)),
        def(
            "proc.is_exe_writable",
            T::Bool,
            "true if the executable is writable by the process",
            p(IsExeWritable),
        ),
        def(
            "proc.is_exe_upper_layer",
            T::Bool,
            "true if the executable is in an overlayfs upper layer",
            p(IsExeUpperLayer),
        ),
        def(
            "proc.is_exe_from_memfd",
            T::Bool,
            "true if the executable is a memfd",
            p(IsExeFromMemfd),
        ),
        def("proc.exe_ino", T::I64, "the inode of the executable", p(ExeIno)),
        def(
            "proc.exe_ino.ctime",
            T::AbsTime,
            "the last status change time of the executable",
            p(ExeInoCtime),
        ),
        def(
            "proc.exe_ino.mtime",
            T::AbsTime,
            "the last modification time of the executable",
            p(ExeInoMtime),
        ),
        def(
            "proc.exe_ino.ctime_duration_proc_start",
            T::AbsTime,
            "executable ctime to process start",
            p(ExeInoCtimeDurationProcStart),
        ),
        def(
            "proc.exe_ino.ctime_duration_pidns_start",
            T::RelTime,
            "executable ctime to pid namespace start",
            p(ExeInoCtimeDurationPidnsStart),
        ),
        def("proc.pexe", T::CharBuf, "the exe of the parent process", p(Pexe)),
        def("proc.pexepath", T::CharBuf, "the exe path of the parent process", p(Pexepath)),
        any(def("proc.aexe", T::CharBuf, "the exe of an ancestor", p(Aexe))),
        any(def("proc.aexepath", T::CharBuf, "the exe path of an ancestor", p(Aexepath))),
        def("proc.pvpid", T::I64, "the parent's pid as seen from its pid namespace", p(Pvpid)),
        def(
            "proc.is_sid_leader",
            T::Bool,
            "true if the process is its session leader",
            p(IsSessionLeader),
        ),
        def(
            "proc.is_vpgid_leader",
            T::Bool,
            "true if the process is its group leader",
            p(IsVpgidLeader),
        ),
        def(
            "proc.pidns_init_start_ts",
            T::U64,
            "start time of the pid namespace's init",
            p(PidnsInitStartTs),
        ),
        def(
            "proc.is_container_healthcheck",
            T::Bool,
            "true for container health checks",
            p(IsContainerHealthcheck),
        ),
        def(
            "proc.is_container_liveness_probe",
            T::Bool,
            "true for container liveness probes",
            p(IsContainerLivenessProbe),
        ),
        def(
            "proc.is_container_readiness_probe",
            T::Bool,
            "true for container readiness probes",
            p(IsContainerReadinessProbe),
        ),
    ]
}

pub(crate) fn push_joined(out: &mut ValueSink<'_>, head: &[u8], args: &[Vec<u8>]) {
    out.push_str_with(|w| {
        w.extend(head);
        for (i, a) in args.iter().enumerate() {
            if i > 0 || !head.is_empty() {
                w.push(b' ');
            }
            w.extend(a);
        }
    });
}

/// The `n`-th ancestor process (0: the process itself) of the event's thread.
fn ancestor<'a>(evt: &SyscallEvent<'a>, n: u64) -> Option<&'a ThreadInfo> {
    let t = evt.thread()?;
    let threads = &evt.state().threads;
    let mut mt = threads.main_thread(t)?;
    for _ in 0..n {
        mt = threads.parent(mt)?;
    }
    Some(mt)
}

pub(crate) fn extract(
    f: F,
    evt: &SyscallEvent<'_>,
    arg: &FieldArg,
    out: &mut ValueSink<'_>,
    _sc: &mut Scratch,
) {
    use F::*;
    let Some(t) = evt.thread() else { return };
    let state = evt.state();
    let threads = &state.threads;
    match f {
        Pid => out.push_i64(t.pid),
        Exe => out.push_bytes(&t.exe),
        Name => out.push_bytes(&t.comm),
        Args => match arg {
            FieldArg::Index(n) => {
                out.push_bytes(t.args.get(*n as usize).map_or(&[][..], |a| a.as_slice()))
            }
            _ => push_joined(out, b"", &t.args),
        },
        // The environment is the process's (the main thread's).
        Env => match arg {
            FieldArg::Key(k) => {
                let key = k.as_bytes();
                let env = &threads.main_thread(t).unwrap_or(t).env;
                for e in env {
                    if e.len() > key.len() && e.starts_with(key) && e[key.len()] == b'=' {
                        out.push_bytes(&e[key.len() + 1..]);
                        return;
                    }
                }
            }
            _ => push_joined(out, b"", &threads.main_thread(t).unwrap_or(t).env),
        },
        Cmdline => push_joined(out, &t.comm, &t.args),
        Exeline => {
            out.push_str_with(|w| {
                w.extend(&t.exe);
                w.push(b' ');
                for (i, a) in t.args.iter().enumerate() {
                    if i > 0 {
                        w.push(b' ');
                    }
                    w.extend(a);
                }
            });
        }
        Cwd => out.push_bytes(threads.cwd(t)),
        Nthreads => {
            if let Some(m) = threads.main_thread(t) {
                out.push_u64(m.nchilds + 1);
            }
        }
        Nchilds => out.push_u64(t.nchilds),
        Ppid => {
            if let Some(m) = threads.main_thread(t) {
                out.push_i64(m.ptid);
            }
        }
        Pname | Pcmdline | Pexe | Pexepath | Pvpid => {
            let Some(p) = threads.get(t.ptid) else { return };
            match f {
                Pname => out.push_bytes(&p.comm),
                Pcmdline => push_joined(out, &p.comm, &p.args),
                Pexe => out.push_bytes(&p.exe),
                Pexepath => out.push_bytes(&p.exepath),
                _ => {
                    if p.vpid != -1 {
                        out.push_i64(p.vpid)
                    }
                }
            }
        }
        Apid | Aname | Aexe | Aexepath => {
            let push = |out: &mut ValueSink<'_>, a: &ThreadInfo| match f {
                Apid => out.push_i64(a.pid),
                Aname => out.push_bytes(&a.comm),
                Aexe => out.push_bytes(&a.exe),
                _ => out.push_bytes(&a.exepath),
            };
            match arg {
                FieldArg::None => {
                    // Every ancestor: the comparison holds if it holds for any.
                    let Some(mt) = threads.main_thread(t) else {
                        return;
                    };
                    threads.for_each_ancestor(mt, |a| {
                        push(out, a);
                        true
                    });
                }
                _ => {
                    let Some(n) = index_arg(arg, 0) else { return };
                    if let Some(a) = ancestor(evt, n) {
                        push(out, a);
                    }
                }
            }
        }
        Loginshellid => {
            let Some(mt) = threads.main_thread(t) else {
                return;
            };
            let is_shell = |x: &ThreadInfo| x.comm.ends_with(b"sh");
            let mut res = is_shell(mt).then_some(mt.pid);
            threads.for_each_ancestor(mt, |a| {
                if is_shell(a) {
                    res = Some(a.pid);
                }
                true
            });
            if let Some(pid) = res {
                out.push_i64(pid);
            }
        }
        Duration => {
            if t.clone_ts != 0 {
                out.push_u64(evt.raw().ts().wrapping_sub(t.clone_ts));
            }
        }
        Fdopencount => {
            if let Some(tbl) = state.fd_table(t.pid) {
                out.push_u64(tbl.len() as u64);
            } else {
                out.push_u64(0);
            }
        }
        Fdlimit => out.push_i64(t.fdlimit),
        Fdusage => {
            let open = state.fd_table(t.pid).map_or(0, |f| f.len());
            if t.fdlimit > 0 {
                out.push_double(open as f64 * 100.0 / t.fdlimit as f64);
            }
        }
        Vmsize => out.push_u64(t.vmsize_kb as u64),
        Vmrss => out.push_u64(t.vmrss_kb as u64),
        Vmswap => out.push_u64(t.vmswap_kb as u64),
        Vpid => {
            if t.vpid != -1 {
                out.push_i64(t.vpid)
            }
        }
        Sid => out.push_i64(t.sid),
        Sname => {
            if let Some(s) = threads.get(t.sid) {
                out.push_bytes(&s.comm);
                return;
            }
            let Some(mt) = threads.main_thread(t) else {
                return;
            };
            let sid = mt.sid;
            let mut leader = mt;
            threads.for_each_ancestor(mt, |a| {
                if a.sid != sid {
                    return false;
                }
                leader = a;
                true
            });
            out.push_bytes(&leader.comm);
        }
        Tty => out.push_u64(t.tty as u64),
        Exepath => out.push_bytes(&t.exepath),
        Vpgid => out.push_i64(t.vpgid),
        Pgid => out.push_i64(t.pgid),
        IsExeWritable => out.push_bool(t.exe_writable),
        IsExeUpperLayer => out.push_bool(t.exe_upper_layer),
        IsExeFromMemfd => out.push_bool(t.exe_from_memfd),
        ExeIno => {
            if t.exe_ino != 0 {
                out.push_i64(t.exe_ino as i64)
            }
        }
        ExeInoCtime => {
            if t.exe_ino_ctime != 0 {
                out.push_u64(t.exe_ino_ctime)
            }
        }
        ExeInoMtime => {
            if t.exe_ino_mtime != 0 {
                out.push_u64(t.exe_ino_mtime)
            }
        }
        ExeInoCtimeDurationProcStart => {
            if t.exe_ino_ctime != 0 && t.clone_ts != 0 && t.clone_ts >= t.exe_ino_ctime {
                out.push_u64(t.clone_ts - t.exe_ino_ctime);
            }
        }
        ExeInoCtimeDurationPidnsStart => {
            if t.exe_ino_ctime != 0
                && t.pidns_init_start_ts != 0
                && t.exe_ino_ctime >= t.pidns_init_start_ts
            {
                out.push_u64(t.exe_ino_ctime - t.pidns_init_start_ts);
            }
        }
        IsSessionLeader => out.push_bool(t.sid == t.vpid),
        IsVpgidLeader => {
            if t.vpgid != -1 {
                out.push_bool(t.vpgid == t.vpid)
            }
        }
        PidnsInitStartTs => {
            if t.pidns_init_start_ts != 0 {
                out.push_u64(t.pidns_init_start_ts)
            }
        }
        IsContainerHealthcheck | IsContainerLivenessProbe | IsContainerReadinessProbe => {
            out.push_bool(false)
        }
    }
}
