//! Settings: the fal key (masked, keyring or private file), output folder, jobs in flight,
//! theme and the simulator's timing.

use std::path::PathBuf;
use std::time::Duration;

use egui::{RichText, Ui};

use super::app::tasks::{TaskKind, TaskRegistry};
use super::app::{Action, Commands, StudioApp};
use super::budget_settings::{BudgetInputs, BudgetView};
use super::config::StudioConfig;
use super::engine_link::EngineLink;
use super::keystore::{mask, stored_in};
use super::theme::{self, ThemeChoice, Tone};
use super::widgets;
use reelsmith_core::fal::{ApiKey, KeySource, ResolvedKey, origin_of};
use reelsmith_core::money::{MoneyHandle, Spend};

/// Settings page state.
#[derive(Default)]
pub struct SettingsState {
    /// A new key being typed (drawn masked).
    pub key_input: String,
    /// "Check key" runs (a registry task).
    check: bool,
    /// The last "Check key" outcome.
    pub check_result: Option<Result<(), String>>,
    /// The folder dialog is open (a registry task).
    folder: bool,
    /// Jobs in flight being edited (applied when the drag or typing ends).
    jobs_draft: Option<u32>,
    /// Simulator timing being dragged (saved when the drag ends).
    sim_draft: Option<(f32, f32)>,
}

/// What the settings page draws, and where it sends what the user asks for.
pub struct SettingsView<'a> {
    /// The page's own state (key being typed, checks, drafts).
    pub state: &'a mut SettingsState,
    /// Settings → Budgets being edited.
    pub budget_inputs: &'a mut BudgetInputs,
    /// The shared settings, the engine's status and summary.
    pub engine: &'a EngineLink,
    /// Folders, service and the folder picker.
    pub config: &'a StudioConfig,
    /// The key in use.
    pub key: Option<&'a ResolvedKey>,
    /// Why there is no key, when that is more than "none saved".
    pub key_problem: Option<&'a str>,
    /// A key save or forget is under way.
    pub key_busy: bool,
    /// The output folder in use.
    pub output_dir: PathBuf,
    /// The theme chosen.
    pub theme: ThemeChoice,
    /// The budgets in effect (set at once when saved).
    pub money: &'a MoneyHandle,
    /// The last spend read.
    pub spend: Option<&'a Spend>,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
    /// Where the key check and the folder dialog run.
    pub tasks: &'a mut TaskRegistry,
}

/// Draws the settings page.
pub fn show(view: &mut SettingsView<'_>, ui: &mut Ui) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let width = ui.available_width().min(680.0);
            ui.vertical_centered(|ui| {
                ui.set_max_width(width);
                ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                    ui.add_space(12.0);
                    ui.label(RichText::new("Settings").size(22.0).strong());
                    ui.add_space(8.0);
                    section(ui, "fal key", |ui| key_section(view, ui));
                    section(ui, "Output folder", |ui| folder_section(view, ui));
                    section(ui, "Jobs", |ui| jobs_section(view, ui));
                    section(ui, "Budgets", |ui| {
                        let mut budgets = BudgetView {
                            inputs: &mut *view.budget_inputs,
                            engine: view.engine,
                            money: view.money,
                            spend: view.spend,
                            commands: &mut *view.commands,
                        };
                        super::budget_settings::section(&mut budgets, ui)
                    });
                    section(ui, "Appearance", |ui| theme_section(view, ui));
                    if view.config.service.is_simulated() {
                        section(ui, "Simulator", |ui| simulator_section(view, ui));
                    }
                    section(ui, "About", |ui| about_section(view, ui));
                });
            });
        });
}

fn section(ui: &mut Ui, title: &str, body: impl FnOnce(&mut Ui)) {
    theme::card(ui).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new(title).strong().size(16.0));
        ui.add_space(4.0);
        body(ui);
    });
    ui.add_space(10.0);
}

/// Uses the folder the dialog answered: the engine restarts with it.
fn folder_chosen(app: &mut StudioApp, chosen: Result<Option<PathBuf>, String>) {
    app.settings.folder = false;
    match chosen {
        Ok(Some(dir)) => {
            let mut settings = app.engine.settings().clone();
            settings.output_dir = Some(dir);
            app.act(Action::ApplySettings {
                settings,
                restart: true,
            });
        }
        // The user closed the dialog.
        Ok(None) => {}
        Err(e) => app.act(Action::Toast(Tone::Danger, e)),
    }
}

/// The engine's state while it cannot take jobs, with a spinner ("Restarting the engine…").
fn engine_status(view: &SettingsView<'_>, ui: &mut Ui) {
    if let Some(status) = view.engine.status() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(RichText::new(status).color(theme::subtle(ui)));
        });
    }
}

