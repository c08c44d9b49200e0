//! Users and groups from the capture's user-list block (`user.name`, `group.name`, ...).

use rustc_hash::FxHashMap;

/// A user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub name: Vec<u8>,
    pub homedir: Vec<u8>,
    pub shell: Vec<u8>,
}

/// A group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Group {
    pub gid: u32,
    pub name: Vec<u8>,
}

/// Users and groups by id.
#[derive(Debug, Default)]
pub struct Users {
    users: FxHashMap<u32, User>,
    groups: FxHashMap<u32, Group>,
}

impl Users {
    /// The user `uid`.
    pub fn user(&self, uid: u32) -> Option<&User> {
        self.users.get(&uid)
    }

    /// The group `gid`.
    pub fn group(&self, gid: u32) -> Option<&Group> {
        self.groups.get(&gid)
    }

    pub(crate) fn add_user(&mut self, u: User) {
        self.users.insert(u.uid, u);
    }

    pub(crate) fn add_group(&mut self, g: Group) {
        self.groups.insert(g.gid, g);
    }
}
