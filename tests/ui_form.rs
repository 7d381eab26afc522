//! GUI tests of the form: every model family generates from dropped files into the gallery,
//! invalid forms say why and send nothing, Kling's elements and @ references, paste, reorder
//! and help, and the endpoint picker's filter and add-by-id. The real app under egui_kittest
//! against the in-process simulator.

mod ui_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use egui_kittest::kittest::{NodeT, Queryable};
use reelsmith::ui::app::View;
use reelsmith_core::jobs::JobState;
use ui_support::*;

/// Files to drop on each field: `(field path, files)`.
type Drops<'a> = Vec<(&'a str, Vec<&'a Path>)>;

#[test]
fn every_family_generates_from_dropped_files_into_the_gallery() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = env.harness();
    assert!(
        h.query_by_label_contains("SIMULATOR").is_some(),
        "the simulator banner is visible"
    );
    let face = env.png("face.png", 640, 640, 140);
    let street = env.png("street.png", 800, 450, 140);
    let clip = env.mp4("motion.mp4");
    let cases: Vec<(&str, Drops)> = vec![
        (
            "fal-ai/veo3.1/image-to-video",
            vec![("image_url", vec![&street])],
        ),
        (
            "fal-ai/veo3.1/fast/first-last-frame-to-video",
            vec![
                ("first_frame_url", vec![&street]),
                ("last_frame_url", vec![&face]),
            ],
        ),
        (
            "fal-ai/veo3.1/reference-to-video",
            vec![("image_urls", vec![&face, &street])],
        ),
        (
            "fal-ai/kling-video/o1/standard/reference-to-video",
            vec![("image_urls", vec![&face])],
        ),
        (
            "fal-ai/video-as-prompt",
            vec![("video_url", vec![&clip]), ("image_url", vec![&face])],
        ),
    ];
    for (i, (endpoint, drops)) in cases.iter().enumerate() {
        click_endpoint(&mut h, endpoint);
        for (field, files) in drops {
            drop_files(&mut h, field, files);
            let got = h.state().form_state().unwrap().media(field).len();
            assert_eq!(
                got,
                files.len(),
                "{endpoint}: {field} holds the dropped files"
            );
        }
        type_prompt(&mut h, &format!("a lighthouse keeper walks into storm {i}"));
        if *endpoint == "fal-ai/video-as-prompt" {
            // The video input shows its poster frame and duration before anything is sent.
            wait_for_media(&mut h);
            let facts = h
                .state()
                .thumbs
                .facts(&clip)
                .cloned()
                .expect("the clip was probed");
            assert_eq!(facts.dims, Some((320, 180)));
            assert!((facts.duration.unwrap() - 2.0).abs() < 0.1, "{facts:?}");
            h.get_by_label("Video Description").click();
            h.step();
            h.get_by_label("Video Description")
                .type_text("a person waves");
            settle(&mut h);
        }
        generate(&mut h);
        step_until(
            &mut h,
            &format!("{endpoint} is done"),
            Duration::from_secs(60),
            |a| count(a, JobState::Done) == i + 1,
        );
        step_until(
            &mut h,
            "the gallery shows the video",
            Duration::from_secs(10),
            |a| a.engine.library().len() == i + 1,
        );
    }
    let subs = env.sim.submissions();
    assert_eq!(subs.len(), cases.len(), "one submission per Generate");
    for (i, (sub, (endpoint, _))) in subs.iter().zip(&cases).enumerate() {
        assert_eq!(&sub.endpoint_id, endpoint);
        assert_eq!(
            sub.input["prompt"],
            format!("a lighthouse keeper walks into storm {i}")
        );
    }
    // Each finished video is a real file in the output folder, shown in the gallery.
    h.get_by_label_contains("Gallery ").click();
    settle(&mut h);
    assert_eq!(h.state().persisted.view, View::Gallery);
    for item in h.state().engine.library() {
        assert!(item.path.is_file(), "{} exists", item.path.display());
    }
    assert_eq!(
        h.get_all_by_label_contains("Video: a lighthouse keeper")
            .count(),
        cases.len()
    );
    // The search (prompts, endpoints and seeds, through the core's index) narrows the grid.
    h.get_by_label("Search prompts").click();
    h.step();
    h.get_by_label("Search prompts").type_text("storm kling");
    settle(&mut h);
    assert_eq!(
        h.get_all_by_label_contains("Video: a lighthouse keeper")
            .count(),
        1
    );
}

