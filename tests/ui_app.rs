//! GUI tests of the studio window (egui_kittest, no display).
