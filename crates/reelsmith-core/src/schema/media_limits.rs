//! The `x-fal` media limits fal attaches to file inputs (file size, dimensions, aspect ratio,
//! duration, frame rate), shared by the form model, the media checks and the simulator.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Limits one media input must meet, as declared by the endpoint's `x-fal` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaLimits {
    /// Largest accepted file, in bytes.
    pub max_file_size: Option<u64>,
    /// Smallest accepted width in pixels.
    pub min_width: Option<u32>,
    /// Smallest accepted height in pixels.
    pub min_height: Option<u32>,
    /// Largest accepted width in pixels.
    pub max_width: Option<u32>,
    /// Largest accepted height in pixels.
    pub max_height: Option<u32>,
    /// Smallest accepted width / height.
    pub min_aspect_ratio: Option<f64>,
    /// Largest accepted width / height.
    pub max_aspect_ratio: Option<f64>,
    /// Shortest accepted video, in seconds.
    pub min_duration: Option<f64>,
    /// Longest accepted video, in seconds.
    pub max_duration: Option<f64>,
    /// Lowest accepted video frame rate.
    pub min_fps: Option<f64>,
    /// Highest accepted video frame rate.
    pub max_fps: Option<f64>,
    /// Seconds the service waits while fetching the file.
    pub timeout: Option<f64>,
}

impl MediaLimits {
    /// Reads the limits from an `x-fal` object; unknown keys and wrongly typed values are ignored.
    pub fn from_x_fal(x_fal: &Value) -> MediaLimits {
        let num = |key: &str| {
            x_fal
                .get(key)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite())
        };
        let px = |key: &str| {
            num(key)
                .filter(|v| *v >= 0.0)
                .map(|v| v.min(u32::MAX as f64) as u32)
        };
        MediaLimits {
            max_file_size: num("max_file_size").filter(|v| *v >= 0.0).map(|v| v as u64),
            min_width: px("min_width"),
            min_height: px("min_height"),
            max_width: px("max_width"),
            max_height: px("max_height"),
            min_aspect_ratio: num("min_aspect_ratio"),
            max_aspect_ratio: num("max_aspect_ratio"),
            min_duration: num("min_duration"),
            max_duration: num("max_duration"),
            min_fps: num("min_fps"),
            max_fps: num("max_fps"),
            timeout: num("timeout"),
        }
    }

    /// True when no limit is set at all.
    pub fn is_empty(&self) -> bool {
        self == &MediaLimits::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kling_image_limits_and_ignores_junk() {
        let x = serde_json::json!({"max_file_size": 10485760, "min_width": 300, "min_height": 300,
            "min_aspect_ratio": 0.4, "max_aspect_ratio": 2.5, "timeout": 20, "min_fps": "fast"});
        let l = MediaLimits::from_x_fal(&x);
        assert_eq!(l.max_file_size, Some(10 * 1024 * 1024));
        assert_eq!((l.min_width, l.min_height), (Some(300), Some(300)));
        assert_eq!(
            (l.min_aspect_ratio, l.max_aspect_ratio),
            (Some(0.4), Some(2.5))
        );
        assert_eq!(l.min_fps, None);
        assert!(!l.is_empty());
        assert!(MediaLimits::from_x_fal(&serde_json::json!(null)).is_empty());
    }
}
