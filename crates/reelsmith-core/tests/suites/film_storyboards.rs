//! Storyboards in a real journal file (across reopening), importing footage, and the shot
//! actions (next shot, extend, redo) through the engine against the simulator on loopback.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::film::{clip, spec};
use reelsmith_core::fal::ClientOptions;
use reelsmith_core::film::actions::{self, NextShotEndpoint, Placement};
use reelsmith_core::film::boards::{self, ShotState};
use reelsmith_core::film::import::is_imported;
use reelsmith_core::film::{
    ExportHandle, FilmError, FilmSidecar, FrameRange, ShotPurpose, import_video,
};
use reelsmith_core::jobs::{BundledModels, EngineConfig, JobEngine, JobState};
use reelsmith_core::library::{Sidecar, sidecar_path};
use reelsmith_core::schema::{FieldValue, MediaRef};
use reelsmith_core::store::Journal;
use reelsmith_sim::Simulator;

#[test]
fn storyboards_survive_reopening_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let a = clip(dir.path(), "a.mp4", spec(64, 48, 48), Some(80));
    let b = clip(dir.path(), "b.mp4", spec(64, 48, 24), None);
    let id;
    {
        let journal = Journal::open_in(&data).unwrap();
        let board = boards::create(&journal, "Trailer").unwrap();
        id = board.id.clone();
        assert!(matches!(
            boards::create(&journal, "trailer"),
            Err(FilmError::NameTaken(_))
        ));
        boards::add_clip(&journal, "Trailer", None, &a).unwrap();
        boards::add_clip(&journal, "Trailer", None, &b).unwrap();
        boards::add_clip(&journal, "Trailer", Some(0), &b).unwrap();
        boards::trim_shot(&journal, "Trailer", 1, FrameRange { start: 12, end: 36 }).unwrap();
        let err = boards::trim_shot(&journal, "Trailer", 1, FrameRange { start: 0, end: 49 });
        assert!(matches!(err, Err(FilmError::BadTrim { frames: 48, .. })));
        boards::move_shot(&journal, "Trailer", 0, 2).unwrap();
        boards::rename(&journal, "trailer", "Teaser").unwrap();
        boards::create(&journal, "Empty").unwrap();
    }
    let journal = Journal::open_in(&data).unwrap();
    let all = journal.storyboards().unwrap();
    assert_eq!(
        all.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(),
        ["Empty", "Teaser"]
    );
    let board = boards::find(&journal, &id).unwrap();
    assert_eq!(board.name, "Teaser");
    let paths: Vec<_> = board
        .shots
        .iter()
        .map(|s| {
            s.clip
                .as_ref()
                .unwrap()
                .path
                .file_name()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(paths, ["a.mp4", "b.mp4", "b.mp4"]);
    assert_eq!(board.shots[0].trim, Some(FrameRange { start: 12, end: 36 }));
    assert_eq!(board.shots[0].clip.as_ref().unwrap().blake3.len(), 64);
    boards::remove_shot(&journal, "Teaser", 2).unwrap();
    boards::delete(&journal, "Empty").unwrap();
    drop(journal);
    let journal = Journal::open_in(&data).unwrap();
    assert_eq!(journal.storyboards().unwrap().len(), 1);
    assert_eq!(boards::find(&journal, "teaser").unwrap().shots.len(), 2);
    assert!(matches!(
        boards::find(&journal, "Empty"),
        Err(FilmError::NoStoryboard(_))
    ));

    // Exported as a film whose sidecar names the storyboard; a changed clip is refused.
    let out = dir.path().join("teaser.mp4");
    let board = boards::find(&journal, "Teaser").unwrap();
    let report = ExportHandle::start(boards::export_request(&board, &out, false).unwrap())
        .wait()
        .unwrap();
    let sidecar = FilmSidecar::read(&report.sidecar).unwrap();
    assert_eq!(sidecar.storyboard.unwrap().name, "Teaser");
    assert!((report.duration_secs - 2.0).abs() < 1e-9);
    std::fs::write(&b, b"changed").unwrap();
    let err = boards::export_request(&board, &dir.path().join("x.mp4"), false).unwrap_err();
    assert!(
        err.to_string().contains("changed since it was added"),
        "{err}"
    );
}

#[test]
fn imported_footage_is_a_clip_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let library = dir.path().join("videos");
    let journal = Journal::open_in(&data).unwrap();
    let mine = clip(dir.path(), "holiday.mp4", spec(64, 48, 24), Some(80));
    let first = import_video(&journal, &mine, &library).unwrap();
    let second = import_video(&journal, &mine, &library).unwrap();
    // Copied (never over each other), hashed, indexed, marked as imported.
    assert_ne!(first.path, second.path);
    assert!(first.path.starts_with(&library));
    assert!(
        first
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains("holiday")
    );
    assert_eq!(
        std::fs::read(&first.path).unwrap(),
        std::fs::read(&mine).unwrap()
    );
    let sidecar = Sidecar::read(&sidecar_path(&first.path)).unwrap();
    assert!(is_imported(&sidecar));
    assert_eq!(sidecar.endpoint_id, "");
    assert_eq!(sidecar.request_id, None);
    let items = journal.library_items().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i.job_id == first.job_id));
    let leftovers: Vec<_> = std::fs::read_dir(&library)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty());

    // A shot, with provenance "imported" in a film's sidecar; no settings to redo.
    boards::create(&journal, "Mine").unwrap();
    let (_, board) = boards::add_clip(&journal, "Mine", None, &first.path).unwrap();
    assert_eq!(
        board.shots[0].clip.as_ref().unwrap().job_id,
        Some(first.job_id.clone())
    );
    let out = dir.path().join("mine.mp4");
    let report = ExportHandle::start(boards::export_request(&board, &out, false).unwrap())
        .wait()
        .unwrap();
    let film = FilmSidecar::read(&report.sidecar).unwrap();
    assert!(film.shots[0].provenance.imported);
    assert_eq!(film.shots[0].provenance.endpoint_id, None);
    let redo = actions::prepare_redo(&journal, "Mine", 0, &BundledModels);
    assert!(matches!(redo, Err(FilmError::NotPossible(ref m)) if m.contains("own footage")));
    // Extend and motion reference take it like a generated clip.
    let extend = actions::prepare_extend(&journal, "Mine", 0, &BundledModels, dir.path()).unwrap();
    assert_eq!(
        extend.form.get("video_url"),
        Some(&FieldValue::Media(MediaRef::Local(first.path.clone())))
    );

    // What is not an H.264 MP4 is refused, naming the file, and nothing is copied.
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "not a video").unwrap();
    let err = import_video(&journal, &text, &library)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("notes.mp4") && err.contains("not a video"),
        "{err}"
    );
    let png = dir.path().join("still.png");
    image::RgbImage::new(8, 8).save(&png).unwrap();
    let err = import_video(&journal, &png, &library)
        .unwrap_err()
        .to_string();
    assert!(err.contains("still.png"), "{err}");
    assert_eq!(journal.library_items().unwrap().len(), 2);
}

