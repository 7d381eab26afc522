//! The storyboard's journal edits, one at a time in the order they were made. Each answer
//! carries the board as its edit left it; two edits side by side could answer in the other
//! order and put the older board back on show.

use std::collections::VecDeque;
use std::sync::Arc;

use reelsmith_core::store::Journal;

use super::tasks::{Done, NO_JOURNAL, answer};
use crate::ui::app::StudioApp;
use crate::ui::app::tasks::TaskKind;

type Edit = Box<dyn FnOnce(Arc<Journal>) -> Result<Done, String> + Send>;

/// The edits waiting behind the one under way.
#[derive(Default)]
pub struct EditLane {
    waiting: VecDeque<Edit>,
    running: bool,
}

impl EditLane {
    /// True while an edit runs or waits.
    pub fn busy(&self) -> bool {
        self.running || !self.waiting.is_empty()
    }
}

/// Queues `work` behind the edits made before it; its answer is applied like any storyboard
/// task's, then the next edit starts.
pub(super) fn edit(
    app: &mut StudioApp,
    work: impl FnOnce(Arc<Journal>) -> Result<Done, String> + Send + 'static,
) {
    app.storyboard.edits.waiting.push_back(Box::new(work));
    next(app);
}

fn next(app: &mut StudioApp) {
    if app.storyboard.edits.running {
        return;
    }
    let Some(work) = app.storyboard.edits.waiting.pop_front() else {
        return;
    };
    let Some(journal) = app.engine.journal() else {
        app.storyboard.edits.waiting.clear();
        app.storyboard.error = Some(NO_JOURNAL.into());
        return;
    };
    app.storyboard.edits.running = true;
    app.tasks.spawn_blocking(
        TaskKind::Storyboard,
        "Saving a storyboard edit",
        move || work(journal),
        |app: &mut StudioApp, r| {
            app.storyboard.edits.running = false;
            answer(app, r.and_then(|done| done));
            next(app);
        },
    );
}
