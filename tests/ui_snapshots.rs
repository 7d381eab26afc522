//! Snapshots of the main screens, light and dark: the welcome screen, the form with
//! references, a batch's question, the queue in several states, the gallery and settings.
//! Rendered by wgpu (lavapipe headless; see the README) and compared with the PNGs in
//! tests/snapshots/ (`UPDATE_SNAPSHOTS=1` re-records them).

mod ui_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::app::{Screen, View};
use reelsmith::ui::engine_link::EngineLink;
use reelsmith::ui::{Service, StudioApp, StudioConfig};
use reelsmith_core::jobs::{FailKind, FileUpload, Job, JobLog, JobState, Transfer};
use reelsmith_core::library::{LibraryItem, Sidecar};
use ui_support::*;

/// The snapshot window of `size` in `theme`, opened on the studio.
fn studio(
    config: StudioConfig,
    theme: egui::Theme,
    size: egui::Vec2,
) -> Harness<'static, StudioApp> {
    let mut h = snapshot_window(config, theme, size);
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    h
}

#[test]
fn welcome() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut results = egui_kittest::SnapshotResults::new();
    for (theme, name) in THEMES {
        let mut h = snapshot_window(env.config_without_key(), theme, SNAPSHOT);
        // The journal opens in the background: wait until the top bar no longer says so.
        step_until(&mut h, "the welcome screen", Duration::from_secs(10), |a| {
            a.screen == Screen::Welcome && a.engine.status().is_none()
        });
        settle(&mut h);
        results.add(h.try_snapshot(format!("welcome_{name}")));
    }
}

#[test]
fn form_with_references() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let front = env.png("front.png", 600, 800, 140);
    let side = env.png("side.png", 800, 600, 140);
    let room = env.png("room.png", 900, 600, 140);
    let tiny = env.png("tiny.png", 200, 200, 140);
    let mut results = egui_kittest::SnapshotResults::new();
    for (theme, name) in THEMES {
        let mut h = studio(env.config(), theme, SNAPSHOT);
        h.state_mut().persisted.show_queue = false;
        click_endpoint(&mut h, "fal-ai/kling-video/o1/standard/reference-to-video");
        h.get_by_label("+ Add element").click();
        settle(&mut h);
        drop_files(&mut h, "elements[0].frontal_image_url", &[&front]);
        drop_files(&mut h, "elements[0].reference_image_urls", &[&side]);
        drop_files(&mut h, "image_urls", &[&room, &tiny]);
        type_prompt(
            &mut h,
            "@Element1 waters the plants in @Image1 while rain taps the window",
        );
        wait_for_media(&mut h);
        h.remove_cursor();
        settle(&mut h);
        // The live price line carries the time it was fetched: a fixed one here.
        pin_price_times(&mut h);
        results.add(h.try_snapshot(format!("form_references_{name}")));
    }
}

/// Five photos dropped on one field with "one job per photo": the count and the total
/// estimate on the bar, and the one question asked before anything is sent.
#[test]
fn batch_of_photos() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let photos: Vec<PathBuf> = (0..5)
        .map(|i| env.png(&format!("photo-{i}.png"), 640, 360, 140))
        .collect();
    let refs: Vec<&Path> = photos.iter().map(|p| p.as_path()).collect();
    let mut results = egui_kittest::SnapshotResults::new();
    for (theme, name) in THEMES {
        let mut h = studio(env.config(), theme, SNAPSHOT);
        h.state_mut().persisted.show_queue = false;
        click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
        drop_files(&mut h, "image_url", &refs);
        type_prompt(&mut h, "The camera slowly pushes in");
        wait_for_media(&mut h);
        h.get_by_label("One job per photo (5)").scroll_to_me();
        settle(&mut h);
        h.get_by_label("One job per photo (5)").click();
        settle(&mut h);
        h.get_by_label("Send 5 jobs").click();
        settle(&mut h);
        assert!(
            h.query_by_label_contains("Send 5 jobs, est. $").is_some(),
            "the question is up"
        );
        h.remove_cursor();
        settle(&mut h);
        results.add(h.try_snapshot(format!("batch_{name}")));
    }
}

/// The queue's "now" in the queue snapshot: elapsed times are drawn to it, so the picture
/// shows real numbers and stays the same from run to run.
fn queue_now() -> chrono::DateTime<chrono::Utc> {
    at(10, 12)
}

