//! Checks of a job's local files before anything is uploaded or paid for: each file exists, is
//! not empty, is really an image (or a video) as its field expects, and meets the field's limits.

use std::path::{Path, PathBuf};

use crate::media;
use crate::schema::{Field, FieldKind, FieldValue, FormModel, FormState, Issue, MediaRef, Severity};

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

fn issue(field: &str, severity: Severity, message: String) -> Issue {
    Issue {
        field: field.to_string(),
        severity,
        message,
    }
}

fn wants_video(kind: &FieldKind) -> bool {
    matches!(kind, FieldKind::Video | FieldKind::VideoList)
}

fn wants_image(kind: &FieldKind) -> bool {
    matches!(kind, FieldKind::Image | FieldKind::ImageList)
}

fn check_file(field: &Field, path: &Path, at: &str, out: &mut Vec<Issue>) {
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.push(issue(
                at,
                Severity::Error,
                format!("the file {shown} does not exist; check the path"),
            ));
            return;
        }
        Err(e) => {
            out.push(issue(
                at,
                Severity::Error,
                format!("the file {shown} cannot be read ({e}); check its permissions"),
            ));
            return;
        }
    };
    if !meta.is_file() {
        out.push(issue(
            at,
            Severity::Error,
            format!("{shown} is not a file; give the path of a file"),
        ));
        return;
    }
    if meta.len() == 0 {
        out.push(issue(
            at,
            Severity::Error,
            format!("the file {shown} is empty (0 bytes); pick the file again or re-export it"),
        ));
        return;
    }
    let limits = field.media.clone().unwrap_or_default();
    if let Some(max) = limits.max_file_size
        && meta.len() > max
    {
        out.push(issue(
            at,
            Severity::Error,
            format!(
                "the file {shown} is {:.1} MB, more than the {:.1} MB this field accepts; make it smaller",
                meta.len() as f64 / 1e6,
                max as f64 / 1e6
            ),
        ));
    }
    if wants_image(&field.kind) {
        match media::probe_image(path) {
            Err(e) => out.push(issue(at, Severity::Error, e.to_string())),
            Ok(info) => {
                let (w, h) = (info.width, info.height);
                let small = limits.min_width.is_some_and(|m| w < m)
                    || limits.min_height.is_some_and(|m| h < m);
                if small {
                    out.push(issue(
                        at,
                        Severity::Warning,
                        format!(
                            "{shown} is {w}×{h} px, smaller than the {}×{} px fal asks for; it may be refused",
                            limits.min_width.unwrap_or(0),
                            limits.min_height.unwrap_or(0)
                        ),
                    ));
                }
                let ratio = w as f64 / h.max(1) as f64;
                let off_ratio = limits.min_aspect_ratio.is_some_and(|m| ratio < m)
                    || limits.max_aspect_ratio.is_some_and(|m| ratio > m);
                if off_ratio {
                    out.push(issue(
                        at,
                        Severity::Warning,
                        format!(
                            "{shown} has aspect ratio {ratio:.2}, outside {:.2}–{:.2}; it may be refused or cropped",
                            limits.min_aspect_ratio.unwrap_or(0.0),
                            limits.max_aspect_ratio.unwrap_or(f64::INFINITY)
                        ),
                    ));
                }
            }
        }
    } else if wants_video(&field.kind) {
        let kind = infer::get_from_path(path).ok().flatten();
        let is_video = kind.is_some_and(|k| k.mime_type().starts_with("video/"));
        if !is_video {
            let what = kind
                .map(|k| format!(" (it looks like {})", k.mime_type()))
                .unwrap_or_default();
            out.push(issue(
                at,
                Severity::Error,
                format!("{shown} is not a video{what}; use an MP4 (H.264) clip"),
            ));
        }
    }
}
