//! Structure-aware mutations of JSON documents (OpenAPI): a node of the value tree is nested
//! deeply, replaced by a `$ref` (to itself, to a cycle, to nowhere), fanned out by `allOf`,
//! made a huge array or string, given another type, or removed.

use reelsmith_mutate::{Rng, Seed};
use serde_json::{Map, Value, json};

/// JSON pointers (as path segments) of every node, depth first, at most `limit`.
fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                at.push(k.clone());
                paths(child, at, out, limit);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                at.push(i.to_string());
                paths(child, at, out, limit);
                at.pop();
            }
        }
        _ => {}
    }
}

fn node<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut cur = v;
    for seg in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(seg)?,
            Value::Array(a) => a.get_mut(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn pointer(path: &[String]) -> String {
    let mut s = String::from("#");
    for seg in path {
        s.push('/');
        s.push_str(&seg.replace('~', "~0").replace('/', "~1"));
    }
    s
}

/// One mutation of the document's value tree; `None` when the input is not JSON.
pub fn mutate_json(input: &mut Vec<u8>, rng: &mut Rng, _seeds: &[Seed]) -> Option<String> {
    let mut doc: Value = serde_json::from_slice(input).ok()?;
    let mut all = Vec::new();
    paths(&doc, &mut Vec::new(), &mut all, 5000);
    let path = rng.pick(&all)?.clone();
    let other = rng.pick(&all)?.clone();
    let here = pointer(&path);
    let what = rng.below(9);
    let target = node(&mut doc, &path)?;
    let old = target.clone();
    let done = match what {
        0 => {
            let depth = *rng.pick(&[30, 100, 126])?;
            let mut v = old;
            for i in 0..depth {
                v = if i % 2 == 0 {
                    json!({"type": "object", "properties": {"x": v}})
                } else {
                    json!({"allOf": [v]})
                };
            }
            *target = v;
            format!("nest {here} {depth} deep")
        }
        1 => {
            *target = json!({"$ref": here.clone()});
            format!("{here} := $ref to itself")
        }
        2 => {
            *target = json!({"$ref": pointer(&other)});
            format!("{here} := $ref to {}", pointer(&other))
        }
        3 => {
            *target = json!({"$ref": "#/components/schemas/DoesNotExist"});
            format!("{here} := $ref to nowhere")
        }
        4 => {
            let n = *rng.pick(&[8, 64])?;
            *target = json!({"allOf": vec![old; n]});
            format!("{here} := allOf of {n} copies")
        }
        5 => {
            let n = *rng.pick(&[1_000, 20_000])?;
            *target = Value::Array(vec![json!({"type": "string", "enum": ["a"]}); n]);
            format!("{here} := array of {n}")
        }
        6 => {
            *target = Value::String("x".repeat(*rng.pick(&[1_000, 100_000])?));
            format!("{here} := long string")
        }
        7 => {
            let v = rng
                .pick(&[
                    json!(null),
                    json!(-1),
                    json!(1e308),
                    json!(true),
                    json!([]),
                    json!({}),
                    json!("object"),
                    json!({"type": ["object", "null"], "nullable": true}),
                    json!({"anyOf": [{"type": "null"}, {"$ref": here.clone()}]}),
                ])?
                .clone();
            *target = v;
            format!("{here} := another type")
        }
        _ => {
            *target = Value::Object(Map::new());
            format!("{here} := {{}}")
        }
    };
    *input = serde_json::to_vec(&doc).ok()?;
    Some(done)
}
