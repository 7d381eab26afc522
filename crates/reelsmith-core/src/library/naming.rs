//! Readable, safe file names for finished videos: `YYYY-MM-DD_HHMMSS_<endpoint>_<prompt words>.mp4`.
//!
//! Names are built only from the local clock, the endpoint id and the prompt, never from anything
//! the server sends, and contain only letters, digits, `-` and `_`: no separators, no `..`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Local};

/// How many prompt words go into a name.
const PROMPT_WORDS: usize = 6;
/// Upper bound of the prompt part, in characters.
const PROMPT_CHARS: usize = 48;
/// Upper bound of the endpoint part, in characters.
const ENDPOINT_CHARS: usize = 40;

/// Keeps letters and digits (lower-cased), turns every other run of characters into one `-`.
fn slugify(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase().filter(|l| l.is_alphanumeric()));
        } else {
            pending_dash = true;
        }
        if out.chars().count() >= max_chars {
            break;
        }
    }
    let out: String = out.chars().take(max_chars).collect();
    out.trim_matches('-').to_string()
}

/// The endpoint part: the id without its owner (`fal-ai/veo3.1/fast/image-to-video` →
/// `veo3-1-fast-image-to-video`).
pub fn endpoint_slug(endpoint_id: &str) -> String {
    let rest = match endpoint_id.split_once('/') {
        Some((_, rest)) if !rest.is_empty() => rest,
        _ => endpoint_id,
    };
    let slug = slugify(rest, ENDPOINT_CHARS);
    if slug.is_empty() {
        "video".to_string()
    } else {
        slug
    }
}

/// The prompt part: its first words, lower-cased, joined by `-`.
pub fn prompt_slug(prompt: &str) -> String {
    let words: Vec<String> = prompt
        .split_whitespace()
        .map(|w| slugify(w, PROMPT_CHARS))
        .filter(|w| !w.is_empty())
        .take(PROMPT_WORDS)
        .collect();
    slugify(&words.join(" "), PROMPT_CHARS)
}

/// The file name (with `.mp4`) for a video made at `when` by `endpoint_id` from `prompt`.
pub fn video_file_name(when: DateTime<Local>, endpoint_id: &str, prompt: &str) -> String {
    let stamp = when.format("%Y-%m-%d_%H%M%S");
    let words = prompt_slug(prompt);
    if words.is_empty() {
        format!("{stamp}_{}.mp4", endpoint_slug(endpoint_id))
    } else {
        format!("{stamp}_{}_{words}.mp4", endpoint_slug(endpoint_id))
    }
}

/// `dir/name`, or `dir/<stem>_2.<ext>`, `_3`… when `taken` says the name is in use.
pub fn unique_path(dir: &Path, name: &str, taken: &dyn Fn(&Path) -> bool) -> PathBuf {
    let first = dir.join(name);
    if !taken(&first) {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s, format!(".{e}")),
        None => (name, String::new()),
    };
    (2u32..)
        .map(|n| dir.join(format!("{stem}_{n}{ext}")))
        .find(|p| !taken(p))
        .unwrap_or(first)
}

/// True when `path` or its download companions (`.part`, sidecar) already exist on disk.
pub fn exists_on_disk(path: &Path) -> bool {
    let part = {
        let mut s = path.as_os_str().to_owned();
        s.push(".part");
        PathBuf::from(s)
    };
    path.exists() || part.exists() || crate::library::sidecar::sidecar_path(path).exists()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn when() -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap()
    }

    #[test]
    fn readable_name() {
        let name = video_file_name(
            when(),
            "fal-ai/veo3.1/fast/image-to-video",
            "A red fox, running through   snow at dawn!",
        );
        assert_eq!(
            name,
            "2026-03-04_050607_veo3-1-fast-image-to-video_a-red-fox-running-through-snow.mp4"
        );
    }

    #[test]
    fn hostile_prompt_cannot_escape() {
        let name = video_file_name(when(), "../../etc", "../../../etc/passwd \\ C:\\x");
        assert!(!name.contains('/') && !name.contains('\\') && !name.contains(".."));
        assert!(name.ends_with(".mp4"));
    }

    #[test]
    fn collision_gets_a_number() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.mp4"), b"x").unwrap();
        std::fs::write(dir.path().join("a_2.mp4"), b"x").unwrap();
        let p = unique_path(dir.path(), "a.mp4", &|p| exists_on_disk(p));
        assert_eq!(p, dir.path().join("a_3.mp4"));
    }

    proptest! {
        #[test]
        fn names_are_always_safe(endpoint in ".{0,60}", prompt in ".{0,200}") {
            let name = video_file_name(when(), &endpoint, &prompt);
            prop_assert!(name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '.'));
            prop_assert!(!name.contains(".."));
            prop_assert!(name.ends_with(".mp4"));
            prop_assert!(name.chars().count() < 120);
            let path = Path::new("/lib").join(&name);
            prop_assert_eq!(path.parent(), Some(Path::new("/lib")));
        }
    }
}
