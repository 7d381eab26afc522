//! Thumbnails and media facts for the form and the gallery, made off the UI thread.
//!
//! Images go through the media module's worker pool (DCT-scaled decode, disk cache); facts
//! (size, dimensions) come from a header probe on a blocking task. Textures are uploaded once
//! and dropped when the cache grows past its bound.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use poll_promise::Promise;

use reelsmith_core::media::{ThumbCache, ThumbnailHandle, ThumbnailPool};
use reelsmith_core::schema::{
    Field, FieldKind, FormModel, FormState, Issue, MediaLimits, MediaRef,
};

/// Longest side of the thumbnails the window asks for.
pub const THUMB_SIDE: u32 = 192;
/// Textures kept before the least recently used are dropped.
const MAX_TEXTURES: usize = 600;
/// Poster frames decoded at once.
const MAX_POSTERS: usize = 2;

/// What is known about one local media file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// File size in bytes.
    pub size: u64,
    /// Displayed width and height, when known.
    pub dims: Option<(u32, u32)>,
    /// Duration in seconds (videos), when known.
    pub duration: Option<f64>,
    /// Frames per second (videos), when known.
    pub fps: Option<f64>,
    /// Why the file cannot be used at all (missing, empty, not an image…).
    pub error: Option<String>,
}

enum Picture {
    Loading(ThumbnailHandle),
    Poster(Promise<Option<egui::ColorImage>>),
    Ready(egui::TextureHandle),
    None,
}

struct Entry {
    facts: Option<Facts>,
    facts_job: Option<Promise<Facts>>,
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

