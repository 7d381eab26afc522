//! The Storyboard view (Ctrl+3): storyboards as ordered shots, clips added from the library
//! (button or drag), reordered by drag, trimmed on a filmstrip, played through with sound and
//! exported. Each panel is a function of what it draws that returns [`Command`]s; [`apply`]
//! turns them into background work ([`tasks`]) whose answers come back in [`Done`].

mod actions;
mod bin;
mod edits;
mod export;
mod facts;
mod frame;
mod list;
mod strip;
mod tasks;
mod trim;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use egui::Ui;
use reelsmith_core::film::actions::PreparedShot;
use reelsmith_core::film::storyboard::Storyboard;
use reelsmith_core::film::{ExportHandle, FrameRange};
use reelsmith_core::media::video::VideoInfo;

pub use actions::ShotAction;
pub use export::{ExportDialog, ExportTarget};
pub use frame::{add_from_gallery, finish, poll_shown, take_dropped_videos};
pub use tasks::Done;

use super::engine_link::EngineLink;
use super::player::{PlayerCommand, PlayerPanel};
use super::theme;
use super::thumbs::Thumbnails;

/// A shot being dragged inside the strip (its index).
#[derive(Debug, Clone, Copy)]
pub struct ShotDrag(pub usize);

/// A library clip being dragged (from the bin or the gallery grid).
#[derive(Debug, Clone)]
pub struct ClipDrag(pub PathBuf);

/// Something the user asked for in the storyboard view.
#[derive(Debug, Clone)]
pub enum Command {
    /// Show this storyboard.
    Select(String),
    /// Make a storyboard with this name.
    Create(String),
    /// Rename the selected storyboard.
    Rename(String),
    /// Delete the selected storyboard (after the user confirmed).
    Delete,
    /// Add these clips, in order, at the end, in one edit.
    AddClips(Vec<PathBuf>),
    /// Add this clip at this slot (None: at the end).
    AddClip {
        /// The clip.
        path: PathBuf,
        /// Where.
        at: Option<usize>,
    },
    /// Move a shot.
    Move {
        /// From this slot.
        from: usize,
        /// To this slot.
        to: usize,
    },
    /// Remove shot `index`.
    Remove(usize),
    /// Set shot `index`'s trim.
    Trim(usize, FrameRange),
    /// Select a shot (its clip opens in the player).
    SelectShot(usize),
    /// Play the whole storyboard (a preview film is made first).
    PlayAll,
    /// Prepare a shot action (Extend, Next shot, Redo) for the user to confirm.
    Prepare(usize, ShotAction),
    /// Submit the prepared shot with this prompt.
    Submit(String),
    /// Forget the prepared shot.
    CancelPrepared,
    /// Open the export dialog.
    OpenExport(ExportTarget),
    /// Start the export (overwriting only when the user said so).
    StartExport {
        /// The film to write.
        output: PathBuf,
        /// The user agreed to replace an existing file.
        overwrite: bool,
    },
    /// Stop the export.
    CancelExport,
    /// Close the export dialog.
    CloseExport,
    /// Import these video files into the library (and add them to the storyboard on show
    /// when true).
    Import(Vec<PathBuf>, bool),
    /// The player.
    Player(PlayerCommand),
}

/// The view's state.
pub struct StoryboardState {
    /// Every storyboard, as last read from the journal.
    pub boards: Vec<Storyboard>,
    /// The storyboard on show.
    pub selected: Option<String>,
    /// The shot selected in it.
    pub shot: Option<usize>,
    /// The name typed for a new storyboard.
    pub new_name: String,
    /// The name typed when renaming.
    pub rename: Option<String>,
    /// Delete waits for a yes.
    pub confirm_delete: bool,
    /// The trim being dragged (shot id and range), before it is stored.
    pub trim_edit: Option<(String, FrameRange)>,
    /// Clip facts by path (frame count, rate).
    pub info: HashMap<PathBuf, Result<VideoInfo, String>>,
    /// Filmstrip pictures by path.
    pub strips: HashMap<PathBuf, Vec<egui::TextureHandle>>,
    /// A shot action waiting for the user's yes (and its prompt).
    pub prepared: Option<(PreparedShot, String)>,
    /// The export dialog.
    pub export: Option<ExportDialog>,
    /// The preview film being made for "Play storyboard".
    pub preview: Option<(ExportHandle, Vec<f64>)>,
    /// The player.
    pub player: PlayerPanel,
    /// Background work under way (tasks of the app's registry, counted for [`Self::busy`]).
    pub(crate) tasks: usize,
    /// Journal edits of the boards, run one at a time.
    pub(crate) edits: edits::EditLane,
    /// Paths whose facts or filmstrip are being read.
    pub(crate) reading: HashSet<PathBuf>,
    /// Jobs whose end is being written into the storyboards.
    pub(crate) resolving: HashSet<String>,
    /// Something went wrong (shown in the view).
    pub error: Option<String>,
    loaded: bool,
}

