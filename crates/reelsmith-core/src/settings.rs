//! The settings the window and the command line share, kept in `settings.json` in the config
//! folder: the library folder, jobs in flight, the simulator's timing and the daily and monthly
//! budgets. Fields this version does not know are kept, so an older or newer reelsmith never
//! drops what it does not know.
//!
//! The file is written whole through a temporary file and a rename, so a crash never leaves
//! half a file; a file that cannot be read is set aside (never silently overwritten) and the
//! defaults are used, with a sentence saying so. Window-only state (theme, panel sizes, form
//! drafts) is not here: it stays in the window's own persistence.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The settings file's name in the config folder.
pub const SETTINGS_FILE: &str = "settings.json";
/// Largest file read as settings (a settings file is a few hundred bytes).
const MAX_SETTINGS_BYTES: u64 = 64 * 1024;
/// Jobs in flight are kept within this range.
pub const JOBS_IN_FLIGHT_RANGE: std::ops::RangeInclusive<u32> = 1..=32;

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

/// Settings both front ends read. Fields missing from the file take their defaults, and fields
/// this version does not know are kept and written back, so older and newer files both load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The library folder the user chose (None: `REELSMITH_OUTPUT_DIR` or the OS videos folder).
    pub output_dir: Option<PathBuf>,
    /// Jobs the engine works on at once (fal queues the rest on its side).
    pub jobs_in_flight: u32,
    /// Simulator: seconds a job waits in its queue.
    pub sim_queue_secs: f32,
    /// Simulator: seconds a job runs.
    pub sim_run_secs: f32,
    /// Daily and monthly spending limits, checked before anything is uploaded or submitted.
    pub budgets: Budgets,
    /// Fields this version does not know, written back unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            output_dir: None,
            jobs_in_flight: 4,
            sim_queue_secs: 1.5,
            sim_run_secs: 2.0,
            budgets: Budgets::default(),
            other: Map::new(),
        }
    }
}

/// Reading or writing the settings file failed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be written.
    #[error(
        "the settings could not be saved to {path}: {source}; check that the folder is writable"
    )]
    Write {
        /// The settings file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file could not be read (other than not existing).
    #[error("the settings file {path} could not be read: {source}")]
    Read {
        /// The settings file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What loading found: the settings and, when the file was unusable, a sentence for the user.
#[derive(Debug, Clone)]
pub struct LoadedSettings {
    /// The settings in effect.
    pub settings: Settings,
    /// False when no settings file existed (first start: the caller may migrate older state).
    pub existed: bool,
    /// A damaged file set aside, or one that could not be read.
    pub notice: Option<String>,
}

impl Settings {
    /// The settings file in `config_dir`.
    pub fn path(config_dir: &Path) -> PathBuf {
        config_dir.join(SETTINGS_FILE)
    }

    /// Reads the settings in `config_dir`. Blocking (disk). Never fails: a missing file gives
    /// the defaults, a damaged one is renamed `settings.json.damaged` and the defaults are used.
    pub fn load(config_dir: &Path) -> LoadedSettings {
        let path = Settings::path(config_dir);
        let bytes = match read_bounded(&path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                return LoadedSettings {
                    settings: Settings::default(),
                    existed: false,
                    notice: None,
                };
            }
            Err(e) => {
                return LoadedSettings {
                    settings: Settings::default(),
                    existed: true,
                    notice: Some(format!("{e}; the default settings are used for now.")),
                };
            }
        };
        match serde_json::from_slice::<Settings>(&bytes) {
            Ok(settings) => LoadedSettings {
                notice: settings.budget_problem(&path),
                settings: settings.checked(),
                existed: true,
            },
            Err(e) => {
                let aside = path.with_extension("json.damaged");
                let kept = match std::fs::rename(&path, &aside) {
                    Ok(()) => format!("it was kept as {}", aside.display()),
                    Err(re) => format!("it could not be set aside ({re})"),
                };
                LoadedSettings {
                    settings: Settings::default(),
                    existed: false,
                    notice: Some(format!(
                        "The settings file {} could not be read ({e}); {kept} and the default \
                         settings are used.",
                        path.display()
                    )),
                }
            }
        }
    }

    /// Writes the settings to `config_dir` atomically (temporary file, sync, rename). Blocking.
    pub fn save(&self, config_dir: &Path) -> Result<(), SettingsError> {
        let path = Settings::path(config_dir);
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(config_dir)?;
            let mut bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
            bytes.push(b'\n');
            crate::library::durable::write_file(&path, &bytes, true)
        };
        write().map_err(|source| SettingsError::Write { path, source })
    }

    /// The values brought within their ranges (a hand-edited file may hold anything).
    pub fn checked(mut self) -> Settings {
        self.jobs_in_flight = self
            .jobs_in_flight
            .clamp(*JOBS_IN_FLIGHT_RANGE.start(), *JOBS_IN_FLIGHT_RANGE.end());
        let secs = |v: f32, default: f32| {
            if v.is_finite() {
                v.clamp(0.0, 3600.0)
            } else {
                default
            }
        };
        self.sim_queue_secs = secs(self.sim_queue_secs, 1.5);
        self.sim_run_secs = secs(self.sim_run_secs, 2.0);
        // Money safety: a budget that is not a valid amount fails closed (a budget of $0, so
        // every job needs the user's "anyway") rather than open (no limit at all).
        let closed = |v: Option<f64>| v.map(|v| if valid_budget(v) { v } else { 0.0 });
        self.budgets.daily_usd = closed(self.budgets.daily_usd);
        self.budgets.monthly_usd = closed(self.budgets.monthly_usd);
        self.output_dir = self.output_dir.filter(|p| !p.as_os_str().is_empty());
        self
    }

    /// A sentence for a budget that is not a positive amount (a hand-edited file): it counts
    /// as $0 until fixed, and the user must know why every job is refused.
    fn budget_problem(&self, path: &Path) -> Option<String> {
        [
            ("daily", self.budgets.daily_usd),
            ("monthly", self.budgets.monthly_usd),
        ]
        .into_iter()
        .find_map(|(name, v)| {
            v.filter(|v| !valid_budget(*v)).map(|v| {
                format!(
                    "The {name} budget in {} must be a positive amount, not {v}; until it is \
                     fixed it counts as $0, so every job is over it (Settings → Budgets).",
                    path.display()
                )
            })
        })
    }

    /// The library folder: the one chosen, else `default` (the environment's or the OS's).
    pub fn output_dir_or(&self, default: &Path) -> PathBuf {
        self.output_dir
            .clone()
            .unwrap_or_else(|| default.to_path_buf())
    }

    /// The simulator's time in queue and running time.
    pub fn sim_timing(&self) -> (Duration, Duration) {
        (
            Duration::from_secs_f32(self.sim_queue_secs.max(0.0)),
            Duration::from_secs_f32(self.sim_run_secs.max(0.0)),
        )
    }
}

