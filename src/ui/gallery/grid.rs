//! The grid of posters, with its search and endpoint filter (the core's library query).

use super::*;

pub(super) fn grid(app: &mut StudioApp, ui: &mut Ui) {
    let total = app.engine.library().len();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Gallery").strong().size(18.0));
        let noun = if total == 1 { "video" } else { "videos" };
        ui.label(RichText::new(format!("{total} {noun}")).color(theme::subtle(ui)));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let endpoints = reelsmith_core::library::query::endpoints(app.engine.library());
            let current = app
                .gallery
                .endpoint
                .as_deref()
                .map(|e| short_name(&app.entries, e))
                .unwrap_or_else(|| "All endpoints".into());
            let r = egui::ComboBox::from_id_salt("gallery_endpoint")
                .selected_text(current)
                .width(220.0)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(app.gallery.endpoint.is_none(), "All endpoints")
                        .clicked()
                    {
                        app.gallery.endpoint = None;
                    }
                    for e in &endpoints {
                        let on = app.gallery.endpoint.as_deref() == Some(e.as_str());
                        if ui
                            .selectable_label(on, short_name(&app.entries, e))
                            .clicked()
                        {
                            app.gallery.endpoint = Some(e.clone());
                        }
                    }
                });
            let label = ui.label("Endpoint");
            r.response.labelled_by(label.id);
            let search = ui.add(
                egui::TextEdit::singleline(&mut app.gallery.search)
                    .hint_text("Search prompts")
                    .desired_width(220.0),
            );
            crate::ui::endpoints::accesskit_label(&search, "Search prompts");
        });
    });
    ui.add_space(8.0);
    let query = reelsmith_core::library::query::LibraryQuery::new(
        &app.gallery.search,
        app.gallery.endpoint.as_deref(),
    );
    // Positions, not copies: only the rows on screen are cloned for drawing.
    let items: Vec<usize> = query.positions(app.engine.library());
    if items.is_empty() {
        ui.add_space(40.0);
        ui.vertical_centered(|ui| {
            let text = if app.engine.is_opening() {
                "Opening the journal…"
            } else if total == 0 {
                "Finished videos appear here."
            } else {
                "No video matches the filter."
            };
            ui.label(RichText::new(text).color(theme::subtle(ui)));
        });
        return;
    }
    let cols = (((ui.available_width() + GAP) / (CELL_W + GAP)).floor() as usize).max(1);
    let rows = items.len().div_ceil(cols);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_rows(ui, CELL_H + GAP, rows, |ui, range| {
            for row in range {
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = GAP;
                    let row_items: Vec<LibraryItem> = items
                        .iter()
                        .skip(row * cols)
                        .take(cols)
                        .filter_map(|&n| app.engine.library().get(n).cloned())
                        .collect();
                    for item in &row_items {
                        cell(app, ui, item);
                    }
                });
                ui.add_space(GAP - ui.spacing().item_spacing.y);
            }
        });
}

pub(super) fn cell(app: &mut StudioApp, ui: &mut Ui, item: &LibraryItem) {
    let selected = app.gallery.selected.as_deref() == Some(item.job_id.as_str());
    let (rect, r) =
        ui.allocate_exact_size(egui::vec2(CELL_W, CELL_H), egui::Sense::click_and_drag());
    if r.drag_started() || r.dragged() {
        // Dropped on the storyboard bar below the grid, it becomes a shot.
        r.dnd_set_drag_payload(crate::ui::storyboard::ClipDrag(item.path.clone()));
    }
    if !ui.is_rect_visible(rect) {
        return;
    }
    let name = format!("Video: {}", excerpt(&item.prompt, 60));
    r.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &name));
    let painter = ui.painter_at(rect.expand(2.0));
    painter.rect_filled(rect, 8.0, theme::card_fill(ui));
    let poster = egui::Rect::from_min_size(rect.min, egui::vec2(CELL_W, POSTER_H));
    let view = app.thumbs.get(&item.path, true);
    match view.texture {
        Some(t) => {
            let size = t.size_vec2();
            let s = (CELL_W / size.x).max(POSTER_H / size.y);
            let uv = egui::Rect::from_center_size(
                egui::pos2(0.5, 0.5),
                egui::vec2(CELL_W / (size.x * s), POSTER_H / (size.y * s)),
            );
            painter.image(t.id(), poster, uv, Color32::WHITE);
        }
        None => {
            painter.rect_filled(
                poster,
                egui::CornerRadius {
                    nw: 8,
                    ne: 8,
                    sw: 0,
                    se: 0,
                },
                ui.visuals().extreme_bg_color,
            );
            let text = if view.loading { "…" } else { "no preview" };
            painter.text(
                poster.center(),
                egui::Align2::CENTER_CENTER,
                text,
                egui::FontId::proportional(13.0),
                theme::subtle(ui),
            );
        }
    }
    if let Some(d) = view.facts.and_then(|f| f.duration) {
        let badge = egui::Rect::from_min_size(
            poster.right_bottom() - egui::vec2(46.0, 22.0),
            egui::vec2(42.0, 18.0),
        );
        painter.rect_filled(badge, 4.0, Color32::from_black_alpha(170));
        painter.text(
            badge.center(),
            egui::Align2::CENTER_CENTER,
            format!("{d:.1} s"),
            egui::FontId::proportional(11.0),
            Color32::WHITE,
        );
    }
    let text_color = ui.visuals().text_color();
    painter.text(
        egui::pos2(rect.left() + 8.0, poster.bottom() + 8.0),
        egui::Align2::LEFT_TOP,
        excerpt(&item.prompt, 30),
        egui::FontId::proportional(13.0),
        text_color,
    );
    let when = crate::ui::display_time(item.finished_at).format("%d %b %H:%M");
    painter.text(
        egui::pos2(rect.left() + 8.0, poster.bottom() + 28.0),
        egui::Align2::LEFT_TOP,
        format!("{} · {when}", short_family(&app.entries, &item.endpoint_id)),
        egui::FontId::proportional(11.0),
        theme::subtle(ui),
    );
    let stroke = if selected {
        egui::Stroke::new(2.0, theme::ACCENT)
    } else if r.hovered() {
        egui::Stroke::new(1.0, theme::ACCENT.linear_multiply(0.6))
    } else {
        theme::card_stroke(ui)
    };
    painter.rect_stroke(rect, 8.0, stroke, egui::StrokeKind::Inside);
    if r.clicked() {
        select(app, item);
    }
    if r.double_clicked() {
        app.act(Action::Open(item.path.clone()));
    }
}

pub(super) fn short_family(entries: &[reelsmith_core::catalog::CatalogEntry], id: &str) -> String {
    entries
        .iter()
        .find(|e| e.endpoint_id == id)
        .map(|e| e.family.clone())
        .unwrap_or_else(|| id.rsplit('/').next().unwrap_or(id).to_string())
}

pub(super) fn select(app: &mut StudioApp, item: &LibraryItem) {
    if app.gallery.selected.as_deref() == Some(item.job_id.as_str()) {
        return;
    }
    app.gallery.selected = Some(item.job_id.clone());
    if let Some(p) = app.gallery.player.as_mut() {
        p.close();
    }
    let path = item.sidecar.clone();
    let ctx = app.egui_ctx();
    app.gallery.sidecar = Some((
        item.job_id.clone(),
        Promise::spawn_blocking(move || {
            let r = Sidecar::read(&path).map_err(|e| e.to_string());
            ctx.request_repaint();
            r
        }),
    ));
}
