//! The one way both front ends set up the engine: the folders, the shared settings file, the
//! journal (opened and recovered by [`crate::store::open_journal`]), the key (by
//! [`crate::fal::resolve_key`]), the client, the catalog and the engine.
//!
//! The window and every subcommand call [`Session::open`] and [`Session::start_engine`]; what
//! differs between them (the command line gives up sooner, the window resumes jobs on start)
//! is the [`FrontEnd`] they pass, in one table here. Everything here may block on disk or the
//! keyring: the window calls it from background tasks, never its UI thread.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::catalog::Catalog;
use crate::fal::{ApiKey, ClientOptions, FalClient, FalError, FalUrls, ResolvedKey, RunKeys};
use crate::jobs::{EngineConfig, EngineError, EngineHandle, JobEngine, JobEvent, ModelSource};
use crate::keystore::KeyStore;
use crate::money::{MoneyHandle, PriceBook};
use crate::settings::{LoadedSettings, Settings, SettingsError};
use crate::store::{Journal, JournalError};

/// The folders a session works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPaths {
    /// Settings and the key file.
    pub config_dir: PathBuf,
    /// The journal and the window's own state.
    pub data_dir: PathBuf,
    /// Thumbnails, fetched schemas, re-encoded pictures.
    pub cache_dir: PathBuf,
    /// The library folder when none is chosen in the settings.
    pub default_output_dir: PathBuf,
}

impl SessionPaths {
    /// The folders from `REELSMITH_*_DIR` (and `REELSMITH_OUTPUT_DIR`) or the OS defaults.
    pub fn from_env() -> SessionPaths {
        SessionPaths {
            config_dir: crate::paths::config_dir(),
            data_dir: crate::paths::data_dir(),
            cache_dir: crate::paths::cache_dir(),
            default_output_dir: crate::library::output_dir(),
        }
    }

    /// `config`, `data`, `cache` and `videos` under `root` (tests, demos).
    pub fn in_dir(root: &Path) -> SessionPaths {
        SessionPaths {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
            cache_dir: root.join("cache"),
            default_output_dir: root.join("videos"),
        }
    }
}

/// Which front end runs the engine; the only thing that differs between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontEnd {
    /// The studio window: resumes unfinished jobs on start, patient with the network.
    Window,
    /// A subcommand: resumes only what it is asked to, gives up sooner (the job stays
    /// resumable), and honours `REELSMITH_MAX_JOBS`, `REELSMITH_STALL_AFTER_SECS`,
    /// `REELSMITH_LOOKUP_PATIENCE_SECS` and `REELSMITH_REQUEST_TIMEOUT_SECS`.
    Cli,
}

/// Older state to carry into the settings file when there is none yet (the window's
/// `window.ron` kept the output folder and jobs in flight before the settings file existed).
#[derive(Debug, Clone, Default)]
pub struct Migration {
    /// The output folder chosen in the window.
    pub output_dir: Option<PathBuf>,
    /// Jobs in flight chosen in the window.
    pub jobs_in_flight: Option<u32>,
    /// Simulator timing chosen in the window (queue, run seconds).
    pub sim_timing: Option<(f32, f32)>,
}

/// Setting up a session or its engine failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The journal could not be opened.
    #[error("the job journal could not be opened: {0}")]
    Journal(#[from] JournalError),
    /// The settings could not be saved.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be set up: {}", .0.user_message())]
    Client(FalError),
    /// The engine did not start.
    #[error("the job engine could not start: {0}")]
    Engine(#[from] EngineError),
}

/// What an engine is started for: where its calls go and with which key.
#[derive(Clone)]
pub struct EngineStart {
    /// fal's hosts, or the simulator's.
    pub urls: FalUrls,
    /// The key sent with each call (None: calls go without one and fail as unauthorised).
    pub key: Option<ApiKey>,
    /// Jobs run against the built-in simulator.
    pub simulated: bool,
    /// The front end starting it.
    pub front: FrontEnd,
    /// Called after every engine event (the window asks for a repaint).
    pub on_change: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Prices and budgets shared with the front end (the window's, which it edits); None: the
    /// budgets of the settings and the prices cached for the key ([`money_handle`]).
    pub money: Option<MoneyHandle>,
}

/// A started engine and what it was set up with.
pub struct RunningEngine {
    /// The engine.
    pub handle: EngineHandle,
    /// Its events.
    pub events: broadcast::Receiver<JobEvent>,
    /// The files and settings it was started with.
    pub summary: EngineSummary,
}

/// The files and settings an engine was started with: the same for both front ends over the
/// same folders (the tests compare them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSummary {
    /// The settings file read.
    pub settings_file: PathBuf,
    /// The journal.
    pub journal: PathBuf,
    /// Where finished videos go.
    pub output_dir: PathBuf,
    /// Jobs worked on at once.
    pub jobs_in_flight: usize,
    /// Where pictures over a field's limits are re-encoded.
    pub scratch_dir: PathBuf,
    /// Against the simulator.
    pub simulated: bool,
}

impl std::fmt::Display for EngineSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "settings {}; journal {}; library {}; {} job(s) at once; scratch {}{}",
            self.settings_file.display(),
            self.journal.display(),
            self.output_dir.display(),
            self.jobs_in_flight,
            self.scratch_dir.display(),
            if self.simulated { "; simulator" } else { "" }
        )
    }
}

