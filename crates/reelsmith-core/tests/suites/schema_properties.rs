//! Property tests of the parser: malformed JSON and mutated real documents give errors, never
//! panics, and deep or wide documents are cut off quickly instead of expanded.

use proptest::prelude::*;
use reelsmith_core::schema::describe::model_json;
use reelsmith_core::schema::{Field, FieldKind, FormModel, FormState, build_payload, validate};
use serde_json::{Map, Value, json};

use crate::schema_documents::*;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        prop::sample::select(vec![
            "object",
            "array",
            "string",
            "integer",
            "number",
            "boolean",
            "null",
            "#/components/schemas/X",
            "#/",
            "#",
            "prompt",
            "image_url",
            "",
            "#/paths",
        ])
        .prop_map(|s| Value::String(s.to_string())),
        "[a-z_#/{}]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let keys = prop::sample::select(vec![
            "type",
            "properties",
            "items",
            "$ref",
            "allOf",
            "anyOf",
            "oneOf",
            "enum",
            "const",
            "default",
            "required",
            "x-fal-order-properties",
            "x-fal",
            "minimum",
            "exclusiveMinimum",
            "maximum",
            "maxLength",
            "title",
            "paths",
            "post",
            "requestBody",
            "content",
            "application/json",
            "schema",
            "components",
            "schemas",
            "X",
            "info",
            "nullable",
            "examples",
            "/x/y",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..6).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// Every JSON pointer in `doc`.
fn pointers(doc: &Value, at: String, out: &mut Vec<String>) {
    match doc {
        Value::Object(m) => {
            for (k, v) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        _ => {}
    }
}

/// Runs everything downstream of a parsed model; none of it may panic.
fn exercise(doc: &Value) {
    if let Ok(model) = FormModel::from_openapi(doc) {
        let state = FormState::from_defaults(&model);
        let _ = validate(&model, &state);
        let _ = build_payload(&model, &state, &|_| None);
        let _ = model.defaults();
        let _ = model_json(&model);
        let _ = reelsmith_core::schema::cost::estimate(
            &model.endpoint_id,
            &Value::Object(model.defaults()),
        );
        let filled = Value::Object(filled(&model.fields));
        if let Ok(s) = FormState::from_input_json(&model, &filled) {
            let _ = validate(&model, &s);
            let _ = build_payload(&model, &s, &|_| None);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_documents_never_panic(doc in arb_json()) {
        exercise(&doc);
    }

    #[test]
    fn random_input_schemas_never_panic(input in arb_json(), components in arb_json()) {
        let doc = json!({"paths": {"/o/e": {"post": {"requestBody": {"content": {
            "application/json": {"schema": input}}}}}}, "components": {"schemas": {"X": components}}});
        exercise(&doc);
    }

    #[test]
    fn mutated_real_documents_never_panic(
        which in 0usize..64,
        edits in prop::collection::vec((any::<prop::sample::Index>(), arb_json(), any::<bool>()), 1..5),
    ) {
        let docs = all_documents();
        let mut doc = docs[which % docs.len()].1.clone();
        for (index, replacement, delete) in edits {
            let mut ptrs = Vec::new();
            pointers(&doc, String::new(), &mut ptrs);
            if ptrs.is_empty() {
                break;
            }
            let ptr = index.get(&ptrs).clone();
            let (parent, last) = ptr.rsplit_once('/').unwrap();
            let key = last.replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent) {
                Some(Value::Object(m)) if delete => { m.remove(&key); }
                Some(Value::Array(a)) if delete => {
                    if let Ok(i) = key.parse::<usize>() && i < a.len() { a.remove(i); }
                }
                _ => {
                    if let Some(slot) = doc.pointer_mut(&ptr) { *slot = replacement; }
                }
            }
        }
        exercise(&doc);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = FormModel::from_openapi_str(&text);
    }
}

#[test]
fn a_deep_allof_fan_out_is_cut_off_quickly() {
    // Each schema refers to the next one twice: 2^40 paths if followed naively.
    let mut schemas = Map::new();
    for i in 0..40 {
        let next = format!("#/components/schemas/S{}", i + 1);
        schemas.insert(
            format!("S{i}"),
            json!({"allOf": [{"$ref": next}, {"$ref": next}], "type": "object",
                "properties": {format!("p{i}"): {"type": "string"}}}),
        );
    }
    schemas.insert(
        "S40".into(),
        json!({"type": "object", "properties": {"end": {"type": "integer"}}}),
    );
    let doc = json!({"paths": {"/o/deep": {"post": {"requestBody": {"content": {"application/json":
        {"schema": {"type": "object", "properties": {"deep": {"$ref": "#/components/schemas/S0"}}}}}}}}},
        "components": {"schemas": schemas}});
    let started = std::time::Instant::now();
    let m = FormModel::from_openapi(&doc).unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(m.fields.len(), 1);
}

#[test]
fn a_wide_and_deep_object_tree_is_cut_off_not_expanded() {
    // Three levels of 60 properties that each refer to the next level: 216,000 nested fields if
    // opened up naively.
    let mut schemas = Map::new();
    for level in 0..3 {
        let props: Map<String, Value> = (0..60)
            .map(|i| {
                let target = format!("#/components/schemas/L{}", level + 1);
                (format!("p{i}"), json!({"$ref": target}))
            })
            .collect();
        schemas.insert(
            format!("L{level}"),
            json!({"type": "object", "properties": props}),
        );
    }
    schemas.insert(
        "L3".into(),
        json!({"type": "object", "properties": {"leaf": {"type": "string"}}}),
    );
    let doc = json!({"paths": {"/o/wide": {"post": {"requestBody": {"content": {"application/json":
        {"schema": {"$ref": "#/components/schemas/L0"}}}}}}}, "components": {"schemas": schemas}});
    let started = std::time::Instant::now();
    let m = FormModel::from_openapi(&doc).unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(m.fields.len(), 60, "no top-level field is dropped");
    fn count(fields: &[Field]) -> usize {
        fields.iter().map(|f| 1 + count(&f.item_fields)).sum()
    }
    assert!(count(&m.fields) <= 5_000 + 60, "{}", count(&m.fields));
    assert!(
        m.fields.iter().any(|f| f.kind == FieldKind::Json),
        "the rest is raw JSON"
    );
}
