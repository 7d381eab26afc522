//! The parser over every bundled document and over hand-written real-shaped documents (anyOf
//! unions, nested objects, arrays of objects, nullable enums, exclusiveMinimum); the property
//! tests on malformed and mutated documents are schema_properties.rs.

use std::path::Path;

use reelsmith_core::catalog::bundled::bundled_documents;
use reelsmith_core::schema::conform;
use reelsmith_core::schema::describe::model_json;
use reelsmith_core::schema::{
    Field, FieldKind, FieldValue, FormModel, FormState, MediaRef, Severity, build_payload, validate,
};
use serde_json::{Map, Value, json};

pub(crate) fn fixture(name: &str) -> Value {
    let path = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("tests/fixtures/schemas")
    .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub(crate) fn fixtures() -> Vec<(String, Value)> {
    let dir = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("tests/fixtures/schemas");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name.clone(), fixture(&name))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every document the model must handle: the bundled ones and the fixtures.
pub(crate) fn all_documents() -> Vec<(String, Value)> {
    let mut docs: Vec<(String, Value)> = bundled_documents()
        .iter()
        .map(|(id, text)| (id.to_string(), serde_json::from_str(text).unwrap()))
        .collect();
    docs.extend(fixtures());
    docs
}

/// A plausible value for a field the user must fill (used to complete the defaults).
pub(crate) fn sample(field: &Field) -> Value {
    match field.kind {
        FieldKind::Prompt | FieldKind::Text => json!("a sample"),
        FieldKind::Enum => field.choices[0].clone(),
        FieldKind::Bool => json!(true),
        FieldKind::Integer => json!(field.min.unwrap_or(1.0) as i64 + 1),
        FieldKind::Number => json!(field.min.or(field.exclusive_min).unwrap_or(0.0) + 0.5),
        FieldKind::Image => json!("https://example.test/sample.png"),
        FieldKind::Video => json!("https://example.test/sample.mp4"),
        FieldKind::Audio => json!("https://example.test/sample.mp3"),
        FieldKind::File => json!("https://example.test/sample.bin"),
        FieldKind::ImageList => json!(["https://example.test/sample.png"]),
        FieldKind::VideoList => json!(["https://example.test/sample.mp4"]),
        FieldKind::Object => Value::Object(filled(&field.item_fields)),
        FieldKind::ObjectList => json!([Value::Object(filled(&field.item_fields))]),
        FieldKind::Json => json!({}),
    }
}

/// Defaults plus a sample value for each required field without one.
pub(crate) fn filled(fields: &[Field]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        let empty = |d: &Value| d.as_str() == Some("") || d.as_array().is_some_and(Vec::is_empty);
        if let Some(d) = f.default.as_ref().filter(|d| !empty(d)) {
            out.insert(f.name.clone(), d.clone());
        } else if f.required {
            out.insert(f.name.clone(), sample(f));
        }
    }
    out
}

pub(crate) fn kinds(fields: &[Field]) -> Vec<(&str, FieldKind)> {
    fields.iter().map(|f| (f.name.as_str(), f.kind)).collect()
}

