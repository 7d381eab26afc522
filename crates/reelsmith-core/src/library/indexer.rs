//! The background indexer: the library folder is the truth. It scans the folder's sidecars on
//! its own thread at start, again when the folder changes (a `notify` watcher) and every so
//! often as a fallback (network drives and some file systems send no events), and reports what
//! appeared, what left and how far it got. The caller applies the [`IndexEvent`]s to its own
//! [`crate::library::LibraryIndex`] and never waits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use notify::Watcher;

use crate::library::search::IndexEntry;
use crate::library::sidecar::{Sidecar, SidecarError};
use crate::store::Journal;

/// What the indexer found; apply them in order.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexEvent {
    /// Videos with their sidecars that are in the folder (new or changed).
    Upserted(Vec<IndexEntry>),
    /// Videos (by job id) that left the folder, or whose sidecar did.
    Removed(Vec<String>),
    /// A sidecar that could not be used, with the reason (reported once per version of the file).
    Skipped(PathBuf, String),
    /// The library folder is now this one (after [`Indexer::set_folder`]).
    FolderChanged(PathBuf),
    /// The library folder cannot be read (moved or unmounted); its videos stay listed.
    FolderMissing(PathBuf),
    /// A scan ended: how many videos the folder holds.
    ScanFinished {
        /// Videos indexed.
        indexed: usize,
    },
}

/// How far the current scan is ("indexing 1,234 of 5,000").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexProgress {
    /// Sidecars looked at so far.
    pub done: usize,
    /// Sidecars in the folder.
    pub total: usize,
    /// True while a scan runs.
    pub running: bool,
}

impl IndexProgress {
    /// What the gallery shows while a scan runs ("indexing 1,234 of 5,000"); `None` when idle.
    pub fn label(&self) -> Option<String> {
        self.running.then(|| {
            format!(
                "indexing {} of {}",
                crate::human::count(self.done as u64),
                crate::human::count(self.total as u64)
            )
        })
    }
}

/// The indexer's settings.
#[derive(Debug, Clone)]
pub struct IndexerOptions {
    /// The fallback rescan interval.
    pub rescan_every: Duration,
    /// How long to wait after a change event for the burst to end before scanning.
    pub settle: Duration,
    /// Also watch the folder with the OS's change notifications.
    pub watch: bool,
}

impl Default for IndexerOptions {
    fn default() -> Self {
        IndexerOptions {
            rescan_every: Duration::from_secs(30),
            settle: Duration::from_millis(200),
            watch: true,
        }
    }
}

enum Command {
    Rescan,
    Changed,
    SetFolder(PathBuf),
    Stop,
}

#[derive(Default)]
struct Progress {
    done: AtomicUsize,
    total: AtomicUsize,
    running: AtomicBool,
}

/// The running indexer; dropping it stops the thread.
pub struct Indexer {
    commands: Sender<Command>,
    progress: Arc<Progress>,
    folder: Arc<Mutex<PathBuf>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("progress", &self.progress())
            .finish()
    }
}

/// What the indexer remembers of one sidecar, to skip unchanged files on the next scan.
struct Known {
    stamp: (Option<SystemTime>, u64),
    job_id: Option<String>,
    video: Option<PathBuf>,
}

