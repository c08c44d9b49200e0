//! Version numbers: the plugin API version check, plugin versions, and the
//! `required_plugin_versions` check of rules files.
//!
//! Versions follow libsinsp's `sinsp_version`: `MAJOR.MINOR.PATCH` read like
//! `sscanf("%u.%u.%u")` (anything after the patch number, such as `-rc1`, is ignored). A plugin
//! version satisfies a requirement when the majors are equal and the plugin's version is not
//! lower (falco_engine's `check_plugin_requirements`). The plugin API check is libscap's: same
//! major, the plugin's minor at most ours, and at equal minors its patch at most ours.

use std::fmt;

use crate::error::ErrorKind;

/// Reads `MAJOR.MINOR.PATCH` like `sscanf("%u.%u.%u")`; trailing text is ignored.
pub(crate) fn parse_triple(s: &str) -> Option<(u32, u32, u32)> {
    fn number(s: &str) -> Option<(u32, &str)> {
        let s = s.trim_start();
        let s = s.strip_prefix('+').unwrap_or(s);
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let n = s[..end].parse().ok()?;
        Some((n, &s[end..]))
    }
    let (major, rest) = number(s)?;
    let (minor, rest) = number(rest.strip_prefix('.')?)?;
    let (patch, _) = number(rest.strip_prefix('.')?)?;
    Some((major, minor, patch))
}

/// A `MAJOR.MINOR.PATCH` version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl Version {
    /// Parses a version as libsinsp does (`1.2.3`, `1.2.3-rc1`); `None` if it does not parse.
    ///
    /// ```
    /// use falco_plugin_host::Version;
    /// assert_eq!(Version::parse("0.10.1-rc2").map(|v| v.to_string()), Some("0.10.1".into()));
    /// assert_eq!(Version::parse("1.2"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Version> {
        parse_triple(s).map(|(major, minor, patch)| Version { major, minor, patch })
    }

    /// True if a plugin of this version satisfies a requirement for `required`: same major and
    /// at least the required version.
    ///
    /// ```
    /// use falco_plugin_host::Version;
    /// let v = |s| Version::parse(s).unwrap();
    /// assert!(v("0.7.2").compatible_with(&v("0.7.0")));
    /// assert!(!v("0.7.2").compatible_with(&v("0.8.0")));
    /// assert!(!v("1.0.0").compatible_with(&v("0.7.0")));
    /// ```
    pub fn compatible_with(&self, required: &Version) -> bool {
        self.major == required.major && self >= required
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The plugin API version this host implements.
pub fn host_api_version() -> Version {
    let (major, minor, patch) = crate::raw::HOST_API_VERSION;
    Version { major, minor, patch }
}

/// Checks a plugin's required API version against the host's, as libscap's
/// `plugin_check_required_api_version` does.
pub(crate) fn check_api_version(required: &str) -> Result<(), ErrorKind> {
    let Some((major, minor, patch)) = parse_triple(required) else {
        return Err(ErrorKind::InvalidApiVersion(required.to_string()));
    };
    let host = host_api_version();
    let reason = if major != host.major {
        "major versions disagree"
    } else if minor > host.minor {
        "framework's minor is less than the requested one"
    } else if minor == host.minor && patch > host.patch {
        "framework's patch is less than the requested one"
    } else {
        return Ok(());
    };
    Err(ErrorKind::IncompatibleApiVersion {
        required: required.to_string(),
        host: host.to_string(),
        reason,
    })
}

/// One `{name, version}` of a rules file's `required_plugin_versions` (or one of its
/// `alternatives`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRequirement {
    /// Plugin name.
    pub name: String,
    /// Minimum version.
    pub version: String,
}

impl PluginRequirement {
    /// A requirement.
    pub fn new(name: &str, version: &str) -> PluginRequirement {
        PluginRequirement { name: name.to_string(), version: version.to_string() }
    }
}

