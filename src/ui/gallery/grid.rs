//! The grid of posters with its header: search, endpoint, marks filter, sort, the indexer's
//! progress and the gallery menu. Only the rows on screen are laid out.

use super::selection::Extend;
use super::*;
use reelsmith_core::library::IndexEntry;

const SORTS: [(SortKey, &str); 4] = [
    (SortKey::Date, "Date"),
    (SortKey::Endpoint, "Endpoint"),
    (SortKey::Duration, "Duration"),
    (SortKey::Cost, "Cost"),
];

const MARK_FILTERS: [(MarkFilter, &str); 3] = [
    (MarkFilter::All, "All"),
    (MarkFilter::Favourites, "Favourites"),
    (MarkFilter::NotRejected, "Not rejected"),
];

fn header(view: &mut GalleryView<'_>, ui: &mut Ui, total: usize) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Gallery").strong().size(18.0));
        let noun = if total == 1 { "video" } else { "videos" };
        match view.gallery.index.progress_label() {
            Some(progress) => {
                let text = format!("{total} {noun} · {progress}");
                ui.label(RichText::new(text).color(theme::subtle(ui)));
                ui.add(egui::Spinner::new().size(12.0));
            }
            None => {
                ui.label(RichText::new(format!("{total} {noun}")).color(theme::subtle(ui)));
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.menu_button("☰ Library", |ui| {
                if ui.button("Clear history, keep favourites…").clicked() {
                    view.gallery.trash.confirm_clear = true;
                }
            })
            .response
            .on_hover_text("Gallery menu");
        });
    });
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        let search = ui.add(
            egui::TextEdit::singleline(&mut view.gallery.search)
                .hint_text("Search prompts")
                .desired_width(200.0),
        );
        crate::ui::endpoints::accesskit_label(&search, "Search prompts");
        ui.add_space(6.0);
        endpoint_filter(view, ui);
        ui.add_space(6.0);
        let label = ui.label("Show");
        let shown = MARK_FILTERS
            .iter()
            .find(|(k, _)| *k == view.gallery.marks_filter)
            .map_or("All", |(_, l)| *l);
        let r = egui::ComboBox::from_id_salt("gallery_marks")
            .selected_text(shown)
            .width(110.0)
            .show_ui(ui, |ui| {
                for (key, label) in MARK_FILTERS {
                    ui.selectable_value(&mut view.gallery.marks_filter, key, label);
                }
            });
        r.response.labelled_by(label.id);
        ui.add_space(6.0);
        let label = ui.label("Sort");
        let sort = SORTS
            .iter()
            .find(|(k, _)| *k == view.gallery.sort)
            .map_or("Date", |(_, l)| *l);
        let r = egui::ComboBox::from_id_salt("gallery_sort")
            .selected_text(sort)
            .width(100.0)
            .show_ui(ui, |ui| {
                for (key, label) in SORTS {
                    ui.selectable_value(&mut view.gallery.sort, key, label);
                }
            });
        r.response.labelled_by(label.id);
    });
}

fn endpoint_filter(view: &mut GalleryView<'_>, ui: &mut Ui) {
    let label = ui.label("Endpoint");
    let endpoints = view.gallery.index.index.endpoints();
    let current = view
        .gallery
        .endpoint
        .as_deref()
        .map(|e| short_name(view.entries, e))
        .unwrap_or_else(|| "All endpoints".into());
    let r = egui::ComboBox::from_id_salt("gallery_endpoint")
        .selected_text(current)
        .width(200.0)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(view.gallery.endpoint.is_none(), "All endpoints")
                .clicked()
            {
                view.gallery.endpoint = None;
            }
            for e in &endpoints {
                let on = view.gallery.endpoint.as_deref() == Some(e.as_str());
                if ui
                    .selectable_label(on, short_name(view.entries, e))
                    .clicked()
                {
                    view.gallery.endpoint = Some(e.clone());
                }
            }
        });
    r.response.labelled_by(label.id);
}