    /// Starts work on `path` (once) and returns what is ready. `video` skips image decoding.
    pub fn get(&mut self, path: &Path, video: bool) -> ThumbView<'_> {
        self.frame += 1;
        let frame = self.frame;
        if !self.entries.contains_key(path) {
            // Poster frames decode H.264: at most two at once; the rest wait for a later frame.
            if video && self.posters_running.load(Ordering::SeqCst) >= MAX_POSTERS {
                return ThumbView {
                    texture: None,
                    facts: None,
                    loading: true,
                };
            }
            let entry = self.start(path, video);
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

    fn start(&self, path: &Path, video: bool) -> Entry {
        let ctx = self.ctx.clone();
        let woke = Arc::clone(&self.woke);
        let p = path.to_path_buf();
        let facts_job = Promise::spawn_blocking(move || {
            let facts = probe(&p, video);
            woke.store(true, Ordering::SeqCst);
            ctx.request_repaint();
            facts
        });
        let picture = if video {
            let ctx = self.ctx.clone();
            let woke = Arc::clone(&self.woke);
            let running = Arc::clone(&self.posters_running);
            let cache = self.cache.clone();
            let p = path.to_path_buf();
            running.fetch_add(1, Ordering::SeqCst);
            Picture::Poster(Promise::spawn_blocking(move || {
                let pic = match &cache {
                    Some(c) => reelsmith_core::media::video::cached_poster(&p, c),
                    None => reelsmith_core::media::video::poster_frame(&p),
                };
                let image = pic.ok().map(|pic| {
                    let small = shrink(&pic, THUMB_SIDE * 2);
                    egui::ColorImage::from_rgba_unmultiplied(
                        [small.width as usize, small.height as usize],
                        &small.rgba,
                    )
                });
                running.fetch_sub(1, Ordering::SeqCst);
                woke.store(true, Ordering::SeqCst);
                ctx.request_repaint();
                image
            }))
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
        if self.entries.len() > MAX_TEXTURES {
            self.evict();
        }
        new_facts
    }

    /// Installs a picture made elsewhere (a video's poster frame) for `path`.
    pub fn put_picture(&mut self, path: &Path, image: egui::ColorImage) {
        let texture = self.ctx.load_texture(
            format!("poster:{}", path.display()),
            image,
            egui::TextureOptions::LINEAR,
        );
        let frame = self.frame;
        let entry = self.entries.entry(path.to_path_buf()).or_insert(Entry {
            facts: None,
            facts_job: None,
            picture: Picture::None,
            last_used: frame,
        });
        entry.picture = Picture::Ready(texture);
    }

    fn evict(&mut self) {
        let mut ages: Vec<(u64, PathBuf)> = self
            .entries
            .iter()
            .map(|(p, e)| (e.last_used, p.clone()))
            .collect();
        ages.sort();
        let extra = self.entries.len().saturating_sub(MAX_TEXTURES * 3 / 4);
        for (_, p) in ages.into_iter().take(extra) {
            self.entries.remove(&p);
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

    /// One issue per problem of each local media file of the form against its field's limits.
    pub fn media_issues(&self, model: &FormModel, state: &FormState) -> Vec<Issue> {
        let mut out = Vec::new();
        walk_media(&model.fields, state, "", &mut |path, field, media| {
            let MediaRef::Local(p) = media else {
                return;
            };
            let Some(facts) = self.facts(p) else {
                return;
            };
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            for (blocking, text) in problems(facts, field.media.as_ref(), field.kind) {
                let message = format!("{name}: {text}");
                out.push(if blocking {
                    Issue::error(path, message)
                } else {
                    Issue::warning(path, message)
                });
            }
        });
        out
    }
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

/// Reads the facts of a file (blocking).
fn probe(path: &Path, video: bool) -> Facts {
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => {
            return Facts {
                error: Some(format!("cannot be read ({e})")),
                ..Facts::default()
            };
        }
    };
    if size == 0 {
        return Facts {
            error: Some("is empty".into()),
            ..Facts::default()
        };
    }
    if video {
        return probe_video(path, size);
    }
    match reelsmith_core::media::probe_image(path) {
        Ok(info) => Facts {
            size,
            dims: Some((info.width, info.height)),
            ..Facts::default()
        },
        Err(e) => Facts {
            size,
            error: Some(e.to_string()),
            ..Facts::default()
        },
    }
}

fn probe_video(path: &Path, size: u64) -> Facts {
    match reelsmith_core::media::video::probe_video(path) {
        Ok(info) => Facts {
            size,
            dims: Some((info.width, info.height)),
            duration: (info.duration_secs > 0.0).then_some(info.duration_secs),
            fps: (info.fps > 0.0).then_some(info.fps),
            error: None,
        },
        Err(e) => Facts {
            size,
            error: Some(e.to_string()),
            ..Facts::default()
        },
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

/// Problems of a file against `limits`: `(blocks submission, text)`. Too large images only
/// warn, because they are re-encoded to fit before upload.
pub fn problems(
    facts: &Facts,
    limits: Option<&MediaLimits>,
    kind: FieldKind,
) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    if let Some(e) = &facts.error {
        out.push((true, e.clone()));
        return out;
    }
    let Some(l) = limits else {
        return out;
    };
    let image = matches!(kind, FieldKind::Image | FieldKind::ImageList);
    if let Some(max) = l.max_file_size
        && facts.size > max
    {
        let text = format!(
            "{} is over the {} limit",
            reelsmith_core::human::bytes(facts.size),
            reelsmith_core::human::bytes(max)
        );
        out.push((
            !image,
            if image {
                format!("{text}; it will be re-encoded to fit")
            } else {
                text
            },
        ));
    }
    if let Some((w, h)) = facts.dims {
        if l.min_width.is_some_and(|m| w < m) || l.min_height.is_some_and(|m| h < m) {
            out.push((
                true,
                format!(
                    "{w}×{h} is smaller than the minimum {}×{}",
                    l.min_width.unwrap_or(0),
                    l.min_height.unwrap_or(0)
                ),
            ));
        }
        if l.max_width.is_some_and(|m| w > m) || l.max_height.is_some_and(|m| h > m) {
            let text = format!(
                "{w}×{h} is larger than {}×{}",
                l.max_width.unwrap_or(w),
                l.max_height.unwrap_or(h)
            );
            out.push((
                !image,
                if image {
                    format!("{text}; it will be scaled down")
                } else {
                    text
                },
            ));
        }
        if h > 0 {
            let ratio = w as f64 / h as f64;
            if l.min_aspect_ratio.is_some_and(|m| ratio < m)
                || l.max_aspect_ratio.is_some_and(|m| ratio > m)
            {
                out.push((
                    false,
                    format!(
                        "aspect ratio {ratio:.2} is outside {:.2}–{:.2}; the model will crop it",
                        l.min_aspect_ratio.unwrap_or(0.0),
                        l.max_aspect_ratio.unwrap_or(f64::INFINITY)
                    ),
                ));
            }
        }
    }
    if let Some(d) = facts.duration {
        if let Some(min) = l.min_duration
            && d < min
        {
            out.push((
                true,
                format!("{d:.1} s is shorter than the minimum {min:.1} s"),
            ));
        }
        if let Some(max) = l.max_duration
            && d > max
        {
            out.push((
                true,
                format!("{d:.1} s is longer than the maximum {max:.1} s"),
            ));
        }
    }
    if let Some(fps) = facts.fps
        && (l.min_fps.is_some_and(|m| fps < m - 0.01) || l.max_fps.is_some_and(|m| fps > m + 0.01))
    {
        out.push((
            true,
            format!(
                "{fps:.0} fps is outside {:.0}–{:.0} fps",
                l.min_fps.unwrap_or(0.0),
                l.max_fps.unwrap_or(f64::INFINITY)
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_images_block_large_ones_warn() {
        let limits = MediaLimits {
            min_width: Some(300),
            min_height: Some(300),
            max_file_size: Some(1000),
            ..MediaLimits::default()
        };
        let small = Facts {
            size: 10,
            dims: Some((100, 100)),
            ..Facts::default()
        };
        let p = problems(&small, Some(&limits), FieldKind::Image);
        assert_eq!(p.len(), 1);
        assert!(p[0].0 && p[0].1.contains("smaller"));
        let big = Facts {
            size: 5000,
            dims: Some((400, 400)),
            ..Facts::default()
        };
        let p = problems(&big, Some(&limits), FieldKind::Image);
        assert_eq!(p.len(), 1);
        assert!(!p[0].0 && p[0].1.contains("re-encoded"));
        let p = problems(&big, Some(&limits), FieldKind::Video);
        assert!(p[0].0, "an oversized video cannot be fixed, so it blocks");
    }

    #[test]
    fn videos_outside_duration_block() {
        let limits = MediaLimits {
            max_duration: Some(8.0),
            ..MediaLimits::default()
        };
        let f = Facts {
            size: 10,
            duration: Some(12.0),
            ..Facts::default()
        };
        let p = problems(&f, Some(&limits), FieldKind::Video);
        assert!(p[0].0 && p[0].1.contains("longer"));
    }
}
