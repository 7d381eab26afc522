//! The eframe app: its state ([`state`]), the commands panels send and their handling in one
//! place ([`commands`]), background work ([`background`], [`tasks`]), the top bar
//! ([`top_bar`]), the keyboard shortcuts ([`shortcuts`]) and the layout of the panels.

mod background;
mod commands;
mod lookups;
mod shortcuts;
mod state;
pub mod tasks;
mod top_bar;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use egui::RichText;
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
use reelsmith_core::library::reuse::Reuse;
use reelsmith_core::schema::{self, FormModel, FormState, Issue};
use reelsmith_core::session::Migration;
use reelsmith_core::settings::Settings;

pub use commands::{Action, Commands};
pub use lookups::{issues_for, short_name};
pub use state::{Persisted, Screen, View};
pub use top_bar::{
    CREATE_SHORTCUT, FILTER_SHORTCUT, GALLERY_SHORTCUT, GENERATE_SHORTCUT, HELP_SHORTCUT,
    SETTINGS_SHORTCUT, STORYBOARD_SHORTCUT,
};

/// How long a toast stays up.
const TOAST_DURATION: Duration = Duration::from_secs(4);

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
    /// Why the current form has no estimate.
    pub cost_why: Option<String>,
    /// Prices, spend and budgets (issue 14).
    pub money: super::money_link::MoneyLink,
    /// The model browser.
    pub browser: super::model_browser::ModelBrowser,
    /// Settings → Budgets being edited.
    pub budget_inputs: super::budget_settings::BudgetInputs,
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
    /// The storyboard view.
    pub storyboard: super::storyboard::StoryboardState,
    /// The help overlay is open.
    pub help_open: bool,
    /// A fixed "now" for the queue's elapsed times (snapshot tests, previews); None: the clock.
    pub fixed_now: Option<chrono::DateTime<chrono::Utc>>,
    /// "Submit again" of an unknown job is waiting for confirmation.
    pub confirm_resubmit: Option<JobId>,
    first_frame: crate::ui::startup::FirstFrameProbe,
    /// Demo jobs to queue once the engine runs (benchmark hook).
    pending_demo_jobs: u32,
    toasts: egui_notify::Toasts,
    /// The window's one-shot background work, drained at each frame start.
    pub tasks: tasks::TaskRegistry,
    /// What panels asked for this frame, applied at its end.
    pub commands: Commands,
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
        let mut engine = EngineLink::open(ctx, config.session_paths(), persisted.migration());
        let money = super::money_link::MoneyLink::new(ctx, &config);
        engine.set_money(money.handle.clone());
        let mut app = StudioApp {
            cost_why: None,
            money,
            browser: Default::default(),
            budget_inputs: Default::default(),
            persisted,
            screen: Screen::Loading,
            key: None,
            key_problem: None,
            key_tasks,
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
            storyboard: super::storyboard::StoryboardState::new(config.sound.clone()),
            help_open: false,
            fixed_now: None,
            confirm_resubmit: None,
            first_frame: crate::ui::startup::FirstFrameProbe::from_env(),
            pending_demo_jobs: 0,
            toasts: egui_notify::Toasts::default().with_anchor(egui_notify::Anchor::BottomRight),
            tasks: tasks::TaskRegistry::new(ctx),
            commands: Commands::default(),
            rt,
            ctx: ctx.clone(),
            config,
        };
        if let Some(sim) = app.config.service.simulator.clone() {
            app.use_simulator(sim);
        } else {
            let urls = app.config.service.urls.clone();
            app.key_tasks.start_lookup(&mut app.tasks, urls);
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
        self.commands.send(action);
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

    /// Shows the form of endpoint `id` (its values from the defaults on first use).
    pub(crate) fn select_endpoint(&mut self, id: &str) {
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
        let priced = schema::build_payload(model, state, &placeholder)
            .map_err(|e| format!("The form cannot be priced yet: {e}"))
            .and_then(|payload| {
                self.money
                    .estimate(&model.endpoint_id, &payload)
                    .map_err(|e| e.to_string())
            });
        (self.cost, self.cost_why) = match priced {
            Ok(c) => (Some(c), None),
            Err(why) => (None, Some(why)),
        };
        self.issues = issues;
        self.validated = Some((model.endpoint_id.clone(), state.clone()));
    }

    /// Forces validation on the next frame (media facts arrived).
    pub fn invalidate(&mut self) {
        self.validated = None;
    }

    fn create_view(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("endpoints")
            .resizable(true)
            .default_size(270.0)
            .size_range(220.0..=420.0)
            .frame(panel_frame(ui))
            .show(ui, |ui| {
                let mut view = endpoints::EndpointsView {
                    picker: &mut self.picker,
                    entries: &self.entries,
                    current: self.model.as_ref().map(|m| m.endpoint_id.as_str()),
                    money: &self.money,
                    browser: &mut self.browser,
                    cache_dir: &self.config.cache_dir,
                    catalog: &mut self.catalog,
                    openapi_url: &self.config.service.urls.openapi,
                    commands: &mut self.commands,
                    tasks: &mut self.tasks,
                };
                endpoints::show(&mut view, ui)
            });
        if self.persisted.show_queue {
            egui::Panel::right("queue")
                .resizable(true)
                .default_size(360.0)
                .size_range(280.0..=560.0)
                .frame(panel_frame(ui))
                .show(ui, |ui| {
                    let mut view = queue::QueueView {
                        engine: &self.engine,
                        entries: &self.entries,
                        thumbs: &mut self.thumbs,
                        commands: &mut self.commands,
                        now: self.fixed_now.unwrap_or_else(chrono::Utc::now),
                    };
                    queue::show(&mut view, ui)
                });
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::new().inner_margin(egui::Margin::same(0)))
            .show(ui, |ui| {
                let can = self.can_generate();
                // The current form's values, from the defaults on first use.
                let state = self.model.as_ref().map(|m| {
                    self.persisted
                        .forms
                        .entry(m.endpoint_id.clone())
                        .or_insert_with(|| FormState::from_defaults(m))
                });
                let mut view = form::FormView {
                    model: self.model.as_ref(),
                    model_error: self.model_error.as_deref(),
                    state,
                    form_ui: &mut self.form_ui,
                    issues: &self.issues,
                    can,
                    cost: self.cost.as_ref(),
                    cost_why: self.cost_why.as_deref(),
                    variations: &mut self.persisted.variations,
                    entries: &self.entries,
                    inbox: &mut self.inbox,
                    thumbs: &mut self.thumbs,
                    config: &self.config,
                    has_key: self.key.is_some(),
                    engine: &self.engine,
                    commands: &mut self.commands,
                    tasks: &mut self.tasks,
                };
                form::show(&mut view, ui)
            });
    }

    fn storyboard_view(&mut self, ui: &mut egui::Ui) {
        super::storyboard::poll_shown(self);
        let mut view = super::storyboard::StoryboardView {
            storyboard: &mut self.storyboard,
            engine: &self.engine,
            thumbs: &mut self.thumbs,
        };
        let commands = super::storyboard::show(&mut view, ui);
        super::storyboard::finish(self, commands, ui.ctx());
    }

    fn gallery_view(&mut self, ui: &mut egui::Ui) {
        gallery::poll_shown(self);
        super::storyboard::poll_shown(self);
        let output_dir = self.output_dir();
        let mut view = gallery::GalleryView {
            gallery: &mut self.gallery,
            engine: &self.engine,
            thumbs: &mut self.thumbs,
            entries: &self.entries,
            sound: &self.config.sound,
            output_dir,
            pick_folder: &self.config.pick_folder,
            drop_target: self.storyboard.board().map(|b| b.name.as_str()),
            commands: &mut self.commands,
            tasks: &mut self.tasks,
        };
        gallery::show(&mut view, ui);
        // Over the gallery, but save_copy's: its answer starts a copy, which takes the app.
        super::save_copy::confirm(self, ui.ctx());
    }
}