fn key_section(view: &mut SettingsView<'_>, ui: &mut Ui) {
    let simulated = view.config.service.is_simulated();
    match view.key {
        Some(k) => {
            ui.horizontal(|ui| {
                ui.label("Key in use:");
                ui.label(RichText::new(mask(k.key.expose())).monospace());
            });
            let (text, warn) = match &k.source {
                KeySource::Simulator => (
                    "The simulator's built-in key (not a fal key).".into(),
                    false,
                ),
                KeySource::Saved(location) => {
                    let file = matches!(location, reelsmith_core::keystore::KeyLocation::File(_));
                    (format!("{}. {}", k.summary(), stored_in(location)), file)
                }
                KeySource::CredentialsFile(path) => (
                    format!(
                        "{}. {}",
                        k.summary(),
                        stored_in(&reelsmith_core::keystore::KeyLocation::File(path.clone()))
                    ),
                    true,
                ),
                _ => (format!("{}.", k.summary()), false),
            };
            let c = if warn {
                theme::tone(ui, Tone::Warning)
            } else {
                theme::subtle(ui)
            };
            ui.label(RichText::new(text).small().color(c));
        }
        None => {
            let text = view.key_problem.unwrap_or("No key yet. Paste one below.");
            ui.label(RichText::new(text).color(theme::tone(ui, Tone::Warning)));
        }
    }
    ui.add_space(4.0);
    if !simulated && !view.config.service.urls.is_fal() {
        ui.label(
            RichText::new(format!(
                "This window talks to {}, not fal: it uses only a key given for this run \
                 (FAL_KEY, or FAL_KEY_ID and FAL_KEY_SECRET). A key saved here is kept for fal.",
                origin_of(&view.config.service.urls.queue)
            ))
            .small()
            .color(theme::subtle(ui)),
        );
    }
    if simulated {
        ui.label(
            RichText::new("The simulator is running: jobs use its built-in key. A key saved here is used next time you start reelsmith without --simulate.")
                .small()
                .color(theme::subtle(ui)),
        );
    }
    ui.horizontal(|ui| {
        let label = ui.label("New key");
        let r = ui.add(
            egui::TextEdit::singleline(&mut view.state.key_input)
                .password(true)
                .hint_text("key-id:key-secret")
                .desired_width(280.0),
        );
        r.labelled_by(label.id);
        let ok = !view.state.key_input.trim().is_empty() && !view.key_busy;
        if ui.add_enabled(ok, egui::Button::new("Save key")).clicked() {
            let key = ApiKey::new(std::mem::take(&mut view.state.key_input));
            view.commands.send(Action::UseKey(key));
        }
    });
    ui.horizontal(|ui| {
        let checking = view.state.check;
        if ui
            .add_enabled(
                view.key.is_some() && !checking,
                egui::Button::new("Check key"),
            )
            .on_hover_text("Makes a harmless authenticated request to fal")
            .clicked()
        {
            start_check(view);
        }
        if checking {
            ui.spinner();
        }
        match &view.state.check_result {
            Some(Ok(())) => {
                ui.label(RichText::new("The key works.").color(theme::tone(ui, Tone::Success)));
            }
            Some(Err(e)) => {
                ui.label(RichText::new(e).color(theme::tone(ui, Tone::Danger)));
            }
            None => {}
        }
        let stored = view.key.is_some_and(|k| {
            matches!(
                k.source,
                KeySource::Saved(_) | KeySource::CredentialsFile(_)
            )
        });
        if !simulated
            && stored
            && ui
                .add_enabled(!view.key_busy, egui::Button::new("Forget key"))
                .clicked()
        {
            view.commands.send(Action::ForgetKey);
        }
    });
}

fn start_check(view: &mut SettingsView<'_>) {
    let Some(k) = view.key else {
        return;
    };
    let key = k.key.clone();
    let urls = view.config.service.urls.clone();
    view.state.check_result = None;
    view.state.check = true;
    view.tasks.spawn(
        TaskKind::Settings,
        "Checking the key",
        async move {
            match reelsmith_core::fal::FalClient::new(urls, Some(key)) {
                Ok(client) => client.check_key().await.map_err(|e| e.user_message()),
                Err(e) => Err(e.user_message()),
            }
        },
        |app: &mut StudioApp, r| {
            app.settings.check = false;
            app.settings.check_result = Some(r.and_then(|checked| checked));
        },
    );
}

fn folder_section(view: &mut SettingsView<'_>, ui: &mut Ui) {
    if view.engine.is_opening() {
        engine_status(view, ui);
        return;
    }
    let dir = view.output_dir.clone();
    ui.label(RichText::new(dir.display().to_string()).monospace());
    ui.label(
        RichText::new("Finished videos and their .json sidecars are saved here.")
            .small()
            .color(theme::subtle(ui)),
    );
    ui.horizontal(|ui| {
        if ui.button("Choose…").clicked() && !view.state.folder {
            let start = dir.clone();
            let pick = view.config.pick_folder.clone();
            view.state.folder = true;
            view.tasks.spawn_blocking(
                TaskKind::Settings,
                "Choosing the output folder",
                move || pick(&start),
                folder_chosen,
            );
        }
        if ui.button("Reveal").clicked() {
            view.commands.send(Action::Open(dir.clone()));
        }
        if view.engine.settings().output_dir.is_some() && ui.button("Use the default").clicked() {
            let mut settings = view.engine.settings().clone();
            settings.output_dir = None;
            view.commands.send(Action::ApplySettings {
                settings,
                restart: true,
            });
        }
    });
    ui.label(
        RichText::new(format!(
            "Kept in {} and used by the command line too.",
            reelsmith_core::settings::Settings::path(&view.config.config_dir).display()
        ))
        .small()
        .color(theme::subtle(ui)),
    );
}

