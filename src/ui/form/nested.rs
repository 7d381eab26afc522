//! Lists of objects (Kling elements) and raw JSON for what the form cannot draw.

use super::*;

pub(super) fn object_list(
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

pub(super) fn json(
    ui: &mut Ui,
    cx: &mut FieldCtx<'_>,
    field: &Field,
    state: &mut FormState,
    path: &str,
) {
    let id = label_row(ui, field, |ui| {
        ui.label(
            RichText::new("JSON")
                .small()
                .monospace()
                .color(theme::subtle(ui)),
        );
    });
    let form_ui = &mut *cx.form_ui;
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
