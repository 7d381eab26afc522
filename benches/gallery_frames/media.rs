//! The library and the queue the frame benchmark draws: one real clip hard-linked into many
//! gallery videos, and distinct PNG photos as the queue's reference thumbnails.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use reelsmith_core::jobs::{FileUpload, Job, JobState};
use reelsmith_core::library::LibraryItem;

/// What the prompts are about: a search for one word matches one video in five.
pub const SUBJECTS: [&str; 5] = [
    "a lighthouse keeper climbs the stairs as the storm comes in",
    "a fox crosses a snowy field at dusk",
    "a paper boat drifts down a flooded street",
    "two friends laugh on a night train",
    "rain on a neon-lit market at midnight",
];

/// `videos` distinct paths to one real clip under `root/videos` (the library folder), and
/// `photos` distinct PNG photos under `root/pictures`.
pub fn make(root: &Path, videos: usize, photos: usize) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let videos_dir = root.join("videos");
    let pics_dir = root.join("pictures");
    std::fs::create_dir_all(&videos_dir).expect("videos dir");
    std::fs::create_dir_all(&pics_dir).expect("pictures dir");
    let spec = reelsmith_sim::clip::ClipSpec {
        width: 320,
        height: 180,
        fps: 16,
        frames: 16,
    };
    let clip = reelsmith_sim::clip::render_clip(&spec, None).expect("clip");
    let first = videos_dir.join("clip-00000.mp4");
    std::fs::write(&first, clip).expect("write clip");
    let mut paths = vec![first.clone()];
    for i in 1..videos {
        let p = videos_dir.join(format!("clip-{i:05}.mp4"));
        if std::fs::hard_link(&first, &p).is_err() {
            std::fs::copy(&first, &p).expect("copy clip");
        }
        paths.push(p);
    }
    let pictures = (0..photos)
        .map(|i| {
            let p = pics_dir.join(format!("photo-{i:02}.png"));
            let img = image::RgbImage::from_fn(640, 480, |x, y| {
                image::Rgb([(x / 3) as u8, (y / 2) as u8, (i * 5) as u8])
            });
            img.save(&p).expect("png");
            p
        })
        .collect();
    (paths, pictures)
}

/// The journal's library row of video `i`.
pub fn item(i: usize, path: &Path) -> LibraryItem {
    let when = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + chrono::Duration::minutes(i as i64);
    LibraryItem {
        job_id: format!("{i:032x}"),
        path: path.to_path_buf(),
        sidecar: path.with_extension("json"),
        endpoint_id: if i.is_multiple_of(3) {
            "fal-ai/kling-video/o1/standard/reference-to-video".into()
        } else {
            "fal-ai/veo3.1/image-to-video".into()
        },
        prompt: format!("shot {i}: {}", SUBJECTS[i % SUBJECTS.len()]),
        request_id: Some(format!("req-{i}")),
        seed: Some(i as i64),
        size: 50_000,
        blake3: String::new(),
        created_at: when,
        finished_at: when,
    }
}

/// A finished queue job `i` with `pictures` as its uploaded references.
pub fn job(i: usize, pictures: &[PathBuf]) -> Job {
    let mut job = Job::new(
        "fal-ai/kling-video/o1/standard/reference-to-video",
        &format!("job {i}: @Image1 walks through the market"),
        serde_json::json!({}),
    );
    job.uploads = pictures
        .iter()
        .map(|p| FileUpload {
            path: p.clone(),
            size: 100_000,
            sent: 100_000,
            blake3: None,
            url: None,
            reused: false,
        })
        .collect();
    job.set_state(JobState::Done);
    job
}
