//! Tests of the schema checker.

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
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
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