async fn wait_for(engine: &reelsmith_core::jobs::EngineHandle, id: &reelsmith_core::jobs::JobId) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = engine.job(id).unwrap();
        if job.state.is_terminal() {
            assert_eq!(job.state, JobState::Done, "{:?}", job.failure);
            return;
        }
        assert!(Instant::now() < deadline, "job stuck in {}", job.state);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn next_shot_extend_and_redo_go_through_the_engine_into_their_slots() {
    let sim = Simulator::start(reelsmith_sim::SimConfig {
        port: 0,
        queue_time: Duration::from_millis(300),
        run_time: Duration::from_millis(300),
        ..common::sim_config(module_path!())
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("videos");
    let work = dir.path().join("work");
    let journal = Arc::new(Journal::open_in(&data).unwrap());
    let client = common::client_for(
        &sim,
        &sim.key(),
        Duration::from_millis(50),
        Duration::from_millis(300),
        ClientOptions {
            poll_interval: Duration::from_millis(100),
            max_poll_interval: Duration::from_millis(300),
            ..ClientOptions::default()
        },
    );
    let config = EngineConfig {
        output_dir: out.clone(),
        resume_on_start: false,
        ..EngineConfig::default()
    };
    let (engine, _rx) =
        JobEngine::start(config, client, Arc::new(BundledModels), journal.clone()).unwrap();
    let first = clip(dir.path(), "first.mp4", spec(320, 176, 48), Some(80));
    boards::create(&journal, "Story").unwrap();
    boards::add_clip(&journal, "Story", None, &first).unwrap();
    boards::trim_shot(&journal, "Story", 0, FrameRange { start: 0, end: 30 }).unwrap();

    // Next shot from the trimmed out-frame (frame 29), as image-to-video's first frame.
    let mut next = actions::prepare_next_shot(
        &journal,
        "Story",
        0,
        NextShotEndpoint::ImageToVideo,
        &BundledModels,
        &work,
    )
    .unwrap();
    let Some(FieldValue::Media(MediaRef::Local(frame))) = next.form.get("image_url").cloned()
    else {
        panic!("no first frame in {:?}", next.form);
    };
    assert!(
        frame.to_string_lossy().ends_with("frame-29.png"),
        "{}",
        frame.display()
    );
    let png = image::open(&frame).unwrap().to_rgb8();
    let expected = reelsmith_sim::clip::clip_frame(&spec(320, 176, 48), None, 29);
    let picture = reelsmith_core::media::Picture::from_rgb(320, 176, png.as_raw());
    assert!(picture.mean_abs_error_rgb(&expected).unwrap() < 8.0);
    let model =
        reelsmith_core::jobs::ModelSource::model(&BundledModels, &next.endpoint_id).unwrap();
    next.form
        .set_from_str(&model, "prompt", "the fox runs on")
        .unwrap();
    let job = actions::submit(&engine, &next, None).await.unwrap();
    let board = boards::find(&journal, "Story").unwrap();
    assert_eq!(board.shots.len(), 2);
    // The slot shows the job's live state until it finishes.
    let live = engine.job(&job);
    match boards::shot_state(&board.shots[1], live.as_ref()) {
        ShotState::Making {
            job_id,
            state,
            purpose,
            ..
        } => {
            assert_eq!(job_id, job.as_str());
            assert!(state.is_some_and(|s| !s.is_terminal()));
            assert_eq!(purpose, ShotPurpose::NextShot);
        }
        other => panic!("slot shows {other:?}"),
    }
    wait_for(&engine, &job).await;
    let done = engine.job(&job).unwrap();
    let changed = boards::job_finished(&journal, &done).unwrap();
    assert_eq!(changed.len(), 1);
    let board = boards::find(&journal, "Story").unwrap();
    let new_clip = board.shots[1].clip.clone().expect("the slot has the clip");
    assert_eq!(
        Some(new_clip.path.clone()),
        done.output_path
            .as_ref()
            .map(|p| std::fs::canonicalize(p).unwrap())
    );
    assert!(board.shots[1].pending.is_none());

    // Extend the trimmed first shot: a trimmed copy goes to extend-video; the result lands
    // after it.
    let mut extend = actions::prepare_extend(&journal, "Story", 0, &BundledModels, &work).unwrap();
    let Some(FieldValue::Media(MediaRef::Local(video))) = extend.form.get("video_url").cloned()
    else {
        panic!("no video in the extend form");
    };
    assert_eq!(
        reelsmith_core::media::probe_video(&video)
            .unwrap()
            .frame_count,
        30
    );
    let model =
        reelsmith_core::jobs::ModelSource::model(&BundledModels, actions::EXTEND_ENDPOINT).unwrap();
    extend
        .form
        .set_from_str(&model, "prompt", "and further")
        .unwrap();
    assert_eq!(
        extend.placement,
        Placement::After(board.shots[0].id.clone())
    );
    let job = actions::submit(&engine, &extend, None).await.unwrap();
    wait_for(&engine, &job).await;
    boards::job_finished(&journal, &engine.job(&job).unwrap()).unwrap();
    let board = boards::find(&journal, "Story").unwrap();
    assert_eq!(board.shots.len(), 3);
    assert!(
        board.shots[1].clip.is_some(),
        "the extension is the second shot"
    );

    // Redo the next shot: its own settings (the same prompt and first frame) again, and its
    // clip replaced in place when done (the old one shown meanwhile).
    let redo = actions::prepare_redo(&journal, "Story", 2, &BundledModels).unwrap();
    assert_eq!(redo.endpoint_id, "fal-ai/veo3.1/image-to-video");
    assert_eq!(redo.form.text("prompt"), Some("the fox runs on"));
    let old = board.shots[2].clip.clone().unwrap();
    let job = actions::submit(&engine, &redo, None).await.unwrap();
    let board = boards::find(&journal, "Story").unwrap();
    assert!(matches!(
        boards::shot_state(&board.shots[2], engine.job(&job).as_ref()),
        ShotState::Clip {
            replacing: Some(_),
            ..
        }
    ));
    wait_for(&engine, &job).await;
    boards::job_finished(&journal, &engine.job(&job).unwrap()).unwrap();
    let board = boards::find(&journal, "Story").unwrap();
    assert_eq!(board.shots.len(), 3);
    assert_ne!(board.shots[2].clip.as_ref().unwrap().path, old.path);

    // The whole storyboard exports, with the generated clips' provenance.
    let film = dir.path().join("story.mp4");
    let report = ExportHandle::start(boards::export_request(&board, &film, false).unwrap())
        .wait()
        .unwrap();
    let sidecar = FilmSidecar::read(&report.sidecar).unwrap();
    assert_eq!(sidecar.shots.len(), 3);
    assert!(sidecar.shots[2].provenance.request_id.is_some());
    assert_eq!(
        sidecar.shots[2].provenance.endpoint_id.as_deref(),
        Some("fal-ai/veo3.1/image-to-video")
    );
    assert!(
        sidecar.sound.is_some(),
        "Veo clips from the simulator have sound"
    );
    sim.shutdown().await;
}
