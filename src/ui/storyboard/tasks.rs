//! The storyboard view's background work: every journal edit, probe, frame decode, import,
//! shot preparation and submission runs on tokio's blocking pool as a task of the app's
//! registry; the answers come back as [`Done`] and are applied here. Edits of the boards go
//! one at a time, in order ([`super::edits`]).

use std::path::PathBuf;
use std::sync::Arc;

use reelsmith_core::film::actions::{self, NextShotEndpoint, PreparedShot};
use reelsmith_core::film::storyboard::Storyboard;
use reelsmith_core::film::{ExportHandle, ExportRequest, ExportShot, FilmError, boards};
use reelsmith_core::jobs::ModelSource;
use reelsmith_core::media::video::VideoInfo;
use reelsmith_core::schema::FieldValue;
use reelsmith_core::store::Journal;

use super::edits::edit;
use super::export::{ExportDialog, ExportTarget};
use super::{Command, ShotAction, StoryboardState};
use crate::ui::app::StudioApp;
use crate::ui::app::tasks::TaskKind;
use crate::ui::theme::Tone;

/// An answer from the background.
pub enum Done {
    /// The storyboards as stored, and the one to show.
    Boards(Vec<Storyboard>, Option<String>),
    /// One storyboard after an edit.
    Board(Storyboard),
    /// Storyboards changed by a finished job.
    Resolved(String, Vec<Storyboard>),
    /// A clip's facts.
    Info(PathBuf, Result<VideoInfo, String>),
    /// A clip's filmstrip.
    Strip(PathBuf, Vec<egui::ColorImage>),
    /// Files imported (and the storyboard they were added to).
    Imported(usize, Option<Storyboard>),
    /// A shot action ready for the user's yes.
    Prepared(PreparedShot),
    /// A storyboard's export, checked and ready to start.
    ExportReady(ExportRequest),
    /// A preview film to make, with its cut points.
    PreviewReady(ExportRequest, Vec<f64>),
    /// A job was submitted for a slot of this storyboard (read again in the edits' order).
    Submitted(String),
    /// A storyboard read again after a submission.
    Reread(Storyboard),
}

/// Why nothing of the storyboards can be done yet.
pub(super) const NO_JOURNAL: &str =
    "The job journal is not open, so storyboards cannot be read or changed.";

fn err(e: FilmError) -> String {
    e.to_string()
}

/// Starts `work` in the background; its answer is applied by [`answer`] at a frame start.
pub(super) fn spawn(
    app: &mut StudioApp,
    work: impl FnOnce(Arc<Journal>) -> Result<Done, String> + Send + 'static,
) {
    let Some(journal) = app.engine.journal() else {
        app.storyboard.error = Some(NO_JOURNAL.into());
        return;
    };
    app.storyboard.tasks += 1;
    app.tasks.spawn_blocking(
        TaskKind::Storyboard,
        "A storyboard task",
        move || work(journal),
        |app: &mut StudioApp, r| {
            app.storyboard.tasks = app.storyboard.tasks.saturating_sub(1);
            answer(app, r.and_then(|done| done));
        },
    );
}

/// Applies a finished task's answer; an error goes to the view (or the export's dialog).
pub(super) fn answer(app: &mut StudioApp, answer: Result<Done, String>) {
    match answer {
        Ok(done) => take(app, done),
        Err(e) => {
            // A failed check before an export belongs in its dialog.
            if app.storyboard.export.as_mut().is_some_and(|d| d.failed(&e)) {
                return;
            }
            app.storyboard.error = Some(e.clone());
            app.toast(Tone::Danger, e);
        }
    }
}

/// Starts what the view needs (the first load, clip facts, filmstrips, slots whose job has
/// ended) and follows the export and preview runs; finished work answers through the registry.
pub fn poll(app: &mut StudioApp) {
    let s = &mut app.storyboard;
    if !s.loaded {
        s.loaded = true;
        edit(app, |j| {
            Ok(Done::Boards(
                j.storyboards().map_err(|e| e.to_string())?,
                None,
            ))
        });
    }
    super::facts::wanted_facts(app);
    finished_jobs(app);
    preview_run(app);
    if let Some(d) = app.storyboard.export.as_mut() {
        d.poll();
    }
}

fn put_board(s: &mut StoryboardState, board: Storyboard) {
    match s.boards.iter_mut().find(|b| b.id == board.id) {
        Some(b) => *b = board,
        None => {
            s.boards.push(board);
            s.boards
                .sort_by_key(|b| (b.name.to_lowercase(), b.id.clone()));
        }
    }
}