fn panel_frame(ui: &egui::Ui) -> egui::Frame {
    egui::Frame::new()
        .fill(ui.visuals().panel_fill)
        .inner_margin(egui::Margin::same(12))
}

impl eframe::App for StudioApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.first_frame.frame_begins(ctx);
        closing::on_close_request(&mut self.engine, ctx);
        self.poll_background();
        self.shortcuts(ctx);
        self.revalidate();
        self.engine.schedule_repaint(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.inbox.begin_frame();
        let mut view = top_bar::TopBarView {
            screen: self.screen,
            service: &self.config.service,
            key: self.key.as_ref(),
            view: &mut self.persisted.view,
            show_queue: &mut self.persisted.show_queue,
            help_open: &mut self.help_open,
            gallery_count: self.gallery.index.index.len(),
            engine: &self.engine,
            spend_strip: super::spend_strip::SpendStripView {
                spend: self.money.spend.as_ref(),
                spend_error: self.money.spend_error.as_deref(),
                budgets: self.money.handle.budgets(),
                commands: &mut self.commands,
            },
        };
        top_bar::show(&mut view, ui);
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
                let mut view = welcome::WelcomeView {
                    state: &mut self.welcome,
                    key_problem: self.key_problem.as_deref(),
                    commands: &mut self.commands,
                };
                egui::CentralPanel::default().show(ui, |ui| welcome::show(&mut view, ui));
            }
            Screen::Studio => match self.persisted.view {
                View::Create => self.create_view(ui),
                View::Gallery => self.gallery_view(ui),
                View::Storyboard => self.storyboard_view(ui),
                View::Settings => {
                    let output_dir = self.output_dir();
                    let mut view = settings::SettingsView {
                        state: &mut self.settings,
                        budget_inputs: &mut self.budget_inputs,
                        engine: &self.engine,
                        config: &self.config,
                        key: self.key.as_ref(),
                        key_problem: self.key_problem.as_deref(),
                        key_busy: self.key_tasks.busy(),
                        output_dir,
                        theme: self.persisted.theme,
                        money: &self.money.handle,
                        spend: self.money.spend.as_ref(),
                        commands: &mut self.commands,
                        tasks: &mut self.tasks,
                    };
                    egui::CentralPanel::default().show(ui, |ui| settings::show(&mut view, ui));
                }
            },
        }
        if self.help_open {
            let mut view = help::HelpView {
                open: &mut self.help_open,
            };
            help::show(&mut view, ui.ctx());
        }
        let mut view = unknown_card::ConfirmView {
            engine: &self.engine,
            pending: &mut self.confirm_resubmit,
            commands: &mut self.commands,
        };
        unknown_card::confirm(&mut view, ui.ctx());
        let mut view = super::model_browser::ModelBrowserView {
            browser: &mut self.browser,
            money: &self.money,
            entries: &self.entries,
            catalog: &mut self.catalog,
            openapi_url: &self.config.service.urls.openapi,
            tasks: &mut self.tasks,
        };
        super::model_browser::show(&mut view, ui.ctx());
        let mut view = super::budget_notice::BudgetNoticeView {
            refused: &mut self.money.refused,
            commands: &mut self.commands,
        };
        super::budget_notice::show(&mut view, ui.ctx());
        let view = closing::ClosingView {
            engine: &self.engine,
        };
        closing::show(&view, ui.ctx());
        if self.screen == Screen::Studio
            && matches!(self.persisted.view, View::Storyboard | View::Gallery)
        {
            super::storyboard::take_dropped_videos(self, ui.ctx());
        }
        let mut view = references::DropView {
            inbox: &mut self.inbox,
            cache_dir: &self.config.cache_dir,
            commands: &mut self.commands,
            tasks: &mut self.tasks,
        };
        references::file_drop_overlay(&mut view, ui.ctx());
        // Every command of the frame is handled here, in one place, after drawing.
        for action in self.commands.take() {
            self.apply(action);
        }
        self.revalidate();
        self.toasts.show(ui.ctx());
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.persisted);
    }
}
