//! The form drawn from the endpoint's form model: one widget per field kind, messages beside
//! their field, and the cost estimate with Generate at the bottom.

use std::collections::HashMap;

use egui::text::{CCursor, CCursorRange};
use egui::{RichText, Ui};
use rand::Rng;
use serde_json::Value;

use super::app::{Action, GENERATE_SHORTCUT, StudioApp};
use super::references;
use super::theme::{self, Tone};
use super::widgets;
use reelsmith_core::schema::{Field, FieldKind, FieldValue, FormModel, FormState, Issue, Severity};

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
}

/// Everything a field widget needs besides its own value.
pub struct FieldCtx<'a> {
    /// The app (the model and the form state are taken out while drawing).
    pub app: &'a mut StudioApp,
    /// All validation issues of the form.
    pub issues: &'a [Issue],
    /// `@Element`/`@Image` names the prompt may use.
    pub references: Vec<String>,
}

/// Draws the form and the Generate bar.
pub fn show(app: &mut StudioApp, ui: &mut Ui) {
    let Some(model) = app.model.take() else {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.centered_and_justified(|ui| {
                let text = app
                    .model_error
                    .clone()
                    .unwrap_or_else(|| "Pick an endpoint on the left to start.".into());
                ui.label(RichText::new(text).color(theme::subtle(ui)));
            });
        });
        return;
    };
    // Asked before the model is taken out of the app, which `can_generate` looks at.
    app.model = Some(model);
    let can = app.can_generate();
    let Some(model) = app.model.take() else {
        return;
    };
    let mut state = app
        .persisted
        .forms
        .remove(&model.endpoint_id)
        .unwrap_or_else(|| FormState::from_defaults(&model));
    egui::Panel::bottom("generate_bar")
        .frame(
            egui::Frame::new()
                .fill(ui.visuals().window_fill)
                .stroke(theme::card_stroke(ui))
                .inner_margin(egui::Margin::symmetric(20, 10)),
        )
        .show(ui, |ui| generate_bar(app, ui, &model, can));
    let issues = std::mem::take(&mut app.issues);
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
                            header(ui, app, &model);
                            ui.add_space(8.0);
                            let references = reference_names(&model, &state);
                            let mut cx = FieldCtx {
                                app,
                                issues: &issues,
                                references,
                            };
                            fields(ui, &mut cx, &model.fields, &mut state, "", false);
                            let advanced: Vec<&Field> =
                                model.fields.iter().filter(|f| f.advanced).collect();
                            if !advanced.is_empty() {
                                ui.add_space(6.0);
                                egui::CollapsingHeader::new(RichText::new("More options").strong())
                                    .id_salt(("more_options", &model.endpoint_id))
                                    .default_open(false)
                                    .show(ui, |ui| {
                                        fields(ui, &mut cx, &model.fields, &mut state, "", true);
                                    });
                            }
                            orphan_issues(ui, &model, &issues);
                            ui.add_space(24.0);
                        });
                    });
                });
        });
    app.issues = issues;
    app.persisted.forms.insert(model.endpoint_id.clone(), state);
    app.model = Some(model);
}

