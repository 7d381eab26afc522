//! GUI tests of a library video's files from the gallery: Save as… copies the video and its
//! sidecar, refuses the library's own file and asks before replacing someone else's JSON;
//! Extend and "last frame" open the form with the clip; the trash takes both files.

mod ui_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::StudioApp;
use reelsmith::ui::app::View;
use reelsmith_core::library::{LibraryItem, Sidecar};
use ui_support::*;

/// A library of one real clip with its sidecar in `root/videos`, shown by a detached engine.
fn one_video_library(env: &Env, h: &mut Harness<'_, StudioApp>) -> LibraryItem {
    let dir = env.library();
    std::fs::create_dir_all(&dir).unwrap();
    let path = env.mp4("clip.mp4");
    let video = dir.join("2026-03-04_050607_veo3-1_harbour.mp4");
    std::fs::rename(&path, &video).unwrap();
    let bytes = std::fs::read(&video).unwrap();
    let now = chrono::Utc::now();
    let sidecar = Sidecar {
        format: reelsmith_core::library::sidecar::SIDECAR_FORMAT.into(),
        job_id: "0123456789abcdef0123456789abcdef".into(),
        endpoint_id: "fal-ai/veo3.1".into(),
        request_id: Some("req-1".into()),
        prompt: "Boats in the harbour at dawn".into(),
        input: serde_json::json!({"prompt": "Boats in the harbour at dawn"}),
        references: Vec::new(),
        seed: Some(3),
        file: video.file_name().unwrap().to_string_lossy().into_owned(),
        file_size: bytes.len() as u64,
        blake3: blake3::hash(&bytes).to_hex().to_string(),
        video_url: None,
        result: None,
        cost: Default::default(),
        timings: reelsmith_core::library::sidecar::SidecarTimings {
            created_at: Some(now),
            saved_at: Some(now),
            ..Default::default()
        },
        simulated: true,
    };
    let sidecar_file = reelsmith_core::library::sidecar_path(&video);
    sidecar.write(&sidecar_file).unwrap();
    let item = LibraryItem::from_sidecar(&sidecar, &sidecar_file).unwrap();
    let ctx = h.ctx.clone();
    h.state_mut().engine =
        reelsmith::ui::engine_link::EngineLink::detached(&ctx, Vec::new(), vec![item.clone()]);
    h.state_mut().persisted.view = View::Gallery;
    settle(h);
    h.get_by_label_contains("Video: Boats in the harbour")
        .click();
    settle(h);
    item
}

#[cfg(unix)]
#[test]
fn save_as_onto_the_library_file_is_refused_and_a_foreign_json_is_asked_about() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let exports = env.root.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    let choice = Arc::new(std::sync::Mutex::new(exports.join("link.mp4")));
    let mut config = env.config();
    let picked = Arc::clone(&choice);
    config.save_as = Arc::new(move |_suggested: &Path| Some(picked.lock().unwrap().clone()));
    let mut h = env.harness_with(config);
    let item = one_video_library(&env, &mut h);
    let video_before = std::fs::read(&item.path).unwrap();
    let sidecar_before = std::fs::read(&item.sidecar).unwrap();

    // A symlink to the library file, chosen in the save dialog: refused, and said so.
    std::os::unix::fs::symlink(&item.path, exports.join("link.mp4")).unwrap();
    h.get_by_label("Save as…").click();
    step_until(
        &mut h,
        "the copy is refused",
        Duration::from_secs(10),
        |a| !a.gallery.save.busy() && a.gallery.save.note.is_some(),
    );
    settle(&mut h);
    assert!(
        h.query_by_label_contains("is the library's own file")
            .is_some(),
        "the refusal is shown: {:?}",
        h.state().gallery.save.note.as_ref().map(|n| &n.text)
    );
    assert_eq!(std::fs::read(&item.path).unwrap(), video_before);
    assert_eq!(std::fs::read(&item.sidecar).unwrap(), sidecar_before);

    // Someone else's keeper.json where the copy's sidecar would go: asked, kept on "Keep it".
    let keeper = exports.join("keeper.mp4");
    let notes = exports.join("keeper.json");
    std::fs::write(&notes, b"{\"shot list\": [1, 2]}").unwrap();
    *choice.lock().unwrap() = keeper.clone();
    h.get_by_label("Save as…").click();
    step_until(
        &mut h,
        "the question is asked",
        Duration::from_secs(10),
        |a| !a.gallery.save.busy(),
    );
    settle(&mut h);
    assert!(h.query_by_label_contains("Replace keeper.json?").is_some());
    h.get_by_label("Keep it").click();
    settle(&mut h);
    assert!(h.query_by_label_contains("Replace keeper.json?").is_none());
    assert_eq!(std::fs::read(&notes).unwrap(), b"{\"shot list\": [1, 2]}");
    assert!(!keeper.exists(), "nothing was copied before the answer");

    // Asked again, "Replace it" saves the copy and its sidecar.
    h.get_by_label("Save as…").click();
    step_until(
        &mut h,
        "the question is asked again",
        Duration::from_secs(10),
        |a| !a.gallery.save.busy(),
    );
    settle(&mut h);
    h.get_by_label("Replace it").click();
    step_until(&mut h, "the copy is saved", Duration::from_secs(10), |a| {
        !a.gallery.save.busy()
            && a.gallery
                .save
                .note
                .as_ref()
                .is_some_and(|n| n.text.starts_with("Saved"))
    });
    assert_eq!(std::fs::read(&keeper).unwrap(), video_before);
    assert_eq!(Sidecar::read(&notes).unwrap().file, "keeper.mp4");
}