fn demo_jobs(env: &Env) -> Vec<Job> {
    let photo = env.png("portrait.png", 600, 800, 140);
    let upload = |sent| FileUpload {
        path: photo.clone(),
        size: 2_400_000,
        sent,
        blake3: None,
        url: None,
        reused: false,
    };
    let mut jobs = Vec::new();
    let make = |minute: u32, endpoint: &str, prompt: &str, state: JobState| {
        let mut j = Job::new(endpoint, prompt, serde_json::json!({}));
        j.created_at = at(10, minute);
        j.state = state;
        j.state_changed_at = queue_now();
        j
    };
    let mut up = make(
        6,
        "fal-ai/kling-video/o1/standard/reference-to-video",
        "@Element1 rides a bicycle through the rain",
        JobState::Uploading,
    );
    up.uploads = vec![upload(1_100_000)];
    jobs.push(up);
    let mut q = make(
        4,
        "fal-ai/veo3.1/image-to-video",
        "A paper boat drifts down a flooded street",
        JobState::InQueue,
    );
    q.queue_position = Some(2);
    jobs.push(q);
    let mut running = make(
        7,
        "fal-ai/kling-video/o1/standard/reference-to-video",
        "A cat naps on a sunny windowsill, tail twitching",
        JobState::Running,
    );
    running.started_at = Some(queue_now() - chrono::Duration::seconds(42));
    running.logs = vec![JobLog {
        message: "step 12/40".into(),
        level: Some("info".into()),
        timestamp: None,
    }];
    jobs.push(running);
    let mut stalled = make(
        9,
        "fal-ai/veo3.1/image-to-video",
        "Fireworks over the old town",
        JobState::InQueue,
    );
    stalled.queue_position = Some(14);
    stalled.state_changed_at = queue_now() - chrono::Duration::minutes(45);
    jobs.push(stalled);
    let mut dl = make(
        5,
        "fal-ai/veo3.1/fast/first-last-frame-to-video",
        "Sunrise over the harbour, gulls circling",
        JobState::Downloading,
    );
    dl.download = Some(Transfer {
        done: 3_200_000,
        total: Some(5_100_000),
    });
    jobs.push(dl);
    let mut done = make(
        3,
        "fal-ai/veo3.1/reference-to-video",
        "Two friends laugh on a night train",
        JobState::Done,
    );
    done.output_path = Some(PathBuf::from("2026-01-28_veo3-1_two-friends-laugh.mp4"));
    done.logs = vec![JobLog {
        message: "rendering 96 frames".into(),
        level: Some("info".into()),
        timestamp: None,
    }];
    jobs.push(done);
    let mut failed = make(
        8,
        "fal-ai/video-as-prompt",
        "A dancer copies the motion",
        JobState::Failed,
    );
    failed.failure = Some(reelsmith_core::jobs::Failure {
        kind: FailKind::Service,
        message: "The model could not download the reference video (HTTP 403). Upload it again or use another URL.".into(),
        error_type: Some("file_download_error".into()),
    });
    jobs.push(failed);
    jobs.push(make(
        2,
        "fal-ai/veo3.1/extend-video",
        "Keep walking into the fog",
        JobState::Cancelled,
    ));
    jobs
}

#[test]
fn queue_in_several_states() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut results = egui_kittest::SnapshotResults::new();
    for (theme, name) in THEMES {
        let mut h = studio(env.config(), theme, egui::vec2(1280.0, 1000.0));
        click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
        let street = env.png("street.png", 1280, 720, 140);
        drop_files(&mut h, "image_url", &[&street]);
        type_prompt(
            &mut h,
            "A tram crosses the bridge at dawn, mist on the river",
        );
        let ctx = h.ctx.clone();
        let jobs = demo_jobs(&env);
        let stalled = jobs
            .iter()
            .find(|j| j.prompt.starts_with("Fireworks"))
            .unwrap()
            .id
            .clone();
        h.state_mut().engine = EngineLink::detached(&ctx, jobs, Vec::new());
        h.state_mut().engine.set_stalled(&stalled, true);
        h.state_mut().fixed_now = Some(queue_now());
        step_until(&mut h, "thumbnails", Duration::from_secs(10), |a| {
            !a.thumbs.busy()
        });
        h.remove_cursor();
        settle(&mut h);
        // Elapsed times are drawn to the fixed "now" above: no mask, the numbers show.
        assert!(
            h.query_by_label_contains("Running for 42 s").is_some(),
            "the running job shows its elapsed time"
        );
        // The live price line carries the time it was fetched: a fixed one here.
        pin_price_times(&mut h);
        results.add(h.try_snapshot(format!("queue_{name}")));
    }
}

