//! GUI tests of the studio window: egui_kittest drives the real app (no display needed)
//! against the in-process simulator, with real files, a real journal and real downloads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::{Harness, HarnessBuilder};
use reelsmith::ui::app::{Persisted, Screen, View};
use reelsmith::ui::{Service, StudioApp, StudioConfig};
use reelsmith_core::jobs::JobState;
use reelsmith_core::library::{LibraryItem, Sidecar};
use reelsmith_sim::{SimConfig, Simulator};

/// A runtime, a simulator and temporary folders for one test.
struct Env {
    rt: tokio::runtime::Runtime,
    sim: Arc<Simulator>,
    root: tempfile::TempDir,
}

impl Env {
    fn new(queue: Duration, run: Duration) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = rt
            .block_on(Simulator::start(SimConfig {
                queue_time: queue,
                run_time: run,
                initial_queue_position: 2,
                ..SimConfig::default()
            }))
            .unwrap();
        Env {
            rt,
            sim: Arc::new(sim),
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn fast() -> Env {
        Env::new(Duration::from_millis(150), Duration::from_millis(250))
    }

    fn config(&self) -> StudioConfig {
        StudioConfig::in_dir(self.root.path(), Service::simulator(Arc::clone(&self.sim)))
    }

    /// A config for fal's own hosts with no key (the welcome screen shows). Nothing in the
    /// tests that use it reaches the network: a saved key is only ever sent to these hosts.
    fn config_without_key(&self) -> StudioConfig {
        let service = Service::live(reelsmith_core::fal::FalUrls {
            queue: reelsmith_core::fal::config::DEFAULT_QUEUE_URL.into(),
            rest: reelsmith_core::fal::config::DEFAULT_REST_URL.into(),
            openapi: reelsmith_core::fal::config::DEFAULT_OPENAPI_URL.into(),
            api: reelsmith_core::fal::config::DEFAULT_API_URL.into(),
        });
        StudioConfig::in_dir(self.root.path(), service)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.root.path().join("inputs").join(name)
    }

    /// A real PNG of `w`×`h`.
    fn png(&self, name: &str, w: u32, h: u32) -> PathBuf {
        let p = self.file(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 140])
        });
        img.save(&p).unwrap();
        p
    }

    /// A real H.264 MP4 made by the simulator's clip maker.
    fn mp4(&self, name: &str) -> PathBuf {
        let p = self.file(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let spec = reelsmith_sim::clip::ClipSpec {
            width: 320,
            height: 180,
            fps: 16,
            frames: 32,
        };
        std::fs::write(&p, reelsmith_sim::clip::render_clip(&spec, None).unwrap()).unwrap();
        p
    }
}

fn builder() -> HarnessBuilder<StudioApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 1300.0))
        .with_max_steps(20)
}

fn harness(config: StudioConfig) -> Harness<'static, StudioApp> {
    builder()
        .build_eframe(move |cc| StudioApp::with_state(&cc.egui_ctx, config, Persisted::default()))
}

/// Steps (sleeping a little between frames, since the work runs on other threads) until `done`.
fn step_until(
    h: &mut Harness<'_, StudioApp>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&StudioApp) -> bool,
) {
    let start = Instant::now();
    loop {
        h.step();
        if done(h.state()) {
            return;
        }
        if start.elapsed() > timeout {
            let jobs: Vec<String> = h
                .state()
                .engine
                .jobs()
                .iter()
                .map(|j| {
                    format!(
                        "{} {:?} {:?} logs={:?}",
                        j.endpoint_id,
                        j.state,
                        j.failure,
                        j.logs.last()
                    )
                })
                .collect();
            panic!(
                "timed out waiting until {what}; jobs: {jobs:#?}; can_generate: {:?}",
                h.state().can_generate()
            );
        }
        std::thread::sleep(Duration::from_millis(15));
    }
}