/// An open session: its folders, the shared settings and the journal.
pub struct Session {
    paths: SessionPaths,
    settings: Mutex<Settings>,
    journal: Arc<Journal>,
    notices: Vec<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("paths", &self.paths)
            .field("journal", &self.journal.path())
            .finish()
    }
}

impl Session {
    /// Reads the settings (migrating `migration` into a new settings file on first start),
    /// and opens and recovers the journal. Blocking: disk.
    pub fn open(
        paths: SessionPaths,
        migration: Option<Migration>,
    ) -> Result<Session, SessionError> {
        let LoadedSettings {
            mut settings,
            existed,
            notice,
        } = Settings::load(&paths.config_dir);
        let mut notices: Vec<String> = notice.into_iter().collect();
        if !existed && let Some(m) = migration {
            if m.output_dir.is_some() {
                settings.output_dir = m.output_dir;
            }
            if let Some(n) = m.jobs_in_flight {
                settings.jobs_in_flight = n;
            }
            if let Some((queue, run)) = m.sim_timing {
                settings.sim_queue_secs = queue;
                settings.sim_run_secs = run;
            }
            settings = settings.checked();
            // A failed migration is not fatal: the values are in use, only not saved yet.
            if let Err(e) = settings.save(&paths.config_dir) {
                notices.push(format!("{e}."));
            }
        }
        let library_dirs = vec![settings.output_dir_or(&paths.default_output_dir)];
        let opened = crate::store::open_journal(&paths.data_dir, &library_dirs)?;
        notices.extend(opened.notices);
        Ok(Session {
            paths,
            settings: Mutex::new(settings),
            journal: opened.journal,
            notices,
        })
    }

    /// The folders.
    pub fn paths(&self) -> &SessionPaths {
        &self.paths
    }

    /// The settings in effect.
    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Saves `settings` to the settings file and uses them for engines started from now on.
    /// Blocking: disk.
    pub fn update_settings(&self, settings: Settings) -> Result<(), SettingsError> {
        let settings = settings.checked();
        settings.save(&self.paths.config_dir)?;
        *lock(&self.settings) = settings;
        Ok(())
    }

    /// The library folder in effect.
    pub fn output_dir(&self) -> PathBuf {
        self.settings()
            .output_dir_or(&self.paths.default_output_dir)
    }

    /// The journal.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// What opening found worth telling the user (a damaged journal or settings file).
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The key a run at `urls` uses, by the core's one resolution. Blocking: the keyring.
    pub fn resolve_key(
        store: &KeyStore,
        urls: &FalUrls,
        run: &RunKeys,
    ) -> Result<ResolvedKey, FalError> {
        crate::fal::resolve_key(store, urls, run)
    }

    /// The form models: the catalog in the cache folder, read again for each lookup so that an
    /// endpoint added while the engine runs is found.
    pub fn models(&self) -> Arc<dyn ModelSource> {
        let cache = self.paths.cache_dir.clone();
        Arc::new(move |id: &str| Catalog::load(&cache).model(id).map_err(|e| e.to_string()))
    }

    /// The engine settings for `front` from the shared settings.
    pub fn engine_config(&self, front: FrontEnd, simulated: bool) -> EngineConfig {
        let settings = self.settings();
        let mut config = EngineConfig {
            max_in_flight: settings.jobs_in_flight.max(1) as usize,
            output_dir: settings.output_dir_or(&self.paths.default_output_dir),
            scratch_dir: self.paths.cache_dir.join("prepared"),
            simulated,
            ..EngineConfig::default()
        };
        match front {
            FrontEnd::Window => config.resume_on_start = true,
            FrontEnd::Cli => {
                config.resume_on_start = false;
                // A command gives up sooner than the window does; the job stays resumable.
                config.network_patience = Duration::from_secs(120);
                config.lookup_patience = Duration::from_secs(180);
                if let Some(s) = env_u64("REELSMITH_LOOKUP_PATIENCE_SECS") {
                    config.lookup_patience = Duration::from_secs(s);
                }
                if let Some(n) = env_u64("REELSMITH_MAX_JOBS").filter(|n| *n > 0) {
                    config.max_in_flight = n as usize;
                }
                if let Some(s) = env_u64("REELSMITH_STALL_AFTER_SECS").filter(|s| *s > 0) {
                    config.stall_after = Duration::from_secs(s);
                }
            }
        }
        config
    }

