//! A library of many finished videos and a journal of as many jobs, made for the start-up
//! benchmark: real sidecar files beside real (hard-linked) MP4 files, and a real SQLite journal
//! holding a finished job and an index entry for each.

use std::path::Path;

use reelsmith_core::jobs::{Job, JobState};
use reelsmith_core::library::sidecar::{SIDECAR_FORMAT, SidecarTimings};
use reelsmith_core::library::{LibraryItem, Sidecar, sidecar_path};
use reelsmith_core::store::Journal;

/// Fills `root` (laid out as `dir_env` names it) with `count` videos and jobs.
pub fn make(root: &Path, count: usize) {
    let videos = root.join("videos");
    std::fs::create_dir_all(&videos).expect("videos folder");
    let spec = reelsmith_sim::clip::ClipSpec {
        width: 320,
        height: 180,
        fps: 16,
        frames: 16,
    };
    let clip = reelsmith_sim::clip::render_clip(&spec, None).expect("a clip");
    let first = videos.join("clip-00000.mp4");
    std::fs::write(&first, &clip).expect("write the clip");
    let journal = Journal::open_in(&root.join("data")).expect("journal");
    let endpoints = [
        "fal-ai/veo3.1",
        "fal-ai/veo3.1/image-to-video",
        "fal-ai/kling-video/o1/standard/reference-to-video",
    ];
    for i in 0..count {
        let video = videos.join(format!("clip-{i:05}.mp4"));
        if i > 0 {
            std::fs::hard_link(&first, &video).expect("link the clip");
        }
        let endpoint = endpoints[i % endpoints.len()];
        let prompt = format!("shot {i}: a lighthouse at dusk, waves rolling in");
        let mut job = Job::new(endpoint, &prompt, serde_json::json!({"prompt": prompt}));
        job.simulated = true;
        job.request_id = Some(format!("req-{i:05}"));
        job.output_path = Some(video.clone());
        job.set_state(JobState::Done);
        journal.save_job(&job).expect("save the job");
        let sidecar = Sidecar {
            format: SIDECAR_FORMAT.into(),
            job_id: job.id.to_string(),
            endpoint_id: endpoint.into(),
            request_id: job.request_id.clone(),
            prompt: prompt.clone(),
            input: serde_json::json!({"prompt": prompt}),
            references: Vec::new(),
            seed: Some(i as i64),
            file: video
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            file_size: clip.len() as u64,
            blake3: blake3::hash(&clip).to_hex().to_string(),
            video_url: None,
            result: None,
            cost: Default::default(),
            timings: SidecarTimings {
                created_at: Some(job.created_at),
                saved_at: Some(job.created_at),
                ..SidecarTimings::default()
            },
            simulated: true,
        };
        let side = sidecar_path(&video);
        sidecar.write(&side).expect("write the sidecar");
        let item = LibraryItem::from_sidecar(&sidecar, &side).expect("an index entry");
        journal.index_item(&item).expect("index the video");
    }
}
