//! The one-value fields: text, choices, switches, numbers and the seed.

use super::*;

pub(super) fn text(ui: &mut Ui, field: &Field, state: &mut FormState) {
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
pub(super) fn choice_value(v: &Value) -> Option<FieldValue> {
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

pub(super) fn enumeration(ui: &mut Ui, field: &Field, state: &mut FormState) {
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

pub(super) fn toggle(ui: &mut Ui, field: &Field, state: &mut FormState) {
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
pub(super) fn range_of(field: &Field) -> (f64, f64) {
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

pub(super) fn number(ui: &mut Ui, field: &Field, state: &mut FormState) {
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

pub(super) fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

pub(super) fn seed(ui: &mut Ui, field: &Field, state: &mut FormState) {
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
