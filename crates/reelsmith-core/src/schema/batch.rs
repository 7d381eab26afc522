//! One form, many jobs: one job per photo of an image field (a list of files or a folder), one
//! per prompt (a line each), or one per row of a CSV whose header names the fields. Each form
//! made is checked against the schema; a CSV error names its row and column. The count and the
//! total estimated cost are known before anything is sent.

use std::path::{Path, PathBuf};

use super::cost::estimate_form;
use super::model::{FieldKind, FormModel};
use super::state::{FieldValue, FormState, MediaRef};
use super::validate::{Severity, validate};

/// Why a batch could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The folder cannot be read.
    #[error("the folder {path} cannot be read: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The folder holds no photo.
    #[error("{0} holds no photos (.jpg, .jpeg, .png or .webp); nothing to send")]
    NoPhotos(PathBuf),
    /// The endpoint has no single-image field to put each photo in (or not the one named).
    #[error("{endpoint} has no image field {wanted}; its image fields: {known}")]
    NoImageField {
        /// The endpoint.
        endpoint: String,
        /// The field asked for (or "to fill").
        wanted: String,
        /// Its image fields.
        known: String,
    },
    /// The list of prompts or the CSV has no job in it.
    #[error("{0} has no jobs in it (no prompt lines, or no CSV rows under the header)")]
    Empty(String),
    /// A CSV column is not a field of the endpoint.
    #[error("column {column:?} of the CSV is not a field of {endpoint}; its fields: {known}")]
    UnknownColumn {
        /// The header's name.
        column: String,
        /// The endpoint.
        endpoint: String,
        /// Its fields.
        known: String,
    },
    /// A CSV cell (or a whole row) is wrong.
    #[error("row {row}, column {column}: {message}")]
    Cell {
        /// The row's line in the file (the header is line 1).
        row: u64,
        /// The column (field) name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The CSV itself cannot be read.
    #[error("the CSV cannot be read at line {line}: {message}")]
    Csv {
        /// Where.
        line: u64,
        /// What csv said.
        message: String,
    },
}

/// The jobs a batch makes and what they are expected to cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BatchSummary {
    /// Jobs.
    pub jobs: usize,
    /// The sum of the known estimates, US dollars.
    pub usd: f64,
    /// Jobs whose price is not known (not in the sum).
    pub unpriced: usize,
}

impl std::fmt::Display for BatchSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} job(s), about ${:.2} in all", self.jobs, self.usd)?;
        if self.unpriced > 0 {
            write!(f, " plus {} job(s) of unknown price", self.unpriced)?;
        }
        write!(f, " (estimate from prices of {})", super::cost::PRICE_DATE)
    }
}

/// Counts `forms` and adds up their estimates.
pub fn summarize(model: &FormModel, forms: &[FormState]) -> BatchSummary {
    let mut summary = BatchSummary {
        jobs: forms.len(),
        ..Default::default()
    };
    for form in forms {
        match estimate_form(model, form) {
            Some(e) => summary.usd += e.usd,
            None => summary.unpriced += 1,
        }
    }
    summary
}

/// The photos in `dir` (not its subfolders), by name.
pub fn photos_in(dir: &Path) -> Result<Vec<PathBuf>, BatchError> {
    let entries = std::fs::read_dir(dir).map_err(|source| BatchError::Folder {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut photos: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .is_some_and(|e| matches!(e.as_str(), "jpg" | "jpeg" | "png" | "webp"))
        })
        .collect();
    photos.sort();
    if photos.is_empty() {
        return Err(BatchError::NoPhotos(dir.to_path_buf()));
    }
    Ok(photos)
}

