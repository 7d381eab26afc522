//! A shot's actions: Extend, Next shot from the last frame, Redo this shot, export or remove
//! it. A new job costs money, so each is prepared first and shown for a yes (endpoint and
//! prompt) before anything is sent.

use egui::{RichText, Ui};
use reelsmith_core::film::actions::PreparedShot;
use reelsmith_core::film::storyboard::Shot;

use super::{Command, ExportTarget};
use crate::ui::theme::{self, Tone};

/// An action that makes a new clip for the storyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShotAction {
    /// Veo extend-video of this shot (as trimmed).
    Extend,
    /// Image-to-video from this shot's last frame, in a new slot after it.
    NextShot,
    /// The same settings again, replacing this shot's clip when done.
    Redo,
}

/// The buttons under the selected shot.
pub fn buttons(ui: &mut Ui, index: usize, shot: &Shot) -> Vec<Command> {
    let mut out = Vec::new();
    let has_clip = shot.clip.is_some();
    let busy = shot.pending.is_some();
    ui.horizontal_wrapped(|ui| {
        for (action, label, hint) in [
            (
                ShotAction::Extend,
                "Extend",
                "Veo extend-video continues this shot from its out point",
            ),
            (
                ShotAction::NextShot,
                "Next shot from the last frame",
                "Image-to-video starting from this shot's last kept frame",
            ),
            (
                ShotAction::Redo,
                "Redo this shot",
                "Make it again with its own settings",
            ),
        ] {
            if ui
                .add_enabled(has_clip && !busy, egui::Button::new(label))
                .on_hover_text(hint)
                .on_disabled_hover_text("Wait until this slot's job has finished")
                .clicked()
            {
                out.push(Command::Prepare(index, action));
            }
        }
        ui.separator();
        if ui
            .add_enabled(has_clip, egui::Button::new("Export this shot…"))
            .clicked()
        {
            out.push(Command::OpenExport(ExportTarget::Shot(index)));
        }
        if ui.button("Remove shot").clicked() {
            out.push(Command::Remove(index));
        }
    });
    out
}

/// The yes-or-no before a shot's job is sent.
pub fn confirm(ctx: &egui::Context, prepared: &PreparedShot, prompt: &mut String) -> Vec<Command> {
    let mut out = Vec::new();
    egui::Modal::new(egui::Id::unique("shot_action")).show(ctx, |ui| {
        ui.set_width(480.0);
        let what = match prepared.purpose {
            reelsmith_core::film::ShotPurpose::Extend => "Extend this shot",
            reelsmith_core::film::ShotPurpose::NextShot => "Next shot from the last frame",
            reelsmith_core::film::ShotPurpose::Redo => "Redo this shot",
            reelsmith_core::film::ShotPurpose::Added => "New shot",
        };
        ui.heading(what);
        ui.label(RichText::new(&prepared.endpoint_id).monospace().small());
        ui.add_space(4.0);
        let label = ui.label("Prompt");
        ui.add(
            egui::TextEdit::multiline(prompt)
                .desired_rows(3)
                .desired_width(f32::INFINITY)
                .id_salt("shot_prompt"),
        )
        .labelled_by(label.id);
        ui.label(
            RichText::new(
                "This submits a job (it is charged like any other); its slot shows it until \
                 the clip is in place.",
            )
            .small()
            .color(theme::tone(ui, Tone::Warning)),
        );
        ui.horizontal(|ui| {
            if ui.add(theme::primary_button("Generate")).clicked() {
                out.push(Command::Submit(prompt.clone()));
            }
            if ui.button("Cancel").clicked() {
                out.push(Command::CancelPrepared);
            }
        });
    });
    out
}
