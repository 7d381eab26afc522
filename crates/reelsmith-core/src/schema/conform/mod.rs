//! Checks a JSON value against an OpenAPI schema, reporting errors in fal's `{loc, msg, type}` shape.
//!
//! Only the keywords fal's documents use are checked (`$ref`, `allOf`, `anyOf`, `type`, `enum`,
//! `required`, numeric bounds, string and array lengths, `items`, `properties`); anything else is
//! ignored, as pydantic ignores unknown input fields. The checker never panics and stops
//! descending after [`MAX_DEPTH`] levels or [`MAX_STEPS`] visits, so a self-referencing `$ref`
//! cannot loop or explode.

use std::cell::Cell;

use serde_json::{Map, Value, json};

mod kinds;
#[cfg(test)]
mod tests;
mod types;

use kinds::{check_array, check_number, check_object, check_string};
use types::{
    describe_choices, json_equal, loose_type_matches, type_error, type_matches, type_names,
};

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
