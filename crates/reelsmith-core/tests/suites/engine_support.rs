//! What the engine suites share: a temporary journal, library and files folder, a real 16:9
//! photo, and an image-to-video job on it. (Simulator set-up stays in each suite: it names the
//! suite's own `module_path!()` so the one-origin copies get their layout.)

use std::path::{Path, PathBuf};

use reelsmith_core::jobs::{BundledModels, ModelSource, NewJob};
use reelsmith_core::schema::{FieldValue, FormState, MediaRef};

/// Veo 3.1's image-to-video endpoint, the engine suites' usual job.
pub const I2V: &str = "fal-ai/veo3.1/image-to-video";

/// A temporary folder holding the journal's data folder, the library and the test's files.
pub struct Setup {
    _dir: tempfile::TempDir,
    /// The journal's folder (not created: the engine makes it).
    pub data: PathBuf,
    /// The library folder (not created).
    pub out: PathBuf,
    /// Where tests put their photos (created).
    pub files: PathBuf,
}

/// A fresh [`Setup`].
pub fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    Setup {
        data: dir.path().join("data"),
        out: dir.path().join("videos"),
        files,
        _dir: dir,
    }
}

/// A real 1280×720 PNG at `path` whose pixels depend on `seed` (different seeds hash differently).
pub fn png(path: &Path, seed: u8) -> PathBuf {
    image::RgbImage::from_fn(1280, 720, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, seed])
    })
    .save(path)
    .unwrap();
    path.to_path_buf()
}

/// An image-to-video job of `prompt` on the photo at `image`, with the endpoint's defaults.
pub fn i2v_job(image: &Path, prompt: &str) -> NewJob {
    let model = BundledModels.model(I2V).unwrap();
    let mut form = FormState::from_defaults(&model);
    form.set_from_str(&model, "prompt", prompt).unwrap();
    form.values.insert(
        "image_url".into(),
        FieldValue::Media(MediaRef::Local(image.to_path_buf())),
    );
    NewJob {
        endpoint_id: I2V.into(),
        form,
        output: None,
        overwrite_output: false,
    }
}
