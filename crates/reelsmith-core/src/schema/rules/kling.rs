//! Kling O1: at most 7 references in all; every `@ElementN` / `@ImageN` in the prompt must exist
//! (and a warning for those never mentioned); each element needs a frontal image and 1–4
//! reference images.

use crate::schema::model::FormModel;
use crate::schema::state::FormState;
use crate::schema::validate::Issue;

/// Elements, reference images and a start image together.
pub const MAX_REFERENCES: usize = 7;
/// Reference images one element may have.
pub const ELEMENT_REFERENCES: std::ops::RangeInclusive<usize> = 1..=4;

/// Checks the Kling O1 rules on the fields this endpoint has.
pub fn check(model: &FormModel, state: &FormState) -> Vec<Issue> {
    let mut out = Vec::new();
    let has = |name: &str| model.field(name).is_some();
    let elements = if has("elements") {
        state.objects("elements")
    } else {
        &[]
    };
    let images = if has("image_urls") {
        state.media("image_urls").len()
    } else {
        0
    };
    let start = ["start_image_url", "image_url"]
        .iter()
        .filter(|n| has(n))
        .map(|n| state.media(n).len())
        .sum::<usize>();
    let total = elements.len() + images + start;
    if total > MAX_REFERENCES {
        let field = if images > 0 { "image_urls" } else { "elements" };
        let start_part = if start > 0 {
            format!(", {start} start image")
        } else {
            String::new()
        };
        out.push(Issue::error(
            field,
            format!(
                "Kling O1 takes at most {MAX_REFERENCES} references in all; this form has {} \
                 and {}{start_part} ({total}). Remove {}.",
                plural(elements.len(), "element"),
                plural(images, "image"),
                total - MAX_REFERENCES
            ),
        ));
    }

    let prompt = state.text("prompt").unwrap_or("");
    if !prompt.trim().is_empty() {
        let element_mentions = mentions(prompt, "@Element");
        let image_mentions = mentions(prompt, "@Image");
        for n in dangling(&element_mentions, elements.len()) {
            out.push(Issue::error(
                "prompt",
                format!(
                    "The prompt mentions @Element{n}, but {}. Add element {n} or change the mention.",
                    given(elements.len(), "element")
                ),
            ));
        }
        for n in dangling(&image_mentions, images) {
            out.push(Issue::error(
                "prompt",
                format!(
                    "The prompt mentions @Image{n}, but {}. Add reference image {n} or change the mention.",
                    given(images, "reference image")
                ),
            ));
        }
        for n in (1..=elements.len() as u32).filter(|n| !element_mentions.contains(n)) {
            out.push(Issue::warning(
                format!("elements[{}]", n - 1),
                format!(
                    "Element {n} is never mentioned in the prompt; write @Element{n} where it \
                     should appear, or remove it."
                ),
            ));
        }
        for n in (1..=images as u32).filter(|n| !image_mentions.contains(n)) {
            out.push(Issue::warning(
                format!("image_urls[{}]", n - 1),
                format!(
                    "Reference image {n} is never mentioned in the prompt; write @Image{n} where \
                     it should be used, or remove it."
                ),
            ));
        }
    }

    for (i, element) in elements.iter().enumerate() {
        let n = i + 1;
        if element.media("frontal_image_url").is_empty() {
            out.push(Issue::error(
                format!("elements[{i}].frontal_image_url"),
                format!(
                    "Element {n} needs a frontal image: a clear front view of the character or object."
                ),
            ));
        }
        let refs = element.media("reference_image_urls").len();
        if !ELEMENT_REFERENCES.contains(&refs) {
            let what = if refs == 0 {
                "it has none; add at least one".to_string()
            } else {
                format!("it has {refs}; remove {}", refs - ELEMENT_REFERENCES.end())
            };
            out.push(Issue::error(
                format!("elements[{i}].reference_image_urls"),
                format!(
                    "Element {n} needs 1 to 4 reference images (other angles of the same subject); {what}."
                ),
            ));
        }
    }
    out
}

/// The numbers N of every `{tag}N` in the prompt, in order of first mention.
pub fn mentions(prompt: &str, tag: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut rest = prompt;
    while let Some(at) = rest.find(tag) {
        rest = &rest[at + tag.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<u32>()
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    out
}

/// Mentioned numbers with nothing behind them (0, or beyond the count).
fn dangling(mentioned: &[u32], count: usize) -> Vec<u32> {
    mentioned
        .iter()
        .copied()
        .filter(|n| *n == 0 || *n as usize > count)
        .collect()
}

/// "2 elements", "1 image".
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "no element is given" / "only 2 elements are given".
fn given(n: usize, noun: &str) -> String {
    match n {
        0 => format!("no {noun} is given"),
        1 => format!("only 1 {noun} is given"),
        _ => format!("only {n} {noun}s are given"),
    }
}
