//! Running a range of cases against a check, with each case's panic caught and time bounded.

use std::fmt;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{Mutant, Mutator};

/// The variable that narrows [`cases_from_env`] to chosen cases: `N` or `A..B`.
pub const CASES_VAR: &str = "REELSMITH_MUTATE_CASES";

/// `default`, unless `REELSMITH_MUTATE_CASES` names one case (`1234`) or a range
/// (`1000..2000`) to rerun.
pub fn cases_from_env(default: Range<u64>) -> Range<u64> {
    let Ok(v) = std::env::var(CASES_VAR) else {
        return default;
    };
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    match v.split_once("..") {
        Some((a, b)) => match (parse(a), parse(b)) {
            (Some(a), Some(b)) => a..b,
            _ => default,
        },
        None => parse(&v).map_or(default, |n| n..n + 1),
    }
}

/// What a run that found nothing did.
#[derive(Debug)]
pub struct Summary {
    pub cases: u64,
    pub total: Duration,
    /// The slowest case and its time.
    pub slowest_case: u64,
    pub slowest: Duration,
}

/// What went wrong with a case.
#[derive(Debug)]
pub enum Problem {
    /// The check panicked, with this message.
    Panicked(String),
    /// The check returned this error.
    Rejected(String),
    /// The case took longer than the limit (it may still be running).
    TooSlow(Duration),
}

/// The first failing case of a run.
#[derive(Debug)]
pub struct Failure {
    pub mutant: Mutant,
    pub problem: Problem,
}

impl Failure {
    /// Writes the failing input to `dir` as `case-N.bin`, for a regression test or a fuzzer.
    pub fn save_input(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("case-{}.bin", self.mutant.case));
        std::fs::write(&path, &self.mutant.bytes)?;
        Ok(path)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Panicked(m) => write!(f, "panicked: {m}")?,
            Problem::Rejected(m) => write!(f, "check failed: {m}")?,
            Problem::TooSlow(d) => write!(f, "took over {d:?}")?,
        }
        write!(
            f,
            "\n  {}\n  rerun it alone with {CASES_VAR}={}",
            self.mutant, self.mutant.case
        )
    }
}

/// Runs `check` on the mutants of `cases`, in order, on a worker thread; stops at the first
/// case that panics, returns an error, or takes longer than `per_case` (a case that never
/// ends is left running on its thread, so a hang is reported rather than waited for).
pub fn run<F>(
    mutator: Mutator,
    cases: Range<u64>,
    per_case: Duration,
    check: F,
) -> Result<Summary, Failure>
where
    F: Fn(&[u8]) -> Result<(), String> + Send + Sync + 'static,
{
    let mutator = Arc::new(mutator);
    let (tx, rx) = mpsc::channel();
    let worker = Arc::clone(&mutator);
    let range = cases.clone();
    std::thread::spawn(move || {
        for case in range {
            let Ok(mutant) = catch_unwind(AssertUnwindSafe(|| worker.mutant(case))) else {
                // A bug in a structure-aware mutation, not in what is tested.
                let problem = Problem::Panicked("making the mutant".into());
                let _ = tx.send((case, Duration::ZERO, Some(problem)));
                return;
            };
            let start = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| check(&mutant.bytes)));
            let problem = match outcome {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(Problem::Rejected(e)),
                Err(panic) => Some(Problem::Panicked(panic_message(&*panic))),
            };
            let stop = problem.is_some();
            if tx.send((case, start.elapsed(), problem)).is_err() || stop {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut summary = Summary {
        cases: 0,
        total: Duration::ZERO,
        slowest_case: cases.start,
        slowest: Duration::ZERO,
    };
    for case in cases {
        // Mutating is part of the worker's time too, so the wait allows for it.
        let (done, took, problem) = match rx.recv_timeout(per_case + per_case / 2) {
            Ok(msg) => msg,
            Err(_) => (case, per_case, Some(Problem::TooSlow(per_case))),
        };
        let problem = problem.or_else(|| (took > per_case).then_some(Problem::TooSlow(took)));
        if let Some(problem) = problem {
            // Made again here: the worker may still be busy with it. A mutator that panics
            // is reported without its mutant.
            let mutant =
                catch_unwind(AssertUnwindSafe(|| mutator.mutant(done))).unwrap_or(Mutant {
                    case: done,
                    seed_name: String::new(),
                    steps: vec!["(the mutator panicked)".into()],
                    bytes: Vec::new(),
                });
            return Err(Failure { mutant, problem });
        }
        summary.cases += 1;
        if took > summary.slowest {
            summary.slowest = took;
            summary.slowest_case = done;
        }
    }
    summary.total = started.elapsed();
    Ok(summary)
}

/// The message a panic carried, if it was a string.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    fn mutator() -> Mutator {
        Mutator::new(vec![Seed::new("s", b"abcdefgh".to_vec())])
    }

    #[test]
    fn a_clean_run_counts_its_cases() {
        let s = run(mutator(), 10..60, Duration::from_secs(5), |_| Ok(())).unwrap();
        assert_eq!(s.cases, 50);
        assert!((10..60).contains(&s.slowest_case));
    }

    #[test]
    fn a_panic_is_caught_and_reported_with_its_case() {
        let f = run(mutator(), 0..100, Duration::from_secs(5), |input| {
            assert!(input.len() < 9, "too long: {}", input.len());
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(&f.problem, Problem::Panicked(m) if m.starts_with("too long")));
        let again = mutator().mutant(f.mutant.case);
        assert_eq!(again.bytes, f.mutant.bytes);
        assert!(
            f.to_string()
                .contains(&format!("{CASES_VAR}={}", f.mutant.case))
        );
    }

    #[test]
    fn errors_and_hangs_are_failures() {
        let f = run(mutator(), 0..10, Duration::from_secs(5), |_| {
            Err("no".into())
        })
        .unwrap_err();
        assert!(matches!(f.problem, Problem::Rejected(_)));
        assert_eq!(f.mutant.case, 0);
        let f = run(mutator(), 0..10, Duration::from_millis(50), |_| {
            std::thread::sleep(Duration::from_secs(3600));
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(f.problem, Problem::TooSlow(_)), "{f}");
    }
}
