//! Settings the window and the command line share (`settings.json` in the config folder):
//! for now the daily and monthly budgets. Written atomically; unknown fields are kept so an
//! older or newer reelsmith never drops what it does not know.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The file name under the config folder.
pub const SETTINGS_FILE: &str = "settings.json";

/// Spending limits in US dollars; `None` = no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Budgets {
    /// The most to spend in one day (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_usd: Option<f64>,
    /// The most to spend in one calendar month (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_usd: Option<f64>,
}

impl Budgets {
    /// True when at least one limit is set.
    pub fn any(&self) -> bool {
        self.daily_usd.is_some() || self.monthly_usd.is_some()
    }
}

/// The shared settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Spending limits.
    #[serde(default)]
    pub budgets: Budgets,
    /// Fields this version does not know, written back unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Reading or writing the settings failed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read or written.
    #[error("{path}: {source}; check that the folder is writable")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid settings JSON.
    #[error("{path} is not valid settings ({reason}); fix or delete the file")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        reason: String,
    },
}

/// `<config dir>/settings.json`.
pub fn settings_path() -> PathBuf {
    crate::paths::config_dir().join(SETTINGS_FILE)
}

impl Settings {
    /// Reads the settings at `path`; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(source) => {
                return Err(SettingsError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let settings: Settings =
            serde_json::from_str(&text).map_err(|e| SettingsError::Invalid {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        settings.checked(path)
    }

    /// Budgets must be positive numbers.
    fn checked(self, path: &Path) -> Result<Settings, SettingsError> {
        for (name, v) in [
            ("daily", self.budgets.daily_usd),
            ("monthly", self.budgets.monthly_usd),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(SettingsError::Invalid {
                    path: path.to_path_buf(),
                    reason: format!("the {name} budget must be a positive amount, not {v}"),
                });
            }
        }
        Ok(self)
    }

    /// Writes the settings to `path` atomically (a temporary file synced, then renamed).
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let io = |source| SettingsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let text = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        crate::atomic_file::write_atomic(path, &text).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_keep_unknown_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        std::fs::write(&path, r#"{"budgets": {"daily_usd": 5}, "theme": "dark"}"#).unwrap();
        let mut s = Settings::load(&path).unwrap();
        assert_eq!(s.budgets.daily_usd, Some(5.0));
        s.budgets.monthly_usd = Some(50.0);
        s.save(&path).unwrap();
        let again = Settings::load(&path).unwrap();
        assert_eq!(again.budgets.monthly_usd, Some(50.0));
        assert_eq!(again.other.get("theme"), Some(&Value::from("dark")));
        std::fs::write(&path, r#"{"budgets": {"daily_usd": -1}}"#).unwrap();
        assert!(matches!(
            Settings::load(&path),
            Err(SettingsError::Invalid { .. })
        ));
    }
}
