//! The presets menu of the form: the current endpoint's named presets (plain JSON files in the
//! config folder, through the core's `schema::presets`, the same the command line uses) to
//! apply, save, rename or delete. Every file operation, even a small one, runs on a worker
//! thread: the config folder may sit on a slow or network disk.

use std::path::{Path, PathBuf};

use egui::{RichText, Ui};

use super::FormView;
use crate::ui::app::tasks::{TaskKind, TaskRegistry};
use crate::ui::app::{Action, StudioApp};
use crate::ui::theme::{self, Tone};
use reelsmith_core::schema::presets::{Preset, PresetStore};
use reelsmith_core::schema::{FormModel, FormState};

/// What a file operation answered: the endpoint's presets afterwards, and a sentence.
type Answer = Result<(Vec<Preset>, Option<String>), String>;

/// The name being typed for "Save as preset…" or "Rename…".
#[derive(Debug, Clone, PartialEq)]
pub struct Naming {
    /// The preset renamed (None: saving the form as a new preset).
    pub renaming: Option<String>,
    /// The name typed so far.
    pub text: String,
}

/// The presets menu's state (reset with the form when the endpoint changes).
#[derive(Default)]
pub struct PresetsUi {
    /// The presets of the endpoint, by name, once read.
    pub list: Option<Vec<Preset>>,
    /// The name dialog, when open.
    pub naming: Option<Naming>,
    /// The file operation under way, by token: an answer for a menu since reset (another
    /// endpoint, settings reused) is not this menu's.
    task: Option<u64>,
}

impl std::fmt::Debug for PresetsUi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresetsUi")
            .field("list", &self.list.as_ref().map(|l| l.len()))
            .field("naming", &self.naming)
            .finish_non_exhaustive()
    }
}

/// The operations on the presets' files.
enum Op {
    List,
    Save(String, FormState),
    Rename(String, String),
    Delete(String),
}

fn store(config_dir: &Path) -> PresetStore {
    PresetStore::new(config_dir.join("presets"))
}

/// Runs `op` on a worker thread, then lists the endpoint's presets again.
fn start(
    presets: &mut PresetsUi,
    tasks: &mut TaskRegistry,
    config_dir: &Path,
    endpoint: &str,
    op: Op,
) {
    if presets.task.is_some() {
        return;
    }
    let store = store(config_dir);
    let endpoint = endpoint.to_string();
    let token = crate::ui::app::tasks::token();
    presets.task = Some(token);
    let name = match &op {
        Op::List => "Reading the presets".to_string(),
        Op::Save(name, _) => format!("Saving the preset \"{name}\""),
        Op::Rename(from, _) => format!("Renaming the preset \"{from}\""),
        Op::Delete(name) => format!("Deleting the preset \"{name}\""),
    };
    tasks.spawn_blocking(
        TaskKind::Presets,
        name,
        move || -> Answer {
            let said = match op {
                Op::List => Ok(None),
                Op::Save(name, form) => store
                    .save(&endpoint, &name, &form, false)
                    .map(|_| Some(format!("Preset \"{name}\" saved."))),
                Op::Rename(from, to) => store
                    .rename(&endpoint, &from, &to)
                    .map(|()| Some(format!("Preset \"{from}\" renamed to \"{to}\"."))),
                Op::Delete(name) => store
                    .delete(&endpoint, &name)
                    .map(|()| Some(format!("Preset \"{name}\" deleted."))),
            };
            said.map(|s| (store.list(&endpoint), s))
                .map_err(|e| format!("Presets: {e}"))
        },
        move |app: &mut StudioApp, r| finish(app, token, r.and_then(|answer| answer)),
    );
}

/// Applies a finished file operation to the menu that started it.
fn finish(app: &mut StudioApp, token: u64, answer: Answer) {
    let presets = &mut app.form_ui.presets;
    if presets.task != Some(token) {
        return;
    }
    presets.task = None;
    match answer {
        Ok((list, said)) => {
            presets.list = Some(list);
            if let Some(said) = said {
                app.act(Action::Toast(Tone::Waiting, said));
            }
        }
        Err(e) => {
            // The list is read again: the operation may have half happened.
            presets.list = None;
            app.act(Action::Toast(Tone::Danger, e));
        }
    }
}

