//! What the window is started with: folders, the service it talks to, and test hooks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reelsmith_core::fal::{FalUrls, RunKeys};
use reelsmith_core::keystore::KeyStore;
use reelsmith_core::media::playback::AudioDevice;
use reelsmith_sim::Simulator;

/// Picks where "Save as…" writes; the default opens a native dialog, tests inject a path.
pub type SaveAsPicker = Arc<dyn Fn(&Path) -> Option<PathBuf> + Send + Sync>;

/// Picks a file to open (a batch's CSV); the default opens a native dialog, tests inject a
/// path. Blocking: it runs on a worker thread, never the UI thread.
pub type FilePicker = Arc<dyn Fn(&Path) -> Option<PathBuf> + Send + Sync>;

/// Picks the library folder in Settings; the default opens a native dialog, tests inject one.
/// Blocking: it runs on a worker thread, never the UI thread.
pub type FolderPicker = Arc<dyn Fn(&Path) -> Option<PathBuf> + Send + Sync>;

/// Finds the sound output for the player. Called off the UI thread (opening a device may
/// block); `None` plays silent with a note.
pub type SoundOutput = Arc<dyn Fn() -> Option<Arc<dyn AudioDevice>> + Send + Sync>;

/// The fal service or the simulator standing in for it.
#[derive(Clone)]
pub struct Service {
    /// Base URLs of the queue, REST and OpenAPI hosts.
    pub urls: FalUrls,
    /// The running in-process simulator, when simulating.
    pub simulator: Option<Arc<Simulator>>,
}

impl Service {
    /// The real fal service at `urls`.
    pub fn live(urls: FalUrls) -> Service {
        Service {
            urls,
            simulator: None,
        }
    }

    /// The in-process simulator.
    pub fn simulator(sim: Arc<Simulator>) -> Service {
        Service {
            urls: sim.fal_urls(),
            simulator: Some(sim),
        }
    }

    /// True when this is the simulator, not fal.
    pub fn is_simulated(&self) -> bool {
        self.simulator.is_some()
    }
}

/// Everything the window needs from outside.
#[derive(Clone)]
pub struct StudioConfig {
    /// Settings and the key file.
    pub config_dir: PathBuf,
    /// The job journal and window state.
    pub data_dir: PathBuf,
    /// Thumbnails, poster frames, fetched schemas, pasted images.
    pub cache_dir: PathBuf,
    /// Where finished videos go unless the user picked another folder in settings.
    pub default_output_dir: PathBuf,
    /// fal or the simulator.
    pub service: Service,
    /// Where a saved key is kept (tests use a file or memory, never the real keyring).
    pub key_store: KeyStore,
    /// The keys given for this run (`FAL_KEY`, `FAL_KEY_ID` + `FAL_KEY_SECRET`).
    pub run_keys: RunKeys,
    /// Chooses the destination of "Save as…".
    pub save_as: SaveAsPicker,
    /// Chooses the library folder in Settings.
    pub pick_folder: FolderPicker,
    /// The player's sound output (the system's; none in tests unless they give one).
    pub sound: SoundOutput,
    /// Chooses the CSV of a batch ("Import CSV…" in the form).
    pub pick_csv: FilePicker,
    /// Opens files and shows them in the file manager (the system's; tests record instead).
    pub system_open: crate::ui::system_open::SystemOpener,
}

impl StudioConfig {
    /// The folders from `REELSMITH_*_DIR` or the OS defaults, with a native save dialog.
    pub fn from_env(service: Service) -> StudioConfig {
        let config_dir = reelsmith_core::paths::config_dir();
        let key_store = KeyStore::from_env(&config_dir).unwrap_or_else(|e| {
            tracing::warn!("{e}; keeping the key in credentials.json instead");
            KeyStore::file_only(&config_dir)
        });
        StudioConfig {
            config_dir,
            data_dir: reelsmith_core::paths::data_dir(),
            cache_dir: reelsmith_core::paths::cache_dir(),
            default_output_dir: reelsmith_core::library::output_dir(),
            service,
            key_store,
            run_keys: RunKeys::from_env(),
            save_as: Arc::new(native_save_dialog),
            pick_folder: Arc::new(native_folder_dialog),
            sound: Arc::new(reelsmith_audio_device::system_output),
            pick_csv: Arc::new(native_csv_dialog),
            system_open: crate::ui::system_open::native_opener(),
        }
    }

    /// Folders under `root` (config, data, cache, videos), no keyring (a saved key goes to
    /// `credentials.json` there) and no key from the environment: for tests and demos.
    pub fn in_dir(root: &Path, service: Service) -> StudioConfig {
        StudioConfig {
            key_store: KeyStore::file_only(&root.join("config")),
            run_keys: RunKeys::none(),
            config_dir: root.join("config"),
            data_dir: root.join("data"),
            cache_dir: root.join("cache"),
            default_output_dir: root.join("videos"),
            service,
            save_as: Arc::new(native_save_dialog),
            pick_folder: Arc::new(native_folder_dialog),
            sound: Arc::new(|| None),
            pick_csv: Arc::new(native_csv_dialog),
            system_open: crate::ui::system_open::native_opener(),
        }
    }
}

impl StudioConfig {
    /// The session's folders (the same the command line uses for the same environment).
    pub fn session_paths(&self) -> reelsmith_core::session::SessionPaths {
        reelsmith_core::session::SessionPaths {
            config_dir: self.config_dir.clone(),
            data_dir: self.data_dir.clone(),
            cache_dir: self.cache_dir.clone(),
            default_output_dir: self.default_output_dir.clone(),
        }
    }
}

/// The native "open" dialog for a CSV file. Blocking: call it from a worker thread.
fn native_csv_dialog(start: &Path) -> Option<PathBuf> {
    rfd::FileDialog::new()
        .set_directory(start)
        .add_filter("CSV", &["csv"])
        .pick_file()
}

/// The native folder dialog. Blocking: call it from a worker thread.
fn native_folder_dialog(start: &Path) -> Option<PathBuf> {
    rfd::FileDialog::new().set_directory(start).pick_folder()
}

/// The native "Save as" dialog. Blocking: call it from a worker thread, never the UI thread.
fn native_save_dialog(suggested: &Path) -> Option<PathBuf> {
    let mut dialog = rfd::FileDialog::new().add_filter("MP4 video", &["mp4"]);
    if let Some(name) = suggested.file_name() {
        dialog = dialog.set_file_name(name.to_string_lossy());
    }
    if let Some(dir) = suggested.parent() {
        dialog = dialog.set_directory(dir);
    }
    dialog.save_file()
}
