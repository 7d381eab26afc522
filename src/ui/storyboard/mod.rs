//! The Storyboard view (Ctrl+3): storyboards as ordered shots, clips added from the library
//! (button or drag), reordered by drag, trimmed on a filmstrip, played through with sound and
//! exported. Each panel is a function of what it draws that returns [`Command`]s; [`apply`]
//! turns them into background work ([`tasks`]) whose answers come back in [`Done`].

mod actions;
mod bin;
mod export;
mod list;
mod strip;
mod tasks;
mod trim;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use egui::Ui;
use poll_promise::Promise;
use reelsmith_core::film::actions::PreparedShot;
use reelsmith_core::film::storyboard::Storyboard;
use reelsmith_core::film::{ExportHandle, FrameRange};
use reelsmith_core::media::video::VideoInfo;

pub use actions::ShotAction;
pub use export::{ExportDialog, ExportTarget};
pub use tasks::Done;

use super::app::StudioApp;
use super::player::{PlayerCommand, PlayerPanel};
use super::theme;

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
    /// Background work under way.
    pub(crate) tasks: Vec<Promise<Result<Done, String>>>,
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
            tasks: Vec::new(),
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
        !self.tasks.is_empty()
            || self.player.is_opening()
            || self.preview.is_some()
            || self.export.as_ref().is_some_and(ExportDialog::running)
    }
}

/// Draws the storyboard view and carries out what was asked.
pub fn show(app: &mut StudioApp, ui: &mut Ui) {
    tasks::poll(app);
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
        .show(ui, |ui| {
            commands.extend(list::show(ui, &mut app.storyboard))
        });
    egui::Panel::right("storyboard_bin")
        .resizable(false)
        .exact_size(260.0)
        .frame(side_frame(ui))
        .show(ui, |ui| {
            let items = app.engine.library().to_vec();
            commands.extend(bin::show(
                ui,
                &items,
                &mut app.thumbs,
                app.storyboard.selected.is_some(),
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
                .show(ui, |ui| commands.extend(board_view(app, ui)));
        });
    if let Some(dialog) = app.storyboard.export.as_mut() {
        commands.extend(export::show(&ctx, dialog));
    }
    if let Some((prepared, prompt)) = app.storyboard.prepared.as_mut() {
        commands.extend(actions::confirm(&ctx, prepared, prompt));
    }
    for c in commands {
        tasks::apply(app, c);
    }
    app.storyboard.player.poll(&ctx);
    drag_ghost(&ctx);
    if app.storyboard.busy() {
        ctx.request_repaint_after(std::time::Duration::from_millis(100));
    }
}

/// The selected storyboard: player, shots, the selected shot's trim and actions.
fn board_view(app: &mut StudioApp, ui: &mut Ui) -> Vec<Command> {
    let mut out = Vec::new();
    if let Some(e) = app.storyboard.error.clone() {
        ui.colored_label(theme::tone(ui, theme::Tone::Danger), e);
    }
    let Some(board) = app.storyboard.board().cloned() else {
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
    let poster = app
        .storyboard
        .shot
        .and_then(|i| board.shots.get(i))
        .and_then(|s| s.clip.as_ref())
        .and_then(|c| app.thumbs.get(&c.path, true).texture.cloned());
    // Room left below for the shots and the trim.
    let height = (ui.available_width() * 9.0 / 16.0)
        .min(ui.ctx().content_rect().height() * 0.36)
        .clamp(140.0, 360.0);
    ui.scope(|ui| {
        ui.set_max_width(height * 16.0 / 9.0);
        let player = &app.storyboard.player;
        let view = player.view();
        for c in super::player::show(
            ui,
            view.as_ref(),
            player.texture(),
            poster.as_ref(),
            height,
            player.is_opening() || app.storyboard.preview.is_some(),
            "Pick a shot to preview it, or Play storyboard",
        ) {
            out.push(Command::Player(c));
        }
        if let Some((handle, _)) = &app.storyboard.preview {
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
            let job = s.pending.as_ref().and_then(|p| app.engine.job(&p.job_id));
            reelsmith_core::film::boards::shot_state(s, job)
        })
        .collect();
    out.extend(strip::show(
        ui,
        &board,
        &states,
        app.storyboard.shot,
        &mut app.thumbs,
        &app.storyboard.info,
    ));
    if let Some(i) = app.storyboard.shot
        && let Some(shot) = board.shots.get(i)
    {
        ui.add_space(10.0);
        out.extend(trim::show(ui, i, shot, &mut app.storyboard));
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

/// Video files dropped on the window while the storyboard or the gallery is on show are
/// imported into the library (and, on a storyboard, added to it). Takes them out of the
/// window's input so the form's drop handling does not see them.
pub fn take_dropped_videos(app: &mut StudioApp, ctx: &egui::Context) {
    let dropped: Vec<PathBuf> = ctx.input_mut(|i| {
        let (videos, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut i.raw.dropped_files)
            .into_iter()
            .partition(|f| super::references::looks_like_video(f.path()));
        i.raw.dropped_files = rest;
        if i.raw.hovered_files.iter().all(|h| {
            h.path
                .as_deref()
                .is_some_and(super::references::looks_like_video)
        }) {
            i.raw.hovered_files.clear();
        }
        videos.into_iter().map(|f| f.path().to_path_buf()).collect()
    });
    if !dropped.is_empty() {
        let add = app.persisted.view == super::app::View::Storyboard;
        tasks::apply(app, Command::Import(dropped, add));
    }
}

/// Adds `path` to the storyboard on show (the gallery's "Add to storyboard").
pub fn add_from_gallery(app: &mut StudioApp, path: PathBuf) {
    tasks::apply(app, Command::AddClip { path, at: None });
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

/// Collects the storyboards' finished work while the gallery is on show (the app calls this
/// before drawing the gallery): they are read and kept up to date, so "Add to storyboard"
/// knows where to add.
pub fn poll_for_gallery(app: &mut StudioApp) {
    tasks::poll(app);
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
        commands.send(super::app::Action::AddToStoryboard(path));
    }
}
