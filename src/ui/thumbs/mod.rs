//! Thumbnails and media facts for the form and the gallery, made off the UI thread.
//!
//! Images go through the media module's worker pool (DCT-scaled decode, disk cache). Facts
//! of a form's files come from the core's one media check (`media::check`: header, decoded
//! data, limits), the same the engine runs before uploading, so a tile shows exactly what would
//! stop the job; the gallery and the queue only need a header probe. Every job is panic-proof
//! and bounded in time (see `task` and `media::deadline`). Textures are uploaded once and
//! dropped when the cache grows past its bound.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use poll_promise::Promise;

use reelsmith_core::media::check::{self, MediaKind};
use reelsmith_core::media::{ThumbCache, ThumbnailHandle, ThumbnailPool};
use reelsmith_core::schema::{Field, FieldKind, FormModel, FormState, Issue, MediaRef};

mod facts;

use facts::probe;
pub use facts::{Facts, TileProblem, problems};

/// Longest side of the thumbnails the window asks for.
pub const THUMB_SIDE: u32 = 192;
/// Files tracked before the least recently drawn are dropped (down to three quarters).
const MAX_TEXTURES: usize = 600;
/// Texture memory kept before the least recently drawn pictures are dropped (down to three
/// quarters): however large the library, posters and thumbnails hold at most this much. A
/// poster is up to `2 × THUMB_SIDE` wide for sharp cells on HiDPI screens (a 720p clip's is
/// 384 × 216, 324 KiB), so the count alone would not bound it.
pub const MAX_TEXTURE_BYTES: usize = 96 * 1024 * 1024;
/// Poster frames decoded at once.
const MAX_POSTERS: usize = 2;

enum Picture {
    Loading(ThumbnailHandle),
    Poster(Promise<Option<egui::ColorImage>>),
    Ready(egui::TextureHandle),
    None,
}

struct Entry {
    facts: Option<Facts>,
    facts_job: Option<Promise<Facts>>,
    /// The facts asked for are the full check (of this kind), not a header probe.
    check: Option<MediaKind>,
    picture: Picture,
    last_used: u64,
}

/// The thumbnail service.
pub struct Thumbnails {
    pool: ThumbnailPool,
    cache: Option<ThumbCache>,
    posters_running: Arc<std::sync::atomic::AtomicUsize>,
    entries: HashMap<PathBuf, Entry>,
    ctx: egui::Context,
    frame: u64,
    woke: Arc<AtomicBool>,
}

/// What the UI can draw for a file right now.
pub struct ThumbView<'a> {
    /// The texture, once decoded.
    pub texture: Option<&'a egui::TextureHandle>,
    /// The facts, once probed.
    pub facts: Option<&'a Facts>,
    /// Still working on it.
    pub loading: bool,
}

impl Thumbnails {
    /// A service with its own worker pool, caching under `cache_dir/thumbnails`.
    pub fn new(ctx: &egui::Context, cache_dir: &Path) -> Thumbnails {
        let cache = ThumbCache::new(cache_dir.join("thumbnails")).ok();
        // Two workers: enough to keep up, and the machines this runs on are small.
        Thumbnails {
            pool: ThumbnailPool::new(2, cache.clone()),
            cache,
            posters_running: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            entries: HashMap::new(),
            ctx: ctx.clone(),
            frame: 0,
            woke: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts work on `path` (once) and returns what is ready; its facts come from a header
    /// probe (the gallery, the queue). `video` skips image decoding.
    pub fn get(&mut self, path: &Path, video: bool) -> ThumbView<'_> {
        self.view(path, video, None)
    }

    /// Like [`Thumbnails::get`] for a file in a form field of `kind`: its facts come from the
    /// one media check, which decodes it and is what the engine will ask too.
    pub fn get_checked(&mut self, path: &Path, kind: MediaKind) -> ThumbView<'_> {
        self.view(path, kind == MediaKind::Video, Some(kind))
    }

