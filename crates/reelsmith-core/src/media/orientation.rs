//! EXIF orientation (1–8) and turning stored pixels the way the camera meant them to be shown.

use super::picture::Picture;

/// How stored pixels must be turned to be shown upright (the EXIF orientation tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// 1: shown as stored.
    #[default]
    Normal,
    /// 2: mirrored left–right.
    FlipHorizontal,
    /// 3: turned upside down.
    Rotate180,
    /// 4: mirrored top–bottom.
    FlipVertical,
    /// 5: mirrored along the main diagonal.
    Transpose,
    /// 6: turned 90° clockwise for display.
    Rotate90,
    /// 7: mirrored along the other diagonal.
    Transverse,
    /// 8: turned 90° counter-clockwise for display.
    Rotate270,
}

impl Orientation {
    /// The orientation for an EXIF value 1–8; `None` for anything else.
    pub fn from_exif(value: u16) -> Option<Orientation> {
        use Orientation::*;
        Some(match value {
            1 => Normal,
            2 => FlipHorizontal,
            3 => Rotate180,
            4 => FlipVertical,
            5 => Transpose,
            6 => Rotate90,
            7 => Transverse,
            8 => Rotate270,
            _ => return None,
        })
    }

    /// The EXIF value 1–8.
    pub fn exif_value(self) -> u16 {
        use Orientation::*;
        match self {
            Normal => 1,
            FlipHorizontal => 2,
            Rotate180 => 3,
            FlipVertical => 4,
            Transpose => 5,
            Rotate90 => 6,
            Transverse => 7,
            Rotate270 => 8,
        }
    }

    /// True when width and height trade places on display (orientations 5–8).
    pub fn swaps_dimensions(self) -> bool {
        self.exif_value() >= 5
    }

    /// The displayed size of stored pixels of `width`×`height`.
    pub fn display_size(self, width: u32, height: u32) -> (u32, u32) {
        if self.swaps_dimensions() {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// Where the displayed pixel (dx, dy) comes from in a stored picture of `w`×`h`.
    fn source_of(self, dx: u32, dy: u32, w: u32, h: u32) -> (u32, u32) {
        use Orientation::*;
        match self {
            Normal => (dx, dy),
            FlipHorizontal => (w - 1 - dx, dy),
            Rotate180 => (w - 1 - dx, h - 1 - dy),
            FlipVertical => (dx, h - 1 - dy),
            Transpose => (dy, dx),
            Rotate90 => (dy, h - 1 - dx),
            Transverse => (w - 1 - dy, h - 1 - dx),
            Rotate270 => (w - 1 - dy, dx),
        }
    }

    /// Turns stored RGBA pixels into their displayed arrangement.
    pub fn apply(self, picture: Picture) -> Picture {
        if self == Orientation::Normal || picture.width == 0 || picture.height == 0 {
            return picture;
        }
        let (w, h) = (picture.width, picture.height);
        let (dw, dh) = self.display_size(w, h);
        let mut out = vec![0u8; picture.rgba.len()];
        for dy in 0..dh {
            for dx in 0..dw {
                let (sx, sy) = self.source_of(dx, dy, w, h);
                let s = (sy as usize * w as usize + sx as usize) * 4;
                let d = (dy as usize * dw as usize + dx as usize) * 4;
                out[d..d + 4].copy_from_slice(&picture.rgba[s..s + 4]);
            }
        }
        Picture {
            width: dw,
            height: dh,
            rgba: out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 picture whose pixel values encode their stored position.
    fn numbered() -> Picture {
        let mut rgba = Vec::new();
        for y in 0..2u8 {
            for x in 0..3u8 {
                rgba.extend_from_slice(&[x, y, 0, 255]);
            }
        }
        Picture {
            width: 3,
            height: 2,
            rgba,
        }
    }

    #[test]
    fn rotate90_puts_the_stored_top_left_at_the_displayed_top_right() {
        let p = Orientation::Rotate90.apply(numbered());
        assert_eq!((p.width, p.height), (2, 3));
        assert_eq!(p.pixel(1, 0), Some([0, 0, 0, 255]));
        assert_eq!(p.pixel(0, 0), Some([0, 1, 0, 255]));
    }

    #[test]
    fn each_orientation_undone_by_its_inverse_is_identity() {
        use Orientation::*;
        let inverse = |o| match o {
            Rotate90 => Rotate270,
            Rotate270 => Rotate90,
            other => other,
        };
        for v in 1..=8 {
            let o = Orientation::from_exif(v).unwrap();
            assert_eq!(
                inverse(o).apply(o.apply(numbered())),
                numbered(),
                "orientation {v}"
            );
        }
    }
}