#[test]
fn invalid_forms_cannot_be_submitted_and_say_why() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = env.harness();
    click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
    settle(&mut h);
    let reason = h
        .state()
        .can_generate()
        .expect_err("an empty form is invalid");
    assert!(
        h.query_by_label(&reason).is_some(),
        "the reason is shown beside Generate: {reason}"
    );
    assert!(
        h.query_by_label("Prompt is required: fill it in.")
            .is_none(),
        "a fresh form is not flagged field by field before the user tries"
    );
    assert!(
        h.get_by_label("Generate").accesskit_node().is_disabled(),
        "Generate is disabled"
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    settle(&mut h);
    assert!(
        h.query_by_label("Prompt is required: fill it in.")
            .is_some(),
        "after trying to generate, the message sits under its field"
    );
    // A picture below the endpoint's minimum is refused on its thumbnail before any upload.
    click_endpoint(&mut h, "fal-ai/kling-video/o1/standard/reference-to-video");
    let tiny = env.png("tiny.png", 120, 120, 140);
    drop_files(&mut h, "image_urls", &[&tiny]);
    type_prompt(&mut h, "@Image1 dances");
    wait_for_media(&mut h);
    let reason = h
        .state()
        .can_generate()
        .expect_err("a too small image blocks");
    assert!(reason.contains("smaller than the minimum"), "{reason}");
    assert!(
        h.query_all_by_label_contains("smaller than the minimum")
            .count()
            >= 1
    );
    h.get_by_label("Generate").click();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    settle(&mut h);
    std::thread::sleep(Duration::from_millis(200));
    settle(&mut h);
    assert!(env.sim.submissions().is_empty(), "nothing was submitted");
    assert!(env.sim.stored_files().is_empty(), "nothing was uploaded");
    assert!(h.state().engine.jobs().is_empty());
}

#[test]
fn kling_elements_and_at_references() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = env.harness();
    click_endpoint(&mut h, "fal-ai/kling-video/o1/standard/reference-to-video");
    h.get_by_label("+ Add element").click();
    settle(&mut h);
    assert!(
        h.query_by_role_and_label(egui::accesskit::Role::Label, "@Element1")
            .is_some(),
        "the element is labelled @Element1"
    );
    let front = env.png("front.png", 600, 800, 140);
    let side = env.png("side.png", 600, 800, 140);
    let room = env.png("room.png", 900, 600, 140);
    drop_files(&mut h, "elements[0].frontal_image_url", &[&front]);
    drop_files(&mut h, "elements[0].reference_image_urls", &[&side]);
    drop_files(&mut h, "image_urls", &[&room]);
    let state = h.state().form_state().unwrap().clone();
    let element = &state.objects("elements")[0];
    assert_eq!(element.media("frontal_image_url").len(), 1);
    assert_eq!(element.media("reference_image_urls").len(), 1);
    // Typing "@El" offers @Element1; clicking it completes the word in the prompt.
    type_prompt(&mut h, "@Element1 sits in @Im");
    let suggestion = h.get_by_label("@Image1");
    suggestion.click();
    settle(&mut h);
    let prompt = h
        .state()
        .form_state()
        .unwrap()
        .text("prompt")
        .unwrap()
        .to_string();
    assert_eq!(prompt.trim_end(), "@Element1 sits in @Image1");
    // Tab completes the first suggestion.
    h.get_by_label("Prompt").type_text("and @El");
    h.step();
    h.key_press(egui::Key::Tab);
    settle(&mut h);
    let prompt = h
        .state()
        .form_state()
        .unwrap()
        .text("prompt")
        .unwrap()
        .to_string();
    assert!(prompt.contains("and @Element1"), "{prompt}");
    generate(&mut h);
    step_until(
        &mut h,
        "the Kling job is done",
        Duration::from_secs(60),
        |a| count(a, JobState::Done) == 1,
    );
    let sub = &env.sim.submissions()[0];
    let elements = sub.input["elements"].as_array().unwrap();
    assert_eq!(elements.len(), 1);
    assert!(
        elements[0]["frontal_image_url"]
            .as_str()
            .unwrap()
            .starts_with(&env.sim.base_url())
    );
    assert_eq!(sub.input["image_urls"].as_array().unwrap().len(), 1);
}

