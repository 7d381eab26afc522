//! Storyboards in the journal: one row each, its shots as JSON (they are read and written
//! whole, and their shape will grow).

use rusqlite::{OptionalExtension, params};

use super::{Journal, JournalError, from_ms, ms};
use crate::film::storyboard::Storyboard;

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Storyboard, String)> {
    Ok((
        Storyboard {
            id: r.get(0)?,
            name: r.get(1)?,
            shots: Vec::new(),
            created_at: from_ms(r.get(3)?),
            updated_at: from_ms(r.get(4)?),
        },
        r.get(2)?,
    ))
}

/// Fills in the shots; a row whose JSON does not parse keeps its name with no shots (and a
/// warning) rather than hiding the storyboard.
fn with_shots((mut board, json): (Storyboard, String)) -> Storyboard {
    match serde_json::from_str(&json) {
        Ok(shots) => board.shots = shots,
        Err(e) => tracing::warn!("storyboard {:?}: its shots do not read: {e}", board.name),
    }
    board
}

/// What an edit gave back: `f`'s value and the storyboard stored, or `f`'s error.
pub type Edited<T> = Result<(T, Storyboard), crate::film::FilmError>;

const COLUMNS: &str = "id, name, shots_json, created_at, updated_at";

impl Journal {
    /// Every storyboard, by name.
    pub fn storyboards(&self) -> Result<Vec<Storyboard>, JournalError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM storyboards ORDER BY name COLLATE NOCASE, id"
            ))?;
            let rows = stmt
                .query_map([], from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows.into_iter().map(with_shots).collect())
        })
    }

    /// The storyboard with this id, or else this name (case-insensitively).
    pub fn storyboard(&self, id_or_name: &str) -> Result<Option<Storyboard>, JournalError> {
        self.with(|conn| {
            let row = conn
                .query_row(
                    &format!(
                        "SELECT {COLUMNS} FROM storyboards WHERE id = ?1
                         UNION ALL
                         SELECT {COLUMNS} FROM storyboards WHERE name = ?1 COLLATE NOCASE
                         LIMIT 1"
                    ),
                    [id_or_name],
                    from_row,
                )
                .optional()?;
            Ok(row.map(with_shots))
        })
    }

    /// Stores a storyboard (new or changed). `Ok(false)` when another storyboard has its name.
    pub fn save_storyboard(&self, board: &Storyboard) -> Result<bool, JournalError> {
        let shots = serde_json::to_string(&board.shots).map_err(|e| JournalError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        self.with(|conn| {
            let tx = conn.transaction()?;
            let clash: Option<String> = tx
                .query_row(
                    "SELECT id FROM storyboards WHERE name = ?1 COLLATE NOCASE AND id <> ?2",
                    params![board.name, board.id],
                    |r| r.get(0),
                )
                .optional()?;
            if clash.is_some() {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO storyboards (id, name, shots_json, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET name = ?2, shots_json = ?3, updated_at = ?5",
                params![
                    board.id,
                    board.name,
                    shots,
                    ms(board.created_at),
                    ms(board.updated_at)
                ],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    /// Changes the storyboard with this id in one transaction (so edits from the window and
    /// the command line never overwrite each other): reads it, applies `f`, and stores the
    /// result when `f` succeeds. `Ok(None)` when there is no such storyboard; the inner `Err`
    /// is `f`'s, or `NameTaken` text when `f` gave it another storyboard's name.
    pub fn update_storyboard<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Storyboard) -> Result<T, crate::film::FilmError>,
    ) -> Result<Option<Edited<T>>, JournalError> {
        let mut f = Some(f);
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let row = tx
                .query_row(
                    &format!("SELECT {COLUMNS} FROM storyboards WHERE id = ?1"),
                    [id],
                    from_row,
                )
                .optional()?;
            let Some(row) = row else {
                return Ok(None);
            };
            let mut board = with_shots(row);
            let Some(f) = f.take() else {
                return Ok(None);
            };
            let value = match f(&mut board) {
                Ok(v) => v,
                Err(e) => return Ok(Some(Err(e))),
            };
            let clash: Option<String> = tx
                .query_row(
                    "SELECT id FROM storyboards WHERE name = ?1 COLLATE NOCASE AND id <> ?2",
                    params![board.name, board.id],
                    |r| r.get(0),
                )
                .optional()?;
            if clash.is_some() {
                return Ok(Some(Err(crate::film::FilmError::NameTaken(board.name))));
            }
            board.updated_at = chrono::Utc::now();
            let shots = serde_json::to_string(&board.shots)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            tx.execute(
                "UPDATE storyboards SET name = ?2, shots_json = ?3, updated_at = ?4 WHERE id = ?1",
                params![board.id, board.name, shots, ms(board.updated_at)],
            )?;
            tx.commit()?;
            Ok(Some(Ok((value, board))))
        })
    }

    /// Removes a storyboard (the clips stay in the library); `false` when there was none.
    pub fn delete_storyboard(&self, id: &str) -> Result<bool, JournalError> {
        self.with(|conn| {
            conn.execute("DELETE FROM storyboards WHERE id = ?1", [id])
                .map(|n| n > 0)
        })
    }
}
