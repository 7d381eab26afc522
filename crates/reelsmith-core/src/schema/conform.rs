//! Checks a JSON value against an OpenAPI schema, reporting errors in fal's `{loc, msg, type}` shape.
//!
//! Only the keywords fal's documents use are checked (`$ref`, `allOf`, `anyOf`, `type`, `enum`,
//! `required`, numeric bounds, string and array lengths, `items`, `properties`); anything else is
//! ignored, as pydantic ignores unknown input fields. The checker never panics and stops
//! descending after [`MAX_DEPTH`] levels or [`MAX_STEPS`] visits, so a self-referencing `$ref`
//! cannot loop or explode.

use std::cell::Cell;

use serde_json::{Map, Value, json};

/// How many nested schema steps are followed before the checker gives up on a branch.
pub const MAX_DEPTH: usize = 64;

/// How many schema nodes one check visits at most: unions of self-references would otherwise
/// branch exponentially within [`MAX_DEPTH`].
pub const MAX_STEPS: usize = 100_000;

/// Nesting level plus the visit budget shared by the whole check.
#[derive(Clone, Copy)]
struct Depth<'a> {
    level: usize,
    budget: &'a Cell<usize>,
}

impl Depth<'_> {
    fn deeper(self) -> Self {
        Depth {
            level: self.level + 1,
            ..self
        }
    }

    /// Whether to stop here; counts this visit against the budget otherwise.
    fn exhausted(self) -> bool {
        let left = self.budget.get();
        if self.level > MAX_DEPTH || left == 0 {
            return true;
        }
        self.budget.set(left - 1);
        false
    }
}

/// One way a value fails its schema, in the shape of fal's validation error entries.
#[derive(Debug, Clone, PartialEq)]
pub struct ConformError {
    /// Where in the checked value: property names and array indices (no leading `"body"`).
    pub loc: Vec<Value>,
    /// A sentence for people, e.g. `Input should be '16:9' or '9:16'`.
    pub msg: String,
    /// fal's machine-readable error type (`missing`, `one_of`, `int_type`, ...).
    pub kind: String,
    /// Extra facts about the limit broken, e.g. `{"expected": [...]}` or `{"le": 10}`.
    pub ctx: Option<Value>,
}

impl ConformError {
    fn new(loc: &[Value], kind: &str, msg: impl Into<String>, ctx: Option<Value>) -> ConformError {
        ConformError {
            loc: loc.to_vec(),
            msg: msg.into(),
            kind: kind.to_string(),
            ctx,
        }
    }

    /// fal's wire form of this error: `{"loc": ["body", ...], "msg", "type", "ctx"?}`.
    pub fn to_fal_json(&self) -> Value {
        let mut loc = vec![Value::from("body")];
        loc.extend(self.loc.iter().cloned());
        let mut obj = Map::new();
        obj.insert("loc".into(), Value::Array(loc));
        obj.insert("msg".into(), Value::from(self.msg.clone()));
        obj.insert("type".into(), Value::from(self.kind.clone()));
        if let Some(ctx) = &self.ctx {
            obj.insert("ctx".into(), ctx.clone());
        }
        Value::Object(obj)
    }
}

/// Checks `value` against `schema`, resolving `$ref`s inside `doc`; returns every error found.
pub fn check(doc: &Value, schema: &Value, value: &Value) -> Vec<ConformError> {
    let mut errors = Vec::new();
    let mut loc = Vec::new();
    let budget = Cell::new(MAX_STEPS);
    check_at(
        doc,
        schema,
        value,
        &mut loc,
        &mut errors,
        Depth {
            level: 0,
            budget: &budget,
        },
    );
    errors
}

/// The input schema of an endpoint in a fal queue OpenAPI document: the schema the `POST` path's
/// request body refers to, with `$ref` resolved. Prefers the path `/{endpoint_id}`, else the
/// document's only `POST` with a JSON body.
pub fn input_schema<'a>(doc: &'a Value, endpoint_id: &str) -> Option<&'a Value> {
    let paths = doc.get("paths")?.as_object()?;
    let wanted = format!("/{}", endpoint_id.trim_start_matches('/'));
    let body_schema = |item: &'a Value| -> Option<&'a Value> {
        item.get("post")?
            .get("requestBody")?
            .get("content")?
            .get("application/json")?
            .get("schema")
    };
    let schema = paths
        .get(&wanted)
        .and_then(body_schema)
        .or_else(|| paths.values().find_map(body_schema))?;
    let mut current = schema;
    // A body schema that is a chain of $refs ends at a real schema; a cycle ends at None.
    for _ in 0..MAX_DEPTH {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => current = resolve_ref(doc, reference)?,
            None => return Some(current),
        }
    }
    None
}

