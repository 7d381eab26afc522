//! Deterministic, bounded mutation testing for parsers, on stable Rust under plain
//! `cargo test`: a small stand-in for a fuzzer that every parser's tests can afford.
//!
//! A [`Mutator`] turns seed inputs into mutants. Case number `n` always gives the same
//! mutant: a seed, then a few stacked steps, each either a generic byte mutation (flip,
//! insert, delete, duplicate a range, splice from another seed, interesting values; see
//! [`mutate_bytes`]) or, when the caller supplies a [`Structure`], one that knows the format.
//! [`run`] feeds a range of cases to a check, catching panics and timing each case, and
//! returns the first failure with its case number, seed and steps, so it can be rerun alone
//! (see [`cases_from_env`]).
//!
//! ```
//! use std::time::Duration;
//! use reelsmith_mutate::{Mutator, Seed, run};
//!
//! let mutator = Mutator::new(vec![Seed::new("greeting", b"hello, world".to_vec())]);
//! let summary = run(mutator, 0..200, Duration::from_secs(5), |input| {
//!     // The parser under test; Err for a wrong answer, a panic for a crash.
//!     let _ = std::str::from_utf8(input);
//!     Ok(())
//! })
//! .unwrap_or_else(|failure| panic!("{failure}"));
//! assert_eq!(summary.cases, 200);
//! ```

#![forbid(unsafe_code)]

mod bytes;
mod rng;
mod run;

use std::fmt;
use std::path::Path;

pub use bytes::{INTERESTING_U8, INTERESTING_U16, mutate_bytes};
pub use rng::Rng;
pub use run::{Failure, Problem, Summary, cases_from_env, run};

/// One seed input, named so a report can say which one a mutant came from.
#[derive(Clone, Debug)]
pub struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Seed {
    /// A seed called `name`.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Seed {
        Seed {
            name: name.into(),
            bytes,
        }
    }

    /// Every file in `dir`, sorted by name so case numbers mean the same everywhere.
    pub fn from_dir(dir: &Path) -> std::io::Result<Vec<Seed>> {
        let mut seeds = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_file() {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                seeds.push(Seed::new(name, std::fs::read(&path)?));
            }
        }
        seeds.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(seeds)
    }
}

/// Mutations that know the input's format, supplied by the caller.
///
/// Any `Fn(&mut Vec<u8>, &mut Rng, &[Seed]) -> Option<String>` closure is one.
pub trait Structure: Send + Sync {
    /// Applies one format-aware mutation to `input` (drawing only from `rng`, so the mutant
    /// is reproducible); returns what it did, or `None` when it found nothing to change, in
    /// which case a byte mutation is made instead.
    fn mutate(&self, input: &mut Vec<u8>, rng: &mut Rng, seeds: &[Seed]) -> Option<String>;
}

impl<F> Structure for F
where
    F: Fn(&mut Vec<u8>, &mut Rng, &[Seed]) -> Option<String> + Send + Sync,
{
    fn mutate(&self, input: &mut Vec<u8>, rng: &mut Rng, seeds: &[Seed]) -> Option<String> {
        self(input, rng, seeds)
    }
}

/// Makes mutants of a set of seeds.
pub struct Mutator {
    seeds: Vec<Seed>,
    structure: Option<Box<dyn Structure>>,
    structure_percent: u32,
    max_steps: usize,
    max_len: usize,
    base_seed: u64,
}

impl Mutator {
    /// Byte mutations only, at most 4 steps per mutant, mutants at most 1 MiB.
    pub fn new(seeds: Vec<Seed>) -> Mutator {
        Mutator {
            seeds,
            structure: None,
            structure_percent: 50,
            max_steps: 4,
            max_len: 1 << 20,
            base_seed: 0,
        }
    }

