//! Checks a form state against the model's limits and the endpoint's cross-field rules.

use serde::{Deserialize, Serialize};

use super::conform;
use super::model::{Field, FieldKind, FormModel};
use super::payload::{enum_json, is_empty};
use super::rules;
use super::state::{FieldValue, FormState, MediaRef, choices_list, join_path};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// The request would be refused or would waste money: Generate stays disabled.
    Error,
    /// Allowed, but probably not what the user wants.
    Warning,
}

/// One problem with the form, pinned to a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// The field path, e.g. `prompt` or `elements[0].frontal_image_url`.
    pub field: String,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and what to do, in words a user understands.
    pub message: String,
}

impl Issue {
    /// An error on `field`.
    pub fn error(field: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            field: field.into(),
            severity: Severity::Error,
            message: message.into(),
        }
    }

    /// A warning on `field`.
    pub fn warning(field: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            field: field.into(),
            severity: Severity::Warning,
            message: message.into(),
        }
    }
}

/// Every problem with `state`: schema limits first, then the endpoint family's rules. Where a
/// rule explains a field's error in its own words, the generic error on that field is dropped.
pub fn validate(model: &FormModel, state: &FormState) -> Vec<Issue> {
    let mut generic = Vec::new();
    check_object(&model.fields, state, "", &mut generic);
    let specific = rules::check(model, state);
    generic.retain(|g| {
        g.severity != Severity::Error
            || !specific
                .iter()
                .any(|s| s.severity == Severity::Error && s.field == g.field)
    });
    generic.extend(specific);
    generic
}

fn check_object(fields: &[Field], state: &FormState, prefix: &str, out: &mut Vec<Issue>) {
    for field in fields {
        let path = join_path(prefix, &field.name);
        match state.values.get(&field.name) {
            Some(value) if !is_empty(value) => check_value(field, value, &path, out),
            _ if field.required && !field.nullable => {
                out.push(Issue::error(&path, required_message(field)));
            }
            _ => {}
        }
    }
    for name in state.values.keys() {
        if !fields.iter().any(|f| &f.name == name) {
            out.push(Issue::warning(
                join_path(prefix, name),
                format!("`{name}` is not a field of this endpoint, so it will not be sent"),
            ));
        }
    }
}

/// "Prompt is required: write …" with a hint fitting the kind.
fn required_message(field: &Field) -> String {
    let hint = match field.kind {
        FieldKind::Prompt | FieldKind::Text => "fill it in",
        FieldKind::Image | FieldKind::Video | FieldKind::Audio | FieldKind::File => {
            "add a file or paste a URL"
        }
        FieldKind::ImageList | FieldKind::VideoList => "add at least one file",
        FieldKind::Enum => "pick one of the choices",
        FieldKind::ObjectList => "add at least one item",
        _ => "give it a value",
    };
    format!("{} is required: {hint}.", field.label)
}

fn check_value(field: &Field, value: &FieldValue, path: &str, out: &mut Vec<Issue>) {
    let label = &field.label;
    let wrong_kind = || {
        Issue::error(
            path,
            format!(
                "{label} holds a value of the wrong kind for a {} field; set it again.",
                field.kind.as_str()
            ),
        )
    };
    match (field.kind, value) {
        (FieldKind::Prompt | FieldKind::Text, FieldValue::Text(t)) => {
            let chars = t.chars().count() as u64;
            if let Some(max) = field.max_length
                && chars > max
            {
                out.push(Issue::error(
                    path,
                    format!(
                        "{label} is {chars} characters long; the most allowed is {max}. Shorten it by {}.",
                        chars - max
                    ),
                ));
            }
            if let Some(min) = field.min_length
                && chars < min
            {
                out.push(Issue::error(
                    path,
                    format!("{label} needs at least {min} characters; it has {chars}."),
                ));
            }
        }
        (FieldKind::Enum, v) => {
            if enum_json(field, v).is_none() {
                out.push(Issue::error(
                    path,
                    format!("{label} must be one of {}.", choices_list(field)),
                ));
            }
        }
        (FieldKind::Bool, FieldValue::Bool(_)) => {}
        (FieldKind::Json, FieldValue::Json(v)) => check_json(field, v, path, out),
        (FieldKind::Integer, FieldValue::Integer(i)) => check_range(field, *i as f64, path, out),
        (FieldKind::Number, FieldValue::Number(f)) => check_range(field, *f, path, out),
        (FieldKind::Number, FieldValue::Integer(i)) => check_range(field, *i as f64, path, out),
        (k, FieldValue::Media(m)) if k.is_single_media() => check_media(field, m, path, out),
        (k, FieldValue::MediaList(list)) if k.is_media_list() => {
            check_count(field, list.len(), path, out);
            for (i, m) in list.iter().enumerate() {
                check_media(field, m, &format!("{path}[{i}]"), out);
            }
        }
        (FieldKind::Object, FieldValue::Object(s)) => {
            check_object(&field.item_fields, s, path, out)
        }
        (FieldKind::ObjectList, FieldValue::ObjectList(items)) => {
            check_count(field, items.len(), path, out);
            for (i, s) in items.iter().enumerate() {
                check_object(&field.item_fields, s, &format!("{path}[{i}]"), out);
            }
        }
        _ => out.push(wrong_kind()),
    }
}

