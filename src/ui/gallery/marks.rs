//! Favourite and reject marks on the selection (F, X): shown at once from the index, saved in
//! the journal off the UI thread, so they survive a restart (the indexer reads them back).

use poll_promise::Promise;
use reelsmith_core::store::Marks;

use super::GalleryState;
use crate::ui::app::StudioApp;
use crate::ui::engine_link::EngineLink;
use crate::ui::theme::Tone;

/// Which mark a key toggles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// F.
    Favourite,
    /// X.
    Reject,
}

/// Journal writes of marks under way.
#[derive(Default)]
pub struct MarkSaves {
    running: Vec<Promise<Result<(), String>>>,
}

impl MarkSaves {
    /// True while a write runs.
    pub fn busy(&self) -> bool {
        !self.running.is_empty()
    }
}

/// Toggles `mark` on `ids`: all of them get it unless all have it already, then all lose it
/// (saved in the engine's journal; `ctx` repaints when the write is done).
pub fn toggle(
    gallery: &mut GalleryState,
    engine: &EngineLink,
    ctx: &egui::Context,
    ids: &[String],
    mark: Mark,
) {
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
    let Some(journal) = engine.journal() else {
        // A preview with no journal keeps them for this run only.
        return;
    };
    gallery.marks.running.push(crate::ui::task::blocking(
        ctx,
        move || {
            for (id, m) in &changed {
                journal
                    .set_marks(id, *m)
                    .map_err(|e| format!("The marks could not be saved: {e}"))?;
            }
            Ok(())
        },
        |m| Err(format!("Saving the marks stopped unexpectedly ({m}).")),
    ));
}

/// Collects finished writes; a failure is a toast.
pub fn poll(app: &mut StudioApp) {
    let running = std::mem::take(&mut app.gallery.marks.running);
    for p in running {
        match p.try_take() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => app.toast(Tone::Danger, e),
            Err(p) => app.gallery.marks.running.push(p),
        }
    }
}