pub(super) fn grid(view: &mut GalleryView<'_>, ui: &mut Ui) {
    let total = view.gallery.index.index.len();
    header(view, ui, total);
    ui.add_space(8.0);
    trash_link::banner(view, ui);
    export_selection::status(&mut view.gallery.export, ui);
    let items = view.gallery.visible();
    if items.is_empty() {
        ui.add_space(40.0);
        ui.vertical_centered(|ui| {
            let text = if view.engine.is_opening() {
                "Opening the journal…"
            } else if total == 0 && view.gallery.index.scanning() {
                "Reading the library folder…"
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
    view.gallery.cols = cols;
    let rows = items.len().div_ceil(cols);
    let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    if let Some(y) = view.gallery.scroll_to.take() {
        area = area.vertical_scroll_offset(y);
    }
    view.gallery.cell_focused = false;
    let out = area.show_rows(ui, CELL_H + GAP, rows, |ui, range| {
        for row in range {
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = GAP;
                // Only the rows on screen are cloned for drawing.
                let row_items: Vec<IndexEntry> = items
                    .iter()
                    .skip(row * cols)
                    .take(cols)
                    .filter_map(|id| view.gallery.index.index.get(id).cloned())
                    .collect();
                for entry in &row_items {
                    cell(view, ui, entry, &items);
                }
            });
            ui.add_space(GAP - ui.spacing().item_spacing.y);
        }
    });
    view.gallery.viewport = (out.state.clamped_offset().y, out.inner_rect.height());
}

pub(super) fn cell(
    view: &mut GalleryView<'_>,
    ui: &mut Ui,
    entry: &IndexEntry,
    visible: &[String],
) {
    let item = &entry.item;
    let selected = view.gallery.selection.set.contains(&item.job_id);
    let focused = view.gallery.selection.focus.as_deref() == Some(item.job_id.as_str());
    let (rect, _) = ui.allocate_exact_size(egui::vec2(CELL_W, CELL_H), egui::Sense::hover());
    // An id of its own: the context menu stays open when the details panel appears (which
    // shifts the automatic ids of everything drawn after it).
    let r = ui.interact(
        rect,
        egui::Id::unique(("gallery_cell", &item.job_id)),
        egui::Sense::click_and_drag(),
    );
    if r.drag_started() || r.dragged() {
        // Dropped on the storyboard bar below the grid, it becomes a shot.
        r.dnd_set_drag_payload(crate::ui::storyboard::ClipDrag(item.path.clone()));
    }
    if r.has_focus() {
        view.gallery.cell_focused = true;
    }
    if r.secondary_clicked() && !selected {
        view.gallery
            .selection
            .pick(visible, &item.job_id, Extend::Only);
    }
    r.context_menu(|ui| {
        let ids = view.gallery.selection.ordered(visible);
        context_menu::show(view, ui, &ids);
    });
    if ui.is_rect_visible(rect) {
        paint_cell(view, ui, entry, rect, &r, selected, focused);
    }
    if r.clicked() {
        let mods = ui.input(|i| i.modifiers);
        let how = if mods.shift {
            Extend::Range
        } else if mods.command {
            Extend::Toggle
        } else {
            Extend::Only
        };
        view.gallery.selection.pick(visible, &item.job_id, how);
    }
    if r.double_clicked() {
        view.commands.send(Action::Open(item.path.clone()));
    }
}

fn paint_cell(
    view: &mut GalleryView<'_>,
    ui: &mut Ui,
    entry: &IndexEntry,
    rect: egui::Rect,
    r: &egui::Response,
    selected: bool,
    focused: bool,
) {
    let item = &entry.item;
    let mut name = format!("Video: {}", excerpt(&item.prompt, 60));
    if entry.marks.favourite {
        name.push_str(" (favourite)");
    }
    if entry.marks.rejected {
        name.push_str(" (rejected)");
    }
    r.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &name));
    let painter = ui.painter_at(rect.expand(2.0));
    let fill = if selected {
        theme::ACCENT.linear_multiply(0.18)
    } else {
        theme::card_fill(ui)
    };
    painter.rect_filled(rect, 8.0, fill);
    let poster = egui::Rect::from_min_size(rect.min, egui::vec2(CELL_W, POSTER_H));
    let thumb = view.thumbs.get(&item.path, true);
    let tint = if entry.marks.rejected {
        Color32::from_white_alpha(90)
    } else {
        Color32::WHITE
    };
    match thumb.texture {
        Some(t) => {
            let size = t.size_vec2();
            let s = (CELL_W / size.x).max(POSTER_H / size.y);
            let uv = egui::Rect::from_center_size(
                egui::pos2(0.5, 0.5),
                egui::vec2(CELL_W / (size.x * s), POSTER_H / (size.y * s)),
            );
            painter.image(t.id(), poster, uv, tint);
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
            let text = if thumb.loading { "…" } else { "no preview" };
            painter.text(
                poster.center(),
                egui::Align2::CENTER_CENTER,
                text,
                egui::FontId::proportional(13.0),
                theme::subtle(ui),
            );
        }
    }
    if let Some(d) = thumb.facts.and_then(|f| f.duration) {
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
    if entry.marks.favourite || entry.marks.rejected {
        let badge =
            egui::Rect::from_min_size(poster.min + egui::vec2(6.0, 6.0), egui::vec2(22.0, 22.0));
        painter.rect_filled(badge, 11.0, Color32::from_black_alpha(170));
        let (glyph, color) = if entry.marks.favourite {
            ("★", Color32::from_rgb(0xf5, 0xc5, 0x18))
        } else {
            ("×", Color32::from_rgb(0xe0, 0x60, 0x60))
        };
        painter.text(
            badge.center(),
            egui::Align2::CENTER_CENTER,
            glyph,
            egui::FontId::proportional(14.0),
            color,
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
        format!("{} · {when}", short_family(view.entries, &item.endpoint_id)),
        egui::FontId::proportional(11.0),
        theme::subtle(ui),
    );
    let stroke = if focused || selected {
        egui::Stroke::new(2.0, theme::ACCENT)
    } else if r.hovered() {
        egui::Stroke::new(1.0, theme::ACCENT.linear_multiply(0.6))
    } else {
        theme::card_stroke(ui)
    };
    painter.rect_stroke(rect, 8.0, stroke, egui::StrokeKind::Inside);
    if focused && !selected {
        // The focus without the selection (after Space took it out): a dashed-looking ring.
        painter.rect_stroke(
            rect.shrink(3.0),
            6.0,
            egui::Stroke::new(1.0, theme::ACCENT),
            egui::StrokeKind::Inside,
        );
    }
}

pub(super) fn short_family(entries: &[reelsmith_core::catalog::CatalogEntry], id: &str) -> String {
    entries
        .iter()
        .find(|e| e.endpoint_id == id)
        .map(|e| e.family.clone())
        .unwrap_or_else(|| id.rsplit('/').next().unwrap_or(id).to_string())
}
