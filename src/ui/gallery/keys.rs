//! The gallery's keys: arrows move the focus (Up/Down by a row), Shift+arrows extend a range,
//! Space toggles, Ctrl+A selects every visible video, Enter plays the focused one, Esc clears,
//! F and X mark, Delete trashes, Ctrl+Z undoes the last deletion. Only while the gallery is on
//! show and no other widget (text field, slider, button) has the keyboard; keys are taken
//! before any widget sees them.

use egui::{Key, Modifiers};

use super::selection::Extend;
use super::{CELL_H, GAP, GalleryState, GalleryView, marks, trash_link};

/// Applies this frame's gallery keys.
pub fn handle(view: &mut GalleryView<'_>, ctx: &egui::Context) {
    let dialog_up = ctx.memory(|m| m.top_modal_layer().is_some()) || ctx.any_popup_open();
    // A focused text field, slider or button keeps its keys; a focused cell does not.
    let widget_has_keys = ctx.memory(|m| m.focused().is_some()) && !view.gallery.cell_focused;
    if ctx.text_edit_focused() || widget_has_keys || dialog_up || view.gallery.trash.confirm_clear {
        return;
    }
    let cols = view.gallery.cols.max(1) as isize;
    let visible = view.gallery.visible();
    let mut moved = None;
    let arrows = [
        (Key::ArrowLeft, -1),
        (Key::ArrowRight, 1),
        (Key::ArrowUp, -cols),
        (Key::ArrowDown, cols),
    ];
    for (key, delta) in arrows {
        // Shift first: a plain match ignores an extra Shift.
        for (mods, how) in [
            (Modifiers::SHIFT, Extend::Range),
            (Modifiers::NONE, Extend::Only),
        ] {
            if ctx.input_mut(|i| i.consume_key(mods, key)) {
                moved = view.gallery.selection.step(&visible, delta, how).or(moved);
            }
        }
    }
    if let Some(at) = moved {
        reveal_row(view.gallery, at / cols as usize);
    }
    // Space belongs to the preview player while it shows the focused video.
    let player_has_space = view
        .gallery
        .player
        .as_ref()
        .is_some_and(|p| p.view().is_some());
    if !player_has_space && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Space)) {
        let focus = view.gallery.selection.focus.clone();
        match focus {
            Some(id) => view.gallery.selection.pick(&visible, &id, Extend::Toggle),
            None => {
                view.gallery.selection.step(&visible, 0, Extend::Only);
            }
        }
    }
    if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::A)) {
        view.gallery.selection.all(&visible);
    }
    if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
        view.gallery.selection.clear();
    }
    if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter)) {
        play_focused(view, ctx);
    }
    let ids = view.gallery.selection.ordered(&visible);
    if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F)) {
        marks::toggle(view, &ids, marks::Mark::Favourite);
    }
    if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::X)) {
        marks::toggle(view, &ids, marks::Mark::Reject);
    }
    if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Delete)) {
        trash_link::delete(view, &ids);
    }
    if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Z)) {
        trash_link::undo(view);
    }
}

/// Starts the in-app preview of the focused video, with its sound.
fn play_focused(view: &mut GalleryView<'_>, ctx: &egui::Context) {
    let Some(path) = view
        .gallery
        .selection
        .focus
        .as_ref()
        .and_then(|id| view.gallery.index.index.get(id))
        .map(|e| e.item.path.clone())
    else {
        return;
    };
    let sound = view.sound.clone();
    let player = view
        .gallery
        .player
        .get_or_insert_with(|| crate::ui::player::PlayerPanel::new(sound));
    player.open(ctx, &path, Vec::new(), true);
}

/// Scrolls the grid next frame so that `row` is on screen.
fn reveal_row(gallery: &mut GalleryState, row: usize) {
    let (offset, height) = gallery.viewport;
    let top = row as f32 * (CELL_H + GAP);
    let bottom = top + CELL_H;
    if top < offset {
        gallery.scroll_to = Some(top);
    } else if height > 0.0 && bottom > offset + height {
        gallery.scroll_to = Some(bottom - height);
    }
}
