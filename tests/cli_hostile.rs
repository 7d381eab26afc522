//! `reelsmith generate` on crafted files (issue 11, point 4): it exits 2 naming the file,
//! quickly, with nothing uploaded or submitted (the simulator's log shows no upload and no
//! submit), and the process's peak memory stays under 200 MiB (its `wait4` rusage).

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use reelsmith_core::fuzzing::crafted;
use reelsmith_sim::SimConfig;

mod support;
use support::inputs::{clip, in_checkout, jpeg};
use support::run::Reelsmith;
use support::sim_env::{I2V, SimEnv};

/// Peak resident memory allowed for one run on a crafted file.
const PEAK_LIMIT_KIB: i64 = 200 * 1024;
/// A run that takes longer is hanging (refusing takes well under a second).
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// How one run ended.
struct Run {
    code: i32,
    stderr: String,
    took: Duration,
    peak_kib: i64,
}

/// Runs `reelsmith generate ARGS` to its end, with its exit code, stderr and peak memory.
// The child is reaped by `wait4` (for its rusage), not by std's `wait`.
#[allow(clippy::zombie_processes)]
fn generate(env: &SimEnv, args: &[&str]) -> Run {
    let mut child = env
        .command(&[&["generate"][..], args].concat())
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

/// Checks one refused run: exit 2, the file named, quick, under the memory limit.
fn assert_refused(env: &SimEnv, run: &Run, file: &Path) {
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

/// A crafted JPEG of the DC decoder's tests.
fn jpeg_fixture(name: &str) -> Vec<u8> {
    let path = in_checkout("crates/jpeg-dc/tests/crafted").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn crafted_pictures_exit_2_naming_the_file_with_nothing_sent() {
    let env = SimEnv::with_config(SimConfig::default()).await;
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
            crafted::jpeg_with_exif(&jpeg(320, 240, 77), &crafted::exif_loop()),
        ),
    ];
    for (name, bytes) in pictures {
        let file = env.write_file(name, &bytes);
        let shown = file.display().to_string();
        let run = generate(&env, &["-e", I2V, "-p", "a slow pan", "--image", &shown]);
        assert_refused(&env, &run, &file);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn crafted_videos_exit_2_naming_the_file_with_nothing_sent() {
    let env = SimEnv::with_config(SimConfig::default()).await;
    let clip = clip(320, 180, 24, 24);
    let videos = [
        ("nested_zero.mp4", crafted::mp4_nested_zero_box()),
        ("stsz_4gb.mp4", crafted::mp4_stsz_4gb(&clip)),
        ("truncated.mp4", crafted::mp4_truncated(&clip)),
        ("zero_in_stbl.mp4", crafted::mp4_zero_box_in_stbl(&clip)),
        ("stsc_zero.mp4", crafted::mp4_stsc_zero_samples(&clip)),
    ];
    for (name, bytes) in videos {
        let file = env.write_file(name, &bytes);
        let shown = file.display().to_string();
        let run = generate(
            &env,
            &[
                "-e",
                "fal-ai/veo3.1/extend-video",
                "-p",
                "keep going",
                "--video",
                &shown,
            ],
        );
        assert_refused(&env, &run, &file);
    }
}
