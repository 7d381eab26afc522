//! Form state: the values a user has entered, per field, including lists of media and objects.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::SchemaError;
use super::model::{Field, FieldKind, FormModel};

/// A media input: a local file still to be uploaded, or a URL fal can fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MediaRef {
    /// A file on this machine, uploaded when the job runs.
    Local(PathBuf),
    /// A URL that is sent as it is.
    Url(String),
}

impl MediaRef {
    /// Reads `@PATH` as a local file and anything else as a URL.
    pub fn parse(text: &str) -> MediaRef {
        match text.strip_prefix('@') {
            Some(path) => MediaRef::Local(PathBuf::from(path)),
            None => MediaRef::Url(text.to_string()),
        }
    }
}

/// The value of one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldValue {
    /// Text (prompt, text, or a string enum choice).
    Text(String),
    /// A switch (or a boolean enum choice).
    Bool(bool),
    /// A whole number (or an integer enum choice).
    Integer(i64),
    /// A number.
    Number(f64),
    /// One media file.
    Media(MediaRef),
    /// Several media files, in order.
    MediaList(Vec<MediaRef>),
    /// A nested object's values.
    Object(FormState),
    /// A list of objects' values, in order.
    ObjectList(Vec<FormState>),
    /// Raw JSON for a field the form cannot draw.
    Json(Value),
}

/// The values of a form, by field name. Persisted with jobs, so it is serialisable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormState {
    /// The value of each field that has one; a missing field is left out of the payload.
    pub values: BTreeMap<String, FieldValue>,
}

impl FormState {
    /// The form as it first appears: every schema default filled in, everything else empty.
    pub fn from_defaults(model: &FormModel) -> FormState {
        state_from_defaults(&model.fields)
    }

    /// Reads an input object (as sent to fal, or as a user wrote it) into form values;
    /// `"@PATH"` strings in media fields are local files.
    pub fn from_input_json(model: &FormModel, input: &Value) -> Result<FormState, SchemaError> {
        state_from_json(&model.endpoint_id, &model.fields, input, "")
    }

    /// Sets one top-level field from text, parsed by the field's type: `@PATH` is a local file
    /// to upload; lists and objects are JSON whose `"@PATH"` strings are local files; empty text
    /// clears the field.
    pub fn set_from_str(
        &mut self,
        model: &FormModel,
        name: &str,
        text: &str,
    ) -> Result<(), SchemaError> {
        let field = model.field(name).ok_or_else(|| SchemaError::UnknownField {
            endpoint: model.endpoint_id.clone(),
            field: name.to_string(),
            known: model.field_names(),
        })?;
        if text.is_empty() {
            self.values.remove(name);
            return Ok(());
        }
        let value = value_from_text(&model.endpoint_id, field, text)?;
        self.values.insert(name.to_string(), value);
        Ok(())
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.values.get(name)
    }