    /// The budgets of the settings and the live prices cached for `client`'s key. Blocking:
    /// reads the price cache.
    pub fn money_for(&self, client: &FalClient) -> MoneyHandle {
        money_handle(&self.settings(), &self.paths.cache_dir, client)
    }

    /// Builds the client and starts the engine over the journal. Blocking: the engine takes a
    /// lock file and reads every job of the journal.
    pub fn start_engine(&self, start: EngineStart) -> Result<RunningEngine, SessionError> {
        let mut config = self.engine_config(start.front, start.simulated);
        config.on_change = start.on_change.clone();
        let client = client_for(&start.urls, start.key.clone(), start.front)
            .map_err(SessionError::Client)?;
        config.money = match &start.money {
            Some(money) => money.clone(),
            None => self.money_for(&client),
        };
        let summary = EngineSummary {
            settings_file: Settings::path(&self.paths.config_dir),
            journal: self.journal.path().to_path_buf(),
            output_dir: config.output_dir.clone(),
            jobs_in_flight: config.max_in_flight,
            scratch_dir: config.scratch_dir.clone(),
            simulated: config.simulated,
        };
        let (handle, events) =
            JobEngine::start(config, client, self.models(), self.journal.clone())?;
        Ok(RunningEngine {
            handle,
            events,
            summary,
        })
    }
}

/// The client for `urls` and `key` as `front` uses it: a command honours
/// `REELSMITH_REQUEST_TIMEOUT_SECS`.
pub fn client_for(
    urls: &FalUrls,
    key: Option<ApiKey>,
    front: FrontEnd,
) -> Result<FalClient, FalError> {
    let mut client = FalClient::new(urls.clone(), key)?;
    if front == FrontEnd::Cli
        && let Some(secs) = env_u64("REELSMITH_REQUEST_TIMEOUT_SECS").filter(|s| *s > 0)
    {
        let options = ClientOptions {
            request_timeout: Duration::from_secs(secs),
            ..client.options().clone()
        };
        client = client.with_options(options)?;
    }
    Ok(client)
}

/// Prices and budgets for an engine: the budgets of `settings` and the live prices cached in
/// `cache_dir` for `client`'s key (the bundled table where none are cached). Blocking: disk.
pub fn money_handle(settings: &Settings, cache_dir: &Path, client: &FalClient) -> MoneyHandle {
    let book = PriceBook::load(
        &PriceBook::path_in(cache_dir),
        client.key_fingerprint().as_deref(),
    );
    MoneyHandle::new(book, settings.budgets)
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

fn lock(m: &Mutex<Settings>) -> std::sync::MutexGuard<'_, Settings> {
    // Settings are replaced whole, so a panic elsewhere cannot leave them half-written.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_open_migrates_older_window_state_and_later_opens_do_not() {
        let root = tempfile::tempdir().unwrap();
        let paths = SessionPaths::in_dir(root.path());
        let films = root.path().join("films");
        let migration = Migration {
            output_dir: Some(films.clone()),
            jobs_in_flight: Some(9),
            sim_timing: None,
        };
        let session = Session::open(paths.clone(), Some(migration.clone())).unwrap();
        assert_eq!(session.output_dir(), films);
        assert_eq!(session.engine_config(FrontEnd::Cli, false).max_in_flight, 9);
        drop(session);
        // The file now exists: a second migration (stale window state) changes nothing.
        let other = Migration {
            output_dir: Some(root.path().join("elsewhere")),
            jobs_in_flight: Some(2),
            sim_timing: None,
        };
        let session = Session::open(paths.clone(), Some(other)).unwrap();
        assert_eq!(session.output_dir(), films);
        let mut s = session.settings();
        s.output_dir = None;
        session.update_settings(s).unwrap();
        assert_eq!(session.output_dir(), paths.default_output_dir);
        assert_eq!(Settings::load(&paths.config_dir).settings.output_dir, None);
    }

    #[test]
    fn both_front_ends_take_folder_and_jobs_from_the_settings() {
        let root = tempfile::tempdir().unwrap();
        let paths = SessionPaths::in_dir(root.path());
        let session = Session::open(paths.clone(), None).unwrap();
        let mut s = session.settings();
        s.output_dir = Some(root.path().join("chosen"));
        s.jobs_in_flight = 3;
        session.update_settings(s).unwrap();
        for front in [FrontEnd::Window, FrontEnd::Cli] {
            let c = session.engine_config(front, false);
            assert_eq!(c.output_dir, root.path().join("chosen"), "{front:?}");
            assert_eq!(c.scratch_dir, paths.cache_dir.join("prepared"), "{front:?}");
        }
        assert!(
            session
                .engine_config(FrontEnd::Window, false)
                .resume_on_start
        );
        assert!(!session.engine_config(FrontEnd::Cli, false).resume_on_start);
    }
}
