//! The gallery tests' library of numbered clips with sidecars, and the moves they make on it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::StudioApp;
use reelsmith::ui::app::View;
use reelsmith_core::library::Sidecar;

use crate::ui_support::*;

// The gallery's own library: numbered clips with sidecars, on the shared Env.
impl Env {
    /// `n` real clips with sidecars in the library folder; video `i` is `i` minutes older
    /// than video 0, so the gallery (newest first) shows them in order.
    pub fn videos(&self, n: usize) {
        self.videos_in(&self.library(), 0..n);
    }

    /// Videos numbered `numbers` in `dir`.
    pub fn videos_in(&self, dir: &std::path::Path, numbers: std::ops::Range<usize>) {
        std::fs::create_dir_all(dir).unwrap();
        let spec = reelsmith_sim::clip::ClipSpec {
            width: 160,
            height: 90,
            fps: 8,
            frames: 8,
        };
        let bytes = reelsmith_sim::clip::render_clip(&spec, None).unwrap();
        let base = chrono::Utc::now() - chrono::Duration::hours(1);
        for i in numbers {
            let video = dir.join(name(i));
            std::fs::write(&video, &bytes).unwrap();
            let when = base - chrono::Duration::minutes(i as i64);
            Sidecar {
                format: reelsmith_core::library::sidecar::SIDECAR_FORMAT.into(),
                job_id: job(i),
                endpoint_id: "fal-ai/veo3.1/image-to-video".into(),
                request_id: Some(format!("req-{i}")),
                prompt: prompt(i),
                input: serde_json::json!({"prompt": prompt(i), "duration": "8s"}),
                references: Vec::new(),
                seed: Some(i as i64),
                file: name(i),
                file_size: bytes.len() as u64,
                blake3: blake3::hash(&bytes).to_hex().to_string(),
                video_url: None,
                result: None,
                cost: Default::default(),
                timings: reelsmith_core::library::sidecar::SidecarTimings {
                    created_at: Some(when),
                    saved_at: Some(when),
                    ..Default::default()
                },
                simulated: true,
            }
            .write(&reelsmith_core::library::sidecar_path(&video))
            .unwrap();
        }
    }

    /// The videos (by number) whose MP4 sits in the library folder itself.
    pub fn on_disk(&self) -> BTreeSet<usize> {
        std::fs::read_dir(self.library())
            .unwrap()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let n = name.strip_prefix("shot-")?.strip_suffix(".mp4")?;
                n.parse().ok()
            })
            .collect()
    }
}

pub fn name(i: usize) -> String {
    format!("shot-{i:02}.mp4")
}

pub fn job(i: usize) -> String {
    format!("{i:032x}")
}

pub fn prompt(i: usize) -> String {
    format!("Shot {i:02} over the bay")
}

/// Opens the window on the gallery and waits until the indexer has found `n` videos.
pub fn gallery_with(env: &Env, n: usize) -> Harness<'static, StudioApp> {
    let mut h = env.harness();
    h.state_mut().persisted.view = View::Gallery;
    step_until(
        &mut h,
        "the indexer has read the library folder",
        Duration::from_secs(20),
        |a| a.gallery.index.index.len() == n && !a.gallery.index.scanning(),
    );
    settle(&mut h);
    h
}

/// The selected videos, by number.
pub fn selected(h: &Harness<'_, StudioApp>) -> BTreeSet<usize> {
    h.state()
        .gallery
        .selection
        .set
        .iter()
        .map(|id| usize::from_str_radix(id, 16).unwrap())
        .collect()
}

pub fn focus(h: &Harness<'_, StudioApp>) -> Option<usize> {
    h.state()
        .gallery
        .selection
        .focus
        .as_ref()
        .map(|id| usize::from_str_radix(id, 16).unwrap())
}

pub fn set(items: &[usize]) -> BTreeSet<usize> {
    items.iter().copied().collect()
}

pub fn cell(i: usize) -> String {
    format!("Video: {}", prompt(i))
}

pub fn press(h: &mut Harness<'_, StudioApp>, mods: Modifiers, key: Key) {
    h.key_press_modifiers(mods, key);
    settle(h);
}

/// The clipboard texts the app put out while stepping until one came (at most `timeout`).
pub fn copied(h: &mut Harness<'_, StudioApp>, timeout: Duration) -> Vec<String> {
    let start = Instant::now();
    loop {
        h.step();
        let texts: Vec<String> = h
            .output()
            .platform_output
            .commands
            .iter()
            .filter_map(|c| match c {
                egui::OutputCommand::CopyText(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        if !texts.is_empty() {
            return texts;
        }
        assert!(start.elapsed() < timeout, "nothing was copied");
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// Right-clicks video `i` and clicks `item` in its menu; the click's frame is not stepped.
/// The details panel has buttons of the same names: the menu's is the one nearest the click.
pub fn menu_item(h: &mut Harness<'_, StudioApp>, i: usize, item: &str) {
    let at = h.get_by_label(&cell(i)).rect().center();
    h.get_by_label(&cell(i)).click_secondary();
    settle(h);
    let nearest = h
        .query_all_by_label(item)
        .min_by(|a, b| {
            let (da, db) = (
                a.rect().center().distance(at),
                b.rect().center().distance(at),
            );
            da.total_cmp(&db)
        })
        .unwrap_or_else(|| panic!("no {item:?} in the menu"));
    nearest.click();
}
