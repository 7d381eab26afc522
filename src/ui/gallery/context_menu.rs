//! What can be done with the selection: the cell's right-click menu and the details panel's
//! bulk buttons share these actions.

use egui::{RichText, Ui};
use reelsmith_core::library::{LibraryItem, Sidecar};

use super::marks::{self, Mark};
use super::{GalleryState, GalleryView};
use crate::ui::app::tasks::{TaskKind, TaskRegistry};
use crate::ui::app::{Action, StudioApp};
use crate::ui::theme::{self, Tone};

/// The items of `ids` known to the index, in that order.
pub fn items_of(gallery: &GalleryState, ids: &[String]) -> Vec<LibraryItem> {
    ids.iter()
        .filter_map(|id| gallery.index.index.get(id).map(|e| e.item.clone()))
        .collect()
}

/// The right-click menu of a cell; acts on the selection (the cell is selected first when it
/// was not).
pub fn show(view: &mut GalleryView<'_>, ui: &mut Ui, ids: &[String]) {
    let items = items_of(view.gallery, ids);
    let Some(first) = items.first().cloned() else {
        return;
    };
    if items.len() > 1 {
        ui.label(RichText::new(format!("{} selected", items.len())).color(theme::subtle(ui)));
        ui.separator();
    }
    if ui.button("Copy prompt").clicked() {
        let text: Vec<&str> = items.iter().map(|i| i.prompt.as_str()).collect();
        view.commands
            .send(Action::CopyText(text.join("\n\n"), "Prompt"));
    }
    let seeds: Vec<String> = items
        .iter()
        .filter_map(|i| i.seed.map(|s| s.to_string()))
        .collect();
    if ui
        .add_enabled(!seeds.is_empty(), egui::Button::new("Copy seed"))
        .clicked()
    {
        view.commands
            .send(Action::CopyText(seeds.join(", "), "Seed"));
    }
    if ui
        .button("Copy settings as JSON")
        .on_hover_text("The input the job was sent with, from its sidecar")
        .clicked()
    {
        copy_settings(view.tasks, &items);
    }
    if ui
        .add_enabled(items.len() == 1, egui::Button::new("Reuse settings"))
        .clicked()
    {
        super::reuse_settings(view, &first);
    }
    ui.separator();
    if ui.button("Reveal in file manager").clicked() {
        view.commands.send(Action::Reveal(first.path.clone()));
    }
    if ui
        .add_enabled(
            !view.gallery.export.busy(),
            egui::Button::new("Save copies…"),
        )
        .on_hover_text("Copies the videos and their sidecars into a folder")
        .clicked()
    {
        super::export_selection::start(view, ui.ctx(), items.clone());
    }
    if ui.button("Add to storyboard").clicked() {
        let paths = items.iter().map(|i| i.path.clone()).collect();
        view.commands.send(Action::AddToStoryboard(paths));
    }
    ui.separator();
    if ui.button("Favourite (F)").clicked() {
        marks::toggle(view, ids, Mark::Favourite);
    }
    if ui.button("Reject (X)").clicked() {
        marks::toggle(view, ids, Mark::Reject);
    }
    let danger = theme::tone(ui, Tone::Danger);
    if ui
        .button(RichText::new("Move to the trash (Delete)").color(danger))
        .clicked()
    {
        super::trash_link::delete(view, ids);
    }
}

/// Reads the sidecars on a worker, then copies their inputs (one object, or an array for
/// several videos). A newer copy replaces one still reading.
fn copy_settings(tasks: &mut TaskRegistry, items: &[LibraryItem]) {
    let sidecars: Vec<std::path::PathBuf> = items.iter().map(|i| i.sidecar.clone()).collect();
    tasks.forget(TaskKind::CopySettings);
    tasks.spawn_blocking(
        TaskKind::CopySettings,
        "Reading the settings",
        move || {
            let mut inputs = Vec::new();
            for path in &sidecars {
                let sc = Sidecar::read(path)
                    .map_err(|e| format!("The settings could not be read: {e}"))?;
                inputs.push(sc.input);
            }
            let value = match inputs.len() {
                1 => inputs.remove(0),
                _ => serde_json::Value::Array(inputs),
            };
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
        },
        |app: &mut StudioApp, r| match r {
            Ok(Ok(json)) => app.act(Action::CopyText(json, "Settings")),
            Err(e) | Ok(Err(e)) => app.act(Action::Toast(Tone::Danger, e)),
        },
    );
}