#[test]
fn save_as_copies_the_video_and_its_sidecar() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let dest = env.root.path().join("exports").join("keeper.mp4");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let mut config = env.config();
    let chosen = dest.clone();
    config.save_as = Arc::new(move |_suggested: &Path| Some(chosen.clone()));
    let mut h = env.harness_with(config);
    click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
    let street = env.png("street.png", 800, 450, 140);
    drop_files(&mut h, "image_url", &[&street]);
    type_prompt(&mut h, "a keeper lights the lamp");
    generate(&mut h);
    step_until(
        &mut h,
        "the video is in the gallery",
        Duration::from_secs(60),
        |a| a.engine.library().len() == 1,
    );
    h.get_by_label_contains("Gallery ").click();
    settle(&mut h);
    h.get_by_label_contains("Video: a keeper lights").click();
    settle(&mut h);
    h.get_by_label("Save as…").click();
    step_until(
        &mut h,
        "the copy is written",
        Duration::from_secs(10),
        |_| dest.with_extension("json").is_file(),
    );
    let item = h.state().engine.library()[0].clone();
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        std::fs::read(&item.path).unwrap()
    );
    // The copy's sidecar is the library's, naming the copy.
    let copied = Sidecar::read(&dest.with_extension("json")).unwrap();
    let original = Sidecar::read(&item.sidecar).unwrap();
    assert_eq!(copied.file, "keeper.mp4");
    assert_eq!(
        Sidecar {
            file: original.file.clone(),
            ..copied
        },
        original
    );
    step_until(&mut h, "the outcome is in", Duration::from_secs(10), |a| {
        !a.gallery.save.busy()
    });
    settle(&mut h);
    assert!(
        h.query_by_label_contains("Saved a copy as").is_some(),
        "the outcome is shown"
    );
    // "Extend this clip" opens extend-video with the clip; "last frame" opens image-to-video
    // with a PNG of the clip's last frame.
    h.get_by_label("Extend this clip").click();
    settle(&mut h);
    assert_eq!(h.state().endpoint_id(), Some("fal-ai/veo3.1/extend-video"));
    assert_eq!(
        h.state().form_state().unwrap().media("video_url"),
        vec![&reelsmith_core::schema::MediaRef::Local(item.path.clone())]
    );
    h.get_by_label_contains("Gallery ").click();
    settle(&mut h);
    h.get_by_label("Use last frame as first frame").click();
    step_until(
        &mut h,
        "image-to-video opens",
        Duration::from_secs(10),
        |a| {
            a.endpoint_id() == Some("fal-ai/veo3.1/image-to-video")
                && !a.form_state().unwrap().media("image_url").is_empty()
        },
    );
    let frame = match h.state().form_state().unwrap().media("image_url")[0] {
        reelsmith_core::schema::MediaRef::Local(p) => p.clone(),
        other => panic!("expected a local file, got {other:?}"),
    };
    let img = image::open(&frame).unwrap();
    assert!(img.width() > 0 && img.height() > 0);
    h.get_by_label_contains("Gallery ").click();
    settle(&mut h);
    // Delete asks nothing: the video and its sidecar go to the trash (undoable).
    h.get_by_label("Move to the trash").click();
    step_until(
        &mut h,
        "the video is in the trash",
        Duration::from_secs(10),
        |a| a.gallery.index.index.is_empty() && !a.gallery.trash_busy() && !a.engine.busy(),
    );
    assert!(!item.path.exists() && !item.sidecar.exists());
    assert!(dest.is_file(), "the exported copy stays");
}
