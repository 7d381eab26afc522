//! What the window keeps between runs, and where it is.

use super::*;

/// The main views behind the tabs in the top bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum View {
    /// Endpoint picker, form and queue.
    #[default]
    Create,
    /// Finished videos.
    Gallery,
    /// Storyboards: shots in order, trimmed, played and exported.
    Storyboard,
    /// Key, folders, theme.
    Settings,
}

/// What survives a restart (eframe storage). Never the key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    /// Light, dark or system.
    pub theme: ThemeChoice,
    /// The endpoint shown last.
    pub last_endpoint: Option<String>,
    /// Each endpoint's last form values.
    pub forms: BTreeMap<String, FormState>,
    /// The view shown last.
    pub view: View,
    /// The queue panel is open.
    pub show_queue: bool,
    /// Jobs submitted per Generate.
    pub variations: u32,
    /// Older windows kept the shared settings here; read once to migrate them into the
    /// settings file, never written again (0 = not set).
    #[serde(rename = "jobs_in_flight", skip_serializing)]
    pub legacy_jobs_in_flight: u32,
    /// See `legacy_jobs_in_flight`.
    #[serde(rename = "output_dir", skip_serializing)]
    pub legacy_output_dir: Option<PathBuf>,
    /// See `legacy_jobs_in_flight` (negative = not set).
    #[serde(rename = "sim_queue_secs", skip_serializing)]
    pub legacy_sim_queue_secs: f32,
    /// See `legacy_jobs_in_flight` (negative = not set).
    #[serde(rename = "sim_run_secs", skip_serializing)]
    pub legacy_sim_run_secs: f32,
}

impl Persisted {
    /// What older window state holds of the shared settings (for the session's first start).
    pub fn migration(&self) -> Migration {
        Migration {
            output_dir: self.legacy_output_dir.clone(),
            jobs_in_flight: Some(self.legacy_jobs_in_flight).filter(|n| *n > 0),
            sim_timing: Some((self.legacy_sim_queue_secs, self.legacy_sim_run_secs))
                .filter(|(q, r)| *q >= 0.0 && *r >= 0.0),
        }
    }
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted {
            theme: ThemeChoice::System,
            last_endpoint: None,
            forms: BTreeMap::new(),
            view: View::Create,
            show_queue: true,
            variations: 1,
            legacy_jobs_in_flight: 0,
            legacy_output_dir: None,
            legacy_sim_queue_secs: -1.0,
            legacy_sim_run_secs: -1.0,
        }
    }
}

/// Where the window is: checking for a key, welcoming, or the studio itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Looking for a saved key (a blocking keyring call runs off the UI thread).
    Loading,
    /// No key and no simulator: offer both.
    Welcome,
    /// The studio.
    Studio,
}