fn jobs_section(view: &mut SettingsView<'_>, ui: &mut Ui) {
    if view.engine.is_opening() {
        engine_status(view, ui);
        return;
    }
    ui.horizontal(|ui| {
        let label = ui.label("Jobs in flight");
        let saved = view.engine.settings().jobs_in_flight;
        let mut n = view.state.jobs_draft.unwrap_or(saved);
        let r = ui
            .add(egui::DragValue::new(&mut n).range(1..=16))
            .labelled_by(label.id);
        if n != saved {
            view.state.jobs_draft = Some(n);
        }
        let done =
            r.drag_stopped() || r.lost_focus() || (r.changed() && !r.dragged() && !r.has_focus());
        if done
            && let Some(n) = view.state.jobs_draft.take()
            && n != saved
        {
            let mut settings = view.engine.settings().clone();
            settings.jobs_in_flight = n;
            view.commands.send(Action::ApplySettings {
                settings,
                restart: true,
            });
        }
    });
    engine_status(view, ui);
    ui.label(
        RichText::new(
            "How many jobs upload and download at once; fal queues the rest on its side.",
        )
        .small()
        .color(theme::subtle(ui)),
    );
}

fn theme_section(view: &mut SettingsView<'_>, ui: &mut Ui) {
    let choices = [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark];
    let labels: Vec<String> = choices.iter().map(|c| c.label().to_string()).collect();
    let selected = choices.iter().position(|c| *c == view.theme);
    if let Some(i) = widgets::segmented(ui, "Theme", &labels, selected) {
        view.commands.send(Action::SetTheme(choices[i]));
    }
}

fn simulator_section(view: &mut SettingsView<'_>, ui: &mut Ui) {
    let Some(sim) = view.config.service.simulator.clone() else {
        return;
    };
    ui.label(
        RichText::new(
            "The simulator runs on this computer (127.0.0.1) — not fal; nothing is charged.",
        )
        .small()
        .color(theme::subtle(ui)),
    )
    .on_hover_text(sim.base_url());
    let saved = view.engine.settings().clone();
    let (mut queue, mut run) = view
        .state
        .sim_draft
        .unwrap_or((saved.sim_queue_secs, saved.sim_run_secs));
    let mut changed = false;
    let mut released = false;
    egui::Grid::new("sim_timing").num_columns(2).show(ui, |ui| {
        let l = ui.label("Time in queue");
        let r = ui
            .add(egui::Slider::new(&mut queue, 0.0..=30.0).suffix(" s"))
            .labelled_by(l.id);
        changed |= r.changed();
        released |= r.drag_stopped() || (r.changed() && !r.dragged());
        ui.end_row();
        let l = ui.label("Time running");
        let r = ui
            .add(egui::Slider::new(&mut run, 0.0..=60.0).suffix(" s"))
            .labelled_by(l.id);
        changed |= r.changed();
        released |= r.drag_stopped() || (r.changed() && !r.dragged());
        ui.end_row();
    });
    if changed {
        // The simulator follows the slider at once (a lock, no disk); the file is saved on release.
        view.state.sim_draft = Some((queue, run));
        sim.set_timing(
            Duration::from_secs_f32(queue.max(0.0)),
            Duration::from_secs_f32(run.max(0.0)),
        );
    }
    if released && let Some((queue, run)) = view.state.sim_draft.take() {
        let mut settings = saved;
        settings.sim_queue_secs = queue;
        settings.sim_run_secs = run;
        view.commands.send(Action::ApplySettings {
            settings,
            restart: false,
        });
    }
}

fn about_section(view: &mut SettingsView<'_>, ui: &mut Ui) {
    let subtle = theme::subtle(ui);
    ui.label(format!("reelsmith {}", env!("CARGO_PKG_VERSION")));
    if let Some(summary) = view.engine.summary() {
        // The same line `REELSMITH_SESSION_REPORT=1 reelsmith …` prints for a command.
        ui.label(
            RichText::new(format!("Engine: {summary}"))
                .small()
                .color(subtle),
        );
    }
    for (k, v) in [
        ("Data", &view.config.data_dir),
        ("Config", &view.config.config_dir),
        ("Cache", &view.config.cache_dir),
    ] {
        ui.label(
            RichText::new(format!("{k}: {}", v.display()))
                .small()
                .color(subtle),
        );
    }
}
