//! The gallery's library index: the core's [`LibraryIndex`], fed in the background by the
//! core's [`Indexer`] on the library folder in effect and by the journal's library items, and
//! the cached answer of the current query (recomputed only when the query or the index changes).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};

use reelsmith_core::library::indexer::{IndexEvent, IndexProgress, Indexer, IndexerOptions};
use reelsmith_core::library::{IndexEntry, LibraryIndex, LibraryQuery};

use crate::ui::app::StudioApp;

/// The index, its feeders and the cached query answer.
#[derive(Default)]
pub struct IndexLink {
    /// Every video known, with marks, duration and cost.
    pub index: LibraryIndex,
    /// Changes with every change of `index` (the query cache compares it).
    generation: u64,
    indexer: Option<Running>,
    /// The journal's library generation last copied into the index.
    synced_journal: Option<u64>,
    /// The query last answered, the index generation it was answered for, and the job ids in
    /// order (shared: the grid, the keys and the selection each take it every frame, and a
    /// copy of 10,000 ids was most of a frame's cost).
    cached: Option<(LibraryQuery, u64, Arc<[String]>)>,
    /// Sidecars the indexer could not use, with why (newest last, a few kept).
    pub skipped: Vec<(PathBuf, String)>,
}

/// The indexer thread and the channel its events come in on.
struct Running {
    indexer: Indexer,
    events: Receiver<IndexEvent>,
    folder: PathBuf,
}

/// How many skipped sidecars are remembered for the gallery's note.
const SKIPPED_KEPT: usize = 20;

impl IndexLink {
    /// Marks the index as changed (after an edit made outside the link, e.g. marks).
    pub fn touch(&mut self) {
        self.generation += 1;
    }

    /// Adds or replaces one video.
    pub fn upsert(&mut self, entry: IndexEntry) {
        self.index.upsert(entry);
        self.touch();
    }

    /// Takes videos out by job id.
    pub fn remove(&mut self, job_ids: &[String]) {
        for id in job_ids {
            self.index.remove(id);
        }
        self.touch();
    }

    /// The indexer's progress label ("indexing 1,234 of 5,000") while a scan runs.
    pub fn progress_label(&self) -> Option<String> {
        self.indexer
            .as_ref()
            .and_then(|r| progress(&r.indexer).label())
    }

    /// True while the indexer scans.
    pub fn scanning(&self) -> bool {
        self.indexer
            .as_ref()
            .is_some_and(|r| progress(&r.indexer).running)
    }

    /// The folder being indexed.
    pub fn folder(&self) -> Option<&Path> {
        self.indexer.as_ref().map(|r| r.folder.as_path())
    }

    /// The job ids matching `query`, in its order; computed again only when the query or
    /// the index changed since the last call.
    pub fn visible(&mut self, query: &LibraryQuery) -> Arc<[String]> {
        let fresh = matches!(&self.cached, Some((q, g, _)) if q == query && *g == self.generation);
        if !fresh {
            let ids = self
                .index
                .query(query)
                .into_iter()
                .map(|e| e.item.job_id.clone())
                .collect();
            self.cached = Some((query.clone(), self.generation, ids));
        }
        self.cached
            .as_ref()
            .map(|(_, _, ids)| Arc::clone(ids))
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }

    fn apply(&mut self, event: IndexEvent) {
        match event {
            IndexEvent::Upserted(entries) => {
                for entry in entries {
                    self.index.upsert(entry);
                }
                self.touch();
            }
            IndexEvent::Removed(ids) => self.remove(&ids),
            IndexEvent::Skipped(path, why) => {
                self.skipped.push((path, why));
                if self.skipped.len() > SKIPPED_KEPT {
                    self.skipped.remove(0);
                }
            }
            IndexEvent::FolderChanged(_)
            | IndexEvent::FolderMissing(_)
            | IndexEvent::ScanFinished { .. } => {}
        }
    }
}

fn progress(indexer: &Indexer) -> IndexProgress {
    indexer.progress()
}

/// Keeps the index fed; called at the start of every frame (never waits).
pub fn poll(app: &mut StudioApp) {
    if app.engine.is_opening() {
        // The folder in effect and the journal are known once the session is open.
        return;
    }
    let folder = app.output_dir();
    let ctx = app.egui_ctx();
    let journal = app.engine.journal();
    let link = &mut app.gallery.index;
    match &mut link.indexer {
        None => {
            let (indexer, events) =
                Indexer::start(folder.clone(), journal, IndexerOptions::default());
            link.indexer = Some(Running {
                indexer,
                events: forward(events, ctx.clone()),
                folder,
            });
        }
        Some(running) if running.folder != folder => {
            // Settings moved the library: the old folder's videos leave, the new one's come in.
            running.indexer.set_folder(folder.clone());
            running.folder = folder;
        }
        Some(_) => {}
    }
    let mut events = Vec::new();
    if let Some(running) = &link.indexer {
        while let Ok(e) = running.events.try_recv() {
            events.push(e);
        }
    }
    for e in events {
        link.apply(e);
    }
    let generation = app.engine.library_generation();
    if link.synced_journal != Some(generation) {
        link.synced_journal = Some(generation);
        let folder = link.folder().map(Path::to_path_buf);
        let mut added = false;
        for item in app.engine.library() {
            // The indexer's entry (with duration and cost) wins over the journal's row; a row
            // of another folder (the library just moved) is not this library's.
            let here = folder
                .as_deref()
                .is_none_or(|f| item.path.parent() == Some(f));
            if here && link.index.get(&item.job_id).is_none() {
                link.index.upsert(IndexEntry::from_item(item.clone()));
                added = true;
            }
        }
        if added {
            link.touch();
        }
    }
    if link.scanning() && app.persisted.view == crate::ui::app::View::Gallery {
        // The progress label counts up while a scan runs.
        ctx.request_repaint_after(std::time::Duration::from_millis(250));
    }
}

/// Passes the indexer's events on and wakes the window for each batch that changes something;
/// the thread ends when the indexer does.
fn forward(events: Receiver<IndexEvent>, ctx: egui::Context) -> Receiver<IndexEvent> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("gallery-index-events".into())
        .spawn(move || {
            let mut changed = true;
            while let Ok(event) = events.recv() {
                let wake = match &event {
                    // A periodic rescan that found nothing new does not repaint an idle window.
                    IndexEvent::ScanFinished { .. } => std::mem::take(&mut changed),
                    _ => {
                        changed = true;
                        true
                    }
                };
                if tx.send(event).is_err() {
                    return;
                }
                if wake {
                    ctx.request_repaint();
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("no thread for the gallery's index events ({e}); the index stays as it is");
    }
    rx
}
