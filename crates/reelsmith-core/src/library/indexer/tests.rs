use std::time::Instant;

use super::*;
use crate::library::search::{LibraryIndex, LibraryQuery};
use crate::library::sidecar::{SIDECAR_FORMAT, SidecarTimings};

/// Writes `<name>.mp4` and its sidecar into `dir`.
pub(crate) fn add_video(dir: &Path, name: &str, prompt: &str) {
    std::fs::write(dir.join(format!("{name}.mp4")), b"video").unwrap();
    Sidecar {
        format: SIDECAR_FORMAT.into(),
        job_id: format!("job-{name}"),
        endpoint_id: "fal-ai/veo3.1".into(),
        request_id: None,
        prompt: prompt.into(),
        input: serde_json::json!({"prompt": prompt, "duration": "8s", "generate_audio": true}),
        references: vec![],
        seed: Some(1),
        file: format!("{name}.mp4"),
        file_size: 5,
        blake3: "h".into(),
        video_url: None,
        result: None,
        cost: Default::default(),
        timings: SidecarTimings::default(),
        simulated: true,
    }
    .write(&dir.join(format!("{name}.json")))
    .unwrap();
}

/// Applies events to `index` until `done(index)` holds (or 10 s pass); returns every event seen.
fn pump(
    rx: &Receiver<IndexEvent>,
    index: &mut LibraryIndex,
    done: impl Fn(&LibraryIndex, &[IndexEvent]) -> bool,
) -> Vec<IndexEvent> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while !done(index, &seen) {
        assert!(
            Instant::now() < deadline,
            "gave up waiting; events: {seen:?}"
        );
        let Ok(event) = rx.recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        match &event {
            IndexEvent::Upserted(entries) => entries.iter().for_each(|e| index.upsert(e.clone())),
            IndexEvent::Removed(jobs) => jobs.iter().for_each(|j| {
                index.remove(j);
            }),
            _ => {}
        }
        seen.push(event);
    }
    seen
}

fn has(index: &LibraryIndex, job: &str) -> bool {
    index.get(job).is_some()
}

#[test]
fn a_copied_in_folder_is_indexed_in_the_background_and_changes_follow() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    for i in 0..30 {
        add_video(&lib, &format!("v{i:02}"), &format!("prompt {i}"));
    }
    std::fs::write(
        lib.join("cut.json"),
        b"{\"format\": \"reelsmith.sidecar/1\", \"job",
    )
    .unwrap();
    let journal = Arc::new(Journal::open_in(&dir.path().join("data")).unwrap());
    journal
        .set_marks(
            "job-v03",
            crate::store::Marks {
                favourite: true,
                rejected: false,
            },
        )
        .unwrap();
    let options = IndexerOptions {
        rescan_every: Duration::from_secs(3600),
        ..Default::default()
    };
    let (indexer, rx) = Indexer::start(lib.clone(), Some(journal.clone()), options);
    let mut index = LibraryIndex::new();
    let events = pump(&rx, &mut index, |_, seen| {
        seen.iter()
            .any(|e| matches!(e, IndexEvent::ScanFinished { .. }))
    });
    assert_eq!(index.len(), 30);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, IndexEvent::Skipped(p, _) if p.ends_with("cut.json")))
    );
    assert_eq!(
        indexer.progress(),
        IndexProgress {
            done: 31,
            total: 31,
            running: false
        }
    );
    assert_eq!(journal.library_items().unwrap().len(), 30);
    assert!(index.get("job-v03").unwrap().marks.favourite);
    assert_eq!(index.get("job-v00").unwrap().duration_s, Some(8.0));
    assert!(index.get("job-v00").unwrap().cost_usd.is_some());

    // Added and removed outside the app: the watcher notices without waiting for a rescan.
    add_video(&lib, "new", "arrived later");
    std::fs::remove_file(lib.join("v05.mp4")).unwrap();
    pump(&rx, &mut index, |i, _| {
        has(i, "job-new") && !has(i, "job-v05")
    });
    assert_eq!(index.len(), 30);
    let q = LibraryQuery {
        text: "later".into(),
        ..Default::default()
    };
    assert_eq!(index.query(&q).len(), 1);
    assert!(
        journal
            .library_items()
            .unwrap()
            .iter()
            .all(|i| i.job_id != "job-v05")
    );

    // A sidecar deleted takes its video out too.
    std::fs::remove_file(lib.join("v06.json")).unwrap();
    pump(&rx, &mut index, |i, _| !has(i, "job-v06"));

    // The library moved: follow it to the new folder.
    let moved = dir.path().join("moved");
    std::fs::rename(&lib, &moved).unwrap();
    indexer.set_folder(moved.clone());
    add_video(&moved, "after-move", "in the new place");
    pump(&rx, &mut index, |i, _| {
        has(i, "job-after-move") && i.entries().all(|e| e.item.path.starts_with(&moved))
    });
    assert_eq!(indexer.folder(), moved);
    // 30 at first, v05 and v06 left, "new" and "after-move" came.
    assert_eq!(index.len(), 30);
    let items = journal.library_items().unwrap();
    assert_eq!(items.len(), 30);
    assert!(items.iter().all(|i| i.path.starts_with(&moved)));
}

#[test]
fn without_events_the_periodic_rescan_keeps_up() {
    let dir = tempfile::tempdir().unwrap();
    add_video(dir.path(), "a", "first");
    let options = IndexerOptions {
        rescan_every: Duration::from_millis(100),
        watch: false,
        ..Default::default()
    };
    let (_indexer, rx) = Indexer::start(dir.path().to_path_buf(), None, options);
    let mut index = LibraryIndex::new();
    pump(&rx, &mut index, |i, _| has(i, "job-a"));
    // The video arrives after its sidecar (a slow copy): it is picked up once it is there.
    std::fs::write(dir.path().join("b.json"), b"").unwrap();
    add_video(dir.path(), "b", "second");
    std::fs::remove_file(dir.path().join("a.mp4")).unwrap();
    pump(&rx, &mut index, |i, _| has(i, "job-b") && !has(i, "job-a"));
}

#[test]
fn a_vanished_folder_keeps_its_videos_listed_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    add_video(&lib, "a", "first");
    let options = IndexerOptions {
        rescan_every: Duration::from_millis(100),
        watch: false,
        ..Default::default()
    };
    let (_indexer, rx) = Indexer::start(lib.clone(), None, options);
    let mut index = LibraryIndex::new();
    pump(&rx, &mut index, |i, _| has(i, "job-a"));
    std::fs::rename(&lib, dir.path().join("elsewhere")).unwrap();
    pump(&rx, &mut index, |_, seen| {
        seen.iter()
            .any(|e| matches!(e, IndexEvent::FolderMissing(p) if p == &lib))
    });
    assert!(has(&index, "job-a"));
}
