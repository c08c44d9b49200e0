//! Newtype identifiers.
//!
//! Falco passes bare `size_t source_idx` and `uint16_t ruleset_id` around; here every
//! kind of index has its own type so that a rule id can never be used as a source index.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $inner);

        impl $name {
            /// The id as a `usize`, for indexing vectors.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Index of an event source registered with the engine.
    SourceIdx(u32)
);
id_type!(
    /// Index of a rule inside one compiled rules snapshot, unique across
    /// sources and in Falco's load order.
    RuleId(u32)
);
id_type!(
    /// Identifies one selection of enabled rules (Falco's `ruleset_id`); `RulesetId(0)` is the
    /// default ruleset.
    RulesetId(u16)
);
id_type!(
    /// Index of a field in one source's [`Schema`](crate::Schema).
    FieldId(u32)
);
id_type!(
    /// An event type code (libscap's `ppm_event_code`, e.g. 322 for plugin events). The
    /// evttype index buckets rules by it.
    EventType(u16)
);
id_type!(
    /// Numeric id of a plugin (the `id` a source plugin declares).
    PluginId(u32)
);

impl RulesetId {
    /// The ruleset every rule is enabled in by default.
    pub const DEFAULT: RulesetId = RulesetId(0);
}

impl EventType {
    /// `PPME_PLUGINEVENT_E`: every event produced by a source plugin has this type.
    pub const PLUGIN_EVENT: EventType = EventType(322);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_index_and_display() {
        assert_eq!(SourceIdx(3).index(), 3);
        assert_eq!(RuleId(7).to_string(), "7");
        assert!(RuleId(1) < RuleId(2));
        assert_eq!(EventType::PLUGIN_EVENT.0, 322);
    }
}