/// Looks up `#/components/schemas/Name` (or any local JSON pointer) in `doc`.
pub fn resolve_ref<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

fn check_at(
    doc: &Value,
    schema: &Value,
    value: &Value,
    loc: &mut Vec<Value>,
    errors: &mut Vec<ConformError>,
    depth: Depth<'_>,
) {
    if depth.exhausted() {
        return;
    }
    let Some(obj) = schema.as_object() else {
        // `true`, `{}` or anything odd accepts every value.
        if schema == &Value::Bool(false) {
            errors.push(ConformError::new(
                loc,
                "value_error",
                "No value is allowed here",
                None,
            ));
        }
        return;
    };

    if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
        match resolve_ref(doc, reference) {
            Some(target) => check_at(doc, target, value, loc, errors, depth.deeper()),
            None => errors.push(ConformError::new(
                loc,
                "schema_error",
                format!("The schema refers to {reference}, which the document does not define"),
                None,
            )),
        }
    }

    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check_at(doc, sub, value, loc, errors, depth.deeper());
        }
    }

    if let Some(any) = obj.get("anyOf").and_then(Value::as_array) {
        check_any_of(doc, any, value, loc, errors, depth);
    }

    if value.is_null() && obj.get("nullable").and_then(Value::as_bool) == Some(true) {
        return;
    }

    if let Some(types) = obj.get("type")
        && !type_matches(types, value)
    {
        errors.push(type_error(loc, types, value));
        // Further keywords would only repeat the same complaint in other words.
        return;
    }

    if let Some(choices) = obj.get("enum").and_then(Value::as_array)
        && !choices.iter().any(|c| json_equal(c, value))
    {
        errors.push(ConformError::new(
            loc,
            "one_of",
            format!("Input should be {}", describe_choices(choices)),
            Some(json!({ "expected": choices })),
        ));
        return;
    }

    match value {
        Value::Number(_) => check_number(obj, value, loc, errors),
        Value::String(s) => check_string(obj, s, loc, errors),
        Value::Array(items) => check_array(doc, obj, items, loc, errors, depth),
        Value::Object(map) => check_object(doc, obj, map, loc, errors, depth),
        _ => {}
    }
}

fn check_any_of(
    doc: &Value,
    branches: &[Value],
    value: &Value,
    loc: &mut Vec<Value>,
    errors: &mut Vec<ConformError>,
    depth: Depth<'_>,
) {
    let mut outcomes = Vec::with_capacity(branches.len());
    for branch in branches {
        let mut branch_errors = Vec::new();
        check_at(doc, branch, value, loc, &mut branch_errors, depth.deeper());
        if branch_errors.is_empty() {
            return;
        }
        outcomes.push((branch, branch_errors));
    }
    // Report the branch meant for this kind of value (the `X` of `[X, null]` for a non-null value),
    // so the message talks about the real problem instead of "should be null".
    let best = outcomes
        .iter()
        .position(|(branch, _)| branch_claims_value(doc, branch, value, depth.level))
        .unwrap_or(0);
    if let Some((_, branch_errors)) = outcomes.into_iter().nth(best) {
        errors.extend(branch_errors);
    }
}

/// Whether a union branch is the one meant for `value`'s JSON type.
fn branch_claims_value(doc: &Value, branch: &Value, value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    if let Some(reference) = branch.get("$ref").and_then(Value::as_str) {
        return resolve_ref(doc, reference)
            .is_some_and(|target| branch_claims_value(doc, target, value, depth + 1));
    }
    match branch.get("type") {
        Some(types) => type_names(types)
            .iter()
            .any(|name| loose_type_matches(name, value)),
        None => branch.get("enum").is_some() && value.is_string(),
    }
}

