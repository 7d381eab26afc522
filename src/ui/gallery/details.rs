//! The selected video: its details, the player and the ways to reuse it.

use super::*;

pub(super) fn details(view: &mut GalleryView<'_>, ui: &mut Ui, item: &LibraryItem) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Details").strong().size(16.0));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.small_button("Close").clicked() {
                        view.gallery.selection.clear();
                        if let Some(p) = view.gallery.player.as_mut() {
                            p.close();
                        }
                    }
                });
            });
            player(view, ui, item);
            ui.add_space(6.0);
            ui.add(egui::Label::new(RichText::new(&item.prompt)).wrap());
            ui.add_space(4.0);
            egui::Grid::new("video_meta")
                .num_columns(2)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    let subtle = theme::subtle(ui);
                    let mut row = |k: &str, v: String| {
                        ui.label(RichText::new(k).small().color(subtle));
                        ui.label(RichText::new(v).small());
                        ui.end_row();
                    };
                    row("Endpoint", item.endpoint_id.clone());
                    row(
                        "Finished",
                        crate::ui::display_time(item.finished_at)
                            .format("%Y-%m-%d %H:%M:%S")
                            .to_string(),
                    );
                    if let Some(s) = item.seed {
                        row("Seed", s.to_string());
                    }
                    if let Some(r) = &item.request_id {
                        row("Request", r.clone());
                    }
                    if let Some(cost) = crate::ui::money_link::cost_of(view.engine, &item.job_id) {
                        row("Cost", cost);
                    }
                    row("Size", reelsmith_core::human::bytes(item.size));
                    row(
                        "File",
                        item.path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                    );
                });
            ui.add_space(8.0);
            ui.horizontal_wrapped(|ui| {
                if ui
                    .button("Open in player")
                    .on_hover_text("Plays with sound in your video player")
                    .clicked()
                {
                    view.commands.send(Action::Open(item.path.clone()));
                }
                if ui
                    .button("Add to storyboard")
                    .on_hover_text("A new shot at the end of the storyboard (Ctrl+3)")
                    .clicked()
                {
                    view.commands
                        .send(Action::AddToStoryboard(vec![item.path.clone()]));
                }
                if ui
                    .button("Reveal")
                    .on_hover_text("Show in folder")
                    .clicked()
                {
                    view.commands.send(Action::Reveal(item.path.clone()));
                }
                if ui
                    .add_enabled(!view.gallery.save.busy(), egui::Button::new("Save as…"))
                    .on_hover_text("Saves a copy of the video and its sidecar elsewhere")
                    .clicked()
                {
                    view.commands.send(Action::SaveAs(item.clone()));
                }
                if ui.button("Copy prompt").clicked() {
                    view.commands
                        .send(Action::CopyText(item.prompt.clone(), "Prompt"));
                }
                if ui.button("Reuse settings").clicked() {
                    reuse_settings(view, item);
                }
            });
            save_copy::status(&view.gallery.save, ui, item);
            ui.add_space(4.0);
            ui.label(
                RichText::new("Continue from this clip")
                    .small()
                    .strong()
                    .color(theme::subtle(ui)),
            );
            ui.horizontal_wrapped(|ui| {
                if ui.button("Extend this clip").clicked() {
                    view.commands.send(Action::ExtendClip(item.path.clone()));
                }
                if ui.button("Use last frame as first frame").clicked() {
                    view.commands
                        .send(Action::LastFrameAsFirst(item.path.clone()));
                }
                if ui.button("Use as motion reference").clicked() {
                    view.commands
                        .send(Action::MotionReference(item.path.clone()));
                }
            });
            ui.add_space(6.0);
            let danger = theme::tone(ui, Tone::Danger);
            let ids = [item.job_id.clone()];
            ui.horizontal_wrapped(|ui| {
                marks_buttons(view, ui, &ids);
                if ui
                    .add(egui::Button::new(
                        RichText::new("Move to the trash").color(danger),
                    ))
                    .on_hover_text("Delete; undo from the banner or with Ctrl+Z")
                    .clicked()
                {
                    trash_link::delete(view, &ids);
                }
            });
            ui.add_space(8.0);
            let sidecar = view
                .gallery
                .sidecar
                .as_ref()
                .filter(|(id, _)| id == &item.job_id)
                .and_then(|(_, read)| read.as_ref());
            match sidecar {
                Some(Ok(sc)) => {
                    egui::CollapsingHeader::new("Full input")
                        .default_open(true)
                        .show(ui, |ui| {
                            let text = serde_json::to_string_pretty(&sc.input).unwrap_or_default();
                            let mut text = text.as_str();
                            ui.add(
                                egui::TextEdit::multiline(&mut text)
                                    .code_editor()
                                    .desired_width(f32::INFINITY),
                            );
                            if !sc.references.is_empty() {
                                ui.label(RichText::new("Reference files").small().strong());
                                for r in &sc.references {
                                    ui.label(
                                        RichText::new(r.path.display().to_string())
                                            .small()
                                            .monospace(),
                                    );
                                }
                            }
                            if sc.simulated {
                                ui.label(
                                    RichText::new("Made by the simulator, not by fal.")
                                        .small()
                                        .color(theme::tone(ui, Tone::Warning)),
                                );
                            }
                        });
                }
                Some(Err(e)) => {
                    ui.label(
                        RichText::new(format!("The sidecar could not be read: {e}"))
                            .small()
                            .color(danger),
                    );
                }
                None => {}
            }
        });
}