fn header(ui: &mut Ui, app: &StudioApp, model: &FormModel) {
    let entry = app
        .entries
        .iter()
        .find(|e| e.endpoint_id == model.endpoint_id);
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
        let quiet = !cx.app.form_ui.attempted && is_empty(state.get(&field.name));
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
            references::single(ui, cx.app, field, state, path, id);
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
            references::list(ui, cx.app, field, state, path, id);
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

fn prompt(ui: &mut Ui, cx: &mut FieldCtx<'_>, field: &Field, state: &mut FormState, path: &str) {
    let current = state.text(&field.name).unwrap_or_default().to_string();
    let count = current.chars().count();
    let label_id = label_row(ui, field, |ui| {
        if let Some(max) = field.max_length {
            let over = count as u64 > max;
            let color = if over {
                theme::tone(ui, Tone::Danger)
            } else {
                theme::subtle(ui)
            };
            ui.label(
                RichText::new(format!("{count} / {max}"))
                    .small()
                    .color(color),
            );
        } else {
            ui.label(
                RichText::new(format!("{count} characters"))
                    .small()
                    .color(theme::subtle(ui)),
            );
        }
    });
    let mut text = current;
    let edit_id = ui.scope_id().with(("prompt", path));
    let completing = cx.app.form_ui.completing.clone();
    // Tab completes the first suggestion instead of moving focus.
    let tab = completing.is_some()
        && ui.memory(|m| m.has_focus(edit_id))
        && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Tab));
    let output = egui::TextEdit::multiline(&mut text)
        .id(edit_id)
        .desired_rows(5)
        .desired_width(f32::INFINITY)
        .hint_text("Describe the shot: subject, action, camera, light, mood…")
        .show(ui);
    let edit_response = output.response.response.clone().labelled_by(label_id);
    let cursor = output
        .cursor_range
        .map(|r| r.primary.index.0)
        .unwrap_or_else(|| text.chars().count());
    let has_focus = edit_response.has_focus();
    let word = at_word_before(&text, cursor);
    cx.app.form_ui.completing = if has_focus { word.clone() } else { None };
    let suggestions: Vec<String> = match &word {
        Some(w) => cx
            .references
            .iter()
            .filter(|r| r.to_lowercase().starts_with(&w.to_lowercase()) && *r != w)
            .cloned()
            .collect(),
        None => cx.references.clone(),
    };
    let mut insert: Option<String> = None;
    if tab && let Some(first) = suggestions.first() {
        insert = Some(first.clone());
    }
    if !cx.references.is_empty() {
        ui.horizontal_wrapped(|ui| {
            let hint = if word.is_some() {
                "Complete:"
            } else {
                "Refer to:"
            };
            ui.label(RichText::new(hint).small().color(theme::subtle(ui)));
            for s in &suggestions {
                let r = ui
                    .add(egui::Button::new(RichText::new(s).monospace().small()).small())
                    .on_hover_text("Insert into the prompt (Tab completes the first)");
                if r.clicked() {
                    insert = Some(s.clone());
                }
            }
        });
    } else if references_supported(field) {
        ui.label(
            RichText::new(
                "Add elements or images below, then refer to them as @Element1, @Image1…",
            )
            .small()
            .color(theme::subtle(ui)),
        );
    }
    if let Some(name) = insert {
        let (new_text, new_cursor) = insert_reference(&text, cursor, word.as_deref(), &name);
        text = new_text;
        let mut st = output.state;
        st.cursor
            .set_char_range(Some(CCursorRange::one(CCursor::new(new_cursor))));
        st.store(ui.ctx(), edit_id);
        ui.memory_mut(|m| m.request_focus(edit_id));
        cx.app.form_ui.completing = None;
    }
    if Some(text.as_str()) != state.text(&field.name) {
        if text.is_empty() && !field.required {
            state.values.remove(&field.name);
        } else {
            state
                .values
                .insert(field.name.clone(), FieldValue::Text(text));
        }
    }
}

/// True for prompts that document `@Element`/`@Image` references (Kling O1).
fn references_supported(field: &Field) -> bool {
    field.description.contains("@Element") || field.description.contains("@Image")
}

/// The `@word` that ends at char index `cursor`, if the cursor sits right after one.
pub fn at_word_before(text: &str, cursor: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let end = cursor.min(chars.len());
    let mut start = end;
    while start > 0 && (chars[start - 1].is_alphanumeric() || chars[start - 1] == '@') {
        start -= 1;
        if chars[start] == '@' {
            break;
        }
    }
    if start < end && chars[start] == '@' {
        Some(chars[start..end].iter().collect())
    } else {
        None
    }
}