fn demo_library(env: &Env) -> Vec<LibraryItem> {
    let dir = env.library();
    std::fs::create_dir_all(&dir).unwrap();
    let prompts = [
        "Two friends laugh on a night train",
        "A paper boat drifts down a flooded street",
        "Sunrise over the harbour, gulls circling",
        "A lighthouse keeper climbs the stairs",
        "Rain on a neon-lit market at midnight",
        "A fox crosses a snowy field at dusk",
    ];
    prompts
        .iter()
        .enumerate()
        .map(|(i, prompt)| {
            let source = image::RgbImage::from_fn(320, 180, |x, y| {
                image::Rgb([(x as usize * (i + 1) % 255) as u8, (y * 255 / 180) as u8, (60 * i % 255) as u8])
            });
            let spec = reelsmith_sim::clip::ClipSpec { width: 320, height: 180, fps: 16, frames: 16 };
            let path = dir.join(format!("clip-{i}.mp4"));
            std::fs::write(&path, reelsmith_sim::clip::render_clip(&spec, Some(&source)).unwrap()).unwrap();
            let sidecar = path.with_extension("json");
            let when = at(9, 50 - i as u32 * 5);
            let endpoint = if i % 2 == 0 { "fal-ai/veo3.1/image-to-video" } else { "fal-ai/kling-video/o1/standard/reference-to-video" };
            Sidecar {
                format: "reelsmith.sidecar/1".into(),
                job_id: format!("{i:032x}"),
                endpoint_id: endpoint.into(),
                request_id: Some(format!("req-{i}")),
                prompt: prompt.to_string(),
                input: serde_json::json!({"prompt": prompt, "duration": "8s", "aspect_ratio": "16:9"}),
                references: Vec::new(),
                seed: Some(1000 + i as i64),
                file: format!("clip-{i}.mp4"),
                file_size: std::fs::metadata(&path).unwrap().len(),
                blake3: String::new(),
                video_url: None,
                result: None,
                timings: reelsmith_core::library::sidecar::SidecarTimings {
                    created_at: Some(when),
                    saved_at: Some(when),
                    ..Default::default()
                },
                simulated: true,
                cost: Default::default(),
            }
            .write(&sidecar)
            .unwrap();
            LibraryItem {
                job_id: format!("{i:032x}"),
                path: path.clone(),
                sidecar,
                endpoint_id: endpoint.into(),
                prompt: prompt.to_string(),
                request_id: Some(format!("req-{i}")),
                seed: Some(1000 + i as i64),
                size: std::fs::metadata(&path).unwrap().len(),
                blake3: String::new(),
                created_at: when,
                finished_at: when,
            }
        })
        .collect()
}

#[test]
fn gallery() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let library = demo_library(&env);
    let mut results = egui_kittest::SnapshotResults::new();
    for (theme, name) in THEMES {
        let mut h = studio(env.config(), theme, SNAPSHOT);
        let ctx = h.ctx.clone();
        h.state_mut().engine = EngineLink::detached(&ctx, Vec::new(), library.clone());
        h.state_mut().persisted.view = View::Gallery;
        settle(&mut h);
        // Marks as a user leaves them: two favourites (F), one reject (X).
        for (video, key) in [
            ("Video: Sunrise", egui::Key::F),
            ("Video: A fox", egui::Key::X),
            ("Video: Two friends", egui::Key::F),
        ] {
            h.get_by_label_contains(video).click();
            settle(&mut h);
            h.key_press(key);
            settle(&mut h);
        }
        // Then a second video added to the selection with Ctrl-click.
        h.get_by_label_contains("Video: Rain on")
            .click_modifiers(egui::Modifiers::COMMAND);
        step_until(&mut h, "posters decode", Duration::from_secs(20), |a| {
            !a.thumbs.busy()
        });
        assert_eq!(h.state().gallery.selection.set.len(), 2);
        h.remove_cursor();
        settle(&mut h);
        results.add(h.try_snapshot(format!("gallery_{name}")));
    }
}

#[test]
fn settings() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut results = egui_kittest::SnapshotResults::new();
    // Fixed folders, so the paths on the page are the same on every run.
    let root = std::env::temp_dir().join("reelsmith-settings-snapshot");
    for (theme, name) in THEMES {
        let _ = std::fs::remove_dir_all(&root);
        let mut config = StudioConfig::in_dir(&root, Service::simulator(Arc::clone(&env.sim)));
        config.default_output_dir = PathBuf::from("/home/you/Videos/reelsmith");
        let mut h = studio(config, theme, SNAPSHOT);
        // The spend strip in the top bar shows once the simulator's usage answered.
        step_until(&mut h, "the spend is read", Duration::from_secs(5), |a| {
            a.money.spend.is_some()
        });
        h.get_by_label("Settings").click();
        settle(&mut h);
        h.remove_cursor();
        settle(&mut h);
        results.add(h.try_snapshot(format!("settings_{name}")));
    }
    let _ = std::fs::remove_dir_all(&root);
}
