//! The endpoint picker: endpoints grouped by family, a filter, and "Add endpoint by id…".

use egui::RichText;

use std::path::Path;

use super::app::tasks::{TaskKind, TaskRegistry};
use super::app::{Action, Commands, StudioApp};
use super::model_browser::ModelBrowser;
use super::money_link::MoneyLink;
use super::theme::{self, Tone};
use reelsmith_core::catalog::{Catalog, CatalogEntry};

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
    /// A schema fetch runs (a registry task; the catalog travels with it and comes back).
    fetching: bool,
}

impl Picker {
    /// True while a schema fetch runs.
    pub fn is_fetching(&self) -> bool {
        self.fetching
    }
}

/// Takes a finished fetch: the catalog back, then the added endpoint shown or the error.
fn fetched(app: &mut StudioApp, done: Result<(Catalog, Result<String, String>), String>) {
    app.picker.fetching = false;
    // A fetch that panicked lost the catalog it carried: the one on disk comes back.
    let (catalog, result) = done.unwrap_or_else(|e| (Catalog::load(&app.config.cache_dir), Err(e)));
    app.entries = catalog.entries();
    app.catalog = Some(catalog);
    match result {
        Ok(id) => {
            app.toast(Tone::Success, format!("Added {id}"));
            app.select_endpoint(&id);
        }
        Err(e) => app.picker.add_error = Some(e),
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

/// What the picker draws, and where it sends what the user asks for.
pub struct EndpointsView<'a> {
    /// The filter, the add box and its fetch.
    pub picker: &'a mut Picker,
    /// The catalog's entries, grouped by family.
    pub entries: &'a [CatalogEntry],
    /// The endpoint shown now.
    pub current: Option<&'a str>,
    /// fal's catalog as seen (deprecation notes) and the client the browser searches with.
    pub money: &'a MoneyLink,
    /// The model browser, which "Add endpoint…" opens at once (drawn later this frame).
    pub browser: &'a mut ModelBrowser,
    /// Where the browser caches its searches.
    pub cache_dir: &'a Path,
    /// The catalog; a fetch by id takes it along and gives it back when done.
    pub catalog: &'a mut Option<Catalog>,
    /// Where endpoint schemas are fetched from.
    pub openapi_url: &'a str,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
    /// Where a schema fetch by id runs.
    pub tasks: &'a mut TaskRegistry,
}

/// Draws the picker.
pub fn show(view: &mut EndpointsView<'_>, ui: &mut egui::Ui) {
    ui.label(RichText::new("Endpoints").strong().size(16.0));
    ui.add_space(2.0);
    let filter = egui::TextEdit::singleline(&mut view.picker.filter)
        .hint_text("Filter endpoints  (Ctrl+K)")
        .desired_width(f32::INFINITY);
    let r = ui.add(filter);
    let r = r.on_hover_text("Type part of a family, name or endpoint id");
    accesskit_label(&r, "Filter endpoints");
    if view.picker.focus_filter {
        r.request_focus();
        view.picker.focus_filter = false;
    }
    ui.add_space(4.0);
    let current = view.current;
    let filter = view.picker.filter.clone();
    let bottom_space = if view.picker.adding { 150.0 } else { 44.0 };
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .max_height((ui.available_height() - bottom_space).max(80.0))
        .show(ui, |ui| {
            let mut family: Option<&str> = None;
            let mut shown = 0;
            for entry in view.entries {
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
                let selected = current == Some(entry.endpoint_id.as_str());
                let note = view.money.memory.deprecation_note(&entry.endpoint_id);
                let row = endpoint_row(ui, entry, selected, note.is_some());
                let row = match note {
                    Some(n) => row.on_hover_text(n),
                    None => row,
                };
                if row.clicked() && !selected {
                    view.commands
                        .send(Action::SelectEndpoint(entry.endpoint_id.clone()));
                }
            }
            if shown == 0 {
                ui.add_space(8.0);
                ui.label(
                    RichText::new(format!("No endpoint matches “{filter}”."))
                        .color(theme::subtle(ui)),
                );
            }
        });
    ui.separator();
    add_by_id(view, ui);
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

fn add_by_id(view: &mut EndpointsView<'_>, ui: &mut egui::Ui) {
    if !view.picker.adding {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Add endpoint…")
                .on_hover_text("Search fal's catalog (Ctrl+Shift+K)")
                .clicked()
            {
                super::model_browser::open(view.browser, view.money, view.cache_dir, view.tasks);
            }
            if ui.button("By id…").clicked() {
                view.picker.adding = true;
            }
        });
        return;
    }
    ui.label(RichText::new("Add endpoint by id").strong());
    let label = ui.label(RichText::new("Endpoint id").small());
    let r = ui
        .add(
            egui::TextEdit::singleline(&mut view.picker.add_id)
                .hint_text("fal-ai/owner/model")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    ui.horizontal(|ui| {
        if view.picker.is_fetching() {
            ui.spinner();
            ui.label("Fetching schema…");
        } else {
            let id = view.picker.add_id.trim().to_string();
            let ok = !id.is_empty();
            if (ui.add_enabled(ok, egui::Button::new("Fetch")).clicked() || (enter && ok))
                && let Some(catalog) = view.catalog.take()
            {
                view.picker.add_error = None;
                let url = view.openapi_url.to_string();
                view.picker.fetching = true;
                view.tasks.spawn(
                    TaskKind::Catalog,
                    format!("Fetching the schema of {id}"),
                    async move {
                        let mut catalog = catalog;
                        let r = catalog
                            .fetch(&id, &url)
                            .await
                            .map(|model| model.endpoint_id)
                            .map_err(|e| format!("Could not add {id}: {e}"));
                        (catalog, r)
                    },
                    fetched,
                );
            }
            if ui.button("Close").clicked() {
                view.picker.adding = false;
                view.picker.add_error = None;
            }
        }
    });
    if let Some(e) = &view.picker.add_error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
}

/// Gives a widget an accessible name when it has no visible label.
pub fn accesskit_label(r: &egui::Response, name: &str) {
    let name = name.to_string();
    r.widget_info(move || egui::WidgetInfo::labeled(egui::Role::TextInput, true, &name));
}
