//! The eframe app: state, the frame loop, the top bar and the layout of the panels.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use egui::{Key, KeyboardShortcut, Modifiers, RichText};
use poll_promise::Promise;
use serde::{Deserialize, Serialize};

use super::config::{Service, StudioConfig};
use super::endpoints::{self, Picker};
use super::engine_link::{EngineLink, Target};
use super::form::{self, FormUi};
use super::gallery::{self, GalleryState};
use super::keystore::KeyTasks;
use super::references::{self, MediaInbox};
use super::settings::{self, SettingsState};
use super::theme::{self, ThemeChoice, Tone};
use super::thumbs::Thumbnails;
use super::welcome::{self, WelcomeState};
use super::{closing, help, queue, unknown_card};
use reelsmith_core::catalog::{Catalog, CatalogEntry};
use reelsmith_core::fal::{ApiKey, KeySource, ResolvedKey};
use reelsmith_core::jobs::JobId;
use reelsmith_core::library::LibraryItem;
use reelsmith_core::schema::{self, FormModel, FormState, Issue};
use reelsmith_core::session::Migration;
use reelsmith_core::settings::Settings;

/// Generate (and the help overlay) use these shortcuts.
pub const GENERATE_SHORTCUT: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);
/// How long a toast stays up.
const TOAST_DURATION: Duration = Duration::from_secs(4);
/// Opens the help overlay.
pub const HELP_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::F1);
/// Focuses the endpoint filter.
pub const FILTER_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::K);
/// Switches to the create view.
pub const CREATE_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Num1);
/// Switches to the gallery.
pub const GALLERY_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Num2);
/// Opens settings.
pub const SETTINGS_SHORTCUT: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND, Key::Comma);

/// The main views behind the tabs in the top bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum View {
    /// Endpoint picker, form and queue.
    #[default]
    Create,
    /// Finished videos.
    Gallery,
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

