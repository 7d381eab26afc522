//! `reelsmith generate` on crafted files (issue 11, point 4): it exits 2 naming the file,
//! quickly, with nothing uploaded or submitted (the simulator's log shows no upload and no
//! submit), and the process's peak memory stays under 200 MiB (its `wait4` rusage).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reelsmith_core::fuzzing::crafted;
use reelsmith_sim::clip::{ClipSpec, render_clip};
use reelsmith_sim::{Route, SimConfig, Simulator};

/// Peak resident memory allowed for one run on a crafted file.
const PEAK_LIMIT_KIB: i64 = 200 * 1024;
/// A run that takes longer is hanging (refusing takes well under a second).
const RUN_LIMIT: Duration = Duration::from_secs(60);

struct Env {
    dir: tempfile::TempDir,
    sim: Simulator,
}

/// How one run ended.
struct Run {
    code: i32,
    stderr: String,
    took: Duration,
    peak_kib: i64,
}

impl Env {
    async fn new() -> Env {
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator starts");
        let dir = tempfile::tempdir().unwrap();
        for sub in ["data", "config", "cache", "videos", "files", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Env { dir, sim }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join("files").join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs `reelsmith generate ARGS` to its end, with its exit code, stderr and peak memory.
    // The child is reaped by `wait4` (for its rusage), not by std's `wait`.
    #[allow(clippy::zombie_processes)]
    fn generate(&self, args: &[&str]) -> Run {
        let d = |s: &str| self.dir.path().join(s);
        let mut child = Command::new(env!("CARGO_BIN_EXE_reelsmith"))
            .arg("generate")
            .args(args)
            .env("REELSMITH_QUEUE_URL", self.sim.queue_url())
            .env("REELSMITH_REST_URL", self.sim.rest_url())
            .env("REELSMITH_OPENAPI_URL", self.sim.openapi_url())
            .env("FAL_KEY", self.sim.key())
            .env("REELSMITH_DATA_DIR", d("data"))
            .env("REELSMITH_CONFIG_DIR", d("config"))
            .env("REELSMITH_CACHE_DIR", d("cache"))
            .env("REELSMITH_OUTPUT_DIR", d("videos"))
            .env("HOME", d("home"))
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("reelsmith starts");
        let mut pipe = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            pipe.read_to_string(&mut s).ok();
            s
        });
        let pid = child.id() as libc::pid_t;
        let start = Instant::now();
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: polls our own child's pid with valid out-pointers; std's Child is never
            // waited on, so the pid is reaped exactly once.
            let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
            assert!(got >= 0, "wait4: {}", std::io::Error::last_os_error());
            if got == pid {
                break;
            }
            if start.elapsed() > RUN_LIMIT {
                // SAFETY: signals our own child, which has not been reaped yet.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                panic!("reelsmith generate {args:?} hung for {RUN_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Run {
            code: if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            },
            stderr: reader.join().unwrap_or_default(),
            took: start.elapsed(),
            peak_kib: usage.ru_maxrss,
        }
    }

    /// Nothing reached fal: no upload started or sent, no job submitted.
    fn assert_nothing_sent(&self, what: &str) {
        let sent: Vec<_> = self
            .sim
            .requests()
            .into_iter()
            .filter(|r| {
                matches!(
                    r.route,
                    Route::UploadInitiate | Route::UploadPut | Route::Submit
                )
            })
            .collect();
        assert!(sent.is_empty(), "{what}: the simulator saw {sent:#?}");
    }
}

/// Checks one refused run: exit 2, the file named, quick, under the memory limit.
fn assert_refused(env: &Env, run: &Run, file: &Path) {
    let shown = file.display().to_string();
    assert_eq!(run.code, 2, "{shown}: exit code; stderr:\n{}", run.stderr);
    assert!(
        run.stderr.contains(&shown),
        "{shown} is not named:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("nothing was uploaded or submitted"),
        "{}",
        run.stderr
    );
    assert!(
        run.took < Duration::from_secs(20),
        "{shown}: took {:?}",
        run.took
    );
    assert!(
        run.peak_kib < PEAK_LIMIT_KIB,
        "{shown}: peak memory {} MiB",
        run.peak_kib / 1024
    );
    env.assert_nothing_sent(&shown);
    println!(
        "{}: exit 2 in {:?}, peak {:.1} MiB",
        file.file_name().unwrap_or_default().to_string_lossy(),
        run.took,
        run.peak_kib as f64 / 1024.0
    );
}

fn jpeg_fixture(name: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("crates/jpeg-dc/tests/crafted")
    .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn good_jpeg() -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([x as u8, y as u8, 77]))
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn crafted_pictures_exit_2_naming_the_file_with_nothing_sent() {
    let env = Env::new().await;
    let pictures = [
        ("second_sof.jpg", jpeg_fixture("second_sof_after_scan.jpg")),
        ("truncated_data.jpg", jpeg_fixture("truncated_data.jpg")),
        ("huge_frame.jpg", jpeg_fixture("huge_frame_tiny_file.jpg")),
        (
            "restart_missing.jpg",
            jpeg_fixture("restart_marker_missing.jpg"),
        ),
        ("huge_declared.png", crafted::png_huge_declared()),
        (
            "exif_loop.jpg",
            crafted::jpeg_with_exif(&good_jpeg(), &crafted::exif_loop()),
        ),
    ];
    for (name, bytes) in pictures {
        let file = env.write(name, &bytes);
        let shown = file.display().to_string();
        let run = env.generate(&[
            "-e",
            "fal-ai/veo3.1/image-to-video",
            "-p",
            "a slow pan",
            "--image",
            &shown,
        ]);
        assert_refused(&env, &run, &file);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn crafted_videos_exit_2_naming_the_file_with_nothing_sent() {
    let env = Env::new().await;
    let clip = render_clip(
        &ClipSpec {
            width: 320,
            height: 180,
            fps: 24,
            frames: 24,
        },
        None,
    )
    .unwrap();
    let videos = [
        ("nested_zero.mp4", crafted::mp4_nested_zero_box()),
        ("stsz_4gb.mp4", crafted::mp4_stsz_4gb(&clip)),
        ("truncated.mp4", crafted::mp4_truncated(&clip)),
        ("zero_in_stbl.mp4", crafted::mp4_zero_box_in_stbl(&clip)),
        ("stsc_zero.mp4", crafted::mp4_stsc_zero_samples(&clip)),
    ];
    for (name, bytes) in videos {
        let file = env.write(name, &bytes);
        let shown = file.display().to_string();
        let run = env.generate(&[
            "-e",
            "fal-ai/veo3.1/extend-video",
            "-p",
            "keep going",
            "--video",
            &shown,
        ]);
        assert_refused(&env, &run, &file);
    }
}
