//! Favourite and reject marks on the selection (F, X): shown at once from the index, saved in
//! the journal off the UI thread, so they survive a restart (the indexer reads them back).

use reelsmith_core::store::Marks;

use super::GalleryView;
use crate::ui::app::StudioApp;
use crate::ui::app::tasks::TaskKind;
use crate::ui::theme::Tone;

/// Which mark a key toggles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// F.
    Favourite,
    /// X.
    Reject,
}

/// Journal writes of marks under way (counted here: [`super::busy`] sees only the gallery).
#[derive(Default)]
pub struct MarkSaves {
    running: usize,
}

impl MarkSaves {
    /// True while a write runs.
    pub fn busy(&self) -> bool {
        self.running > 0
    }
}

/// Toggles `mark` on `ids`: all of them get it unless all have it already, then all lose it
/// (saved in the engine's journal by a task of the registry).
pub fn toggle(view: &mut GalleryView<'_>, ids: &[String], mark: Mark) {
    let gallery = &mut *view.gallery;
    let index = &gallery.index.index;
    let has = |m: &Marks| match mark {
        Mark::Favourite => m.favourite,
        Mark::Reject => m.rejected,
    };
    let known: Vec<(String, Marks)> = ids
        .iter()
        .filter_map(|id| index.get(id).map(|e| (id.clone(), e.marks)))
        .collect();
    if known.is_empty() {
        return;
    }
    let on = !known.iter().all(|(_, m)| has(m));
    let changed: Vec<(String, Marks)> = known
        .into_iter()
        .map(|(id, mut m)| {
            match mark {
                Mark::Favourite => m.favourite = on,
                Mark::Reject => m.rejected = on,
            }
            (id, m)
        })
        .collect();
    for (id, m) in &changed {
        gallery.index.index.set_marks(id, *m);
    }
    gallery.index.touch();
    let Some(journal) = view.engine.journal() else {
        // A preview with no journal keeps them for this run only.
        return;
    };
    gallery.marks.running += 1;
    view.tasks.spawn_blocking(
        TaskKind::Marks,
        "Saving the marks",
        move || {
            for (id, m) in &changed {
                journal
                    .set_marks(id, *m)
                    .map_err(|e| format!("The marks could not be saved: {e}"))?;
            }
            Ok(())
        },
        |app: &mut StudioApp, r| {
            app.gallery.marks.running = app.gallery.marks.running.saturating_sub(1);
            if let Err(e) | Ok(Err(e)) = r {
                app.toast(Tone::Danger, e);
            }
        },
    );
}
