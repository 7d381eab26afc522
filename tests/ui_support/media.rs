//! Real input files for a test, made in its inputs folder: pictures, clips, any bytes.

use std::path::PathBuf;

use super::env::Env;

impl Env {
    /// A path under the inputs folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.root.path().join("inputs").join(name)
    }

    /// `bytes` written as `name` in the inputs folder.
    pub fn write_input(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.file(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// A real PNG of `w`×`h`: a gradient, coloured by `tint` (snapshots show these, so a test
    /// keeps its tint).
    pub fn png(&self, name: &str, w: u32, h: u32, tint: u8) -> PathBuf {
        let p = self.file(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, tint])
        });
        img.save(&p).unwrap();
        p
    }

    /// A real H.264 MP4 (320×180, 2 s at 16 fps) made by the simulator's clip maker.
    pub fn mp4(&self, name: &str) -> PathBuf {
        let spec = reelsmith_sim::clip::ClipSpec {
            width: 320,
            height: 180,
            fps: 16,
            frames: 32,
        };
        self.write_input(
            name,
            &reelsmith_sim::clip::render_clip(&spec, None).unwrap(),
        )
    }
}
