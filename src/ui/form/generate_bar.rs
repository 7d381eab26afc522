//! The bar under the form: cost estimate, variations and Generate.

use super::*;

pub(super) fn generate_bar(
    view: &mut FormView<'_>,
    ui: &mut Ui,
    model: &FormModel,
    state: &FormState,
    can: Result<(), String>,
) {
    if batch::is_active(&view.form_ui.batch) {
        return batch::bar(view, ui, model, state);
    }
    if let Err(reason) = &can {
        ui.add(egui::Label::new(RichText::new(reason).color(theme::tone(ui, Tone::Danger))).wrap());
    }
    ui.horizontal(|ui| {
        ui.vertical(|ui| match view.cost {
            Some(c) => {
                ui.label(
                    RichText::new(format!(
                        "≈ ${:.2}",
                        c.usd * (*view.variations).max(1) as f64
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
                let why = view
                    .cost_why
                    .unwrap_or("No price on record for this endpoint");
                ui.add(
                    egui::Label::new(RichText::new(why).small().color(theme::subtle(ui))).wrap(),
                );
            }
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let label = if *view.variations > 1 {
                format!("Generate {}", view.variations)
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
                view.commands.send(Action::Generate);
            }
            let mut n = (*view.variations).max(1);
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
            *view.variations = n;
        });
    });
}
