//! `user.*`: the user of the event's thread, from the capture's user list.

use falco_engine::{FieldType as T, ValueSink};

use super::{Def, Kind, def};
use crate::capture::SyscallEvent;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum F {
    Uid,
    Name,
    Homedir,
    Shell,
    Loginuid,
    Loginname,
}

pub(crate) fn defs() -> Vec<Def> {
    use F::*;
    let k = Kind::User;
    vec![
        def("user.uid", T::U32, "the user id", k(Uid)),
        def("user.name", T::CharBuf, "the user name", k(Name)),
        def("user.homedir", T::CharBuf, "the home directory of the user", k(Homedir)),
        def("user.shell", T::CharBuf, "the shell of the user", k(Shell)),
        def("user.loginuid", T::I64, "the audit user id (-1 if unset)", k(Loginuid)),
        def("user.loginname", T::CharBuf, "the audit user name", k(Loginname)),
    ]
}

pub(crate) fn extract(f: F, evt: &SyscallEvent<'_>, out: &mut ValueSink<'_>) {
    use F::*;
    let Some(t) = evt.thread() else { return };
    let users = &evt.state().users;
    match f {
        Uid => out.push_u64(t.uid as u64),
        Loginuid => out.push_i64(t.loginuid as i32 as i64),
        Name | Homedir | Shell => {
            let Some(u) = users.user(t.uid) else { return };
            out.push_bytes(match f {
                Name => &u.name,
                Homedir => &u.homedir,
                _ => &u.shell,
            });
        }
        Loginname => {
            if let Some(u) = users.user(t.loginuid) {
                out.push_bytes(&u.name);
            }
        }
    }
}

/// No field of this class needs a text form other than its value's.
pub(crate) fn render_text(_f: F, _evt: &SyscallEvent<'_>, _out: &mut String) -> Option<bool> {
    None
}
