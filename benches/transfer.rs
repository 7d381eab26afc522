//! Transfer benchmark: a 1 GiB upload and download through the fal client against the
//! in-process simulator, then the same with `curl` against the same server.
//!
//! Run with `cargo bench --bench transfer` (not part of CI). The client runs in a child process
//! (this binary re-executed with `--client-child`) so that its peak memory can be measured on
//! its own. Targets: client throughput ≥ 80 % of curl's, peak memory growth < 64 MiB.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use reelsmith_core::fal::{ApiKey, ClientOptions, FalClient, FalUrls};
use reelsmith_sim::{SimConfig, Simulator};

const SIZE: u64 = 1024 * 1024 * 1024;
const MIB: f64 = 1024.0 * 1024.0;
const CHILD_FLAG: &str = "--client-child";
/// Each transfer runs this many times and the best time counts (the machine is shared).
const ROUNDS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == CHILD_FLAG) {
        let rest = &args[pos + 1..];
        if rest.len() != 5 {
            eprintln!("usage: {CHILD_FLAG} QUEUE_URL REST_URL KEY FILE DEST");
            std::process::exit(2);
        }
        client_child(
            &rest[0],
            &rest[1],
            &rest[2],
            Path::new(&rest[3]),
            Path::new(&rest[4]),
        );
        return;
    }
    // `cargo bench` passes `--bench`; anything else (e.g. a name filter) is ignored.
    parent();
}

/// `(VmRSS, VmHWM)` of this process in bytes, from `/proc/self/status`.
fn rss_and_peak() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The child: uploads FILE twice (fal's multipart flow, as the client does above 90 MiB, then
/// one streamed PUT like curl's) and downloads it back to DEST, then prints one line
/// `multipart_secs single_put_secs download_secs start_rss peak_rss`.
fn client_child(queue: &str, rest: &str, key: &str, file: &Path, dest: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let urls = FalUrls {
        queue: queue.into(),
        rest: rest.into(),
        openapi: String::new(),
        api: String::new(),
    };
    let client = FalClient::new(urls, Some(ApiKey::new(key))).unwrap();
    let single = client
        .clone()
        .with_options(ClientOptions {
            multipart_threshold: u64::MAX,
            ..ClientOptions::default()
        })
        .unwrap();
    let (start_rss, _) = rss_and_peak();
    let (mut multi_secs, mut single_secs, mut down_secs) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        runtime.block_on(async {
            flush_disk();
            let t = Instant::now();
            let up = client.upload_file(file, |_, _| {}).await.unwrap();
            multi_secs = multi_secs.min(t.elapsed().as_secs_f64());
            flush_disk();
            let t = Instant::now();
            let up_single = single.upload_file(file, |_, _| {}).await.unwrap();
            single_secs = single_secs.min(t.elapsed().as_secs_f64());
            assert_eq!((up.size, up_single.size), (SIZE, SIZE));
            flush_disk();
            let t = Instant::now();
            let n = client
                .download(&up_single.url, dest, Some(up_single.size), |_, _| {})
                .await
                .unwrap();
            down_secs = down_secs.min(t.elapsed().as_secs_f64());
            assert_eq!(n, SIZE);
            std::fs::remove_file(dest).unwrap();
        });
    }
    let (_, peak) = rss_and_peak();
    println!("{multi_secs} {single_secs} {down_secs} {start_rss} {peak}");
}

/// Writes all dirty pages out, so that one phase's writeback does not slow the next one down.
fn flush_disk() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// 1 GiB of incompressible bytes, written in 8 MiB blocks that each differ.
fn make_big_file(path: &Path) {
    let mut block = vec![0u8; 8 * 1024 * 1024];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for chunk in block.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..(SIZE / block.len() as u64) {
        block[..8].copy_from_slice(&i.to_le_bytes());
        out.write_all(&block).unwrap();
    }
    out.flush().unwrap();
}

