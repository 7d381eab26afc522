//! What the window knows of a local media file (from the core's one media check or a header
//! probe) and the problems drawn on its tile.

use std::path::Path;

use reelsmith_core::media::MediaError;
use reelsmith_core::media::check::{self, Inspected, Level};
use reelsmith_core::schema::MediaLimits;

/// What is known about one local media file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// File size in bytes.
    pub size: u64,
    /// Displayed width and height, when known.
    pub dims: Option<(u32, u32)>,
    /// Duration in seconds (videos), when known.
    pub duration: Option<f64>,
    /// Frames per second (videos), when known.
    pub fps: Option<f64>,
    /// Why the file cannot be used at all (missing, empty, not an image, damaged…).
    pub error: Option<String>,
    /// A few words for [`Facts::error`], for the strip on the tile.
    pub error_label: Option<&'static str>,
    /// What the one media check found (form files only; `None` for a header probe).
    pub inspected: Option<Inspected>,
    /// True when this comes from the full media check, not a header probe.
    pub checked: bool,
}

impl Facts {
    pub(super) fn failed(error: &MediaError, checked: bool) -> Facts {
        Facts {
            error: Some(error.to_string()),
            error_label: Some(error.label()),
            checked,
            ..Facts::default()
        }
    }

    pub(super) fn from_inspected(inspected: Inspected, checked: bool) -> Facts {
        Facts {
            size: inspected.size(),
            dims: inspected.dims(),
            duration: inspected.duration(),
            fps: inspected.fps(),
            error: None,
            error_label: None,
            inspected: Some(inspected),
            checked,
        }
    }
}

/// One problem of a tile's file, as drawn on the tile.
#[derive(Debug, Clone, PartialEq)]
pub struct TileProblem {
    /// It stops Generate.
    pub blocks: bool,
    /// A few words for the strip across the tile.
    pub label: &'static str,
    /// The whole message, for the tooltip and under the field.
    pub message: String,
}

/// The facts of a file from its header alone (blocking; the gallery and the queue).
pub(super) fn probe(path: &Path, video: bool) -> Facts {
    let found = if video {
        reelsmith_core::media::video::probe_video(path).map(Inspected::Video)
    } else {
        reelsmith_core::media::probe_image(path).map(Inspected::Image)
    };
    match found {
        Ok(inspected) => Facts::from_inspected(inspected, false),
        Err(e) => Facts::failed(&e, false),
    }
}

/// Problems of a file against `limits`, from the one media check (`shown` names the file):
/// a file that could not be read has one, its reason; pictures over a size limit only warn,
/// because a smaller copy is uploaded.
pub fn problems(facts: &Facts, limits: Option<&MediaLimits>, shown: &str) -> Vec<TileProblem> {
    if let Some(e) = &facts.error {
        return vec![TileProblem {
            blocks: true,
            label: facts.error_label.unwrap_or("cannot use"),
            message: e.clone(),
        }];
    }
    let (Some(inspected), Some(limits)) = (&facts.inspected, limits) else {
        return Vec::new();
    };
    check::problems(inspected, limits, shown)
        .into_iter()
        .map(|p| TileProblem {
            blocks: p.level == Level::Block,
            label: p.label,
            message: p.message,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reelsmith_core::media::VideoInfo;

    fn image(w: u32, h: u32, size: u64) -> Facts {
        let info = reelsmith_core::media::probe_image_bytes(Path::new("x.png"), &{
            let mut b = Vec::new();
            image::RgbImage::new(w, h)
                .write_to(&mut std::io::Cursor::new(&mut b), image::ImageFormat::Png)
                .unwrap();
            b
        })
        .unwrap();
        let mut f = Facts::from_inspected(Inspected::Image(info), true);
        if let Some(Inspected::Image(i)) = f.inspected.as_mut() {
            i.file_size = size;
        }
        f.size = size;
        f
    }

    #[test]
    fn small_images_block_large_ones_warn() {
        let limits = MediaLimits {
            min_width: Some(300),
            min_height: Some(300),
            max_file_size: Some(1000),
            ..MediaLimits::default()
        };
        let p = problems(&image(100, 100, 10), Some(&limits), "a.png");
        assert_eq!(p.len(), 1);
        assert!(p[0].blocks && p[0].message.contains("smaller"));
        let p = problems(&image(400, 400, 5000), Some(&limits), "a.png");
        assert_eq!(p.len(), 1);
        assert!(!p[0].blocks && p[0].message.contains("smaller JPEG copy"));
    }

    #[test]
    fn videos_outside_duration_block() {
        let limits = MediaLimits {
            max_duration: Some(8.0),
            ..MediaLimits::default()
        };
        let f = Facts::from_inspected(
            Inspected::Video(VideoInfo {
                width: 320,
                height: 180,
                duration_secs: 12.0,
                fps: 24.0,
                frame_count: 288,
                file_size: 10,
            }),
            true,
        );
        let p = problems(&f, Some(&limits), "clip.mp4");
        assert!(p[0].blocks && p[0].message.contains("longer"));
    }
}