/// `<config dir>/settings.json` of the environment's config folder.
pub fn settings_path() -> PathBuf {
    Settings::path(&crate::paths::config_dir())
}

/// A budget must be a finite amount of zero or more dollars.
fn valid_budget(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

/// The file's bytes, None when it does not exist; bounded in size.
fn read_bounded(path: &Path) -> Result<Option<Vec<u8>>, SettingsError> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SettingsError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_SETTINGS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| SettingsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(SettingsError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!(
                "larger than {} KiB, not a settings file",
                MAX_SETTINGS_BYTES / 1024
            )),
        });
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_load_back_and_missing_fields_take_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let first = Settings::load(dir.path());
        assert!(!first.existed);
        assert_eq!(first.settings, Settings::default());
        let chosen = Settings {
            output_dir: Some(dir.path().join("films")),
            jobs_in_flight: 7,
            budgets: Budgets {
                daily_usd: Some(12.5),
                monthly_usd: None,
            },
            ..Settings::default()
        };
        chosen.save(dir.path()).unwrap();
        let again = Settings::load(dir.path());
        assert!(again.existed);
        assert_eq!(again.settings, chosen);
        std::fs::write(Settings::path(dir.path()), br#"{"jobs_in_flight": 99}"#).unwrap();
        let partial = Settings::load(dir.path()).settings;
        assert_eq!(partial.jobs_in_flight, 32, "clamped");
        assert_eq!(partial.output_dir, None);
        assert_eq!(partial.sim_run_secs, 2.0);
    }

    #[test]
    fn a_damaged_file_is_set_aside_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(Settings::path(dir.path()), b"{not json").unwrap();
        let loaded = Settings::load(dir.path());
        assert_eq!(loaded.settings, Settings::default());
        let notice = loaded.notice.expect("a notice");
        assert!(notice.contains("settings.json.damaged"), "{notice}");
        assert_eq!(
            std::fs::read(dir.path().join("settings.json.damaged")).unwrap(),
            b"{not json"
        );
    }

    #[test]
    fn budgets_round_trip_and_unknown_fields_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = Settings::path(dir.path());
        std::fs::write(&path, r#"{"budgets": {"daily_usd": 5}, "theme": "dark"}"#).unwrap();
        let mut s = Settings::load(dir.path()).settings;
        assert_eq!(s.budgets.daily_usd, Some(5.0));
        s.budgets.monthly_usd = Some(50.0);
        s.save(dir.path()).unwrap();
        let again = Settings::load(dir.path()).settings;
        assert_eq!(again.budgets.monthly_usd, Some(50.0));
        assert_eq!(again.other.get("theme"), Some(&Value::from("dark")));
        assert_eq!(
            again.jobs_in_flight, 4,
            "the window's fields beside the budgets"
        );
        std::fs::write(&path, r#"{"budgets": {"daily_usd": -1}}"#).unwrap();
        let negative = Settings::load(dir.path());
        assert_eq!(
            negative.settings.budgets.daily_usd,
            Some(0.0),
            "fails closed"
        );
        let notice = negative.notice.expect("a notice for the negative budget");
        assert!(notice.contains("daily budget"), "{notice}");
    }
}
