//! The top bar (views, engine status, key in use), the simulator's banner and the keyboard
//! shortcuts' keys.

use egui::{Key, KeyboardShortcut, Modifiers, RichText};

use super::{Screen, View};
use crate::ui::config::Service;
use crate::ui::engine_link::EngineLink;
use crate::ui::theme::{self, Tone};
use reelsmith_core::fal::{KeySource, ResolvedKey};

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

/// What the top bar draws and changes.
pub struct TopBarView<'a> {
    /// Which screen is up (the tabs show in the studio only).
    pub screen: Screen,
    /// The service in use (the simulator's or the elsewhere banner).
    pub service: &'a Service,
    /// The key in use.
    pub key: Option<&'a ResolvedKey>,
    /// The view shown; the tabs switch it.
    pub view: &'a mut View,
    /// The queue panel is open (Show / Hide queue).
    pub show_queue: &'a mut bool,
    /// The help overlay is open (Help).
    pub help_open: &'a mut bool,
    /// Videos in the gallery's index (its tab's count).
    pub gallery_count: usize,
    /// The engine's status and running jobs.
    pub engine: &'a EngineLink,
    /// The spend strip, and the commands it sends.
    pub spend_strip: crate::ui::spend_strip::SpendStripView<'a>,
}

/// Draws the top bar and, above it, the simulator's or the elsewhere banner.
pub(super) fn show(view: &mut TopBarView<'_>, ui: &mut egui::Ui) {
    let simulated = view.service.is_simulated();
    if simulated && view.screen == Screen::Studio {
        simulator_banner(ui);
    } else if !simulated && !view.service.urls.is_fal() && view.screen != Screen::Loading {
        crate::ui::banner::elsewhere(ui, &view.service.urls, view.key);
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
                if view.screen == Screen::Studio {
                    for (tab, label, shortcut) in [
                        (View::Create, "Create", CREATE_SHORTCUT),
                        (View::Gallery, "Gallery", GALLERY_SHORTCUT),
                        (View::Storyboard, "Storyboard", STORYBOARD_SHORTCUT),
                        (View::Settings, "Settings", SETTINGS_SHORTCUT),
                    ] {
                        let selected = *view.view == tab;
                        let text = if tab == View::Gallery {
                            // The gallery's index: the folder's truth, kept current.
                            format!("{label}  {}", view.gallery_count)
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
                            *view.view = tab;
                        }
                    }
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .button("Help")
                        .on_hover_text("Keyboard shortcuts (F1)")
                        .clicked()
                    {
                        *view.help_open = true;
                    }
                    if view.screen == Screen::Studio && *view.view == View::Create {
                        let label = if *view.show_queue {
                            "Hide queue"
                        } else {
                            "Show queue"
                        };
                        if ui.button(label).clicked() {
                            *view.show_queue = !*view.show_queue;
                        }
                    }
                    if view.screen == Screen::Studio {
                        crate::ui::spend_strip::show(&mut view.spend_strip, ui);
                    }
                    if let Some(status) = view.engine.status() {
                        ui.label(RichText::new(status).color(theme::subtle(ui)));
                        ui.spinner();
                    }
                    let active = view.engine.active_count();
                    if active > 0 {
                        ui.label(
                            RichText::new(format!("{active} running"))
                                .color(theme::tone(ui, Tone::Running)),
                        );
                    }
                    if let Some(k) = view.key
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
