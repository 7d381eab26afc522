//! `reelsmith simulate`: the simulator on its own, as a command. It prints the URLs and key to
//! use, serves them, and stops on Ctrl+C (a signal, so Unix only).

#![cfg(unix)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

mod support;
use support::cli_env::CliEnv;
use support::inputs::png;
use support::run::Reelsmith;

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// Kills the child on drop, so a failing test leaves no process behind.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `reelsmith simulate ARGS`; returns it and the lines it printed up to
/// "Serving until Ctrl+C."
async fn simulate(args: &[&str]) -> (ChildGuard, Vec<String>) {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let child = Command::new(env!("CARGO_BIN_EXE_reelsmith"))
        .arg("simulate")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn reelsmith simulate");
    let mut guard = ChildGuard(child);
    let stdout = guard.0.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.expect("utf-8 line");
            let done = line.starts_with("Serving until");
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    });
    let lines = tokio::time::timeout(Duration::from_secs(30), lines)
        .await
        .expect("banner within 30 s")
        .expect("reader");
    (guard, lines)
}

/// `reelsmith simulate` with quick jobs and short clips, and `extra` arguments.
async fn start_simulate(extra: &[&str]) -> (ChildGuard, Vec<String>) {
    let quick = ["--port", "0", "--queue-seconds", "0.1"];
    let short = ["--run-seconds", "0.1", "--max-clip-seconds", "0.2"];
    simulate(&[&quick[..], &short[..], extra].concat()).await
}

/// What the banner's `export NAME=VALUE` line gives `name`.
fn value_of(lines: &[String], name: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(&format!("export {name}=")))
        .unwrap_or_else(|| panic!("{name} not printed in {lines:?}"))
        .to_string()
}

#[tokio::test]
async fn the_simulate_command_prints_its_urls_and_stops_on_ctrl_c() {
    let (mut guard, lines) = start_simulate(&[]).await;
    let value_of = |name: &str| value_of(&lines, name);
    let queue = value_of("REELSMITH_QUEUE_URL");
    let openapi = value_of("REELSMITH_OPENAPI_URL");
    let key = value_of("FAL_KEY");
    assert!(queue.starts_with("http://127.0.0.1:") && queue.ends_with("/queue"));
    assert!(value_of("REELSMITH_REST_URL").ends_with("/rest"));

    let client = http();
    let submitted = client
        .post(format!("{queue}/fal-ai/veo3.1"))
        .header("Authorization", format!("Key {key}"))
        .json(&json!({"prompt": "from the command line"}))
        .send()
        .await
        .expect("submit");
    assert_eq!(submitted.status(), StatusCode::OK);
    let doc = client
        .get(format!("{openapi}?endpoint_id=fal-ai/veo3.1"))
        .send()
        .await
        .expect("openapi");
    assert_eq!(doc.status(), StatusCode::OK);

    let pid = guard.0.id() as libc::pid_t;
    // SAFETY: sending a signal to our own child process, which is still alive here.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = guard.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "simulate did not stop on SIGINT");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
    assert!(client.get(&openapi).send().await.is_err(), "still serving");
}

/// `reelsmith generate` with a local photo against `reelsmith simulate --one-origin`: queue,
/// storage, upload URLs and CDN on one origin. The simulator refuses `Authorization` on the
/// upload URL and the CDN, so the job finishing proves the key went with the calls only.
#[tokio::test]
async fn generate_works_against_a_one_origin_simulator() {
    let (_guard, lines) = start_simulate(&["--one-origin"]).await;
    let queue = value_of(&lines, "REELSMITH_QUEUE_URL");
    let rest = value_of(&lines, "REELSMITH_REST_URL");
    assert_eq!(queue, rest, "one origin, at its root");
    assert!(!queue.ends_with("/queue"), "{queue}");
    let env = CliEnv::new();
    let photo = png(&env.file("photo.png"), 1280, 720, 77);
    let out = env
        .command(&[
            "generate",
            "-e",
            "fal-ai/veo3.1/image-to-video",
            "-p",
            "dolly in",
        ])
        .args(["--image", &photo])
        .env("REELSMITH_QUEUE_URL", queue)
        .env("REELSMITH_REST_URL", rest)
        .env(
            "REELSMITH_OPENAPI_URL",
            value_of(&lines, "REELSMITH_OPENAPI_URL"),
        )
        .env("REELSMITH_API_URL", value_of(&lines, "REELSMITH_API_URL"))
        .env("FAL_KEY", value_of(&lines, "FAL_KEY"))
        .output()
        .expect("reelsmith generate runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Using FAL_KEY from the environment for http://127.0.0.1:"),
        "{stderr}"
    );
    let video = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(std::path::Path::new(&video).exists(), "{video}");
}

#[tokio::test]
async fn the_simulate_command_can_lose_submit_answers_and_list_the_request_history() {
    let (_guard, lines) = simulate(&["--port", "0", "--lose-submit-answers", "gateway-504"]).await;
    let value_of = |name: &str| value_of(&lines, name);
    let (queue, api, key) = (
        value_of("REELSMITH_QUEUE_URL"),
        value_of("REELSMITH_API_URL"),
        value_of("FAL_KEY"),
    );
    let client = http();
    let lost = client
        .post(format!("{queue}/fal-ai/veo3.1"))
        .header("Authorization", format!("Key {key}"))
        .json(&json!({"prompt": "lost on the way back"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(lost.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(lost.headers().get("x-fal-request-id").is_none());
    let listed: serde_json::Value = client
        .get(format!(
            "{api}/models/requests/by-endpoint?endpoint_id=fal-ai/veo3.1&expand=payloads"
        ))
        .header("Authorization", format!("Key {key}"))
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("history json");
    assert_eq!(
        listed["items"][0]["json_input"]["prompt"], "lost on the way back",
        "{listed}"
    );
}

#[tokio::test]
async fn the_simulate_command_serves_prices_and_refuses_usage_to_an_api_scope_key() {
    let (_guard, lines) = simulate(&[
        "--port",
        "0",
        "--key-scope",
        "api",
        "--deprecate",
        "fal-ai/veo3.1/extend-video",
    ])
    .await;
    let value_of = |name: &str| value_of(&lines, name);
    let api = value_of("REELSMITH_API_URL");
    let key = format!("Key {}", value_of("FAL_KEY"));
    let client = http();
    let get = |path: String| {
        client
            .get(format!("{api}/{path}"))
            .header("Authorization", &key)
            .send()
    };
    let prices = get("models/pricing?endpoint_id=fal-ai/veo3.1".into())
        .await
        .expect("pricing");
    assert_eq!(prices.status(), StatusCode::OK);
    let body: serde_json::Value = prices.json().await.unwrap();
    assert_eq!(body["prices"][0]["unit_price"], 0.4);
    let usage = get("models/usage?expand=summary".into())
        .await
        .expect("usage");
    assert_eq!(usage.status(), StatusCode::FORBIDDEN);
    let found = get("models?endpoint_id=fal-ai/veo3.1/extend-video".into())
        .await
        .expect("catalog");
    let body: serde_json::Value = found.json().await.unwrap();
    assert_eq!(body["models"][0]["metadata"]["status"], "deprecated");
}
