//! Favourite and reject marks of library videos, keyed by the job that made each video.

use std::collections::HashMap;

use rusqlite::params;

use super::{Journal, JournalError, ms};

/// The marks a user put on one video.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Marks {
    /// Starred: kept by "clear history, keep favourites".
    pub favourite: bool,
    /// Marked as a reject: hidden by the "not rejected" filter.
    pub rejected: bool,
}

impl Journal {
    /// Records the marks of a video (a video with no marks has its row removed).
    pub fn set_marks(&self, job_id: &str, marks: Marks) -> Result<(), JournalError> {
        self.with(|conn| {
            if marks == Marks::default() {
                conn.execute("DELETE FROM marks WHERE job_id = ?1", [job_id])?;
            } else {
                conn.execute(
                    "INSERT INTO marks (job_id, favourite, rejected, changed_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(job_id) DO UPDATE SET favourite = excluded.favourite,
                        rejected = excluded.rejected, changed_at = excluded.changed_at",
                    params![
                        job_id,
                        marks.favourite,
                        marks.rejected,
                        ms(chrono::Utc::now())
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// The marks of one video (none when never marked).
    pub fn marks_of(&self, job_id: &str) -> Result<Marks, JournalError> {
        Ok(self.all_marks()?.remove(job_id).unwrap_or_default())
    }

    /// Every marked video's marks, by job id.
    pub fn all_marks(&self) -> Result<HashMap<String, Marks>, JournalError> {
        self.with(|conn| {
            let mut stmt = conn.prepare("SELECT job_id, favourite, rejected FROM marks")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        Marks {
                            favourite: r.get(1)?,
                            rejected: r.get(2)?,
                        },
                    ))
                })?
                .collect::<rusqlite::Result<HashMap<_, _>>>()?;
            Ok(rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_survive_reopening_and_clear_to_nothing() {
        let dir = tempfile::tempdir().unwrap();
        {
            let journal = Journal::open_in(dir.path()).unwrap();
            let fav = Marks {
                favourite: true,
                rejected: false,
            };
            journal.set_marks("a", fav).unwrap();
            journal
                .set_marks(
                    "b",
                    Marks {
                        favourite: false,
                        rejected: true,
                    },
                )
                .unwrap();
        }
        let journal = Journal::open_in(dir.path()).unwrap();
        assert!(journal.marks_of("a").unwrap().favourite);
        assert!(journal.marks_of("b").unwrap().rejected);
        assert_eq!(journal.marks_of("c").unwrap(), Marks::default());
        journal.set_marks("a", Marks::default()).unwrap();
        assert_eq!(journal.all_marks().unwrap().len(), 1);
    }
}
