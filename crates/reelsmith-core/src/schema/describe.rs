//! The form model as the CLI's JSON (`reelsmith schema ID --json`).

use serde_json::{Value, json};

use super::model::{Field, FormModel};

/// `{"endpoint_id", "title", "fields": [...], "defaults": {...}}` for one endpoint.
pub fn model_json(model: &FormModel) -> Value {
    json!({
        "endpoint_id": model.endpoint_id,
        "title": model.title,
        "fields": model.fields.iter().map(field_json).collect::<Vec<_>>(),
        "defaults": Value::Object(model.defaults()),
    })
}

/// One field: name, kind, required, default, choices, min, max, max_length, description and
/// item_fields (min/max fall back to the exclusive bounds when only those are given).
pub fn field_json(field: &Field) -> Value {
    json!({
        "name": field.name,
        "kind": field.kind.as_str(),
        "required": field.required,
        "default": field.default.clone().unwrap_or(Value::Null),
        "choices": field.choices,
        "min": field.min.or(field.exclusive_min).map(number),
        "max": field.max.or(field.exclusive_max).map(number),
        "max_length": field.max_length,
        "description": field.description,
        "item_fields": field.item_fields.iter().map(field_json).collect::<Vec<_>>(),
    })
}

/// Whole numbers as integers (`1`, not `1.0`), so the JSON reads like the schema.
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

/// A limit for display: `20000`, `0.5`.
pub fn fmt_limit(v: f64) -> String {
    super::validate::fmt_num(v)
}
