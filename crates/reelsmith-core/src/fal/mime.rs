//! The MIME type of a file to upload: from its content, else its extension.

use std::path::Path;

/// Used when neither the content nor the extension tells.
pub const FALLBACK_MIME: &str = "application/octet-stream";

/// MIME type from the first bytes of the file (`infer`), then the extension, then the fallback.
pub fn detect_mime(path: &Path, head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let by_ext = match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "avif" => "image/avif",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        "ogg" => "audio/ogg",
        "json" => "application/json",
        "txt" => "text/plain",
        _ => FALLBACK_MIME,
    };
    by_ext.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_beats_extension() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(detect_mime(Path::new("photo.jpg"), png), "image/png");
        let jpeg = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0";
        assert_eq!(detect_mime(Path::new("x.bin"), jpeg), "image/jpeg");
    }

    #[test]
    fn extension_then_fallback() {
        assert_eq!(
            detect_mime(Path::new("clip.MOV"), b"????"),
            "video/quicktime"
        );
        assert_eq!(detect_mime(Path::new("data.xyz"), b"????"), FALLBACK_MIME);
        assert_eq!(detect_mime(Path::new("noext"), b""), FALLBACK_MIME);
    }
}