fn check_number(
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

fn greater_than(loc: &[Value], gt: Value) -> ConformError {
    ConformError::new(
        loc,
        "greater_than",
        format!("Input should be greater than {gt}"),
        Some(json!({ "gt": gt })),
    )
}

fn less_than(loc: &[Value], lt: Value) -> ConformError {
    ConformError::new(
        loc,
        "less_than",
        format!("Input should be less than {lt}"),
        Some(json!({ "lt": lt })),
    )
}

fn check_string(obj: &Map<String, Value>, s: &str, loc: &[Value], errors: &mut Vec<ConformError>) {
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

fn check_array(
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

fn check_object(
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

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn type_names(types: &Value) -> Vec<&str> {
    match types {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn type_matches(types: &Value, value: &Value) -> bool {
    let names = type_names(types);
    names.is_empty() || names.iter().any(|name| strict_type_matches(name, value))
}

/// JSON Schema's type test, except that an integer must be written as an integer (`5`, not `5.0`),
/// as fal's pydantic models reject a float where an int is declared.
fn strict_type_matches(name: &str, value: &Value) -> bool {
    match name {
        "integer" => value.is_i64() || value.is_u64(),
        other => loose_type_matches(other, value),
    }
}

fn loose_type_matches(name: &str, value: &Value) -> bool {
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

fn type_error(loc: &[Value], types: &Value, value: &Value) -> ConformError {
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
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'` — pydantic's wording for a list of choices.
fn describe_choices(choices: &[Value]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "paths": {
                "/fal-ai/demo": {"post": {"requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/DemoInput"}}}}}}
            },
            "components": {"schemas": {
                "DemoInput": {
                    "type": "object",
                    "required": ["prompt", "image_urls"],
                    "properties": {
                        "prompt": {"type": "string", "maxLength": 10},
                        "aspect_ratio": {"type": "string", "enum": ["16:9", "9:16"]},
                        "steps": {"type": "integer", "minimum": 1, "maximum": 50},
                        "scale": {"type": "number", "exclusiveMinimum": 0},
                        "seed": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                        "image_urls": {"type": "array", "items": {"type": "string"},
                                       "minItems": 1, "maxItems": 2},
                        "elements": {"type": "array",
                                     "items": {"$ref": "#/components/schemas/Element"}},
                        "video": {"allOf": [{"$ref": "#/components/schemas/File"}]},
                        "loop": {"$ref": "#/components/schemas/Loop"}
                    }
                },
                "Element": {"type": "object", "required": ["frontal_image_url"],
                            "properties": {"frontal_image_url": {"type": "string"}}},
                "File": {"type": "object", "required": ["url"],
                         "properties": {"url": {"type": "string"}}},
                "Loop": {"$ref": "#/components/schemas/Loop"}
            }}
        })
    }

    fn run(value: Value) -> Vec<ConformError> {
        let d = doc();
        let schema = input_schema(&d, "fal-ai/demo")
            .expect("input schema")
            .clone();
        check(&d, &schema, &value)
    }

    fn kinds(errors: &[ConformError]) -> Vec<(String, Vec<Value>)> {
        errors
            .iter()
            .map(|e| (e.kind.clone(), e.loc.clone()))
            .collect()
    }

    #[test]
    fn a_valid_value_passes() {
        let errors = run(json!({
            "prompt": "a cat", "aspect_ratio": "9:16", "steps": 5, "scale": 0.5, "seed": null,
            "image_urls": ["u"], "elements": [{"frontal_image_url": "x"}],
            "video": {"url": "v"}, "unknown_field": [1, 2, 3]
        }));
        assert_eq!(errors, vec![]);
    }

    #[test]
    fn missing_required_fields_are_named() {
        let errors = run(json!({}));
        assert_eq!(
            kinds(&errors),
            vec![
                ("missing".into(), vec![json!("prompt")]),
                ("missing".into(), vec![json!("image_urls")])
            ]
        );
        assert_eq!(
            errors[0].to_fal_json(),
            json!({"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"})
        );
    }

    #[test]
    fn enum_mismatch_lists_the_choices() {
        let errors = run(json!({"prompt": "p", "image_urls": ["u"], "aspect_ratio": "4:3"}));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind, "one_of");
        assert_eq!(errors[0].msg, "Input should be '16:9' or '9:16'");
        assert_eq!(errors[0].ctx, Some(json!({"expected": ["16:9", "9:16"]})));
    }

    #[test]
    fn an_integer_given_as_a_float_is_refused() {
        let errors = run(json!({"prompt": "p", "image_urls": ["u"], "steps": 5.0}));
        assert_eq!(
            kinds(&errors),
            vec![("int_type".into(), vec![json!("steps")])]
        );
        let errors = run(json!({"prompt": "p", "image_urls": ["u"], "steps": 5.5}));
        assert_eq!(errors[0].kind, "int_from_float");
    }

    #[test]
    fn numeric_bounds_use_fal_types() {
        let errors = run(json!({"prompt": "p", "image_urls": ["u"], "steps": 0, "scale": 0}));
        assert_eq!(
            kinds(&errors),
            vec![
                ("greater_than_equal".into(), vec![json!("steps")]),
                ("greater_than".into(), vec![json!("scale")])
            ]
        );
        assert_eq!(errors[0].ctx, Some(json!({"ge": 1})));
        let errors = run(json!({"prompt": "p", "image_urls": ["u"], "steps": 51}));
        assert_eq!(errors[0].kind, "less_than_equal");
        assert_eq!(errors[0].ctx, Some(json!({"le": 50})));
    }

    #[test]
    fn string_and_list_lengths() {
        let errors = run(json!({"prompt": "x".repeat(11), "image_urls": []}));
        assert_eq!(
            kinds(&errors),
            vec![
                ("string_too_long".into(), vec![json!("prompt")]),
                ("sequence_too_short".into(), vec![json!("image_urls")])
            ]
        );
        let errors = run(json!({"prompt": "p", "image_urls": ["a", "b", "c"]}));
        assert_eq!(errors[0].kind, "sequence_too_long");
        assert_eq!(
            errors[0].ctx,
            Some(json!({"max_length": 2, "actual_length": 3}))
        );
    }

    #[test]
    fn nested_items_and_refs_carry_their_location() {
        let errors = run(json!({
            "prompt": "p", "image_urls": ["u", 7],
            "elements": [{"frontal_image_url": "ok"}, {}], "video": {"url": 3}
        }));
        assert_eq!(
            kinds(&errors),
            vec![
                ("string_type".into(), vec![json!("image_urls"), json!(1)]),
                (
                    "missing".into(),
                    vec![json!("elements"), json!(1), json!("frontal_image_url")]
                ),
                ("string_type".into(), vec![json!("video"), json!("url")]),
            ]
        );
    }

    #[test]
    fn nullable_union_reports_the_non_null_branch() {
        let errors = run(json!({"prompt": "p", "image_urls": ["u"], "seed": "abc"}));
        assert_eq!(
            kinds(&errors),
            vec![("int_type".into(), vec![json!("seed")])]
        );
    }

    #[test]
    fn self_referencing_refs_terminate() {
        let errors = run(json!({"prompt": "p", "image_urls": ["u"], "loop": {"a": 1}}));
        assert!(errors.is_empty());
        let d = json!({"components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}},
                       "paths": {"/x": {"post": {"requestBody": {"content": {"application/json":
                       {"schema": {"$ref": "#/components/schemas/A"}}}}}}}});
        assert!(input_schema(&d, "x").is_none());
    }

    #[test]
    fn branching_self_references_stay_cheap() {
        let d = json!({"components": {"schemas": {"A": {"anyOf": [
            {"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/A"}
        ]}}}});
        let started = std::time::Instant::now();
        let _ = check(&d, &json!({"$ref": "#/components/schemas/A"}), &json!(1));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn broken_refs_and_odd_schemas_do_not_panic() {
        let d = json!({});
        let errors = check(&d, &json!({"$ref": "#/nowhere"}), &json!(1));
        assert_eq!(errors[0].kind, "schema_error");
        assert!(check(&d, &json!("weird"), &json!(1)).is_empty());
        assert!(check(&d, &json!({"type": 5, "minimum": "x"}), &json!(1)).is_empty());
    }

    #[test]
    fn finds_the_input_schema_of_every_bundled_document() {
        for (id, text) in crate::catalog::bundled::bundled_documents() {
            let d: Value = serde_json::from_str(text).expect("bundled document parses");
            let schema = input_schema(&d, id).expect("input schema present");
            assert!(schema.get("properties").is_some(), "{id}");
            let errors = check(&d, schema, &json!({}));
            assert!(
                errors
                    .iter()
                    .any(|e| e.kind == "missing" && e.loc == vec![json!("prompt")]),
                "{id}"
            );
        }
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(
                    |f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
                ),
                "[a-z$#/_:0-9]{0,12}".prop_map(Value::from),
                prop_oneof![
                    Just("type"),
                    Just("enum"),
                    Just("$ref"),
                    Just("anyOf"),
                    Just("allOf"),
                    Just("minimum"),
                    Just("items"),
                    Just("properties"),
                    Just("required"),
                    Just("#/components/schemas/A"),
                    Just("integer"),
                    Just("null")
                ]
                .prop_map(Value::from),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::vec(
                        (
                            prop_oneof![
                                Just("type".to_string()),
                                Just("enum".to_string()),
                                Just("$ref".to_string()),
                                Just("anyOf".to_string()),
                                Just("allOf".to_string()),
                                Just("items".to_string()),
                                Just("properties".to_string()),
                                Just("required".to_string()),
                                Just("maxLength".to_string()),
                                Just("minItems".to_string()),
                                Just("exclusiveMinimum".to_string()),
                                "[a-z_]{1,8}"
                            ],
                            inner
                        ),
                        0..6
                    )
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn arbitrary_schemas_and_values(schema in json_value(), value in json_value(),
                                            a in json_value()) {
                let doc = json!({"components": {"schemas": {"A": a}}});
                let _ = check(&doc, &schema, &value);
            }

            #[test]
            fn arbitrary_values_against_bundled_inputs(value in json_value()) {
                for (id, text) in crate::catalog::bundled::bundled_documents() {
                    let d: Value = serde_json::from_str(text).expect("bundled document parses");
                    if let Some(schema) = input_schema(&d, id) {
                        let errors = check(&d, schema, &value);
                        if !value.is_object() {
                            prop_assert!(!errors.is_empty());
                        }
                    }
                }
            }
        }
    }
}
