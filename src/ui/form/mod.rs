//! The form drawn from the endpoint's form model: one widget per field kind, messages beside
//! their field, and the cost estimate with Generate at the bottom.

use std::collections::HashMap;

use egui::text::{CCursor, CCursorRange};
use egui::{RichText, Ui};
use rand::Rng;
use serde_json::Value;

use crate::ui::app::tasks::TaskRegistry;
use crate::ui::app::{Action, Commands, GENERATE_SHORTCUT};
use crate::ui::config::StudioConfig;
use crate::ui::engine_link::EngineLink;
use crate::ui::references::{self, MediaInbox};
use crate::ui::theme::{self, Tone};
use crate::ui::thumbs::Thumbnails;
use crate::ui::widgets;
use reelsmith_core::catalog::CatalogEntry;
use reelsmith_core::schema::cost::CostEstimate;
use reelsmith_core::schema::mentions::{
    at_word_before, insert_reference, reference_names, references_supported,
};
use reelsmith_core::schema::{Field, FieldKind, FieldValue, FormModel, FormState, Issue, Severity};

pub mod batch;
mod generate_bar;
mod inputs;
mod issues;
mod nested;
pub mod presets;
mod prompt;

use generate_bar::*;
use inputs::*;
use issues::*;
use nested::*;
use prompt::*;

/// Enum choices drawn as segmented buttons when there are at most this many…
const SEGMENTED_MAX_CHOICES: usize = 5;
/// …and their labels add up to at most this many characters; otherwise a combo box.
const SEGMENTED_MAX_CHARS: usize = 40;
/// Largest seed the dice picks (fal accepts 32-bit seeds everywhere).
const SEED_MAX: i64 = 2_147_483_647;

/// Form-drawing state that is not part of the values.
#[derive(Debug, Default)]
pub struct FormUi {
    /// Raw text of `json` fields by path, so invalid JSON can be kept while typing.
    pub json_text: HashMap<String, String>,
    /// The JSON parse error of each `json` field.
    pub json_error: HashMap<String, String>,
    /// The `@` word being completed in the prompt, from the last frame.
    pub completing: Option<String>,
    /// Generate was tried: from now on, empty required fields are flagged too.
    pub attempted: bool,
    /// The batch chosen in the form, if any.
    pub batch: batch::BatchUi,
    /// The presets menu of the endpoint.
    pub presets: presets::PresetsUi,
}

/// What the form draws, and where it sends what the user asks for.
pub struct FormView<'a> {
    /// The endpoint's form model (None: none picked, or it could not be loaded).
    pub model: Option<&'a FormModel>,
    /// Why the endpoint could not be loaded.
    pub model_error: Option<&'a str>,
    /// The form's values (given with the model).
    pub state: Option<&'a mut FormState>,
    /// Form-drawing state: JSON buffers, completion, batch, presets.
    pub form_ui: &'a mut FormUi,
    /// The form's validation issues.
    pub issues: &'a [Issue],
    /// Whether Generate can go, or why not.
    pub can: Result<(), String>,
    /// The estimate of one job.
    pub cost: Option<&'a CostEstimate>,
    /// Why there is no estimate.
    pub cost_why: Option<&'a str>,
    /// Jobs per Generate.
    pub variations: &'a mut u32,
    /// The catalog's entries (the endpoint's family and name).
    pub entries: &'a [CatalogEntry],
    /// Drop zones and media on their way to a field.
    pub inbox: &'a mut MediaInbox,
    /// Thumbnails and the problems of media files.
    pub thumbs: &'a mut Thumbnails,
    /// Folders (presets) and the pickers of a batch.
    pub config: &'a StudioConfig,
    /// A key is in use (a batch needs one).
    pub has_key: bool,
    /// Whether the engine takes jobs.
    pub engine: &'a EngineLink,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
    /// Where the form's background work runs (presets' files).
    pub tasks: &'a mut TaskRegistry,
}

/// Everything a field widget needs besides its own value.
pub struct FieldCtx<'a> {
    /// Form-drawing state (JSON buffers, completion, whether Generate was tried).
    pub form_ui: &'a mut FormUi,
    /// The media fields' drop zones and thumbnails.
    pub media: references::ReferencesView<'a>,
    /// All validation issues of the form.
    pub issues: &'a [Issue],
    /// `@Element`/`@Image` names the prompt may use.
    pub references: Vec<String>,
}

/// Draws the form and the Generate bar.
pub fn show(view: &mut FormView<'_>, ui: &mut Ui) {
    let (Some(model), Some(state)) = (view.model, view.state.take()) else {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.centered_and_justified(|ui| {
                let text = view
                    .model_error
                    .unwrap_or("Pick an endpoint on the left to start.");
                ui.label(RichText::new(text).color(theme::subtle(ui)));
            });
        });
        return;
    };
    let can = view.can.clone();
    egui::Panel::bottom("generate_bar")
        .frame(
            egui::Frame::new()
                .fill(ui.visuals().window_fill)
                .stroke(theme::card_stroke(ui))
                .inner_margin(egui::Margin::symmetric(20, 10)),
        )
        .show(ui, |ui| generate_bar(view, ui, model, state, can));
    let issues = view.issues;
    egui::CentralPanel::default()
        .frame(egui::Frame::new().fill(theme::canvas(ui)))
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    let width = ui.available_width().min(760.0);
                    let side = ((ui.available_width() - width) / 2.0).max(0.0);
                    ui.horizontal(|ui| {
                        ui.add_space(side.max(16.0));
                        ui.vertical(|ui| {
                            ui.set_width(width - 32.0);
                            ui.add_space(16.0);
                            header(ui, view.entries, model);
                            let folder = view.config.config_dir.join("presets");
                            presets::menu(ui, view, model, state, folder);
                            ui.add_space(8.0);
                            let references = reference_names(model, state);
                            let mut cx = FieldCtx {
                                form_ui: &mut *view.form_ui,
                                media: references::ReferencesView {
                                    inbox: &mut *view.inbox,
                                    thumbs: &mut *view.thumbs,
                                    tasks: &mut *view.tasks,
                                },
                                issues,
                                references,
                            };
                            fields(ui, &mut cx, &model.fields, state, "", false);
                            let advanced: Vec<&Field> =
                                model.fields.iter().filter(|f| f.advanced).collect();
                            if !advanced.is_empty() {
                                ui.add_space(6.0);
                                egui::CollapsingHeader::new(RichText::new("More options").strong())
                                    .id_salt(("more_options", &model.endpoint_id))
                                    .default_open(false)
                                    .show(ui, |ui| {
                                        fields(ui, &mut cx, &model.fields, state, "", true);
                                    });
                            }
                            ui.add_space(10.0);
                            batch::section(ui, view, model);
                            orphan_issues(ui, model, issues);
                            ui.add_space(24.0);
                        });
                    });
                });
        });
    batch::confirm(view, ui.ctx());
}