/// Something a panel asks the app to do; applied in one place after drawing.
#[derive(Debug, Clone)]
pub enum Action {
    /// Show this endpoint's form.
    SelectEndpoint(String),
    /// Submit the current form (Variations times).
    Generate,
    /// Cancel a job.
    Cancel(JobId),
    /// Submit a failed or cancelled job again.
    Retry(JobId),
    /// Look in fal's request history again for a job whose submission is unknown.
    LookAgain(JobId),
    /// Submit a job whose submission is unknown again (the user confirmed the cost).
    ResubmitUnknown(JobId),
    /// Forget a finished job from the queue (the video stays).
    Remove(JobId),
    /// Fill the form from a job's or video's settings.
    UseSettings {
        /// The endpoint.
        endpoint_id: String,
        /// The serialized `FormState` (or, for old videos, the submitted input).
        form: serde_json::Value,
    },
    /// Open a file in the system's default application.
    Open(PathBuf),
    /// Show a file in the file manager.
    Reveal(PathBuf),
    /// Copy a video and its sidecar elsewhere.
    SaveAs(LibraryItem),
    /// Delete a video and its sidecar (after confirmation).
    DeleteVideo(LibraryItem),
    /// Open extend-video with this clip.
    ExtendClip(PathBuf),
    /// Use the clip's last frame as the first frame of a new image-to-video job.
    LastFrameAsFirst(PathBuf),
    /// Open video-as-prompt with this clip as the motion reference.
    MotionReference(PathBuf),
    /// Add media to a field (`elements[0].reference_image_urls`).
    AddMedia {
        /// The field path.
        field: String,
        /// What to add.
        items: Vec<schema::MediaRef>,
    },
    /// Put text on the clipboard and say so.
    CopyText(String, &'static str),
    /// Switch view.
    SetView(View),
    /// Show a toast.
    Toast(Tone, String),
    /// Save this key (from welcome or settings) and use it where saved keys may go.
    UseKey(ApiKey),
    /// Start the in-process simulator.
    StartSimulator,
    /// Forget the saved key.
    ForgetKey,
    /// Apply the theme choice.
    SetTheme(ThemeChoice),
    /// Use these shared settings (saved in the background; the engine restarts with them
    /// when `restart`).
    ApplySettings {
        /// The new settings.
        settings: Settings,
        /// Restart the engine (output folder, jobs in flight changed).
        restart: bool,
    },
}

/// The studio window's state.
pub struct StudioApp {
    /// Folders, service, hooks.
    pub config: StudioConfig,
    /// What persists.
    pub persisted: Persisted,
    /// Which screen is up.
    pub screen: Screen,
    /// The key in use, where it came from and where it goes.
    pub key: Option<ResolvedKey>,
    /// Why there is no key, when that is more than "none saved" (pointed elsewhere than fal).
    pub key_problem: Option<String>,
    /// Key lookups, saves and forgets under way (all off the UI thread).
    pub key_tasks: KeyTasks,
    sim_starting: Option<Promise<Result<Arc<reelsmith_sim::Simulator>, String>>>,
    /// Welcome screen state.
    pub welcome: WelcomeState,
    /// The endpoint catalog (taken out while a fetch runs).
    pub catalog: Option<Catalog>,
    /// The catalog's entries, grouped by family.
    pub entries: Vec<CatalogEntry>,
    /// Endpoint picker state.
    pub picker: Picker,
    /// The current endpoint's form model.
    pub model: Option<FormModel>,
    /// Why the current endpoint could not be loaded.
    pub model_error: Option<String>,
    /// Validation issues of the current form.
    pub issues: Vec<Issue>,
    validated: Option<(String, FormState)>,
    /// The cost estimate of the current form.
    pub cost: Option<schema::cost::CostEstimate>,
    /// Form-drawing state (JSON buffers, completion).
    pub form_ui: FormUi,
    /// Dropped, pasted and picked media waiting for a field.
    pub inbox: MediaInbox,
    /// Thumbnails and media facts.
    pub thumbs: Thumbnails,
    /// The job engine and the library.
    pub engine: EngineLink,
    /// Gallery state.
    pub gallery: GalleryState,
    /// Settings page state.
    pub settings: SettingsState,
    /// The help overlay is open.
    pub help_open: bool,
    /// "Submit again" of an unknown job is waiting for confirmation.
    pub confirm_resubmit: Option<JobId>,
    first_frame: super::startup::FirstFrameProbe,
    /// Demo jobs to queue once the engine runs (benchmark hook).
    pending_demo_jobs: u32,
    toasts: egui_notify::Toasts,
    actions: Vec<Action>,
    rt: tokio::runtime::Handle,
    ctx: egui::Context,
}

impl StudioApp {
    /// Builds the app; the caller must be inside a tokio runtime (see [`super::run`]).
    pub fn new(cc: &eframe::CreationContext<'_>, config: StudioConfig) -> StudioApp {
        let persisted: Persisted = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        StudioApp::with_state(&cc.egui_ctx, config, persisted)
    }

    /// Builds the app with a given persisted state (tests use this to simulate a restart).
    pub fn with_state(
        ctx: &egui::Context,
        config: StudioConfig,
        persisted: Persisted,
    ) -> StudioApp {
        theme::install(ctx, persisted.theme);
        let rt = tokio::runtime::Handle::current();
        let key_tasks = KeyTasks::new(config.key_store.clone(), config.run_keys.clone());
        let catalog = Catalog::load(&config.cache_dir);
        let entries = catalog.entries();
        let thumbs = Thumbnails::new(ctx, &config.cache_dir);
        // The journal and library are read in the background: the first frame does not wait.
        let engine = EngineLink::open(ctx, config.session_paths(), persisted.migration());
        let mut app = StudioApp {
            persisted,
            screen: Screen::Loading,
            key: None,
            key_problem: None,
            key_tasks,
            sim_starting: None,
            welcome: WelcomeState::default(),
            catalog: Some(catalog),
            entries,
            picker: Picker::default(),
            model: None,
            model_error: None,
            issues: Vec::new(),
            validated: None,
            cost: None,
            form_ui: FormUi::default(),
            inbox: MediaInbox::default(),
            thumbs,
            engine,
            gallery: GalleryState::default(),
            settings: SettingsState::default(),
            help_open: false,
            confirm_resubmit: None,
            first_frame: super::startup::FirstFrameProbe::from_env(),
            pending_demo_jobs: 0,
            toasts: egui_notify::Toasts::default().with_anchor(egui_notify::Anchor::BottomRight),
            actions: Vec::new(),
            rt,
            ctx: ctx.clone(),
            config,
        };
        if let Some(sim) = app.config.service.simulator.clone() {
            app.use_simulator(sim);
        } else {
            let urls = app.config.service.urls.clone();
            app.key_tasks.start_lookup(urls, ctx);
        }
        let first = app
            .persisted
            .last_endpoint
            .clone()
            .filter(|id| app.entries.iter().any(|e| &e.endpoint_id == id))
            .or_else(|| app.entries.first().map(|e| e.endpoint_id.clone()));
        if let Some(id) = first {
            app.select_endpoint(&id);
        }
        app
    }

