//! JSON types as the schema names them, and the words for a mismatch.

use super::*;

pub(super) fn type_names(types: &Value) -> Vec<&str> {
    match types {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn type_matches(types: &Value, value: &Value) -> bool {
    let names = type_names(types);
    names.is_empty() || names.iter().any(|name| strict_type_matches(name, value))
}

/// JSON Schema's type test, except that an integer must be written as an integer (`5`, not `5.0`),
/// as fal's pydantic models reject a float where an int is declared.
pub(super) fn strict_type_matches(name: &str, value: &Value) -> bool {
    match name {
        "integer" => value.is_i64() || value.is_u64(),
        other => loose_type_matches(other, value),
    }
}

pub(super) fn loose_type_matches(name: &str, value: &Value) -> bool {
    match name {
        "string" => value.is_string(),
        "integer" | "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

pub(super) fn type_error(loc: &[Value], types: &Value, value: &Value) -> ConformError {
    let names = type_names(types);
    let first = names.first().copied().unwrap_or("value");
    let (kind, msg) = match first {
        "integer" if value.as_f64().is_some_and(|x| x.fract() != 0.0) => (
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part",
        ),
        "integer" => ("int_type", "Input should be a valid integer"),
        "number" => ("float_type", "Input should be a valid number"),
        "string" => ("string_type", "Input should be a valid string"),
        "boolean" => ("bool_type", "Input should be a valid boolean"),
        "array" => ("list_type", "Input should be a valid list"),
        "object" => (
            "model_type",
            "Input should be a valid dictionary or object to extract fields from",
        ),
        "null" => ("none_required", "Input should be None"),
        _ => ("type_error", "Input has the wrong type"),
    };
    ConformError::new(loc, kind, msg, None)
}

/// Equality where `1` and `1.0` are the same number, as JSON Schema's `enum` means it.
pub(super) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'` — pydantic's wording for a list of choices.
pub(super) fn describe_choices(choices: &[Value]) -> String {
    let shown: Vec<String> = choices
        .iter()
        .map(|c| match c {
            Value::String(s) => format!("'{s}'"),
            other => other.to_string(),
        })
        .collect();
    match shown.as_slice() {
        [] => "one of no values".to_string(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