fn settle(h: &mut Harness<'_, StudioApp>) {
    for _ in 0..4 {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[derive(Debug)]
struct TestFile(PathBuf);

impl egui::DroppedFile for TestFile {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Hovers `files` over the drop zone of `field`, checks the overlay, then drops them there.
fn drop_files(h: &mut Harness<'_, StudioApp>, field: &str, files: &[&Path]) {
    settle(h);
    let rect = h.state().inbox.zone_rect(field).unwrap_or_else(|| {
        panic!(
            "no drop zone {field}; zones: {:?}",
            h.state().inbox.zone_paths()
        )
    });
    h.hover_at(rect.center());
    for f in files {
        h.input_mut().hovered_files.push(egui::HoveredFile {
            path: Some(f.to_path_buf()),
            mime: String::new(),
        });
    }
    h.step();
    assert_eq!(
        h.state().inbox.hover_target.as_deref(),
        Some(field),
        "the overlay targets the zone under the pointer"
    );
    h.input_mut().hovered_files.clear();
    for f in files {
        h.input_mut()
            .dropped_files
            .push(Arc::new(TestFile(f.to_path_buf())));
    }
    h.step();
    settle(h);
}

fn click_endpoint(h: &mut Harness<'_, StudioApp>, endpoint_id: &str) {
    let entry = h
        .state()
        .entries
        .iter()
        .find(|e| e.endpoint_id == endpoint_id)
        .cloned()
        .unwrap_or_else(|| panic!("{endpoint_id} is not in the picker"));
    let label = format!("{} {}", entry.family, entry.name);
    h.get_by_label(&label).scroll_to_me();
    settle(h);
    h.get_by_label(&label).click();
    settle(h);
    assert_eq!(h.state().endpoint_id(), Some(endpoint_id));
}

fn type_prompt(h: &mut Harness<'_, StudioApp>, text: &str) {
    h.get_by_label("Prompt").click();
    h.step();
    h.get_by_label("Prompt").type_text(text);
    settle(h);
}

fn wait_for_media(h: &mut Harness<'_, StudioApp>) {
    step_until(
        h,
        "thumbnails and facts are ready",
        Duration::from_secs(20),
        |a| !a.thumbs.busy(),
    );
    settle(h);
}

fn generate(h: &mut Harness<'_, StudioApp>) {
    wait_for_media(h);
    if let Err(reason) = h.state().can_generate() {
        panic!("the form cannot be submitted: {reason}");
    }
    h.get_by_label("Generate").click();
    settle(h);
}

fn done_count(app: &StudioApp) -> usize {
    app.engine
        .jobs()
        .iter()
        .filter(|j| j.state == JobState::Done)
        .count()
}

/// Files to drop on each field: `(field path, files)`.
type Drops<'a> = Vec<(&'a str, Vec<&'a Path>)>;

#[test]
fn every_family_generates_from_dropped_files_into_the_gallery() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = harness(env.config());
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    assert!(
        h.query_by_label_contains("SIMULATOR").is_some(),
        "the simulator banner is visible"
    );
    let face = env.png("face.png", 640, 640);
    let street = env.png("street.png", 800, 450);
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
            |a| done_count(a) == i + 1,
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
    let mut h = harness(env.config());
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
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
    let tiny = env.png("tiny.png", 120, 120);
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
    let mut h = harness(env.config());
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    click_endpoint(&mut h, "fal-ai/kling-video/o1/standard/reference-to-video");
    h.get_by_label("+ Add element").click();
    settle(&mut h);
    assert!(
        h.query_by_role_and_label(egui::accesskit::Role::Label, "@Element1")
            .is_some(),
        "the element is labelled @Element1"
    );
    let front = env.png("front.png", 600, 800);
    let side = env.png("side.png", 600, 800);
    let room = env.png("room.png", 900, 600);
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
        |a| done_count(a) == 1,
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
fn the_key_entry_never_shows_the_key_in_full() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let config = env.config_without_key();
    let key_file = config.config_dir.join("credentials.json");
    let mut h = harness(config);
    step_until(&mut h, "the welcome screen", Duration::from_secs(5), |a| {
        a.screen == Screen::Welcome
    });
    assert!(h.query_by_label("Try the simulator").is_some());
    h.get_by_label("Enter your fal key").click();
    settle(&mut h);
    let key = env.sim.key();
    h.get_by_label("fal key").click();
    h.step();
    h.get_by_label("fal key").type_text(&key);
    settle(&mut h);
    assert_no_text_contains(&h, &key);
    h.get_by_label("Save key").click();
    step_until(&mut h, "the key is saved", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    assert_no_text_contains(&h, &key);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    assert_eq!(
        saved["api_key"],
        key.as_str(),
        "stored in the private file fallback"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    h.get_by_label("Settings").click();
    settle(&mut h);
    assert!(
        h.query_by_label_contains("readable only by you").is_some(),
        "the fallback choice is shown"
    );
    assert_no_text_contains(&h, &key);
    // ("Check key" would call fal itself here; tests/ui_keys.rs checks a key at a simulator.)
    // Neither the window state nor any log of the run holds the key.
    let persisted = serde_json::to_string(&h.state().persisted).unwrap();
    assert!(!persisted.contains(&key));
}

/// No node of the accessibility tree (every text and value on screen) contains `secret`.
fn assert_no_text_contains(h: &Harness<'_, StudioApp>, secret: &str) {
    let tail = &secret[secret.len() - 8..];
    for node in h.root().query_all_by(|_| true) {
        let n = node.accesskit_node();
        for text in [n.label(), n.value()].into_iter().flatten() {
            assert!(!text.contains(tail), "the key shows in {:?}", n.role());
        }
    }
}

#[test]
fn a_second_window_shows_the_history_and_resumes_an_unfinished_job() {
    let env = Env::new(Duration::from_millis(200), Duration::from_secs(3));
    let _rt = env.rt.enter();
    let street = env.png("street.png", 800, 450);
    {
        let mut h = harness(env.config());
        step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
            a.studio_ready()
        });
        click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
        drop_files(&mut h, "image_url", &[&street]);
        type_prompt(&mut h, "a tram crosses the bridge at dawn");
        generate(&mut h);
        step_until(
            &mut h,
            "the job runs at fal",
            Duration::from_secs(20),
            |a| {
                a.engine
                    .jobs()
                    .first()
                    .is_some_and(|j| j.state == JobState::Running)
            },
        );
        assert!(
            h.query_by_label("Running").is_some(),
            "the queue shows Running"
        );
        // The window closes while the job is still running at fal.
        h.state_mut().engine.shutdown();
    }
    let mut h = harness(env.config());
    step_until(
        &mut h,
        "the studio opens again",
        Duration::from_secs(5),
        |a| a.studio_ready(),
    );
    assert_eq!(
        h.state().engine.jobs().len(),
        1,
        "the history shows the job"
    );
    assert!(
        h.query_by_label_contains("a tram crosses the bridge")
            .is_some()
    );
    step_until(
        &mut h,
        "the resumed job finishes",
        Duration::from_secs(30),
        |a| done_count(a) == 1,
    );
    step_until(
        &mut h,
        "the video is in the gallery",
        Duration::from_secs(10),
        |a| a.engine.library().len() == 1,
    );
    assert_eq!(
        env.sim.submissions().len(),
        1,
        "the resumed job was not submitted again"
    );
}

/// A library of one real clip with its sidecar in `root/videos`, shown by a detached engine.
fn one_video_library(env: &Env, h: &mut Harness<'_, StudioApp>) -> LibraryItem {
    let dir = env.root.path().join("videos");
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
    let mut h = harness(config);
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
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
    let mut h = harness(config);
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
    let street = env.png("street.png", 800, 450);
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

#[test]
fn the_window_requests_no_repaint_once_settled() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = harness(env.config());
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
    let street = env.png("street.png", 800, 450);
    drop_files(&mut h, "image_url", &[&street]);
    type_prompt(&mut h, "waves");
    generate(&mut h);
    step_until(&mut h, "the job is done", Duration::from_secs(60), |a| {
        done_count(a) == 1
    });
    // Toasts fade out and background work ends; after that the app asks for nothing.
    let idle = |h: &Harness<'_, StudioApp>| {
        h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay == Duration::MAX
    };
    let start = Instant::now();
    loop {
        h.step();
        if idle(&h) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the app keeps repainting while idle"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for _ in 0..5 {
        h.step();
        assert!(idle(&h), "a settled frame requests another repaint");
    }
}

#[test]
fn endpoints_can_be_filtered_and_added_by_id() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = harness(env.config());
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
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

// ---------------------------------------------------------------------------------------------
// Snapshots of the main screens, light and dark (wgpu on lavapipe; see the README for the env).

mod snapshots {
    use super::*;
    use chrono::TimeZone;
    use reelsmith::ui::engine_link::EngineLink;
    use reelsmith_core::jobs::{FailKind, FileUpload, Job, JobLog, Transfer};

    const THEMES: [(egui::Theme, &str); 2] =
        [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")];

    fn snap_harness(config: StudioConfig, theme: egui::Theme) -> Harness<'static, StudioApp> {
        snap_harness_sized(config, theme, egui::vec2(1280.0, 800.0))
    }

    fn snap_harness_sized(
        config: StudioConfig,
        theme: egui::Theme,
        size: egui::Vec2,
    ) -> Harness<'static, StudioApp> {
        reelsmith::ui::show_times_in_utc(true);
        Harness::builder()
            .with_size(size)
            .with_theme(theme)
            .with_max_steps(20)
            .wgpu()
            .build_eframe(move |cc| {
                StudioApp::with_state(&cc.egui_ctx, config, Persisted::default())
            })
    }

    fn at(h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc
            .with_ymd_and_hms(2026, 1, 28, h, m, 0)
            .single()
            .unwrap()
    }

    /// Stamps fal's live prices with a fixed fetch time once they are in, so the form's price
    /// line shows a real date that stays the same from run to run (the fetch itself ran at the
    /// wall clock).
    fn pin_price_times(h: &mut Harness<'_, StudioApp>) {
        step_until(h, "fal's live prices", Duration::from_secs(10), |a| {
            !a.money.busy() && !prices_of(a).prices.is_empty()
        });
        for price in prices_of(h.state()).prices.values_mut() {
            price.fetched_at = at(10, 5);
        }
        h.state_mut().invalidate();
        settle(h);
        assert!(
            h.query_by_label_contains("fal's live price, fetched 2026-01-28 10:05 UTC")
                .is_some(),
            "the price line shows the pinned fetch time"
        );
    }

    fn prices_of(app: &StudioApp) -> std::sync::MutexGuard<'_, reelsmith_core::money::PriceBook> {
        app.money
            .handle
            .prices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    #[test]
    fn welcome() {
        let env = Env::fast();
        let _rt = env.rt.enter();
        let mut results = egui_kittest::SnapshotResults::new();
        for (theme, name) in THEMES {
            let mut h = snap_harness(env.config_without_key(), theme);
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
        let front = env.png("front.png", 600, 800);
        let side = env.png("side.png", 800, 600);
        let room = env.png("room.png", 900, 600);
        let tiny = env.png("tiny.png", 200, 200);
        let mut results = egui_kittest::SnapshotResults::new();
        for (theme, name) in THEMES {
            let mut h = snap_harness(env.config(), theme);
            step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
                a.studio_ready()
            });
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

    /// The queue's "now" in the queue snapshot: elapsed times are drawn to it, so the picture
    /// shows real numbers and stays the same from run to run.
    /// Five photos dropped on one field with "one job per photo": the count and the total
    /// estimate on the bar, and the one question asked before anything is sent.
    #[test]
    fn batch_of_photos() {
        let env = Env::fast();
        let _rt = env.rt.enter();
        let photos: Vec<PathBuf> = (0..5)
            .map(|i| env.png(&format!("photo-{i}.png"), 640, 360))
            .collect();
        let refs: Vec<&Path> = photos.iter().map(|p| p.as_path()).collect();
        let mut results = egui_kittest::SnapshotResults::new();
        for (theme, name) in THEMES {
            let mut h = snap_harness(env.config(), theme);
            step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
                a.studio_ready()
            });
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

    fn queue_now() -> chrono::DateTime<chrono::Utc> {
        at(10, 12)
    }

    fn demo_jobs(env: &Env) -> Vec<Job> {
        let photo = env.png("portrait.png", 600, 800);
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
            let mut h = snap_harness_sized(env.config(), theme, egui::vec2(1280.0, 1000.0));
            step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
                a.studio_ready()
            });
            click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
            let street = env.png("street.png", 1280, 720);
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
        let dir = env.root.path().join("videos");
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
            let mut h = snap_harness(env.config(), theme);
            step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
                a.studio_ready()
            });
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
            let mut h = snap_harness(config, theme);
            step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
                a.studio_ready()
            });
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
}

