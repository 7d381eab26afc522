//! Checks of a job's local files before anything is uploaded or paid for: each file exists, is
//! not empty, is really an image (or a video) as its field expects, and meets the field's limits;
//! [`check_input`] adds them to the schema's own rules.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::media;
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
    if wants_image(&field.kind) {
        check_image(path, &limits, at, out);
    } else if wants_video(&field.kind) {
        check_video(path, &limits, at, out);
    } else if let Some(max) = limits.max_file_size
        && meta.len() > max
    {
        out.push(issue(
            at,
            Severity::Error,
            format!(
                "the file {shown} is {}, more than the {} this field accepts; make it smaller",
                crate::human::bytes(meta.len()),
                crate::human::bytes(max)
            ),
        ));
    }
}

/// A picture must be a real JPEG/PNG/WebP and at least the minimum size; one over the size or
/// dimension limits is re-encoded before upload (see `media::prepare`), so that is a warning.
fn check_image(path: &Path, limits: &MediaLimits, at: &str, out: &mut Vec<Issue>) {
    let shown = path.display();
    let info = match media::probe_image(path) {
        Ok(info) => info,
        Err(e) => {
            out.push(issue(at, Severity::Error, e.to_string()));
            return;
        }
    };
    let (w, h) = (info.width, info.height);
    let (min_w, min_h) = (
        limits.min_width.unwrap_or(0),
        limits.min_height.unwrap_or(0),
    );
    if w < min_w || h < min_h {
        out.push(issue(
            at,
            Severity::Error,
            format!(
                "{shown} is {w}×{h} px, smaller than the {min_w}×{min_h} px this field needs; \
                 use a larger picture"
            ),
        ));
        return;
    }
    let ratio = f64::from(w) / f64::from(h.max(1));
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
    if needs_preparing(limits, w, h, info.file_size) {
        out.push(issue(
            at,
            Severity::Warning,
            format!(
                "{shown} is over this field's size limits; a smaller JPEG copy is uploaded instead \
                 (the original is not changed)"
            ),
        ));
    }
}

/// True when a picture must be re-encoded to meet the limits.
pub fn needs_preparing(limits: &MediaLimits, width: u32, height: u32, size: u64) -> bool {
    limits.max_width.is_some_and(|m| width > m)
        || limits.max_height.is_some_and(|m| height > m)
        || limits.max_file_size.is_some_and(|m| size > m)
}

/// A video must be a video; MP4/QuickTime clips are also checked against the field's limits.
fn check_video(path: &Path, limits: &MediaLimits, at: &str, out: &mut Vec<Issue>) {
    let shown = path.display();
    let kind = infer::get_from_path(path).ok().flatten();
    let mime = kind.map(|k| k.mime_type()).unwrap_or("");
    if !mime.starts_with("video/") {
        let what = kind
            .map(|k| format!(" (it looks like {})", k.mime_type()))
            .unwrap_or_default();
        out.push(issue(
            at,
            Severity::Error,
            format!("{shown} is not a video{what}; use an MP4 (H.264) clip"),
        ));
        return;
    }
    if !matches!(mime, "video/mp4" | "video/quicktime") {
        // Other containers cannot be inspected here; fal checks them.
        return;
    }
    match media::prepare::check_video(path, limits) {
        Ok(check) => {
            for w in check.warnings {
                out.push(issue(at, Severity::Warning, w));
            }
        }
        Err(e) => out.push(issue(at, Severity::Error, e.to_string())),
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
