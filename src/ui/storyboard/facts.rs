//! The clips on show: their facts (frame count, rate) and filmstrips, read in the background.

use std::path::{Path, PathBuf};

use super::tasks::{Done, spawn};
use crate::ui::app::StudioApp;

/// Filmstrip pictures per shot.
pub const STRIP_FRAMES: usize = 8;
/// Filmstrip picture width in pixels (kept small: it is drawn about 90 points wide).
const STRIP_WIDTH: u32 = 160;

/// Reads the facts (frames, rate) and the filmstrip of every clip on the storyboard on show.
pub(super) fn wanted_facts(app: &mut StudioApp) {
    let Some(board) = app.storyboard.board() else {
        return;
    };
    let paths: Vec<PathBuf> = board
        .shots
        .iter()
        .filter_map(|s| s.clip.as_ref().map(|c| c.path.clone()))
        .filter(|p| !app.storyboard.info.contains_key(p) && !app.storyboard.reading.contains(p))
        .collect();
    for path in paths {
        app.storyboard.reading.insert(path.clone());
        spawn(app, move |_| {
            let info = reelsmith_core::media::video::probe_video(&path).map_err(|e| e.to_string());
            Ok(Done::Info(path, info))
        });
    }
    let strips: Vec<PathBuf> = app
        .storyboard
        .info
        .iter()
        .filter(|(p, i)| i.is_ok() && !app.storyboard.strips.contains_key(*p))
        .map(|(p, _)| p.clone())
        .collect();
    for path in strips {
        // An empty strip marks it as under way (and stays empty if the clip will not decode).
        app.storyboard.strips.insert(path.clone(), Vec::new());
        let duration = match app.storyboard.info.get(&path) {
            Some(Ok(i)) => i.duration_secs,
            _ => continue,
        };
        spawn(app, move |_| {
            Ok(Done::Strip(path.clone(), filmstrip(&path, duration)))
        });
    }
}

/// Pictures spread over the clip, each scaled to [`STRIP_WIDTH`].
fn filmstrip(path: &Path, duration: f64) -> Vec<egui::ColorImage> {
    (0..STRIP_FRAMES)
        .filter_map(|i| {
            let t = duration * (i as f64 + 0.5) / STRIP_FRAMES as f64;
            let picture = reelsmith_core::media::video::frame_at(path, t).ok()?;
            let rgba = picture.to_rgba_image()?;
            let h = (STRIP_WIDTH * rgba.height() / rgba.width().max(1)).max(1);
            let small = image::imageops::thumbnail(&rgba, STRIP_WIDTH, h);
            Some(egui::ColorImage::from_rgba_unmultiplied(
                [small.width() as usize, small.height() as usize],
                small.as_raw(),
            ))
        })
        .collect()
}
