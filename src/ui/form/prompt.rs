//! The prompt field, with completion of `@` references (Kling O1's `@Element1`, `@Image2`).

use super::*;

pub(super) fn prompt(
    ui: &mut Ui,
    cx: &mut FieldCtx<'_>,
    field: &Field,
    state: &mut FormState,
    path: &str,
) {
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
    let completing = cx.form_ui.completing.clone();
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
    cx.form_ui.completing = if has_focus { word.clone() } else { None };
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
        cx.form_ui.completing = None;
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
