//! GUI tests of the Storyboard view: egui_kittest drives the real window against the
//! in-process simulator, with a real journal, real clips (with AAC sound) imported into the
//! library, real drags, a real extend job and a real export. The player's sound is ui_player's.

mod ui_support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::app::View;
use reelsmith::ui::storyboard::{ExportDialog, ExportTarget};
use reelsmith::ui::{StudioApp, StudioConfig};
use reelsmith_core::film::{ExportProgress, FrameRange, boards};
use ui_support::*;

#[test]
fn a_storyboard_is_built_from_the_library_reordered_trimmed_extended_and_exported() {
    let env = board_env();
    let _rt = env.rt.enter();
    let config = env.config();
    let a = env.clip("alpha.mp4", 320, 176, 48);
    let b = env.clip("beta.mp4", 320, 176, 48);
    let c = env.clip("gamma.mp4", 256, 144, 36);
    let lib = env.import_clips(&config, &[a, b, c]);
    let mut h = board_window(config.clone());
    step_until(&mut h, "the engine runs", Duration::from_secs(10), |a| {
        a.engine.is_ready() && a.engine.library().len() == 3
    });

    // Ctrl+3 opens the view.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num3);
    settle(&mut h);
    assert_eq!(h.state().persisted.view, View::Storyboard);
    make_board(&mut h, "Opening");

    // Add from the bin with its button, then drag another clip onto the end of the strip.
    h.get_all_by_label("Add").next().unwrap().click();
    step_until(&mut h, "one shot", Duration::from_secs(10), |a| {
        shot_paths(a).len() == 1
    });
    settle(&mut h);
    let from = h.get_by_label("Clip: beta").rect().center();
    let to = center_of(&h, "Drop clips here");
    drag(&mut h, from, to);
    step_until(&mut h, "two shots", Duration::from_secs(10), |a| {
        shot_paths(a).len() == 2
    });
    assert_eq!(shot_paths(h.state())[1].as_deref(), Some(lib[1].as_path()));

    // From the gallery: a grid cell dragged onto the storyboard bar.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num2);
    settle(&mut h);
    let cells: Vec<egui::Rect> = h
        .get_all_by_label_contains("Video:")
        .map(|n| n.rect())
        .collect();
    assert_eq!(cells.len(), 3);
    // Start the drag so the drop bar appears, then drop on it.
    let start = cells[0].center();
    h.hover_at(start);
    h.step();
    h.drag_at(start);
    h.step();
    for i in 1..=6 {
        h.hover_at(start + egui::vec2(0.0, 30.0 * i as f32));
        h.step();
    }
    let bar = center_of(&h, "Storyboard drop bar");
    h.hover_at(bar);
    h.step();
    h.event(egui::Event::PointerButton {
        pos: bar,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.step();
    h.remove_cursor();
    step_until(&mut h, "three shots", Duration::from_secs(10), |a| {
        shot_paths(a).len() == 3
    });
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num3);
    board_idle(&mut h);

    // Reorder: shot 3 dragged onto shot 1 takes its place.
    let before = shot_paths(h.state());
    let from = center_of(&h, "Shot 3");
    let to = center_of(&h, "Shot 1");
    drag(&mut h, from, to);
    step_until(
        &mut h,
        "the shots are reordered",
        Duration::from_secs(10),
        |a| shot_paths(a).first() == before.get(2),
    );
    let after = shot_paths(h.state());
    assert_eq!(
        after,
        vec![before[2].clone(), before[0].clone(), before[1].clone()]
    );
    let journal = env.journal(&config);
    let stored = boards::find(&journal, "Opening").unwrap();
    assert_eq!(
        stored
            .shots
            .iter()
            .map(|s| s.clip.as_ref().map(|c| c.path.clone()))
            .collect::<Vec<_>>(),
        after,
        "the order is in the journal"
    );

    // Trim shot 2: the out handle dragged to the middle of the strip.
    h.get_by_label("Shot 2").click();
    step_until(&mut h, "the trim editor", Duration::from_secs(20), |a| {
        a.storyboard.player.view().is_some() && !a.storyboard.busy()
    });
    settle(&mut h);
    let handle_in = h.get_by_label("Trim in").rect();
    let handle_out = h.get_by_label("Trim out").rect();
    let width = handle_out.center().x - handle_in.center().x;
    let target = egui::pos2(handle_in.center().x + width * 0.5, handle_out.center().y);
    drag(&mut h, handle_out.center(), target);
    step_until(&mut h, "the trim is stored", Duration::from_secs(10), |a| {
        board(a).is_some_and(|b| b.shots[1].trim.is_some())
    });
    let trim = board(h.state()).unwrap().shots[1].trim.unwrap();
    let frames = reelsmith_core::media::video::probe_video(after[1].as_ref().unwrap())
        .unwrap()
        .frame_count;
    assert_eq!(
        trim,
        FrameRange {
            start: 0,
            end: frames / 2
        },
        "whole frames: half of the clip"
    );
    // Frame-accurate scrubbing: the player shows the last frame kept.
    let pos = h.state().storyboard.player.view().unwrap().state.position;
    let last_kept = f64::from(frames / 2 - 1) / 24.0;
    assert!(
        (pos - last_kept).abs() < 0.5 / 24.0,
        "scrubbed to {pos}, not {last_kept}"
    );

    // Extend shot 2: a yes first, then the slot after it shows the job until its clip lands.
    h.get_by_label("Extend").click();
    step_until(
        &mut h,
        "the extension is prepared",
        Duration::from_secs(20),
        |a| a.storyboard.prepared.is_some(),
    );
    settle(&mut h);
    h.get_by_label("Prompt").click();
    h.step();
    h.get_by_label("Prompt").type_text("The boats sail out");
    settle(&mut h);
    h.get_by_label("Generate").click();
    step_until(
        &mut h,
        "a slot waits for the job",
        Duration::from_secs(20),
        |a| board(a).is_some_and(|b| b.shots.len() == 4 && b.shots[2].pending.is_some()),
    );
    assert!(board(h.state()).unwrap().shots[2].clip.is_none());
    // Until its clip lands, the slot says what the job is doing.
    let mut saw_state = false;
    let start = Instant::now();
    loop {
        h.step();
        saw_state |= h.query_by_label_contains("Shot 3: extension:").is_some();
        let landed = board(h.state())
            .is_some_and(|b| b.shots[2].clip.is_some() && b.shots[2].pending.is_none());
        if landed {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the extension never landed"
        );
        std::thread::sleep(Duration::from_millis(15));
    }
    assert!(saw_state, "the slot showed the job's state");
    let extended = board(h.state()).unwrap().shots[2].clip.clone().unwrap();
    let job = h
        .state()
        .engine
        .job(extended.job_id.as_deref().unwrap())
        .cloned()
        .unwrap();
    assert_eq!(job.endpoint_id, "fal-ai/veo3.1/extend-video");
    assert_eq!(job.prompt, "The boats sail out");

    // Export the whole storyboard: progress, then the film; a second export asks first.
    board_idle(&mut h);
    let out = env.root.path().join("film.mp4");
    h.get_by_label("Export film…").click();
    settle(&mut h);
    h.state_mut().storyboard.export.as_mut().unwrap().output = out.to_string_lossy().into();
    h.get_by_label("Export").click();
    let mut saw_progress = false;
    let start = Instant::now();
    loop {
        h.step();
        let d = h.state().storyboard.export.as_ref().unwrap();
        saw_progress |= d.progress().is_some_and(|p| p.frames_total > 0);
        if d.outcome().is_some() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the export never ended"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(saw_progress, "the dialog showed the export's progress");
    let report = h
        .state()
        .storyboard
        .export
        .as_ref()
        .unwrap()
        .outcome()
        .unwrap()
        .clone()
        .unwrap();
    let frames: u32 = {
        let b = board(h.state()).unwrap();
        b.shots
            .iter()
            .map(|s| {
                let info =
                    reelsmith_core::media::video::probe_video(&s.clip.as_ref().unwrap().path)
                        .unwrap();
                s.trim.map_or(info.frame_count, |t| t.len())
            })
            .sum()
    };
    let info = reelsmith_core::media::video::probe_video(&out).unwrap();
    assert!(
        (info.duration_secs - f64::from(frames) / 24.0).abs() <= 1.0 / 24.0 + 1e-6,
        "film {} s, shots {frames} frames",
        info.duration_secs
    );
    assert_eq!(report.output, out);
    settle(&mut h);
    h.get_by_label("Close").click();
    settle(&mut h);
    let before = std::fs::metadata(&out).unwrap().modified().unwrap();
    h.get_by_label("Export film…").click();
    settle(&mut h);
    h.state_mut().storyboard.export.as_mut().unwrap().output = out.to_string_lossy().into();
    h.get_by_label("Export").click();
    step_until(
        &mut h,
        "the dialog asks before replacing",
        Duration::from_secs(20),
        |_| true,
    );
    let start = Instant::now();
    while h.query_by_label("Replace").is_none() {
        h.step();
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no question about the existing film"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        std::fs::metadata(&out).unwrap().modified().unwrap(),
        before,
        "nothing replaced before the yes"
    );
    h.get_by_label("Replace").click();
    step_until(
        &mut h,
        "the film is replaced",
        Duration::from_secs(60),
        |a| {
            a.storyboard
                .export
                .as_ref()
                .and_then(|d| d.outcome())
                .is_some()
        },
    );
    let outcome = h
        .state()
        .storyboard
        .export
        .as_ref()
        .unwrap()
        .outcome()
        .cloned();
    assert!(matches!(outcome, Some(Ok(_))), "{outcome:?}");
    assert_ne!(std::fs::metadata(&out).unwrap().modified().unwrap(), before);
}

#[test]
fn adds_clicked_in_quick_succession_all_land_in_the_order_clicked() {
    let env = board_env();
    let _rt = env.rt.enter();
    let config = env.config();
    let a = env.clip("alpha.mp4", 320, 176, 24);
    let b = env.clip("beta.mp4", 320, 176, 24);
    let c = env.clip("gamma.mp4", 320, 176, 24);
    env.import_clips(&config, &[a, b, c]);
    let mut h = board_window(config.clone());
    h.state_mut().persisted.view = View::Storyboard;
    step_until(&mut h, "the library", Duration::from_secs(10), |a| {
        a.engine.is_ready() && a.engine.library().len() == 3
    });
    make_board(&mut h, "Quick");
    let bin: Vec<PathBuf> = h
        .state()
        .engine
        .library()
        .iter()
        .map(|i| i.path.clone())
        .collect();

    // One click a frame, each before the edit of the one before has answered: each edit's
    // answer carries the board as that edit left it, so they must apply in order.
    for i in 0..3 {
        let mut adds: Vec<_> = h.get_all_by_label("Add").collect();
        adds.sort_by(|p, q| p.rect().top().total_cmp(&q.rect().top()));
        adds[i].click();
        h.step();
    }
    board_idle(&mut h);
    let shown = shot_paths(h.state());
    let wanted: Vec<Option<PathBuf>> = bin.into_iter().map(Some).collect();
    assert_eq!(shown, wanted, "every clip, in the order clicked");
    let stored = boards::find(&env.journal(&config), "Quick").unwrap();
    let stored: Vec<Option<PathBuf>> = stored
        .shots
        .iter()
        .map(|s| s.clip.as_ref().map(|c| c.path.clone()))
        .collect();
    assert_eq!(stored, shown, "the journal holds what the view shows");
}

#[test]
fn video_files_dropped_on_the_storyboard_are_imported_and_become_shots() {
    let env = board_env();
    let _rt = env.rt.enter();
    let config = env.config();
    let mine = env.clip("my-footage.mp4", 320, 176, 24);
    let mut h = board_window(config.clone());
    h.state_mut().persisted.view = View::Storyboard;
    settle(&mut h);
    make_board(&mut h, "Mine");
    h.input_mut()
        .dropped_files
        .push(Arc::new(TestFile(mine.clone())));
    step_until(
        &mut h,
        "the footage is a shot",
        Duration::from_secs(20),
        |a| shot_paths(a).len() == 1 && a.engine.library().len() == 1,
    );
    let shot = shot_paths(h.state())[0].clone().unwrap();
    assert!(
        shot.starts_with(&config.default_output_dir),
        "copied into the library"
    );
    assert_eq!(std::fs::read(&shot).unwrap(), std::fs::read(&mine).unwrap());
    let sidecar =
        reelsmith_core::library::Sidecar::read(&reelsmith_core::library::sidecar_path(&shot))
            .unwrap();
    assert!(reelsmith_core::film::import::is_imported(&sidecar));
}

#[cfg(unix)]
mod snapshots {
    use super::*;

    fn snap(config: StudioConfig, theme: egui::Theme) -> Harness<'static, StudioApp> {
        snapshot_window(config, theme, egui::vec2(1280.0, 860.0))
    }

    /// A storyboard of three shots, the second trimmed, made through the core.
    fn setup(env: &Env, config: &StudioConfig) {
        let a = env.clip("alpha.mp4", 320, 176, 48);
        let b = env.clip("beta.mp4", 320, 176, 48);
        let c = env.clip("gamma.mp4", 256, 144, 36);
        let lib = env.import_clips(config, &[a, b, c]);
        let journal = env.journal(config);
        boards::create(&journal, "Harbour").unwrap();
        for p in &lib {
            boards::add_clip(&journal, "Harbour", None, p).unwrap();
        }
        boards::trim_shot(&journal, "Harbour", 1, FrameRange { start: 6, end: 30 }).unwrap();
    }

    fn ready(h: &mut Harness<'_, StudioApp>) {
        h.state_mut().persisted.view = View::Storyboard;
        step_until(h, "the storyboard", Duration::from_secs(20), |a| {
            board(a).is_some() && !a.storyboard.busy() && a.storyboard.strips.len() == 3
        });
        h.get_by_label("Shot 2").click();
        step_until(
            h,
            "the player and filmstrip",
            Duration::from_secs(20),
            |a| {
                a.storyboard.player.texture().is_some()
                    && !a.storyboard.busy()
                    && a.storyboard.strips.values().all(|s| s.len() == 8)
                    && !a.thumbs.busy()
            },
        );
        h.remove_cursor();
        settle(h);
    }

    #[test]
    fn storyboard_view_with_shots_a_trim_and_the_player() {
        let env = board_env();
        let _rt = env.rt.enter();
        let config = env.config();
        setup(&env, &config);
        let mut results = egui_kittest::SnapshotResults::new();
        for (theme, name) in THEMES {
            let mut h = snap(config.clone(), theme);
            ready(&mut h);
            results.add(h.try_snapshot(format!("storyboard_{name}")));
        }
    }

    #[test]
    fn export_dialog_with_progress() {
        let env = board_env();
        let _rt = env.rt.enter();
        let config = env.config();
        setup(&env, &config);
        let mut results = egui_kittest::SnapshotResults::new();
        for (theme, name) in THEMES {
            let mut h = snap(config.clone(), theme);
            ready(&mut h);
            h.state_mut().storyboard.export = Some(ExportDialog::frozen(
                ExportTarget::Storyboard,
                PathBuf::from("/home/you/Videos/reelsmith/Harbour.mp4"),
                ExportProgress {
                    frames_done: 61,
                    frames_total: 132,
                    fraction: 0.46,
                    elapsed: Duration::from_secs(2),
                    remaining: Some(Duration::from_secs(3)),
                    finished: false,
                },
            ));
            settle(&mut h);
            results.add(h.try_snapshot(format!("storyboard_export_{name}")));
        }
    }

    #[test]
    fn a_shot_dragged_over_another() {
        let env = board_env();
        let _rt = env.rt.enter();
        let config = env.config();
        setup(&env, &config);
        let mut h = snap(config, egui::Theme::Dark);
        ready(&mut h);
        let from = center_of(&h, "Shot 3");
        let to = center_of(&h, "Shot 1");
        h.hover_at(from);
        h.step();
        h.drag_at(from);
        h.step();
        for i in 1..=8 {
            h.hover_at(from + (to - from) * (i as f32 / 8.0));
            h.step();
        }
        settle(&mut h);
        assert!(
            h.query_by_label_contains("Shot 3").is_some(),
            "the dragged shot is still in place until it is dropped"
        );
        let mut results = egui_kittest::SnapshotResults::new();
        results.add(h.try_snapshot("storyboard_drag_dark"));
    }
}