impl StoryboardState {
    /// Empty; the storyboards are read when the view is first shown.
    pub fn new(sound: super::config::SoundOutput) -> StoryboardState {
        StoryboardState {
            boards: Vec::new(),
            selected: None,
            shot: None,
            new_name: String::new(),
            rename: None,
            confirm_delete: false,
            trim_edit: None,
            info: HashMap::new(),
            strips: HashMap::new(),
            prepared: None,
            export: None,
            preview: None,
            player: PlayerPanel::new(sound),
            tasks: 0,
            edits: edits::EditLane::default(),
            reading: HashSet::new(),
            resolving: HashSet::new(),
            error: None,
            loaded: false,
        }
    }

    /// The storyboard on show.
    pub fn board(&self) -> Option<&Storyboard> {
        let id = self.selected.as_deref()?;
        self.boards.iter().find(|b| b.id == id)
    }

    /// True while something runs in the background (tests wait on it).
    pub fn busy(&self) -> bool {
        self.tasks > 0
            || self.edits.busy()
            || self.player.is_opening()
            || self.preview.is_some()
            || self.export.as_ref().is_some_and(ExportDialog::running)
    }
}

/// What the storyboard view draws and changes as it draws.
pub struct StoryboardView<'a> {
    /// The view's own state (storyboards, selection, player, dialogs).
    pub storyboard: &'a mut StoryboardState,
    /// The library (the bin) and the jobs of pending shots.
    pub engine: &'a EngineLink,
    /// Poster frames.
    pub thumbs: &'a mut Thumbnails,
}

/// Draws the storyboard view and returns what was asked, for [`finish`] to carry out at once
/// (the app polls its work first, see [`poll_shown`]).
pub fn show(view: &mut StoryboardView<'_>, ui: &mut Ui) -> Vec<Command> {
    let ctx = ui.ctx().clone();
    let mut commands = Vec::new();
    for c in super::player::keys(&ctx) {
        commands.push(Command::Player(c));
    }
    // Fixed widths: a resizable panel grows with its widest content, frame by frame.
    egui::Panel::left("storyboards")
        .resizable(false)
        .exact_size(230.0)
        .frame(side_frame(ui))
        .show(ui, |ui| commands.extend(list::show(ui, view.storyboard)));
    egui::Panel::right("storyboard_bin")
        .resizable(false)
        .exact_size(260.0)
        .frame(side_frame(ui))
        .show(ui, |ui| {
            let items = view.engine.library().to_vec();
            commands.extend(bin::show(
                ui,
                &items,
                view.thumbs,
                view.storyboard.selected.is_some(),
            ));
        });
    egui::CentralPanel::default()
        .frame(
            egui::Frame::new()
                .fill(theme::canvas(ui))
                .inner_margin(egui::Margin::same(14)),
        )
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| commands.extend(board_view(view, ui)));
        });
    if let Some(dialog) = view.storyboard.export.as_mut() {
        commands.extend(export::show(&ctx, dialog));
    }
    if let Some((prepared, prompt)) = view.storyboard.prepared.as_mut() {
        commands.extend(actions::confirm(&ctx, prepared, prompt));
    }
    commands
}

/// The selected storyboard: player, shots, the selected shot's trim and actions.
fn board_view(view: &mut StoryboardView<'_>, ui: &mut Ui) -> Vec<Command> {
    let mut out = Vec::new();
    if let Some(e) = view.storyboard.error.clone() {
        ui.colored_label(theme::tone(ui, theme::Tone::Danger), e);
    }
    let Some(board) = view.storyboard.board().cloned() else {
        ui.label(
            egui::RichText::new(
                "Make a storyboard on the left, then add clips from the library on the right \
                 (Add, or drag them onto the shots). Video files dropped here are imported.",
            )
            .color(theme::subtle(ui)),
        );
        return out;
    };
    ui.horizontal(|ui| {
        ui.heading(&board.name);
        ui.label(
            egui::RichText::new(format!("{} shots", board.shots.len())).color(theme::subtle(ui)),
        );
        let can = !board.shots.is_empty() && board.shots.iter().all(|s| s.clip.is_some());
        if ui
            .add_enabled(can, egui::Button::new("Play storyboard"))
            .on_hover_text("Plays every shot as trimmed, with its sound; cuts are marked")
            .clicked()
        {
            out.push(Command::PlayAll);
        }
        if ui
            .add_enabled(can, theme::primary_button("Export film…"))
            .clicked()
        {
            out.push(Command::OpenExport(ExportTarget::Storyboard));
        }
    });
    ui.add_space(6.0);
    let poster = view
        .storyboard
        .shot
        .and_then(|i| board.shots.get(i))
        .and_then(|s| s.clip.as_ref())
        .and_then(|c| view.thumbs.get(&c.path, true).texture.cloned());
    // Room left below for the shots and the trim.
    let height = (ui.available_width() * 9.0 / 16.0)
        .min(ui.ctx().content_rect().height() * 0.36)
        .clamp(140.0, 360.0);
    ui.scope(|ui| {
        ui.set_max_width(height * 16.0 / 9.0);
        let player = &view.storyboard.player;
        let playing = player.view();
        for c in super::player::show(
            ui,
            playing.as_ref(),
            player.texture(),
            poster.as_ref(),
            height,
            player.is_opening() || view.storyboard.preview.is_some(),
            "Pick a shot to preview it, or Play storyboard",
        ) {
            out.push(Command::Player(c));
        }
        if let Some((handle, _)) = &view.storyboard.preview {
            let p = handle.progress();
            ui.add(
                egui::ProgressBar::new(p.fraction as f32)
                    .text("Making the preview film…")
                    .desired_height(14.0),
            );
        }
        if let Some(e) = player.error() {
            ui.colored_label(theme::tone(ui, theme::Tone::Danger), e);
        }
    });
    ui.add_space(10.0);
    let states: Vec<_> = board
        .shots
        .iter()
        .map(|s| {
            let job = s.pending.as_ref().and_then(|p| view.engine.job(&p.job_id));
            reelsmith_core::film::boards::shot_state(s, job)
        })
        .collect();
    out.extend(strip::show(
        ui,
        &board,
        &states,
        view.storyboard.shot,
        view.thumbs,
        &view.storyboard.info,
    ));
    if let Some(i) = view.storyboard.shot
        && let Some(shot) = board.shots.get(i)
    {
        ui.add_space(10.0);
        out.extend(trim::show(ui, i, shot, view.storyboard));
        ui.add_space(6.0);
        out.extend(actions::buttons(ui, i, shot));
    }
    out
}