    /// Adds format-aware mutations, used for `percent` of the steps (the rest are byte
    /// mutations).
    pub fn with_structure(mut self, structure: impl Structure + 'static, percent: u32) -> Mutator {
        self.structure = Some(Box::new(structure));
        self.structure_percent = percent.min(100);
        self
    }

    /// Each mutant takes 1..=`steps` steps.
    pub fn max_steps(mut self, steps: usize) -> Mutator {
        self.max_steps = steps.max(1);
        self
    }

    /// Mutants are cut to at most `len` bytes.
    pub fn max_len(mut self, len: usize) -> Mutator {
        self.max_len = len;
        self
    }

    /// Another family of mutants for the same case numbers.
    pub fn base_seed(mut self, seed: u64) -> Mutator {
        self.base_seed = seed;
        self
    }

    /// The seeds.
    pub fn seeds(&self) -> &[Seed] {
        &self.seeds
    }

    /// Mutant number `case`: the same on every run.
    pub fn mutant(&self, case: u64) -> Mutant {
        let mut rng = Rng::new(self.base_seed ^ case.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let seed = rng.below(self.seeds.len());
        let mut bytes = self
            .seeds
            .get(seed)
            .map(|s| s.bytes.clone())
            .unwrap_or_default();
        bytes.truncate(self.max_len);
        let mut steps = Vec::new();
        for _ in 0..rng.between(1, self.max_steps) {
            let structured = match &self.structure {
                Some(s) if rng.chance(self.structure_percent) => {
                    s.mutate(&mut bytes, &mut rng, &self.seeds)
                }
                _ => None,
            };
            bytes.truncate(self.max_len);
            steps.push(match structured {
                Some(what) => what,
                None => mutate_bytes(&mut bytes, &mut rng, &self.seeds, self.max_len),
            });
        }
        Mutant {
            case,
            seed_name: self
                .seeds
                .get(seed)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            steps,
            bytes,
        }
    }
}

/// One mutant and how it was made.
#[derive(Clone, Debug)]
pub struct Mutant {
    pub case: u64,
    pub seed_name: String,
    /// What each step did, in order.
    pub steps: Vec<String>,
    pub bytes: Vec<u8>,
}

impl fmt::Display for Mutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "case {} ({} bytes) from seed {:?}: {}",
            self.case,
            self.bytes.len(),
            self.seed_name,
            self.steps.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds() -> Vec<Seed> {
        vec![
            Seed::new("a", b"0123456789abcdef".to_vec()),
            Seed::new("b", vec![0xFF; 40]),
        ]
    }

    #[test]
    fn a_case_is_the_same_mutant_every_time() {
        let m = Mutator::new(seeds());
        for case in 0..200 {
            let (x, y) = (m.mutant(case), m.mutant(case));
            assert_eq!(x.bytes, y.bytes);
            assert_eq!(x.steps, y.steps);
            assert!(!x.steps.is_empty() && x.steps.len() <= 4);
        }
        assert!((0..50).any(|c| m.mutant(c).bytes != m.mutant(c + 50).bytes));
    }

    #[test]
    fn structure_aware_steps_are_used_and_reported() {
        let m = Mutator::new(seeds())
            .with_structure(
                |input: &mut Vec<u8>, _: &mut Rng, _: &[Seed]| {
                    input.push(b'!');
                    Some("append !".to_string())
                },
                100,
            )
            .max_steps(2);
        let mutant = m.mutant(3);
        assert!(mutant.steps.iter().all(|s| s == "append !"), "{mutant}");
        assert!(mutant.bytes.ends_with(b"!"));
    }

    #[test]
    fn mutants_keep_to_the_length_limit() {
        let m = Mutator::new(seeds()).max_len(20).max_steps(8);
        for case in 0..500 {
            assert!(m.mutant(case).bytes.len() <= 20);
        }
    }

    #[test]
    fn no_seeds_still_gives_mutants() {
        let m = Mutator::new(Vec::new());
        assert!(!m.mutant(1).bytes.is_empty());
    }
}
