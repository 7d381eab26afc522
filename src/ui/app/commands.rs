//! What panels ask the app to do, and the one place it is done, at the end of each frame.

use super::*;
use crate::ui::system_open::OpenRequest;

/// Something a panel asks the app to do; applied in one place after drawing.
#[derive(Debug, Clone)]
pub enum Action {
    /// Show this endpoint's form.
    SelectEndpoint(String),
    /// Submit the current form (Variations times).
    Generate,
    /// Submit once over the budget: the refused batch's forms, or the current form.
    GenerateOverBudget(Option<Vec<FormState>>),
    /// Send these forms as one batch (the user confirmed it).
    SendBatch(Vec<FormState>),
    /// Validate and price the form again (a preset changed it).
    Invalidate,
    /// Cancel a job.
    Cancel(JobId),
    /// Submit a failed or cancelled job again.
    Retry(JobId),
    /// Look in fal's request history again for a job whose submission is unknown.
    LookAgain(JobId),
    /// Ask before submitting a job whose submission is unknown again.
    ConfirmResubmit(JobId),
    /// Submit a job whose submission is unknown again (the user confirmed the cost).
    ResubmitUnknown(JobId),
    /// A queue-wide command (cancel all or what waits, retry all failed, pause, reorder).
    Queue(crate::ui::engine_link::QueueOp),
    /// Forget a finished job from the queue (the video stays).
    Remove(JobId),
    /// Fill the form from a job's or video's settings.
    UseSettings {
        /// The endpoint.
        endpoint_id: String,
        /// The serialized `FormState` (or, for old videos, the submitted input).
        form: serde_json::Value,
    },
    /// Open a file in the system's default application.
    Open(PathBuf),
    /// Show a file in the file manager.
    Reveal(PathBuf),
    /// Copy a video and its sidecar elsewhere.
    SaveAs(LibraryItem),
    /// Add this clip to the storyboard on show.
    /// (Several at once are added in one edit, in this order: separate edits running side by
    /// side could answer out of order and show a board missing one.)
    AddToStoryboard(Vec<PathBuf>),
    /// Open extend-video with this clip.
    ExtendClip(PathBuf),
    /// Use the clip's last frame as the first frame of a new image-to-video job.
    LastFrameAsFirst(PathBuf),
    /// Open video-as-prompt with this clip as the motion reference.
    MotionReference(PathBuf),
    /// Add media to a field (`elements[0].reference_image_urls`).
    AddMedia {
        /// The field path.
        field: String,
        /// What to add.
        items: Vec<schema::MediaRef>,
    },
    /// Put text on the clipboard and say so.
    CopyText(String, &'static str),
    /// Switch view.
    SetView(View),
    /// Show a toast.
    Toast(Tone, String),
    /// Read the spend again (the spend strip was clicked).
    RefreshSpend,
    /// Save this key (from welcome or settings) and use it where saved keys may go.
    UseKey(ApiKey),
    /// Start the in-process simulator.
    StartSimulator,
    /// Forget the saved key.
    ForgetKey,
    /// Apply the theme choice.
    SetTheme(ThemeChoice),
    /// Use these shared settings (saved in the background; the engine restarts with them
    /// when `restart`).
    ApplySettings {
        /// The new settings.
        settings: Settings,
        /// Restart the engine (output folder, jobs in flight changed).
        restart: bool,
    },
}

/// Where panels send what the user asked for; the app applies it at frame end.
#[derive(Debug, Default)]
pub struct Commands(Vec<Action>);

impl Commands {
    /// Asks for `action` at the end of this frame.
    pub fn send(&mut self, action: Action) {
        self.0.push(action);
    }

    /// The commands sent so far, in order; the list is left empty.
    pub fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.0)
    }
}

impl StudioApp {
    /// Hands a file to the system's handlers on a worker (they may take long).
    fn system_open(&mut self, request: OpenRequest) {
        let opener = self.config.system_open.clone();
        crate::ui::system_open::start(&mut self.tasks, &opener, request);
    }

    pub(super) fn add_media(&mut self, field: &str, items: Vec<schema::MediaRef>) {
        let Some(model) = self.model.clone() else {
            return;
        };
        if let Some(offer) =
            form::batch::offer_photos(&mut self.form_ui.batch, &model, field, &items)
        {
            self.toast(Tone::Waiting, offer);
        }
        let Some(state) = self.form_state_mut() else {
            return;
        };
        match references::add_to_field(&model, state, field, items) {
            Ok(()) => self.invalidate(),
            Err(message) => {
                self.toast(Tone::Warning, message);
            }
        }
    }