/// Raw JSON against the field's schema (its `$ref`s are already inlined, so no document is
/// needed; a `$ref` left past the inlining depth is not held against the value).
fn check_json(field: &Field, value: &serde_json::Value, path: &str, out: &mut Vec<Issue>) {
    for e in conform::check(&serde_json::Value::Null, &field.schema, value) {
        if e.kind == "schema_error" {
            continue;
        }
        let at: String = e
            .loc
            .iter()
            .map(|l| match l {
                serde_json::Value::Number(n) => format!("[{n}]"),
                serde_json::Value::String(s) => format!(".{s}"),
                other => format!(".{other}"),
            })
            .collect();
        out.push(Issue::error(
            format!("{path}{at}"),
            format!("{}{at}: {}.", field.label, e.msg.trim_end_matches('.')),
        ));
    }
}

/// Number limits, inclusive and exclusive.
fn check_range(field: &Field, v: f64, path: &str, out: &mut Vec<Issue>) {
    let label = &field.label;
    let shown = fmt_num(v);
    if let Some(min) = field.min
        && v < min
    {
        out.push(Issue::error(
            path,
            format!("{label} must be at least {}; it is {shown}.", fmt_num(min)),
        ));
    }
    if let Some(max) = field.max
        && v > max
    {
        out.push(Issue::error(
            path,
            format!("{label} must be at most {}; it is {shown}.", fmt_num(max)),
        ));
    }
    if let Some(min) = field.exclusive_min
        && v <= min
    {
        out.push(Issue::error(
            path,
            format!("{label} must be more than {}; it is {shown}.", fmt_num(min)),
        ));
    }
    if let Some(max) = field.exclusive_max
        && v >= max
    {
        out.push(Issue::error(
            path,
            format!("{label} must be less than {}; it is {shown}.", fmt_num(max)),
        ));
    }
}

/// List length limits.
fn check_count(field: &Field, n: usize, path: &str, out: &mut Vec<Issue>) {
    let n = n as u64;
    if let Some(min) = field.min_items
        && n < min
    {
        out.push(Issue::error(
            path,
            format!("{} needs at least {min} items; it has {n}.", field.label),
        ));
    }
    if let Some(max) = field.max_items
        && n > max
    {
        out.push(Issue::error(
            path,
            format!(
                "{} takes at most {max} items; it has {n}. Remove {}.",
                field.label,
                n - max
            ),
        ));
    }
}

/// A URL must be one fal can fetch; a local file must exist.
fn check_media(field: &Field, media: &MediaRef, path: &str, out: &mut Vec<Issue>) {
    match media {
        MediaRef::Url(u) => {
            let ok =
                u.starts_with("https://") || u.starts_with("http://") || u.starts_with("data:");
            if !ok {
                out.push(Issue::error(
                    path,
                    format!(
                        "{}: \"{u}\" is not a web address; paste an http(s) URL or choose a local file.",
                        field.label
                    ),
                ));
            }
        }
        MediaRef::Local(p) => {
            if !p.is_file() {
                out.push(Issue::error(
                    path,
                    format!(
                        "{}: the file {} does not exist or is not a file; choose it again.",
                        field.label,
                        p.display()
                    ),
                ));
            }
        }
    }
}

/// 5 → "5", 2.5 → "2.5".
pub(crate) fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}
