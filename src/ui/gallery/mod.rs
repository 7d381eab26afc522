//! The gallery: every finished video as a virtualised grid of poster frames, searched, filtered
//! and sorted through the core's library index (fed in the background by its indexer), with a
//! multi-selection driven by mouse and keys, marks, delete with undo, "Save copies…" of a
//! selection and a details panel to play, export and reuse.

use std::path::PathBuf;

use egui::{Color32, RichText, Ui};

use crate::ui::app::tasks::{TaskKind, TaskRegistry};
use crate::ui::app::{Action, Commands, StudioApp, short_name};
use crate::ui::config::{FolderPicker, SoundOutput};
use crate::ui::engine_link::{EngineLink, excerpt};
use crate::ui::save_copy::{self, SaveCopyState};
use crate::ui::theme::{self, Tone};
use crate::ui::thumbs::Thumbnails;
use reelsmith_core::catalog::CatalogEntry;
use reelsmith_core::library::{LibraryItem, LibraryQuery, Sidecar, SortKey};

mod background;
mod context_menu;
mod details;
mod export_selection;
mod grid;
mod index_link;
mod keys;
mod marks;
pub mod selection;
mod trash_link;

use details::*;
use grid::*;

pub use background::{poll_background, poll_shown, start_last_frame};
pub use index_link::IndexLink;
pub use selection::Selection;

/// Grid cell size (poster 16:9 plus two caption lines), in points.
const CELL_W: f32 = 208.0;
const POSTER_H: f32 = 117.0;
const CELL_H: f32 = POSTER_H + 50.0;
const GAP: f32 = 10.0;

/// Which marks the gallery shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MarkFilter {
    /// Every video.
    #[default]
    All,
    /// Favourites only.
    Favourites,
    /// Everything but rejects.
    NotRejected,
}

/// Gallery state.
#[derive(Default)]
pub struct GalleryState {
    /// Text search over prompts, endpoints and seeds.
    pub search: String,
    /// Only this endpoint (None = all).
    pub endpoint: Option<String>,
    /// All / favourites / not rejected.
    pub marks_filter: MarkFilter,
    /// The order.
    pub sort: SortKey,
    /// Selected videos, anchor and focus.
    pub selection: Selection,
    /// The library index and its cached query answer.
    pub index: IndexLink,
    /// Journal writes of marks.
    marks: marks::MarkSaves,
    /// Deletions and their undo.
    trash: trash_link::TrashLink,
    /// "Save copies…" of the selection.
    export: export_selection::ExportState,
    /// The focused video's id and its sidecar, once read (None while reading).
    sidecar: Option<(String, Option<Result<Sidecar, String>>)>,
    /// The preview player (with sound), made on first use.
    pub player: Option<crate::ui::player::PlayerPanel>,
    /// "Save as…": the copy running, its outcome, a question.
    pub save: SaveCopyState,
    /// A last frame is being extracted.
    last_frame: bool,
    /// Columns of the grid as last drawn (Up/Down move by this many).
    cols: usize,
    /// Where the grid scrolls to next frame (the keys moved the focus off screen).
    scroll_to: Option<f32>,
    /// The grid's scroll offset and height as last drawn.
    viewport: (f32, f32),
    /// A cell had the keyboard focus last frame (the gallery's keys still apply).
    cell_focused: bool,
}

impl GalleryState {
    /// The query the grid shows.
    pub fn query(&self) -> LibraryQuery {
        LibraryQuery {
            text: self.search.clone(),
            endpoint: self.endpoint.clone(),
            favourites_only: self.marks_filter == MarkFilter::Favourites,
            hide_rejected: self.marks_filter == MarkFilter::NotRejected,
            sort: self.sort,
            ascending: false,
        }
    }

    /// The job ids on show, in order (cached; see [`IndexLink::visible`]).
    pub fn visible(&mut self) -> std::sync::Arc<[String]> {
        let query = self.query();
        self.index.visible(&query)
    }

    /// The selected videos in the visible order (the focused one when none is selected).
    pub fn selected_ids(&mut self) -> Vec<String> {
        let visible = self.visible();
        self.selection.ordered(&visible)
    }

    /// True while a deletion or undo runs.
    pub fn trash_busy(&self) -> bool {
        self.trash.busy()
    }

    /// True while a "Save copies…" runs.
    pub fn export_busy(&self) -> bool {
        self.export.busy()
    }

    /// Columns of the grid as last drawn (Up/Down move by this many).
    pub fn columns(&self) -> usize {
        self.cols
    }

    /// True once the focused video's sidecar has been read (its settings can be reused).
    pub fn focused_sidecar_ready(&self) -> bool {
        self.sidecar
            .as_ref()
            .is_some_and(|(_, read)| read.is_some())
    }

    /// True while the last deletion can be undone (its banner is up).
    pub fn can_undo(&self) -> bool {
        self.trash.last.is_some()
    }
}