    /// True once the studio is up with its journal read and no engine (re)start under way
    /// (tests and benchmarks wait for this).
    pub fn studio_ready(&self) -> bool {
        self.screen == Screen::Studio && !self.engine.is_opening() && self.engine.status().is_none()
    }

    /// The tokio runtime the app spawns on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.rt
    }

    /// The egui context (for workers that must wake the UI).
    pub fn egui_ctx(&self) -> egui::Context {
        self.ctx.clone()
    }

    /// Shows a toast in the colour of `tone`.
    pub fn toast(&mut self, tone: Tone, text: impl Into<String>) {
        let dark = self.ctx.global_style().visuals.dark_mode;
        let icon = match tone {
            Tone::Danger | Tone::Warning => "!",
            _ => "•",
        };
        self.toasts
            .custom(text.into(), icon.to_string(), theme::tone_color(tone, dark))
            .duration(Some(TOAST_DURATION));
    }

    /// Queues an action for the end of the frame.
    pub fn act(&mut self, action: Action) {
        self.actions.push(action);
    }

    /// The current endpoint id.
    pub fn endpoint_id(&self) -> Option<&str> {
        self.model.as_ref().map(|m| m.endpoint_id.as_str())
    }

    /// The current form's values (created from the defaults on first use).
    pub fn form_state(&self) -> Option<&FormState> {
        self.persisted.forms.get(self.endpoint_id()?)
    }

    /// The current form's values, mutable.
    pub fn form_state_mut(&mut self) -> Option<&mut FormState> {
        let id = self.model.as_ref()?.endpoint_id.clone();
        self.persisted.forms.get_mut(&id)
    }

