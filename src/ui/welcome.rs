//! The first screen when there is no key: enter a fal key, or try the simulator.

use egui::RichText;

use super::app::{Action, Commands};
use super::theme::{self, Tone};
use reelsmith_core::fal::ApiKey;

/// What the welcome screen remembers between frames. Debug leaves the typed key out.
#[derive(Default)]
pub struct WelcomeState {
    /// The key being typed (drawn masked).
    pub key_input: String,
    /// The key entry is open.
    pub entering_key: bool,
    /// The last error (saving the key, starting the simulator).
    pub error: Option<String>,
}

impl std::fmt::Debug for WelcomeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WelcomeState")
            .field(
                "key_input",
                &format_args!("<{} characters>", self.key_input.len()),
            )
            .field("entering_key", &self.entering_key)
            .field("error", &self.error)
            .finish()
    }
}

/// What the welcome screen draws, and where it sends what the user asks for.
pub struct WelcomeView<'a> {
    /// The typed key, the open entry and the last error.
    pub state: &'a mut WelcomeState,
    /// Why a key typed here would not be used (pointed elsewhere than fal).
    pub key_problem: Option<&'a str>,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
}

/// Draws the welcome screen.
pub fn show(view: &mut WelcomeView<'_>, ui: &mut egui::Ui) {
    let width = 520.0_f32.min(ui.available_width() - 40.0);
    ui.add_space((ui.available_height() * 0.14).max(24.0));
    ui.vertical_centered(|ui| {
        ui.set_max_width(width);
        ui.label(RichText::new("Welcome to reelsmith").size(28.0).strong());
        ui.add_space(6.0);
        ui.label(
            RichText::new(
                "Generate video with Veo 3.1, Kling O1 and Wan on fal.ai: drop in reference \
                 photos, fill the form, and collect finished clips in your gallery.",
            )
            .color(theme::subtle(ui)),
        );
        ui.add_space(24.0);
        theme::card(ui).show(ui, |ui| {
            ui.set_width(width - 24.0);
            ui.label(RichText::new("Use your fal account").strong().size(16.0));
            ui.label(
                RichText::new(
                    "Your key is stored in the system keyring (or a file only you can read) \
                     and is sent only to fal.",
                )
                .small()
                .color(theme::subtle(ui)),
            );
            ui.add_space(6.0);
            if let Some(problem) = view.key_problem {
                // Pointed somewhere other than fal: a key typed here would go there. Say what
                // this run needs instead.
                ui.label(RichText::new(problem).color(theme::tone(ui, Tone::Warning)));
            } else if view.state.entering_key {
                let label = ui.label("fal key");
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut view.state.key_input)
                            .password(true)
                            .hint_text("key-id:key-secret")
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(label.id);
                let submit = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.horizontal(|ui| {
                    if ui.add(theme::primary_button("Save key")).clicked() || submit {
                        view.commands
                            .send(Action::UseKey(ApiKey::new(view.state.key_input.clone())));
                    }
                    ui.hyperlink_to("Get a key at fal.ai", "https://fal.ai/dashboard/keys");
                });
            } else if ui
                .add(theme::primary_button("Enter your fal key"))
                .clicked()
            {
                view.state.entering_key = true;
            }
        });
        ui.add_space(12.0);
        theme::card(ui).show(ui, |ui| {
            ui.set_width(width - 24.0);
            ui.label(RichText::new("Just looking around?").strong().size(16.0));
            ui.label(
                RichText::new(
                    "The simulator runs a stand-in for fal on this computer: every feature \
                     works, jobs finish in seconds, and nothing is charged.",
                )
                .small()
                .color(theme::subtle(ui)),
            );
            ui.add_space(6.0);
            if ui.button("Try the simulator").clicked() {
                view.commands.send(Action::StartSimulator);
            }
        });
        if let Some(e) = &view.state.error {
            ui.add_space(10.0);
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    });
}
