//! `reelsmith storyboard`, `reelsmith export` and `reelsmith import` as a user runs them: the
//! binary against a simulator on loopback, with temp folders for data and the library.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use reelsmith_core::film::FilmSidecar;
use reelsmith_core::film::export::part_path;
use reelsmith_core::media::mp4::Mp4File;
use reelsmith_sim::clip::{ClipSpec, render_clip_with_sound};
use reelsmith_sim::{SimConfig, Simulator};
use serde_json::Value;

const I2V: &str = "fal-ai/veo3.1/image-to-video";

struct Env {
    dir: tempfile::TempDir,
    sim: Simulator,
}

impl Env {
    async fn new() -> Env {
        let sim = Simulator::start(SimConfig {
            port: 0,
            queue_time: Duration::from_millis(100),
            run_time: Duration::from_millis(100),
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let dir = tempfile::tempdir().unwrap();
        for sub in ["data", "config", "cache", "videos", "files", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Env { dir, sim }
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_reelsmith"));
        cmd.args(args)
            .env("REELSMITH_QUEUE_URL", self.sim.queue_url())
            .env("REELSMITH_REST_URL", self.sim.rest_url())
            .env("REELSMITH_OPENAPI_URL", self.sim.openapi_url())
            .env("FAL_KEY", self.sim.key())
            .env("REELSMITH_DATA_DIR", self.path("data"))
            .env("REELSMITH_CONFIG_DIR", self.path("config"))
            .env("REELSMITH_CACHE_DIR", self.path("cache"))
            .env("REELSMITH_OUTPUT_DIR", self.path("videos"))
            .env("REELSMITH_KEYSTORE", "none")
            .env("HOME", self.path("home"))
            .env_remove("RUST_LOG");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("reelsmith runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_code(&out, 0);
        text(&out.stdout)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn png(path: &Path, seed: u8) -> String {
    image::RgbImage::from_fn(1280, 720, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, seed])
    })
    .save(path)
    .unwrap();
    path.to_string_lossy().into_owned()
}

fn job_id_of(video: &Path) -> String {
    reelsmith_core::library::Sidecar::read(&reelsmith_core::library::sidecar_path(video))
        .unwrap()
        .job_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storyboard_of_generated_clips_lists_shows_and_exports() {
    let env = Env::new().await;
    let mut clips = Vec::new();
    for seed in 1..=2 {
        let image = png(&env.path("files").join(format!("{seed}.png")), seed);
        let out = env.ok(&[
            "generate",
            "-e",
            I2V,
            "-p",
            "a fox in snow",
            "--image",
            &image,
            "--set",
            "duration=4s",
        ]);
        clips.push(PathBuf::from(out.trim()));
    }
    env.ok(&["storyboard", "create", "Fox"]);
    // By library id and by path; the second first.
    let id = job_id_of(&clips[0]);
    env.ok(&["storyboard", "add", "Fox", &id]);
    env.ok(&[
        "storyboard",
        "add",
        "Fox",
        &clips[1].to_string_lossy(),
        "--at",
        "1",
    ]);
    env.ok(&["storyboard", "trim", "Fox", "2", "0.5:3"]);
    env.ok(&["storyboard", "trim", "Fox", "1", "12f:60f"]);
    let out = env.run(&["storyboard", "trim", "Fox", "1", "0:99"]);
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("frames"),
        "{}",
        text(&out.stderr)
    );

    let list: Value = serde_json::from_str(&env.ok(&["storyboard", "list", "--json"])).unwrap();
    assert_eq!(list[0]["name"], "Fox");
    assert_eq!(list[0]["shots"], 2);
    let show: Value =
        serde_json::from_str(&env.ok(&["storyboard", "show", "fox", "--json"])).unwrap();
    let shots = show["shots"].as_array().unwrap();
    assert_eq!(shots[0]["trim"]["start"], 12);
    assert_eq!(shots[0]["trim"]["end"], 60);
    assert_eq!(shots[1]["trim"]["start"], 12);
    assert_eq!(shots[1]["trim"]["end"], 72);
    assert_eq!(shots[1]["status"], "ready");
    let table = env.ok(&["storyboard", "show", "Fox"]);
    assert!(
        table.contains("12..60") && table.contains("2.00s"),
        "{table}"
    );

    let film = env.path("fox.mp4");
    let out = env.run(&["storyboard", "export", "Fox", "-o", &film.to_string_lossy()]);
    assert_code(&out, 0);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("exporting:") && stderr.contains("100%"),
        "{stderr}"
    );
    let sidecar = FilmSidecar::read(&reelsmith_core::library::sidecar_path(&film)).unwrap();
    assert_eq!(sidecar.storyboard.as_ref().unwrap().name, "Fox");
    assert_eq!(
        sidecar.shots[0].provenance.endpoint_id.as_deref(),
        Some(I2V)
    );
    assert!(sidecar.shots[0].provenance.request_id.is_some());
    assert!(
        (sidecar.duration_secs - 4.5).abs() < 1e-9,
        "{}",
        sidecar.duration_secs
    );
    assert_eq!(sidecar.sound.as_deref(), Some("48 kHz stereo"));
    let file = Mp4File::open(&film).unwrap();
    assert_eq!(file.video.unwrap().samples.len(), 108);

    // Never overwritten without --force.
    let before = std::fs::read(&film).unwrap();
    let out = env.run(&["storyboard", "export", "Fox", "-o", &film.to_string_lossy()]);
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&film).unwrap(), before);
    env.ok(&[
        "storyboard",
        "export",
        "Fox",
        "-o",
        &film.to_string_lossy(),
        "--force",
        "--reencode",
    ]);
    let again = FilmSidecar::read(&reelsmith_core::library::sidecar_path(&film)).unwrap();
    assert!(
        again.exported_at > sidecar.exported_at,
        "--force replaced the film"
    );

