//! Selecting with the keyboard, deleting with undo, clearing history around favourites, and
//! saving copies of a selection.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use reelsmith::ui::app::View;
use reelsmith_core::library::Sidecar;

use crate::helpers::*;
use crate::ui_support::*;

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
