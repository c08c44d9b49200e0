//! The event seam: what the engine needs to know about any event, whatever its source.
//!
//! The engine reads only the event type code (to pick candidate rules from the evttype
//! index) and the timestamp (for alerts). Everything else about an event is reached through
//! the source's [`Extractor`](crate::Extractor).

use crate::ids::EventType;

/// One event of some source.
///
/// ```
/// use falco_engine::{Event, EventType};
/// struct Tick(u64);
/// impl Event for Tick {
///     fn event_type(&self) -> EventType { EventType::PLUGIN_EVENT }
///     fn timestamp(&self) -> u64 { self.0 }
/// }
/// assert_eq!(Tick(5).timestamp(), 5);
/// ```
pub trait Event {
    /// The event type code (libscap's `ppm_event_code`; plugin events are 322).
    fn event_type(&self) -> EventType;
    /// Nanoseconds since the epoch.
    fn timestamp(&self) -> u64;
    /// The event number within its source (`evt.num`), 0 if unknown.
    fn num(&self) -> u64 {
        0
    }
    /// The event's raw bytes in the libs event format, if it has them.
    fn raw(&self) -> &[u8] {
        &[]
    }
}
