//! `reelsmith library list|mark|delete|clear|copy`: the gallery's library operations from the
//! command line, over the same index, marks, trash and "save copies" the window uses.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::engine_setup::{CliExit, exit, exit_code, open_session};
use reelsmith_core::library::snapshot::{Snapshot, scan_now};
use reelsmith_core::library::trash::{Trash, TrashOptions};
use reelsmith_core::library::{IndexEntry, LibraryQuery, SortKey};
use reelsmith_core::store::Marks;

/// How long one read of the library folder may take before the command gives up.
const SCAN_TIMEOUT: Duration = Duration::from_secs(120);

/// Arguments of `reelsmith library`.
#[derive(Debug, clap::Args)]
pub struct LibraryArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: LibraryAction,
}

/// The order of `library list`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    /// Newest first.
    Date,
    /// By endpoint id, then newest first.
    Endpoint,
    /// Longest first (unknown last).
    Duration,
    /// Most expensive first (unknown last).
    Cost,
}

/// The library commands.
#[derive(Debug, clap::Subcommand)]
pub enum LibraryAction {
    /// List the videos of the library folder (read afresh, as the gallery indexes it).
    List {
        /// Only videos whose prompt, endpoint or seed holds all these words.
        #[arg(short = 's', long = "search", value_name = "WORDS")]
        search: Option<String>,
        /// Only this endpoint's videos.
        #[arg(short = 'e', long = "endpoint", value_name = "ID")]
        endpoint: Option<String>,
        /// Only favourites.
        #[arg(long)]
        favourites: bool,
        /// Leave out rejects.
        #[arg(long = "not-rejected")]
        not_rejected: bool,
        /// The order.
        #[arg(long, value_enum, default_value = "date")]
        sort: SortArg,
        /// Oldest (shortest, cheapest) first.
        #[arg(long)]
        ascending: bool,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Mark videos as favourites or rejects (or clear their marks).
    Mark {
        /// Job ids (a unique prefix of 4+ characters will do) or video paths.
        #[arg(required = true, value_name = "VIDEO")]
        videos: Vec<String>,
        /// Favourite (kept by `library clear --keep-favourites`).
        #[arg(long, conflicts_with_all = ["reject", "clear"])]
        favourite: bool,
        /// Reject (left out by `library list --not-rejected` and the gallery's filter).
        #[arg(long, conflicts_with = "clear")]
        reject: bool,
        /// No mark.
        #[arg(long)]
        clear: bool,
    },
    /// Move videos (with their sidecars) to the trash.
    Delete {
        /// Job ids (a unique prefix of 4+ characters will do) or video paths.
        #[arg(required = true, value_name = "VIDEO")]
        videos: Vec<String>,
    },
    /// Move every video that is not a favourite to the trash.
    Clear {
        /// Required: says that favourites stay (the only kind of clear there is).
        #[arg(long = "keep-favourites", required = true)]
        keep_favourites: bool,
        /// Do not ask.
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Copy videos with their sidecars into a folder (names already there get a number).
    Copy {
        /// Job ids (a unique prefix of 4+ characters will do) or video paths.
        #[arg(required = true, value_name = "VIDEO")]
        videos: Vec<String>,
        /// The folder to copy into (made if missing).
        #[arg(long = "to", value_name = "DIR")]
        to: PathBuf,
    },
}

/// Runs `reelsmith library`.
pub fn run(args: LibraryArgs) -> anyhow::Result<ExitCode> {
    Ok(exit_code(library(args)))
}

fn library(args: LibraryArgs) -> Result<u8, CliExit> {
    let session = open_session()?;
    let folder = session.output_dir();
    let journal = session.journal().clone();
    let Snapshot { mut index, skipped } = scan_now(&folder, Some(journal.clone()), SCAN_TIMEOUT)
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
    for (path, why) in &skipped {
        eprintln!("reelsmith: skipped {}: {why}", path.display());
    }
    match args.action {
        LibraryAction::List {
            search,
            endpoint,
            favourites,
            not_rejected,
            sort,
            ascending,
            json,
        } => {
            let query = LibraryQuery {
                text: search.unwrap_or_default(),
                endpoint,
                favourites_only: favourites,
                hide_rejected: not_rejected,
                sort: match sort {
                    SortArg::Date => SortKey::Date,
                    SortArg::Endpoint => SortKey::Endpoint,
                    SortArg::Duration => SortKey::Duration,
                    SortArg::Cost => SortKey::Cost,
                },
                ascending,
            };
            let found = index.query(&query);
            if json {
                let list: Vec<_> = found.iter().map(|e| entry_json(e)).collect();
                println!("{}", serde_json::Value::Array(list));
            } else if found.is_empty() {
                eprintln!(
                    "no video in {} matches (of {} there)",
                    folder.display(),
                    index.len()
                );
            } else {
                print_table(&found);
            }
            Ok(exit::DONE)
        }
        LibraryAction::Mark {
            videos,
            favourite,
            reject,
            clear: _,
        } => {
            let marks = Marks {
                favourite,
                rejected: reject,
            };
            for entry in pick(&index, &videos)? {
                journal
                    .set_marks(&entry.item.job_id, marks)
                    .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
                index.set_marks(&entry.item.job_id, marks);
                eprintln!("{}: {}", entry.item.job_id, marks_word(marks));
            }
            Ok(exit::DONE)
        }
        LibraryAction::Delete { videos } => {
            let chosen = pick(&index, &videos)?;
            let mut trash = Trash::new(&folder, TrashOptions::default());
            let deleted = trash.delete(chosen, Some(&journal));
            finish_trash(&mut trash, deleted.moved.len(), &deleted.failed)
        }
        LibraryAction::Clear { yes, .. } => {
            let going = index.entries().filter(|e| !e.marks.favourite).count();
            let kept = index.len() - going;
            if going == 0 {
                eprintln!("nothing to clear: all {kept} videos are favourites");
                return Ok(exit::DONE);
            }
            let question = format!("Move {going} videos to the trash and keep {kept} favourites?");
            if !yes && !super::batch::confirm(&question) {
                eprintln!("nothing was moved");
                return Ok(exit::INTERRUPTED);
            }
            let mut trash = Trash::new(&folder, TrashOptions::default());
            let deleted = trash.clear_keep_favourites(&index, Some(&journal));
            finish_trash(&mut trash, deleted.moved.len(), &deleted.failed)
        }
        LibraryAction::Copy { videos, to } => {
            let items: Vec<_> = pick(&index, &videos)?.into_iter().map(|e| e.item).collect();
            let report = reelsmith_core::library::export_selection::export_selection(
                &items,
                &to,
                &mut |p| {
                    if p.videos_done > 0 {
                        eprintln!("copied {} of {}", p.videos_done, p.videos);
                    }
                },
            );
            for (job, copy) in &report.copied {
                println!("{job}\t{}", copy.video.display());
            }
            for (job, why) in &report.failed {
                eprintln!("error: {job} was not copied: {why}");
            }
            Ok(if report.failed.is_empty() {
                exit::DONE
            } else {
                exit::OTHER
            })
        }
    }
}

/// The videos `wanted` names: a job id, a unique prefix of one (4+ characters) or a video path.
fn pick(
    index: &reelsmith_core::library::LibraryIndex,
    wanted: &[String],
) -> Result<Vec<IndexEntry>, CliExit> {
    let mut out: Vec<IndexEntry> = Vec::new();
    for want in wanted {
        let by_path = std::fs::canonicalize(want).ok();
        let hits: Vec<&IndexEntry> = index
            .entries()
            .filter(|e| {
                e.item.job_id == *want
                    || (want.len() >= 4 && e.item.job_id.starts_with(want.as_str()))
                    || by_path.as_ref().is_some_and(|p| {
                        // Only a video of the same name is resolved on disk: one lookup, not
                        // one per video of the library.
                        p.file_name() == e.item.path.file_name()
                            && std::fs::canonicalize(&e.item.path).ok().as_ref() == Some(p)
                    })
            })
            .collect();
        match hits.as_slice() {
            [one] => {
                if !out.iter().any(|e| e.item.job_id == one.item.job_id) {
                    out.push((*one).clone());
                }
            }
            [] => {
                return Err(CliExit::new(
                    exit::INVALID,
                    format!("no video {want} in the library; `reelsmith library list` lists them"),
                ));
            }
            many => {
                return Err(CliExit::new(
                    exit::INVALID,
                    format!(
                        "{want} names {} videos; give more of the job id",
                        many.len()
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn finish_trash(
    trash: &mut Trash,
    moved: usize,
    failed: &[(String, reelsmith_core::library::trash::TrashError)],
) -> Result<u8, CliExit> {
    // A command has no "undo" later: the deletion goes on to the OS trash now.
    trash.expire(true);
    for (job, why) in failed {
        eprintln!("error: {job} stays in the library: {why}");
    }
    let noun = if moved == 1 { "video" } else { "videos" };
    eprintln!(
        "{moved} {noun} moved to the trash ({})",
        trash.folder().display()
    );
    Ok(if failed.is_empty() {
        exit::DONE
    } else {
        exit::OTHER
    })
}

fn marks_word(marks: Marks) -> &'static str {
    match (marks.favourite, marks.rejected) {
        (true, _) => "favourite",
        (false, true) => "rejected",
        (false, false) => "no mark",
    }
}

fn entry_json(e: &IndexEntry) -> serde_json::Value {
    serde_json::json!({
        "job_id": e.item.job_id,
        "video": e.item.path,
        "sidecar": e.item.sidecar,
        "endpoint_id": e.item.endpoint_id,
        "prompt": e.item.prompt,
        "seed": e.item.seed,
        "request_id": e.item.request_id,
        "finished_at": e.item.finished_at,
        "duration_s": e.duration_s,
        "cost_usd": e.cost_usd,
        "favourite": e.marks.favourite,
        "rejected": e.marks.rejected,
    })
}

fn print_table(found: &[&IndexEntry]) {
    println!(
        "{:<32}  {:<1}  {:<16}  {:<44}  {:>6}  {:>7}  PROMPT",
        "JOB", "M", "SAVED", "ENDPOINT", "LENGTH", "COST"
    );
    for e in found {
        let mark = match (e.marks.favourite, e.marks.rejected) {
            (true, _) => "*",
            (false, true) => "x",
            _ => " ",
        };
        let length = e
            .duration_s
            .map(|d| format!("{d:.0} s"))
            .unwrap_or_default();
        let cost = e.cost_usd.map(|c| format!("${c:.2}")).unwrap_or_default();
        println!(
            "{:<32}  {mark}  {:<16}  {:<44}  {length:>6}  {cost:>7}  {}",
            e.item.job_id,
            e.item.finished_at.format("%Y-%m-%d %H:%M"),
            e.item.endpoint_id,
            reelsmith_core::human::excerpt(&e.item.prompt, 60)
        );
    }
}
