//! Finds the file URLs in a submission: string fields named `*_url`, arrays named `*_urls`, at
//! any depth (e.g. Kling's `elements[].frontal_image_url`), in the order they appear.

use serde_json::Value;

/// A URL given in a submission and where it sits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InputUrl {
    /// Path to the field: names and indices, e.g. `["elements", 0, "frontal_image_url"]`.
    pub loc: Vec<Value>,
    /// The URL as given.
    pub url: String,
}

/// Every file URL in `input`, in document order.
pub(crate) fn collect_input_urls(input: &Value) -> Vec<InputUrl> {
    let mut found = Vec::new();
    let mut loc = Vec::new();
    walk(input, &mut loc, &mut found, 0);
    found
}

/// `elements.0.frontal_image_url` for people reading an error.
pub(crate) fn describe_loc(loc: &[Value]) -> String {
    loc.iter()
        .map(|part| match part {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Deeper inputs than this are not searched (no real schema nests anywhere near it).
const MAX_DEPTH: usize = 32;

fn walk(value: &Value, loc: &mut Vec<Value>, found: &mut Vec<InputUrl>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, field) in map {
                loc.push(Value::from(key.as_str()));
                match field {
                    Value::String(url) if key.ends_with("_url") => found.push(InputUrl {
                        loc: loc.clone(),
                        url: url.clone(),
                    }),
                    Value::Array(items) if key.ends_with("_urls") => {
                        for (i, item) in items.iter().enumerate() {
                            if let Value::String(url) = item {
                                let mut item_loc = loc.clone();
                                item_loc.push(Value::from(i));
                                found.push(InputUrl {
                                    loc: item_loc,
                                    url: url.clone(),
                                });
                            }
                        }
                    }
                    _ => walk(field, loc, found, depth + 1),
                }
                loc.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                loc.push(Value::from(i));
                walk(item, loc, found, depth + 1);
                loc.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_urls_at_every_depth_in_order() {
        let input = json!({
            "prompt": "@Element1 waves",
            "image_urls": ["a", "b"],
            "elements": [{"frontal_image_url": "c", "reference_image_urls": ["d"]}],
            "video_url": "e",
            "seed": 3,
            "url_note": "x",
            "urls_note": ["y"]
        });
        let found = collect_input_urls(&input);
        let urls: Vec<&str> = found.iter().map(|u| u.url.as_str()).collect();
        assert_eq!(urls, vec!["a", "b", "c", "d", "e"]);
        assert_eq!(
            found[2].loc,
            vec![json!("elements"), json!(0), json!("frontal_image_url")]
        );
        assert_eq!(
            describe_loc(&found[3].loc),
            "elements.0.reference_image_urls.0"
        );
    }
}