fn take(app: &mut StudioApp, done: Done) {
    let ctx = app.egui_ctx();
    let s = &mut app.storyboard;
    match done {
        Done::Boards(boards, select) => {
            s.boards = boards;
            if let Some(id) = select {
                s.selected = Some(id);
                s.shot = None;
            }
            if s.board().is_none() {
                s.selected = s.boards.first().map(|b| b.id.clone());
                s.shot = None;
            }
            s.error = None;
        }
        Done::Board(board) => {
            let n = board.shots.len();
            put_board(s, board);
            if s.shot.is_some_and(|i| i >= n) {
                s.shot = n.checked_sub(1);
            }
            s.trim_edit = None;
            s.error = None;
        }
        Done::Resolved(job, boards) => {
            s.resolving.remove(&job);
            for b in boards {
                put_board(s, b);
            }
        }
        Done::Info(path, info) => {
            s.reading.remove(&path);
            s.info.insert(path, info);
        }
        Done::Strip(path, images) => {
            let textures = images
                .into_iter()
                .enumerate()
                .map(|(i, img)| {
                    ctx.load_texture(
                        format!("strip-{}-{i}", path.display()),
                        img,
                        egui::TextureOptions::LINEAR,
                    )
                })
                .collect();
            app.storyboard.strips.insert(path, textures);
        }
        Done::Imported(n, board) => {
            if let Some(b) = board {
                put_board(s, b);
            }
            app.engine.reload_library();
            app.toast(
                Tone::Success,
                format!("Imported {n} video file(s) into the library."),
            );
        }
        Done::Prepared(prepared) => {
            let prompt = match prepared.form.values.get("prompt") {
                Some(FieldValue::Text(t)) => t.clone(),
                _ => String::new(),
            };
            s.prepared = Some((prepared, prompt));
        }
        Done::ExportReady(request) => {
            if let Some(d) = s.export.as_mut() {
                d.start(request, &ctx);
            }
        }
        Done::PreviewReady(request, cuts) => {
            let handle = ExportHandle::start_with_notify(request, move || ctx.request_repaint());
            s.preview = Some((handle, cuts));
        }
        Done::Reread(board) => put_board(s, board),
        Done::Submitted(id) => {
            // The board is read in the edits' lane: an edit's answer still on its way would
            // otherwise put the board back without the slot's job.
            edit(app, move |j| {
                Ok(Done::Reread(boards::find(&j, &id).map_err(err)?))
            });
            app.toast(
                Tone::Waiting,
                "Job queued; its slot shows it until the clip is in place.",
            );
        }
    }
}

/// Slots waiting for a job that has ended get its clip (or lose the slot's job).
fn finished_jobs(app: &mut StudioApp) {
    let ended: Vec<_> = app
        .storyboard
        .boards
        .iter()
        .flat_map(|b| b.shots.iter())
        .filter_map(|s| s.pending.as_ref())
        .filter(|p| !app.storyboard.resolving.contains(&p.job_id))
        .filter_map(|p| app.engine.job(&p.job_id))
        .filter(|j| j.state.is_terminal())
        .cloned()
        .collect();
    for job in ended {
        app.storyboard.resolving.insert(job.id.as_str().to_string());
        let id = job.id.as_str().to_string();
        edit(app, move |j| {
            let changed = boards::job_finished(&j, &job).map_err(err)?;
            Ok(Done::Resolved(id, changed))
        });
    }
}

/// Opens the preview film in the player once it is written.
fn preview_run(app: &mut StudioApp) {
    let Some((handle, _)) = app.storyboard.preview.as_mut() else {
        return;
    };
    let Some(result) = handle.try_result() else {
        return;
    };
    let result = result
        .as_ref()
        .map(|r| r.output.clone())
        .map_err(|e| e.to_string());
    let Some((_, cuts)) = app.storyboard.preview.take() else {
        return;
    };
    match result {
        Ok(film) => {
            let ctx = app.egui_ctx();
            app.storyboard.player.open(&ctx, &film, cuts, true);
        }
        Err(e) => app.toast(
            Tone::Danger,
            format!("The storyboard could not be played: {e}"),
        ),
    }
}