    /// The text of `name`, if it holds text.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(FieldValue::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// The media of `name` as a list (one item for a single media field, none if unset).
    pub fn media(&self, name: &str) -> Vec<&MediaRef> {
        match self.values.get(name) {
            Some(FieldValue::Media(m)) => vec![m],
            Some(FieldValue::MediaList(list)) => list.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The objects of an object list `name` (empty if unset).
    pub fn objects(&self, name: &str) -> &[FormState] {
        match self.values.get(name) {
            Some(FieldValue::ObjectList(list)) => list,
            Some(FieldValue::Object(one)) => std::slice::from_ref(one),
            _ => &[],
        }
    }

    /// Every local file the form refers to, once each, in field-name order (list order within
    /// a field); these are what must be uploaded before the payload can be built. See
    /// [`FormState::local_files_in_form_order`] for the order the form shows them in.
    pub fn local_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        self.collect_local(&mut out);
        out
    }

    /// Every local file, once each, in the order the form shows its fields (list order within
    /// a field, item fields in their own order).
    pub fn local_files_in_form_order(&self, model: &FormModel) -> Vec<PathBuf> {
        let mut out = Vec::new();
        collect_ordered(self, &model.fields, &mut out);
        // Values under names the model lacks are not sent, but still listed, last.
        for path in self.local_files() {
            if !out.contains(&path) {
                out.push(path);
            }
        }
        out
    }

    fn collect_local(&self, out: &mut Vec<PathBuf>) {
        let push = |m: &MediaRef, out: &mut Vec<PathBuf>| {
            if let MediaRef::Local(p) = m
                && !out.contains(p)
            {
                out.push(p.clone());
            }
        };
        for value in self.values.values() {
            match value {
                FieldValue::Media(m) => push(m, out),
                FieldValue::MediaList(list) => list.iter().for_each(|m| push(m, out)),
                FieldValue::Object(s) => s.collect_local(out),
                FieldValue::ObjectList(list) => list.iter().for_each(|s| s.collect_local(out)),
                _ => {}
            }
        }
    }
}

/// Local files of `state` in the order of `fields`.
fn collect_ordered(state: &FormState, fields: &[Field], out: &mut Vec<PathBuf>) {
    for field in fields {
        match state.values.get(&field.name) {
            Some(FieldValue::Object(s)) => collect_ordered(s, &field.item_fields, out),
            Some(FieldValue::ObjectList(list)) => list
                .iter()
                .for_each(|s| collect_ordered(s, &field.item_fields, out)),
            Some(_) => {
                for m in state.media(&field.name) {
                    if let MediaRef::Local(p) = m
                        && !out.contains(p)
                    {
                        out.push(p.clone());
                    }
                }
            }
            None => {}
        }
    }
}

/// The defaults of a list of fields (nested objects get theirs only from their own default).
fn state_from_defaults(fields: &[Field]) -> FormState {
    let mut state = FormState::default();
    for field in fields {
        let Some(default) = &field.default else {
            continue;
        };
        // A default that does not fit its own field is left for the service to apply.
        if let Ok(value) = value_from_json("", field, default, &field.name) {
            state.values.insert(field.name.clone(), value);
        }
    }
    state
}

/// Reads an object of values for `fields`.
fn state_from_json(
    endpoint: &str,
    fields: &[Field],
    input: &Value,
    prefix: &str,
) -> Result<FormState, SchemaError> {
    let obj = input.as_object().ok_or_else(|| SchemaError::InvalidValue {
        field: if prefix.is_empty() {
            "input".into()
        } else {
            prefix.to_string()
        },
        message: format!(
            "expected a JSON object of field values, got {}",
            type_name(input)
        ),
    })?;
    let mut state = FormState::default();
    for (name, value) in obj {
        let path = join_path(prefix, name);
        let field =
            fields
                .iter()
                .find(|f| &f.name == name)
                .ok_or_else(|| SchemaError::UnknownField {
                    endpoint: endpoint.to_string(),
                    field: path.clone(),
                    known: fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
        if value.is_null() {
            continue;
        }
        state.values.insert(
            name.clone(),
            value_from_json(endpoint, field, value, &path)?,
        );
    }
    Ok(state)
}

/// `prefix.name`, or `name` at the top.
pub(crate) fn join_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A JSON type's name for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Converts a JSON value to the field's value, checking its type (not its limits).
pub(crate) fn value_from_json(
    endpoint: &str,
    field: &Field,
    value: &Value,
    path: &str,
) -> Result<FieldValue, SchemaError> {
    let bad = |expected: &str| SchemaError::InvalidValue {
        field: path.to_string(),
        message: format!(
            "{} expects {expected}, but got {}",
            field.label,
            type_name(value)
        ),
    };
    match field.kind {
        FieldKind::Prompt | FieldKind::Text => match value {
            Value::String(s) => Ok(FieldValue::Text(s.clone())),
            _ => Err(bad("text")),
        },
        FieldKind::Enum => {
            if !field.choices.contains(value) {
                // Accept "5" for a choice 5 (and 5 for "5"): the same choice written differently.
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                return match field.choice_matching(&text) {
                    Some(choice) => Ok(scalar_value(choice)),
                    None => Err(SchemaError::InvalidValue {
                        field: path.to_string(),
                        message: format!(
                            "{} must be one of {}; {value} is not one of them",
                            field.label,
                            choices_list(field)
                        ),
                    }),
                };
            }
            Ok(scalar_value(value))
        }
        FieldKind::Bool => value
            .as_bool()
            .map(FieldValue::Bool)
            .ok_or_else(|| bad("true or false")),
        FieldKind::Integer => json_integer(value)
            .map(FieldValue::Integer)
            .ok_or_else(|| bad("a whole number")),
        FieldKind::Number => value
            .as_f64()
            .filter(|f| f.is_finite())
            .map(FieldValue::Number)
            .ok_or_else(|| bad("a number")),
        FieldKind::Image | FieldKind::Video | FieldKind::Audio | FieldKind::File => value
            .as_str()
            .map(|s| FieldValue::Media(MediaRef::parse(s)))
            .ok_or_else(|| bad("a URL or @PATH of a local file")),
        FieldKind::ImageList | FieldKind::VideoList => {
            let items = value
                .as_array()
                .ok_or_else(|| bad("a list of URLs or @PATHs"))?;
            items
                .iter()
                .map(|v| v.as_str().map(MediaRef::parse))
                .collect::<Option<Vec<_>>>()
                .map(FieldValue::MediaList)
                .ok_or_else(|| bad("a list of URLs or @PATHs"))
        }
        FieldKind::Object => {
            state_from_json(endpoint, &field.item_fields, value, path).map(FieldValue::Object)
        }
        FieldKind::ObjectList => {
            let items = value.as_array().ok_or_else(|| bad("a list of objects"))?;
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    state_from_json(endpoint, &field.item_fields, v, &format!("{path}[{i}]"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(FieldValue::ObjectList)
        }
        FieldKind::Json => Ok(FieldValue::Json(value.clone())),
    }
}

/// The stored value of an enum choice, keeping its JSON type.
fn scalar_value(choice: &Value) -> FieldValue {
    match choice {
        Value::String(s) => FieldValue::Text(s.clone()),
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => FieldValue::Integer(i),
            None => FieldValue::Number(n.as_f64().unwrap_or(0.0)),
        },
        other => FieldValue::Json(other.clone()),
    }
}

/// A JSON number that is a whole number (`5` or `5.0`) as i64.
fn json_integer(value: &Value) -> Option<i64> {
    if let Some(i) = value.as_i64() {
        return Some(i);
    }
    let f = value.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// The choices as `"a", "b"` for messages.
pub(crate) fn choices_list(field: &Field) -> String {
    field
        .choices
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses text typed for one field (a CLI `--set`, a text box).
fn value_from_text(endpoint: &str, field: &Field, text: &str) -> Result<FieldValue, SchemaError> {
    let invalid = |message: String| SchemaError::InvalidValue {
        field: field.name.clone(),
        message,
    };
    match field.kind {
        FieldKind::Prompt | FieldKind::Text => Ok(FieldValue::Text(text.to_string())),
        FieldKind::Enum => field
            .choice_matching(text.trim())
            .map(scalar_value)
            .ok_or_else(|| {
                invalid(format!(
                    "{} must be one of {}; \"{text}\" is not one of them",
                    field.label,
                    choices_list(field)
                ))
            }),
        FieldKind::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(FieldValue::Bool(true)),
            "false" | "no" | "off" | "0" => Ok(FieldValue::Bool(false)),
            _ => Err(invalid(format!(
                "{} is a switch: write true or false, not \"{text}\"",
                field.label
            ))),
        },
        FieldKind::Integer => text
            .trim()
            .parse::<i64>()
            .map(FieldValue::Integer)
            .map_err(|_| {
                invalid(format!(
                    "{} needs a whole number such as 42, not \"{text}\"",
                    field.label
                ))
            }),
        FieldKind::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(FieldValue::Number)
            .ok_or_else(|| {
                invalid(format!(
                    "{} needs a number such as 2.5, not \"{text}\"",
                    field.label
                ))
            }),
        FieldKind::Image | FieldKind::Video | FieldKind::Audio | FieldKind::File => {
            Ok(FieldValue::Media(MediaRef::parse(text.trim())))
        }
        FieldKind::ImageList | FieldKind::VideoList => {
            let trimmed = text.trim();
            if trimmed.starts_with('[') {
                let value: Value = serde_json::from_str(trimmed).map_err(|e| {
                    invalid(format!(
                        "{} takes a JSON list of URLs or \"@PATH\"s; this is not valid JSON ({e})",
                        field.label
                    ))
                })?;
                value_from_json(endpoint, field, &value, &field.name)
            } else {
                // One item is the common case on a command line: no brackets needed.
                Ok(FieldValue::MediaList(vec![MediaRef::parse(trimmed)]))
            }
        }
        FieldKind::Object | FieldKind::ObjectList | FieldKind::Json => {
            let value: Value = serde_json::from_str(text).map_err(|e| {
                invalid(format!(
                    "{} takes JSON; this is not valid JSON ({e})",
                    field.label
                ))
            })?;
            value_from_json(endpoint, field, &value, &field.name)
        }
    }
}