#[test]
fn paste_reorder_and_help() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = env.harness();
    click_endpoint(&mut h, "fal-ai/veo3.1/reference-to-video");
    let a = env.png("a.png", 640, 480, 140);
    let b = env.png("b.png", 480, 640, 140);
    drop_files(&mut h, "image_urls", &[&a, &b]);
    // Drag the second tile onto the first: the order swaps.
    let zone = h.state().inbox.zone_rect("image_urls").unwrap();
    let first = zone.min + egui::vec2(10.0 + 52.0, 10.0 + 52.0);
    let second = first + egui::vec2(104.0 + 8.0, 0.0);
    h.drag_at(second);
    h.step();
    for step in 1..=6 {
        h.hover_at(second + (first - second) * (step as f32 / 6.0));
        h.step();
    }
    h.drop_at(first);
    settle(&mut h);
    use reelsmith_core::schema::MediaRef;
    assert_eq!(
        h.state().form_state().unwrap().media("image_urls"),
        vec![&MediaRef::Local(b.clone()), &MediaRef::Local(a.clone())],
        "dragging reorders the references"
    );
    // Ctrl+V of an image (no text field focused) adds it to the active zone as a PNG.
    h.remove_cursor();
    h.event(egui::Event::PasteImage(Arc::new(egui::ColorImage::filled(
        [400, 300],
        egui::Color32::from_rgb(200, 40, 90),
    ))));
    step_until(
        &mut h,
        "the pasted image is added",
        Duration::from_secs(10),
        |a| a.form_state().unwrap().media("image_urls").len() == 3,
    );
    let pasted = match h.state().form_state().unwrap().media("image_urls")[2] {
        MediaRef::Local(p) => p.clone(),
        other => panic!("expected a local file, got {other:?}"),
    };
    let img = image::open(&pasted).unwrap();
    assert_eq!((img.width(), img.height()), (400, 300));
    // Ctrl+V of a URL adds it too.
    h.event(egui::Event::Paste("https://example.com/cat.jpg".into()));
    settle(&mut h);
    assert_eq!(
        h.state().form_state().unwrap().media("image_urls")[3],
        &MediaRef::Url("https://example.com/cat.jpg".into())
    );
    // Removing a tile drops it from the list.
    h.get_by_label("Remove image 4").click();
    settle(&mut h);
    assert_eq!(h.state().form_state().unwrap().media("image_urls").len(), 3);
    // F1 opens the shortcuts overlay.
    h.key_press(egui::Key::F1);
    settle(&mut h);
    assert!(h.query_by_label("Keyboard shortcuts").is_some());
    h.get_by_label("Close").click();
    settle(&mut h);
    assert!(h.query_by_label("Keyboard shortcuts").is_none());
}

#[test]
fn endpoints_can_be_filtered_and_added_by_id() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = env.harness();
    h.get_by_label("Filter endpoints").click();
    h.step();
    h.get_by_label("Filter endpoints").type_text("kling");
    settle(&mut h);
    assert!(
        h.query_by_label_contains("Veo 3.1 Image to video")
            .is_none(),
        "Veo is filtered out"
    );
    assert!(h.query_all_by_label_contains("Kling O1").count() > 0);
    h.get_by_label("By id…").click();
    settle(&mut h);
    h.get_by_label("Endpoint id").click();
    h.step();
    h.get_by_label("Endpoint id")
        .type_text("fal-ai/does-not/exist");
    h.get_by_label("Fetch").click();
    step_until(&mut h, "the fetch fails", Duration::from_secs(10), |a| {
        a.picker.add_error.is_some()
    });
    settle(&mut h);
    assert!(
        h.query_by_label_contains("Could not add fal-ai/does-not/exist")
            .is_some()
    );
}
