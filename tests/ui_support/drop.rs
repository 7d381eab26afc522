//! Files dragged from the file manager: hovered over a drop zone, then dropped on it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui_kittest::Harness;
use reelsmith::ui::StudioApp;

use super::drive::settle;

/// A dropped file as egui hands it over: a path, read when asked.
#[derive(Debug)]
pub struct TestFile(pub PathBuf);

impl egui::DroppedFile for TestFile {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Hovers `files` over the drop zone of `field`, checks the overlay targets it, then drops
/// them there, as the file manager does.
pub fn drop_files<P: AsRef<Path>>(h: &mut Harness<'_, StudioApp>, field: &str, files: &[P]) {
    settle(h);
    let rect = h.state().inbox.zone_rect(field).unwrap_or_else(|| {
        panic!(
            "no drop zone {field}; zones: {:?}",
            h.state().inbox.zone_paths()
        )
    });
    h.hover_at(rect.center());
    for f in files {
        h.input_mut().hovered_files.push(egui::HoveredFile {
            path: Some(f.as_ref().to_path_buf()),
            mime: String::new(),
        });
    }
    h.step();
    assert_eq!(
        h.state().inbox.hover_target.as_deref(),
        Some(field),
        "the overlay targets the zone under the pointer"
    );
    h.input_mut().hovered_files.clear();
    for f in files {
        h.input_mut()
            .dropped_files
            .push(Arc::new(TestFile(f.as_ref().to_path_buf())));
    }
    h.step();
    settle(h);
}
