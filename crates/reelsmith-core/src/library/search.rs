//! The library in memory, for the gallery: search over prompts, endpoints and seeds, filters
//! (endpoint, favourites, not rejected) and sorting, updated one video at a time.
//!
//! Each entry keeps its searchable text lower-cased once, so a keystroke is one pass of
//! substring checks over the entries (well under 5 ms for 10,000 prompts, `benches/library`).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::library::item::LibraryItem;
use crate::library::sidecar::Sidecar;
use crate::store::Marks;

/// One video as the gallery lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// The video, its sidecar and what made it.
    pub item: LibraryItem,
    /// The length the job asked for, in seconds, when its input says.
    pub duration_s: Option<f64>,
    /// What the job is estimated to have cost, in US dollars, when the price is known.
    pub cost_usd: Option<f64>,
    /// Favourite / reject.
    pub marks: Marks,
}

impl IndexEntry {
    /// The entry a sidecar at `sidecar_path` describes; `None` when its video name would leave
    /// the folder.
    pub fn from_sidecar(sidecar: &Sidecar, sidecar_path: &Path) -> Option<IndexEntry> {
        let item = LibraryItem::from_sidecar(sidecar, sidecar_path)?;
        let duration_s = sidecar
            .input
            .get("duration")
            .and_then(crate::schema::cost::seconds_of);
        let cost_usd =
            crate::schema::cost::estimate(&sidecar.endpoint_id, &sidecar.input).map(|c| c.usd);
        Some(IndexEntry {
            item,
            duration_s,
            cost_usd,
            marks: Marks::default(),
        })
    }

    /// An entry from the journal's index alone (no duration or cost known).
    pub fn from_item(item: LibraryItem) -> IndexEntry {
        IndexEntry {
            item,
            duration_s: None,
            cost_usd: None,
            marks: Marks::default(),
        }
    }
}

/// What the gallery is sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    /// When the video was saved.
    #[default]
    Date,
    /// The endpoint id, then date.
    Endpoint,
    /// The requested length (unknown last), then date.
    Duration,
    /// The estimated cost (unknown last), then date.
    Cost,
}

/// A search with its filters and sort.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LibraryQuery {
    /// Words that must all appear in the prompt, endpoint id or seed (case-insensitive).
    pub text: String,
    /// Only this endpoint.
    pub endpoint: Option<String>,
    /// Only favourites.
    pub favourites_only: bool,
    /// Hide rejects.
    pub hide_rejected: bool,
    /// The order.
    pub sort: SortKey,
    /// Oldest / smallest first instead of newest / largest first.
    pub ascending: bool,
}

struct Slot {
    entry: IndexEntry,
    /// Prompt, endpoint and seed, lower-cased, separated by newlines (never typed in a search).
    haystack: String,
}

/// The library index in memory. Keyed by job id; a path belongs to one entry.
#[derive(Default)]
pub struct LibraryIndex {
    slots: Vec<Slot>,
    by_job: HashMap<String, usize>,
    by_path: HashMap<PathBuf, String>,
    /// How many videos each endpoint has: the endpoint filter lists these keys every frame,
    /// which must not walk the whole library.
    endpoint_counts: std::collections::BTreeMap<String, usize>,
}

fn haystack(entry: &IndexEntry) -> String {
    let seed = entry.item.seed.map(|s| s.to_string()).unwrap_or_default();
    format!(
        "{}\n{}\n{}",
        entry.item.prompt.to_lowercase(),
        entry.item.endpoint_id.to_lowercase(),
        seed
    )
}

impl LibraryIndex {
    /// An empty index.
    pub fn new() -> LibraryIndex {
        LibraryIndex::default()
    }

    /// How many videos it holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Adds or replaces a video; another entry with the same video path is dropped. Marks
    /// already known for the job are kept when `entry` has none.
    pub fn upsert(&mut self, mut entry: IndexEntry) {
        if let Some(other) = self.by_path.get(&entry.item.path).cloned()
            && other != entry.item.job_id
        {
            self.remove(&other);
        }
        match self.by_job.get(&entry.item.job_id) {
            Some(&i) => {
                if entry.marks == Marks::default() {
                    entry.marks = self.slots[i].entry.marks;
                }
                self.by_path.remove(&self.slots[i].entry.item.path);
                self.by_path
                    .insert(entry.item.path.clone(), entry.item.job_id.clone());
                let old = self.slots[i].entry.item.endpoint_id.clone();
                self.count_endpoint(&old, false);
                self.count_endpoint(&entry.item.endpoint_id, true);
                self.slots[i] = Slot {
                    haystack: haystack(&entry),
                    entry,
                };
            }
            None => {
                self.by_job
                    .insert(entry.item.job_id.clone(), self.slots.len());
                self.by_path
                    .insert(entry.item.path.clone(), entry.item.job_id.clone());
                self.count_endpoint(&entry.item.endpoint_id, true);
                self.slots.push(Slot {
                    haystack: haystack(&entry),
                    entry,
                });
            }
        }
    }

