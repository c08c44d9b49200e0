//! Rule priorities (severities), with every spelling Falco accepts.

use std::fmt;
use std::str::FromStr;

/// A rule's priority, from most to least severe. The numeric order is Falco's: a lower
/// value is more severe, and "minimum priority" keeps rules whose value is `<=` the minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priority {
    /// `Emergency`
    Emergency = 0,
    /// `Alert`
    Alert = 1,
    /// `Critical`
    Critical = 2,
    /// `Error`
    Error = 3,
    /// `Warning`
    Warning = 4,
    /// `Notice`
    Notice = 5,
    /// `Informational` (also spelled `Info`)
    Informational = 6,
    /// `Debug`
    Debug = 7,
}

impl Priority {
    /// Every priority, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// Parses a priority as Falco does: case-insensitive full names, plus `info`.
    ///
    /// ```
    /// use falco_engine::Priority;
    /// assert_eq!(Priority::parse("WARNING"), Some(Priority::Warning));
    /// assert_eq!(Priority::parse("info"), Some(Priority::Informational));
    /// assert_eq!(Priority::parse("warn"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Priority> {
        if s.eq_ignore_ascii_case("info") {
            return Some(Priority::Informational);
        }
        Priority::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(s))
    }

    /// The name Falco prints in text alerts and JSON (`Informational`, `Warning`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }

    /// The short form Falco uses in some places (`Info` instead of `Informational`).
    pub fn short_name(self) -> &'static str {
        match self {
            Priority::Informational => "Info",
            p => p.name(),
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error returned when a string is not a priority Falco knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unknown priority value: {0}")]
pub struct UnknownPriority(pub String);

impl FromStr for Priority {
    type Err = UnknownPriority;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::parse(s).ok_or_else(|| UnknownPriority(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.name()), Some(p));
            assert_eq!(Priority::parse(&p.name().to_uppercase()), Some(p));
            assert_eq!(Priority::parse(&p.name().to_lowercase()), Some(p));
        }
        assert_eq!(Priority::parse("Info"), Some(Priority::Informational));
        assert_eq!(Priority::parse(""), None);
        assert_eq!(Priority::parse("critical "), None);
        assert_eq!(
            "bogus".parse::<Priority>().unwrap_err().to_string(),
            "Unknown priority value: bogus"
        );
    }

    #[test]
    fn order_is_severity() {
        assert!(Priority::Emergency < Priority::Debug);
        assert_eq!(Priority::Informational.short_name(), "Info");
    }
}