/// Carries out one command.
pub fn apply(app: &mut StudioApp, command: Command) {
    let board_id = app.storyboard.selected.clone();
    let need_board = |app: &mut StudioApp| -> Option<String> {
        if board_id.is_none() {
            app.toast(Tone::Warning, "Make or pick a storyboard first.");
        }
        board_id.clone()
    };
    match command {
        Command::Select(id) => {
            app.storyboard.selected = Some(id);
            app.storyboard.shot = None;
            app.storyboard.player.close();
        }
        Command::Create(name) => edit(app, move |j| {
            let b = boards::create(&j, &name).map_err(err)?;
            Ok(Done::Boards(
                j.storyboards().map_err(|e| e.to_string())?,
                Some(b.id),
            ))
        }),
        Command::Rename(name) => {
            if let Some(id) = need_board(app) {
                edit(app, move |j| {
                    Ok(Done::Board(boards::rename(&j, &id, &name).map_err(err)?))
                });
            }
        }
        Command::Delete => {
            if let Some(id) = need_board(app) {
                app.storyboard.player.close();
                edit(app, move |j| {
                    boards::delete(&j, &id).map_err(err)?;
                    Ok(Done::Boards(
                        j.storyboards().map_err(|e| e.to_string())?,
                        None,
                    ))
                });
            }
        }
        Command::AddClips(paths) => {
            if paths.is_empty() {
                return;
            }
            if let Some(id) = need_board(app) {
                edit(app, move |j| {
                    let mut board = None;
                    for path in &paths {
                        board = Some(boards::add_clip(&j, &id, None, path).map_err(err)?.1);
                    }
                    board
                        .map(Done::Board)
                        .ok_or_else(|| "No clip to add.".to_string())
                });
            }
        }
        Command::AddClip { path, at } => {
            if let Some(id) = need_board(app) {
                edit(app, move |j| {
                    let (_, b) = boards::add_clip(&j, &id, at, &path).map_err(err)?;
                    Ok(Done::Board(b))
                });
            }
        }
        Command::Move { from, to } => {
            if let Some(id) = need_board(app) {
                app.storyboard.shot = Some(to);
                edit(app, move |j| {
                    Ok(Done::Board(
                        boards::move_shot(&j, &id, from, to).map_err(err)?,
                    ))
                });
            }
        }
        Command::Remove(index) => {
            if let Some(id) = need_board(app) {
                app.storyboard.player.close();
                edit(app, move |j| {
                    Ok(Done::Board(
                        boards::remove_shot(&j, &id, index).map_err(err)?,
                    ))
                });
            }
        }
        Command::Trim(index, range) => {
            if let Some(id) = need_board(app) {
                edit(app, move |j| {
                    Ok(Done::Board(
                        boards::trim_shot(&j, &id, index, range).map_err(err)?,
                    ))
                });
            }
        }
        Command::SelectShot(index) => {
            app.storyboard.shot = Some(index);
            let clip = app
                .storyboard
                .board()
                .and_then(|b| b.shots.get(index))
                .and_then(|s| s.clip.as_ref().map(|c| (c.path.clone(), s.trim)));
            let ctx = app.egui_ctx();
            match clip {
                Some((path, trim)) => {
                    let fps = match app.storyboard.info.get(&path) {
                        Some(Ok(i)) => i.fps,
                        _ => 0.0,
                    };
                    // The trim's in and out points are marked on the bar.
                    let cuts = match trim {
                        Some(t) if fps > 0.0 => {
                            vec![f64::from(t.start) / fps, f64::from(t.end) / fps]
                        }
                        _ => Vec::new(),
                    };
                    app.storyboard.player.open(&ctx, &path, cuts, false);
                }
                None => app.storyboard.player.close(),
            }
        }
        Command::PlayAll => {
            let Some(board) = app.storyboard.board().cloned() else {
                return;
            };
            app.storyboard.player.close();
            let film = app
                .config
                .cache_dir
                .join("storyboard-preview")
                .join(format!("{}.mp4", board.id));
            spawn(app, move |_| {
                if let Some(dir) = film.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        format!(
                            "The preview folder {} could not be made: {e}",
                            dir.display()
                        )
                    })?;
                }
                let request = boards::export_request(&board, &film, true).map_err(err)?;
                let mut cuts = Vec::new();
                let mut at = 0.0;
                for shot in &request.shots {
                    let info = reelsmith_core::media::video::probe_video(&shot.path)
                        .map_err(|e| e.to_string())?;
                    let frames = shot.trim.map_or(info.frame_count, |t| t.len());
                    at += f64::from(frames) / info.fps.max(1e-9);
                    cuts.push(at);
                }
                // The last "cut" is the end of the film.
                cuts.pop();
                Ok(Done::PreviewReady(request, cuts))
            });
        }
        Command::Prepare(index, action) => {
            let Some(id) = need_board(app) else {
                return;
            };
            let models: Arc<dyn ModelSource> = match app.catalog.clone() {
                Some(c) => Arc::new(c),
                None => Arc::new(reelsmith_core::jobs::BundledModels),
            };
            let work = app.config.cache_dir.join("storyboard-shots");
            spawn(app, move |j| {
                std::fs::create_dir_all(&work)
                    .map_err(|e| format!("{} could not be made: {e}", work.display()))?;
                let prepared = match action {
                    ShotAction::Extend => actions::prepare_extend(&j, &id, index, &*models, &work),
                    ShotAction::NextShot => actions::prepare_next_shot(
                        &j,
                        &id,
                        index,
                        NextShotEndpoint::ImageToVideo,
                        &*models,
                        &work,
                    ),
                    ShotAction::Redo => actions::prepare_redo(&j, &id, index, &*models),
                }
                .map_err(err)?;
                Ok(Done::Prepared(prepared))
            });
        }
        Command::Submit(prompt) => {
            let Some((mut prepared, _)) = app.storyboard.prepared.take() else {
                return;
            };
            let Some(engine) = app.engine.handle() else {
                app.toast(Tone::Warning, app.engine.unavailable_reason());
                app.storyboard.prepared = Some((prepared, prompt));
                return;
            };
            if !prompt.trim().is_empty() {
                prepared
                    .form
                    .values
                    .insert("prompt".into(), FieldValue::Text(prompt));
            }
            let rt = app.runtime().clone();
            spawn(app, move |_| {
                rt.block_on(actions::submit(&engine, &prepared, None))
                    .map_err(err)?;
                Ok(Done::Submitted(prepared.storyboard_id.clone()))
            });
        }
        Command::CancelPrepared => app.storyboard.prepared = None,
        Command::OpenExport(target) => {
            let name = match (&target, app.storyboard.board()) {
                (ExportTarget::Storyboard, Some(b)) => b.name.clone(),
                (ExportTarget::Shot(i), Some(b)) => format!("{} shot {}", b.name, i + 1),
                _ => "film".into(),
            };
            let safe: String = name
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let output = app.output_dir().join(format!("{safe}.mp4"));
            app.storyboard.export = Some(ExportDialog::new(target, output));
        }
        Command::StartExport { output, overwrite } => {
            let Some(board) = app.storyboard.board().cloned() else {
                return;
            };
            let Some(target) = app.storyboard.export.as_ref().map(|d| d.target) else {
                return;
            };
            if let Some(d) = app.storyboard.export.as_mut() {
                d.preparing();
            }
            spawn(app, move |_| {
                let request = match target {
                    ExportTarget::Storyboard => {
                        boards::export_request(&board, &output, overwrite).map_err(err)?
                    }
                    ExportTarget::Shot(i) => {
                        let shot = board.shots.get(i).ok_or("That shot is gone.")?;
                        let clip = shot.clip.as_ref().ok_or("That shot has no clip yet.")?;
                        ExportRequest {
                            shots: vec![ExportShot {
                                path: clip.path.clone(),
                                trim: shot.trim,
                            }],
                            output,
                            overwrite,
                            reencode_all: false,
                            storyboard: None,
                        }
                    }
                };
                Ok(Done::ExportReady(request))
            });
        }
        Command::CancelExport => {
            if let Some(d) = app.storyboard.export.as_mut() {
                d.cancel();
            }
        }
        Command::CloseExport => {
            if app
                .storyboard
                .export
                .as_ref()
                .is_some_and(ExportDialog::running)
            {
                return;
            }
            app.storyboard.export = None;
        }
        Command::Import(files, add) => {
            let library = app.output_dir();
            let board = app.storyboard.selected.clone().filter(|_| add);
            edit(app, move |j| {
                std::fs::create_dir_all(&library)
                    .map_err(|e| format!("{} could not be made: {e}", library.display()))?;
                let mut last = None;
                let mut n = 0;
                for file in &files {
                    let item =
                        reelsmith_core::film::import_video(&j, file, &library).map_err(err)?;
                    n += 1;
                    if let Some(id) = &board {
                        last = Some(boards::add_clip(&j, id, None, &item.path).map_err(err)?.1);
                    }
                }
                Ok(Done::Imported(n, last))
            });
        }
        Command::Player(c) => app.storyboard.player.apply(c),
    }
}
