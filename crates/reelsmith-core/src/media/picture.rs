//! RGBA8 pixels with their size: what thumbnails, poster frames and preview frames hand back.

/// A decoded picture: tightly packed RGBA8 rows, ready to upload as a texture.
#[derive(Clone, PartialEq, Eq)]
pub struct Picture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes, row after row.
    pub rgba: Vec<u8>,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pixel bytes would flood any log or assertion message.
        write!(
            f,
            "Picture({}×{}, {} bytes)",
            self.width,
            self.height,
            self.rgba.len()
        )
    }
}

impl Picture {
    /// The RGBA value at (x, y); `None` outside the picture.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        self.rgba.get(i..i + 4).and_then(|p| p.try_into().ok())
    }

    /// Widens tightly packed RGB8 rows to RGBA8 with opaque alpha.
    pub fn from_rgb(width: u32, height: u32, rgb: &[u8]) -> Picture {
        let mut rgba = Vec::with_capacity(rgb.len() / 3 * 4);
        for p in rgb.chunks_exact(3) {
            rgba.extend_from_slice(&[p[0], p[1], p[2], 255]);
        }
        Picture {
            width,
            height,
            rgba,
        }
    }

    /// Converts to an `image` RGBA buffer (for encoding); `None` if the byte count is wrong.
    pub fn to_rgba_image(&self) -> Option<image::RgbaImage> {
        image::RgbaImage::from_raw(self.width, self.height, self.rgba.clone())
    }

    /// Mean absolute difference per colour channel (alpha ignored) against RGB8 pixels of the
    /// same size; `None` when the sizes differ. Used to compare decoded frames with references.
    pub fn mean_abs_error_rgb(&self, other: &image::RgbImage) -> Option<f64> {
        if other.width() != self.width || other.height() != self.height {
            return None;
        }
        let mut sum: u64 = 0;
        for (a, b) in self
            .rgba
            .chunks_exact(4)
            .zip(other.as_raw().chunks_exact(3))
        {
            for c in 0..3 {
                sum += u64::from(a[c].abs_diff(b[c]));
            }
        }
        let n = u64::from(self.width) * u64::from(self.height) * 3;
        Some(if n == 0 { 0.0 } else { sum as f64 / n as f64 })
    }
}