    /// True once every blocking error is fixed.
    pub fn can_generate(&self) -> Result<(), String> {
        if self.model.is_none() {
            return Err("Pick an endpoint first.".into());
        }
        if self.key.is_none() {
            return Err("Enter your fal key in Settings (or try the simulator).".into());
        }
        if !self.engine.is_ready() {
            return Err(self.engine.unavailable_reason());
        }
        let errors: Vec<&Issue> = self
            .issues
            .iter()
            .filter(|i| i.severity == schema::Severity::Error)
            .collect();
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors[0].message.clone()),
            n => Err(format!("{n} problems to fix. {}", errors[0].message)),
        }
    }

    fn select_endpoint(&mut self, id: &str) {
        let Some(catalog) = self.catalog.as_ref() else {
            return;
        };
        match catalog.model(id) {
            Ok(model) => {
                self.persisted
                    .forms
                    .entry(model.endpoint_id.clone())
                    .or_insert_with(|| FormState::from_defaults(&model));
                self.persisted.last_endpoint = Some(model.endpoint_id.clone());
                self.model = Some(model);
                self.model_error = None;
                self.form_ui = FormUi::default();
                self.validated = None;
                self.revalidate();
            }
            Err(e) => {
                self.model_error = Some(format!("Could not load {id}: {e}"));
            }
        }
    }

    /// Re-runs validation and the cost estimate when the form changed since the last run.
    fn revalidate(&mut self) {
        let Some(model) = self.model.as_ref() else {
            return;
        };
        let Some(state) = self.persisted.forms.get(&model.endpoint_id) else {
            return;
        };
        if let Some((id, last)) = &self.validated
            && id == &model.endpoint_id
            && last == state
        {
            return;
        }
        let mut issues = schema::validate(model, state);
        issues.extend(self.thumbs.media_issues(model, state));
        let placeholder = |p: &Path| Some(format!("file://{}", p.display()));
        self.cost = schema::build_payload(model, state, &placeholder)
            .ok()
            .and_then(|payload| schema::cost::estimate(&model.endpoint_id, &payload));
        self.issues = issues;
        self.validated = Some((model.endpoint_id.clone(), state.clone()));
    }

    /// Forces validation on the next frame (media facts arrived).
    pub fn invalidate(&mut self) {
        self.validated = None;
    }

    fn use_simulator(&mut self, sim: Arc<reelsmith_sim::Simulator>) {
        self.config.service = Service::simulator(sim);
        self.apply_sim_timing();
        // Benchmark hook: jobs that all run at once and outlast the measurement.
        let demo_jobs = super::startup::demo_job_count();
        if demo_jobs > 0 {
            self.pending_demo_jobs = demo_jobs;
        }
        let Some(sim) = self.config.service.simulator.clone() else {
            return;
        };
        let key = ResolvedKey {
            key: ApiKey::new(sim.key()),
            source: KeySource::Simulator,
            origin: sim.base_url(),
        };
        self.key = Some(key);
        self.key_problem = None;
        self.screen = Screen::Studio;
        self.restart_engine();
    }

    /// Gives the simulator the timing of the shared settings (the demo hook's, when set).
    fn apply_sim_timing(&self) {
        let Some(sim) = &self.config.service.simulator else {
            return;
        };
        if super::startup::demo_job_count() > 0 {
            sim.set_timing(Duration::ZERO, super::startup::DEMO_RUN_TIME);
        } else {
            let (queue, run) = self.engine.settings().sim_timing();
            sim.set_timing(queue, run);
        }
    }

    /// Submits `count` text-to-video jobs (see [`super::startup::DEMO_JOBS_ENV`]).
    fn queue_demo_jobs(&mut self, count: u32) {
        let Some(Ok(model)) = self
            .catalog
            .as_ref()
            .map(|c| c.model(super::startup::DEMO_ENDPOINT))
        else {
            return;
        };
        let mut state = FormState::from_defaults(&model);
        state.values.insert(
            "prompt".into(),
            schema::FieldValue::Text("A lighthouse at dusk, waves rolling in".into()),
        );
        if let Err(e) = self.engine.submit(&model, &state, count) {
            self.toast(Tone::Danger, e);
        }
    }

    /// Restarts the engine with the key in use (none: the engine stops), in the background.
    pub(crate) fn restart_engine(&mut self) {
        let target = self.key.as_ref().map(|k| Target {
            urls: self.config.service.urls.clone(),
            key: k.key.clone(),
            simulated: self.config.service.is_simulated(),
        });
        self.engine.connect(target);
    }

    /// The output folder in use.
    pub fn output_dir(&self) -> PathBuf {
        self.engine.output_dir(&self.config.default_output_dir)
    }

    fn poll_background(&mut self) {
        for outcome in self.key_tasks.poll() {
            self.key_outcome(outcome);
        }
        if let Some(p) = self.sim_starting.take() {
            match p.try_take() {
                Ok(Ok(sim)) => {
                    self.use_simulator(sim);
                    self.toast(
                        Tone::Waiting,
                        "Simulator started: jobs run locally and cost nothing.",
                    );
                }
                Ok(Err(e)) => {
                    self.welcome.error = Some(e.clone());
                    self.toast(Tone::Danger, e);
                }
                Err(p) => self.sim_starting = Some(p),
            }
        }
        if let Some(catalog) = endpoints::poll_fetch(&mut self.picker) {
            let (catalog, result) = catalog;
            self.entries = catalog.entries();
            self.catalog = Some(catalog);
            match result {
                Ok(id) => {
                    self.toast(Tone::Success, format!("Added {id}"));
                    self.select_endpoint(&id);
                }
                Err(e) => self.picker.add_error = Some(e),
            }
        }
        for notice in self.engine.poll() {
            self.toast(notice.tone, notice.text);
        }
        if self.engine.take_just_opened() {
            self.apply_sim_timing();
            if self.pending_demo_jobs > 0 {
                // The demo's jobs all run at once (fresh folders: nothing of the user's changes).
                let mut settings = self.engine.settings().clone();
                settings.jobs_in_flight = settings.jobs_in_flight.max(self.pending_demo_jobs);
                self.engine.apply_settings(settings, true);
            }
        }
        if self.pending_demo_jobs > 0 && self.engine.is_ready() && self.engine.status().is_none()
        {
            let count = std::mem::take(&mut self.pending_demo_jobs);
            self.queue_demo_jobs(count);
        }
        if self.thumbs.poll() {
            self.invalidate();
        }
        for (field, items) in self.inbox.poll() {
            self.add_media(&field, items);
        }
    }

    fn add_media(&mut self, field: &str, items: Vec<schema::MediaRef>) {
        let Some(model) = self.model.clone() else {
            return;
        };
        let Some(state) = self.form_state_mut() else {
            return;
        };
        match references::add_to_field(&model, state, field, items) {
            Ok(()) => self.invalidate(),
            Err(message) => {
                self.toast(Tone::Warning, message);
            }
        }
    }

    fn apply(&mut self, action: Action) {
        match action {
            Action::SelectEndpoint(id) => self.select_endpoint(&id),
            Action::Generate => self.generate(),
            Action::Cancel(id) => self.engine.cancel(&id),
            Action::Retry(id) => self.engine.retry(&id),
            Action::LookAgain(id) => self.engine.look_again(&id),
            Action::ResubmitUnknown(id) => self.engine.resubmit_unknown(&id),
            Action::Remove(id) => self.engine.remove(&id),
            Action::UseSettings { endpoint_id, form } => self.use_settings(&endpoint_id, &form),
            Action::Open(path) => {
                if let Err(e) = opener::open(&path) {
                    self.toast(
                        Tone::Danger,
                        format!("Could not open {}: {e}", path.display()),
                    );
                }
            }
            Action::Reveal(path) => {
                if let Err(e) = opener::reveal(&path) {
                    self.toast(
                        Tone::Danger,
                        format!("Could not show {} in its folder: {e}", path.display()),
                    );
                }
            }
            Action::SaveAs(item) => super::save_copy::start(self, item),
            // "Video deleted." is said once the files are gone (see the engine link).
            Action::DeleteVideo(item) => self.engine.delete_video(&item),
            Action::ExtendClip(path) => {
                self.reuse_clip("fal-ai/veo3.1/extend-video", "video_url", path)
            }
            Action::MotionReference(path) => {
                self.reuse_clip("fal-ai/video-as-prompt", "video_url", path)
            }
            Action::LastFrameAsFirst(path) => gallery::start_last_frame(self, path),
            Action::AddMedia { field, items } => self.add_media(&field, items),
            Action::CopyText(text, what) => {
                self.ctx.copy_text(text);
                self.toast(Tone::Waiting, format!("{what} copied."));
            }
            Action::SetView(view) => self.persisted.view = view,
            Action::Toast(tone, text) => {
                self.toast(tone, text);
            }
            Action::UseKey(key) => {
                if key.is_empty() {
                    self.welcome.error = Some("Paste your fal key first.".into());
                    return;
                }
                let urls = self.config.service.urls.clone();
                self.key_tasks.start_save(key, urls, &self.ctx);
            }
            Action::StartSimulator => {
                if self.sim_starting.is_some() {
                    return;
                }
                let ctx = self.ctx.clone();
                self.sim_starting = Some(Promise::spawn_async(async move {
                    let r = reelsmith_sim::Simulator::start(reelsmith_sim::SimConfig::default())
                        .await
                        .map(Arc::new)
                        .map_err(|e| format!("The simulator could not start: {e}"));
                    ctx.request_repaint();
                    r
                }));
            }
            Action::ForgetKey => {
                // The keyring may block: forgotten on a blocking task, like every key call.
                let urls = self.config.service.urls.clone();
                self.key_tasks.start_forget(urls, &self.ctx);
            }
            Action::ApplySettings { settings, restart } => {
                self.engine.apply_settings(settings, restart);
                self.apply_sim_timing();
            }
            Action::SetTheme(choice) => {
                self.persisted.theme = choice;
                self.ctx.set_theme(choice.preference());
            }
        }
    }

    fn use_settings(&mut self, endpoint_id: &str, form: &serde_json::Value) {
        self.select_endpoint(endpoint_id);
        let Some(model) = self.model.clone() else {
            return;
        };
        let state = serde_json::from_value::<FormState>(form.clone())
            .ok()
            .or_else(|| FormState::from_input_json(&model, form).ok());
        match state {
            Some(state) => {
                self.persisted
                    .forms
                    .insert(model.endpoint_id.clone(), state);
                self.form_ui = FormUi::default();
                self.persisted.view = View::Create;
                self.invalidate();
                self.toast(Tone::Waiting, "Settings copied into the form.");
            }
            None => {
                self.toast(
                    Tone::Warning,
                    "Those settings no longer fit this endpoint's form.",
                );
            }
        }
    }

    /// Opens `endpoint_id` with `path` in its video field.
    fn reuse_clip(&mut self, endpoint_id: &str, field: &str, path: PathBuf) {
        self.select_endpoint(endpoint_id);
        if self.endpoint_id() != Some(endpoint_id) {
            self.toast(
                Tone::Warning,
                format!("{endpoint_id} is not in the catalog."),
            );
            return;
        }
        self.add_media(field, vec![schema::MediaRef::Local(path)]);
        self.persisted.view = View::Create;
    }

    /// Opens image-to-video with `image` as its first frame (used by "last frame as first").
    pub fn use_as_first_frame(&mut self, image: PathBuf) {
        let id = "fal-ai/veo3.1/image-to-video";
        self.select_endpoint(id);
        if self.endpoint_id() == Some(id) {
            self.add_media("image_url", vec![schema::MediaRef::Local(image)]);
            self.persisted.view = View::Create;
        }
    }

    fn generate(&mut self) {
        self.form_ui.attempted = true;
        if let Err(reason) = self.can_generate() {
            self.toast(Tone::Warning, reason);
            return;
        }
        let (Some(model), Some(state)) = (self.model.clone(), self.form_state().cloned()) else {
            return;
        };
        let count = self.persisted.variations.clamp(1, 8);
        match self.engine.submit(&model, &state, count) {
            Ok(n) => {
                self.persisted.show_queue = true;
                let what = if n == 1 {
                    "Job queued.".to_string()
                } else {
                    format!("{n} jobs queued with different seeds.")
                };
                self.toast(Tone::Waiting, what);
            }
            Err(e) => {
                self.toast(Tone::Danger, e);
            }
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.input_mut(|i| i.consume_shortcut(&HELP_SHORTCUT)) {
            self.help_open = !self.help_open;
        }
        if self.screen != Screen::Studio {
            return;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&GENERATE_SHORTCUT))
            && self.persisted.view == View::Create
        {
            self.act(Action::Generate);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&CREATE_SHORTCUT)) {
            self.persisted.view = View::Create;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&GALLERY_SHORTCUT)) {
            self.persisted.view = View::Gallery;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&SETTINGS_SHORTCUT)) {
            self.persisted.view = View::Settings;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&FILTER_SHORTCUT)) {
            self.persisted.view = View::Create;
            self.picker.focus_filter = true;
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let simulated = self.config.service.is_simulated();
        if simulated && self.screen == Screen::Studio {
            simulator_banner(ui);
        } else if !simulated && !self.config.service.urls.is_fal() && self.screen != Screen::Loading
        {
            super::banner::elsewhere(ui, &self.config.service.urls, self.key.as_ref());
        }
        egui::Panel::top("top_bar")
            .frame(
                egui::Frame::new()
                    .fill(ui.visuals().window_fill)
                    .inner_margin(egui::Margin::symmetric(14, 8))
                    .stroke(theme::card_stroke(ui)),
            )
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new("reelsmith")
                            .size(18.0)
                            .strong()
                            .color(theme::ACCENT),
                    );
                    ui.add_space(18.0);
                    if self.screen == Screen::Studio {
                        for (view, label, shortcut) in [
                            (View::Create, "Create", CREATE_SHORTCUT),
                            (View::Gallery, "Gallery", GALLERY_SHORTCUT),
                            (View::Settings, "Settings", SETTINGS_SHORTCUT),
                        ] {
                            let selected = self.persisted.view == view;
                            let text = if view == View::Gallery {
                                format!("{label}  {}", self.engine.library().len())
                            } else {
                                label.to_string()
                            };
                            let r = ui
                                .add(egui::Button::selectable(
                                    selected,
                                    RichText::new(text).size(15.0),
                                ))
                                .on_hover_text(ui.ctx().format_shortcut(&shortcut));
                            if r.clicked() {
                                self.persisted.view = view;
                            }
                        }
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui
                            .button("Help")
                            .on_hover_text("Keyboard shortcuts (F1)")
                            .clicked()
                        {
                            self.help_open = true;
                        }
                        if self.screen == Screen::Studio && self.persisted.view == View::Create {
                            let label = if self.persisted.show_queue {
                                "Hide queue"
                            } else {
                                "Show queue"
                            };
                            if ui.button(label).clicked() {
                                self.persisted.show_queue = !self.persisted.show_queue;
                            }
                        }
                        if let Some(status) = self.engine.status() {
                            ui.label(RichText::new(status).color(theme::subtle(ui)));
                            ui.spinner();
                        }
                        let active = self.engine.active_count();
                        if active > 0 {
                            ui.label(
                                RichText::new(format!("{active} running"))
                                    .color(theme::tone(ui, Tone::Running)),
                            );
                        }
                        if let Some(k) = &self.key
                            && !simulated
                        {
                            let whose = match k.source {
                                KeySource::EnvFalKey => "FAL_KEY",
                                KeySource::EnvKeyIdSecret => "FAL_KEY_ID",
                                _ => "fal",
                            };
                            let masked = super::keystore::mask(k.key.expose());
                            ui.label(
                                RichText::new(format!("{whose} · {masked}"))
                                    .color(theme::subtle(ui))
                                    .small(),
                            )
                            .on_hover_text(k.summary());
                        }
                    });
                });
            });
    }

    fn create_view(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("endpoints")
            .resizable(true)
            .default_size(270.0)
            .size_range(220.0..=420.0)
            .frame(panel_frame(ui))
            .show(ui, |ui| endpoints::show(self, ui));
        if self.persisted.show_queue {
            egui::Panel::right("queue")
                .resizable(true)
                .default_size(360.0)
                .size_range(280.0..=560.0)
                .frame(panel_frame(ui))
                .show(ui, |ui| queue::show(self, ui));
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::new().inner_margin(egui::Margin::same(0)))
            .show(ui, |ui| form::show(self, ui));
    }
}

