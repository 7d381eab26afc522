//! `reelsmith storyboard`: list, show, create and edit storyboards, and export one as a film.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use reelsmith_core::film::boards::{self, ShotState};
use reelsmith_core::film::source::SourceClip;
use reelsmith_core::film::{FilmError, Storyboard};
use reelsmith_core::jobs::JobId;
use reelsmith_core::store::Journal;

use crate::cli::engine_setup::{CliExit, exit, exit_code, open_session};
use crate::cli::export_run::{
    TrimArg, film_exit, parse_trim, print_report, resolve_clip, run_export,
};

/// Arguments of `reelsmith storyboard`.
#[derive(Debug, clap::Args)]
pub struct StoryboardArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StoryboardCommand,
}

/// The storyboard subcommands. Shots are numbered from 1, as `show` prints them.
#[derive(Debug, clap::Subcommand)]
pub enum StoryboardCommand {
    /// List the storyboards.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a storyboard's shots: clip, trim, length, and the state of jobs still making one.
    Show {
        /// Its name (or id).
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create an empty storyboard.
    Create {
        /// Its name.
        name: String,
    },
    /// Add a clip (a video file or a library id) as a shot.
    Add {
        /// The storyboard.
        name: String,
        /// The clip.
        clip: String,
        /// Put it at this place (1 = first) instead of at the end.
        #[arg(long)]
        at: Option<usize>,
    },
    /// Trim a shot to IN:OUT of its clip.
    Trim {
        /// The storyboard.
        name: String,
        /// The shot (1 = first).
        shot: usize,
        /// IN:OUT in seconds (2.5) or frames (60f); see `reelsmith export --help`.
        #[arg(value_parser = parse_trim, allow_hyphen_values = true)]
        trim: TrimArg,
    },
    /// Move a shot to another place.
    Move {
        /// The storyboard.
        name: String,
        /// The shot (1 = first).
        shot: usize,
        /// Its new place (1 = first).
        to: usize,
    },
    /// Remove a shot (its clip stays in the library).
    Remove {
        /// The storyboard.
        name: String,
        /// The shot (1 = first).
        shot: usize,
    },
    /// Rename a storyboard.
    Rename {
        /// Its name now.
        name: String,
        /// The new name.
        new_name: String,
    },
    /// Delete a storyboard (its clips stay in the library).
    Delete {
        /// Its name.
        name: String,
    },
    /// Export the storyboard as one MP4 with its sound, and a sidecar of how it was made.
    Export {
        /// Its name.
        name: String,
        /// The film to write (an existing file is refused unless --force).
        #[arg(short, long, value_name = "FILM.mp4")]
        output: PathBuf,
        /// Replace the output (and its sidecar) if it exists.
        #[arg(long)]
        force: bool,
        /// Re-encode every frame instead of copying what can be copied.
        #[arg(long)]
        reencode: bool,
    },
}

/// Runs a storyboard subcommand.
pub async fn run(args: StoryboardArgs) -> anyhow::Result<ExitCode> {
    Ok(exit_code(storyboard(args).await))
}

/// A shot number as typed (1-based) to an index.
fn index(shot: usize) -> Result<usize, CliExit> {
    shot.checked_sub(1)
        .ok_or_else(|| CliExit::new(exit::INVALID, "shots are numbered from 1"))
}

async fn storyboard(args: StoryboardArgs) -> Result<u8, CliExit> {
    let session = open_session()?;
    let j: &Journal = session.journal();
    use StoryboardCommand as C;
    match args.command {
        C::List { json } => list(j, json).map_err(film_exit)?,
        C::Show { name, json } => show(j, &name, json).map_err(film_exit)?,
        C::Create { name } => {
            let b = boards::create(j, &name).map_err(film_exit)?;
            eprintln!("reelsmith: created storyboard {:?}", b.name);
        }
        C::Add { name, clip, at } => {
            let path = resolve_clip(Some(j), &clip)?;
            let at = at.map(index).transpose()?;
            let (i, b) = boards::add_clip(j, &name, at, &path).map_err(film_exit)?;
            eprintln!(
                "reelsmith: {} is shot {} of {:?}",
                path.display(),
                i + 1,
                b.name
            );
        }
        C::Trim { name, shot, trim } => {
            let i = index(shot)?;
            let board = boards::find(j, &name).map_err(film_exit)?;
            let clip = board
                .shot(i)
                .map_err(film_exit)?
                .clip
                .clone()
                .ok_or_else(|| {
                    film_exit(FilmError::NotPossible(format!(
                        "shot {shot} has no clip yet"
                    )))
                })?;
            let range = trim.frames(&clip.path).map_err(film_exit)?;
            boards::trim_shot(j, &name, i, range).map_err(film_exit)?;
            eprintln!(
                "reelsmith: shot {shot} uses frames {}..{} of {}",
                range.start,
                range.end,
                clip.path.display()
            );
        }
        C::Move { name, shot, to } => {
            boards::move_shot(j, &name, index(shot)?, index(to)?).map_err(film_exit)?;
        }
        C::Remove { name, shot } => {
            boards::remove_shot(j, &name, index(shot)?).map_err(film_exit)?;
        }
        C::Rename { name, new_name } => {
            boards::rename(j, &name, &new_name).map_err(film_exit)?;
        }
        C::Delete { name } => boards::delete(j, &name).map_err(film_exit)?,
        C::Export {
            name,
            output,
            force,
            reencode,
        } => {
            let board = boards::find(j, &name).map_err(film_exit)?;
            let mut request = boards::export_request(&board, &output, force).map_err(film_exit)?;
            request.reencode_all = reencode;
            let report = run_export(request).await?;
            print_report(&report);
        }
    }
    Ok(exit::DONE)
}

fn list(journal: &Journal, json: bool) -> Result<(), FilmError> {
    let all = journal.storyboards()?;
    if json {
        let list: Vec<_> = all
            .iter()
            .map(|b| json!({"id": b.id, "name": b.name, "shots": b.shots.len(), "updated_at": b.updated_at}))
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return Ok(());
    }
    if all.is_empty() {
        eprintln!("no storyboards yet; `reelsmith storyboard create NAME` makes one");
        return Ok(());
    }
    println!("{:<32}  {:>5}  {:>8}  UPDATED", "NAME", "SHOTS", "LENGTH");
    for b in &all {
        println!(
            "{:<32}  {:>5}  {:>7.2}s  {}",
            b.name,
            b.shots.len(),
            length_secs(b),
            b.updated_at.format("%Y-%m-%d %H:%M")
        );
    }
    Ok(())
}

/// Seconds of the shots that have a clip (as trimmed).
fn length_secs(board: &Storyboard) -> f64 {
    board
        .shots
        .iter()
        .filter_map(|s| {
            let clip = s.clip.as_ref()?;
            let source = SourceClip::open(&clip.path).ok()?;
            let frames = s.trim.map_or(source.frame_count(), |t| t.len());
            Some(f64::from(frames) / source.fps())
        })
        .sum()
}

fn show(journal: &Journal, name: &str, json: bool) -> Result<(), FilmError> {
    let board = boards::find(journal, name)?;
    let mut rows = Vec::new();
    for (i, shot) in board.shots.iter().enumerate() {
        let job = match &shot.pending {
            Some(p) => journal.job(&JobId(p.job_id.clone()))?,
            None => None,
        };
        let state = boards::shot_state(shot, job.as_ref());
        let (clip, trim, secs, status) = match &state {
            ShotState::Clip {
                clip,
                trim,
                replacing,
            } => {
                let source = SourceClip::open(&clip.path).ok();
                let fps = source.as_ref().map_or(0.0, SourceClip::fps);
                let frames = source.as_ref().map_or(0, SourceClip::frame_count);
                let range = trim.unwrap_or(reelsmith_core::film::FrameRange {
                    start: 0,
                    end: frames,
                });
                let status = match (source.is_some(), replacing) {
                    (false, _) => "clip missing".to_string(),
                    (true, Some(s)) => format!("redo {s}"),
                    (true, None) => "ready".to_string(),
                };
                (
                    clip.path.display().to_string(),
                    Some(range),
                    (fps > 0.0).then(|| f64::from(range.len()) / fps),
                    status,
                )
            }
            ShotState::Making {
                job_id,
                state,
                queue_position,
                ..
            } => {
                let s = match (state, queue_position) {
                    (Some(s), Some(q)) => format!("{s} (position {q})"),
                    (Some(s), None) => s.to_string(),
                    (None, _) => "job not found".into(),
                };
                (format!("job {job_id}"), None, None, s)
            }
            ShotState::Failed { job_id, message } => (
                format!("job {job_id}"),
                None,
                None,
                format!("failed: {message}"),
            ),
        };
        rows.push((i + 1, clip, trim, secs, status));
    }
    if json {
        let shots: Vec<_> = rows
            .iter()
            .map(|(n, clip, trim, secs, status)| {
                json!({"shot": n, "clip": clip, "trim": trim, "seconds": secs, "status": status})
            })
            .collect();
        println!(
            "{}",
            json!({"id": board.id, "name": board.name, "shots": shots})
        );
        return Ok(());
    }
    println!("{} ({} shots)", board.name, rows.len());
    println!(
        "{:>3}  {:<14}  {:>7}  {:<12}  CLIP",
        "#", "FRAMES", "LENGTH", "STATUS"
    );
    for (n, clip, trim, secs, status) in rows {
        let frames = trim.map_or("-".into(), |t| format!("{}..{}", t.start, t.end));
        let length = secs.map_or("-".into(), |s| format!("{s:.2}s"));
        println!("{n:>3}  {frames:<14}  {length:>7}  {status:<12}  {clip}");
    }
    Ok(())
}
