//! `@` references in a prompt (Kling O1's `@Element1`, `@Image2`): which names a form offers,
//! the partial `@word` before the cursor, and completing it. Positions are char indices, as a
//! text editor counts them.

use super::{Field, FieldKind, FormModel, FormState};

/// True for prompts that document `@Element`/`@Image` references (Kling O1).
pub fn references_supported(field: &Field) -> bool {
    field.description.contains("@Element") || field.description.contains("@Image")
}

/// The `@word` that ends at char index `cursor`, if the cursor sits right after one.
pub fn at_word_before(text: &str, cursor: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let end = cursor.min(chars.len());
    let mut start = end;
    while start > 0 && (chars[start - 1].is_alphanumeric() || chars[start - 1] == '@') {
        start -= 1;
        if chars[start] == '@' {
            break;
        }
    }
    if start < end && chars[start] == '@' {
        Some(chars[start..end].iter().collect())
    } else {
        None
    }
}

/// Inserts `name` at `cursor`, replacing the partial `word` before it; returns the new text and
/// the char index after the insertion (and its trailing space).
pub fn insert_reference(
    text: &str,
    cursor: usize,
    word: Option<&str>,
    name: &str,
) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let cursor = cursor.min(chars.len());
    let start = cursor - word.map(|w| w.chars().count()).unwrap_or(0).min(cursor);
    let before: String = chars[..start].iter().collect();
    let after: String = chars[cursor..].iter().collect();
    let needs_space_before = !before.is_empty() && !before.ends_with(char::is_whitespace);
    let sep = if needs_space_before { " " } else { "" };
    let trailing = if after.starts_with(char::is_whitespace) {
        ""
    } else {
        " "
    };
    let new = format!("{before}{sep}{name}{trailing}{after}");
    let pos = before.chars().count() + sep.len() + name.chars().count() + trailing.len();
    (new, pos)
}

/// `@Element1…` for each element and `@Image1…` for each image of a Kling-style form.
pub fn reference_names(model: &FormModel, state: &FormState) -> Vec<String> {
    let Some(prompt) = model.fields.iter().find(|f| f.kind == FieldKind::Prompt) else {
        return Vec::new();
    };
    if !references_supported(prompt) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for f in &model.fields {
        match f.kind {
            FieldKind::ObjectList => {
                for i in 0..state.objects(&f.name).len() {
                    out.push(format!("@Element{}", i + 1));
                }
            }
            FieldKind::ImageList => {
                for i in 0..state.media(&f.name).len() {
                    out.push(format!("@Image{}", i + 1));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_at_word_before_the_cursor() {
        assert_eq!(at_word_before("a @Ele", 6).as_deref(), Some("@Ele"));
        assert_eq!(at_word_before("a @", 3).as_deref(), Some("@"));
        assert_eq!(at_word_before("a cat", 5), None);
        assert_eq!(at_word_before("@Image1 runs", 12), None);
    }

    #[test]
    fn inserting_replaces_the_partial_word() {
        let (t, c) = insert_reference("a @El walks", 5, Some("@El"), "@Element1");
        assert_eq!(t, "a @Element1 walks");
        assert_eq!(c, "a @Element1".chars().count());
        let (t, _) = insert_reference("a cat", 5, None, "@Image2");
        assert_eq!(t, "a cat @Image2 ");
    }
}
