//! Decides what kind of form control a (flattened) property schema becomes: prompt, text, enum,
//! number, media (recognised by name, `x-fal` limits or example URLs), object, list, or raw JSON.

use serde_json::Value;

use super::model::FieldKind;
use super::resolve::Flat;

/// Names of optional settings that shape the output (length, frame rate, audio, size) and so stay
/// visible even though they are not required; every other optional plain setting is "advanced".
const SHAPING_TOKENS: &[&str] = &[
    "duration",
    "frames",
    "fps",
    "audio",
    "resolution",
    "aspect",
    "ratio",
];

/// The media a single string field holds, if it is a file input at all.
pub(crate) fn media_kind(name: &str, flat: &Flat) -> Option<FieldKind> {
    if flat.str("format") == Some("binary") {
        return None;
    }
    let tokens: Vec<&str> = name
        .split(['_', '-', '.'])
        .filter(|t| !t.is_empty())
        .collect();
    let last = tokens.last().copied().unwrap_or("");
    let url_name = matches!(last, "url" | "urls" | "uri" | "uris");
    let bare_media_name = matches!(
        last,
        "image" | "images" | "video" | "videos" | "audio" | "frame" | "photo" | "mask"
    );
    let x_fal = flat.get("x-fal").filter(|v| has_media_keys(v));
    let from_examples = example_media(flat);
    if !(url_name || bare_media_name || x_fal.is_some() || from_examples.is_some()) {
        return None;
    }
    let from_name = tokens.iter().find_map(|t| token_media(t));
    let from_limits = x_fal.map(|x| {
        if x.get("min_duration").is_some()
            || x.get("max_duration").is_some()
            || x.get("min_fps").is_some()
            || x.get("max_fps").is_some()
        {
            FieldKind::Video
        } else if x.get("min_width").is_some()
            || x.get("max_width").is_some()
            || x.get("min_aspect_ratio").is_some()
        {
            FieldKind::Image
        } else {
            FieldKind::File
        }
    });
    Some(
        from_name
            .or(from_examples)
            .or(from_limits)
            .unwrap_or(FieldKind::File),
    )
}

/// The media a name part stands for.
fn token_media(token: &str) -> Option<FieldKind> {
    match token {
        "video" | "videos" | "clip" | "footage" => Some(FieldKind::Video),
        "audio" | "voice" | "music" | "sound" | "speech" => Some(FieldKind::Audio),
        "image" | "images" | "frame" | "photo" | "picture" | "mask" | "face" | "portrait" => {
            Some(FieldKind::Image)
        }
        _ => None,
    }
}

/// True when an `x-fal` object carries any of the file limits.
fn has_media_keys(x_fal: &Value) -> bool {
    const KEYS: &[&str] = &[
        "max_file_size",
        "min_width",
        "max_width",
        "min_height",
        "max_height",
        "min_aspect_ratio",
        "max_aspect_ratio",
        "min_duration",
        "max_duration",
        "min_fps",
        "max_fps",
        "timeout",
    ];
    x_fal
        .as_object()
        .is_some_and(|m| KEYS.iter().any(|k| m.contains_key(*k)))
}

/// The media kind the schema's example URLs point at, judged by file extension.
fn example_media(flat: &Flat) -> Option<FieldKind> {
    let mut strings: Vec<&str> = Vec::new();
    if let Some(Value::Array(examples)) = flat.get("examples") {
        for e in examples {
            match e {
                Value::String(s) => strings.push(s),
                Value::Array(inner) => strings.extend(inner.iter().filter_map(Value::as_str)),
                _ => {}
            }
        }
    }
    if let Some(Value::String(s)) = flat.get("example") {
        strings.push(s);
    }
    strings.into_iter().find_map(url_media)
}

/// The media kind of a URL by its extension (`https://…/clip.mp4` → video).
pub(crate) fn url_media(url: &str) -> Option<FieldKind> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return None;
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "webp" | "gif" | "bmp" | "avif" | "heic" => Some(FieldKind::Image),
        "mp4" | "mov" | "webm" | "mkv" | "avi" | "m4v" => Some(FieldKind::Video),
        "mp3" | "wav" | "ogg" | "flac" | "m4a" | "aac" => Some(FieldKind::Audio),
        _ => None,
    }
}

/// True for the main text prompt (`prompt`, `text_prompt`…; never the negative prompt).
pub(crate) fn is_prompt_name(name: &str) -> bool {
    (name == "prompt" || name.ends_with("_prompt")) && !name.contains("negative")
}

/// The "More options" rule: a field is advanced when it is optional and is a plain setting
/// (text, number, switch or raw JSON) that does not shape the output's length, frame rate,
/// audio or size. The prompt, media, choice lists and objects always stay in view.
pub(crate) fn is_advanced(name: &str, kind: FieldKind, required: bool) -> bool {
    if required {
        return false;
    }
    match kind {
        FieldKind::Text
        | FieldKind::Bool
        | FieldKind::Integer
        | FieldKind::Number
        | FieldKind::Json => {
            let shaping = name
                .split('_')
                .any(|t| SHAPING_TOKENS.contains(&t) || t.starts_with("generate"));
            !shaping
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flat(v: Value) -> Flat {
        Flat {
            map: v.as_object().cloned().unwrap_or_default(),
            ..Flat::default()
        }
    }

    #[test]
    fn recognises_media_by_name_limits_and_examples() {
        let plain = flat(json!({"type": "string"}));
        assert_eq!(media_kind("video_url", &plain), Some(FieldKind::Video));
        assert_eq!(
            media_kind("first_frame_url", &plain),
            Some(FieldKind::Image)
        );
        assert_eq!(media_kind("audio_url", &plain), Some(FieldKind::Audio));
        assert_eq!(media_kind("webhook_url", &plain), Some(FieldKind::File));
        assert_eq!(media_kind("image", &plain), Some(FieldKind::Image));
        assert_eq!(media_kind("video_description", &plain), None);
        assert_eq!(media_kind("prompt", &plain), None);
        let limited = flat(json!({"type": "string", "x-fal": {"min_fps": 24}}));
        assert_eq!(media_kind("reference", &limited), Some(FieldKind::Video));
        let example = flat(json!({"type": "string", "examples": ["https://x.test/a/b.PNG?x=1"]}));
        assert_eq!(media_kind("subject", &example), Some(FieldKind::Image));
        let binary = flat(json!({"type": "string", "format": "binary"}));
        assert_eq!(media_kind("file_url", &binary), None);
    }

    #[test]
    fn advanced_is_optional_plain_settings_that_do_not_shape_the_clip() {
        assert!(is_advanced("seed", FieldKind::Integer, false));
        assert!(is_advanced("negative_prompt", FieldKind::Text, false));
        assert!(is_advanced("guidance_scale", FieldKind::Number, false));
        assert!(is_advanced("enable_safety_checker", FieldKind::Bool, false));
        assert!(is_advanced("auto_fix", FieldKind::Bool, false));
        assert!(!is_advanced("generate_audio", FieldKind::Bool, false));
        assert!(!is_advanced("num_frames", FieldKind::Integer, false));
        assert!(!is_advanced("fps", FieldKind::Integer, false));
        assert!(!is_advanced("aspect_ratio", FieldKind::Enum, false));
        assert!(!is_advanced("image_url", FieldKind::Image, false));
        assert!(!is_advanced("video_description", FieldKind::Text, true));
    }
}
