//! GUI tests of batches in the form: one job per dropped photo and one job per CSV row, each
//! after exactly one question, checked in the simulator's log of submissions and uploads.

mod ui_support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use reelsmith_core::schema::MediaRef;
use ui_support::*;

const ENDPOINT: &str = "fal-ai/veo3.1/image-to-video";

/// The local photo each job of the app was made from, by the request id fal gave it.
fn photo_by_request(app: &reelsmith::ui::StudioApp) -> BTreeMap<String, PathBuf> {
    app.engine
        .jobs()
        .iter()
        .filter_map(|j| {
            let form: reelsmith_core::schema::FormState =
                serde_json::from_value(j.form.clone()).ok()?;
            let photo = match form.media("image_url").first() {
                Some(MediaRef::Local(p)) => p.clone(),
                _ => return None,
            };
            Some((j.request_id.clone()?, photo))
        })
        .collect()
}

#[test]
fn five_dropped_photos_make_five_jobs_after_one_question() {
    let env = Env::new(Duration::from_millis(100), Duration::from_millis(200), 4);
    let _rt = env.rt.enter();
    let mut h = env.harness();
    click_endpoint(&mut h, ENDPOINT);
    let photos: Vec<PathBuf> = (0..5)
        .map(|i| env.png(&format!("photo-{i}.png"), 640, 360, 40 * i as u8))
        .collect();
    let refs: Vec<&std::path::Path> = photos.iter().map(|p| p.as_path()).collect();
    drop_files(&mut h, "image_url", &refs);
    type_prompt(&mut h, "The camera slowly pushes in");
    wait_for_media(&mut h);

    // The drop offers the batch; the field itself holds one photo.
    assert_eq!(h.state().form_state().unwrap().media("image_url").len(), 1);
    click(&mut h, "One job per photo (5)");
    assert!(
        h.query_by_label_contains("5 jobs · est. $").is_some(),
        "the bar shows the count and the total before sending"
    );
    click(&mut h, "Send 5 jobs");
    assert!(
        h.query_by_label_contains("Send 5 jobs, est. $").is_some(),
        "one question for the whole batch"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        env.sim.submissions().is_empty(),
        "nothing is sent before the answer"
    );
    click(&mut h, "Yes, send 5 jobs");
    assert!(
        h.query_by_label_contains("Send 5 jobs, est. $").is_none(),
        "asked once"
    );
    step_until(&mut h, "five jobs are sent", Duration::from_secs(30), |a| {
        photo_by_request(a).len() == 5
    });
    let subs = env.sim.submissions();
    assert_eq!(subs.len(), 5, "exactly five submissions");
    let stored = env.sim.stored_files();
    let by_request = photo_by_request(h.state());
    let mut sent_photos = Vec::new();
    for sub in &subs {
        assert_eq!(sub.endpoint_id, ENDPOINT);
        assert_eq!(sub.input["prompt"], "The camera slowly pushes in");
        let url = sub.input["image_url"].as_str().expect("an image url");
        let file = stored
            .iter()
            .find(|f| f.file_url == url)
            .expect("the image was uploaded to fal's storage");
        let photo = &by_request[&sub.request_id];
        assert_eq!(
            std::fs::read(&file.path).unwrap(),
            std::fs::read(photo).unwrap(),
            "{} carries its own photo",
            sub.request_id
        );
        sent_photos.push(photo.clone());
    }
    sent_photos.sort();
    assert_eq!(sent_photos, photos, "each photo once");
}