#[test]
fn every_document_parses_and_its_defaults_and_filled_form_are_valid() {
    for (name, doc) in all_documents() {
        let model = FormModel::from_openapi(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!model.fields.is_empty(), "{name}");
        // The untouched form sends exactly the defaults.
        let state = FormState::from_defaults(&model);
        let payload = build_payload(&model, &state, &|_| None).unwrap();
        assert_eq!(payload, Value::Object(model.defaults()), "{name}");
        // Only missing required fields are wrong with the defaults.
        for issue in validate(&model, &state) {
            if issue.severity == Severity::Error {
                let field = model.field(&issue.field);
                assert!(
                    field.is_some_and(|f| f.required && f.default.is_none()),
                    "{name}: unexpected {issue:?}"
                );
            }
        }
        // Defaults plus samples for the required fields: valid, and built back unchanged.
        let input = Value::Object(filled(&model.fields));
        let state =
            FormState::from_input_json(&model, &input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let errors: Vec<_> = validate(&model, &state)
            .into_iter()
            .filter(|i| i.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let built = build_payload(&model, &state, &|_| None).unwrap();
        assert_eq!(numbers_as_f64(&built), numbers_as_f64(&input), "{name}");
        // The schema itself agrees: the filled form conforms, and the bare defaults miss only
        // required fields.
        let schema = conform::input_schema(&doc, &model.endpoint_id).expect("input schema");
        let errors = conform::check(&doc, schema, &built);
        assert!(errors.is_empty(), "{name}: {built} → {errors:?}");
        let defaults = Value::Object(model.defaults());
        for e in conform::check(&doc, schema, &defaults) {
            assert_eq!(e.kind, "missing", "{name}: defaults {defaults} → {e:?}");
            let field = e.loc[0].as_str().and_then(|n| model.field(n)).unwrap();
            assert!(field.required && field.default.is_none(), "{name}: {e:?}");
        }
        // The CLI view has the promised shape.
        let described = model_json(&model);
        for key in ["endpoint_id", "title", "fields", "defaults"] {
            assert!(described.get(key).is_some(), "{name}: {key}");
        }
    }
}

/// Compares numbers by value (a schema's `5` and a form's `5.0` are the same to fal).
fn numbers_as_f64(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.iter().map(numbers_as_f64).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), numbers_as_f64(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn any_of_unions_become_json_and_exclusive_minimum_is_kept() {
    let m = FormModel::from_openapi(&fixture("image-sizes-union.json")).unwrap();
    assert_eq!(m.endpoint_id, "test-owner/still-maker");
    assert_eq!(
        m.title, "test-owner/still-maker",
        "fal's generic title is replaced"
    );
    assert_eq!(
        kinds(&m.fields),
        [
            ("prompt", FieldKind::Prompt),
            ("image_size", FieldKind::Json),
            ("num_images", FieldKind::Integer),
            ("seed", FieldKind::Integer),
            ("strength", FieldKind::Number),
            ("sync_mode", FieldKind::Bool),
        ]
    );
    let size = m.field("image_size").unwrap();
    assert_eq!(size.default, Some(json!({"width": 2048, "height": 2048})));
    assert!(
        size.schema["anyOf"][0]["properties"]["width"]["exclusiveMinimum"] == json!(0),
        "the raw schema has its $ref inlined for the JSON editor"
    );
    let seed = m.field("seed").unwrap();
    assert!(seed.nullable && !seed.required && seed.default.is_none());
    let strength = m.field("strength").unwrap();
    assert_eq!(
        (strength.min, strength.exclusive_min, strength.max),
        (None, Some(0.0), Some(1.0))
    );
    assert_eq!(m.field("prompt").unwrap().min_length, Some(1));
    let described = model_json(&m);
    assert_eq!(
        described["fields"][4]["min"],
        json!(0),
        "CLI min falls back to exclusiveMinimum"
    );

    let mut s = FormState::from_defaults(&m);
    s.set_from_str(&m, "prompt", "a fox").unwrap();
    s.set_from_str(&m, "strength", "0").unwrap();
    s.set_from_str(&m, "image_size", "\"square_hd\"").unwrap();
    let issues = validate(&m, &s);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].message, "Strength must be more than 0; it is 0.");
    // Raw JSON is checked against the field's own schema.
    s.set_from_str(&m, "image_size", r#"{"width": 0, "height": 600}"#)
        .unwrap();
    let issues = validate(&m, &s);
    let size = issues
        .iter()
        .find(|i| i.field == "image_size.width")
        .unwrap();
    assert!(
        size.message
            .starts_with("Image Size.width: Input should be greater than 0"),
        "{}",
        size.message
    );
    s.set_from_str(&m, "image_size", "\"square_hd\"").unwrap();
    s.set_from_str(&m, "strength", "0.25").unwrap();
    assert_eq!(
        build_payload(&m, &s, &|_| None).unwrap(),
        json!({"prompt": "a fox", "image_size": "square_hd", "num_images": 1,
            "strength": 0.25, "sync_mode": false})
    );
}

#[test]
fn nested_objects_and_arrays_of_objects_keep_their_fields() {
    let m = FormModel::from_openapi(&fixture("nested-objects.json")).unwrap();
    assert_eq!(
        kinds(&m.fields),
        [
            ("prompt", FieldKind::Prompt),
            ("keyframes", FieldKind::ObjectList),
            ("camera", FieldKind::Object),
            ("style", FieldKind::Enum),
            ("soundtrack_url", FieldKind::Audio),
            ("loras", FieldKind::ObjectList),
            ("tags", FieldKind::Json),
            ("metadata", FieldKind::Json),
        ]
    );
    assert!(
        m.field("prompt").unwrap().required,
        "required comes through allOf"
    );
    let keyframes = m.field("keyframes").unwrap();
    assert_eq!(
        (keyframes.min_items, keyframes.max_items),
        (Some(1), Some(8))
    );
    assert_eq!(
        kinds(&keyframes.item_fields),
        [("image_url", FieldKind::Image), ("time", FieldKind::Number)]
    );
    assert_eq!(
        keyframes.item_fields[0].media.as_ref().unwrap().min_width,
        Some(256)
    );
    assert_eq!(keyframes.item_fields[1].exclusive_min, Some(0.0));
    let camera = m.field("camera").unwrap();
    assert_eq!(camera.label, "Camera");
    assert_eq!(
        kinds(&camera.item_fields),
        [
            ("movement", FieldKind::Enum),
            ("speed", FieldKind::Number),
            ("target", FieldKind::Object)
        ]
    );
    assert_eq!(camera.item_fields[2].item_fields.len(), 2);
    let style = m.field("style").unwrap();
    assert!(style.nullable);
    assert_eq!(
        style.choices,
        [json!("film"), json!("anime"), json!("clay")]
    );
    assert_eq!(style.default, None);

    let input = json!({"prompt": "a walk", "keyframes": [
            {"image_url": "@/pics/one.png", "time": 0.5},
            {"image_url": "https://example.test/two.png"}],
        "camera": {"movement": "orbit", "target": {"x": 0.2, "y": 0.9}},
        "style": "clay", "tags": ["a", "b"], "metadata": {"k": 1}});
    let s = FormState::from_input_json(&m, &input).unwrap();
    assert_eq!(s.local_files(), [Path::new("/pics/one.png").to_path_buf()]);
    let built = build_payload(&m, &s, &|_| Some("https://cdn.test/one.png".into())).unwrap();
    let mut expected = input.clone();
    expected["keyframes"][0]["image_url"] = json!("https://cdn.test/one.png");
    assert_eq!(built, expected);

    // Nested limits are checked with the nested path named.
    let bad = json!({"prompt": "p", "keyframes": [{"time": 0}],
        "camera": {"movement": "orbit", "target": {"x": 3, "y": 0}}});
    let s = FormState::from_input_json(&m, &bad).unwrap();
    let issues = validate(&m, &s);
    let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "keyframes[0].image_url",
            "keyframes[0].time",
            "camera.target.x"
        ]
    );
    assert_eq!(issues[1].message, "Time must be more than 0; it is 0.");
    assert_eq!(issues[2].message, "X must be at most 1; it is 3.");
}

