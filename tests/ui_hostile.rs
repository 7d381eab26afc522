//! The window under crafted files (issue 11, point 4): dropped on the form, or held by a
//! persisted form draft at start, each shows an error on its tile, Generate stays disabled,
//! and the window stays responsive and then idle. And the one media check (issue 12, item 3):
//! the form's tiles, the engine's preflight and the command line say the same about the same
//! files.

mod ui_support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use reelsmith::ui::StudioApp;
use reelsmith::ui::app::Persisted;
use reelsmith_core::fuzzing::crafted;
use reelsmith_core::jobs::preflight;
use reelsmith_core::schema::{FieldValue, FormState, MediaRef, Severity};
use ui_support::*;

const I2V: &str = "fal-ai/veo3.1/image-to-video";
const KLING: &str = "fal-ai/kling-video/o1/standard/reference-to-video";
const EXTEND: &str = "fal-ai/veo3.1/extend-video";

// The crafted inputs, on the shared Env.
impl Env {
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
            self.write_input("second_sof.jpg", &fixture("second_sof_after_scan.jpg")),
            self.write_input("truncated_data.jpg", &fixture("truncated_data.jpg")),
            self.write_input("huge_frame.jpg", &fixture("huge_frame_tiny_file.jpg")),
            self.write_input("huge_declared.png", &crafted::png_huge_declared()),
            self.write_input(
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
            self.write_input("nested_zero.mp4", &crafted::mp4_nested_zero_box()),
            self.write_input("stsz_4gb.mp4", &crafted::mp4_stsz_4gb(&clip)),
            self.write_input("truncated.mp4", &crafted::mp4_truncated(&clip)),
        ]
    }
}

/// No frame may take this long while the window waits: the UI thread never waits on media
/// work, crafted or not.
const FRAME_LIMIT: Duration = Duration::from_millis(500);

fn open_studio(h: &mut Harness<'_, StudioApp>) {
    step_until_responsive(
        h,
        "the studio opens",
        Duration::from_secs(10),
        FRAME_LIMIT,
        |a| a.studio_ready(),
    );
}

/// Waits until every file is checked; crafted ones may take longer than good ones.
fn wait_for_checks(h: &mut Harness<'_, StudioApp>) {
    step_until_responsive(
        h,
        "every file is checked",
        Duration::from_secs(30),
        FRAME_LIMIT,
        |a| !a.thumbs.busy(),
    );
    settle(h);
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
    let env = Env::with_default_sim();
    let _rt = env.rt.enter();
    let mut h = window(env.config());
    open_studio(&mut h);

    click_endpoint(&mut h, KLING);
    let pictures = env.crafted_pictures();
    drop_files(&mut h, "image_urls", &pictures);
    wait_for_checks(&mut h);
    assert_errors_on(&mut h, &pictures);
    assert_goes_idle(&mut h, 3);

    click_endpoint(&mut h, EXTEND);
    for video in env.crafted_videos() {
        drop_files(&mut h, "video_url", std::slice::from_ref(&video));
        wait_for_checks(&mut h);
        assert_errors_on(&mut h, &[video]);
    }
    assert_goes_idle(&mut h, 3);
}

#[test]
fn a_persisted_draft_holding_crafted_files_opens_with_errors_on_its_tiles() {
    let env = Env::with_default_sim();
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

    let mut h = window_restored(env.config(), draft);
    open_studio(&mut h);
    wait_for_checks(&mut h);
    assert_errors_on(&mut h, &pictures);
    assert_goes_idle(&mut h, 3);
    click_endpoint(&mut h, I2V);
    wait_for_checks(&mut h);
    assert_errors_on(&mut h, &pictures[..1]);
    click_endpoint(&mut h, EXTEND);
    wait_for_checks(&mut h);
    assert_errors_on(&mut h, &videos[..1]);
    assert_goes_idle(&mut h, 3);
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
    let env = Env::with_default_sim();
    let _rt = env.rt.enter();
    // Kling's image list: at least 300×300, aspect 0.4–2.5, 10 MB.
    let mut files = vec![
        env.png("fine.png", 800, 600, 99),
        env.png("small.png", 120, 120, 99),
        env.png("wide.png", 1500, 300, 99),
    ];
    files.extend(env.crafted_pictures().into_iter().take(3));
    let mut h = window(env.config());
    open_studio(&mut h);
    click_endpoint(&mut h, KLING);
    drop_files(&mut h, "image_urls", &files);
    wait_for_checks(&mut h);

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
