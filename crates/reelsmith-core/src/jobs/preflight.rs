//! Checks of a job's local files before anything is uploaded or paid for: each file exists, is
//! not empty, is really an image (or a video) as its field expects, its data decodes, and it
//! meets the field's limits, all by the one media check (`media::check`) that the window's
//! tiles use too; [`check_input`] adds them to the schema's own rules.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::media::{self, MediaKind};
use crate::schema::{
    Field, FieldKind, FieldValue, FormModel, FormState, Issue, MediaLimits, MediaRef, Severity,
};

/// Problems with the local files of `form`, each naming its field (`elements[0].frontal_image_url`)
/// and the file. Errors block the job; warnings (size/aspect limits) are shown only.
pub fn check_local_files(model: &FormModel, form: &FormState) -> Vec<Issue> {
    let mut out = Vec::new();
    walk(&model.fields, form, "", &mut out);
    out
}

/// Every distinct local file of `form`, in form order.
pub fn local_files(form: &FormState) -> Vec<PathBuf> {
    let mut seen = Vec::new();
    for path in form.local_files() {
        if !seen.contains(&path) {
            seen.push(path);
        }
    }
    seen
}

/// The prompt of a form, if it has one.
pub fn prompt_of(form: &FormState) -> String {
    match form.values.get("prompt") {
        Some(FieldValue::Text(t)) => t.clone(),
        _ => String::new(),
    }
}

fn walk(fields: &[Field], state: &FormState, prefix: &str, out: &mut Vec<Issue>) {
    for (name, value) in &state.values {
        let Some(field) = fields.iter().find(|f| &f.name == name) else {
            continue;
        };
        let here = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            FieldValue::Media(MediaRef::Local(p)) => check_file(field, p, &here, out),
            FieldValue::MediaList(list) => {
                for (i, m) in list.iter().enumerate() {
                    if let MediaRef::Local(p) = m {
                        check_file(field, p, &format!("{here}[{i}]"), out);
                    }
                }
            }
            FieldValue::Object(inner) => walk(&field.item_fields, inner, &here, out),
            FieldValue::ObjectList(items) => {
                for (i, inner) in items.iter().enumerate() {
                    walk(&field.item_fields, inner, &format!("{here}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
}

/// Each problem of the file at `path` against `field`'s limits, from the one media check
/// (`media::check`): what blocks there is an error here, the rest are warnings.
fn check_file(field: &Field, path: &Path, at: &str, out: &mut Vec<Issue>) {
    let limits = field.media.clone().unwrap_or_default();
    // Named by its file name, as the window's tiles name it: one message in every front end
    // (a file that cannot be read at all is named in full by the media error).
    let shown = media::check::display_name(path);
    let checked = media::check_file(path, MediaKind::of(field.kind), &limits, &shown);
    for p in checked.problems {
        out.push(Issue {
            field: at.to_string(),
            severity: if p.blocks() {
                Severity::Error
            } else {
                Severity::Warning
            },
            message: p.message,
        });
    }
}

/// The media kind and limits of each local file of `form`, for upload preparation.
pub fn local_file_limits(
    model: &FormModel,
    form: &FormState,
) -> HashMap<PathBuf, (FieldKind, MediaLimits)> {
    let mut out = HashMap::new();
    collect_limits(&model.fields, form, &mut out);
    out
}

fn collect_limits(
    fields: &[Field],
    state: &FormState,
    out: &mut HashMap<PathBuf, (FieldKind, MediaLimits)>,
) {
    for (name, value) in &state.values {
        let Some(field) = fields.iter().find(|f| &f.name == name) else {
            continue;
        };
        let limits = field.media.clone().unwrap_or_default();
        let mut add = |m: &MediaRef| {
            if let MediaRef::Local(p) = m {
                out.entry(p.clone())
                    .or_insert_with(|| (field.kind, limits.clone()));
            }
        };
        match value {
            FieldValue::Media(m) => add(m),
            FieldValue::MediaList(list) => list.iter().for_each(add),
            FieldValue::Object(inner) => collect_limits(&field.item_fields, inner, out),
            FieldValue::ObjectList(items) => items
                .iter()
                .for_each(|inner| collect_limits(&field.item_fields, inner, out)),
            _ => {}
        }
    }
}

/// Schema rules plus the local-file checks, errors and warnings together.
pub fn check_input(model: &FormModel, form: &FormState) -> Vec<Issue> {
    let mut issues = crate::schema::validate(model, form);
    for extra in check_local_files(model, form) {
        let dup = issues
            .iter()
            .any(|i| i.field == extra.field && matches!(i.severity, Severity::Error));
        if !dup {
            issues.push(extra);
        }
    }
    issues
}
