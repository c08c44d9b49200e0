//! The two time renderings of Falco's alerts, without a date library on the hot path.
//!
//! - `evt.time`: local wall-clock time `HH:MM:SS.nnnnnnnnn`, using the UTC offset *now* (not
//!   at the event's time), with minute resolution and Falco's unsigned arithmetic, exactly as
//!   libsinsp's `ts_to_string` + `gmt2local(0)` compute it.
//! - ISO 8601 in UTC, `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` followed by `+0000` (`evt.time.iso8601`,
//!   the text prefix with `time_format_iso_8601`) or `Z` (the JSON `time` property).

use std::fmt::Write;
use std::time::{Duration, Instant};

const NS: u64 = 1_000_000_000;

/// Which UTC offset the local `HH:MM:SS` time uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LocalTime {
    /// The system's time zone (`TZ`, `/etc/localtime`), re-read at most once a second, as
    /// Falco asks for the current offset on every alert.
    #[default]
    System,
    /// A fixed offset east of UTC, in seconds (tests, reproducible output).
    Fixed(i32),
}

/// Resolves [`LocalTime`] to an offset, caching the system's for a second.
#[derive(Debug)]
pub(crate) struct OffsetClock {
    mode: LocalTime,
    cached: i32,
    refreshed: Option<Instant>,
}

impl OffsetClock {
    pub(crate) fn new(mode: LocalTime) -> OffsetClock {
        OffsetClock { mode, cached: 0, refreshed: None }
    }

    /// The offset in seconds, rounded to whole minutes as `gmt2local` does.
    pub(crate) fn offset(&mut self) -> i32 {
        match self.mode {
            LocalTime::Fixed(s) => s,
            LocalTime::System => {
                let now = Instant::now();
                let stale =
                    self.refreshed.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1));
                if stale {
                    let secs = chrono::Local::now().offset().local_minus_utc();
                    self.cached = secs / 60 * 60;
                    self.refreshed = Some(now);
                }
                self.cached
            }
        }
    }
}

/// Writes `HH:MM:SS.nnnnnnnnn` for `ts` (ns) shifted by `offset` seconds.
pub(crate) fn write_local_time(out: &mut String, ts: u64, offset: i32) {
    let sec = ts / NS;
    let nsec = ts % NS;
    // libsinsp adds the signed offset to the unsigned seconds; keep its wrap-around.
    let s = (sec.wrapping_add(offset as i64 as u64) % 86_400) as u32;
    let _ = write!(out, "{:02}:{:02}:{:02}.{:09}", s / 3600, (s % 3600) / 60, s % 60, nsec);
}

/// Writes `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` (UTC) followed by `zone` (`"Z"` or `"+0000"`).
pub(crate) fn write_iso8601(out: &mut String, ts: u64, zone: &str) {
    let secs = ts / NS;
    let nsec = ts % NS;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nsec:09}{zone}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(ts: u64, zone: &str) -> String {
        let mut s = String::new();
        write_iso8601(&mut s, ts, zone);
        s
    }

    fn local(ts: u64, off: i32) -> String {
        let mut s = String::new();
        write_local_time(&mut s, ts, off);
        s
    }

    #[test]
    fn iso_matches_falco() {
        assert_eq!(iso(1_470_327_477_881_781_397, "+0000"), "2016-08-04T16:17:57.881781397+0000");
        assert_eq!(iso(0, "Z"), "1970-01-01T00:00:00.000000000Z");
        // Leap day and the end of a leap year.
        assert_eq!(iso(951_782_400 * NS, "Z"), "2000-02-29T00:00:00.000000000Z");
        assert_eq!(iso(1_735_603_199 * NS + 1, "Z"), "2024-12-30T23:59:59.000000001Z");
    }

    #[test]
    fn civil_agrees_with_chrono_over_centuries() {
        for days in (-1_000_000i64..1_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            let c = chrono::DateTime::from_timestamp(days * 86_400, 0).unwrap().date_naive();
            use chrono::Datelike;
            assert_eq!((y, m, d), (i64::from(c.year()), c.month(), c.day()), "{days}");
        }
    }

    #[test]
    fn local_time_uses_offset_and_wraps_like_libsinsp() {
        assert_eq!(local(1_470_327_477_881_781_397, 0), "16:17:57.881781397");
        assert_eq!(local(1_470_327_477_881_781_397, 7200), "18:17:57.881781397");
        assert_eq!(local(1_470_327_477_881_781_397, -5 * 3600), "11:17:57.881781397");
        // ts 0 with a negative offset: libsinsp's unsigned sum wraps (2^64 - 3600) % 86400.
        let wrapped = (0u64.wrapping_sub(3600) % 86_400) as u32;
        let want = format!(
            "{:02}:{:02}:{:02}.000000000",
            wrapped / 3600,
            wrapped % 3600 / 60,
            wrapped % 60
        );
        assert_eq!(local(0, -3600), want);
    }

    #[test]
    fn fixed_offset_clock() {
        assert_eq!(OffsetClock::new(LocalTime::Fixed(3600)).offset(), 3600);
        let off = OffsetClock::new(LocalTime::System).offset();
        assert_eq!(off % 60, 0);
    }
}
