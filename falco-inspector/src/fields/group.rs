//! `group.*`: the group of the event's thread, from the capture's user list.

use falco_engine::{FieldType as T, ValueSink};

use super::{Def, Kind, def};
use crate::capture::SyscallEvent;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum F {
    Gid,
    Name,
}

pub(crate) fn defs() -> Vec<Def> {
    vec![
        def("group.gid", T::U32, "the group id", Kind::Group(F::Gid)),
        def("group.name", T::CharBuf, "the group name", Kind::Group(F::Name)),
    ]
}

pub(crate) fn extract(f: F, evt: &SyscallEvent<'_>, out: &mut ValueSink<'_>) {
    let Some(t) = evt.thread() else { return };
    match f {
        F::Gid => out.push_u64(t.gid as u64),
        F::Name => {
            if let Some(g) = evt.state().users.group(t.gid) {
                out.push_bytes(&g.name);
            }
        }
    }
}