fn panel_frame(ui: &egui::Ui) -> egui::Frame {
    egui::Frame::new()
        .fill(ui.visuals().panel_fill)
        .inner_margin(egui::Margin::same(12))
}

/// The always-visible strip that says the simulator, not fal, is in use.
fn simulator_banner(ui: &mut egui::Ui) {
    let fill = theme::BANNER;
    egui::Panel::top("simulator_banner")
        .exact_size(28.0)
        .frame(
            egui::Frame::new()
                .fill(fill)
                .inner_margin(egui::Margin::symmetric(14, 4)),
        )
        .show(ui, |ui| {
            ui.centered_and_justified(|ui| {
                ui.label(
                    RichText::new(
                        "SIMULATOR — jobs run on this computer against a local stand-in for fal. \
                         Nothing is sent to fal and nothing is charged.",
                    )
                    .color(egui::Color32::BLACK)
                    .strong(),
                );
            });
        });
}

impl eframe::App for StudioApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.first_frame.frame_begins(ctx);
        closing::on_close_request(self, ctx);
        self.poll_background();
        self.shortcuts(ctx);
        self.revalidate();
        self.engine.schedule_repaint(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.inbox.begin_frame();
        self.top_bar(ui);
        match self.screen {
            Screen::Loading => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.centered_and_justified(|ui| {
                        ui.label(
                            RichText::new("Looking for your fal key…").color(theme::subtle(ui)),
                        );
                    });
                });
            }
            Screen::Welcome => {
                egui::CentralPanel::default().show(ui, |ui| welcome::show(self, ui));
            }
            Screen::Studio => match self.persisted.view {
                View::Create => self.create_view(ui),
                View::Gallery => gallery::show(self, ui),
                View::Settings => {
                    egui::CentralPanel::default().show(ui, |ui| settings::show(self, ui));
                }
            },
        }
        if self.help_open {
            help::show(self, ui.ctx());
        }
        unknown_card::confirm(self, ui.ctx());
        closing::show(self, ui.ctx());
        references::file_drop_overlay(self, ui.ctx());
        let actions = std::mem::take(&mut self.actions);
        for action in actions {
            self.apply(action);
        }
        self.revalidate();
        self.toasts.show(ui.ctx());
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.persisted);
    }
}

/// Short human name for an endpoint id (the catalog's name when known).
pub fn short_name(entries: &[CatalogEntry], endpoint_id: &str) -> String {
    entries
        .iter()
        .find(|e| e.endpoint_id == endpoint_id)
        .map(|e| format!("{} · {}", e.family, e.name))
        .unwrap_or_else(|| endpoint_id.to_string())
}

/// Path of the current form's field issues (prefix match for nested fields).
pub fn issues_for<'a>(issues: &'a [Issue], path: &str) -> impl Iterator<Item = &'a Issue> {
    issues.iter().filter(move |i| i.field == path)
}
