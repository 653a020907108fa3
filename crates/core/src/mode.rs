//! [`Mode`]: what a run writes, given what earlier runs saw.
//!
//! A stateless run is always [`Mode::Full`]. The other two need the job's
//! state (`jobharvest-state`), which remembers every offer seen before.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::registry::similar;

/// How a run treats offers it has seen before (`mode:` in the spec,
/// `--mode` on the command line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Writes everything harvested (the default).
    #[default]
    Full,
    /// Asks each source only for what changed since its cursor and writes
    /// only new or updated offers.
    Incremental,
    /// Harvests everything, writes it, and also writes the offers the board
    /// removed since the last run (`change = removed`).
    Mirror,
}

impl Mode {
    /// Every mode, in documentation order.
    pub const ALL: [Mode; 3] = [Mode::Full, Mode::Incremental, Mode::Mirror];

    /// The name used in specs and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Incremental => "incremental",
            Mode::Mirror => "mirror",
        }
    }

    /// Whether records the state already holds unchanged are written too
    /// (true for `full` and `mirror`, which write complete harvests).
    pub fn writes_unchanged(self) -> bool {
        !matches!(self, Mode::Incremental)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if let Some(mode) = Mode::ALL.into_iter().find(|m| m.as_str() == s) {
            return Ok(mode);
        }
        let hint = Mode::ALL
            .into_iter()
            .find(|m| similar(m.as_str(), s))
            .map(|m| format!(" Did you mean `{m}`?"))
            .unwrap_or_default();
        Err(Error::config(format!(
            "unknown mode `{s}`; the modes are full, incremental and mirror.{hint}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str_and_serde() {
        for mode in Mode::ALL {
            assert_eq!(mode.as_str().parse::<Mode>().unwrap(), mode);
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{mode}\""));
            assert_eq!(serde_json::from_str::<Mode>(&json).unwrap(), mode);
        }
        assert_eq!(Mode::default(), Mode::Full);
    }

    #[test]
    fn unknown_mode_lists_the_modes_and_suggests_one() {
        let err = "incremantal".parse::<Mode>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unknown mode `incremantal`"), "{msg}");
        assert!(msg.contains("full, incremental and mirror"), "{msg}");
        assert!(msg.contains("Did you mean `incremental`?"), "{msg}");
        assert!(
            !"sync"
                .parse::<Mode>()
                .unwrap_err()
                .to_string()
                .contains("Did you mean")
        );
    }

    #[test]
    fn only_incremental_drops_unchanged_records() {
        assert!(Mode::Full.writes_unchanged());
        assert!(Mode::Mirror.writes_unchanged());
        assert!(!Mode::Incremental.writes_unchanged());
    }
}