/// Inserts `name` at `cursor`, replacing the partial `word` before it; returns the new text and
/// the char index after the insertion (and its trailing space).
pub fn insert_reference(
    text: &str,
    cursor: usize,
    word: Option<&str>,
    name: &str,
) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let cursor = cursor.min(chars.len());
    let start = cursor - word.map(|w| w.chars().count()).unwrap_or(0).min(cursor);
    let before: String = chars[..start].iter().collect();
    let after: String = chars[cursor..].iter().collect();
    let needs_space_before = !before.is_empty() && !before.ends_with(char::is_whitespace);
    let sep = if needs_space_before { " " } else { "" };
    let trailing = if after.starts_with(char::is_whitespace) {
        ""
    } else {
        " "
    };
    let new = format!("{before}{sep}{name}{trailing}{after}");
    let pos = before.chars().count() + sep.len() + name.chars().count() + trailing.len();
    (new, pos)
}

/// `@Element1…` for each element and `@Image1…` for each image of a Kling-style form.
pub fn reference_names(model: &FormModel, state: &FormState) -> Vec<String> {
    let Some(prompt) = model.fields.iter().find(|f| f.kind == FieldKind::Prompt) else {
        return Vec::new();
    };
    if !references_supported(prompt) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for f in &model.fields {
        match f.kind {
            FieldKind::ObjectList => {
                for i in 0..state.objects(&f.name).len() {
                    out.push(format!("@Element{}", i + 1));
                }
            }
            FieldKind::ImageList => {
                for i in 0..state.media(&f.name).len() {
                    out.push(format!("@Image{}", i + 1));
                }
            }
            _ => {}
        }
    }
    out
}

