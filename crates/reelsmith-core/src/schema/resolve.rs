//! Flattens one property schema of an OpenAPI document: follows `$ref`, merges `allOf`, and reads
//! `anyOf`/`oneOf` with a `null` alternative as "optional X". Bounded, so a hostile or cyclic
//! document costs little and never overflows the stack.

use std::cell::Cell;

use serde_json::{Map, Value};

/// How many `$ref`/`allOf`/`anyOf` hops one schema may take before it is given up on.
const MAX_DEPTH: usize = 24;
/// How many schema nodes one document may make us visit in total when flattening (guards
/// against `allOf` fan-out that would otherwise grow exponentially). Real documents use a few
/// hundred.
const MAX_VISITS: usize = 200_000;
/// The same budget for copying schemas with `$ref`s inlined (past it, `$ref`s stay as they are).
const MAX_INLINE_VISITS: usize = 200_000;
/// How many fields (nested ones included) one document may produce; past it, objects are no
/// longer opened up and become raw JSON fields.
const MAX_FIELDS: usize = 5_000;
/// How deep `inline_refs` copies a schema for the raw-JSON view.
const MAX_INLINE_DEPTH: usize = 12;

/// A schema with its composition keywords merged away.
#[derive(Debug, Clone, Default)]
pub(crate) struct Flat {
    /// The merged keywords (no `$ref`, `allOf`, `anyOf`, `oneOf` left at the top).
    pub map: Map<String, Value>,
    /// `null` is accepted (a `null` alternative, `nullable: true` or `type: [X, "null"]`).
    pub nullable: bool,
    /// Several non-null alternatives that could not be merged: only a raw JSON editor fits.
    pub union: bool,
    /// A `$ref` could not be followed or a limit was hit: the shape is unknown.
    pub broken: bool,
}

impl Flat {
    /// A keyword of the merged schema.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// A string keyword of the merged schema.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.map.get(key).and_then(Value::as_str)
    }

    /// A finite number keyword of the merged schema.
    pub fn num(&self, key: &str) -> Option<f64> {
        self.map
            .get(key)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite())
    }

    /// A non-negative integer keyword of the merged schema.
    pub fn count(&self, key: &str) -> Option<u64> {
        let v = self.map.get(key)?;
        v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| *f >= 0.0 && f.is_finite())
                .map(|f| f as u64)
        })
    }
}

/// Resolves schemas against one document.
pub(crate) struct Resolver<'a> {
    doc: &'a Value,
    visits: Cell<usize>,
    inline_visits: Cell<usize>,
    fields: Cell<usize>,
}

impl<'a> Resolver<'a> {
    /// A resolver for `doc` (the whole OpenAPI document, where `$ref`s point).
    pub fn new(doc: &'a Value) -> Self {
        Resolver {
            doc,
            visits: Cell::new(0),
            inline_visits: Cell::new(0),
            fields: Cell::new(0),
        }
    }

    /// Counts `n` more fields; false once the document has produced too many to open more.
    pub fn take_fields(&self, n: usize) -> bool {
        let total = self.fields.get().saturating_add(n);
        self.fields.set(total);
        total <= MAX_FIELDS
    }