fn header(ui: &mut Ui, entries: &[CatalogEntry], model: &FormModel) {
    let entry = entries.iter().find(|e| e.endpoint_id == model.endpoint_id);
    ui.horizontal(|ui| {
        if let Some(e) = entry {
            widgets::chip(ui, &e.family, theme::ACCENT);
            ui.label(RichText::new(&e.name).size(22.0).strong());
        } else {
            ui.label(RichText::new(&model.title).size(22.0).strong());
        }
    });
    ui.label(
        RichText::new(&model.endpoint_id)
            .monospace()
            .color(theme::subtle(ui)),
    );
}

/// Draws the fields of one object (`advanced` picks which half).
fn fields(
    ui: &mut Ui,
    cx: &mut FieldCtx<'_>,
    list: &[Field],
    state: &mut FormState,
    prefix: &str,
    advanced: bool,
) {
    for field in list
        .iter()
        .filter(|f| f.advanced == advanced || !prefix.is_empty())
    {
        let path = join(prefix, &field.name, None);
        ui.add_space(6.0);
        field_widget(ui, cx, field, state, &path);
        // A fresh form is not shouted at: "required" errors of fields still empty wait until
        // the user tries to generate (the Generate bar says why it is disabled meanwhile).
        let quiet = !cx.form_ui.attempted && is_empty(state.get(&field.name));
        field_issues(ui, cx.issues, &path, quiet);
    }
}

/// True for a value the user has not filled in yet.
fn is_empty(value: Option<&FieldValue>) -> bool {
    match value {
        None => true,
        Some(FieldValue::Text(t)) => t.trim().is_empty(),
        Some(FieldValue::MediaList(l)) => l.is_empty(),
        Some(FieldValue::ObjectList(l)) => l.is_empty(),
        Some(_) => false,
    }
}

/// `prefix.name` or `prefix.name[index]`.
pub fn join(prefix: &str, name: &str, index: Option<usize>) -> String {
    let base = if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    };
    match index {
        Some(i) => format!("{base}[{i}]"),
        None => base,
    }
}

/// The field's label row: name, required mark, description on hover; returns the label's id.
fn label_row(ui: &mut Ui, field: &Field, extra: impl FnOnce(&mut Ui)) -> egui::Id {
    let mut id = egui::Id::NULL;
    ui.horizontal(|ui| {
        let r = ui.label(RichText::new(&field.label).strong());
        id = r.id;
        if !field.description.is_empty() {
            r.on_hover_text(&field.description);
        }
        if field.required {
            ui.label(RichText::new("required").small().color(theme::subtle(ui)));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), extra);
    });
    id
}

fn field_widget(
    ui: &mut Ui,
    cx: &mut FieldCtx<'_>,
    field: &Field,
    state: &mut FormState,
    path: &str,
) {
    match field.kind {
        FieldKind::Prompt => prompt(ui, cx, field, state, path),
        FieldKind::Text => text(ui, field, state),
        FieldKind::Enum => enumeration(ui, field, state),
        FieldKind::Bool => toggle(ui, field, state),
        FieldKind::Integer | FieldKind::Number if field.name == "seed" => seed(ui, field, state),
        FieldKind::Integer | FieldKind::Number => number(ui, field, state),
        FieldKind::Image | FieldKind::Video | FieldKind::Audio | FieldKind::File => {
            let id = label_row(ui, field, |_| {});
            references::single(ui, &mut cx.media, field, state, path, id);
        }
        FieldKind::ImageList | FieldKind::VideoList => {
            let count = state.media(&field.name).len();
            let id = label_row(ui, field, |ui| {
                if let Some(max) = field.max_items {
                    ui.label(
                        RichText::new(format!("{count} / {max}"))
                            .small()
                            .color(theme::subtle(ui)),
                    );
                }
            });
            references::list(ui, &mut cx.media, field, state, path, id);
        }
        FieldKind::Object => {
            label_row(ui, field, |_| {});
            let value = state
                .values
                .entry(field.name.clone())
                .or_insert_with(|| FieldValue::Object(FormState::default()));
            if let FieldValue::Object(inner) = value {
                theme::card(ui).show(ui, |ui| {
                    fields(ui, cx, &field.item_fields, inner, path, false);
                });
            }
        }
        FieldKind::ObjectList => object_list(ui, cx, field, state, path),
        FieldKind::Json => json(ui, cx, field, state, path),
    }
}