fn text(ui: &mut Ui, field: &Field, state: &mut FormState) {
    let mut text = state.text(&field.name).unwrap_or_default().to_string();
    let id = label_row(ui, field, |_| {});
    let r = ui
        .add(
            egui::TextEdit::multiline(&mut text)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(id);
    if r.changed() {
        if text.is_empty() {
            state.values.remove(&field.name);
        } else {
            state
                .values
                .insert(field.name.clone(), FieldValue::Text(text));
        }
    }
}

/// The label shown for an enum choice.
pub fn choice_label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// The form value that selects choice `v`.
fn choice_value(v: &Value) -> Option<FieldValue> {
    match v {
        Value::String(s) => Some(FieldValue::Text(s.clone())),
        Value::Bool(b) => Some(FieldValue::Bool(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(FieldValue::Integer(i)),
            None => n.as_f64().map(FieldValue::Number),
        },
        _ => None,
    }
}

fn enumeration(ui: &mut Ui, field: &Field, state: &mut FormState) {
    let id = label_row(ui, field, |_| {});
    let current = state.get(&field.name).cloned();
    let labels: Vec<String> = field.choices.iter().map(choice_label).collect();
    let selected = field
        .choices
        .iter()
        .position(|c| choice_value(c) == current);
    let total: usize = labels.iter().map(|l| l.chars().count()).sum();
    let mut picked = None;
    if field.choices.len() <= SEGMENTED_MAX_CHOICES && total <= SEGMENTED_MAX_CHARS {
        if let Some(i) = widgets::segmented(ui, &field.label, &labels, selected) {
            picked = Some(i);
        }
    } else {
        let text = selected
            .map(|i| labels[i].clone())
            .unwrap_or_else(|| "Choose…".into());
        let r = egui::ComboBox::from_id_salt(("enum", &field.name))
            .selected_text(text)
            .width(220.0)
            .show_ui(ui, |ui| {
                for (i, l) in labels.iter().enumerate() {
                    if ui.selectable_label(selected == Some(i), l).clicked() {
                        picked = Some(i);
                    }
                }
            });
        r.response.labelled_by(id);
    }
    if let Some(i) = picked
        && let Some(v) = field.choices.get(i).and_then(choice_value)
    {
        state.values.insert(field.name.clone(), v);
    }
}

fn toggle(ui: &mut Ui, field: &Field, state: &mut FormState) {
    let mut on = matches!(state.get(&field.name), Some(FieldValue::Bool(true)));
    ui.horizontal(|ui| {
        let r = widgets::toggle(ui, &mut on, &field.label);
        let r = if field.description.is_empty() {
            r
        } else {
            r.on_hover_text(&field.description)
        };
        ui.label(RichText::new(&field.label).strong());
        if r.changed() {
            state
                .values
                .insert(field.name.clone(), FieldValue::Bool(on));
        }
    });
}

/// The inclusive range a number field accepts.
fn range_of(field: &Field) -> (f64, f64) {
    let step = if field.kind == FieldKind::Integer {
        1.0
    } else {
        0.01
    };
    let lo = field
        .min
        .or(field.exclusive_min.map(|v| v + step))
        .unwrap_or(f64::MIN);
    let hi = field
        .max
        .or(field.exclusive_max.map(|v| v - step))
        .unwrap_or(f64::MAX);
    (lo, hi)
}

fn number(ui: &mut Ui, field: &Field, state: &mut FormState) {
    let id = label_row(ui, field, |_| {});
    let (lo, hi) = range_of(field);
    let integer = field.kind == FieldKind::Integer;
    ui.horizontal(|ui| match state.get(&field.name).cloned() {
        Some(FieldValue::Integer(_)) | Some(FieldValue::Number(_)) => {
            let mut v = match state.get(&field.name) {
                Some(FieldValue::Integer(i)) => *i as f64,
                Some(FieldValue::Number(n)) => *n,
                _ => 0.0,
            };
            let speed = if hi.is_finite() && lo.is_finite() && hi - lo < 1e6 {
                ((hi - lo) / 200.0).max(if integer { 0.05 } else { 0.001 })
            } else {
                1.0
            };
            let mut drag = egui::DragValue::new(&mut v).range(lo..=hi).speed(speed);
            if integer {
                drag = drag.fixed_decimals(0);
            } else {
                drag = drag.max_decimals(3);
            }
            let r = ui.add(drag).labelled_by(id);
            if lo.is_finite() && hi.is_finite() {
                ui.label(
                    RichText::new(format!("{} – {}", fmt_num(lo), fmt_num(hi)))
                        .small()
                        .color(theme::subtle(ui)),
                );
            }
            if r.changed() {
                let value = if integer {
                    FieldValue::Integer(v.round() as i64)
                } else {
                    FieldValue::Number(v)
                };
                state.values.insert(field.name.clone(), value);
            }
            if !field.required
                && ui
                    .small_button("Clear")
                    .on_hover_text("Leave it to the model's default")
                    .clicked()
            {
                state.values.remove(&field.name);
            }
        }
        _ => {
            ui.label(RichText::new("Model default").color(theme::subtle(ui)));
            if ui.small_button("Set").clicked() {
                let start = field
                    .default
                    .as_ref()
                    .and_then(Value::as_f64)
                    .unwrap_or(if lo.is_finite() { lo } else { 0.0 });
                let value = if integer {
                    FieldValue::Integer(start.round() as i64)
                } else {
                    FieldValue::Number(start)
                };
                state.values.insert(field.name.clone(), value);
            }
        }
    });
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn seed(ui: &mut Ui, field: &Field, state: &mut FormState) {
    let id = label_row(ui, field, |_| {});
    ui.horizontal(|ui| {
        match state.get(&field.name) {
            Some(FieldValue::Integer(s)) => {
                let mut v = *s;
                let r = ui
                    .add(egui::DragValue::new(&mut v).range(0..=SEED_MAX))
                    .labelled_by(id);
                if r.changed() {
                    state
                        .values
                        .insert(field.name.clone(), FieldValue::Integer(v));
                }
            }
            _ => {
                ui.label(RichText::new("Random each run").color(theme::subtle(ui)));
            }
        }
        if widgets::dice_button(ui, "Roll a new seed")
            .on_hover_text("Roll a new fixed seed")
            .clicked()
        {
            let v = rand::rng().random_range(0..=SEED_MAX);
            state
                .values
                .insert(field.name.clone(), FieldValue::Integer(v));
        }
        if state.get(&field.name).is_some() && ui.small_button("Random").clicked() {
            state.values.remove(&field.name);
        }
    });
}

fn object_list(
    ui: &mut Ui,
    cx: &mut FieldCtx<'_>,
    field: &Field,
    state: &mut FormState,
    path: &str,
) {
    let count = state.objects(&field.name).len();
    label_row(ui, field, |ui| {
        if let Some(max) = field.max_items {
            ui.label(
                RichText::new(format!("{count} / {max}"))
                    .small()
                    .color(theme::subtle(ui)),
            );
        }
    });
    let mut list = match state.values.remove(&field.name) {
        Some(FieldValue::ObjectList(list)) => list,
        Some(FieldValue::Object(one)) => vec![one],
        _ => Vec::new(),
    };
    let element_like = field.name == "elements";
    let mut remove = None;
    for (i, item) in list.iter_mut().enumerate() {
        let item_path = format!("{path}[{i}]");
        theme::card(ui).show(ui, |ui| {
            ui.horizontal(|ui| {
                let title = if element_like {
                    format!("@Element{}", i + 1)
                } else {
                    format!("{} {}", field.label, i + 1)
                };
                ui.label(
                    RichText::new(title)
                        .strong()
                        .monospace()
                        .color(theme::ACCENT),
                );
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let what = if element_like { "element" } else { "item" };
                    if ui
                        .small_button(format!("Remove {what} {}", i + 1))
                        .clicked()
                    {
                        remove = Some(i);
                    }
                });
            });
            fields(ui, cx, &field.item_fields, item, &item_path, false);
        });
        ui.add_space(4.0);
    }
    if let Some(i) = remove {
        list.remove(i);
    }
    let full = field.max_items.is_some_and(|m| list.len() as u64 >= m);
    let label = if element_like {
        "Add element"
    } else {
        "Add item"
    };
    if ui
        .add_enabled(!full, egui::Button::new(format!("+ {label}")))
        .clicked()
    {
        list.push(FormState::default());
    }
    if !list.is_empty() || field.required {
        state
            .values
            .insert(field.name.clone(), FieldValue::ObjectList(list));
    }
}

fn json(ui: &mut Ui, cx: &mut FieldCtx<'_>, field: &Field, state: &mut FormState, path: &str) {
    let id = label_row(ui, field, |ui| {
        ui.label(
            RichText::new("JSON")
                .small()
                .monospace()
                .color(theme::subtle(ui)),
        );
    });
    let form_ui = &mut cx.app.form_ui;
    let text = form_ui
        .json_text
        .entry(path.to_string())
        .or_insert_with(|| match state.get(&field.name) {
            Some(FieldValue::Json(v)) => serde_json::to_string_pretty(v).unwrap_or_default(),
            _ => String::new(),
        });
    let r = ui
        .add(
            egui::TextEdit::multiline(text)
                .code_editor()
                .desired_rows(4)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(id);
    if r.changed() {
        if text.trim().is_empty() {
            state.values.remove(&field.name);
            form_ui.json_error.remove(path);
        } else {
            match serde_json::from_str::<Value>(text) {
                Ok(v) => {
                    state.values.insert(field.name.clone(), FieldValue::Json(v));
                    form_ui.json_error.remove(path);
                }
                Err(e) => {
                    form_ui
                        .json_error
                        .insert(path.to_string(), format!("Not valid JSON: {e}"));
                }
            }
        }
    }
    if let Some(e) = form_ui.json_error.get(path) {
        ui.colored_label(theme::tone(ui, Tone::Danger), e);
    }
}

/// The messages about one field, right under it.
fn field_issues(ui: &mut Ui, issues: &[Issue], path: &str, quiet: bool) {
    if quiet {
        return;
    }
    for issue in issues.iter().filter(|i| i.field == path) {
        issue_line(ui, issue);
    }
}

fn issue_line(ui: &mut Ui, issue: &Issue) {
    let (tone, mark) = match issue.severity {
        Severity::Error => (Tone::Danger, "•"),
        Severity::Warning => (Tone::Warning, "•"),
    };
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        let c = theme::tone(ui, tone);
        ui.label(RichText::new(mark).small().color(c));
        ui.label(RichText::new(&issue.message).small().color(c));
    });
}

