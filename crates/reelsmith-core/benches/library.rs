//! Library benchmark (issue #15): indexing a folder of 10,000 sidecars in the background, and a
//! search keystroke over 10,000 prompts. Run with `cargo bench -p reelsmith-core --bench library` (release).
//!
//! Reference from the issue: rebuilding the index from 5,000 sidecars blocked the first frame
//! for 1.4–1.7 s; the target for a keystroke is under 5 ms.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reelsmith_core::library::indexer::{IndexEvent, Indexer, IndexerOptions};
use reelsmith_core::library::sidecar::{SIDECAR_FORMAT, SidecarTimings};
use reelsmith_core::library::{LibraryIndex, LibraryQuery, Sidecar, SortKey, rebuild_index};
use reelsmith_core::store::Journal;

const VIDEOS: usize = 10_000;

const WORDS: [&str; 32] = [
    "red",
    "fox",
    "walking",
    "through",
    "snow",
    "golden",
    "hour",
    "slow",
    "dolly",
    "shot",
    "owl",
    "night",
    "forest",
    "city",
    "neon",
    "rain",
    "drone",
    "ocean",
    "waves",
    "portrait",
    "close",
    "up",
    "cinematic",
    "wide",
    "angle",
    "macro",
    "flower",
    "bloom",
    "desert",
    "wind",
    "mountain",
    "sunrise",
];

/// A prompt of 15–30 words picked by a small deterministic generator.
fn prompt(i: usize) -> String {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let n = 15 + (i % 16);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            WORDS[(x % WORDS.len() as u64) as usize]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn make_library(dir: &Path) {
    for i in 0..VIDEOS {
        let name = format!("clip-{i:05}");
        std::fs::write(dir.join(format!("{name}.mp4")), b"not really a video").unwrap();
        let endpoint = [
            "fal-ai/veo3.1",
            "fal-ai/veo3.1/image-to-video",
            "fal-ai/kling-video/o1/standard/reference-to-video",
        ][i % 3];
        let duration = ["4s", "6s", "8s"][i % 3];
        let sidecar = Sidecar {
            format: SIDECAR_FORMAT.into(),
            job_id: format!("job{i:05}"),
            endpoint_id: endpoint.into(),
            request_id: Some(format!("req-{i}")),
            prompt: prompt(i),
            input: serde_json::json!({"prompt": prompt(i), "duration": duration}),
            references: vec![],
            seed: Some(i as i64),
            file: format!("{name}.mp4"),
            file_size: 18,
            blake3: "0".repeat(64),
            video_url: None,
            result: None,
            cost: Default::default(),
            timings: SidecarTimings::default(),
            simulated: true,
        };
        let text = serde_json::to_vec_pretty(&sidecar).unwrap();
        std::fs::write(dir.join(format!("{name}.json")), text).unwrap();
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    make_library(&lib);
    println!("library benchmark: {VIDEOS} videos with sidecars");

    // The background indexer with a journal (what the window runs at start).
    let journal = Arc::new(Journal::open_in(&dir.path().join("data")).unwrap());
    let options = IndexerOptions {
        watch: false,
        rescan_every: Duration::from_secs(3600),
        ..Default::default()
    };
    let started = Instant::now();
    let (indexer, rx) = Indexer::start(lib.clone(), Some(journal), options.clone());
    let returned = started.elapsed();
    let mut index = LibraryIndex::new();
    let mut first_batch = None;
    loop {
        match rx.recv().unwrap() {
            IndexEvent::Upserted(entries) => {
                first_batch.get_or_insert_with(|| started.elapsed());
                entries.into_iter().for_each(|e| index.upsert(e));
            }
            IndexEvent::ScanFinished { .. } => break,
            _ => {}
        }
    }
    let total = started.elapsed();
    println!(
        "  indexer: start() returned in {} (the caller never waits); first videos after {}; \
         all {} in {} = {:.0} sidecars/s (with the journal index written)",
        ms(returned),
        ms(first_batch.unwrap_or_default()),
        index.len(),
        ms(total),
        index.len() as f64 / total.as_secs_f64()
    );
    drop(indexer);

    let started = Instant::now();
    let (indexer, rx) = Indexer::start(lib.clone(), None, options);
    let mut n = 0;
    loop {
        match rx.recv().unwrap() {
            IndexEvent::Upserted(entries) => n += entries.len(),
            IndexEvent::ScanFinished { .. } => break,
            _ => {}
        }
    }
    let total = started.elapsed();
    println!(
        "  indexer without a journal: {n} in {} = {:.0} sidecars/s",
        ms(total),
        n as f64 / total.as_secs_f64()
    );
    // A rescan of an unchanged folder (what the periodic fallback costs).
    let started = Instant::now();
    indexer.rescan();
    while !matches!(rx.recv().unwrap(), IndexEvent::ScanFinished { .. }) {}
    println!(
        "  rescan of the unchanged folder: {}",
        ms(started.elapsed())
    );
    drop(indexer);

    // Today's synchronous rebuild into the journal, for comparison.
    let fresh = Journal::open_in(&dir.path().join("data2")).unwrap();
    let started = Instant::now();
    let report = rebuild_index(&fresh, std::slice::from_ref(&lib)).unwrap();
    println!(
        "  old rebuild_index (blocking, for comparison): {} in {} (issue: 5,000 blocked the first frame 1.4–1.7 s)",
        report.indexed,
        ms(started.elapsed())
    );

    // Keystrokes: the search box filled one character at a time, several sorts and filters.
    let typed = "fox walking snow golden";
    let mut times = Vec::new();
    for round in 0..5 {
        for end in 1..=typed.len() {
            let query = LibraryQuery {
                text: typed[..end].to_string(),
                sort: [
                    SortKey::Date,
                    SortKey::Cost,
                    SortKey::Duration,
                    SortKey::Endpoint,
                    SortKey::Date,
                ][round],
                hide_rejected: round % 2 == 1,
                ..Default::default()
            };
            let t = Instant::now();
            let hits = index.query(&query);
            std::hint::black_box(hits.len());
            times.push(t.elapsed());
        }
    }
    // The empty search (all 10,000, sorted) is the worst case: it is the gallery's first view.
    for _ in 0..20 {
        let t = Instant::now();
        std::hint::black_box(index.query(&LibraryQuery::default()).len());
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "  search keystroke over {} prompts ({} queries): p50 {}, p95 {}, max {} (target < 5 ms)",
        index.len(),
        times.len(),
        ms(pct(&times, 0.5)),
        ms(pct(&times, 0.95)),
        ms(*times.last().unwrap())
    );
}
