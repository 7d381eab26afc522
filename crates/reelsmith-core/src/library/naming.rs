//! Readable, safe file names for finished videos: `YYYY-MM-DD_HHMMSS_<endpoint>_<prompt words>.mp4`,
//! and reserving one on disk so that no other job, in this process or another, takes it too.
//!
//! Names are built only from the local clock, the endpoint id and the prompt, never from anything
//! the server sends, and contain only letters (with their combining marks), digits, `-` and `_`:
//! no separators, no `..`. They are bounded in bytes, with room left for what is added later
//! (a collision number, `.part`, the sidecar's `.json`), and cut only between whole characters
//! as a reader sees them (a letter and its accents stay together).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Local};
use unicode_segmentation::UnicodeSegmentation;

use crate::library::durable::sync_dir;

/// The longest file name common file systems take (ext4, APFS: 255 bytes; NTFS: 255 UTF-16
/// units, never more than the UTF-8 bytes).
pub const MAX_NAME_BYTES: usize = 255;
/// How many numbered names [`reserve`] tries after the first.
const MAX_TRIES: u32 = 99_999;
/// The longest addition to a name: a collision number (`_99999`), the download's `.part`, and
/// the sidecar's `.json` one byte longer than `.mp4`.
pub const SUFFIX_ROOM: usize = "_99999".len() + ".part".len() + 1;
/// How many prompt words go into a name.
const PROMPT_WORDS: usize = 6;
/// Upper bound of the prompt part, in bytes.
const PROMPT_BYTES: usize = 120;
/// Upper bound of the endpoint part, in bytes.
const ENDPOINT_BYTES: usize = 64;
/// `YYYY-MM-DD_HHMMSS`, two `_` and `.mp4`.
const FIXED_BYTES: usize = 17 + 2 + 4;

const _: () = assert!(FIXED_BYTES + ENDPOINT_BYTES + PROMPT_BYTES + SUFFIX_ROOM <= MAX_NAME_BYTES);

/// Combining marks (the Unicode blocks of combining diacritics): kept with the letter they follow.
fn is_combining_mark(c: char) -> bool {
    matches!(
        c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
    )
}

/// One user-perceived character as it goes into a name: a letter or digit, lower-cased, with its
/// combining marks; empty for anything else (punctuation, emoji, separators, controls).
fn name_text(grapheme: &str) -> String {
    if !grapheme.chars().next().is_some_and(char::is_alphanumeric) {
        return String::new();
    }
    let mut out = String::new();
    for c in grapheme.chars() {
        if c.is_alphanumeric() {
            out.extend(
                c.to_lowercase()
                    .filter(|l| l.is_alphanumeric() || is_combining_mark(*l)),
            );
        } else if is_combining_mark(c) {
            out.push(c);
        }
    }
    out
}

/// Keeps letters and digits (lower-cased), turns every other run of characters into one `-`,
/// and stops before the first character that would pass `max_bytes`.
fn slugify(text: &str, max_bytes: usize) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    for grapheme in text.graphemes(true) {
        let letter = name_text(grapheme);
        if letter.is_empty() {
            pending_dash = true;
            continue;
        }
        let dash = pending_dash && !out.is_empty();
        if out.len() + letter.len() + usize::from(dash) > max_bytes {
            break;
        }
        if dash {
            out.push('-');
        }
        out.push_str(&letter);
        pending_dash = false;
    }
    out
}

/// The endpoint part: the id without its owner (`fal-ai/veo3.1/fast/image-to-video` →
/// `veo3-1-fast-image-to-video`).
pub fn endpoint_slug(endpoint_id: &str) -> String {
    let rest = match endpoint_id.split_once('/') {
        Some((_, rest)) if !rest.is_empty() => rest,
        _ => endpoint_id,
    };
    let slug = slugify(rest, ENDPOINT_BYTES);
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
        .map(|w| slugify(w, PROMPT_BYTES))
        .filter(|w| !w.is_empty())
        .take(PROMPT_WORDS)
        .collect();
    slugify(&words.join(" "), PROMPT_BYTES)
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

/// `dir/name`, then `dir/<stem>_2.<ext>`, `_3`… up to `_99999`.
fn candidates<'a>(dir: &'a Path, name: &'a str) -> impl Iterator<Item = PathBuf> + 'a {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s, format!(".{e}")),
        None => (name, String::new()),
    };
    std::iter::once(dir.join(name))
        .chain((2..=MAX_TRIES).map(move |n| dir.join(format!("{stem}_{n}{ext}"))))
}

/// `<path>.part`: where the download of `path` grows.
fn part_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

/// True when the download companion (`.part`) or the sidecar of `path` exists on disk.
pub fn companions_exist(path: &Path) -> bool {
    part_of(path).symlink_metadata().is_ok()
        || crate::library::sidecar::sidecar_path(path)
            .symlink_metadata()
            .is_ok()
}

/// True when `path` or its download companions (`.part`, sidecar) already exist on disk.
pub fn exists_on_disk(path: &Path) -> bool {
    path.symlink_metadata().is_ok() || companions_exist(path)
}