    /// Removes a video by job id, returning it.
    pub fn remove(&mut self, job_id: &str) -> Option<IndexEntry> {
        let i = self.by_job.remove(job_id)?;
        let slot = self.slots.swap_remove(i);
        self.by_path.remove(&slot.entry.item.path);
        self.count_endpoint(&slot.entry.item.endpoint_id, false);
        if let Some(moved) = self.slots.get(i) {
            self.by_job.insert(moved.entry.item.job_id.clone(), i);
        }
        Some(slot.entry)
    }

    /// Counts a video of `endpoint` in (`add`) or out.
    fn count_endpoint(&mut self, endpoint: &str, add: bool) {
        if add {
            *self
                .endpoint_counts
                .entry(endpoint.to_string())
                .or_default() += 1;
        } else if let Some(n) = self.endpoint_counts.get_mut(endpoint) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.endpoint_counts.remove(endpoint);
            }
        }
    }

    /// Removes the video whose file is at `path`.
    pub fn remove_path(&mut self, path: &Path) -> Option<IndexEntry> {
        let job = self.by_path.get(path)?.clone();
        self.remove(&job)
    }

    /// One video by job id.
    pub fn get(&self, job_id: &str) -> Option<&IndexEntry> {
        self.by_job.get(job_id).map(|&i| &self.slots[i].entry)
    }

    /// Sets a video's marks; false when the video is not in the index.
    pub fn set_marks(&mut self, job_id: &str, marks: Marks) -> bool {
        match self.by_job.get(job_id) {
            Some(&i) => {
                self.slots[i].entry.marks = marks;
                true
            }
            None => false,
        }
    }

    /// Every video, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &IndexEntry> {
        self.slots.iter().map(|s| &s.entry)
    }

    /// The video paths held, for comparing with a folder.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.slots
            .iter()
            .map(|s| s.entry.item.path.clone())
            .collect()
    }

    /// The endpoints present, sorted (for the filter's choices).
    pub fn endpoints(&self) -> Vec<String> {
        self.endpoint_counts.keys().cloned().collect()
    }

    /// The videos matching `query`, in its order.
    pub fn query(&self, query: &LibraryQuery) -> Vec<&IndexEntry> {
        let words: Vec<String> = query
            .text
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let mut hits: Vec<&IndexEntry> = self
            .slots
            .iter()
            .filter(|s| {
                let e = &s.entry;
                query
                    .endpoint
                    .as_ref()
                    .is_none_or(|want| &e.item.endpoint_id == want)
                    && (!query.favourites_only || e.marks.favourite)
                    && (!query.hide_rejected || !e.marks.rejected)
                    && words.iter().all(|w| s.haystack.contains(w.as_str()))
            })
            .map(|s| &s.entry)
            .collect();
        let by_date = |a: &IndexEntry, b: &IndexEntry| {
            cmp_date(a.item.finished_at, b.item.finished_at)
                .then_with(|| a.item.job_id.cmp(&b.item.job_id))
        };
        let order = |a: &&IndexEntry, b: &&IndexEntry| -> Ordering {
            let primary = match query.sort {
                SortKey::Date => Ordering::Equal,
                SortKey::Endpoint => a.item.endpoint_id.cmp(&b.item.endpoint_id),
                SortKey::Duration => cmp_known(a.duration_s, b.duration_s),
                SortKey::Cost => cmp_known(a.cost_usd, b.cost_usd),
            };
            primary.then_with(|| by_date(a, b))
        };
        hits.sort_by(order);
        if !query.ascending {
            // Newest / largest first, unknown values still last.
            hits.reverse();
            if matches!(query.sort, SortKey::Duration | SortKey::Cost) {
                let unknown = |e: &&IndexEntry| match query.sort {
                    SortKey::Duration => e.duration_s.is_none(),
                    _ => e.cost_usd.is_none(),
                };
                hits.sort_by_key(unknown);
            }
        }
        hits
    }
}

fn cmp_date(a: DateTime<Utc>, b: DateTime<Utc>) -> Ordering {
    a.cmp(&b)
}

/// Known values by size, unknown after every known one.
fn cmp_known(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests;