impl Indexer {
    /// Starts indexing `folder` on a thread of its own. With a journal, what is found is also
    /// written to (and removed from) the journal's library index, and marks are read from it.
    pub fn start(
        folder: PathBuf,
        journal: Option<Arc<Journal>>,
        options: IndexerOptions,
    ) -> (Indexer, Receiver<IndexEvent>) {
        let (commands, command_rx) = mpsc::channel();
        let (events, event_rx) = mpsc::channel();
        let progress = Arc::new(Progress::default());
        progress.running.store(true, Ordering::Relaxed);
        let shared_folder = Arc::new(Mutex::new(folder.clone()));
        let worker = Worker {
            folder,
            journal,
            options,
            events,
            progress: progress.clone(),
            known: HashMap::new(),
            reported: HashMap::new(),
            commands_tx: commands.clone(),
            watcher: None,
            shared_folder: shared_folder.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("library-indexer".into())
            .spawn(move || worker.run(command_rx))
            .ok();
        (
            Indexer {
                commands,
                progress,
                folder: shared_folder,
                thread,
            },
            event_rx,
        )
    }

    /// How far the current scan is.
    pub fn progress(&self) -> IndexProgress {
        IndexProgress {
            done: self.progress.done.load(Ordering::Relaxed),
            total: self.progress.total.load(Ordering::Relaxed),
            running: self.progress.running.load(Ordering::Relaxed),
        }
    }

    /// The folder being indexed.
    pub fn folder(&self) -> PathBuf {
        self.folder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Scans again now.
    pub fn rescan(&self) {
        // A stopped thread has nothing to scan; the caller learns it from the closed channel.
        let _ = self.commands.send(Command::Rescan);
    }

    /// Follows the library to another folder: the old folder's videos leave, the new one's
    /// come in.
    pub fn set_folder(&self, folder: PathBuf) {
        self.progress.running.store(true, Ordering::Relaxed);
        let _ = self.commands.send(Command::SetFolder(folder));
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        // Not joined: a scan of a slow drive must never hold up the caller (the UI thread).
        drop(self.thread.take());
    }
}

struct Worker {
    folder: PathBuf,
    journal: Option<Arc<Journal>>,
    options: IndexerOptions,
    events: Sender<IndexEvent>,
    progress: Arc<Progress>,
    known: HashMap<PathBuf, Known>,
    /// Damaged sidecars already reported, with the version reported.
    reported: HashMap<PathBuf, (Option<SystemTime>, u64)>,
    commands_tx: Sender<Command>,
    watcher: Option<notify::RecommendedWatcher>,
    shared_folder: Arc<Mutex<PathBuf>>,
}

/// A file's version for "has it changed": modification time and size.
fn stamp(meta: &std::fs::Metadata) -> (Option<SystemTime>, u64) {
    (meta.modified().ok(), meta.len())
}

/// True when a file that fails to parse claims to be a reelsmith sidecar (damage, not a
/// foreign JSON file).
fn looks_like_sidecar(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| {
        bytes
            .windows(b"reelsmith.sidecar/".len())
            .any(|w| w == b"reelsmith.sidecar/")
    })
}

/// Sidecars sent per [`IndexEvent::Upserted`].
const BATCH: usize = 256;

impl Worker {
    fn run(mut self, commands: Receiver<Command>) {
        self.watch();
        if self.scan().is_err() {
            return;
        }
        loop {
            match commands.recv_timeout(self.options.rescan_every) {
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(Command::SetFolder(folder)) => {
                    self.folder = folder.clone();
                    *self.shared_folder.lock().unwrap_or_else(|p| p.into_inner()) = folder.clone();
                    self.watch();
                    if self.events.send(IndexEvent::FolderChanged(folder)).is_err() {
                        return;
                    }
                }
                Ok(Command::Changed) => {
                    // A copy of many files sends a burst: wait for it to end.
                    loop {
                        match commands.recv_timeout(self.options.settle) {
                            Ok(Command::Changed) => continue,
                            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                            Ok(Command::SetFolder(folder)) => {
                                let _ = self.commands_tx.send(Command::SetFolder(folder));
                                break;
                            }
                            Ok(Command::Rescan) | Err(RecvTimeoutError::Timeout) => break,
                        }
                    }
                }
                Ok(Command::Rescan) | Err(RecvTimeoutError::Timeout) => {}
            }
            if self.scan().is_err() {
                return;
            }
        }
    }