/// What the gallery draws, and where it sends what the user asks for.
pub struct GalleryView<'a> {
    /// The gallery's own state (filters, selection, index, player, work under way).
    pub gallery: &'a mut GalleryState,
    /// The jobs (settings, costs), the journal (marks, trash) and whether it is open yet.
    pub engine: &'a EngineLink,
    /// Poster frames and media facts.
    pub thumbs: &'a mut Thumbnails,
    /// The catalog's entries (endpoint names).
    pub entries: &'a [CatalogEntry],
    /// Sound for the preview player.
    pub sound: &'a SoundOutput,
    /// The library folder (the trash's, and where "Save copies…" starts).
    pub output_dir: PathBuf,
    /// The folder dialog of "Save copies…".
    pub pick_folder: &'a FolderPicker,
    /// The storyboard a dragged clip would be added to (its name), if one is picked.
    pub drop_target: Option<&'a str>,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
    /// Where the gallery's background work runs (marks, trash, copies, sidecars).
    pub tasks: &'a mut TaskRegistry,
}

/// Draws the gallery view (the app polls its finished work first, see [`poll_shown`]).
pub fn show(view: &mut GalleryView<'_>, ui: &mut Ui) {
    // Before any widget: a focused cell would take Space and Enter as a click.
    keys::handle(view, ui.ctx());
    let focused = view
        .gallery
        .selection
        .focus
        .as_ref()
        .and_then(|id| view.gallery.index.index.get(id))
        .map(|e| e.item.clone());
    load_sidecar(view.gallery, view.tasks, focused.as_ref());
    let many = view.gallery.selected_ids().len() > 1;
    crate::ui::storyboard::gallery_drop_bar(view.drop_target, view.commands, ui);
    if many || focused.is_some() {
        egui::Panel::right("gallery_details")
            .resizable(true)
            .default_size(400.0)
            .size_range(320.0..=640.0)
            .frame(
                egui::Frame::new()
                    .fill(ui.visuals().panel_fill)
                    .inner_margin(egui::Margin::same(14)),
            )
            .show(ui, |ui| match (&focused, many) {
                (Some(item), false) => details(view, ui, item),
                _ => bulk_details(view, ui),
            });
    }
    egui::CentralPanel::default()
        .frame(
            egui::Frame::new()
                .fill(theme::canvas(ui))
                .inner_margin(egui::Margin::same(14)),
        )
        .show(ui, |ui| grid(view, ui));
    trash_link::confirm_clear(view, ui.ctx());
}

/// Reads the focused video's sidecar (once per video), on a worker; a new focus closes the
/// preview of the old one, and the read of the old one is forgotten.
fn load_sidecar(gallery: &mut GalleryState, tasks: &mut TaskRegistry, item: Option<&LibraryItem>) {
    let Some(item) = item else {
        return;
    };
    if gallery
        .sidecar
        .as_ref()
        .is_some_and(|(id, _)| id == &item.job_id)
    {
        return;
    }
    if let Some(p) = gallery.player.as_mut()
        && p.path() != Some(item.path.as_path())
    {
        p.close();
    }
    let path = item.sidecar.clone();
    let job_id = item.job_id.clone();
    gallery.sidecar = Some((job_id.clone(), None));
    tasks.forget(TaskKind::Sidecar);
    tasks.spawn_blocking(
        TaskKind::Sidecar,
        "Reading the sidecar",
        move || Sidecar::read(&path).map_err(|e| e.to_string()),
        move |app: &mut StudioApp, r| {
            if let Some((id, read)) = &mut app.gallery.sidecar
                && *id == job_id
            {
                *read = Some(r.and_then(|read| read));
            }
        },
    );
}

pub(super) fn reuse_settings(view: &mut GalleryView<'_>, item: &LibraryItem) {
    let form = view
        .engine
        .jobs()
        .iter()
        .find(|j| j.id.as_str() == item.job_id)
        .map(|j| j.form.clone());
    let form = form.or_else(|| {
        view.gallery
            .sidecar
            .as_ref()
            .and_then(|(_, read)| read.as_ref())
            .and_then(|r| r.as_ref().ok())
            .map(|sc| sc.input.clone())
    });
    match form {
        Some(form) => view.commands.send(Action::UseSettings {
            endpoint_id: item.endpoint_id.clone(),
            form,
        }),
        None => view.commands.send(Action::Toast(
            Tone::Warning,
            "The settings of this video are not available yet.".into(),
        )),
    }
}

/// True while a save, frame extraction or preview start runs.
pub fn busy(g: &GalleryState) -> bool {
    g.save.busy()
        || g.last_frame
        || g.player.as_ref().is_some_and(|p| p.is_opening())
        || g.trash.busy()
        || g.export.busy()
        || g.marks.busy()
}
