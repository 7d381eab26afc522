//! The window under crafted files (issue 11, point 4): dropped on the form, or held by a
//! persisted form draft at start, each shows an error on its tile, Generate stays disabled,
//! and the window stays responsive and then idle. And the one media check (issue 12, item 3):
//! the form's tiles, the engine's preflight and the command line say the same about the same
//! files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::{Harness, HarnessBuilder};
use reelsmith::ui::app::Persisted;
use reelsmith::ui::{Service, StudioApp, StudioConfig};
use reelsmith_core::fuzzing::crafted;
use reelsmith_core::jobs::preflight;
use reelsmith_core::schema::{FieldValue, FormState, MediaRef, Severity};
use reelsmith_sim::{SimConfig, Simulator};

const I2V: &str = "fal-ai/veo3.1/image-to-video";
const KLING: &str = "fal-ai/kling-video/o1/standard/reference-to-video";
const EXTEND: &str = "fal-ai/veo3.1/extend-video";

struct Env {
    rt: tokio::runtime::Runtime,
    sim: Arc<Simulator>,
    root: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = rt.block_on(Simulator::start(SimConfig::default())).unwrap();
        Env {
            rt,
            sim: Arc::new(sim),
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self) -> StudioConfig {
        StudioConfig::in_dir(self.root.path(), Service::simulator(Arc::clone(&self.sim)))
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let dir = self.root.path().join("inputs");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn png(&self, name: &str, w: u32, h: u32) -> PathBuf {
        let mut bytes = Vec::new();
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 99]))
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        self.write(name, &bytes)
    }

    /// The crafted pictures: the reported JPEG and its neighbours, a PNG declaring 100
    /// megapixels over a few bytes, and a JPEG whose EXIF directories loop.
    fn crafted_pictures(&self) -> Vec<PathBuf> {
        let fixture = |name: &str| {
            let p = std::path::PathBuf::from(
                std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
            )
            .join("crates/jpeg-dc/tests/crafted")
            .join(name);
            std::fs::read(p).unwrap()
        };
        let mut good = Vec::new();
        image::RgbImage::new(320, 240)
            .write_to(
                &mut std::io::Cursor::new(&mut good),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        vec![
            self.write("second_sof.jpg", &fixture("second_sof_after_scan.jpg")),
            self.write("truncated_data.jpg", &fixture("truncated_data.jpg")),
            self.write("huge_frame.jpg", &fixture("huge_frame_tiny_file.jpg")),
            self.write("huge_declared.png", &crafted::png_huge_declared()),
            self.write(
                "exif_loop.jpg",
                &crafted::jpeg_with_exif(&good, &crafted::exif_loop()),
            ),
        ]
    }

    /// The crafted clips: the 32-byte MP4 with a nested zero-size box, a 4 GB frame, a cut
    /// file.
    fn crafted_videos(&self) -> Vec<PathBuf> {
        let clip = reelsmith_sim::clip::render_clip(
            &reelsmith_sim::clip::ClipSpec {
                width: 320,
                height: 180,
                fps: 16,
                frames: 16,
            },
            None,
        )
        .unwrap();
        vec![
            self.write("nested_zero.mp4", &crafted::mp4_nested_zero_box()),
            self.write("stsz_4gb.mp4", &crafted::mp4_stsz_4gb(&clip)),
            self.write("truncated.mp4", &crafted::mp4_truncated(&clip)),
        ]
    }
}

fn builder() -> HarnessBuilder<StudioApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 1300.0))
        .with_max_steps(20)
}

fn harness(config: StudioConfig, persisted: Persisted) -> Harness<'static, StudioApp> {
    builder().build_eframe(move |cc| StudioApp::with_state(&cc.egui_ctx, config, persisted))
}

/// Steps until `done`, failing after `timeout`; no frame may take long (the UI thread never
/// waits on media work).
fn step_until(
    h: &mut Harness<'_, StudioApp>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&StudioApp) -> bool,
) {
    let start = Instant::now();
    loop {
        let frame = Instant::now();
        h.step();
        assert!(
            frame.elapsed() < Duration::from_millis(500),
            "a frame took {:?} while waiting until {what}",
            frame.elapsed()
        );
        if done(h.state()) {
            return;
        }
        assert!(start.elapsed() < timeout, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(15));
    }
}