    fn view(&mut self, path: &Path, video: bool, check: Option<MediaKind>) -> ThumbView<'_> {
        self.frame += 1;
        let frame = self.frame;
        // A file first seen by the gallery or the queue gets the full check once a form needs it.
        if let Some(kind) = check
            && let Some(entry) = self.entries.get_mut(path)
            && entry.check != Some(kind)
        {
            entry.check = Some(kind);
            entry.facts = None;
            entry.facts_job = Some(facts_job(&self.ctx, &self.woke, path, video, Some(kind)));
        }
        if !self.entries.contains_key(path) {
            // Poster frames decode H.264: at most two at once; the rest wait for a later frame.
            if video && self.posters_running.load(Ordering::SeqCst) >= MAX_POSTERS {
                return ThumbView {
                    texture: None,
                    facts: None,
                    loading: true,
                };
            }
            let entry = self.start(path, video, check);
            self.entries.insert(path.to_path_buf(), entry);
        }
        let Some(entry) = self.entries.get_mut(path) else {
            return ThumbView {
                texture: None,
                facts: None,
                loading: false,
            };
        };
        entry.last_used = frame;
        let loading = entry.facts.is_none()
            || matches!(entry.picture, Picture::Loading(_) | Picture::Poster(_));
        ThumbView {
            texture: match &entry.picture {
                Picture::Ready(t) => Some(t),
                _ => None,
            },
            facts: entry.facts.as_ref(),
            loading,
        }
    }

    /// The facts of `path`, if probed already.
    pub fn facts(&self, path: &Path) -> Option<&Facts> {
        self.entries.get(path).and_then(|e| e.facts.as_ref())
    }

    fn start(&self, path: &Path, video: bool, check: Option<MediaKind>) -> Entry {
        let facts_job = facts_job(&self.ctx, &self.woke, path, video, check);
        let picture = if video {
            let woke = Arc::clone(&self.woke);
            let running = Arc::clone(&self.posters_running);
            let cache = self.cache.clone();
            let p = path.to_path_buf();
            running.fetch_add(1, Ordering::SeqCst);
            Picture::Poster(super::task::blocking_then(
                &self.ctx,
                move || {
                    // Bounded in time and panic-proof inside the core too.
                    let pic = match &cache {
                        Some(c) => reelsmith_core::media::video::cached_poster(&p, c),
                        None => reelsmith_core::media::video::poster_frame(&p),
                    };
                    pic.ok().map(|pic| {
                        let small = shrink(&pic, THUMB_SIDE * 2);
                        egui::ColorImage::from_rgba_unmultiplied(
                            [small.width as usize, small.height as usize],
                            &small.rgba,
                        )
                    })
                },
                |_| None,
                move || {
                    running.fetch_sub(1, Ordering::SeqCst);
                    woke.store(true, Ordering::SeqCst);
                },
            ))
        } else {
            let ctx = self.ctx.clone();
            let woke = Arc::clone(&self.woke);
            Picture::Loading(self.pool.request_notify(path, THUMB_SIDE, move || {
                woke.store(true, Ordering::SeqCst);
                ctx.request_repaint();
            }))
        };
        Entry {
            facts: None,
            facts_job: Some(facts_job),
            check,
            picture,
            last_used: self.frame,
        }
    }

    /// Collects finished work; true when new facts arrived (the form re-validates).
    pub fn poll(&mut self) -> bool {
        if !self.woke.swap(false, Ordering::SeqCst) {
            return false;
        }
        let mut new_facts = false;
        for (path, entry) in self.entries.iter_mut() {
            if let Some(job) = entry.facts_job.take() {
                match job.try_take() {
                    Ok(f) => {
                        entry.facts = Some(f);
                        new_facts = true;
                    }
                    Err(job) => entry.facts_job = Some(job),
                }
            }
            if let Picture::Poster(_) = &entry.picture {
                let Picture::Poster(job) = std::mem::replace(&mut entry.picture, Picture::None)
                else {
                    continue;
                };
                entry.picture = match job.try_take() {
                    Ok(Some(image)) => Picture::Ready(self.ctx.load_texture(
                        format!("poster:{}", path.display()),
                        image,
                        egui::TextureOptions::LINEAR,
                    )),
                    Ok(None) => Picture::None,
                    Err(job) => Picture::Poster(job),
                };
            }
            if let Picture::Loading(handle) = &entry.picture
                && let Some(outcome) = handle.try_take()
            {
                entry.picture = match outcome {
                    Ok(pic) => {
                        let image = egui::ColorImage::from_rgba_unmultiplied(
                            [pic.width as usize, pic.height as usize],
                            &pic.rgba,
                        );
                        Picture::Ready(self.ctx.load_texture(
                            format!("thumb:{}", path.display()),
                            image,
                            egui::TextureOptions::LINEAR,
                        ))
                    }
                    Err(_) => Picture::None,
                };
            }
        }
        self.bound();
        new_facts
    }

    /// Bytes of the textures held now (RGBA).
    pub fn texture_bytes(&self) -> usize {
        self.entries
            .values()
            .map(|e| match &e.picture {
                Picture::Ready(t) => t.size()[0] * t.size()[1] * 4,
                _ => 0,
            })
            .sum()
    }

    /// Drops the least recently drawn files while over either bound.
    fn bound(&mut self) {
        if self.entries.len() > MAX_TEXTURES || self.texture_bytes() > MAX_TEXTURE_BYTES {
            self.evict();
        }
    }

    /// Installs a picture made elsewhere (a video's poster frame) for `path`.
    pub fn put_picture(&mut self, path: &Path, image: egui::ColorImage) {
        let texture = self.ctx.load_texture(
            format!("poster:{}", path.display()),
            image,
            egui::TextureOptions::LINEAR,
        );
        self.frame += 1;
        let frame = self.frame;
        let entry = self.entries.entry(path.to_path_buf()).or_insert(Entry {
            facts: None,
            facts_job: None,
            check: None,
            picture: Picture::None,
            last_used: frame,
        });
        entry.picture = Picture::Ready(texture);
        entry.last_used = frame;
        self.bound();
    }

    fn evict(&mut self) {
        let mut ages: Vec<(u64, PathBuf)> = self
            .entries
            .iter()
            .map(|(p, e)| (e.last_used, p.clone()))
            .collect();
        ages.sort();
        let mut bytes = self.texture_bytes();
        for (_, p) in ages {
            if self.entries.len() <= MAX_TEXTURES * 3 / 4 && bytes <= MAX_TEXTURE_BYTES * 3 / 4 {
                break;
            }
            if let Some(Entry {
                picture: Picture::Ready(t),
                ..
            }) = self.entries.remove(&p)
            {
                bytes = bytes.saturating_sub(t.size()[0] * t.size()[1] * 4);
            }
        }
    }

    /// How many files the service tracks (for the benchmark and tests).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True while any probe or decode is still running.
    pub fn busy(&self) -> bool {
        self.entries.values().any(|e| {
            e.facts_job.is_some() || matches!(e.picture, Picture::Loading(_) | Picture::Poster(_))
        })
    }

    /// One issue per problem of each local media file of the form against its field's limits,
    /// from the one media check; a file still being checked blocks until its check is done.
    pub fn media_issues(&self, model: &FormModel, state: &FormState) -> Vec<Issue> {
        let mut out = Vec::new();
        walk_media(&model.fields, state, "", &mut |path, field, media| {
            let MediaRef::Local(p) = media else {
                return;
            };
            // Named as the engine's preflight names it, so the messages are the same.
            let shown = check::display_name(p);
            let Some(facts) = self.facts(p).filter(|f| f.checked) else {
                out.push(Issue::error(
                    path,
                    format!("{shown} is still being checked; wait a moment"),
                ));
                return;
            };
            for problem in problems(facts, field.media.as_ref(), &shown) {
                out.push(if problem.blocks {
                    Issue::error(path, problem.message)
                } else {
                    Issue::warning(path, problem.message)
                });
            }
        });
        out
    }
}

