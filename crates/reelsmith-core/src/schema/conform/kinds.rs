//! The checks of one kind of value: numbers, strings, arrays, objects.

use super::*;

pub(super) fn check_number(
    obj: &Map<String, Value>,
    value: &Value,
    loc: &[Value],
    errors: &mut Vec<ConformError>,
) {
    let Some(x) = value.as_f64() else { return };
    let bound = |key: &str| obj.get(key).and_then(Value::as_f64);
    // OpenAPI 3.0 writes exclusive bounds as booleans next to minimum/maximum.
    let flag = |key: &str| obj.get(key).and_then(Value::as_bool) == Some(true);
    let num = |key: &str| obj.get(key).cloned().unwrap_or(Value::Null);

    if let Some(min) = bound("minimum") {
        if flag("exclusiveMinimum") {
            if x <= min {
                errors.push(greater_than(loc, num("minimum")));
            }
        } else if x < min {
            errors.push(ConformError::new(
                loc,
                "greater_than_equal",
                format!(
                    "Input should be greater than or equal to {}",
                    num("minimum")
                ),
                Some(json!({ "ge": num("minimum") })),
            ));
        }
    }
    if let Some(max) = bound("maximum") {
        if flag("exclusiveMaximum") {
            if x >= max {
                errors.push(less_than(loc, num("maximum")));
            }
        } else if x > max {
            errors.push(ConformError::new(
                loc,
                "less_than_equal",
                format!("Input should be less than or equal to {}", num("maximum")),
                Some(json!({ "le": num("maximum") })),
            ));
        }
    }
    if let Some(gt) = bound("exclusiveMinimum")
        && x <= gt
    {
        errors.push(greater_than(loc, num("exclusiveMinimum")));
    }
    if let Some(lt) = bound("exclusiveMaximum")
        && x >= lt
    {
        errors.push(less_than(loc, num("exclusiveMaximum")));
    }
    if let Some(step) = bound("multipleOf")
        && step > 0.0
    {
        let ratio = x / step;
        if (ratio - ratio.round()).abs() > 1e-9 {
            errors.push(ConformError::new(
                loc,
                "multiple_of",
                format!("Input should be a multiple of {}", num("multipleOf")),
                Some(json!({ "multiple_of": num("multipleOf") })),
            ));
        }
    }
}

pub(super) fn greater_than(loc: &[Value], gt: Value) -> ConformError {
    ConformError::new(
        loc,
        "greater_than",
        format!("Input should be greater than {gt}"),
        Some(json!({ "gt": gt })),
    )
}

pub(super) fn less_than(loc: &[Value], lt: Value) -> ConformError {
    ConformError::new(
        loc,
        "less_than",
        format!("Input should be less than {lt}"),
        Some(json!({ "lt": lt })),
    )
}

pub(super) fn check_string(
    obj: &Map<String, Value>,
    s: &str,
    loc: &[Value],
    errors: &mut Vec<ConformError>,
) {
    let len = s.chars().count() as u64;
    if let Some(max) = obj.get("maxLength").and_then(Value::as_u64)
        && len > max
    {
        errors.push(ConformError::new(
            loc,
            "string_too_long",
            format!("String should have at most {max} characters"),
            Some(json!({ "max_length": max })),
        ));
    }
    if let Some(min) = obj.get("minLength").and_then(Value::as_u64)
        && len < min
    {
        errors.push(ConformError::new(
            loc,
            "string_too_short",
            format!("String should have at least {min} characters"),
            Some(json!({ "min_length": min })),
        ));
    }
}

pub(super) fn check_array(
    doc: &Value,
    obj: &Map<String, Value>,
    items: &[Value],
    loc: &mut Vec<Value>,
    errors: &mut Vec<ConformError>,
    depth: Depth<'_>,
) {
    let len = items.len() as u64;
    if let Some(min) = obj.get("minItems").and_then(Value::as_u64)
        && len < min
    {
        errors.push(ConformError::new(
            loc,
            "sequence_too_short",
            format!(
                "List should have at least {min} item{} after validation, not {len}",
                plural(min)
            ),
            Some(json!({ "min_length": min, "actual_length": len })),
        ));
    }
    if let Some(max) = obj.get("maxItems").and_then(Value::as_u64)
        && len > max
    {
        errors.push(ConformError::new(
            loc,
            "sequence_too_long",
            format!(
                "List should have at most {max} item{} after validation, not {len}",
                plural(max)
            ),
            Some(json!({ "max_length": max, "actual_length": len })),
        ));
    }
    if let Some(item_schema) = obj.get("items") {
        for (i, item) in items.iter().enumerate() {
            loc.push(Value::from(i));
            check_at(doc, item_schema, item, loc, errors, depth.deeper());
            loc.pop();
        }
    }
}

pub(super) fn check_object(
    doc: &Value,
    obj: &Map<String, Value>,
    map: &Map<String, Value>,
    loc: &mut Vec<Value>,
    errors: &mut Vec<ConformError>,
    depth: Depth<'_>,
) {
    if let Some(required) = obj.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(name) {
                loc.push(Value::from(name));
                errors.push(ConformError::new(loc, "missing", "Field required", None));
                loc.pop();
            }
        }
    }
    if let Some(properties) = obj.get("properties").and_then(Value::as_object) {
        for (name, field) in map {
            if let Some(field_schema) = properties.get(name) {
                loc.push(Value::from(name.as_str()));
                check_at(doc, field_schema, field, loc, errors, depth.deeper());
                loc.pop();
            }
        }
    }
}

pub(super) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
