//! A real SQLite journal with a damaged page: the jobs that still read (every one fal has,
//! with its request id) are carried into a new journal before the damaged file is set aside.

use std::collections::HashMap;
use std::io::{Seek, SeekFrom, Write};

use reelsmith_core::jobs::{Job, JobLog, JobState};
use reelsmith_core::store::{JOURNAL_FILE, Journal, open_journal};

/// Jobs with enough log text that the table spans many pages.
fn fill(journal: &Journal, count: usize) -> Vec<Job> {
    let mut jobs = Vec::new();
    for n in 0..count {
        let mut job = Job::new(
            "fal-ai/veo3.1/image-to-video",
            &format!("job {n}"),
            serde_json::json!({"values": {}}),
        );
        for line in 0..6 {
            job.push_log(JobLog {
                message: format!("job {n} line {line} {}", "x".repeat(200)),
                level: None,
                timestamp: None,
            });
        }
        job.request_id = Some(format!("req-{n:03}"));
        job.set_state(if n % 3 == 0 {
            JobState::Done
        } else {
            JobState::InQueue
        });
        journal.save_job(&job).unwrap();
        jobs.push(job);
    }
    jobs
}

fn page_size(path: &std::path::Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let raw = u16::from_be_bytes([bytes[16], bytes[17]]) as u64;
    if raw == 1 { 65536 } else { raw }
}

#[test]
fn the_readable_jobs_of_a_damaged_journal_are_carried_before_it_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(JOURNAL_FILE);
    let original = {
        let journal = Journal::open(&path).unwrap();
        fill(&journal, 60)
    };
    // Closed: the WAL is checkpointed into the file. Now one page in the middle is garbage.
    let size = std::fs::metadata(&path).unwrap().len();
    let page = page_size(&path);
    let pages = size / page;
    assert!(pages > 20, "the table spans many pages ({pages})");
    let victim = pages / 2;
    let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.seek(SeekFrom::Start(victim * page)).unwrap();
    file.write_all(&vec![0xA5; page as usize]).unwrap();
    file.sync_all().unwrap();
    drop(file);
    let damaged_bytes = std::fs::read(&path).unwrap();

    let opened = open_journal(dir.path(), &[]).unwrap();
    let journal = &opened.journal;
    let recovery = journal.recovery().expect("the damage was noticed").clone();
    assert!(
        opened.notices.iter().any(|n| n.contains("damaged")),
        "{:?}",
        opened.notices
    );
    // Set aside untouched, never deleted.
    assert_eq!(std::fs::read(&recovery.aside).unwrap(), damaged_bytes);

    let carried: HashMap<String, Job> = journal
        .jobs()
        .unwrap()
        .into_iter()
        .map(|j| (j.id.to_string(), j))
        .collect();
    assert_eq!(carried.len(), recovery.carried);
    // The damaged page held job rows: those are lost, every other row was read past it.
    assert!(recovery.lost > 0, "the damage hit the job table");
    assert_eq!(recovery.carried + recovery.lost, original.len());
    // One page holds a few rows at most: everything else made it.
    assert!(
        carried.len() >= original.len() - 8,
        "{} of {} carried",
        carried.len(),
        original.len()
    );
    for job in &original {
        if let Some(back) = carried.get(job.id.as_str()) {
            assert_eq!(back.request_id, job.request_id, "{}", job.prompt);
            assert_eq!(back.endpoint_id, job.endpoint_id);
        }
    }
    let at_fal = carried
        .values()
        .filter(|j| j.request_id.is_some() && !j.state.is_terminal())
        .count();
    assert_eq!(at_fal, recovery.at_fal);
    assert!(at_fal >= 30, "{at_fal}");
    // The new journal is a healthy one.
    journal.save_job(&original[0]).unwrap();
    drop(opened);
    let again = Journal::open(&path).unwrap();
    assert!(again.recovery().is_none());
}