/// Draws the "Presets" menu beside the form's title, and its name dialog.
pub(super) fn menu(
    ui: &mut Ui,
    view: &mut FormView<'_>,
    model: &FormModel,
    state: &mut FormState,
    folder_hint: PathBuf,
) {
    let config_dir = view.config.config_dir.as_path();
    if view.form_ui.presets.list.is_none() {
        start(
            &mut view.form_ui.presets,
            view.tasks,
            config_dir,
            &model.endpoint_id,
            Op::List,
        );
    }
    let busy = view.form_ui.presets.task.is_some();
    let list = view.form_ui.presets.list.clone().unwrap_or_default();
    let mut op = None;
    ui.menu_button("Presets", |ui| {
        if ui
            .add_enabled(!busy, egui::Button::new("Save as preset…"))
            .clicked()
        {
            view.form_ui.presets.naming = Some(Naming {
                renaming: None,
                text: String::new(),
            });
            ui.close();
        }
        if list.is_empty() {
            ui.label(
                RichText::new("No presets for this endpoint yet")
                    .small()
                    .color(theme::subtle(ui)),
            );
        }
        for preset in &list {
            ui.separator();
            if ui
                .button(format!("Apply \"{}\"", preset.name))
                .on_hover_text("Put the preset's values into the form")
                .clicked()
            {
                preset.apply(model, state);
                view.commands.send(Action::Invalidate);
                view.commands.send(Action::Toast(
                    Tone::Waiting,
                    format!("Preset \"{}\" applied.", preset.name),
                ));
                ui.close();
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!busy, egui::Button::new("Rename…").small())
                    .clicked()
                {
                    view.form_ui.presets.naming = Some(Naming {
                        renaming: Some(preset.name.clone()),
                        text: preset.name.clone(),
                    });
                    ui.close();
                }
                if ui
                    .add_enabled(!busy, egui::Button::new("Delete").small())
                    .on_hover_text(format!("Delete \"{}\"", preset.name))
                    .clicked()
                {
                    op = Some(Op::Delete(preset.name.clone()));
                    ui.close();
                }
            });
        }
        ui.label(
            RichText::new(format!("Files in {}", folder_hint.display()))
                .small()
                .color(theme::subtle(ui)),
        );
    });
    if let Some(op) = op.or_else(|| naming_dialog(&mut view.form_ui.presets, state, ui.ctx())) {
        start(
            &mut view.form_ui.presets,
            view.tasks,
            config_dir,
            &model.endpoint_id,
            op,
        );
    }
}

/// The name dialog of "Save as preset…" and "Rename…"; the operation once confirmed.
fn naming_dialog(presets: &mut PresetsUi, state: &FormState, ctx: &egui::Context) -> Option<Op> {
    let naming = presets.naming.as_mut()?;
    let title = match &naming.renaming {
        Some(from) => format!("Rename \"{from}\""),
        None => "Save as preset".to_string(),
    };
    let mut done = None;
    let mut close = false;
    let modal = egui::Modal::new(egui::Id::unique("preset_name")).show(ctx, |ui| {
        ui.set_max_width(360.0);
        ui.label(RichText::new(title).size(17.0).strong());
        let label = ui.label("Preset name");
        let r = ui
            .add(egui::TextEdit::singleline(&mut naming.text).desired_width(300.0))
            .labelled_by(label.id);
        let entered = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let name = naming.text.trim().to_string();
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let ok = ui
                .add_enabled(!name.is_empty(), theme::primary_button("Save preset"))
                .clicked();
            if (ok || entered) && !name.is_empty() {
                done = Some(match &naming.renaming {
                    Some(from) => Op::Rename(from.clone(), name.clone()),
                    None => Op::Save(name.clone(), state.clone()),
                });
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    if done.is_some() || close || modal.should_close() {
        presets.naming = None;
    }
    done
}