/// eframe storage kept in memory, as the window's `app.ron` would be.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn the_last_endpoint_and_its_form_persist_but_never_the_key() {
    use eframe::App;
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut storage = MemoryStorage::default();
    {
        let mut h = harness(env.config());
        step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
            a.studio_ready()
        });
        click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
        type_prompt(&mut h, "a kite over the dunes");
        h.get_by_label("Duration: 4s").click();
        settle(&mut h);
        h.state_mut().save(&mut storage);
        h.state_mut().engine.shutdown();
    }
    let text = storage.0.values().cloned().collect::<Vec<_>>().join("\n");
    assert!(!text.contains(&env.sim.key()), "the key is never persisted");
    let restored: Persisted =
        eframe::get_value(&storage, eframe::APP_KEY).expect("state was saved");
    let config = env.config();
    let mut h =
        builder().build_eframe(move |cc| StudioApp::with_state(&cc.egui_ctx, config, restored));
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    assert_eq!(
        h.state().endpoint_id(),
        Some("fal-ai/veo3.1/image-to-video")
    );
    let form = h.state().form_state().unwrap();
    assert_eq!(form.text("prompt"), Some("a kite over the dunes"));
    assert_eq!(form.text("duration"), Some("4s"));
}

#[test]
fn paste_reorder_and_help() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = harness(env.config());
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    click_endpoint(&mut h, "fal-ai/veo3.1/reference-to-video");
    let a = env.png("a.png", 640, 480);
    let b = env.png("b.png", 480, 640);
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
fn an_unknown_submission_shows_its_card_and_is_sent_again_only_after_confirmation() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    // The answer to the submit is lost and fal's history does not list the job (yet).
    env.sim.set_history_delay(Duration::from_secs(3600));
    env.sim
        .lose_next_submit_answers(reelsmith_sim::LostAnswer::CloseConnection, 1);
    let mut h = harness(env.config());
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    click_endpoint(&mut h, "fal-ai/veo3.1");
    type_prompt(&mut h, "a paper boat in the rain");
    generate(&mut h);
    step_until(
        &mut h,
        "the submission is unknown and was looked up",
        Duration::from_secs(20),
        |a| {
            a.engine.jobs().first().is_some_and(|j| {
                j.state == JobState::SubmissionUnknown
                    && j.unknown.as_ref().is_some_and(|u| u.lookups > 0)
            })
        },
    );
    settle(&mut h);
    assert!(h.query_by_label("Unknown").is_some(), "the state chip");
    assert!(
        h.query_by_label("Unknown — check before paying again")
            .is_some()
    );
    assert!(h.query_by_label_contains("the answer was lost").is_some());
    assert!(h.query_by_label("What was sent").is_some());
    assert!(h.query_by_label("Look again").is_some());
    let resubmit = h
        .get_by_label_contains("Submit again (costs ≈ $")
        .accesskit_node()
        .label()
        .unwrap_or_default();
    assert!(resubmit.ends_with(')'), "{resubmit}");
    assert_eq!(env.sim.submissions().len(), 1);

    // The button asks first; keeping it sends nothing.
    h.get_by_label_contains("Submit again (costs").click();
    settle(&mut h);
    assert!(h.query_by_label("Submit this job again?").is_some());
    h.get_by_label("Keep waiting").click();
    settle(&mut h);
    assert!(h.query_by_label("Submit this job again?").is_none());
    assert_eq!(
        env.sim.submissions().len(),
        1,
        "nothing sent without confirmation"
    );

    h.get_by_label_contains("Submit again (costs").click();
    settle(&mut h);
    h.get_by_label("Submit again").click();
    step_until(
        &mut h,
        "the job submitted again finishes",
        Duration::from_secs(30),
        |a| done_count(a) == 1,
    );
    assert_eq!(env.sim.submissions().len(), 2, "exactly one more submit");
}