/// The single-image field each photo goes into: `wanted`, else the endpoint's first.
pub fn photo_field(model: &FormModel, wanted: Option<&str>) -> Result<String, BatchError> {
    let images: Vec<&str> = model
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Image)
        .map(|f| f.name.as_str())
        .collect();
    let found = match wanted {
        Some(w) => images.iter().find(|n| **n == w).copied(),
        None => images.first().copied(),
    };
    found
        .map(str::to_string)
        .ok_or_else(|| BatchError::NoImageField {
            endpoint: model.endpoint_id.clone(),
            wanted: wanted.unwrap_or("to fill").to_string(),
            known: if images.is_empty() {
                "none".into()
            } else {
                images.join(", ")
            },
        })
}

/// One form per photo: `base` with `field` set to the photo.
pub fn per_photo(base: &FormState, field: &str, photos: &[PathBuf]) -> Vec<FormState> {
    photos
        .iter()
        .map(|photo| {
            let mut form = base.clone();
            form.values.insert(
                field.to_string(),
                FieldValue::Media(MediaRef::Local(photo.clone())),
            );
            form
        })
        .collect()
}

/// One form per non-empty line of `text`: `base` with that prompt.
pub fn per_prompt(
    model: &FormModel,
    base: &FormState,
    text: &str,
    source: &str,
) -> Result<Vec<FormState>, BatchError> {
    let mut forms = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let prompt = line.trim();
        if prompt.is_empty() {
            continue;
        }
        let mut form = base.clone();
        form.set_from_str(model, "prompt", prompt)
            .map_err(|e| BatchError::Cell {
                row: n as u64 + 1,
                column: "prompt".into(),
                message: e.to_string(),
            })?;
        forms.push(form);
    }
    if forms.is_empty() {
        return Err(BatchError::Empty(source.to_string()));
    }
    Ok(forms)
}

/// One form per CSV row: `base` with each non-empty cell set on the field its column names.
/// Media cells are local paths (relative to `dir`, the CSV's folder) or URLs. Every row is
/// checked against the schema; the first error is returned with its row and column.
pub fn per_csv_row(
    model: &FormModel,
    base: &FormState,
    csv_text: &str,
    dir: &Path,
    source: &str,
) -> Result<Vec<FormState>, BatchError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(csv_text.as_bytes());
    let csv_err = |e: csv::Error| BatchError::Csv {
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    for column in &header {
        if model.field(column).is_none() {
            return Err(BatchError::UnknownColumn {
                column: column.clone(),
                endpoint: model.endpoint_id.clone(),
                known: model.field_names(),
            });
        }
    }
    let mut forms = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        let row = record.position().map_or(0, |p| p.line());
        let mut form = base.clone();
        for (column, cell) in header.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let text = media_text(model, column, cell, dir);
            form.set_from_str(model, column, &text)
                .map_err(|e| BatchError::Cell {
                    row,
                    column: column.clone(),
                    message: e.to_string(),
                })?;
        }
        if let Some(issue) = validate(model, &form)
            .into_iter()
            .find(|i| i.severity == Severity::Error)
        {
            // The column that holds the field (or the top-level field the issue is under).
            let top = issue
                .field
                .split(['.', '['])
                .next()
                .unwrap_or(&issue.field)
                .to_string();
            return Err(BatchError::Cell {
                row,
                column: top,
                message: issue.message,
            });
        }
        forms.push(form);
    }
    if forms.is_empty() {
        return Err(BatchError::Empty(source.to_string()));
    }
    Ok(forms)
}

/// A media cell as `set_from_str` takes it: URLs as they are, paths as `@PATH` (relative to
/// the CSV's folder).
fn media_text(model: &FormModel, column: &str, cell: &str, dir: &Path) -> String {
    let media = model
        .field(column)
        .is_some_and(|f| f.kind.is_single_media());
    let url = ["http://", "https://", "data:"]
        .iter()
        .any(|p| cell.starts_with(p));
    if !media || url {
        return cell.to_string();
    }
    let path = Path::new(cell.strip_prefix('@').unwrap_or(cell));
    format!("@{}", dir.join(path).display())
}

#[cfg(test)]
mod tests;
