//! An endpoint's OpenAPI document → form model, on arbitrary text: no panic, hang or runaway
//! memory (deep nesting, `$ref` cycles, `allOf` fan-out, huge arrays), and a model it builds
//! can be used: defaults, validation, payload, description.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reelsmith_core::schema::{FormModel, FormState, build_payload, describe, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = FormModel::from_openapi_str(text) else {
        return;
    };
    let _ = model.defaults();
    let _ = describe::model_json(&model);
    let form = FormState::from_defaults(&model);
    let _ = validate(&model, &form);
    let placeholder = |p: &std::path::Path| Some(format!("file://{}", p.display()));
    let _ = build_payload(&model, &form, &placeholder);
    for field in &model.fields {
        assert!(!field.name.is_empty(), "a field without a name");
    }
});