    env.ok(&["storyboard", "remove", "Fox", "1"]);
    env.ok(&["storyboard", "rename", "Fox", "Fox 2"]);
    let show: Value =
        serde_json::from_str(&env.ok(&["storyboard", "show", "Fox 2", "--json"])).unwrap();
    assert_eq!(show["shots"].as_array().unwrap().len(), 1);
    env.ok(&["storyboard", "delete", "Fox 2"]);
    let out = env.run(&["storyboard", "show", "Fox 2"]);
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("no storyboard"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_joins_files_with_trims_and_import_adds_footage() {
    let env = Env::new().await;
    let files = env.path("files");
    let spec = ClipSpec {
        width: 320,
        height: 176,
        fps: 24,
        frames: 48,
    };
    let a = files.join("a.mp4");
    std::fs::write(
        &a,
        render_clip_with_sound(&spec, None, Some(&Default::default())).unwrap(),
    )
    .unwrap();
    let b = files.join("b.mp4");
    std::fs::write(&b, render_clip_with_sound(&spec, None, None).unwrap()).unwrap();
    let film = env.path("join.mp4");
    let (a_s, b_s, film_s) = (
        a.to_string_lossy(),
        b.to_string_lossy(),
        film.to_string_lossy(),
    );
    let out = env.run(&[
        "export", &a_s, &b_s, "--trim", "0.5:", "--trim", ":24f", "-o", &film_s,
    ]);
    assert_code(&out, 0);
    assert_eq!(text(&out.stdout).trim(), film_s);
    let file = Mp4File::open(&film).unwrap();
    assert_eq!(file.video.unwrap().samples.len(), 36 + 24);
    assert!(
        text(&out.stderr).contains("shot 2 is silent"),
        "{}",
        text(&out.stderr)
    );
    // Bad input: nothing written.
    let bad = env.path("bad.mp4");
    let out = env.run(&[
        "export",
        &a_s,
        "--trim",
        "3:1",
        "-o",
        &bad.to_string_lossy(),
    ]);
    assert_code(&out, 2);
    assert!(!bad.exists());
    let out = env.run(&["export", "no-such-clip", "-o", &bad.to_string_lossy()]);
    assert_code(&out, 2);
    assert!(text(&out.stderr).contains("no-such-clip"));

    // Imported footage joins by its library id.
    let out = env.run(&["import", &a_s]);
    assert_code(&out, 0);
    let imported = PathBuf::from(text(&out.stdout).trim());
    assert!(imported.starts_with(env.path("videos")));
    let id = job_id_of(&imported);
    assert!(id.starts_with("import-"));
    let again = env.path("again.mp4");
    env.ok(&["export", &id, "-o", &again.to_string_lossy()]);
    let out = env.run(&[
        "import",
        &env.path("files").join("missing.mp4").to_string_lossy(),
    ]);
    assert_code(&out, 2);
    assert!(text(&out.stderr).contains("missing.mp4"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_export_leaves_nothing_under_the_final_name() {
    let env = Env::new().await;
    let clip = env.path("files").join("long.mp4");
    let spec = ClipSpec {
        width: 640,
        height: 352,
        fps: 24,
        frames: 480,
    };
    std::fs::write(
        &clip,
        render_clip_with_sound(&spec, None, Some(&Default::default())).unwrap(),
    )
    .unwrap();
    let film = env.path("killed.mp4");
    let mut child = env
        .command(&[
            "export",
            &clip.to_string_lossy(),
            "--reencode",
            "-o",
            &film.to_string_lossy(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it once its progress says it is part-way through (not a tty: one line per 10 %).
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut lines = std::io::BufRead::lines(stderr);
    let part = part_path(&film);
    loop {
        let line = lines
            .next()
            .expect("the export ended before it was killed")
            .unwrap();
        let under_way =
            line.starts_with("exporting:") && !line.contains(" 0%") && !line.contains("100%");
        if under_way {
            break;
        }
    }
    assert!(part.exists(), "it writes under a temporary name");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!film.exists(), "a half-written film under the final name");
    assert!(!reelsmith_core::library::sidecar_path(&film).exists());
    // The next export of the same name takes over the stale temporary file.
    let out = env.run(&[
        "export",
        &clip.to_string_lossy(),
        "-o",
        &film.to_string_lossy(),
    ]);
    assert_code(&out, 0);
    assert!(film.exists() && !part.exists());
}
