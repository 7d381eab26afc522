//! Builds the input JSON fal receives from a filled form.

use std::path::Path;

use serde_json::{Map, Number, Value};

use super::error::SchemaError;
use super::model::{Field, FieldKind, FormModel};
use super::state::{FieldValue, FormState, MediaRef, join_path};

/// The input object for `state`: integers stay integers, enum choices are sent exactly as the
/// schema lists them, local files become the URL `resolve` returns for them, and fields without
/// a value are left out (or sent as `null` when required and nullable, the only way to send them).
pub fn build_payload(
    model: &FormModel,
    state: &FormState,
    resolve: &dyn Fn(&Path) -> Option<String>,
) -> Result<Value, SchemaError> {
    build_object(&model.fields, state, resolve, "").map(Value::Object)
}

fn build_object(
    fields: &[Field],
    state: &FormState,
    resolve: &dyn Fn(&Path) -> Option<String>,
    prefix: &str,
) -> Result<Map<String, Value>, SchemaError> {
    let mut out = Map::new();
    for field in fields {
        let path = join_path(prefix, &field.name);
        match state.values.get(&field.name) {
            Some(value) if !is_empty(value) => {
                out.insert(field.name.clone(), to_json(field, value, resolve, &path)?);
            }
            _ if field.required && field.nullable => {
                out.insert(field.name.clone(), Value::Null);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// True for a value that means "not filled in": empty text, list or object.
pub(crate) fn is_empty(value: &FieldValue) -> bool {
    match value {
        FieldValue::Text(t) => t.is_empty(),
        FieldValue::MediaList(l) => l.is_empty(),
        FieldValue::ObjectList(l) => l.is_empty(),
        FieldValue::Object(s) => s.values.is_empty(),
        FieldValue::Media(MediaRef::Url(u)) => u.is_empty(),
        FieldValue::Media(MediaRef::Local(p)) => p.as_os_str().is_empty(),
        FieldValue::Json(v) => v.is_null(),
        FieldValue::Bool(_) | FieldValue::Integer(_) | FieldValue::Number(_) => false,
    }
}

fn to_json(
    field: &Field,
    value: &FieldValue,
    resolve: &dyn Fn(&Path) -> Option<String>,
    path: &str,
) -> Result<Value, SchemaError> {
    let mismatch = || SchemaError::InvalidValue {
        field: path.to_string(),
        message: format!(
            "{} holds a value of the wrong kind for a {} field; set it again",
            field.label,
            field.kind.as_str()
        ),
    };
    let media = |m: &MediaRef| -> Result<Value, SchemaError> {
        match m {
            MediaRef::Url(u) => Ok(Value::String(u.clone())),
            MediaRef::Local(p) => {
                resolve(p)
                    .map(Value::String)
                    .ok_or_else(|| SchemaError::NotUploaded {
                        field: path.to_string(),
                        path: p.clone(),
                    })
            }
        }
    };
    match (field.kind, value) {
        (FieldKind::Prompt | FieldKind::Text, FieldValue::Text(t)) => Ok(Value::String(t.clone())),
        (FieldKind::Enum, v) => enum_json(field, v).ok_or_else(|| SchemaError::InvalidValue {
            field: path.to_string(),
            message: format!(
                "{} must be one of {}; pick one of them",
                field.label,
                super::state::choices_list(field)
            ),
        }),
        (FieldKind::Bool, FieldValue::Bool(b)) => Ok(Value::Bool(*b)),
        (FieldKind::Integer, FieldValue::Integer(i)) => Ok(Value::from(*i)),
        (FieldKind::Integer, FieldValue::Number(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
            Ok(Value::from(*f as i64))
        }
        (FieldKind::Number, FieldValue::Number(f)) => number_json(*f).ok_or_else(mismatch),
        (FieldKind::Number, FieldValue::Integer(i)) => Ok(Value::from(*i)),
        (k, FieldValue::Media(m)) if k.is_single_media() => media(m),
        (k, FieldValue::MediaList(list)) if k.is_media_list() => list
            .iter()
            .map(media)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (FieldKind::Object, FieldValue::Object(s)) => {
            build_object(&field.item_fields, s, resolve, path).map(Value::Object)
        }
        (FieldKind::ObjectList, FieldValue::ObjectList(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                build_object(&field.item_fields, s, resolve, &format!("{path}[{i}]"))
                    .map(Value::Object)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (FieldKind::Json, FieldValue::Json(v)) => Ok(v.clone()),
        _ => Err(mismatch()),
    }
}

/// The exact choice a stored enum value stands for.
pub(crate) fn enum_json(field: &Field, value: &FieldValue) -> Option<Value> {
    let text = match value {
        FieldValue::Text(t) => t.clone(),
        FieldValue::Bool(b) => b.to_string(),
        FieldValue::Integer(i) => i.to_string(),
        FieldValue::Number(f) => f.to_string(),
        FieldValue::Json(v) => return field.choices.iter().find(|c| *c == v).cloned(),
        _ => return None,
    };
    field.choice_matching(&text).cloned()
}

/// A float as JSON; whole numbers are written without a fraction (the same number to fal).
fn number_json(f: f64) -> Option<Value> {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Some(Value::from(f as i64));
    }
    Number::from_f64(f).map(Value::Number)
}

// Here rather than in model.rs: the defaults are what the payload builder makes of a fresh
// form, and model.rs then needs neither the form state nor the payload (no import circle).
impl FormModel {
    /// The input sent if the user changes nothing: the top-level schema defaults, as the form
    /// built from them sends them (an empty default text or list is not sent).
    pub fn defaults(&self) -> Map<String, Value> {
        let state = FormState::from_defaults(self);
        // Defaults are URLs or plain values, never local files, so nothing needs resolving.
        match build_payload(self, &state, &|_| None) {
            Ok(Value::Object(map)) => map
                .into_iter()
                .filter(|(name, _)| state.values.contains_key(name))
                .collect(),
            _ => self
                .fields
                .iter()
                .filter_map(|f| f.default.clone().map(|d| (f.name.clone(), d)))
                .collect(),
        }
    }
}