/// Checks every requirement (each a list of alternatives, any one of which is enough) against
/// the loaded plugins (`(name, version)`), with Falco's error messages.
///
/// ```
/// use falco_plugin_host::{check_plugin_requirements, PluginRequirement};
/// let loaded = [("k8saudit", "0.7.0"), ("json", "0.7.1")];
/// let needs = vec![
///     vec![PluginRequirement::new("k8saudit", "0.6.0"), PluginRequirement::new("k8saudit-eks", "0.1.0")],
///     vec![PluginRequirement::new("json", "0.7.0")],
/// ];
/// assert!(check_plugin_requirements(&loaded, &needs).is_ok());
/// let needs = vec![vec![PluginRequirement::new("cloudtrail", "0.1.0")]];
/// assert_eq!(
///     check_plugin_requirements(&loaded, &needs).unwrap_err(),
///     "Plugin requirement not satisfied, must load one of: cloudtrail (>= 0.1.0)"
/// );
/// ```
pub fn check_plugin_requirements(
    loaded: &[(&str, &str)],
    required: &[Vec<PluginRequirement>],
) -> Result<(), String> {
    for alternatives in required {
        check_alternatives(loaded, alternatives)?;
    }
    Ok(())
}

fn check_alternatives(
    loaded: &[(&str, &str)],
    alternatives: &[PluginRequirement],
) -> Result<(), String> {
    for req in alternatives {
        if let Some((name, version)) = loaded.iter().find(|(n, _)| *n == req.name) {
            let Some(have) = Version::parse(version) else {
                return Err(format!("Plugin '{name}' has invalid version string '{version}'"));
            };
            let compatible =
                Version::parse(&req.version).is_some_and(|want| have.compatible_with(&want));
            if !compatible {
                return Err(format!(
                    "Plugin '{name}' version '{version}' is not compatible with required plugin \
                     version '{}'",
                    req.version
                ));
            }
            return Ok(());
        }
    }
    let list: Vec<String> =
        alternatives.iter().map(|r| format!("{} (>= {})", r.name, r.version)).collect();
    Err(format!("Plugin requirement not satisfied, must load one of: {}", list.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triples_parse_like_sscanf() {
        assert_eq!(parse_triple("3.0.0"), Some((3, 0, 0)));
        assert_eq!(parse_triple(" 3.10.2xyz"), Some((3, 10, 2)));
        assert_eq!(parse_triple("3.x.0"), None);
        assert_eq!(parse_triple("3..0"), None);
        assert_eq!(parse_triple(""), None);
        assert_eq!(parse_triple("99999999999.0.0"), None);
    }

    #[test]
    fn api_version_rules() {
        let host = host_api_version();
        assert!(check_api_version("3.0.0").is_ok());
        assert!(check_api_version(&host.to_string()).is_ok());
        let next_minor = format!("{}.{}.0", host.major, host.minor + 1);
        assert!(matches!(
            check_api_version(&next_minor),
            Err(ErrorKind::IncompatibleApiVersion {
                reason: "framework's minor is less than the requested one",
                ..
            })
        ));
        let next_patch = format!("{}.{}.{}", host.major, host.minor, host.patch + 1);
        assert!(check_api_version(&next_patch).is_err());
        assert!(matches!(
            check_api_version("2.0.0"),
            Err(ErrorKind::IncompatibleApiVersion { reason: "major versions disagree", .. })
        ));
        assert!(matches!(check_api_version("abc"), Err(ErrorKind::InvalidApiVersion(_))));
    }

    #[test]
    fn requirement_messages() {
        let loaded = [("json", "0.7.1"), ("bad", "x")];
        let r = |n: &str, v: &str| vec![PluginRequirement::new(n, v)];
        assert_eq!(
            check_plugin_requirements(&loaded, &[r("json", "0.8.0")]).unwrap_err(),
            "Plugin 'json' version '0.7.1' is not compatible with required plugin version '0.8.0'"
        );
        assert_eq!(
            check_plugin_requirements(&loaded, &[r("bad", "1.0.0")]).unwrap_err(),
            "Plugin 'bad' has invalid version string 'x'"
        );
        assert!(check_plugin_requirements(&loaded, &[r("json", "0.7.1")]).is_ok());
        assert!(check_plugin_requirements(&loaded, &[r("json", "junk")]).is_err());
    }
}