#[test]
fn odd_shapes_become_json_and_nothing_is_dropped() {
    let doc = fixture("nullable-and-odd-shapes.json");
    let m = FormModel::from_openapi(&doc).unwrap();
    assert_eq!(
        kinds(&m.fields),
        [
            ("text_prompt", FieldKind::Prompt),
            ("negative_prompt", FieldKind::Text),
            ("quality", FieldKind::Enum),
            ("mode", FieldKind::Enum),
            ("levels", FieldKind::Enum),
            ("ratio", FieldKind::Number),
            ("mask", FieldKind::Image),
            ("clips", FieldKind::VideoList),
            ("payload", FieldKind::Json),
            ("tree", FieldKind::Object),
            ("broken", FieldKind::Json),
            ("anything", FieldKind::Json),
        ]
    );
    let props = doc
        .pointer("/components/schemas/OddShapesInput/properties")
        .unwrap();
    assert_eq!(m.fields.len(), props.as_object().unwrap().len());
    let ratio = m.field("ratio").unwrap();
    assert_eq!(
        (
            ratio.min,
            ratio.exclusive_min,
            ratio.max,
            ratio.exclusive_max
        ),
        (None, Some(0.0), None, Some(10.0))
    );
    let negative = m.field("negative_prompt").unwrap();
    assert!(negative.nullable && negative.advanced);
    let quality = m.field("quality").unwrap();
    assert!(quality.nullable);
    assert_eq!(quality.default, Some(json!("draft")));
    assert_eq!(m.field("mode").unwrap().choices, [json!("fast")]);
    // Integer choices are sent as integers.
    let mut s = FormState::from_defaults(&m);
    s.set_from_str(&m, "levels", "4").unwrap();
    assert_eq!(s.values["levels"], FieldValue::Integer(4));
    s.set_from_str(&m, "clips", "@/clips/a.mp4").unwrap();
    assert_eq!(
        s.values["clips"],
        FieldValue::MediaList(vec![MediaRef::Local("/clips/a.mp4".into())])
    );
    let built = build_payload(&m, &s, &|_| Some("https://cdn.test/a.mp4".into())).unwrap();
    assert_eq!(
        built,
        json!({"quality": "draft", "levels": 4, "clips": ["https://cdn.test/a.mp4"]})
    );
    // The self-referring tree stops nesting instead of recursing forever.
    let mut depth = 0;
    let mut node = m.field("tree").unwrap();
    while let Some(child) = node.item_fields.iter().find(|f| f.name == "child") {
        depth += 1;
        node = child;
    }
    assert!(depth < 6, "nesting is bounded");
    assert_eq!(node.kind, FieldKind::Json);
}

#[test]
fn documents_that_are_not_usable_give_clear_errors() {
    let cases = [
        (json!([1, 2]), "not a JSON object"),
        (
            json!({"error": {"code": "expansion_failed", "message": "OpenAPI schema not available for this endpoint"}}),
            "OpenAPI schema not available",
        ),
        (json!({"openapi": "3.0.4"}), "no `paths`"),
        (
            json!({"paths": {"/a/b/requests/{id}": {"get": {}}}}),
            "no POST path",
        ),
        (
            json!({"paths": {"/a/b": {"post": {}}}}),
            "no application/json request body",
        ),
        (
            json!({"paths": {"/a/b": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Missing"}}}}}}}}),
            "missing or circular",
        ),
        (
            json!({"paths": {"/a/b": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "string"}}}}}}}}),
            "not an object",
        ),
    ];
    for (doc, expected) in cases {
        let err = FormModel::from_openapi(&doc).unwrap_err().to_string();
        assert!(err.contains(expected), "{doc}: {err}");
    }
    let err = FormModel::from_openapi_str("{not json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not valid JSON"), "{err}");
}