    /// Follows a local `$ref` such as `#/components/schemas/File`.
    pub fn lookup(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(self.doc);
        }
        self.doc.pointer(pointer)
    }

    /// Flattens `schema`; never fails: what cannot be understood is marked `broken` or `union`.
    pub fn flatten(&self, schema: &Value) -> Flat {
        self.flatten_at(schema, 0)
    }

    fn flatten_at(&self, schema: &Value, depth: usize) -> Flat {
        let visits = self.visits.get() + 1;
        self.visits.set(visits);
        if depth > MAX_DEPTH || visits > MAX_VISITS {
            return Flat {
                broken: true,
                ..Flat::default()
            };
        }
        let Some(obj) = schema.as_object() else {
            // `true` accepts anything, `false` nothing; neither can be drawn as a form.
            return Flat {
                broken: !matches!(schema, Value::Bool(true)),
                ..Flat::default()
            };
        };
        let mut out = Flat::default();

        if let Some(reference) = obj.get("$ref") {
            match reference.as_str().and_then(|r| self.lookup(r)) {
                Some(target) => merge_into(&mut out, self.flatten_at(target, depth + 1)),
                None => out.broken = true,
            }
        }
        if let Some(parts) = obj.get("allOf") {
            match parts.as_array() {
                Some(parts) => {
                    for part in parts {
                        merge_into(&mut out, self.flatten_at(part, depth + 1));
                    }
                }
                None => out.broken = true,
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(alts) = obj.get(key) {
                match alts.as_array() {
                    Some(alts) => self.merge_alternatives(&mut out, alts, depth),
                    None => out.broken = true,
                }
            }
        }
        // The schema's own keywords win over what it refers to (pydantic puts the title,
        // description and default beside an `allOf: [$ref]`).
        let own: Map<String, Value> = obj
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "$ref" | "allOf" | "anyOf" | "oneOf"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        merge_into(
            &mut out,
            Flat {
                map: own,
                ..Flat::default()
            },
        );
        normalise_type(&mut out);
        if out.map.get("nullable").and_then(Value::as_bool) == Some(true) {
            out.nullable = true;
        }
        out
    }

    /// Merges `anyOf`/`oneOf` alternatives: `null` ones make the schema nullable; one remaining
    /// alternative is merged in; several enums of one type are joined; anything else is a union.
    fn merge_alternatives(&self, out: &mut Flat, alts: &[Value], depth: usize) {
        let mut rest: Vec<Flat> = Vec::new();
        for alt in alts {
            let flat = self.flatten_at(alt, depth + 1);
            if is_null_only(&flat) {
                out.nullable = true;
            } else {
                if flat.nullable {
                    out.nullable = true;
                }
                rest.push(flat);
            }
        }
        match rest.len() {
            0 => {}
            1 => {
                if let Some(one) = rest.pop() {
                    merge_into(out, one);
                }
            }
            _ => {
                if let Some(joined) = join_enums(&rest) {
                    merge_into(out, joined);
                } else {
                    out.union = true;
                    out.broken |= rest.iter().any(|f| f.broken);
                }
            }
        }
    }

    /// A copy of `schema` with local `$ref`s replaced by their targets, for the raw-JSON editor
    /// and for checking values; cut off (left as `$ref`) past a fixed depth.
    pub fn inline_refs(&self, schema: &Value) -> Value {
        self.inline_at(schema, 0)
    }

    fn inline_at(&self, schema: &Value, depth: usize) -> Value {
        let visits = self.inline_visits.get() + 1;
        self.inline_visits.set(visits);
        if depth > MAX_INLINE_DEPTH || visits > MAX_INLINE_VISITS {
            return schema.clone();
        }
        match schema {
            Value::Object(obj) => {
                if let Some(target) = obj
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| self.lookup(r))
                {
                    let mut base = match self.inline_at(target, depth + 1) {
                        Value::Object(m) => m,
                        other => return other,
                    };
                    for (k, v) in obj {
                        if k != "$ref" {
                            base.insert(k.clone(), self.inline_at(v, depth + 1));
                        }
                    }
                    return Value::Object(base);
                }
                Value::Object(
                    obj.iter()
                        .map(|(k, v)| (k.clone(), self.inline_at(v, depth + 1)))
                        .collect(),
                )
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.inline_at(v, depth + 1)).collect())
            }
            other => other.clone(),
        }
    }
}

/// True for `{type: "null"}` (and `{enum: [null]}`): the alternative that makes X optional.
fn is_null_only(flat: &Flat) -> bool {
    match flat.map.get("type") {
        Some(Value::String(t)) => t == "null",
        _ => {
            matches!(flat.map.get("enum"), Some(Value::Array(v)) if v.iter().all(Value::is_null) && !v.is_empty())
        }
    }
}

/// Joins alternatives that are all enums (e.g. two sets of presets) into one enum.
fn join_enums(alts: &[Flat]) -> Option<Flat> {
    let mut values: Vec<Value> = Vec::new();
    let mut ty: Option<&Value> = None;
    for alt in alts {
        let choices = alt.map.get("enum")?.as_array()?;
        let alt_ty = alt.map.get("type");
        if ty.is_some() && alt_ty != ty {
            return None;
        }
        ty = alt_ty;
        for c in choices {
            if !values.contains(c) {
                values.push(c.clone());
            }
        }
    }
    let mut map = Map::new();
    if let Some(ty) = ty {
        map.insert("type".into(), ty.clone());
    }
    map.insert("enum".into(), Value::Array(values));
    Some(Flat {
        map,
        ..Flat::default()
    })
}