    pub(super) fn apply(&mut self, action: Action) {
        match action {
            Action::SelectEndpoint(id) => self.select_endpoint(&id),
            Action::Generate => self.generate(),
            Action::GenerateOverBudget(batch) => self.generate_over_budget(batch),
            Action::SendBatch(forms) => self.send_batch(forms, false),
            Action::Invalidate => self.invalidate(),
            Action::Cancel(id) => self.engine.cancel(&id),
            Action::Retry(id) => self.engine.retry(&id),
            Action::LookAgain(id) => self.engine.look_again(&id),
            Action::ConfirmResubmit(id) => self.confirm_resubmit = Some(id),
            Action::ResubmitUnknown(id) => self.engine.resubmit_unknown(&id),
            Action::Remove(id) => self.engine.remove(&id),
            Action::Queue(op) => self.engine.queue_op(op),
            Action::UseSettings { endpoint_id, form } => self.use_settings(&endpoint_id, &form),
            Action::Open(path) => self.system_open(OpenRequest::Open(path)),
            Action::Reveal(path) => self.system_open(OpenRequest::Reveal(path)),
            Action::SaveAs(item) => crate::ui::save_copy::start(self, item),
            Action::AddToStoryboard(paths) => {
                if self.storyboard.selected.is_none() {
                    self.toast(
                        Tone::Warning,
                        "Make or pick a storyboard first (Storyboard, Ctrl+3).",
                    );
                } else {
                    crate::ui::storyboard::add_from_gallery(self, paths);
                    self.toast(Tone::Waiting, "Added to the storyboard.");
                }
            }
            Action::ExtendClip(path) => self.reuse_clip(Reuse::Extend, path),
            Action::MotionReference(path) => self.reuse_clip(Reuse::MotionReference, path),
            Action::LastFrameAsFirst(path) => gallery::start_last_frame(self, path),
            Action::AddMedia { field, items } => self.add_media(&field, items),
            Action::CopyText(text, what) => {
                self.ctx.copy_text(text);
                self.toast(Tone::Waiting, format!("{what} copied."));
            }
            Action::SetView(view) => self.persisted.view = view,
            Action::Toast(tone, text) => {
                self.toast(tone, text);
            }
            Action::RefreshSpend => self.money.refresh_spend(),
            Action::UseKey(key) => {
                if key.is_empty() {
                    self.welcome.error = Some("Paste your fal key first.".into());
                    return;
                }
                let urls = self.config.service.urls.clone();
                self.key_tasks.start_save(&mut self.tasks, key, urls);
            }
            Action::StartSimulator => self.start_simulator(),
            Action::ForgetKey => {
                // The keyring may block: forgotten on a blocking task, like every key call.
                let urls = self.config.service.urls.clone();
                self.key_tasks.start_forget(&mut self.tasks, urls);
            }
            Action::ApplySettings { settings, restart } => {
                self.engine.apply_settings(settings, restart);
                self.apply_sim_timing();
            }
            Action::SetTheme(choice) => {
                self.persisted.theme = choice;
                self.ctx.set_theme(choice.preference());
            }
        }
    }

    pub(super) fn use_settings(&mut self, endpoint_id: &str, form: &serde_json::Value) {
        self.select_endpoint(endpoint_id);
        let Some(model) = self.model.clone() else {
            return;
        };
        let state = serde_json::from_value::<FormState>(form.clone())
            .ok()
            .or_else(|| FormState::from_input_json(&model, form).ok());
        match state {
            Some(state) => {
                self.persisted
                    .forms
                    .insert(model.endpoint_id.clone(), state);
                self.form_ui = FormUi::default();
                self.persisted.view = View::Create;
                self.invalidate();
                self.toast(Tone::Waiting, "Settings copied into the form.");
            }
            None => {
                self.toast(
                    Tone::Warning,
                    "Those settings no longer fit this endpoint's form.",
                );
            }
        }
    }

