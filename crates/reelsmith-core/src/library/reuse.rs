//! Making new jobs from a finished clip: which endpoint and field each reuse opens, and the
//! clip's last frame saved as a picture for "use the last frame as the first".

use std::path::{Path, PathBuf};

/// A way to start a new job from a finished clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Continue the clip (Veo 3.1 extend-video).
    Extend,
    /// The clip as the motion reference (Wan video-as-prompt).
    MotionReference,
    /// The clip's last frame as the first frame of an image-to-video job.
    LastFrameAsFirst,
}

impl Reuse {
    /// The endpoint the new job uses.
    pub fn endpoint(self) -> &'static str {
        match self {
            Reuse::Extend => "fal-ai/veo3.1/extend-video",
            Reuse::MotionReference => "fal-ai/video-as-prompt",
            Reuse::LastFrameAsFirst => "fal-ai/veo3.1/image-to-video",
        }
    }

    /// The field the clip (or its frame) goes into.
    pub fn field(self) -> &'static str {
        match self {
            Reuse::Extend | Reuse::MotionReference => "video_url",
            Reuse::LastFrameAsFirst => "image_url",
        }
    }
}

/// Decodes the last frame of `video` and saves it as `<stem>-last-frame.png` in `dir`.
/// Blocking (decoding, disk). The error says what failed, in words for the user.
pub fn save_last_frame(video: &Path, dir: &Path) -> Result<PathBuf, String> {
    let pic = crate::media::video::last_frame(video)
        .map_err(|e| format!("The last frame could not be read: {e}"))?;
    let img = pic
        .to_rgba_image()
        .ok_or("The last frame has an odd size.")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("Could not create {}: {e}", dir.display()))?;
    let stem = video
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "clip".into());
    let out = dir.join(format!("{stem}-last-frame.png"));
    img.save(&out)
        .map_err(|e| format!("Could not save {}: {e}", out.display()))?;
    Ok(out)
}
