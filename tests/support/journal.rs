//! The job journal a run of the binary left in the data folder.

use std::time::{Duration, Instant};

use reelsmith_core::jobs::Job;
use reelsmith_core::store::Journal;

use super::cli_env::CliEnv;

impl CliEnv {
    /// Every job in the journal (none when there is no journal yet).
    pub fn jobs(&self) -> Vec<Job> {
        Journal::open_in(&self.path("data"))
            .and_then(|j| j.jobs())
            .unwrap_or_default()
    }

    /// The job with `prompt`.
    pub fn job(&self, prompt: &str) -> Job {
        self.jobs()
            .into_iter()
            .find(|j| j.prompt == prompt)
            .unwrap_or_else(|| panic!("no job {prompt:?}"))
    }

    /// Polls the journal (for up to 30 s) until a job satisfies `pred`, which a running
    /// process is about to make true; fails saying `what` the job never became.
    pub fn wait_for_job(&self, what: &str, pred: impl Fn(&Job) -> bool) -> Job {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(job) = self.jobs().into_iter().find(|j| pred(j)) {
                return job;
            }
            assert!(Instant::now() < deadline, "no job became {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