pub(super) fn player(view: &mut GalleryView<'_>, ui: &mut Ui, item: &LibraryItem) {
    let poster = view.thumbs.get(&item.path, true).texture.cloned();
    crate::ui::player::clip_preview(
        ui,
        &mut view.gallery.player,
        view.sound,
        &item.path,
        poster.as_ref(),
    );
}

/// Favourite and reject toggles for `ids`.
fn marks_buttons(view: &mut GalleryView<'_>, ui: &mut Ui, ids: &[String]) {
    let all = |f: fn(&reelsmith_core::store::Marks) -> bool| {
        ids.iter().all(|id| {
            view.gallery
                .index
                .index
                .get(id)
                .is_some_and(|e| f(&e.marks))
        })
    };
    let (fav, rej) = (all(|m| m.favourite), all(|m| m.rejected));
    if ui
        .selectable_label(fav, "★ Favourite")
        .on_hover_text("F")
        .clicked()
    {
        marks::toggle(view, ids, marks::Mark::Favourite);
    }
    if ui
        .selectable_label(rej, "× Reject")
        .on_hover_text("X")
        .clicked()
    {
        marks::toggle(view, ids, marks::Mark::Reject);
    }
}

/// Several videos selected: how many, and what can be done with all of them.
pub(super) fn bulk_details(view: &mut GalleryView<'_>, ui: &mut Ui) {
    let ids = view.gallery.selected_ids();
    let items = context_menu::items_of(view.gallery, &ids);
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("{} selected", items.len()))
                .strong()
                .size(16.0),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.small_button("Clear").on_hover_text("Esc").clicked() {
                view.gallery.selection.clear();
            }
        });
    });
    let bytes: u64 = items.iter().map(|i| i.size).sum();
    ui.label(
        RichText::new(format!("{} on disk", reelsmith_core::human::bytes(bytes)))
            .small()
            .color(theme::subtle(ui)),
    );
    ui.add_space(8.0);
    ui.horizontal_wrapped(|ui| {
        marks_buttons(view, ui, &ids);
        if ui
            .add_enabled(
                !view.gallery.export.busy(),
                egui::Button::new("Save copies…"),
            )
            .on_hover_text("Copies the videos and their sidecars into a folder")
            .clicked()
        {
            export_selection::start(view, ui.ctx(), items.clone());
        }
        if ui.button("Add to storyboard").clicked() {
            let paths = items.iter().map(|i| i.path.clone()).collect();
            view.commands.send(Action::AddToStoryboard(paths));
        }
        let danger = theme::tone(ui, Tone::Danger);
        if ui
            .add(egui::Button::new(
                RichText::new("Move to the trash").color(danger),
            ))
            .on_hover_text("Delete; undo from the banner or with Ctrl+Z")
            .clicked()
        {
            trash_link::delete(view, &ids);
        }
    });
    ui.add_space(8.0);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for item in items.iter().take(200) {
                ui.label(RichText::new(excerpt(&item.prompt, 60)).small());
            }
            if items.len() > 200 {
                ui.label(
                    RichText::new(format!("and {} more", items.len() - 200))
                        .small()
                        .color(theme::subtle(ui)),
                );
            }
        });
}