/// Issues about paths no widget drew (cross-field rules, unknown paths): listed at the end.
fn orphan_issues(ui: &mut Ui, model: &FormModel, issues: &[Issue]) {
    let drawn = |path: &str| {
        let top = path.split(['.', '[']).next().unwrap_or(path);
        model.fields.iter().any(|f| f.name == top) && path == top
            || path.contains('[') && model.fields.iter().any(|f| f.name == top)
    };
    let orphans: Vec<&Issue> = issues.iter().filter(|i| !drawn(&i.field)).collect();
    if orphans.is_empty() {
        return;
    }
    ui.add_space(8.0);
    for issue in orphans {
        issue_line(ui, issue);
    }
}

fn generate_bar(app: &mut StudioApp, ui: &mut Ui, model: &FormModel, can: Result<(), String>) {
    if let Err(reason) = &can {
        ui.add(egui::Label::new(RichText::new(reason).color(theme::tone(ui, Tone::Danger))).wrap());
    }
    ui.horizontal(|ui| {
        ui.vertical(|ui| match &app.cost {
            Some(c) => {
                ui.label(
                    RichText::new(format!(
                        "≈ ${:.2}",
                        c.usd * app.persisted.variations.max(1) as f64
                    ))
                    .size(18.0)
                    .strong(),
                );
                ui.label(
                    RichText::new(format!("{} · {}", c.basis, c.source_text()))
                        .small()
                        .color(theme::subtle(ui)),
                );
            }
            None => {
                ui.label(RichText::new("Cost unknown").strong());
                let why = app
                    .cost_why
                    .clone()
                    .unwrap_or_else(|| "No price on record for this endpoint".into());
                ui.add(
                    egui::Label::new(RichText::new(why).small().color(theme::subtle(ui))).wrap(),
                );
            }
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let label = if app.persisted.variations > 1 {
                format!("Generate {}", app.persisted.variations)
            } else {
                "Generate".to_string()
            };
            let r = ui
                .add_enabled(
                    can.is_ok(),
                    theme::primary_button(label).min_size(egui::vec2(130.0, 34.0)),
                )
                .on_hover_text(format!(
                    "Submit ({})",
                    ui.ctx().format_shortcut(&GENERATE_SHORTCUT)
                ));
            if r.clicked() {
                app.act(Action::Generate);
            }
            let mut n = app.persisted.variations.max(1);
            let r = ui.add(egui::DragValue::new(&mut n).range(1..=8).suffix(" ×"));
            let label = ui.label("Variations");
            r.labelled_by(label.id);
            let has_seed = model.field("seed").is_some();
            let hint = if has_seed {
                "Each variation gets its own seed"
            } else {
                "Submits the same settings several times"
            };
            label.on_hover_text(hint);
            app.persisted.variations = n;
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_at_word_before_the_cursor() {
        assert_eq!(at_word_before("a @Ele", 6).as_deref(), Some("@Ele"));
        assert_eq!(at_word_before("a @", 3).as_deref(), Some("@"));
        assert_eq!(at_word_before("a cat", 5), None);
        assert_eq!(at_word_before("@Image1 runs", 12), None);
    }

    #[test]
    fn inserting_replaces_the_partial_word() {
        let (t, c) = insert_reference("a @El walks", 5, Some("@El"), "@Element1");
        assert_eq!(t, "a @Element1 walks");
        assert_eq!(c, "a @Element1".chars().count());
        let (t, _) = insert_reference("a cat", 5, None, "@Image2");
        assert_eq!(t, "a cat @Image2 ");
    }
}