    /// Watches the current folder (replacing any earlier watch); without a watcher the
    /// periodic rescan still keeps the index right.
    fn watch(&mut self) {
        self.watcher = None;
        if !self.options.watch {
            return;
        }
        let tx = self.commands_tx.clone();
        let made = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok_and(|e| !e.kind.is_access()) {
                let _ = tx.send(Command::Changed);
            }
        });
        match made {
            Ok(mut watcher) => {
                match watcher.watch(&self.folder, notify::RecursiveMode::NonRecursive) {
                    Ok(()) => self.watcher = Some(watcher),
                    Err(e) => tracing::info!(
                        "not watching {} for changes ({e}); it is rescanned every {:?}",
                        self.folder.display(),
                        self.options.rescan_every
                    ),
                }
            }
            Err(e) => {
                tracing::info!("no file watcher ({e}); the library is rescanned periodically")
            }
        }
    }

    fn send(&self, event: IndexEvent) -> Result<(), ()> {
        self.events.send(event).map_err(|_| ())
    }

    /// One pass over the folder; `Err` only when nobody listens any more.
    fn scan(&mut self) -> Result<(), ()> {
        self.progress.running.store(true, Ordering::Relaxed);
        let outcome = self.scan_inner();
        self.progress.running.store(false, Ordering::Relaxed);
        outcome
    }

    fn scan_inner(&mut self) -> Result<(), ()> {
        let entries = match std::fs::read_dir(&self.folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.known.is_empty() => {
                return self.send(IndexEvent::FolderMissing(self.folder.clone()));
            }
            Err(_) => {
                // A folder not made yet (no video so far) holds nothing; forget what was
                // known of another folder.
                self.forget_all()?;
                self.progress.total.store(0, Ordering::Relaxed);
                self.progress.done.store(0, Ordering::Relaxed);
                self.progress.running.store(false, Ordering::Relaxed);
                return self.send(IndexEvent::ScanFinished { indexed: 0 });
            }
        };
        let sidecars: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        self.progress.total.store(sidecars.len(), Ordering::Relaxed);
        self.progress.done.store(0, Ordering::Relaxed);
        let marks = self
            .journal
            .as_ref()
            .and_then(|j| j.all_marks().ok())
            .unwrap_or_default();
        let mut seen: HashMap<PathBuf, ()> = HashMap::with_capacity(sidecars.len());
        let mut batch = Vec::new();
        let mut removed = Vec::new();
        for (n, path) in sidecars.into_iter().enumerate() {
            self.progress.done.store(n + 1, Ordering::Relaxed);
            seen.insert(path.clone(), ());
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let now = stamp(&meta);
            if let Some(known) = self.known.get(&path)
                && known.stamp == now
            {
                // Unchanged sidecar: only its video may have gone.
                if let (Some(video), Some(job)) = (&known.video, &known.job_id)
                    && !video.is_file()
                {
                    removed.push(job.clone());
                    self.known.remove(&path);
                }
                continue;
            }
            let old_job = self.known.remove(&path).and_then(|k| k.job_id);
            let entry = self.read_entry(&path, now)?;
            let job_id = entry.as_ref().map(|e| e.item.job_id.clone());
            if let Some(old) = old_job
                && job_id.as_ref() != Some(&old)
            {
                removed.push(old);
            }
            if let Some(mut entry) = entry {
                // Only usable sidecars are remembered: one waiting for its video (still being
                // copied) or damaged is read again on the next scan.
                self.known.insert(
                    path,
                    Known {
                        stamp: now,
                        job_id,
                        video: Some(entry.item.path.clone()),
                    },
                );
                if let Some(m) = marks.get(&entry.item.job_id) {
                    entry.marks = *m;
                }
                batch.push(entry);
                if batch.len() >= BATCH {
                    self.flush(&mut batch)?;
                }
            }
        }
        self.flush(&mut batch)?;
        // Sidecars that left the folder take their video out of the index.
        let gone: Vec<PathBuf> = self
            .known
            .keys()
            .filter(|p| !seen.contains_key(*p))
            .cloned()
            .collect();
        for path in gone {
            if let Some(job) = self.known.remove(&path).and_then(|k| k.job_id) {
                removed.push(job);
            }
        }
        // A video found under another sidecar path (the folder moved) is not gone.
        let live: std::collections::HashSet<&String> = self
            .known
            .values()
            .filter_map(|k| k.job_id.as_ref())
            .collect();
        removed.retain(|job| !live.contains(job));
        self.send_removed(removed)?;
        let indexed = self.known.values().filter(|k| k.job_id.is_some()).count();
        // Finished before it is said, so a listener that heard it reads a settled progress.
        self.progress.running.store(false, Ordering::Relaxed);
        self.send(IndexEvent::ScanFinished { indexed })
    }

    /// Everything known leaves (the folder changed to one that cannot be read).
    fn forget_all(&mut self) -> Result<(), ()> {
        let removed: Vec<String> = self.known.drain().filter_map(|(_, k)| k.job_id).collect();
        self.send_removed(removed)
    }

    fn send_removed(&self, removed: Vec<String>) -> Result<(), ()> {
        if removed.is_empty() {
            return Ok(());
        }
        if let Some(journal) = &self.journal {
            for job in &removed {
                if let Err(e) = journal.unindex(job) {
                    tracing::warn!("could not take {job} out of the journal's library index: {e}");
                }
            }
        }
        self.send(IndexEvent::Removed(removed))
    }

    fn flush(&self, batch: &mut Vec<IndexEntry>) -> Result<(), ()> {
        if batch.is_empty() {
            return Ok(());
        }
        if let Some(journal) = &self.journal {
            for entry in batch.iter() {
                if let Err(e) = journal.index_item(&entry.item) {
                    tracing::warn!(
                        "could not record {} in the journal's library index: {e}",
                        entry.item.path.display()
                    );
                }
            }
        }
        self.send(IndexEvent::Upserted(std::mem::take(batch)))
    }

    /// The entry of one sidecar, `None` when it is not one (or its video is missing); damage is
    /// reported once per version of the file.
    fn read_entry(
        &mut self,
        path: &Path,
        now: (Option<SystemTime>, u64),
    ) -> Result<Option<IndexEntry>, ()> {
        let skip = |this: &mut Worker, why: String| -> Result<Option<IndexEntry>, ()> {
            if this.reported.get(path) != Some(&now) {
                tracing::warn!("skipping the sidecar {}: {why}", path.display());
                this.reported.insert(path.to_path_buf(), now);
                this.send(IndexEvent::Skipped(path.to_path_buf(), why))?;
            }
            Ok(None)
        };
        let sidecar = match Sidecar::read(path) {
            Ok(s) => s,
            Err(SidecarError::Format { .. }) if !looks_like_sidecar(path) => return Ok(None),
            Err(e) => return skip(self, e.to_string()),
        };
        let Some(entry) = IndexEntry::from_sidecar(&sidecar, path) else {
            return skip(
                self,
                format!("its video name {:?} would leave the folder", sidecar.file),
            );
        };
        if !entry.item.path.is_file() {
            return Ok(None);
        }
        self.reported.remove(path);
        Ok(Some(entry))
    }
}

#[cfg(test)]
pub(crate) mod tests;
