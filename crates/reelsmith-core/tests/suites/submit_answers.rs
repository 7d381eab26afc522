//! How one submit POST ends, over real loopback sockets: only 429, a refused or timed-out
//! connect and fal's ingress page are "not queued" (may be sent again); a read timeout, a
//! connection closed after the body, a 5xx with a request id and a 200 that cannot be read are
//! "unknown"; each against the simulator's knobs and against bare sockets.

use std::time::Duration;

use reelsmith_core::fal::{
    ApiKey, ClientOptions, FalClient, FalUrls, NotQueuedReason, RetryPolicy, SubmitAttempt,
};
use reelsmith_sim::{LostAnswer, Route, SimConfig, Simulator};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const T2V: &str = "fal-ai/veo3.1";

fn client(
    urls: FalUrls,
    key: &str,
    read_timeout: Duration,
    connect_timeout: Duration,
) -> FalClient {
    FalClient::new(urls, Some(ApiKey::new(key)))
        .unwrap()
        .with_retry(RetryPolicy::none())
        .with_options(ClientOptions {
            request_timeout: read_timeout,
            connect_timeout,
            ..ClientOptions::default()
        })
        .unwrap()
}

fn at(base: &str) -> FalUrls {
    FalUrls {
        queue: format!("{base}/queue"),
        rest: format!("{base}/rest"),
        openapi: String::new(),
        api: format!("{base}/api/v1"),
    }
}

async fn sim() -> Simulator {
    Simulator::start(SimConfig {
        queue_time: Duration::from_millis(100),
        run_time: Duration::from_millis(100),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn sim_client(sim: &Simulator) -> FalClient {
    client(
        sim.fal_urls(),
        &sim.key(),
        Duration::from_millis(600),
        Duration::from_secs(2),
    )
}

#[tokio::test]
async fn the_simulators_lost_answers_are_unknown_and_its_refusals_certain() {
    let sim = sim().await;
    let c = sim_client(&sim);
    let input = json!({"prompt": "a lighthouse"});

    // A gateway 504 page with no request id passes fal's own "never arrived" test whether or
    // not the job was queued behind it (here it was): the answer alone cannot tell, which is
    // why the engine reads the request history before it sends such a submit again.
    sim.lose_next_submit_answers(LostAnswer::GatewayTimeout, 1);
    assert!(matches!(
        c.submit_once(T2V, &input).await,
        SubmitAttempt::NotQueued {
            reason: NotQueuedReason::Ingress,
            ..
        }
    ));
    sim.fail_next_ingress(Route::Submit, 1, 504);
    assert!(matches!(
        c.submit_once(T2V, &input).await,
        SubmitAttempt::NotQueued {
            reason: NotQueuedReason::Ingress,
            ..
        }
    ));
    sim.lose_next_submit_answers(LostAnswer::CloseConnection, 1);
    let SubmitAttempt::Unknown(lost) = c.submit_once(T2V, &input).await else {
        panic!("a connection closed after the body is not certain")
    };
    assert!(lost.detail.contains("connection"), "{}", lost.detail);
    sim.lose_next_submit_answers(LostAnswer::Delay(Duration::from_secs(3)), 1);
    let SubmitAttempt::Unknown(lost) = c.submit_once(T2V, &input).await else {
        panic!("a read timeout is not certain")
    };
    assert!(lost.detail.contains("no answer"), "{}", lost.detail);
    sim.fail_next(Route::Submit, 1, 500);
    let SubmitAttempt::Unknown(lost) = c.submit_once(T2V, &input).await else {
        panic!("a 500 from fal's server is not certain")
    };
    assert!(
        lost.request_id.is_some(),
        "its x-fal-request-id is kept as a hint"
    );
    sim.fail_next(Route::Submit, 1, 429);
    assert!(matches!(
        c.submit_once(T2V, &input).await,
        SubmitAttempt::NotQueued {
            reason: NotQueuedReason::RateLimited,
            ..
        }
    ));
    sim.fail_next_user_timeout(Route::Submit, 1);
    assert!(matches!(
        c.submit_once(T2V, &input).await,
        SubmitAttempt::Refused(_)
    ));
    assert!(matches!(
        c.submit_once(T2V, &json!({"prompt": 5})).await,
        SubmitAttempt::Refused(_)
    ));
    assert!(matches!(
        c.submit_once(T2V, &input).await,
        SubmitAttempt::Accepted(_)
    ));
    // Three lost answers queued a job each, plus the one accepted: nothing was sent twice.
    assert_eq!(sim.submissions().len(), 4);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_connect_is_certain() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = client(
        at(&base),
        "k:s",
        Duration::from_secs(2),
        Duration::from_secs(2),
    );
    assert!(matches!(
        c.submit_once(T2V, &json!({"prompt": "x"})).await,
        SubmitAttempt::NotQueued {
            reason: NotQueuedReason::NoConnection,
            ..
        }
    ));
}

#[tokio::test]
async fn a_timed_out_connect_is_certain() {
    // A listener whose accept queue is full (backlog 0, never accepting): the next SYN gets
    // no answer, so the connect times out.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let _listener = socket.listen(0).unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let c = client(
        at(&format!("http://{addr}")),
        "k:s",
        Duration::from_secs(5),
        Duration::from_millis(300),
    );
    let attempt = c.submit_once(T2V, &json!({"prompt": "x"})).await;
    assert!(
        matches!(
            attempt,
            SubmitAttempt::NotQueued {
                reason: NotQueuedReason::NoConnection,
                ..
            }
        ),
        "{attempt:?}"
    );
}

/// A server that reads the request, then does `then` with the socket.
async fn bare_server(then: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut got = Vec::new();
                // Read until the JSON body's closing brace arrived.
                while !got.ends_with(b"}") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                match then {
                    "close" => drop(sock),
                    "garbage" => {
                        let body = b"<html>hello</html>";
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n",
                            body.len()
                        );
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(body).await;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    _ => tokio::time::sleep(Duration::from_secs(10)).await,
                }
            });
        }
    });
    base
}

#[tokio::test]
async fn a_closed_connection_a_silent_server_and_an_unreadable_200_are_unknown() {
    for (then, want) in [
        ("close", "connection"),
        ("silent", "no answer"),
        ("garbage", "cannot be read"),
    ] {
        let base = bare_server(then).await;
        let c = client(
            at(&base),
            "k:s",
            Duration::from_millis(500),
            Duration::from_secs(2),
        );
        match c.submit_once(T2V, &json!({"prompt": "x"})).await {
            SubmitAttempt::Unknown(lost) => {
                assert!(lost.detail.contains(want), "{then}: {}", lost.detail)
            }
            other => panic!("{then}: {other:?}"),
        }
    }
}