fn side_frame(ui: &Ui) -> egui::Frame {
    egui::Frame::new()
        .fill(ui.visuals().panel_fill)
        .inner_margin(egui::Margin::same(12))
}

/// What a clip is called: its prompt, or for your own footage (no prompt) the name it was
/// imported under, without the library's date prefix.
pub(crate) fn clip_name(item: &reelsmith_core::library::LibraryItem) -> String {
    if !item.prompt.trim().is_empty() {
        return item.prompt.clone();
    }
    let file = item
        .path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match file.split_once("_import_") {
        Some((_, name)) if !name.is_empty() => name.to_string(),
        _ => file,
    }
}

/// A label under the pointer while a shot or a clip is dragged (egui draws no ghost itself).
fn drag_ghost(ctx: &egui::Context) {
    let text = if let Some(s) = egui::DragAndDrop::payload::<ShotDrag>(ctx) {
        format!("Shot {}", s.0 + 1)
    } else if egui::DragAndDrop::has_payload_of_type::<ClipDrag>(ctx) {
        "Clip".to_string()
    } else {
        return;
    };
    let Some(pos) = ctx.pointer_latest_pos() else {
        return;
    };
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Tooltip,
        egui::Id::unique("storyboard_drag_ghost"),
    ));
    let rect = egui::Rect::from_min_size(pos + egui::vec2(12.0, 10.0), egui::vec2(70.0, 24.0));
    painter.rect_filled(rect, 6.0, theme::ACCENT.linear_multiply(0.85));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::proportional(13.0),
        egui::Color32::WHITE,
    );
}

/// While a clip is dragged from the gallery grid: a bar along the bottom to drop it on, which
/// adds it to the storyboard on show (`target`: its name, None when there is none).
pub fn gallery_drop_bar(target: Option<&str>, commands: &mut super::app::Commands, ui: &mut Ui) {
    if !egui::DragAndDrop::has_payload_of_type::<ClipDrag>(ui.ctx()) {
        return;
    }
    let name = target;
    let mut dropped = None;
    egui::Panel::bottom("gallery_storyboard_drop")
        .exact_size(64.0)
        .show(ui, |ui| {
            let text = match name {
                Some(n) => format!("Drop here to add it to the storyboard {n:?}"),
                None => "Make a storyboard first (Storyboard, Ctrl+3)".to_string(),
            };
            let (rect, r) = ui.allocate_exact_size(ui.available_size(), egui::Sense::hover());
            r.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Group, true, "Storyboard drop bar")
            });
            let hovering = r.dnd_hover_payload::<ClipDrag>().is_some();
            let stroke = if hovering {
                egui::Stroke::new(3.0, theme::ACCENT)
            } else {
                egui::Stroke::new(1.0, theme::subtle(ui))
            };
            ui.painter()
                .rect_stroke(rect.shrink(4.0), 8.0, stroke, egui::StrokeKind::Inside);
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                text,
                egui::FontId::proportional(15.0),
                ui.visuals().text_color(),
            );
            if let Some(c) = r.dnd_release_payload::<ClipDrag>() {
                dropped = Some(c.0.clone());
            }
        });
    drag_ghost(ui.ctx());
    if let Some(path) = dropped {
        commands.send(super::app::Action::AddToStoryboard(vec![path]));
    }
}