#[test]
fn a_csv_of_three_rows_makes_three_jobs_with_the_rows_values() {
    let env = Env::new(Duration::from_millis(100), Duration::from_millis(200), 4);
    let _rt = env.rt.enter();
    let street = env.png("street.png", 640, 360, 10);
    env.png("face.png", 640, 360, 200);
    let csv = env.file("shots.csv");
    std::fs::write(
        &csv,
        "prompt,image_url,seed\n\
         A tram at dawn,street.png,11\n\
         \"A face, smiling\",face.png,22\n\
         Rain on the street,street.png,33\n",
    )
    .unwrap();
    let mut config = env.config();
    let picked = csv.clone();
    config.pick_csv = Arc::new(move |_| Some(picked.clone()));
    let mut h = env.harness_with(config);
    click_endpoint(&mut h, ENDPOINT);
    // The base form: a photo and a prompt that the rows replace.
    drop_files(&mut h, "image_url", &[&street]);
    type_prompt(&mut h, "base prompt");
    wait_for_media(&mut h);

    h.get_by_label_contains("Batch: many jobs at once").click();
    settle(&mut h);
    click(&mut h, "CSV");
    click(&mut h, "Import CSV…");
    step_until(&mut h, "the CSV is read", Duration::from_secs(10), |a| {
        a.form_ui.batch.csv.is_some()
    });
    settle(&mut h);
    assert!(h.query_by_label_contains("3 jobs · est. $").is_some());
    click(&mut h, "Send 3 jobs");
    click(&mut h, "Yes, send 3 jobs");
    step_until(
        &mut h,
        "three jobs are sent",
        Duration::from_secs(30),
        |a| {
            a.engine
                .jobs()
                .iter()
                .filter(|j| j.request_id.is_some())
                .count()
                == 3
        },
    );
    let mut rows: Vec<(String, i64)> = env
        .sim
        .submissions()
        .iter()
        .map(|s| {
            (
                s.input["prompt"].as_str().unwrap().to_string(),
                s.input["seed"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort_by_key(|r| r.1);
    assert_eq!(
        rows,
        vec![
            ("A tram at dawn".to_string(), 11),
            ("A face, smiling".to_string(), 22),
            ("Rain on the street".to_string(), 33),
        ]
    );
}

/// The prompt in the form now.
fn prompt_of(app: &reelsmith::ui::StudioApp) -> String {
    match app.form_state().and_then(|f| f.values.get("prompt")) {
        Some(reelsmith_core::schema::FieldValue::Text(t)) => t.clone(),
        _ => String::new(),
    }
}

#[test]
fn presets_are_saved_applied_renamed_and_deleted_as_files() {
    let env = Env::new(Duration::from_millis(100), Duration::from_millis(200), 4);
    let _rt = env.rt.enter();
    let store = reelsmith_core::schema::presets::PresetStore::new(env.config_dir().join("presets"));
    let mut h = env.harness();
    click_endpoint(&mut h, ENDPOINT);
    type_prompt(&mut h, "A foggy harbour");

    click(&mut h, "Presets");
    click(&mut h, "Save as preset…");
    h.get_by_label("Preset name").click();
    h.step();
    h.get_by_label("Preset name").type_text("Harbour");
    settle(&mut h);
    click(&mut h, "Save preset");
    step_until(&mut h, "the preset is saved", Duration::from_secs(5), |a| {
        a.form_ui
            .presets
            .list
            .as_ref()
            .is_some_and(|l| l.len() == 1)
    });
    let saved = store.list(ENDPOINT);
    assert_eq!(saved.len(), 1, "one file in the presets folder");
    assert_eq!(saved[0].name, "Harbour");

    type_prompt(&mut h, " at noon");
    assert_eq!(prompt_of(h.state()), "A foggy harbour at noon");
    click(&mut h, "Presets");
    click(&mut h, "Apply \"Harbour\"");
    assert_eq!(
        prompt_of(h.state()),
        "A foggy harbour",
        "the preset's values are back"
    );

    click(&mut h, "Presets");
    click(&mut h, "Rename…");
    h.get_by_label("Preset name").click();
    h.step();
    h.get_by_label("Preset name").type_text(" at dusk");
    settle(&mut h);
    click(&mut h, "Save preset");
    step_until(
        &mut h,
        "the preset is renamed",
        Duration::from_secs(5),
        |_| {
            store
                .list(ENDPOINT)
                .iter()
                .any(|p| p.name == "Harbour at dusk")
        },
    );
    settle(&mut h);
    assert_eq!(store.list(ENDPOINT).len(), 1);

    click(&mut h, "Presets");
    click(&mut h, "Delete");
    step_until(
        &mut h,
        "the preset is deleted",
        Duration::from_secs(5),
        |a| {
            a.form_ui
                .presets
                .list
                .as_ref()
                .is_some_and(|l| l.is_empty())
        },
    );
    assert!(store.list(ENDPOINT).is_empty(), "its file is gone");
}

#[test]
fn a_batch_over_the_budget_is_refused_once_and_generate_anyway_sends_it_all() {
    let env = Env::new(Duration::from_millis(100), Duration::from_millis(200), 4);
    let _rt = env.rt.enter();
    let mut settings = reelsmith_core::settings::Settings::load(&env.config_dir()).settings;
    settings.budgets.daily_usd = Some(5.0);
    settings.save(&env.config_dir()).unwrap();
    let mut h = env.harness();
    step_until(&mut h, "the spend is read", Duration::from_secs(10), |a| {
        !a.money.busy()
    });
    click_endpoint(&mut h, ENDPOINT);
    let photos: Vec<PathBuf> = (0..3)
        .map(|i| env.png(&format!("p{i}.png"), 640, 360, 60 * i as u8))
        .collect();
    let refs: Vec<&std::path::Path> = photos.iter().map(|p| p.as_path()).collect();
    drop_files(&mut h, "image_url", &refs);
    type_prompt(&mut h, "Over budget");
    wait_for_media(&mut h);
    click(&mut h, "One job per photo (3)");
    click(&mut h, "Send 3 jobs");
    assert!(
        h.state().money.refused.is_some(),
        "the budget refuses the batch as a whole"
    );
    assert!(
        h.query_by_label_contains("Send 3 jobs, est. $").is_none(),
        "the refusal is the one question"
    );
    h.get_by_label_contains("Generate anyway").click();
    settle(&mut h);
    step_until(
        &mut h,
        "three jobs are sent",
        Duration::from_secs(30),
        |_| env.sim.submissions().len() == 3,
    );
    std::thread::sleep(Duration::from_millis(300));
    settle(&mut h);
    assert_eq!(env.sim.submissions().len(), 3, "the batch, once");
    assert!(h.state().money.refused.is_none());
}

#[test]
fn photos_from_a_folder_make_one_job_each() {
    let env = Env::new(Duration::from_millis(100), Duration::from_millis(200), 4);
    let _rt = env.rt.enter();
    let dir = env.root.path().join("shoot");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..4 {
        let src = env.png(&format!("s{i}.png"), 640, 360, 30 * i as u8);
        std::fs::copy(&src, dir.join(format!("s{i}.png"))).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not a photo").unwrap();
    let mut config = env.config();
    let folder = dir.clone();
    config.pick_folder = Arc::new(move |_| Some(folder.clone()));
    let mut h = env.harness_with(config);
    click_endpoint(&mut h, ENDPOINT);
    let first = env.png("first.png", 640, 360, 5);
    drop_files(&mut h, "image_url", &[&first]);
    type_prompt(&mut h, "From a folder");
    wait_for_media(&mut h);
    h.get_by_label_contains("Batch: many jobs at once").click();
    settle(&mut h);
    click(&mut h, "One job per photo");
    click(&mut h, "Photos from a folder…");
    step_until(&mut h, "the folder is read", Duration::from_secs(10), |a| {
        a.form_ui
            .batch
            .photos
            .as_ref()
            .is_some_and(|p| p.paths.len() == 4)
    });
    settle(&mut h);
    click(&mut h, "Send 4 jobs");
    click(&mut h, "Yes, send 4 jobs");
    step_until(&mut h, "four jobs are sent", Duration::from_secs(30), |a| {
        photo_by_request(a).len() == 4
    });
    let mut sent: Vec<PathBuf> = photo_by_request(h.state()).into_values().collect();
    sent.sort();
    let want: Vec<PathBuf> = (0..4).map(|i| dir.join(format!("s{i}.png"))).collect();
    assert_eq!(sent, want, "the folder's photos, the text file left out");
    assert_eq!(env.sim.submissions().len(), 4);
}
