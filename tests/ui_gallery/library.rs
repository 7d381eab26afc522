//! The gallery's index when Settings move the library folder, the indexer's progress, and the
//! context menu's copy, reuse, reveal and add-to-storyboard.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use reelsmith::ui::app::{Persisted, View};

use crate::helpers::*;
use crate::ui_support::*;

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