    /// Opens the endpoint of `reuse` with `path` in its field.
    pub(super) fn reuse_clip(&mut self, reuse: Reuse, path: PathBuf) {
        let (endpoint_id, field) = (reuse.endpoint(), reuse.field());
        self.select_endpoint(endpoint_id);
        if self.endpoint_id() != Some(endpoint_id) {
            self.toast(
                Tone::Warning,
                format!("{endpoint_id} is not in the catalog."),
            );
            return;
        }
        self.add_media(field, vec![schema::MediaRef::Local(path)]);
        self.persisted.view = View::Create;
    }

    /// Opens image-to-video with `image` as its first frame (used by "last frame as first").
    pub fn use_as_first_frame(&mut self, image: PathBuf) {
        self.reuse_clip(Reuse::LastFrameAsFirst, image);
    }

    pub(super) fn generate(&mut self) {
        // A batch has its own checks and one question for all its jobs.
        if form::batch::is_active(&self.form_ui.batch) {
            self.ask_batch();
            return;
        }
        self.form_ui.attempted = true;
        if let Err(reason) = self.can_generate() {
            self.toast(Tone::Warning, reason);
            return;
        }
        let (Some(model), Some(state)) = (self.model.clone(), self.form_state().cloned()) else {
            return;
        };
        let count = self.persisted.variations.clamp(1, 8);
        // The last spend read answers at once; the engine checks again before anything is sent.
        let adding = self.cost.as_ref().map_or(0.0, |c| c.usd * f64::from(count));
        if let Some(over) = self.money.would_pass(adding, count) {
            self.money.refused = Some(crate::ui::money_link::Refusal {
                over,
                count,
                batch: None,
            });
            return;
        }
        self.submit_now(model, state, count, false);
    }

    /// Generates once over the budget (the refusal's "Generate anyway"; `batch`: its forms).
    pub fn generate_over_budget(&mut self, batch: Option<Vec<FormState>>) {
        // The refusal of a batch carries its forms: those, and only those, are sent.
        if let Some(forms) = batch {
            self.send_batch(forms, true);
            return;
        }
        let (Some(model), Some(state)) = (self.model.clone(), self.form_state().cloned()) else {
            return;
        };
        let count = self.persisted.variations.clamp(1, 8);
        self.submit_now(model, state, count, true);
    }

    /// Generate with a batch chosen: the budget's refusal, or the one question.
    fn ask_batch(&mut self) {
        let Some(model) = self.model.as_ref() else {
            self.toast(Tone::Warning, "Pick an endpoint first.");
            return;
        };
        let Some(base) = self.persisted.forms.get(&model.endpoint_id) else {
            self.toast(Tone::Warning, "Pick an endpoint first.");
            return;
        };
        let ready = form::batch::ready_with(
            self.key.is_some(),
            &self.engine,
            &mut self.form_ui.batch,
            model,
            base,
        );
        let prepared = match ready {
            Ok(p) => p,
            Err(why) => {
                self.toast(Tone::Warning, why);
                return;
            }
        };
        let n = prepared.forms.len();
        // The refusal is then the one question ("Generate anyway" sends the batch).
        if let Some(over) = self.money.would_pass(prepared.summary.usd, n as u32) {
            self.money.refused = Some(crate::ui::money_link::Refusal {
                over,
                count: n as u32,
                batch: Some(prepared.forms),
            });
            return;
        }
        self.form_ui.batch.asking = Some(prepared);
    }

    /// Sends `forms` as one batch (the budgets see them together).
    fn send_batch(&mut self, forms: Vec<FormState>, over_budget: bool) {
        let Some(endpoint_id) = self.endpoint_id().map(str::to_string) else {
            return;
        };
        let n = forms.len();
        match self.engine.submit_forms(&endpoint_id, forms, over_budget) {
            Ok(()) => {
                self.persisted.show_queue = true;
                self.toast(
                    Tone::Waiting,
                    format!("{} queued.", crate::ui::engine_link::jobs_word(n)),
                );
            }
            Err(e) => {
                self.toast(Tone::Danger, e);
            }
        }
    }

    fn submit_now(&mut self, model: FormModel, state: FormState, count: u32, over_budget: bool) {
        match self.engine.submit(&model, &state, count, over_budget) {
            Ok(n) => {
                self.persisted.show_queue = true;
                let what = if n == 1 {
                    "Job queued.".to_string()
                } else {
                    format!("{n} jobs queued with different seeds.")
                };
                self.toast(Tone::Waiting, what);
            }
            Err(e) => {
                self.toast(Tone::Danger, e);
            }
        }
    }
}
