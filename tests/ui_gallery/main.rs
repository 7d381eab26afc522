//! GUI tests of the gallery at scale: the real window under egui_kittest against the simulator,
//! with real videos and sidecars in the library folder (found by the core's indexer), a real
//! journal, keyboard selection, marks, and deletion through the core's trash with undo.

#[path = "../ui_support/mod.rs"]
mod ui_support;

mod helpers;
mod library;
mod selection;