fn settle(h: &mut Harness<'_, StudioApp>) {
    for _ in 0..4 {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn open_studio(h: &mut Harness<'_, StudioApp>) {
    step_until(h, "the studio opens", Duration::from_secs(10), |a| {
        a.studio_ready()
    });
}

fn click_endpoint(h: &mut Harness<'_, StudioApp>, endpoint_id: &str) {
    let entry = h
        .state()
        .entries
        .iter()
        .find(|e| e.endpoint_id == endpoint_id)
        .cloned()
        .unwrap();
    let label = format!("{} {}", entry.family, entry.name);
    h.get_by_label(&label).scroll_to_me();
    settle(h);
    h.get_by_label(&label).click();
    settle(h);
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

fn drop_files(h: &mut Harness<'_, StudioApp>, field: &str, files: &[PathBuf]) {
    settle(h);
    let rect = h.state().inbox.zone_rect(field).unwrap();
    h.hover_at(rect.center());
    for f in files {
        h.input_mut()
            .dropped_files
            .push(Arc::new(TestFile(f.clone())));
    }
    h.step();
    settle(h);
}

fn wait_for_media(h: &mut Harness<'_, StudioApp>) {
    step_until(h, "every file is checked", Duration::from_secs(30), |a| {
        !a.thumbs.busy()
    });
    settle(h);
}

/// The window asks for no repaint once settled: nothing keeps decoding or retrying.
fn assert_goes_idle(h: &mut Harness<'_, StudioApp>) {
    let idle = |h: &Harness<'_, StudioApp>| {
        h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay == Duration::MAX
    };
    let start = Instant::now();
    while !idle(h) {
        h.step();
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the window keeps repainting"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for _ in 0..3 {
        h.step();
        assert!(idle(h), "a settled frame asks for another");
    }
}

/// Each of `files` has a blocking error naming it, shown under its field, and Generate is
/// disabled.
fn assert_errors_on(h: &mut Harness<'_, StudioApp>, files: &[PathBuf]) {
    let issues = h.state().issues.clone();
    for f in files {
        let shown = f.display().to_string();
        assert!(
            issues
                .iter()
                .any(|i| i.severity == Severity::Error && i.message.contains(&shown)),
            "no error for {shown}: {issues:#?}"
        );
        assert!(
            h.query_all_by_label_contains(&shown).count() >= 1,
            "the error for {shown} is not shown"
        );
    }
    assert!(h.state().can_generate().is_err());
    assert!(h.get_by_label("Generate").accesskit_node().is_disabled());
}

fn prompt(text: &str) -> FieldValue {
    FieldValue::Text(text.into())
}

#[test]
fn crafted_files_dropped_on_the_form_show_errors_on_their_tiles() {
    let env = Env::new();
    let _rt = env.rt.enter();
    let mut h = harness(env.config(), Persisted::default());
    open_studio(&mut h);

    click_endpoint(&mut h, KLING);
    let pictures = env.crafted_pictures();
    drop_files(&mut h, "image_urls", &pictures);
    wait_for_media(&mut h);
    assert_errors_on(&mut h, &pictures);
    assert_goes_idle(&mut h);

    click_endpoint(&mut h, EXTEND);
    for video in env.crafted_videos() {
        drop_files(&mut h, "video_url", std::slice::from_ref(&video));
        wait_for_media(&mut h);
        assert_errors_on(&mut h, &[video]);
    }
    assert_goes_idle(&mut h);
}

#[test]
fn a_persisted_draft_holding_crafted_files_opens_with_errors_on_its_tiles() {
    let env = Env::new();
    let _rt = env.rt.enter();
    let pictures = env.crafted_pictures();
    let videos = env.crafted_videos();
    let mut kling = FormState::default();
    kling
        .values
        .insert("prompt".into(), prompt("@Image1 walks"));
    kling.values.insert(
        "image_urls".into(),
        FieldValue::MediaList(pictures.iter().cloned().map(MediaRef::Local).collect()),
    );
    let mut i2v = FormState::default();
    i2v.values.insert("prompt".into(), prompt("pan"));
    i2v.values.insert(
        "image_url".into(),
        FieldValue::Media(MediaRef::Local(pictures[0].clone())),
    );
    let mut extend = FormState::default();
    extend.values.insert("prompt".into(), prompt("go on"));
    extend.values.insert(
        "video_url".into(),
        FieldValue::Media(MediaRef::Local(videos[0].clone())),
    );
    let mut draft = Persisted {
        last_endpoint: Some(KLING.into()),
        ..Persisted::default()
    };
    draft.forms.insert(KLING.into(), kling);
    draft.forms.insert(I2V.into(), i2v);
    draft.forms.insert(EXTEND.into(), extend);
    // As eframe keeps it between runs: serialised, then read back at start.
    let stored = serde_json::to_string(&draft).unwrap();
    let draft: Persisted = serde_json::from_str(&stored).unwrap();

    let mut h = harness(env.config(), draft);
    open_studio(&mut h);
    wait_for_media(&mut h);
    assert_errors_on(&mut h, &pictures);
    assert_goes_idle(&mut h);
    click_endpoint(&mut h, I2V);
    wait_for_media(&mut h);
    assert_errors_on(&mut h, &pictures[..1]);
    click_endpoint(&mut h, EXTEND);
    wait_for_media(&mut h);
    assert_errors_on(&mut h, &videos[..1]);
    assert_goes_idle(&mut h);
}

/// `(severity, message)` of each issue that names one of `files`.
fn about(issues: &[(Severity, String)], files: &[PathBuf]) -> BTreeSet<(String, String)> {
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    issues
        .iter()
        .filter(|(_, m)| names.iter().any(|n| m.contains(n.as_str())))
        .map(|(s, m)| (format!("{s:?}"), m.clone()))
        .collect()
}

#[test]
fn tiles_preflight_and_command_line_agree_on_the_same_files() {
    let env = Env::new();
    let _rt = env.rt.enter();
    // Kling's image list: at least 300×300, aspect 0.4–2.5, 10 MB.
    let mut files = vec![
        env.png("fine.png", 800, 600),
        env.png("small.png", 120, 120),
        env.png("wide.png", 1500, 300),
    ];
    files.extend(env.crafted_pictures().into_iter().take(3));
    let mut h = harness(env.config(), Persisted::default());
    open_studio(&mut h);
    click_endpoint(&mut h, KLING);
    drop_files(&mut h, "image_urls", &files);
    wait_for_media(&mut h);

    // The window: what its tiles and fields say.
    let tiles: Vec<(Severity, String)> = h
        .state()
        .issues
        .iter()
        .map(|i| (i.severity, i.message.clone()))
        .collect();
    // The engine: its preflight of the same form.
    let model = h.state().model.clone().unwrap();
    let form = h.state().form_state().cloned().unwrap();
    let engine: Vec<(Severity, String)> = preflight::check_local_files(&model, &form)
        .into_iter()
        .map(|i| (i.severity, i.message))
        .collect();
    // The command line: `generate` with the same files.
    let dir = env.root.path();
    let mut args: Vec<String> = ["generate", "-e", KLING, "-p", "@Image1 dances", "--images"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(files.iter().map(|f| f.display().to_string()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reelsmith"))
        .args(&args)
        .env("REELSMITH_QUEUE_URL", env.sim.queue_url())
        .env("REELSMITH_REST_URL", env.sim.rest_url())
        .env("REELSMITH_OPENAPI_URL", env.sim.openapi_url())
        .env("FAL_KEY", env.sim.key())
        .env("REELSMITH_DATA_DIR", dir.join("cli-data"))
        .env("REELSMITH_CONFIG_DIR", dir.join("cli-config"))
        .env("REELSMITH_CACHE_DIR", dir.join("cli-cache"))
        .env("REELSMITH_OUTPUT_DIR", dir.join("cli-videos"))
        .env("HOME", dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let cli: Vec<(Severity, String)> = stderr
        .lines()
        .filter_map(|l| {
            let (severity, rest) = if let Some(r) = l.strip_prefix("error: ") {
                (Severity::Error, r)
            } else {
                (Severity::Warning, l.strip_prefix("warning: ")?)
            };
            // "FIELD: MESSAGE"
            Some((severity, rest.split_once(": ")?.1.to_string()))
        })
        .collect();

    let (tiles, engine, cli) = (
        about(&tiles, &files),
        about(&engine, &files),
        about(&cli, &files),
    );
    assert_eq!(tiles, engine, "the tiles and the engine disagree");
    assert_eq!(engine, cli, "the engine and the command line disagree");
    // And they say what they should: small and crafted block, wide warns, fine is fine.
    let errors = tiles.iter().filter(|(s, _)| s == "Error").count();
    let warnings = tiles.iter().filter(|(s, _)| s == "Warning").count();
    assert_eq!((errors, warnings), (4, 1), "{tiles:#?}");
    assert!(!tiles.iter().any(|(_, m)| m.contains("fine.png")));
}