fn curl(args: &[&str]) -> (f64, String) {
    let t = Instant::now();
    let out = Command::new("curl")
        .args(["-sS", "--fail"])
        .args(args)
        .output()
        .expect("curl runs");
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (secs, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One curl upload and download; returns (PUT secs, GET secs, GET + fsync secs).
fn curl_round(sim: &Simulator, source: &Path, curl_dest: &Path) -> (f64, f64, f64) {
    let init_url = format!(
        "{}/storage/upload/initiate?storage_type=fal-cdn-v3",
        sim.rest_url()
    );
    let (_, body) = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Authorization: Key {}", sim.key()),
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"content_type":"application/octet-stream","file_name":"source.bin"}"#,
        &init_url,
    ]);
    let init: serde_json::Value = serde_json::from_str(&body).unwrap();
    let upload_url = init["upload_url"].as_str().unwrap();
    let file_url = init["file_url"].as_str().unwrap();
    let source_arg = source.to_string_lossy().into_owned();
    flush_disk();
    let (up, _) = curl(&[
        "--upload-file",
        &source_arg,
        "-H",
        "Content-Type: application/octet-stream",
        "-o",
        "/dev/null",
        upload_url,
    ]);
    let curl_dest_arg = curl_dest.to_string_lossy().into_owned();
    flush_disk();
    let (get, _) = curl(&["-o", &curl_dest_arg, file_url]);
    assert_eq!(std::fs::metadata(curl_dest).unwrap().len(), SIZE);
    // The client makes its download durable before renaming it; time curl's copy the same way.
    let t = Instant::now();
    std::fs::File::open(curl_dest).unwrap().sync_all().unwrap();
    let down = get + t.elapsed().as_secs_f64();
    std::fs::remove_file(curl_dest).unwrap();
    (up, get, down)
}

fn parent() {
    let work = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime
        .block_on(Simulator::start(SimConfig {
            storage_dir: Some(work.path().join("sim-storage")),
            ..SimConfig::default()
        }))
        .unwrap();
    let source = work.path().join("source.bin");
    let t = Instant::now();
    make_big_file(&source);
    println!("made a 1 GiB file in {:.1} s", t.elapsed().as_secs_f64());

    // The client, in a child process so its memory is its own.
    let dest = work.path().join("client-copy.bin");
    let out = Command::new(std::env::current_exe().unwrap())
        .arg(CHILD_FLAG)
        .args([&sim.queue_url(), &sim.rest_url(), &sim.key()])
        .arg(&source)
        .arg(&dest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "client child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let v: Vec<f64> = line
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let (client_multi, client_up, client_down, start_rss, peak) = (v[0], v[1], v[2], v[3], v[4]);

    // curl against the same server: initiate (not timed), PUT, then GET of the CDN URL.
    let (mut curl_up, mut curl_get, mut curl_down) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        let (up, get, down) = curl_round(&sim, &source, &work.path().join("curl-copy.bin"));
        curl_up = curl_up.min(up);
        curl_get = curl_get.min(get);
        curl_down = curl_down.min(down);
    }

    let mib = SIZE as f64 / MIB;
    let rate = |secs: f64| mib / secs;
    let growth = (peak - start_rss).max(0.0) / MIB;
    println!();
    println!("transfer of 1 GiB over loopback to the simulator (best of {ROUNDS})");
    println!(
        "{:<10} {:>14} {:>14} {:>10} {:>8}",
        "", "client MiB/s", "curl MiB/s", "ratio", "target"
    );
    for (what, c, k) in [
        ("upload", client_up, curl_up),
        ("download", client_down, curl_down),
    ] {
        let ratio = rate(c) / rate(k);
        println!(
            "{:<10} {:>14.0} {:>14.0} {:>9.0}% {:>8} {}",
            what,
            rate(c),
            rate(k),
            ratio * 100.0,
            "≥ 80%",
            if ratio >= 0.8 { "ok" } else { "BELOW TARGET" }
        );
    }
    println!(
        "client peak memory growth: {growth:.1} MiB (VmHWM {:.1} MiB - starting VmRSS {:.1} MiB); target < 64 MiB {}",
        peak / MIB,
        start_rss / MIB,
        if growth < 64.0 { "ok" } else { "ABOVE TARGET" }
    );
    println!(
        "client upload with fal's multipart flow (10 MiB parts, what it does above 90 MiB): {:.0} MiB/s \
         ({:.0}% of curl's single PUT; the simulator also joins the parts on complete)",
        rate(client_multi),
        rate(client_multi) / rate(curl_up) * 100.0
    );
    println!(
        "download times include an fsync of the file for both (curl alone, without it: {:.0} MiB/s)",
        rate(curl_get)
    );

    runtime.block_on(sim.shutdown());
    // The 1 GiB files go with the temporary directory.
    drop(work);
}
