//! The storyboards on the left: pick one, make one, rename or delete the one on show.

use egui::{RichText, Ui};

use super::{Command, StoryboardState};
use crate::ui::theme;

/// Draws the list (and the name fields it owns).
pub fn show(ui: &mut Ui, s: &mut StoryboardState) -> Vec<Command> {
    let mut out = Vec::new();
    ui.label(RichText::new("Storyboards").strong());
    ui.add_space(4.0);
    let label = ui.label(
        RichText::new("New storyboard")
            .small()
            .color(theme::subtle(ui)),
    );
    ui.horizontal(|ui| {
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut s.new_name)
                    .hint_text("Name")
                    .desired_width(140.0)
                    .id_salt("new_storyboard_name"),
            )
            .labelled_by(label.id);
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let ok = !s.new_name.trim().is_empty();
        if (ui.add_enabled(ok, egui::Button::new("New")).clicked() || (entered && ok))
            && !s.new_name.trim().is_empty()
        {
            out.push(Command::Create(std::mem::take(&mut s.new_name)));
        }
    });
    ui.add_space(6.0);
    egui::ScrollArea::vertical()
        .id_salt("storyboard_list")
        .max_height(ui.available_height() - 90.0)
        .show(ui, |ui| {
            if s.boards.is_empty() {
                ui.label(RichText::new("None yet.").color(theme::subtle(ui)));
            }
            // Justified rather than sized to the available width, which would widen the
            // resizable panel a little every frame.
            ui.with_layout(egui::Layout::top_down_justified(egui::Align::LEFT), |ui| {
                for b in &s.boards {
                    let selected = s.selected.as_deref() == Some(b.id.as_str());
                    let text = format!("{}  · {}", b.name, b.shots.len());
                    if ui.add(egui::Button::selectable(selected, text)).clicked() && !selected {
                        out.push(Command::Select(b.id.clone()));
                    }
                }
            });
        });
    let Some(board) = s.board().cloned() else {
        return out;
    };
    ui.separator();
    let mut close_rename = false;
    match s.rename.as_mut() {
        Some(name) => {
            ui.add(
                egui::TextEdit::singleline(name)
                    .desired_width(180.0)
                    .id_salt("rename_storyboard"),
            );
            ui.horizontal(|ui| {
                if ui.button("Save name").clicked() {
                    out.push(Command::Rename(name.clone()));
                    close_rename = true;
                } else if ui.button("Keep").clicked() {
                    close_rename = true;
                }
            });
        }
        None if s.confirm_delete => {
            ui.label(format!(
                "Delete {:?}? Its clips stay in the library.",
                board.name
            ));
            ui.horizontal(|ui| {
                if ui.button("Delete storyboard").clicked() {
                    out.push(Command::Delete);
                    s.confirm_delete = false;
                }
                if ui.button("Keep it").clicked() {
                    s.confirm_delete = false;
                }
            });
        }
        None => {
            ui.horizontal(|ui| {
                if ui.button("Rename").clicked() {
                    s.rename = Some(board.name.clone());
                }
                if ui.button("Delete…").clicked() {
                    s.confirm_delete = true;
                }
            });
        }
    }
    if close_rename {
        s.rename = None;
    }
    out
}
