//! A bounded pool of thumbnail workers with cancellation.
//!
//! A fixed number of threads (one per core by default) take requests from a queue, so a
//! folder of a thousand photos never starts a thousand decodes at once. A request whose
//! handle was dropped or cancelled before a worker reached it is skipped: scrolling past
//! thumbnails costs nothing. Each request runs on its own thread within a time limit
//! (`deadline::within`), so a hostile file costs one thumbnail, never a worker.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::deadline::{THUMBNAIL_LIMIT, within};
use super::error::MediaError;
use super::picture::Picture;
use super::thumb_cache::ThumbCache;
use super::thumbnail::{cached_thumbnail, make_thumbnail};

type Outcome = Result<Picture, MediaError>;
type Notify = Box<dyn FnOnce() + Send>;

/// Counts of what the pool has done, for tests and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Requests that ran (successfully or not).
    pub ran: u64,
    /// Requests skipped because they were cancelled first.
    pub skipped: u64,
}

/// Worker threads making thumbnails off the caller's thread.
pub struct ThumbnailPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

struct Shared {
    queue: Mutex<VecDeque<Job>>,
    wake: Condvar,
    shutting_down: AtomicBool,
    cache: Option<ThumbCache>,
    ran: AtomicU64,
    skipped: AtomicU64,
}

struct Job {
    path: PathBuf,
    max_side: u32,
    slot: Arc<Slot>,
    notify: Option<Notify>,
}

/// Where a request's result lands; shared by the job and its handle.
struct Slot {
    cancelled: AtomicBool,
    result: Mutex<Option<Outcome>>,
    filled: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking job is caught before it can poison anything; recover the data regardless.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Slot {
    fn fill(&self, outcome: Outcome) {
        *lock(&self.result) = Some(outcome);
        self.filled.notify_all();
    }
}

/// The caller's side of one thumbnail request. Dropping it cancels the request.
pub struct ThumbnailHandle {
    slot: Arc<Slot>,
    path: PathBuf,
}

impl ThumbnailHandle {
    /// The file this request is for.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Asks the pool to skip this request if it has not started yet.
    pub fn cancel(&self) {
        self.slot.cancelled.store(true, Ordering::SeqCst);
    }

    /// True once the result is ready (see [`ThumbnailHandle::try_take`]).
    pub fn is_done(&self) -> bool {
        lock(&self.slot.result).is_some()
    }

    /// Takes the result without blocking, if it is ready.
    pub fn try_take(&self) -> Option<Outcome> {
        lock(&self.slot.result).take()
    }

    /// Blocks until the result is ready and returns it.
    pub fn wait(self) -> Outcome {
        let mut result = lock(&self.slot.result);
        loop {
            if let Some(outcome) = result.take() {
                return outcome;
            }
            result = self
                .slot
                .filled
                .wait(result)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

impl Drop for ThumbnailHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl ThumbnailPool {
    /// A pool of `workers` threads (at least one), caching in `cache` when given.
    pub fn new(workers: usize, cache: Option<ThumbCache>) -> ThumbnailPool {
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            wake: Condvar::new(),
            shutting_down: AtomicBool::new(false),
            cache,
            ran: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        });
        let workers = (0..workers.max(1))
            .map(|i| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("thumbnail-{i}"))
                    .spawn(move || worker(&shared))
            })
            .filter_map(|spawned| match spawned {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!("could not start a thumbnail worker: {e}");
                    None
                }
            })
            .collect();
        ThumbnailPool { shared, workers }
    }

    /// A pool with one worker per available core.
    pub fn per_core(cache: Option<ThumbCache>) -> ThumbnailPool {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ThumbnailPool::new(cores, cache)
    }

    /// Number of worker threads running.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Queues a thumbnail of `path` with longer side `max_side`.
    pub fn request(&self, path: impl Into<PathBuf>, max_side: u32) -> ThumbnailHandle {
        self.enqueue(path.into(), max_side, None)
    }

    /// Like [`ThumbnailPool::request`], calling `notify` from the worker once the result is
    /// ready (e.g. to ask the UI for a repaint). Not called for skipped requests.
    pub fn request_notify(
        &self,
        path: impl Into<PathBuf>,
        max_side: u32,
        notify: impl FnOnce() + Send + 'static,
    ) -> ThumbnailHandle {
        self.enqueue(path.into(), max_side, Some(Box::new(notify)))
    }

    fn enqueue(&self, path: PathBuf, max_side: u32, notify: Option<Notify>) -> ThumbnailHandle {
        let slot = Arc::new(Slot {
            cancelled: AtomicBool::new(false),
            result: Mutex::new(None),
            filled: Condvar::new(),
        });
        let handle = ThumbnailHandle {
            slot: Arc::clone(&slot),
            path: path.clone(),
        };
        if self.workers.is_empty() {
            slot.fill(Err(MediaError::Cancelled { path }));
            return handle;
        }
        lock(&self.shared.queue).push_back(Job {
            path,
            max_side,
            slot,
            notify,
        });
        self.shared.wake.notify_one();
        handle
    }

    /// What the pool has done so far.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            ran: self.shared.ran.load(Ordering::SeqCst),
            skipped: self.shared.skipped.load(Ordering::SeqCst),
        }
    }
}

impl Drop for ThumbnailPool {
    fn drop(&mut self) {
        self.shared.shutting_down.store(true, Ordering::SeqCst);
        self.shared.wake.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        // Whoever still waits on a queued request gets an answer instead of hanging.
        for job in lock(&self.shared.queue).drain(..) {
            job.slot.fill(Err(MediaError::Cancelled { path: job.path }));
        }
    }
}

fn worker(shared: &Shared) {
    loop {
        let job = {
            let mut queue = lock(&shared.queue);
            loop {
                if shared.shutting_down.load(Ordering::SeqCst) {
                    return;
                }
                if let Some(job) = queue.pop_front() {
                    break job;
                }
                queue = shared
                    .wake
                    .wait(queue)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        if job.slot.cancelled.load(Ordering::SeqCst) {
            shared.skipped.fetch_add(1, Ordering::SeqCst);
            job.slot.fill(Err(MediaError::Cancelled { path: job.path }));
            continue;
        }
        shared.ran.fetch_add(1, Ordering::SeqCst);
        // A decoder bug or a hostile file costs one thumbnail, never a worker: the job runs
        // on its own thread, a panic is an error and a hang is given up on at the limit.
        let (path, max_side, cache) = (job.path.clone(), job.max_side, shared.cache.clone());
        let outcome = within(
            THUMBNAIL_LIMIT,
            &job.path,
            "thumbnail",
            move |_| match &cache {
                Some(cache) => cached_thumbnail(&path, max_side, cache),
                None => make_thumbnail(&path, max_side),
            },
        );
        job.slot.fill(outcome);
        if let Some(notify) = job.notify {
            notify();
        }
    }
}