/// Starts the facts of `path`: the one media check of `check`'s kind, or a header probe.
fn facts_job(
    ctx: &egui::Context,
    woke: &Arc<AtomicBool>,
    path: &Path,
    video: bool,
    check: Option<MediaKind>,
) -> Promise<Facts> {
    let (p, woke) = (path.to_path_buf(), Arc::clone(woke));
    let checked = check.is_some();
    super::task::blocking_then(
        ctx,
        move || match check {
            Some(kind) => match check::inspect(&p, kind) {
                Ok(inspected) => Facts::from_inspected(inspected, true),
                Err(e) => Facts::failed(&e, true),
            },
            None => probe(&p, video),
        },
        move |message| Facts {
            error: Some(format!("the check of this file crashed ({message})")),
            error_label: Some("check crashed"),
            checked,
            ..Facts::default()
        },
        move || woke.store(true, Ordering::SeqCst),
    )
}

/// Calls `f(path, field, media)` for every media item of the form, nested objects included.
pub fn walk_media(
    fields: &[Field],
    state: &FormState,
    prefix: &str,
    f: &mut dyn FnMut(&str, &Field, &MediaRef),
) {
    for field in fields {
        let path = super::form::join(prefix, &field.name, None);
        match field.kind {
            FieldKind::ObjectList | FieldKind::Object => {
                for (i, item) in state.objects(&field.name).iter().enumerate() {
                    let item_path = if field.kind == FieldKind::ObjectList {
                        format!("{path}[{i}]")
                    } else {
                        path.clone()
                    };
                    walk_media(&field.item_fields, item, &item_path, f);
                }
            }
            _ => {
                for m in state.media(&field.name) {
                    f(&path, field, m);
                }
            }
        }
    }
}

