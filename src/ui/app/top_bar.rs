//! The top bar (views, engine status, key in use), the simulator's banner and the keyboard
//! shortcuts.

use super::*;

/// Generate (and the help overlay) use these shortcuts.
pub const GENERATE_SHORTCUT: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);
/// Opens the help overlay.
pub const HELP_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::F1);
/// Focuses the endpoint filter.
pub const FILTER_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::K);
/// Switches to the create view.
pub const CREATE_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Num1);
/// Switches to the gallery.
pub const GALLERY_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Num2);
/// Switches to the storyboard.
pub const STORYBOARD_SHORTCUT: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND, Key::Num3);
/// Opens settings.
pub const SETTINGS_SHORTCUT: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND, Key::Comma);

impl StudioApp {
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.input_mut(|i| i.consume_shortcut(&HELP_SHORTCUT)) {
            self.help_open = !self.help_open;
        }
        if self.screen != Screen::Studio {
            return;
        }
        // Before Ctrl+K, which would otherwise take Ctrl+Shift+K too.
        if ctx.input_mut(|i| i.consume_shortcut(&crate::ui::model_browser::BROWSER_SHORTCUT)) {
            crate::ui::model_browser::open(
                &mut self.browser,
                &self.money,
                &self.config.cache_dir,
                ctx,
            );
        }
        if ctx.input_mut(|i| i.consume_shortcut(&GENERATE_SHORTCUT))
            && self.persisted.view == View::Create
        {
            self.act(Action::Generate);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&CREATE_SHORTCUT)) {
            self.persisted.view = View::Create;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&GALLERY_SHORTCUT)) {
            self.persisted.view = View::Gallery;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&STORYBOARD_SHORTCUT)) {
            self.persisted.view = View::Storyboard;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&SETTINGS_SHORTCUT)) {
            self.persisted.view = View::Settings;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&FILTER_SHORTCUT)) {
            self.persisted.view = View::Create;
            self.picker.focus_filter = true;
        }
    }

    pub(super) fn top_bar(&mut self, ui: &mut egui::Ui) {
        let simulated = self.config.service.is_simulated();
        if simulated && self.screen == Screen::Studio {
            simulator_banner(ui);
        } else if !simulated && !self.config.service.urls.is_fal() && self.screen != Screen::Loading
        {
            crate::ui::banner::elsewhere(ui, &self.config.service.urls, self.key.as_ref());
        }
        egui::Panel::top("top_bar")
            .frame(
                egui::Frame::new()
                    .fill(ui.visuals().window_fill)
                    .inner_margin(egui::Margin::symmetric(14, 8))
                    .stroke(theme::card_stroke(ui)),
            )
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new("reelsmith")
                            .size(18.0)
                            .strong()
                            .color(theme::ACCENT),
                    );
                    ui.add_space(18.0);
                    if self.screen == Screen::Studio {
                        for (view, label, shortcut) in [
                            (View::Create, "Create", CREATE_SHORTCUT),
                            (View::Gallery, "Gallery", GALLERY_SHORTCUT),
                            (View::Storyboard, "Storyboard", STORYBOARD_SHORTCUT),
                            (View::Settings, "Settings", SETTINGS_SHORTCUT),
                        ] {
                            let selected = self.persisted.view == view;
                            let text = if view == View::Gallery {
                                // The gallery's index: the folder's truth, kept current.
                                format!("{label}  {}", self.gallery.index.index.len())
                            } else {
                                label.to_string()
                            };
                            let r = ui
                                .add(egui::Button::selectable(
                                    selected,
                                    RichText::new(text).size(15.0),
                                ))
                                .on_hover_text(ui.ctx().format_shortcut(&shortcut));
                            if r.clicked() {
                                self.persisted.view = view;
                            }
                        }
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui
                            .button("Help")
                            .on_hover_text("Keyboard shortcuts (F1)")
                            .clicked()
                        {
                            self.help_open = true;
                        }
                        if self.screen == Screen::Studio && self.persisted.view == View::Create {
                            let label = if self.persisted.show_queue {
                                "Hide queue"
                            } else {
                                "Show queue"
                            };
                            if ui.button(label).clicked() {
                                self.persisted.show_queue = !self.persisted.show_queue;
                            }
                        }
                        if self.screen == Screen::Studio {
                            let mut view = crate::ui::spend_strip::SpendStripView {
                                spend: self.money.spend.as_ref(),
                                spend_error: self.money.spend_error.as_deref(),
                                budgets: self.money.handle.budgets(),
                                commands: &mut self.commands,
                            };
                            crate::ui::spend_strip::show(&mut view, ui);
                        }
                        if let Some(status) = self.engine.status() {
                            ui.label(RichText::new(status).color(theme::subtle(ui)));
                            ui.spinner();
                        }
                        let active = self.engine.active_count();
                        if active > 0 {
                            ui.label(
                                RichText::new(format!("{active} running"))
                                    .color(theme::tone(ui, Tone::Running)),
                            );
                        }
                        if let Some(k) = &self.key
                            && !simulated
                        {
                            let whose = match k.source {
                                KeySource::EnvFalKey => "FAL_KEY",
                                KeySource::EnvKeyIdSecret => "FAL_KEY_ID",
                                _ => "fal",
                            };
                            let masked = crate::ui::keystore::mask(k.key.expose());
                            ui.label(
                                RichText::new(format!("{whose} · {masked}"))
                                    .color(theme::subtle(ui))
                                    .small(),
                            )
                            .on_hover_text(k.summary());
                        }
                    });
                });
            });
    }
}

/// The always-visible strip that says the simulator, not fal, is in use.
fn simulator_banner(ui: &mut egui::Ui) {
    let fill = theme::BANNER;
    egui::Panel::top("simulator_banner")
        .exact_size(28.0)
        .frame(
            egui::Frame::new()
                .fill(fill)
                .inner_margin(egui::Margin::symmetric(14, 4)),
        )
        .show(ui, |ui| {
            ui.centered_and_justified(|ui| {
                ui.label(
                    RichText::new(
                        "SIMULATOR — jobs run on this computer against a local stand-in for fal. \
                         Nothing is sent to fal and nothing is charged.",
                    )
                    .color(egui::Color32::BLACK)
                    .strong(),
                );
            });
        });
}
