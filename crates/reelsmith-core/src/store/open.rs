//! Opening the journal the way both front ends do: a damaged file's jobs carried over and the
//! library index rebuilt from the sidecars, rows that cannot be read reported, never fatal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::rows::DamagedRow;
use super::{Journal, JournalError};

/// A journal ready for the engine, with what its opening found worth telling the user.
#[derive(Debug)]
pub struct OpenedJournal {
    /// The journal.
    pub journal: Arc<Journal>,
    /// Job rows that could not be read (skipped; the others work).
    pub damaged_rows: Vec<DamagedRow>,
    /// Sentences for the user: a damaged file replaced, rows skipped.
    pub notices: Vec<String>,
}

/// Opens (or creates) the journal in `data_dir`. When the file was damaged, what still read
/// was carried into a new one (see [`Journal::open`]) and the library index is rebuilt from
/// the sidecars found in `library_dirs`.
pub fn open_journal(
    data_dir: &Path,
    library_dirs: &[PathBuf],
) -> Result<OpenedJournal, JournalError> {
    let journal = Journal::open_in(data_dir)?;
    let mut notices = Vec::new();
    if let Some(r) = journal.recovery().cloned() {
        let videos = crate::library::rebuild_index_from_sidecars(&journal, library_dirs)?;
        notices.push(format!(
            "The job journal was damaged. {} job(s) were carried into a new journal ({} of them \
             still at fal, followed again){}; the library was rebuilt from {videos} sidecar(s). \
             The damaged file was kept as {}.",
            r.carried,
            r.at_fal,
            if r.lost > 0 {
                format!(", {} record(s) could not be read", r.lost)
            } else {
                String::new()
            },
            r.aside.display()
        ));
    }
    let (_, damaged_rows) = journal.jobs_checked()?;
    if !damaged_rows.is_empty() {
        let list: Vec<String> = damaged_rows.iter().map(|d| d.to_string()).collect();
        notices.push(format!(
            "{} job record(s) in {} cannot be read and are skipped: {}",
            damaged_rows.len(),
            journal.path().display(),
            list.join("; ")
        ));
    }
    Ok(OpenedJournal {
        journal: Arc::new(journal),
        damaged_rows,
        notices,
    })
}