#[test]
fn closing_the_window_waits_for_a_submit_on_its_way_and_records_its_answer() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    env.sim.lose_next_submit_answers(
        reelsmith_sim::LostAnswer::Delay(Duration::from_millis(1500)),
        1,
    );
    let mut h = harness(env.config());
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    click_endpoint(&mut h, "fal-ai/veo3.1");
    type_prompt(&mut h, "closed mid-submit");
    generate(&mut h);
    step_until(
        &mut h,
        "the submit is on its way",
        Duration::from_secs(10),
        |a| {
            a.engine
                .jobs()
                .first()
                .is_some_and(|j| j.state == JobState::Submitting)
        },
    );
    // The user closes the window.
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.step();
    let commands = |h: &Harness<'_, StudioApp>| {
        h.output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .map(|v| v.commands.clone())
            .unwrap_or_default()
    };
    assert!(
        commands(&h).contains(&egui::ViewportCommand::CancelClose),
        "the close waits"
    );
    settle(&mut h);
    assert!(
        h.query_by_label("Finishing 1 submit so it is not lost…")
            .is_some()
    );
    let start = Instant::now();
    loop {
        h.step();
        if commands(&h).contains(&egui::ViewportCommand::Close) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the window never closed"
        );
        std::thread::sleep(Duration::from_millis(15));
    }
    let journal = reelsmith_core::store::Journal::open_in(&env.root.path().join("data")).unwrap();
    let job = journal.jobs().unwrap().remove(0);
    assert_eq!(
        job.state,
        JobState::Submitted,
        "the answer was recorded: {:?}",
        job.logs
    );
    assert_eq!(
        job.request_id.as_deref(),
        Some(env.sim.submissions()[0].request_id.as_str())
    );
}
