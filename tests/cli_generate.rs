//! The `reelsmith` binary (generate, jobs, resume, cancel) against a simulator started by each
//! test on loopback, with temp folders for data, config, cache and the library.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reelsmith_core::jobs::{Job, JobState};
use reelsmith_core::library::{Sidecar, sidecar_path};
use reelsmith_core::store::Journal;
use reelsmith_sim::clip::{ClipSpec, render_clip};
use reelsmith_sim::{Route, SimConfig, Simulator};
use serde_json::Value;

const I2V: &str = "fal-ai/veo3.1/image-to-video";

struct Env {
    dir: tempfile::TempDir,
    sim: Simulator,
    key: String,
}

impl Env {
    async fn new(queue_ms: u64, run_ms: u64) -> Env {
        let sim = Simulator::start(SimConfig {
            port: 0,
            queue_time: Duration::from_millis(queue_ms),
            run_time: Duration::from_millis(run_ms),
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let dir = tempfile::tempdir().unwrap();
        for sub in ["data", "config", "cache", "videos", "files", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let key = sim.key();
        Env { dir, sim, key }
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path("files").join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_reelsmith"));
        cmd.args(args)
            .env("REELSMITH_QUEUE_URL", self.sim.queue_url())
            .env("REELSMITH_REST_URL", self.sim.rest_url())
            .env("REELSMITH_OPENAPI_URL", self.sim.openapi_url())
            .env("REELSMITH_API_URL", self.sim.api_url())
            .env("FAL_KEY", &self.key)
            .env_remove("FAL_KEY_ID")
            .env_remove("FAL_KEY_SECRET")
            .env("REELSMITH_DATA_DIR", self.path("data"))
            .env("REELSMITH_CONFIG_DIR", self.path("config"))
            .env("REELSMITH_CACHE_DIR", self.path("cache"))
            .env("REELSMITH_OUTPUT_DIR", self.path("videos"))
            .env("HOME", self.path("home"))
            .env_remove("RUST_LOG");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("reelsmith runs")
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("reelsmith starts")
    }

    fn journal_jobs(&self) -> Vec<Job> {
        Journal::open_in(&self.path("data"))
            .and_then(|j| j.jobs())
            .unwrap_or_default()
    }

    /// Polls the journal until a job satisfies `pred`.
    fn wait_for_job(&self, what: &str, pred: impl Fn(&Job) -> bool) -> Job {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(job) = self.journal_jobs().into_iter().find(|j| pred(j)) {
                return job;
            }
            assert!(Instant::now() < deadline, "no job became {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn count(&self, route: Route) -> usize {
        self.sim
            .requests()
            .iter()
            .filter(|r| std::mem::discriminant(&r.route) == std::mem::discriminant(&route))
            .count()
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

/// A real PNG of the given size whose pixels depend on `seed`.
fn png(path: &Path, w: u32, h: u32, seed: u8) -> String {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, seed])
    })
    .save(path)
    .unwrap();
    path.to_string_lossy().into_owned()
}

/// A real H.264 MP4 (1280×720, one second).
fn mp4(path: &Path) -> String {
    let bytes = render_clip(
        &ClipSpec {
            width: 1280,
            height: 720,
            fps: 24,
            frames: 24,
        },
        None,
    )
    .unwrap();
    std::fs::write(path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

/// Checks a saved video: a real MP4 with a sidecar naming its endpoint; returns the sidecar.
fn check_video(path: &Path, endpoint: &str) -> Sidecar {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[4..8], b"ftyp", "{} is not an MP4", path.display());
    let mp4 = mp4::Mp4Reader::read_header(std::io::Cursor::new(&bytes), bytes.len() as u64)
        .expect("the MP4 parses");
    assert!(mp4.tracks().values().any(|t| t.sample_count() > 0));
    let sidecar = Sidecar::read(&sidecar_path(path)).unwrap();
    assert_eq!(sidecar.endpoint_id, endpoint);
    assert_eq!(sidecar.blake3, blake3::hash(&bytes).to_hex().to_string());
    sidecar
}

fn stdout_path(out: &Output) -> PathBuf {
    PathBuf::from(text(&out.stdout).trim())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_seed_endpoint_end_to_end_with_local_files() {
    let env = Env::new(200, 200).await;
    let a = png(&env.file("a.png"), 1280, 720, 1);
    let b = png(&env.file("b.png"), 1280, 720, 2);
    let front = png(&env.file("front.png"), 600, 800, 3);
    let side = png(&env.file("side.png"), 600, 800, 4);
    let clip = mp4(&env.file("clip.mp4"));
    let element = format!("{front},{side}");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "fal-ai/veo3.1/reference-to-video",
            vec!["-p", "the same cat on a beach", "--images", &a, &b],
        ),
        (I2V, vec!["-p", "a slow pan", "--image", &a]),
        (
            "fal-ai/veo3.1/fast/image-to-video",
            vec!["-p", "a slow pan", "--image", &a],
        ),
        (
            "fal-ai/veo3.1/first-last-frame-to-video",
            vec!["-p", "morph", "--image", &a, "--image", &b],
        ),
        (
            "fal-ai/veo3.1/fast/first-last-frame-to-video",
            vec!["-p", "morph", "--image", &a, "--image", &b],
        ),
        (
            "fal-ai/veo3.1/extend-video",
            vec!["-p", "keep going", "--video", &clip],
        ),
        (
            "fal-ai/veo3.1/fast/extend-video",
            vec!["-p", "keep going", "--video", &clip],
        ),
        (
            "fal-ai/kling-video/o1/standard/reference-to-video",
            vec![
                "-p",
                "@Element1 walks into the scene of @Image1",
                "--image",
                &a,
                "--element",
                &element,
                "--set",
                "duration=5",
            ],
        ),
        (
            "fal-ai/video-as-prompt",
            vec![
                "-p",
                "the cat dances",
                "--video",
                &clip,
                "--image",
                &a,
                "--set",
                "video_description=a person dancing",
            ],
        ),
    ];
    for (endpoint, extra) in &cases {
        let mut args = vec!["generate", "-e", endpoint];
        args.extend(extra.iter().copied());
        let out = env.run(&args);
        assert_code(&out, 0);
        let path = stdout_path(&out);
        assert!(path.starts_with(env.path("videos")), "{}", path.display());
        let sidecar = check_video(&path, endpoint);
        assert!(!sidecar.references.is_empty());
        assert!(sidecar.references.iter().all(|r| r.url.is_some()));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("uploading"), "{stderr}");
        assert!(stderr.contains("downloading"), "{stderr}");
    }
    let submissions = env.sim.submissions();
    assert_eq!(submissions.len(), cases.len());
    // The Kling element went in as an element with its reference.
    let kling = &submissions[7].input;
    assert_eq!(
        kling["elements"][0]["reference_image_urls"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Files reused across endpoints were uploaded once each: a, b, front, side, clip.
    assert_eq!(env.count(Route::UploadInitiate), 5);
    assert_no_key_anywhere(&env, &[]);
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                all_files(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

/// The key is in no file of the data, config, cache or library folders, nor in `outputs`.
fn assert_no_key_anywhere(env: &Env, outputs: &[&Output]) {
    let key = env.key.as_bytes();
    let secret = env.key.split(':').next_back().unwrap().as_bytes();
    let mut files = Vec::new();
    all_files(env.dir.path(), &mut files);
    assert!(files.iter().any(|f| f.ends_with("journal.sqlite3")));
    for file in files.iter().filter(|f| !f.starts_with(env.path("files"))) {
        let bytes = std::fs::read(file).unwrap_or_default();
        for needle in [key, secret] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the key is in {}",
                file.display()
            );
        }
    }
    for out in outputs {
        for stream in [&out.stdout, &out.stderr] {
            assert!(!stream.windows(secret.len()).any(|w| w == secret));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn json_output_detach_resume_and_output_path() {
    let env = Env::new(800, 300).await;
    let photo = png(&env.file("p.png"), 1280, 720, 9);
    let out = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "detached fox",
        "--image",
        &photo,
        "--detach",
        "--json",
    ]);
    assert_code(&out, 0);
    let detached: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let job_id = detached["job_id"].as_str().unwrap().to_string();
    let request_id = detached["request_id"]
        .as_str()
        .expect("request id recorded");
    assert_eq!(detached["endpoint"], I2V);
    assert!(detached["output"].is_null());
    assert_eq!(env.sim.submissions().len(), 1);
    assert_eq!(env.sim.submissions()[0].request_id, request_id);

    let listed = env.run(&["jobs", "--json"]);
    assert_code(&listed, 0);
    let list: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(list[0]["job_id"], job_id.as_str());
    assert_ne!(list[0]["status"], "done");

    let resumed = env.run(&["resume", "--json"]);
    assert_code(&resumed, 0);
    let results: Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(results[0]["job_id"], job_id.as_str());
    assert_eq!(results[0]["status"], "done");
    assert_eq!(results[0]["request_id"], request_id);
    let output = PathBuf::from(results[0]["output"].as_str().unwrap());
    check_video(&output, I2V);
    assert_eq!(env.sim.submissions().len(), 1, "resume never submits again");

    // Nothing left: resume is a no-op.
    let again = env.run(&["resume", "--json"]);
    assert_code(&again, 0);
    assert_eq!(
        serde_json::from_slice::<Value>(&again.stdout).unwrap(),
        Value::Array(vec![])
    );

    // -o PATH saves exactly there, with the sidecar beside it; --json reports it.
    let target = env.path("home").join("mine/clip.mp4");
    let out2 = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "to a path",
        "--image",
        &photo,
        "-o",
        target.to_str().unwrap(),
        "--json",
    ]);
    assert_code(&out2, 0);
    let done: Value = serde_json::from_slice(&out2.stdout).unwrap();
    assert_eq!(done["status"], "done");
    assert_eq!(done["output"], target.to_str().unwrap());
    assert!(
        done["video_url"]
            .as_str()
            .unwrap()
            .starts_with(&env.sim.base_url())
    );
    check_video(&target, I2V);
    assert_eq!(
        env.count(Route::UploadInitiate),
        1,
        "the same photo is uploaded once"
    );
    assert_no_key_anywhere(&env, &[&out, &listed, &resumed, &out2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_input_exits_2_naming_the_field_and_sends_nothing() {
    let env = Env::new(100, 100).await;
    let photo = png(&env.file("ok.png"), 1280, 720, 1);
    let notes = env.file("notes.png");
    std::fs::write(&notes, "just some text\n").unwrap();
    let empty = env.file("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let missing = env.file("missing.png");
    let refs: Vec<String> = (0..8)
        .map(|i| png(&env.file(&format!("k{i}.png")), 400, 400, 20 + i))
        .collect();
    let notes = notes.to_string_lossy().into_owned();
    let empty = empty.to_string_lossy().into_owned();
    let missing = missing.to_string_lossy().into_owned();
    let mut kling = vec![
        "generate",
        "-e",
        "fal-ai/kling-video/o1/standard/reference-to-video",
        "-p",
        "many",
        "--images",
    ];
    kling.extend(refs.iter().map(String::as_str));
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec![
                "generate",
                "-e",
                I2V,
                "-p",
                "x",
                "--image",
                &photo,
                "--set",
                "resolution=9k",
            ],
            vec!["resolution"],
        ),
        (vec!["generate", "-e", I2V, "-p", "x"], vec!["image_url"]),
        (
            vec!["generate", "-e", I2V, "-p", "x", "--image", &notes],
            vec!["image_url", "notes.png"],
        ),
        (
            vec!["generate", "-e", I2V, "-p", "x", "--image", &empty],
            vec!["image_url", "empty.png"],
        ),
        (
            vec!["generate", "-e", I2V, "-p", "x", "--image", &missing],
            vec!["image_url", "missing.png"],
        ),
        (kling, vec!["7"]),
        (
            vec![
                "generate",
                "-e",
                I2V,
                "-p",
                "x",
                "--image",
                &photo,
                "--set",
                "nonsense=1",
            ],
            vec!["nonsense"],
        ),
    ];
    for (args, needles) in &cases {
        let out = env.run(args);
        assert_code(&out, 2);
        let stderr = text(&out.stderr);
        for needle in needles {
            assert!(stderr.contains(needle), "{args:?}: {stderr}");
        }
    }
    assert!(env.sim.requests().is_empty(), "{:?}", env.sim.requests());
    assert!(env.journal_jobs().is_empty());
    // An endpoint that is not in the catalog is looked up (OpenAPI only) and refused.
    let out = env.run(&["generate", "-e", "fal-ai/no-such-model", "-p", "x"]);
    assert_code(&out, 2);
    assert!(text(&out.stderr).contains("no-such-model"));
    assert!(env.sim.requests().iter().all(|r| r.route == Route::OpenApi));
    assert_eq!(env.count(Route::Submit), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_map_to_exit_codes() {
    let env = Env::new(100, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 5);
    // The model fails: exit 4, JSON says failed.
    env.sim
        .model_error_next("content_policy_violation", "flagged by the checker");
    let out = env.run(&[
        "generate", "-e", I2V, "-p", "x", "--image", &photo, "--json",
    ]);
    assert_code(&out, 4);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "failed");
    assert!(text(&out.stderr).contains("flagged"));

    // A wrong key: exit 3, and the wrong key is not echoed.
    let mut cmd = env.command(&["generate", "-e", I2V, "-p", "x", "--image", &photo]);
    cmd.env("FAL_KEY", "wrong-id:wrong-secret-value");
    let out = cmd.output().unwrap();
    assert_code(&out, 3);
    assert!(!text(&out.stderr).contains("wrong-secret-value"));

    // No key at all: exit 3 before any request.
    let before = env.sim.requests().len();
    let mut cmd = env.command(&["generate", "-e", I2V, "-p", "x", "--image", &photo]);
    cmd.env_remove("FAL_KEY");
    let out = cmd.output().unwrap();
    assert_code(&out, 3);
    assert_eq!(env.sim.requests().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_a_detached_job_and_a_job_run_by_another_process() {
    let env = Env::new(10_000, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 6);
    let out = env.run(&[
        "generate", "-e", I2V, "-p", "x", "--image", &photo, "--detach", "--json",
    ]);
    assert_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["job_id"].as_str().unwrap().to_string();
    let cancelled = env.run(&["cancel", &id]);
    assert_code(&cancelled, 0);
    assert_eq!(env.count(Route::Cancel), 1);
    let job = env
        .journal_jobs()
        .into_iter()
        .find(|j| j.id.as_str() == id)
        .unwrap();
    assert_eq!(job.state, JobState::Cancelled);
    // Cancelling again: nothing to cancel.
    assert_code(&env.run(&["cancel", &id]), 2);
    assert_code(&env.run(&["cancel", "ffffffffffff"]), 2);

    // A job followed by a live `generate`: `cancel` asks that process, which stops with 130.
    let child = env.spawn(&["generate", "-e", I2V, "-p", "y", "--image", &photo]);
    let live = env.wait_for_job("queued", |j| {
        j.id.as_str() != id && j.state == JobState::InQueue
    });
    let cancelled = env.run(&["cancel", live.id.as_str()]);
    assert_code(&cancelled, 0);
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 130);
    let job = env
        .journal_jobs()
        .into_iter()
        .find(|j| j.id == live.id)
        .unwrap();
    assert_eq!(job.state, JobState::Cancelled);
    assert_eq!(env.sim.submissions().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_drills_sigkill_then_resume_submits_once_and_saves_a_complete_mp4() {
    let env = Env::new(200, 200).await;
    let phases = ["uploading", "in_queue", "running", "downloading"];
    for (n, phase) in phases.iter().enumerate() {
        let photo = png(&env.file(&format!("crash{n}.png")), 1280, 720, 40 + n as u8);
        match *phase {
            "uploading" => env.sim.fail_next(Route::UploadPut, 4, 503),
            "in_queue" => env
                .sim
                .set_timing(Duration::from_secs(4), Duration::from_millis(200)),
            "running" => env
                .sim
                .set_timing(Duration::from_millis(200), Duration::from_secs(4)),
            _ => {
                env.sim
                    .set_timing(Duration::from_millis(200), Duration::from_millis(200));
                env.sim.drop_download_after(2000, 4);
            }
        }
        let mut child = env.spawn(&[
            "generate",
            "-e",
            I2V,
            "-p",
            &format!("crash {phase}"),
            "--image",
            &photo,
        ]);
        let job = env.wait_for_job(phase, |j| {
            j.prompt == format!("crash {phase}") && j.state.as_str() == *phase
        });
        child.kill().unwrap(); // SIGKILL on Unix: no chance to clean up.
        child.wait().unwrap();
        env.sim
            .set_timing(Duration::from_millis(200), Duration::from_millis(200));

        let after_kill = env
            .journal_jobs()
            .into_iter()
            .find(|j| j.id == job.id)
            .unwrap();
        assert!(
            !after_kill.state.is_terminal(),
            "{phase}: {:?}",
            after_kill.state
        );
        let resumed = env.run(&["resume", "--json"]);
        assert_code(&resumed, 0);
        let results: Value = serde_json::from_slice(&resumed.stdout).unwrap();
        let mine = results
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["job_id"] == job.id.as_str())
            .unwrap_or_else(|| panic!("{phase}: resume did not finish the job: {results}"));
        assert_eq!(mine["status"], "done");
        let output = PathBuf::from(mine["output"].as_str().unwrap());
        let sidecar = check_video(&output, I2V);
        // The MP4 is the complete file fal made.
        let stored = env
            .sim
            .stored_files()
            .into_iter()
            .find(|f| Some(&f.file_url) == sidecar.video_url.as_ref())
            .expect("the result is on the simulator's CDN");
        assert_eq!(stored.blake3_hex, sidecar.blake3, "{phase}");
        assert!(!reelsmith_core::fal::download::part_path(&output).exists());
        // Exactly one submit per job so far.
        assert_eq!(env.sim.submissions().len(), n + 1, "{phase}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_damaged_journal_is_kept_aside_and_the_library_rebuilt() {
    let env = Env::new(100, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 7);
    let out = env.run(&["generate", "-e", I2V, "-p", "keep", "--image", &photo]);
    assert_code(&out, 0);
    let video = stdout_path(&out);
    let data = env.path("data");
    for name in ["journal.sqlite3-wal", "journal.sqlite3-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    std::fs::write(data.join("journal.sqlite3"), b"garbage ".repeat(1000)).unwrap();
    let listed = env.run(&["jobs", "--json"]);
    assert_code(&listed, 0);
    assert!(
        text(&listed.stderr).contains("damaged"),
        "{}",
        text(&listed.stderr)
    );
    let aside: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("damaged"))
        .collect();
    assert!(!aside.is_empty());
    let journal = Journal::open_in(&data).unwrap();
    let items = journal.library_items().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].path, video);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ctrl_c_leaves_the_job_for_resume_and_input_json_takes_set_on_top() {
    let env = Env::new(3_000, 200).await;
    let photo = png(&env.file("p.png"), 1280, 720, 8);
    let child = env.spawn(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "interrupt me",
        "--image",
        &photo,
    ]);
    let job = env.wait_for_job("queued", |j| j.state == JobState::InQueue);
    // SIGINT is what Ctrl+C sends.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 130);
    assert!(
        text(&out.stderr).contains("resume"),
        "{}",
        text(&out.stderr)
    );
    let recorded = env
        .journal_jobs()
        .into_iter()
        .find(|j| j.id == job.id)
        .unwrap();
    assert!(!recorded.state.is_terminal());
    assert_eq!(
        env.count(Route::Cancel),
        0,
        "an interrupt does not cancel at fal"
    );
    env.sim
        .set_timing(Duration::from_millis(100), Duration::from_millis(100));
    let resumed = env.run(&["resume"]);
    assert_code(&resumed, 0);
    check_video(&stdout_path(&resumed), I2V);
    assert_eq!(env.sim.submissions().len(), 1);

    // The whole input from a file ("@PATH" is a local file), with --set on top.
    let input = env.file("input.json");
    std::fs::write(
        &input,
        serde_json::json!({
            "prompt": "from a file",
            "image_url": format!("@{photo}"),
            "resolution": "1080p",
            "duration": "4s",
        })
        .to_string(),
    )
    .unwrap();
    let out = env.run(&[
        "generate",
        "-e",
        I2V,
        "--input-json",
        input.to_str().unwrap(),
        "--set",
        "duration=6s",
        "--json",
    ]);
    assert_code(&out, 0);
    let submitted = env.sim.submissions().last().unwrap().input.clone();
    assert_eq!(submitted["prompt"], "from a file");
    assert_eq!(submitted["resolution"], "1080p");
    assert_eq!(submitted["duration"], "6s");
    assert!(
        submitted["image_url"]
            .as_str()
            .unwrap()
            .starts_with(&env.sim.base_url())
    );
    assert_eq!(
        env.count(Route::UploadInitiate),
        1,
        "the same photo again: no new upload"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn output_file_that_exists_is_refused_unless_force() {
    let env = Env::new(100, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 5);
    let target = env.path("home").join("taken.mp4");
    std::fs::write(&target, b"my own edit").unwrap();
    let out = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "x",
        "--image",
        &photo,
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_code(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("taken.mp4") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"my own edit");
    // A sidecar name in the way is refused the same way.
    let fresh = env.path("home").join("fresh.mp4");
    std::fs::write(env.path("home").join("fresh.json"), b"{}").unwrap();
    let out2 = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "x",
        "--image",
        &photo,
        "-o",
        fresh.to_str().unwrap(),
    ]);
    assert_code(&out2, 2);
    assert!(
        text(&out2.stderr).contains("fresh.json"),
        "{}",
        text(&out2.stderr)
    );
    assert_eq!(env.count(Route::UploadInitiate), 0, "nothing was uploaded");
    assert!(env.sim.submissions().is_empty(), "nothing was submitted");
    assert!(env.journal_jobs().is_empty(), "no job was recorded");

    let forced = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "x",
        "--image",
        &photo,
        "-o",
        target.to_str().unwrap(),
        "--force",
    ]);
    assert_code(&forced, 0);
    assert_eq!(stdout_path(&forced), target);
    check_video(&target, I2V);
    assert_eq!(env.sim.submissions().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn output_file_that_appears_while_the_job_runs_is_kept() {
    let env = Env::new(1500, 200).await;
    let photo = png(&env.file("p.png"), 1280, 720, 6);
    let target = env.path("home").join("later.mp4");
    let child = env.spawn(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "late file",
        "--image",
        &photo,
        "-o",
        target.to_str().unwrap(),
    ]);
    env.wait_for_job("queued", |j| j.state == JobState::InQueue);
    std::fs::write(&target, b"made meanwhile").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 0);
    assert_eq!(std::fs::read(&target).unwrap(), b"made meanwhile");
    let saved = stdout_path(&out);
    assert!(saved.starts_with(env.path("videos")), "{}", saved.display());
    check_video(&saved, I2V);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("later.mp4") && stderr.contains(&saved.display().to_string()),
        "{stderr}"
    );
    let job = env.journal_jobs().pop().unwrap();
    assert!(
        job.logs.iter().any(|l| l.message.contains("later.mp4")),
        "the job's log says why: {:?}",
        job.logs
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_queued_cancels_every_waiting_job_at_fal_and_leaves_finished_ones() {
    let env = Env::new(10_000, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 6);
    let mut waiting = Vec::new();
    for prompt in ["one", "two"] {
        let out = env.run(&[
            "generate", "-e", I2V, "-p", prompt, "--image", &photo, "--detach", "--json",
        ]);
        assert_code(&out, 0);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        waiting.push(v["job_id"].as_str().unwrap().to_string());
    }
    let out = env.run(&["cancel", "--queued"]);
    assert_code(&out, 0);
    assert!(
        text(&out.stderr).contains("2 of 2 waiting job(s) cancelled"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        env.count(Route::Cancel),
        2,
        "each waiting job is cancelled at fal once"
    );
    for job in env.journal_jobs() {
        assert!(waiting.iter().any(|w| w == job.id.as_str()));
        assert_eq!(job.state, JobState::Cancelled);
    }
    // Nothing left: a second bulk cancel sends nothing.
    let out = env.run(&["cancel", "--all"]);
    assert_code(&out, 0);
    assert!(
        text(&out.stderr).contains("no unfinished job"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(env.count(Route::Cancel), 2);
    // A job id and --all together is a usage error.
    assert_code(&env.run(&["cancel", "--all", &waiting[0]]), 2);
}
