//! GUI tests of the gallery at scale: the real window under egui_kittest against the simulator,
//! with real videos and sidecars in the library folder (found by the core's indexer), a real
//! journal, keyboard selection, marks, and deletion through the core's trash with undo.

mod ui_support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::StudioApp;
use reelsmith::ui::app::{Persisted, View};
use reelsmith_core::library::Sidecar;
use ui_support::*;

// The gallery's own library: numbered clips with sidecars, on the shared Env.
impl Env {
    /// `n` real clips with sidecars in the library folder; video `i` is `i` minutes older
    /// than video 0, so the gallery (newest first) shows them in order.
    fn videos(&self, n: usize) {
        self.videos_in(&self.library(), 0..n);
    }

    /// Videos numbered `numbers` in `dir`.
    fn videos_in(&self, dir: &std::path::Path, numbers: std::ops::Range<usize>) {
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
    fn on_disk(&self) -> BTreeSet<usize> {
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

fn name(i: usize) -> String {
    format!("shot-{i:02}.mp4")
}

fn job(i: usize) -> String {
    format!("{i:032x}")
}

fn prompt(i: usize) -> String {
    format!("Shot {i:02} over the bay")
}

/// Opens the window on the gallery and waits until the indexer has found `n` videos.
fn gallery_with(env: &Env, n: usize) -> Harness<'static, StudioApp> {
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
fn selected(h: &Harness<'_, StudioApp>) -> BTreeSet<usize> {
    h.state()
        .gallery
        .selection
        .set
        .iter()
        .map(|id| usize::from_str_radix(id, 16).unwrap())
        .collect()
}

fn focus(h: &Harness<'_, StudioApp>) -> Option<usize> {
    h.state()
        .gallery
        .selection
        .focus
        .as_ref()
        .map(|id| usize::from_str_radix(id, 16).unwrap())
}

fn set(items: &[usize]) -> BTreeSet<usize> {
    items.iter().copied().collect()
}

fn cell(i: usize) -> String {
    format!("Video: {}", prompt(i))
}

fn press(h: &mut Harness<'_, StudioApp>, mods: Modifiers, key: Key) {
    h.key_press_modifiers(mods, key);
    settle(h);
}

#[test]
fn arrows_and_shift_select_exactly_the_expected_videos() {
    let env = Env::with_default_sim();
    let _rt = env.rt.enter();
    env.videos(12);
    let mut h = gallery_with(&env, 12);
    let visible = h.state_mut().gallery.visible().to_vec();
    assert_eq!(
        visible,
        (0..12).map(job).collect::<Vec<_>>(),
        "newest first"
    );

    h.get_by_label(&cell(0)).click();
    settle(&mut h);
    assert_eq!(selected(&h), set(&[0]));
    let cols = h.state().gallery.columns();
    assert!((2..=8).contains(&cols), "{cols} columns");

    press(&mut h, Modifiers::NONE, Key::ArrowRight);
    assert_eq!((selected(&h), focus(&h)), (set(&[1]), Some(1)));
    press(&mut h, Modifiers::SHIFT, Key::ArrowRight);
    press(&mut h, Modifiers::SHIFT, Key::ArrowRight);
    assert_eq!((selected(&h), focus(&h)), (set(&[1, 2, 3]), Some(3)));
    // Down moves a whole row; Shift+Up from there selects back to the anchor.
    press(&mut h, Modifiers::NONE, Key::ArrowDown);
    assert_eq!(
        (selected(&h), focus(&h)),
        (set(&[3 + cols]), Some(3 + cols))
    );
    press(&mut h, Modifiers::SHIFT, Key::ArrowUp);
    let range = |a: usize, b: usize| (a..=b).collect::<BTreeSet<usize>>();
    assert_eq!((selected(&h), focus(&h)), (range(3, 3 + cols), Some(3)));
    press(&mut h, Modifiers::SHIFT, Key::ArrowLeft);
    assert_eq!((selected(&h), focus(&h)), (range(2, 3 + cols), Some(2)));
    // Space takes the focused one out and puts it back.
    press(&mut h, Modifiers::NONE, Key::Space);
    assert_eq!(selected(&h), range(3, 3 + cols));
    press(&mut h, Modifiers::NONE, Key::Space);
    assert_eq!(selected(&h), range(2, 3 + cols));

    // Shift-click selects from the anchor (Space left it on 2); Ctrl-click adds one more.
    h.get_by_label(&cell(6)).click_modifiers(Modifiers::SHIFT);
    settle(&mut h);
    assert_eq!(selected(&h), set(&[2, 3, 4, 5, 6]));
    h.get_by_label(&cell(9)).click_modifiers(Modifiers::COMMAND);
    settle(&mut h);
    assert_eq!(selected(&h), set(&[2, 3, 4, 5, 6, 9]));
    assert!(h.query_by_label("6 selected").is_some(), "bulk details");

    press(&mut h, Modifiers::COMMAND, Key::A);
    assert_eq!(selected(&h), (0..12).collect());
    press(&mut h, Modifiers::NONE, Key::Escape);
    assert!(selected(&h).is_empty() && focus(&h).is_none());

    // Enter plays the focused video in the preview.
    press(&mut h, Modifiers::NONE, Key::ArrowRight);
    assert_eq!(focus(&h), Some(0));
    press(&mut h, Modifiers::NONE, Key::Enter);
    let playing = h
        .state()
        .gallery
        .player
        .as_ref()
        .and_then(|p| p.path().map(|p| p.to_path_buf()));
    assert_eq!(playing, Some(env.library().join(name(0))));
    press(&mut h, Modifiers::NONE, Key::Escape);

    // Keys typed into the search field are text, not gallery keys.
    h.get_by_label("Search prompts").click();
    settle(&mut h);
    h.get_by_label("Search prompts").type_text("Shot 10");
    settle(&mut h);
    press(&mut h, Modifiers::NONE, Key::ArrowRight);
    assert!(selected(&h).is_empty());
    assert_eq!(
        h.state_mut().gallery.visible().to_vec(),
        [job(10)].to_vec(),
        "the search goes through the index"
    );
}

#[test]
fn deleting_a_selection_moves_the_files_out_and_undo_brings_them_back() {
    let env = Env::with_default_sim();
    let _rt = env.rt.enter();
    env.videos(4);
    let mut h = gallery_with(&env, 4);
    h.get_by_label(&cell(1)).click();
    settle(&mut h);
    h.get_by_label(&cell(2)).click_modifiers(Modifiers::SHIFT);
    settle(&mut h);
    assert_eq!(selected(&h), set(&[1, 2]));

    press(&mut h, Modifiers::NONE, Key::Delete);
    step_until(
        &mut h,
        "the two are in the trash",
        Duration::from_secs(10),
        |a| !a.gallery.trash_busy() && a.gallery.index.index.len() == 2,
    );
    settle(&mut h);
    assert_eq!(
        env.on_disk(),
        set(&[0, 3]),
        "the files left the library folder"
    );
    for i in [1, 2] {
        let sidecar = env.library().join(name(i)).with_extension("json");
        assert!(!sidecar.exists(), "the sidecar went with its video");
    }
    assert!(
        h.query_by_label_contains("Delete this video").is_none(),
        "no question asked"
    );
    assert!(h.query_by_label(&cell(1)).is_none());
    assert!(
        h.query_by_label_contains("2 videos moved to the trash")
            .is_some(),
        "the undo banner"
    );

    h.get_by_label("Undo").click();
    step_until(&mut h, "the two are back", Duration::from_secs(10), |a| {
        !a.gallery.trash_busy() && a.gallery.index.index.len() == 4
    });
    settle(&mut h);
    assert_eq!(env.on_disk(), set(&[0, 1, 2, 3]));
    assert!(h.query_by_label(&cell(2)).is_some());
    assert!(!h.state().gallery.can_undo());

    // The context menu's delete acts on the selection too; Ctrl+Z undoes it.
    h.get_by_label(&cell(3)).click_secondary();
    settle(&mut h);
    assert_eq!(selected(&h), set(&[3]));
    h.get_by_label("Move to the trash (Delete)").click();
    step_until(
        &mut h,
        "the third is in the trash",
        Duration::from_secs(10),
        |a| !a.gallery.trash_busy() && a.gallery.index.index.len() == 3,
    );
    assert_eq!(env.on_disk(), set(&[0, 1, 2]));
    press(&mut h, Modifiers::COMMAND, Key::Z);
    step_until(&mut h, "it is back", Duration::from_secs(10), |a| {
        !a.gallery.trash_busy() && a.gallery.index.index.len() == 4
    });
    assert_eq!(env.on_disk(), set(&[0, 1, 2, 3]));
    // Let the indexer see the moves before the window closes (no stray rescans asserted).
    settle(&mut h);
}

#[test]
fn clear_history_keeps_the_two_favourites_which_survive_a_restart() {
    let env = Env::with_default_sim();
    let _rt = env.rt.enter();
    env.videos(5);
    {
        let mut h = gallery_with(&env, 5);
        h.get_by_label(&cell(1)).click();
        settle(&mut h);
        press(&mut h, Modifiers::NONE, Key::F);
        h.get_by_label(&cell(3)).click();
        settle(&mut h);
        press(&mut h, Modifiers::NONE, Key::F);
        // X marks a reject; the filter hides it.
        h.get_by_label(&cell(4)).click();
        settle(&mut h);
        press(&mut h, Modifiers::NONE, Key::X);
        assert!(
            h.query_by_label(&format!("{} (favourite)", cell(1)))
                .is_some()
        );
        assert!(
            h.query_by_label(&format!("{} (rejected)", cell(4)))
                .is_some()
        );

        h.get_by_label("☰ Library").click();
        settle(&mut h);
        h.get_by_label("Clear history, keep favourites…").click();
        settle(&mut h);
        assert!(
            h.query_by_label_contains("3 videos that are not favourites")
                .is_some()
        );
        h.get_by_label("Clear history").click();
        step_until(
            &mut h,
            "the history is cleared",
            Duration::from_secs(10),
            |a| !a.gallery.trash_busy() && a.gallery.index.index.len() == 2,
        );
        settle(&mut h);
        assert_eq!(env.on_disk(), set(&[1, 3]));
        assert_eq!(
            h.state_mut().gallery.visible().to_vec(),
            [1, 3].map(job).to_vec()
        );
        assert_eq!(h.get_all_by_label_contains("Video: ").count(), 2);
        for i in [0, 2, 4] {
            assert!(h.query_by_label_contains(&prompt(i)).is_none());
        }
        assert!(
            h.query_by_label_contains("3 videos moved to the trash")
                .is_some()
        );
        step_until(
            &mut h,
            "the marks are saved",
            Duration::from_secs(10),
            |a| !reelsmith::ui::gallery::busy(&a.gallery),
        );
    }
    // A new window reads the marks back from the journal.
    let mut h = gallery_with(&env, 2);
    for i in [1, 3] {
        assert!(
            h.query_by_label(&format!("{} (favourite)", cell(i)))
                .is_some(),
            "video {i} is still a favourite"
        );
    }
    h.state_mut().gallery.marks_filter = reelsmith::ui::gallery::MarkFilter::Favourites;
    settle(&mut h);
    assert_eq!(
        h.state_mut().gallery.visible().to_vec(),
        [1, 3].map(job).to_vec()
    );
}

#[test]
fn save_copies_of_a_selection_numbers_a_taken_name_and_replaces_nothing() {
    let env = Env::with_default_sim();
    let _rt = env.rt.enter();
    env.videos(3);
    let out = env.root.path().join("exports");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(name(1)), b"someone else's").unwrap();
    let mut config = env.config();
    let chosen = out.clone();
    config.pick_folder = Arc::new(move |_start: &std::path::Path| Some(chosen.clone()));
    let mut h = env.harness_with(config);
    h.state_mut().persisted.view = View::Gallery;
    step_until(
        &mut h,
        "the library is read",
        Duration::from_secs(20),
        |a| a.gallery.index.index.len() == 3 && !a.gallery.index.scanning(),
    );
    settle(&mut h);
    h.get_by_label(&cell(0)).click();
    settle(&mut h);
    h.get_by_label(&cell(1)).click_modifiers(Modifiers::COMMAND);
    settle(&mut h);
    h.get_by_label("Save copies…").click();
    step_until(
        &mut h,
        "the copies are made",
        Duration::from_secs(20),
        |a| !a.gallery.export_busy(),
    );
    settle(&mut h);
    assert_eq!(std::fs::read(out.join(name(1))).unwrap(), b"someone else's");
    for (copy, i) in [("shot-00.mp4", 0), ("shot-01 (2).mp4", 1)] {
        let copied = out.join(copy);
        assert_eq!(
            std::fs::read(&copied).unwrap(),
            std::fs::read(env.library().join(name(i))).unwrap()
        );
        let sidecar = Sidecar::read(&copied.with_extension("json")).unwrap();
        assert_eq!(sidecar.file, copy);
        assert_eq!(sidecar.job_id, job(i));
    }
    assert!(!out.join(name(2)).exists(), "only the selection is copied");
    assert!(
        h.query_by_label_contains("Saved 2 copies").is_some()
            && h.query_by_label_contains("1 renamed").is_some(),
        "the outcome names the renamed copy"
    );
}

#[test]
fn the_index_follows_the_library_folder_when_settings_move_it() {
    let env = Env::with_default_sim();
    let _rt = env.rt.enter();
    env.videos(3);
    let elsewhere = env.root.path().join("elsewhere");
    env.videos_in(&elsewhere, 10..12);
    let mut h = gallery_with(&env, 3);
    let mut settings = h.state().engine.settings().clone();
    settings.output_dir = Some(elsewhere.clone());
    h.state_mut()
        .act(reelsmith::ui::app::Action::ApplySettings {
            settings,
            restart: true,
        });
    step_until(
        &mut h,
        "the other folder's videos replace the first's",
        Duration::from_secs(20),
        |a| {
            let ids: BTreeSet<&str> = a
                .gallery
                .index
                .index
                .entries()
                .map(|e| e.item.job_id.as_str())
                .collect();
            ids == [job(10), job(11)].iter().map(String::as_str).collect()
        },
    );
    settle(&mut h);
    assert_eq!(h.state().gallery.index.folder(), Some(elsewhere.as_path()));
    assert_eq!(h.get_all_by_label_contains("Video: ").count(), 2);
}

#[test]
fn the_header_shows_the_indexers_progress_while_it_reads_a_large_folder() {
    let env = Env::with_default_sim();
    let _rt = env.rt.enter();
    env.videos(400);
    let config = env.config();
    let persisted = Persisted {
        view: View::Gallery,
        ..Persisted::default()
    };
    let mut h = window_restored(config, persisted);
    // The indexer starts with the first frame after the journal opened, and says so at once.
    let start = Instant::now();
    loop {
        h.step();
        if h.query_by_label_contains("indexing ").is_some() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no progress label seen"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        h.query_by_label_contains(" of 400").is_some()
            || h.query_by_label_contains(" of 0").is_some(),
        "the label counts the folder's sidecars"
    );
    step_until(&mut h, "the scan ends", Duration::from_secs(60), |a| {
        a.gallery.index.index.len() == 400 && !a.gallery.index.scanning()
    });
    settle(&mut h);
    assert!(h.query_by_label_contains("indexing ").is_none());
    assert!(h.query_by_label("400 videos").is_some());
}

/// The clipboard texts the app put out while stepping until one came (at most `timeout`).
fn copied(h: &mut Harness<'_, StudioApp>, timeout: Duration) -> Vec<String> {
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
fn menu_item(h: &mut Harness<'_, StudioApp>, i: usize, item: &str) {
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

#[test]
fn the_context_menu_copies_reuses_reveals_and_adds_to_a_storyboard() {
    let env = Env::with_default_sim();
    let _rt = env.rt.enter();
    env.videos(4);
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut config = env.config();
    let record = Arc::clone(&asked);
    config.system_open = Arc::new(move |request| {
        record.lock().unwrap().push(request.clone());
        Ok(())
    });
    let mut h = env.harness_with(config);
    // A storyboard to add to (Ctrl+3), then the gallery (Ctrl+2).
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
    settle(&mut h);
    h.get_by_label("New storyboard").click();
    h.step();
    h.get_by_label("New storyboard").type_text("Harbour");
    settle(&mut h);
    h.get_by_label("New").click();
    step_until(
        &mut h,
        "the storyboard exists",
        Duration::from_secs(10),
        |a| a.storyboard.board().is_some(),
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    step_until(
        &mut h,
        "the indexer has read the library folder",
        Duration::from_secs(20),
        |a| a.gallery.index.index.len() == 4 && !a.gallery.index.scanning(),
    );
    settle(&mut h);

    // Two selected: the menu acts on both, in the grid's order.
    h.get_by_label(&cell(1)).click();
    settle(&mut h);
    h.get_by_label(&cell(2)).click_modifiers(Modifiers::COMMAND);
    settle(&mut h);
    // The header says "2 selected"; the menu's title says it too.
    let before = h.query_all_by_label("2 selected").count();
    h.get_by_label(&cell(2)).click_secondary();
    settle(&mut h);
    assert_eq!(
        h.query_all_by_label("2 selected").count(),
        before + 1,
        "the menu says it acts on both"
    );
    h.get_by_label("Copy prompt").click();
    assert_eq!(
        copied(&mut h, Duration::from_secs(2)),
        [format!("{}\n\n{}", prompt(1), prompt(2))]
    );
    settle(&mut h);
    menu_item(&mut h, 2, "Copy seed");
    assert_eq!(copied(&mut h, Duration::from_secs(2)), ["1, 2"]);
    settle(&mut h);
    // The settings come from the sidecars, read on a worker: one JSON array for two videos.
    menu_item(&mut h, 2, "Copy settings as JSON");
    let json = copied(&mut h, Duration::from_secs(10));
    let value: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
    assert_eq!(
        value,
        serde_json::json!([
            {"prompt": prompt(1), "duration": "8s"},
            {"prompt": prompt(2), "duration": "8s"}
        ])
    );
    settle(&mut h);
    menu_item(&mut h, 2, "Add to storyboard");
    step_until(&mut h, "both shots are in", Duration::from_secs(10), |a| {
        a.storyboard.board().is_some_and(|b| b.shots.len() == 2)
    });
    let shots: Vec<Option<PathBuf>> = h
        .state()
        .storyboard
        .board()
        .unwrap()
        .shots
        .iter()
        .map(|s| s.clip.as_ref().map(|c| c.path.clone()))
        .collect();
    assert_eq!(
        shots,
        [
            Some(env.library().join(name(1))),
            Some(env.library().join(name(2)))
        ]
    );
    settle(&mut h);
    // Reveal shows the first selected video, through the system's handler.
    menu_item(&mut h, 2, "Reveal in file manager");
    step_until(
        &mut h,
        "the file manager is asked",
        Duration::from_secs(5),
        |_| !asked.lock().unwrap().is_empty(),
    );
    assert_eq!(
        *asked.lock().unwrap(),
        [reelsmith::ui::system_open::OpenRequest::Reveal(
            env.library().join(name(1))
        )]
    );

    // One video: reuse its settings fills the form of its endpoint with its prompt.
    h.get_by_label(&cell(3)).click();
    settle(&mut h);
    // Its sidecar is read for the details panel (the settings of a video no job knows).
    step_until(&mut h, "the sidecar is read", Duration::from_secs(5), |a| {
        a.gallery.focused_sidecar_ready()
    });
    menu_item(&mut h, 3, "Reuse settings");
    settle(&mut h);
    assert_eq!(h.state().persisted.view, View::Create);
    let model = h.state().model.as_ref().map(|m| m.endpoint_id.clone());
    assert_eq!(model.as_deref(), Some("fal-ai/veo3.1/image-to-video"));
    let form = h
        .state()
        .persisted
        .forms
        .get("fal-ai/veo3.1/image-to-video")
        .cloned()
        .unwrap();
    assert_eq!(
        form.values.get("prompt"),
        Some(&reelsmith_core::schema::FieldValue::Text(prompt(3)))
    );
}
