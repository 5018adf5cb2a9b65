//! The versions of the `switchyard:call` WIT package the host serves, and
//! which one a component targets.

use std::collections::BTreeSet;
use std::fmt;

/// The WIT package every guest API version belongs to.
const PACKAGE: &str = "switchyard:call";

/// A version of the `switchyard:call` WIT package the host serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WitVersion {
    /// `switchyard:call@0.1.0`, the draft (`wit/v0.1.0/`).
    V0_1,
    /// `switchyard:call@0.2.0` (`wit/v0.2.0/`).
    V0_2,
    /// `switchyard:call@0.3.0` (`wit/v0.3.0/`): adds `rooms.set-deaf`,
    /// `media.send-dtmf` and `messages`.
    V0_3,
    /// `switchyard:call@0.4.0`, the current release (`wit/v0.4.0/`): adds
    /// compare-and-set, `rooms.swap-meta` and `kv.swap`.
    V0_4,
}

impl WitVersion {
    /// Every version the host serves, oldest first.
    pub const SUPPORTED: [WitVersion; 4] = [
        WitVersion::V0_1,
        WitVersion::V0_2,
        WitVersion::V0_3,
        WitVersion::V0_4,
    ];

    /// The version number, e.g. "0.3.0".
    pub fn number(self) -> &'static str {
        match self {
            WitVersion::V0_1 => "0.1.0",
            WitVersion::V0_2 => "0.2.0",
            WitVersion::V0_3 => "0.3.0",
            WitVersion::V0_4 => "0.4.0",
        }
    }

    /// The name of the interface `name` of this version, e.g.
    /// "switchyard:call/control@0.3.0".
    pub(crate) fn interface(self, name: &str) -> String {
        format!("{PACKAGE}/{name}@{}", self.number())
    }

    /// The version a component targets, from the names of its imports and
    /// exports (`switchyard:call/handler@0.2.0`, …): every `switchyard:call`
    /// name must carry the same supported version. The error says what the
    /// component targets and which versions the host serves.
    pub fn detect<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<WitVersion, String> {
        let found: BTreeSet<&str> = names
            .into_iter()
            .filter_map(|name| name.strip_prefix(PACKAGE)?.strip_prefix('/'))
            .map(|rest| rest.split_once('@').map_or("", |(_, version)| version))
            .collect();
        let supported = supported_list();
        let mut versions = found.iter();
        match (versions.next(), versions.next()) {
            (None, _) => Err(format!(
                "it uses no {PACKAGE} interface; this host serves {supported}"
            )),
            (Some(_), Some(_)) => Err(format!(
                "it mixes {PACKAGE} versions ({}); this host serves {supported}",
                found
                    .iter()
                    .map(|v| if v.is_empty() { "unversioned" } else { v })
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            (Some(&version), None) => WitVersion::SUPPORTED
                .into_iter()
                .find(|v| v.number() == version)
                .ok_or_else(|| match version {
                    "" => {
                        format!("it targets an unversioned {PACKAGE}; this host serves {supported}")
                    }
                    _ => format!("it targets {PACKAGE}@{version}; this host serves {supported}"),
                }),
        }
    }
}

impl fmt::Display for WitVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PACKAGE}@{}", self.number())
    }
}

/// "switchyard:call@0.1.0, switchyard:call@0.2.0, switchyard:call@0.3.0 and
/// switchyard:call@0.4.0".
fn supported_list() -> String {
    let all: Vec<String> = WitVersion::SUPPORTED
        .iter()
        .map(ToString::to_string)
        .collect();
    match all.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::WitVersion;

    #[test]
    fn a_component_of_one_supported_version_is_that_version() {
        let v0_1 = [
            "wasi:cli/environment@0.2.6",
            "switchyard:call/types@0.1.0",
            "switchyard:call/signaling@0.1.0",
            "switchyard:call/handler@0.1.0",
        ];
        assert_eq!(WitVersion::detect(v0_1), Ok(WitVersion::V0_1));
        let v0_2 = ["switchyard:call/log@0.2.0", "switchyard:call/control@0.2.0"];
        assert_eq!(WitVersion::detect(v0_2), Ok(WitVersion::V0_2));
        let v0_3 = [
            "wasi:io/streams@0.2.6",
            "switchyard:call/types@0.3.0",
            "switchyard:call/messages@0.3.0",
            "switchyard:call/handler@0.3.0",
        ];
        assert_eq!(WitVersion::detect(v0_3), Ok(WitVersion::V0_3));
        let v0_4 = [
            "wasi:io/streams@0.2.6",
            "switchyard:call/types@0.4.0",
            "switchyard:call/kv@0.4.0",
            "switchyard:call/handler@0.4.0",
        ];
        assert_eq!(WitVersion::detect(v0_4), Ok(WitVersion::V0_4));
    }

    #[test]
    fn other_versions_are_refused_naming_the_supported_ones() {
        let served = "this host serves switchyard:call@0.1.0, switchyard:call@0.2.0, \
                      switchyard:call@0.3.0 and switchyard:call@0.4.0";
        assert_eq!(
            WitVersion::detect(["switchyard:call/handler@0.5.0"]),
            Err(format!("it targets switchyard:call@0.5.0; {served}"))
        );
        assert_eq!(
            WitVersion::detect(["switchyard:call/handler"]),
            Err(format!(
                "it targets an unversioned switchyard:call; {served}"
            ))
        );
        assert_eq!(
            WitVersion::detect(["switchyard:call/log@0.1.0", "switchyard:call/handler@0.2.0"]),
            Err(format!(
                "it mixes switchyard:call versions (0.1.0, 0.2.0); {served}"
            ))
        );
        assert_eq!(
            WitVersion::detect([
                "switchyard:call/log@0.2.0",
                "switchyard:call/messages@0.3.0"
            ]),
            Err(format!(
                "it mixes switchyard:call versions (0.2.0, 0.3.0); {served}"
            ))
        );
        assert_eq!(
            WitVersion::detect(["switchyard:call/kv@0.4.0", "switchyard:call/handler@0.3.0"]),
            Err(format!(
                "it mixes switchyard:call versions (0.3.0, 0.4.0); {served}"
            ))
        );
        assert_eq!(
            WitVersion::detect(["wasi:http/handler@0.2.0", "switchyard:callx/handler@0.2.0"]),
            Err(format!("it uses no switchyard:call interface; {served}"))
        );
    }

    #[test]
    fn versions_read_as_their_package_name() {
        assert_eq!(WitVersion::V0_2.to_string(), "switchyard:call@0.2.0");
        assert_eq!(WitVersion::V0_3.to_string(), "switchyard:call@0.3.0");
        assert_eq!(WitVersion::V0_4.to_string(), "switchyard:call@0.4.0");
        assert_eq!(WitVersion::SUPPORTED.last(), Some(&WitVersion::V0_4));
        assert_eq!(
            WitVersion::V0_1.interface("control"),
            "switchyard:call/control@0.1.0"
        );
    }
}
