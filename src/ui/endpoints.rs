//! The endpoint picker: endpoints grouped by family, a filter, and "Add endpoint by id…".

use egui::RichText;
use poll_promise::Promise;

use super::app::{Action, StudioApp};
use super::theme;
use reelsmith_core::catalog::{Catalog, CatalogEntry};

/// A fetch of an endpoint's schema: the catalog travels with the task and comes back.
type FetchPromise = Promise<(Catalog, Result<String, String>)>;

/// Picker state.
#[derive(Default)]
pub struct Picker {
    /// The filter text.
    pub filter: String,
    /// Focus the filter on the next frame (Ctrl+K).
    pub focus_filter: bool,
    /// The "Add endpoint by id…" box is open.
    pub adding: bool,
    /// The id being typed.
    pub add_id: String,
    /// Why the last add failed.
    pub add_error: Option<String>,
    fetching: Option<FetchPromise>,
}

impl Picker {
    /// True while a schema fetch runs.
    pub fn is_fetching(&self) -> bool {
        self.fetching.is_some()
    }
}

/// Takes a finished fetch: the catalog back and the added id or an error.
pub fn poll_fetch(picker: &mut Picker) -> Option<(Catalog, Result<String, String>)> {
    let p = picker.fetching.take()?;
    match p.try_take() {
        Ok(done) => Some(done),
        Err(p) => {
            picker.fetching = Some(p);
            None
        }
    }
}

/// True when `entry` matches every word of `filter` (family, name or id).
pub fn matches(entry: &CatalogEntry, filter: &str) -> bool {
    let hay = format!("{} {} {}", entry.family, entry.name, entry.endpoint_id).to_lowercase();
    filter
        .to_lowercase()
        .split_whitespace()
        .all(|word| hay.contains(word))
}

/// Draws the picker.
pub fn show(app: &mut StudioApp, ui: &mut egui::Ui) {
    ui.label(RichText::new("Endpoints").strong().size(16.0));
    ui.add_space(2.0);
    let filter = egui::TextEdit::singleline(&mut app.picker.filter)
        .hint_text("Filter endpoints  (Ctrl+K)")
        .desired_width(f32::INFINITY);
    let r = ui.add(filter);
    let r = r.on_hover_text("Type part of a family, name or endpoint id");
    accesskit_label(&r, "Filter endpoints");
    if app.picker.focus_filter {
        r.request_focus();
        app.picker.focus_filter = false;
    }
    ui.add_space(4.0);
    let current = app.endpoint_id().map(str::to_string);
    let filter = app.picker.filter.clone();
    let bottom_space = if app.picker.adding { 150.0 } else { 44.0 };
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .max_height((ui.available_height() - bottom_space).max(80.0))
        .show(ui, |ui| {
            let mut family: Option<&str> = None;
            let mut shown = 0;
            let entries = std::mem::take(&mut app.entries);
            for entry in &entries {
                if !matches(entry, &filter) {
                    continue;
                }
                shown += 1;
                if family != Some(entry.family.as_str()) {
                    family = Some(entry.family.as_str());
                    ui.add_space(6.0);
                    ui.label(
                        RichText::new(entry.family.to_uppercase())
                            .small()
                            .strong()
                            .color(theme::subtle(ui)),
                    );
                }
                let selected = current.as_deref() == Some(entry.endpoint_id.as_str());
                let note = app.money.memory.deprecation_note(&entry.endpoint_id);
                let row = endpoint_row(ui, entry, selected, note.is_some());
                let row = match note {
                    Some(n) => row.on_hover_text(n),
                    None => row,
                };
                if row.clicked() && !selected {
                    app.act(Action::SelectEndpoint(entry.endpoint_id.clone()));
                }
            }
            app.entries = entries;
            if shown == 0 {
                ui.add_space(8.0);
                ui.label(
                    RichText::new(format!("No endpoint matches “{filter}”."))
                        .color(theme::subtle(ui)),
                );
            }
        });
    ui.separator();
    add_by_id(app, ui);
}

fn endpoint_row(
    ui: &mut egui::Ui,
    entry: &CatalogEntry,
    selected: bool,
    deprecated: bool,
) -> egui::Response {
    let fill = if selected {
        theme::ACCENT.linear_multiply(if ui.visuals().dark_mode { 0.35 } else { 0.14 })
    } else {
        egui::Color32::TRANSPARENT
    };
    let inner = egui::Frame::new()
        .fill(fill)
        .corner_radius(6)
        .inner_margin(egui::Margin::symmetric(8, 5))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(&entry.name).strong());
                if deprecated {
                    ui.label(
                        RichText::new("deprecated")
                            .small()
                            .color(theme::tone(ui, theme::Tone::Warning)),
                    );
                }
            });
            ui.label(
                RichText::new(&entry.endpoint_id)
                    .small()
                    .color(theme::subtle(ui)),
            );
        });
    let r = ui.interact(
        inner.response.rect,
        ui.scope_id().with(("endpoint", &entry.endpoint_id)),
        egui::Sense::click(),
    );
    let label = format!("{} {}", entry.family, entry.name);
    r.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &label));
    if r.hovered() && !selected {
        ui.painter().rect_stroke(
            inner.response.rect,
            6,
            egui::Stroke::new(1.0, theme::ACCENT.linear_multiply(0.6)),
            egui::StrokeKind::Inside,
        );
    }
    r.on_hover_text(&entry.endpoint_id)
}

fn add_by_id(app: &mut StudioApp, ui: &mut egui::Ui) {
    if !app.picker.adding {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Add endpoint…")
                .on_hover_text("Search fal's catalog (Ctrl+Shift+K)")
                .clicked()
            {
                super::model_browser::open(app);
            }
            if ui.button("By id…").clicked() {
                app.picker.adding = true;
            }
        });
        return;
    }
    ui.label(RichText::new("Add endpoint by id").strong());
    let label = ui.label(RichText::new("Endpoint id").small());
    let r = ui
        .add(
            egui::TextEdit::singleline(&mut app.picker.add_id)
                .hint_text("fal-ai/owner/model")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    ui.horizontal(|ui| {
        if app.picker.is_fetching() {
            ui.spinner();
            ui.label("Fetching schema…");
        } else {
            let id = app.picker.add_id.trim().to_string();
            let ok = !id.is_empty();
            if (ui.add_enabled(ok, egui::Button::new("Fetch")).clicked() || (enter && ok))
                && let Some(catalog) = app.catalog.take()
            {
                app.picker.add_error = None;
                let url = app.config.service.urls.openapi.clone();
                let ctx = ui.ctx().clone();
                app.picker.fetching = Some(Promise::spawn_async(async move {
                    let mut catalog = catalog;
                    let r = catalog
                        .fetch(&id, &url)
                        .await
                        .map(|model| model.endpoint_id)
                        .map_err(|e| format!("Could not add {id}: {e}"));
                    ctx.request_repaint();
                    (catalog, r)
                }));
            }
            if ui.button("Close").clicked() {
                app.picker.adding = false;
                app.picker.add_error = None;
            }
        }
    });
    if let Some(e) = &app.picker.add_error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
}

/// Gives a widget an accessible name when it has no visible label.
pub fn accesskit_label(r: &egui::Response, name: &str) {
    let name = name.to_string();
    r.widget_info(move || egui::WidgetInfo::labeled(egui::Role::TextInput, true, &name));
}
