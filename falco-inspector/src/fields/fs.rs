//! `fs.path.*`: the path(s) a filesystem syscall names, absolute (libsinsp's
//! `sinsp_filter_check_fspath`): `fs.path.name`, `fs.path.source`, `fs.path.target` and their
//! `nameraw`/`sourceraw`/`targetraw` forms as the syscall gave them.

use falco_engine::{FieldArg, FieldType as T, ValueSink};

use super::{Def, Kind, Scratch, def};
use crate::capture::SyscallEvent;
use crate::event::codes::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum F {
    Name,
    Nameraw,
    Source,
    Sourceraw,
    Target,
    Targetraw,
}

pub(crate) fn defs() -> Vec<Def> {
    use F::*;
    let k = Kind::Fs;
    vec![
        def("fs.path.name", T::CharBuf, "the path a filesystem syscall names, absolute", k(Name)),
        def(
            "fs.path.nameraw",
            T::CharBuf,
            "the path a filesystem syscall names, as given",
            k(Nameraw),
        ),
        def(
            "fs.path.source",
            T::CharBuf,
            "the source path of a rename/link syscall, absolute",
            k(Source),
        ),
        def("fs.path.sourceraw", T::CharBuf, "the source path, as given", k(Sourceraw)),
        def(
            "fs.path.target",
            T::CharBuf,
            "the target path of a rename/link syscall, absolute",
            k(Target),
        ),
        def("fs.path.targetraw", T::CharBuf, "the target path, as given", k(Targetraw)),
    ]
}

/// (dirfd param name, path param name) for each role of each event.
fn params(etype: u16, f: F) -> Option<(Option<&'static str>, &'static str)> {
    use F::*;
    let name = matches!(f, Name | Nameraw);
    let source = matches!(f, Source | Sourceraw);
    Some(match etype {
        SYSCALL_MKDIR_2_X | SYSCALL_RMDIR_2_X | SYSCALL_UNLINK_2_X if name => (None, "path"),
        SYSCALL_MKDIRAT_X if name => (Some("dirfd"), "path"),
        SYSCALL_UNLINKAT_2_X if name => (Some("dirfd"), "name"),
        SYSCALL_OPEN_X | SYSCALL_CREAT_X if name => (None, "name"),
        SYSCALL_OPENAT_2_X | SYSCALL_OPENAT2_X if name => (Some("dirfd"), "name"),
        SYSCALL_CHMOD_X if name => (None, "filename"),
        SYSCALL_FCHMODAT_X if name => (Some("dirfd"), "filename"),
        SYSCALL_RENAME_X | SYSCALL_LINK_2_X => {
            if source {
                (None, "oldpath")
            } else if name {
                return None;
            } else {
                (None, "newpath")
            }
        }
        SYSCALL_RENAMEAT_X | SYSCALL_RENAMEAT2_X | SYSCALL_LINKAT_2_X => {
            if source {
                (Some("olddirfd"), "oldpath")
            } else if name {
                return None;
            } else {
                (Some("newdirfd"), "newpath")
            }
        }
        SYSCALL_SYMLINK_X => {
            if source {
                (None, "target")
            } else if name {
                return None;
            } else {
                (None, "linkpath")
            }
        }
        SYSCALL_SYMLINKAT_X => {
            if source {
                (None, "target")
            } else if name {
                return None;
            } else {
                (Some("linkdirfd"), "linkpath")
            }
        }
        _ => return None,
    })
}

pub(crate) fn extract(
    f: F,
    evt: &SyscallEvent<'_>,
    _arg: &FieldArg,
    out: &mut ValueSink<'_>,
    sc: &mut Scratch,
) {
    let raw = evt.raw();
    let Some((dirfd_name, path_name)) = params(raw.etype(), f) else {
        return;
    };
    let Some(pi) = raw.param_index(path_name) else {
        return;
    };
    let Some(path) = raw.param_str(pi) else {
        return;
    };
    if matches!(f, F::Nameraw | F::Sourceraw | F::Targetraw) {
        out.push_bytes(path);
        return;
    }
    let Some(t) = evt.thread() else { return };
    let state = evt.state();
    sc.b.clear();
    let dirfd = dirfd_name.and_then(|n| raw.param_index(n)).and_then(|i| raw.param_i64(i));
    crate::state::push_base_dir(&state.threads, state.fd_table(t.pid), t, dirfd, &mut sc.b);
    crate::path::concatenate(&mut sc.a, &sc.b, path);
    out.push_bytes(&sc.a);
}
