use super::*;
use chrono::TimeZone;

fn entry(
    job: &str,
    endpoint: &str,
    prompt: &str,
    day: u32,
    dur: Option<f64>,
    cost: Option<f64>,
) -> IndexEntry {
    let at = Utc.with_ymd_and_hms(2026, 1, day, 12, 0, 0).unwrap();
    IndexEntry {
        item: LibraryItem {
            job_id: job.into(),
            path: PathBuf::from(format!("/lib/{job}.mp4")),
            sidecar: PathBuf::from(format!("/lib/{job}.json")),
            endpoint_id: endpoint.into(),
            prompt: prompt.into(),
            request_id: None,
            seed: Some(day as i64 * 1000 + 7),
            size: 1,
            blake3: "h".into(),
            created_at: at,
            finished_at: at,
        },
        duration_s: dur,
        cost_usd: cost,
        marks: Marks::default(),
    }
}

fn ids(hits: &[&IndexEntry]) -> Vec<String> {
    hits.iter().map(|e| e.item.job_id.clone()).collect()
}

fn sample() -> LibraryIndex {
    let mut index = LibraryIndex::new();
    index.upsert(entry(
        "a",
        "fal-ai/veo3.1",
        "A red Fox in snow",
        1,
        Some(8.0),
        Some(3.2),
    ));
    index.upsert(entry(
        "b",
        "fal-ai/kling",
        "a blue whale",
        2,
        Some(5.0),
        None,
    ));
    index.upsert(entry(
        "c",
        "fal-ai/veo3.1",
        "fox cubs at dusk",
        3,
        None,
        Some(1.6),
    ));
    index
}

#[test]
fn search_matches_every_word_in_prompt_endpoint_or_seed() {
    let index = sample();
    let q = |text: &str| LibraryQuery {
        text: text.into(),
        ..Default::default()
    };
    assert_eq!(ids(&index.query(&q("FOX"))), ["c", "a"]);
    assert_eq!(ids(&index.query(&q("fox snow"))), ["a"]);
    assert_eq!(ids(&index.query(&q("kling"))), ["b"]);
    assert_eq!(ids(&index.query(&q("2007"))), ["b"]);
    assert!(index.query(&q("giraffe")).is_empty());
    assert_eq!(index.query(&q("")).len(), 3);
}

#[test]
fn filters_and_marks() {
    let mut index = sample();
    assert!(index.set_marks(
        "a",
        Marks {
            favourite: true,
            rejected: false
        }
    ));
    assert!(index.set_marks(
        "b",
        Marks {
            favourite: false,
            rejected: true
        }
    ));
    assert!(!index.set_marks("zzz", Marks::default()));
    let fav = LibraryQuery {
        favourites_only: true,
        ..Default::default()
    };
    assert_eq!(ids(&index.query(&fav)), ["a"]);
    let kept = LibraryQuery {
        hide_rejected: true,
        ..Default::default()
    };
    assert_eq!(ids(&index.query(&kept)), ["c", "a"]);
    let veo = LibraryQuery {
        endpoint: Some("fal-ai/veo3.1".into()),
        ..Default::default()
    };
    assert_eq!(ids(&index.query(&veo)), ["c", "a"]);
    assert_eq!(index.endpoints(), ["fal-ai/kling", "fal-ai/veo3.1"]);
    // A re-indexed entry (from its sidecar, no marks) keeps the marks it had.
    index.upsert(entry(
        "a",
        "fal-ai/veo3.1",
        "A red Fox in snow",
        1,
        Some(8.0),
        Some(3.2),
    ));
    assert!(index.get("a").unwrap().marks.favourite);
}

#[test]
fn sorts_with_unknown_values_last() {
    let index = sample();
    let by = |sort, ascending| LibraryQuery {
        sort,
        ascending,
        ..Default::default()
    };
    assert_eq!(
        ids(&index.query(&by(SortKey::Date, false))),
        ["c", "b", "a"]
    );
    assert_eq!(ids(&index.query(&by(SortKey::Date, true))), ["a", "b", "c"]);
    assert_eq!(
        ids(&index.query(&by(SortKey::Duration, false))),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(&index.query(&by(SortKey::Duration, true))),
        ["b", "a", "c"]
    );
    assert_eq!(
        ids(&index.query(&by(SortKey::Cost, false))),
        ["a", "c", "b"]
    );
    assert_eq!(ids(&index.query(&by(SortKey::Cost, true))), ["c", "a", "b"]);
    assert_eq!(
        ids(&index.query(&by(SortKey::Endpoint, true))),
        ["b", "a", "c"]
    );
}

#[test]
fn incremental_updates_keep_paths_unique() {
    let mut index = sample();
    // Another job's video now at a's path replaces a.
    let mut moved = entry("d", "fal-ai/veo3.1", "new", 4, None, None);
    moved.item.path = PathBuf::from("/lib/a.mp4");
    index.upsert(moved);
    assert!(index.get("a").is_none());
    assert_eq!(index.len(), 3);
    assert_eq!(
        index
            .remove_path(Path::new("/lib/a.mp4"))
            .unwrap()
            .item
            .job_id,
        "d"
    );
    assert!(index.remove("b").is_some());
    assert_eq!(ids(&index.query(&LibraryQuery::default())), ["c"]);
    assert!(index.get("c").is_some());
}

#[test]
fn the_endpoint_list_follows_replacements_and_removals() {
    let mut index = sample();
    assert_eq!(index.endpoints(), ["fal-ai/kling", "fal-ai/veo3.1"]);
    // b's video re-read under another endpoint: kling has none left.
    index.upsert(entry("b", "fal-ai/wan", "a blue whale", 2, None, None));
    assert_eq!(index.endpoints(), ["fal-ai/veo3.1", "fal-ai/wan"]);
    // One of veo's two goes: veo stays; the second goes: veo leaves the list.
    index.remove("a");
    assert_eq!(index.endpoints(), ["fal-ai/veo3.1", "fal-ai/wan"]);
    index.remove_path(Path::new("/lib/c.mp4"));
    assert_eq!(index.endpoints(), ["fal-ai/wan"]);
    // A video taking another's path replaces it, endpoint and all.
    let mut moved = entry("d", "fal-ai/kling", "new", 4, None, None);
    moved.item.path = PathBuf::from("/lib/b.mp4");
    index.upsert(moved);
    assert_eq!(index.endpoints(), ["fal-ai/kling"]);
    index.remove("d");
    assert!(index.endpoints().is_empty());
}