/// A nearest-neighbour copy of `pic` whose longer side is at most `max_side` (poster frames
/// come at full video size; the gallery never shows them larger than a tile).
fn shrink(pic: &reelsmith_core::media::Picture, max_side: u32) -> reelsmith_core::media::Picture {
    let longer = pic.width.max(pic.height);
    if longer <= max_side || pic.width == 0 || pic.height == 0 {
        return pic.clone();
    }
    let w = (pic.width as u64 * max_side as u64 / longer as u64).max(1) as u32;
    let h = (pic.height as u64 * max_side as u64 / longer as u64).max(1) as u32;
    let mut rgba = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        let sy = (y as u64 * pic.height as u64 / h as u64) as u32;
        for x in 0..w {
            let sx = (x as u64 * pic.width as u64 / w as u64) as u32;
            rgba.extend_from_slice(&pic.pixel(sx, sy).unwrap_or([0, 0, 0, 255]));
        }
    }
    reelsmith_core::media::Picture {
        width: w,
        height: h,
        rgba,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posters_of_a_large_library_stay_within_the_memory_bound() {
        let ctx = egui::Context::default();
        let dir = tempfile::tempdir().unwrap();
        let mut thumbs = Thumbnails::new(&ctx, dir.path());
        // 720p posters at their size in the grid: 324 KiB each, 500 of them 158 MiB in all.
        let poster = egui::ColorImage::filled([384, 216], egui::Color32::GRAY);
        let mut peak = 0;
        for i in 0..500 {
            let path = PathBuf::from(format!("/library/clip-{i:03}.mp4"));
            thumbs.put_picture(&path, poster.clone());
            peak = peak.max(thumbs.texture_bytes());
        }
        assert!(peak <= MAX_TEXTURE_BYTES, "peak {peak} B");
        assert!(peak > MAX_TEXTURE_BYTES / 2, "the cache is used: {peak} B");
        // The newest stays; the oldest went first.
        assert!(
            thumbs
                .entries
                .contains_key(Path::new("/library/clip-499.mp4"))
        );
        assert!(
            !thumbs
                .entries
                .contains_key(Path::new("/library/clip-000.mp4"))
        );
        // egui frees what the cache dropped: its live textures are the cache's.
        let live: usize = ctx
            .tex_manager()
            .read()
            .allocated()
            .filter(|(_, m)| m.name.starts_with("poster:"))
            .map(|(_, m)| m.bytes_used())
            .sum();
        assert_eq!(live, thumbs.texture_bytes());
    }
}
