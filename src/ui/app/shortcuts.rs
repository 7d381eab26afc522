//! The keyboard shortcuts (their keys are in [`super::top_bar`], which shows them).

use super::*;

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
                &mut self.tasks,
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
}
