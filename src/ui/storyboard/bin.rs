//! The library beside the storyboard: each clip with an Add button, and draggable onto the
//! shots (a [`ClipDrag`] payload, the same the gallery grid gives).

use egui::{Color32, RichText, Sense, Ui};
use reelsmith_core::library::LibraryItem;

use super::{ClipDrag, Command};
use crate::ui::engine_link::excerpt;
use crate::ui::theme;
use crate::ui::thumbs::Thumbnails;

const POSTER_W: f32 = 96.0;
const POSTER_H: f32 = 54.0;

/// Draws the bin. `can_add` is false while no storyboard is on show.
pub fn show(
    ui: &mut Ui,
    items: &[LibraryItem],
    thumbs: &mut Thumbnails,
    can_add: bool,
) -> Vec<Command> {
    let mut out = Vec::new();
    ui.label(RichText::new("Library").strong());
    ui.label(
        RichText::new("Drag a clip onto the shots, or Add it at the end.")
            .small()
            .color(theme::subtle(ui)),
    );
    ui.add_space(4.0);
    egui::ScrollArea::vertical()
        .id_salt("storyboard_bin")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if items.is_empty() {
                ui.label(
                    RichText::new("No videos yet: make some in Create, or drop video files here.")
                        .color(theme::subtle(ui)),
                );
            }
            for item in items {
                ui.horizontal(|ui| {
                    let (rect, r) = ui.allocate_exact_size(
                        egui::vec2(POSTER_W, POSTER_H),
                        Sense::click_and_drag(),
                    );
                    let name = format!("Clip: {}", excerpt(&super::clip_name(item), 50));
                    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                    if r.drag_started() || r.dragged() {
                        r.dnd_set_drag_payload(ClipDrag(item.path.clone()));
                    }
                    match thumbs.get(&item.path, true).texture {
                        Some(t) => {
                            ui.painter().image(
                                t.id(),
                                rect,
                                egui::Rect::from_min_max(
                                    egui::pos2(0.0, 0.0),
                                    egui::pos2(1.0, 1.0),
                                ),
                                Color32::WHITE,
                            );
                        }
                        None => {
                            ui.painter()
                                .rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
                        }
                    }
                    ui.vertical(|ui| {
                        ui.label(RichText::new(excerpt(&super::clip_name(item), 28)).small());
                        if ui
                            .add_enabled(can_add, egui::Button::new("Add").small())
                            .on_hover_text("Add at the end of the storyboard")
                            .on_disabled_hover_text("Make or pick a storyboard first")
                            .clicked()
                        {
                            out.push(Command::AddClip {
                                path: item.path.clone(),
                                at: None,
                            });
                        }
                    });
                });
                ui.add_space(4.0);
            }
        });
    out
}