/// Merges `from` into `into`: `properties` maps and `required` lists are joined, other keywords
/// from `from` win (later `allOf` parts refine earlier ones).
fn merge_into(into: &mut Flat, from: Flat) {
    into.nullable |= from.nullable;
    into.union |= from.union;
    into.broken |= from.broken;
    for (key, value) in from.map {
        match (key.as_str(), into.map.get_mut(&key), value) {
            ("properties", Some(Value::Object(existing)), Value::Object(more)) => {
                for (k, v) in more {
                    existing.insert(k, v);
                }
            }
            (
                "required" | "x-fal-order-properties",
                Some(Value::Array(existing)),
                Value::Array(more),
            ) => {
                for v in more {
                    if !existing.contains(&v) {
                        existing.push(v);
                    }
                }
            }
            (_, _, value) => {
                into.map.insert(key, value);
            }
        }
    }
}

/// Turns `type: ["integer", "null"]` into `type: "integer"` + nullable; several non-null types
/// make a union.
fn normalise_type(flat: &mut Flat) {
    let Some(Value::Array(types)) = flat.map.get("type") else {
        return;
    };
    let mut non_null: Vec<Value> = Vec::new();
    let mut nullable = false;
    for t in types {
        if t.as_str() == Some("null") {
            nullable = true;
        } else {
            non_null.push(t.clone());
        }
    }
    flat.nullable |= nullable;
    match non_null.len() {
        0 => {
            flat.map.insert("type".into(), Value::String("null".into()));
        }
        1 => {
            flat.map.insert("type".into(), non_null.remove(0));
        }
        _ => flat.union = true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_refs_and_lets_outer_keywords_win() {
        let doc = json!({"components": {"schemas": {"File": {"type": "object", "title": "File",
            "properties": {"url": {"type": "string"}}, "required": ["url"]}}}});
        let r = Resolver::new(&doc);
        let flat =
            r.flatten(&json!({"title": "Video", "allOf": [{"$ref": "#/components/schemas/File"}]}));
        assert_eq!(flat.str("title"), Some("Video"));
        assert_eq!(flat.str("type"), Some("object"));
        assert!(
            flat.get("properties")
                .is_some_and(|p| p.get("url").is_some())
        );
        assert!(!flat.nullable && !flat.union && !flat.broken);
    }

    #[test]
    fn any_of_with_null_is_optional_and_two_shapes_are_a_union() {
        let doc = json!({});
        let r = Resolver::new(&doc);
        let seed =
            r.flatten(&json!({"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 3}));
        assert_eq!(seed.str("type"), Some("integer"));
        assert!(seed.nullable && !seed.union);
        let size = r.flatten(&json!({"anyOf": [{"type": "object", "properties": {}}, {"type": "string", "enum": ["a"]}]}));
        assert!(size.union);
        let both = r.flatten(&json!({"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "string", "enum": ["b", "a"]}]}));
        assert_eq!(both.get("enum"), Some(&json!(["a", "b"])));
        let list = r.flatten(&json!({"type": ["string", "null"]}));
        assert!(list.nullable);
        assert_eq!(list.str("type"), Some("string"));
    }

    #[test]
    fn cycles_and_dangling_refs_end_as_broken_not_a_stack_overflow() {
        let doc = json!({"components": {"schemas": {"A": {"$ref": "#/components/schemas/B"},
            "B": {"allOf": [{"$ref": "#/components/schemas/A"}]}}}});
        let r = Resolver::new(&doc);
        assert!(r.flatten(&json!({"$ref": "#/components/schemas/A"})).broken);
        assert!(r.flatten(&json!({"$ref": "#/nowhere"})).broken);
        assert!(
            r.flatten(&json!({"$ref": "http://elsewhere/x.json"}))
                .broken
        );
        let inlined = r.inline_refs(&json!({"$ref": "#/components/schemas/A"}));
        assert!(inlined.is_object());
    }
}
