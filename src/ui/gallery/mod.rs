//! The gallery: every finished video as a virtualised grid of poster frames, newest first, with
//! a details panel to play, export, reuse and delete.

use std::path::PathBuf;

use egui::{Color32, RichText, Ui};
use poll_promise::Promise;

use crate::ui::app::{Action, StudioApp, short_name};
use crate::ui::engine_link::excerpt;
use crate::ui::save_copy::{self, SaveCopyState};
use crate::ui::theme::{self, Tone};
use reelsmith_core::library::{LibraryItem, Sidecar};

mod details;
mod grid;

use details::*;
use grid::*;

/// Grid cell size (poster 16:9 plus two caption lines), in points.
const CELL_W: f32 = 208.0;
const POSTER_H: f32 = 117.0;
const CELL_H: f32 = POSTER_H + 50.0;
const GAP: f32 = 10.0;

/// Gallery state.
#[derive(Default)]
pub struct GalleryState {
    /// Text search over prompts.
    pub search: String,
    /// Only this endpoint (None = all).
    pub endpoint: Option<String>,
    /// The selected video's job id.
    pub selected: Option<String>,
    /// The sidecar of the selected video.
    sidecar: Option<(String, Promise<Result<Sidecar, String>>)>,
    /// The preview player (with sound), made on first use.
    pub player: Option<crate::ui::player::PlayerPanel>,
    /// Delete is waiting for confirmation.
    pub confirm_delete: Option<LibraryItem>,
    /// "Save as…": the copy running, its outcome, a question.
    pub save: SaveCopyState,
    last_frame: Option<Promise<Result<PathBuf, String>>>,
}

/// Draws the gallery view.
pub fn show(app: &mut StudioApp, ui: &mut Ui) {
    poll(app);
    let selected = app
        .gallery
        .selected
        .as_ref()
        .and_then(|id| app.engine.library().iter().find(|i| &i.job_id == id))
        .cloned();
    crate::ui::storyboard::gallery_drop_bar(app, ui);
    if let Some(item) = &selected {
        egui::Panel::right("gallery_details")
            .resizable(true)
            .default_size(400.0)
            .size_range(320.0..=640.0)
            .frame(
                egui::Frame::new()
                    .fill(ui.visuals().panel_fill)
                    .inner_margin(egui::Margin::same(14)),
            )
            .show(ui, |ui| details(app, ui, item));
    }
    egui::CentralPanel::default()
        .frame(
            egui::Frame::new()
                .fill(theme::canvas(ui))
                .inner_margin(egui::Margin::same(14)),
        )
        .show(ui, |ui| grid(app, ui));
    confirm_delete(app, ui.ctx());
    save_copy::confirm(app, ui.ctx());
}

fn poll(app: &mut StudioApp) {
    save_copy::poll(app);
    let g = &mut app.gallery;
    if let Some(p) = g.last_frame.take() {
        match p.try_take() {
            Ok(Ok(png)) => app.use_as_first_frame(png),
            Ok(Err(e)) => app.act(Action::Toast(Tone::Danger, e)),
            Err(p) => app.gallery.last_frame = Some(p),
        }
    }
}

fn reuse_settings(app: &mut StudioApp, item: &LibraryItem) {
    let form = app
        .engine
        .jobs()
        .iter()
        .find(|j| j.id.as_str() == item.job_id)
        .map(|j| j.form.clone());
    let form = form.or_else(|| {
        app.gallery
            .sidecar
            .as_ref()
            .and_then(|(_, p)| p.ready())
            .and_then(|r| r.as_ref().ok())
            .map(|sc| sc.input.clone())
    });
    match form {
        Some(form) => app.act(Action::UseSettings {
            endpoint_id: item.endpoint_id.clone(),
            form,
        }),
        None => app.act(Action::Toast(
            Tone::Warning,
            "The settings of this video are not available yet.".into(),
        )),
    }
}

fn confirm_delete(app: &mut StudioApp, ctx: &egui::Context) {
    let Some(item) = app.gallery.confirm_delete.clone() else {
        return;
    };
    let modal = egui::Modal::new(egui::Id::unique("confirm_delete")).show(ctx, |ui| {
        ui.set_width(380.0);
        ui.label(RichText::new("Delete this video?").strong().size(16.0));
        ui.label(format!(
            "{} and its sidecar will be deleted from disk. This cannot be undone.",
            item.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let danger = theme::tone(ui, Tone::Danger);
            if ui
                .add(
                    egui::Button::new(RichText::new("Delete video").color(Color32::WHITE))
                        .fill(danger),
                )
                .clicked()
            {
                app.act(Action::DeleteVideo(item.clone()));
                app.gallery.confirm_delete = None;
            }
            if ui.button("Keep it").clicked() {
                app.gallery.confirm_delete = None;
            }
        });
    });
    if modal.should_close() {
        app.gallery.confirm_delete = None;
    }
}

/// Extracts the clip's last frame to a PNG, then opens image-to-video with it.
pub fn start_last_frame(app: &mut StudioApp, video: PathBuf) {
    let dir = app.config.cache_dir.join("frames");
    let ctx = app.egui_ctx();
    let crashed = |m: String| {
        Err(format!(
            "The last frame could not be read: the decoder crashed ({m})."
        ))
    };
    app.gallery.last_frame = Some(super::task::blocking(
        &ctx,
        move || reelsmith_core::library::reuse::save_last_frame(&video, &dir),
        crashed,
    ));
}

/// True while a save, frame extraction or preview start runs.
pub fn busy(g: &GalleryState) -> bool {
    g.save.busy() || g.last_frame.is_some() || g.player.as_ref().is_some_and(|p| p.is_opening())
}