/// Creates `path` as an empty placeholder if nothing is there yet: true when this call made it
/// (so the name is ours), false when something already was.
pub fn reserve_exact(path: &Path) -> std::io::Result<bool> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reserves `dir/name` (or the first free numbered variant) by creating it as an empty
/// placeholder with create-new: the file system, not this process's memory, decides who gets a
/// name, so two processes finishing jobs at once never share one. Names whose companions exist
/// or that `taken` reports (names other jobs recorded) are skipped. The download is later
/// renamed onto the placeholder.
pub fn reserve(dir: &Path, name: &str, taken: &dyn Fn(&Path) -> bool) -> std::io::Result<PathBuf> {
    for candidate in candidates(dir, name) {
        if taken(&candidate) || companions_exist(&candidate) {
            continue;
        }
        if reserve_exact(&candidate)? {
            sync_dir(dir)?;
            return Ok(candidate);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!(
            "every name from {name} to its {MAX_TRIES}th variant is taken in {}",
            dir.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn when() -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap()
    }

    /// The longest name derived from `name` later: numbered, downloading, and its sidecar.
    fn longest_derived(name: &str) -> usize {
        let stem = name.strip_suffix(".mp4").unwrap();
        (format!("{stem}_99999.mp4.part").len()).max(format!("{stem}_99999.json").len())
    }

    /// The characters a name may hold.
    fn safe_char(c: char) -> bool {
        c.is_alphanumeric() || c == '-' || c == '_' || c == '.' || is_combining_mark(c)
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
    fn four_byte_letters_stay_within_255_bytes_with_every_suffix() {
        // U+10400 DESERET CAPITAL LONG I (4 bytes; its lower case is 4 bytes too) and U+20000
        // (a CJK ideograph, 4 bytes, no case).
        let deseret: String = std::iter::repeat_n('\u{10400}', 80).collect();
        let cjk: String = std::iter::repeat_n('\u{20000}', 80).collect();
        let endpoint = format!("owner/{cjk}");
        let prompt = format!("{deseret} {cjk} {deseret}");
        let name = video_file_name(when(), &endpoint, &prompt);
        assert!(
            longest_derived(&name) <= MAX_NAME_BYTES,
            "{} bytes",
            name.len()
        );
        assert!(
            name.contains('\u{10428}'),
            "the letters are kept, lower-cased: {name}"
        );
        assert!(name.chars().all(safe_char));
    }

    #[test]
    fn combining_marks_stay_with_their_letter() {
        // "é" as e + U+0301, 3 bytes each: any cut must fall between two of them.
        let word: String = "e\u{301}".repeat(100);
        let slug = prompt_slug(&word);
        assert!(slug.len() <= PROMPT_BYTES);
        assert_eq!(slug.len() % 3, 0, "a letter was cut from its mark");
        assert!(slug.ends_with('\u{301}'));
        let name = video_file_name(when(), "fal-ai/veo3.1", &format!("caf{word} naïve"));
        assert!(longest_derived(&name) <= MAX_NAME_BYTES);
        // A letter whose lower case adds a combining mark keeps it.
        assert_eq!(prompt_slug("İstanbul"), "i\u{307}stanbul");
    }

    #[test]
    fn an_all_emoji_prompt_gives_a_name_without_words() {
        let prompt = "🎬🎥🍿 👨‍👩‍👧‍👦 🇫🇷 ❤️‍🔥".repeat(30);
        let name = video_file_name(when(), "fal-ai/veo3.1", &prompt);
        assert_eq!(name, "2026-03-04_050607_veo3-1.mp4");
    }

    #[test]
    fn collision_gets_a_number() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.mp4"), b"x").unwrap();
        std::fs::write(dir.path().join("a_2.json"), b"x").unwrap();
        std::fs::write(dir.path().join("a_3.mp4.part"), b"x").unwrap();
        let p = reserve(dir.path(), "a.mp4", &|p| p.ends_with("a_4.mp4")).unwrap();
        assert_eq!(p, dir.path().join("a_5.mp4"));
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            0,
            "an empty placeholder"
        );
        // The placeholder holds the name: the next reservation gets another.
        let q = reserve(dir.path(), "a.mp4", &|_| false).unwrap();
        assert_eq!(q, dir.path().join("a_4.mp4"));
        assert_eq!(std::fs::read(dir.path().join("a.mp4")).unwrap(), b"x");
    }

    #[test]
    fn threads_racing_for_one_name_each_get_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let got: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| reserve(dir.path(), "same.mp4", &|_| false).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let distinct: std::collections::HashSet<_> = got.iter().collect();
        assert_eq!(distinct.len(), 8, "{got:?}");
    }

    proptest! {
        #[test]
        fn names_are_always_safe_and_short(endpoint in ".{0,60}", prompt in ".{0,200}") {
            let name = video_file_name(when(), &endpoint, &prompt);
            prop_assert!(name.chars().all(safe_char), "{}", name);
            prop_assert!(!name.contains(".."));
            prop_assert!(name.ends_with(".mp4"));
            prop_assert!(longest_derived(&name) <= MAX_NAME_BYTES);
            let path = Path::new("/lib").join(&name);
            prop_assert_eq!(path.parent(), Some(Path::new("/lib")));
        }

        #[test]
        fn long_unicode_words_are_bounded(
            words in proptest::collection::vec("[\\u{10400}-\\u{1044F}\\u{20000}-\\u{2000F}a-z\\u{300}-\\u{36F}]{1,80}", 1..8),
        ) {
            let name = video_file_name(when(), "fal-ai/x", &words.join(" "));
            prop_assert!(longest_derived(&name) <= MAX_NAME_BYTES, "{} bytes", name.len());
        }
    }
}
