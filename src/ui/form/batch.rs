//! Batches in the form: one job per photo (several photos dropped on an image field, or a
//! folder), per line of a prompt list, or per row of a CSV (a column per field). The forms come
//! from the core's `schema::batch`; the bar shows "N jobs · est. $X total" and one question (or
//! the budget's refusal) covers the whole batch before anything is sent.

use std::path::{Path, PathBuf};

use egui::{RichText, Ui};

use super::FormView;
use crate::ui::app::tasks::TaskKind;
use crate::ui::app::{Action, StudioApp};
use crate::ui::engine_link::EngineLink;
use crate::ui::theme::{self, Tone};
use reelsmith_core::schema::batch::{
    BatchSummary, per_csv_row, per_photo, per_prompt, photo_field, photos_in, summarize,
};
use reelsmith_core::schema::{FieldKind, FormModel, FormState, MediaRef, Severity, validate};

/// Where the jobs of a batch come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// No batch: Generate sends the form (Variations times).
    #[default]
    Off,
    /// One job per photo, into one image field.
    Photos,
    /// One job per line of the prompt list.
    Prompts,
    /// One job per CSV row.
    Csv,
}

/// Photos for a one-job-per-photo batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Photos {
    /// The image field each goes into.
    pub field: String,
    /// The photos, in order.
    pub paths: Vec<PathBuf>,
}

/// An imported CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Csv {
    /// Where it was read from (media cells are relative to its folder).
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

/// The forms of a batch and what they are expected to cost.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// One form per job.
    pub forms: Vec<FormState>,
    /// Count and estimate.
    pub summary: BatchSummary,
}

/// What a background pick answered.
enum Picked {
    Folder(Result<Option<Photos>, String>),
    Csv(Result<Option<Csv>, String>),
}

/// What the form keeps of a batch between frames.
#[derive(Default)]
pub struct BatchUi {
    /// The source in use.
    pub source: Source,
    /// Photos dropped or read from a folder.
    pub photos: Option<Photos>,
    /// The prompt list, one prompt per line.
    pub prompts: String,
    /// The imported CSV.
    pub csv: Option<Csv>,
    /// The batch waiting for the user's "Send".
    pub asking: Option<Prepared>,
    /// Photos were just offered: the section opens to show the offer.
    offered: bool,
    /// The registry task picking and reading a folder or CSV, by token (dialogs and disk off
    /// the UI thread; an answer for a form since reset is not this one's).
    picking: Option<u64>,
    /// The last preparation and what it was made from.
    cache: Option<(Key, Result<Prepared, String>)>,
}

impl std::fmt::Debug for BatchUi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchUi")
            .field("source", &self.source)
            .field("photos", &self.photos)
            .field("csv", &self.csv.as_ref().map(|c| &c.path))
            .finish_non_exhaustive()
    }
}

/// What a preparation depends on.
type Key = (Source, FormState, String, Option<Csv>, Option<Photos>);

impl BatchUi {
    /// The batch's forms, or why they cannot be made; None when no batch is chosen.
    pub fn prepare(
        &mut self,
        model: &FormModel,
        base: &FormState,
    ) -> Option<Result<Prepared, String>> {
        if self.source == Source::Off {
            return None;
        }
        let key: Key = (
            self.source,
            base.clone(),
            self.prompts.clone(),
            self.csv.clone(),
            self.photos.clone(),
        );
        if let Some((k, r)) = &self.cache
            && k == &key
        {
            return Some(r.clone());
        }
        let made = self.make(model, base);
        self.cache = Some((key, made.clone()));
        Some(made)
    }

    fn make(&self, model: &FormModel, base: &FormState) -> Result<Prepared, String> {
        let forms = match self.source {
            Source::Off => Vec::new(),
            Source::Photos => {
                let p = self
                    .photos
                    .as_ref()
                    .ok_or("Drop several photos on an image field, or pick a folder.")?;
                per_photo(base, &p.field, &p.paths)
            }
            Source::Prompts => per_prompt(model, base, &self.prompts, "the prompt list")
                .map_err(|e| format!("Prompt list: {e}"))?,
            Source::Csv => {
                let csv = self.csv.as_ref().ok_or("Import a CSV first.")?;
                let dir = csv.path.parent().unwrap_or(Path::new("."));
                let name = csv.path.display().to_string();
                per_csv_row(model, base, &csv.text, dir, &name).map_err(|e| format!("{e}"))?
            }
        };
        // Each job is checked on its own: the base form may lack what the rows fill in.
        for (n, form) in forms.iter().enumerate() {
            if let Some(issue) = validate(model, form)
                .into_iter()
                .find(|i| i.severity == Severity::Error)
            {
                return Err(format!("Job {}: {}: {}", n + 1, issue.field, issue.message));
            }
        }
        let summary = summarize(model, &forms);
        Ok(Prepared { forms, summary })
    }
}

/// Applies a finished pick to the form that asked for it.
fn picked(app: &mut StudioApp, token: u64, picked: Result<Picked, String>) {
    let batch = &mut app.form_ui.batch;
    if batch.picking != Some(token) {
        return;
    }
    batch.picking = None;
    let error = match picked {
        Ok(Picked::Folder(Ok(Some(photos)))) => {
            batch.photos = Some(photos);
            batch.source = Source::Photos;
            None
        }
        Ok(Picked::Csv(Ok(Some(csv)))) => {
            batch.csv = Some(csv);
            batch.source = Source::Csv;
            None
        }
        Ok(Picked::Folder(Ok(None)) | Picked::Csv(Ok(None))) => None,
        Ok(Picked::Folder(Err(e)) | Picked::Csv(Err(e))) | Err(e) => Some(e),
    };
    if let Some(error) = error {
        app.act(Action::Toast(Tone::Danger, error));
    }
}

/// "5 jobs · est. $4.00 total" (and the unpriced ones).
pub fn summary_text(s: &BatchSummary) -> String {
    let mut text = format!(
        "{} · est. ${:.2} total",
        crate::ui::engine_link::jobs_word(s.jobs),
        s.usd
    );
    if s.unpriced > 0 {
        text.push_str(&format!(" ({} not priced)", s.unpriced));
    }
    text
}

/// Several photos dropped on a single-image field of the top level: offered as a batch (the
/// field itself keeps the last one, as a drop on a single field always did). Returns what to
/// tell the user when offered.
pub fn offer_photos(
    batch: &mut BatchUi,
    model: &FormModel,
    field: &str,
    items: &[MediaRef],
) -> Option<String> {
    let single_image = model
        .field(field)
        .is_some_and(|f| f.kind == FieldKind::Image);
    let paths: Vec<PathBuf> = items
        .iter()
        .filter_map(|m| match m {
            MediaRef::Local(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    if !single_image || paths.len() < 2 || paths.len() != items.len() {
        return None;
    }
    let n = paths.len();
    batch.photos = Some(Photos {
        field: field.to_string(),
        paths,
    });
    batch.offered = true;
    Some(format!(
        "{n} photos dropped on a field that takes one. To send one job per photo, choose \
         \"One job per photo\" under Batch."
    ))
}

/// Draws the batch section of the form.
pub(super) fn section(ui: &mut Ui, view: &mut FormView<'_>, model: &FormModel) {
    let photo_target = photo_field(model, None).ok();
    let batch = &mut view.form_ui.batch;
    let offered = std::mem::take(&mut batch.offered);
    egui::CollapsingHeader::new(RichText::new("Batch: many jobs at once").strong())
        .id_salt(("batch", &model.endpoint_id))
        .default_open(batch.source != Source::Off)
        .open(offered.then_some(true))
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.radio_value(&mut batch.source, Source::Off, "One job");
                if photo_target.is_some() {
                    let label = match &batch.photos {
                        Some(p) => format!("One job per photo ({})", p.paths.len()),
                        None => "One job per photo".to_string(),
                    };
                    ui.radio_value(&mut batch.source, Source::Photos, label);
                }
                if model.field("prompt").is_some() {
                    ui.radio_value(&mut batch.source, Source::Prompts, "Prompt list");
                }
                ui.radio_value(&mut batch.source, Source::Csv, "CSV");
            });
            match batch.source {
                Source::Off => {
                    ui.label(
                        RichText::new(
                            "Drop several photos on an image field, write a prompt list or \
                             import a CSV to send one job each.",
                        )
                        .small()
                        .color(theme::subtle(ui)),
                    );
                }
                Source::Photos => photos_part(ui, batch, photo_target.as_deref()),
                Source::Prompts => {
                    let r = ui.add(
                        egui::TextEdit::multiline(&mut batch.prompts)
                            .desired_rows(4)
                            .desired_width(f32::INFINITY)
                            .hint_text("One prompt per line; the other fields come from the form"),
                    );
                    let label = ui.label(RichText::new("Prompt list").small());
                    r.labelled_by(label.id);
                }
                Source::Csv => csv_part(ui, batch),
            }
        });
    let folder_pick = view.config.pick_folder.clone();
    let csv_pick = view.config.pick_csv.clone();
    let start = view.config.default_output_dir.clone();
    let batch = &mut view.form_ui.batch;
    let wanted = ui.data_mut(|d| {
        let w = d.get_temp::<PickWanted>(pick_id());
        d.remove::<PickWanted>(pick_id());
        w
    });
    if batch.picking.is_some() {
        return;
    }
    let token = crate::ui::app::tasks::token();
    let done = move |app: &mut StudioApp, r| picked(app, token, r);
    match wanted {
        Some(PickWanted::Folder(field)) => {
            batch.picking = Some(token);
            view.tasks.spawn_blocking(
                TaskKind::BatchPick,
                "Reading the photo folder",
                move || Picked::Folder(pick_folder(&folder_pick, &start, field)),
                done,
            );
        }
        Some(PickWanted::Csv) => {
            batch.picking = Some(token);
            view.tasks.spawn_blocking(
                TaskKind::BatchPick,
                "Reading the CSV",
                move || Picked::Csv(pick_csv(&csv_pick, &start)),
                done,
            );
        }
        None => {}
    }
}

/// A pick asked for this frame (kept in egui's memory until the section starts it).
#[derive(Debug, Clone)]
enum PickWanted {
    Folder(String),
    Csv,
}

fn pick_id() -> egui::Id {
    egui::Id::unique("batch_pick")
}

fn photos_part(ui: &mut Ui, batch: &mut BatchUi, target: Option<&str>) {
    match &batch.photos {
        Some(p) => {
            ui.label(
                RichText::new(format!(
                    "{} photos, one job each, into {}",
                    p.paths.len(),
                    p.field
                ))
                .small(),
            );
            let names: Vec<String> = p
                .paths
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            ui.label(
                RichText::new(names.join(", "))
                    .small()
                    .color(theme::subtle(ui)),
            );
        }
        None => {
            ui.label(
                RichText::new("Drop several photos on the image field, or pick a folder.")
                    .small()
                    .color(theme::subtle(ui)),
            );
        }
    }
    if let Some(field) = target
        && ui
            .add_enabled(
                batch.picking.is_none(),
                egui::Button::new("Photos from a folder…"),
            )
            .clicked()
    {
        let field = batch
            .photos
            .as_ref()
            .map_or(field.to_string(), |p| p.field.clone());
        ui.data_mut(|d| d.insert_temp(pick_id(), PickWanted::Folder(field)));
    }
}

fn csv_part(ui: &mut Ui, batch: &mut BatchUi) {
    ui.horizontal(|ui| {
        if ui
            .add_enabled(batch.picking.is_none(), egui::Button::new("Import CSV…"))
            .on_hover_text("A header row naming fields (prompt, image_url, seed…), one job per row")
            .clicked()
        {
            ui.data_mut(|d| d.insert_temp(pick_id(), PickWanted::Csv));
        }
        if let Some(csv) = &batch.csv {
            ui.label(RichText::new(csv.path.display().to_string()).small());
        }
    });
}

/// Asks the folder dialog, then lists its photos (both block: run on a worker thread).
fn pick_folder(
    pick: &crate::ui::config::FolderPicker,
    start: &Path,
    field: String,
) -> Result<Option<Photos>, String> {
    let Some(dir) = pick(start) else {
        return Ok(None);
    };
    let paths = photos_in(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(Some(Photos { field, paths }))
}

/// Asks the file dialog, then reads the CSV (both block: run on a worker thread).
fn pick_csv(pick: &crate::ui::config::FilePicker, start: &Path) -> Result<Option<Csv>, String> {
    let Some(path) = pick(start) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "The CSV {} cannot be read ({e}). Check that it is a text file you may read.",
            path.display()
        )
    })?;
    Ok(Some(Csv { path, text }))
}

/// True when Generate sends a batch.
pub fn is_active(batch: &BatchUi) -> bool {
    batch.source != Source::Off
}

/// Why the batch cannot be sent now (no key, the engine not ready, the batch itself), or its
/// forms.
pub fn ready_with(
    has_key: bool,
    engine: &EngineLink,
    batch: &mut BatchUi,
    model: &FormModel,
    base: &FormState,
) -> Result<Prepared, String> {
    if !has_key {
        return Err("Enter your fal key in Settings (or try the simulator).".into());
    }
    if !engine.is_ready() {
        return Err(engine.unavailable_reason());
    }
    batch
        .prepare(model, base)
        .unwrap_or_else(|| Err("No batch is chosen.".into()))
}

/// The one question of a batch: "Send 5 jobs, est. $4.00?".
pub fn confirm(view: &mut FormView<'_>, ctx: &egui::Context) {
    let Some(prepared) = view.form_ui.batch.asking.clone() else {
        return;
    };
    let s = &prepared.summary;
    let jobs = crate::ui::engine_link::jobs_word(s.jobs);
    let mut close = false;
    let mut go = false;
    let modal = egui::Modal::new(egui::Id::unique("batch_confirm")).show(ctx, |ui| {
        ui.set_max_width(420.0);
        ui.label(
            RichText::new(format!("Send {jobs}, est. ${:.2}?", s.usd))
                .size(17.0)
                .strong(),
        );
        if s.unpriced > 0 {
            ui.label(
                RichText::new(format!(
                    "{} of them have no price on record: the total may be higher.",
                    s.unpriced
                ))
                .color(theme::tone(ui, Tone::Warning)),
            );
        }
        ui.label(
            RichText::new("Each job is charged by fal when it runs.")
                .small()
                .color(theme::subtle(ui)),
        );
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui
                .add(theme::primary_button(format!("Yes, send {jobs}")))
                .clicked()
            {
                go = true;
            }
            if ui.button("Not now").clicked() {
                close = true;
            }
        });
    });
    if go {
        view.form_ui.batch.asking = None;
        view.commands.send(Action::SendBatch(prepared.forms));
    } else if modal.should_close() || close {
        view.form_ui.batch.asking = None;
    }
}

/// The Generate bar of a batch: its count and total, and the button that asks.
pub(super) fn bar(view: &mut FormView<'_>, ui: &mut Ui, model: &FormModel, base: &FormState) {
    let ready = ready_with(
        view.has_key,
        view.engine,
        &mut view.form_ui.batch,
        model,
        base,
    );
    ui.horizontal(|ui| {
        ui.vertical(|ui| match &ready {
            Ok(p) => {
                ui.label(RichText::new(summary_text(&p.summary)).size(18.0).strong());
                ui.label(
                    RichText::new("Variations do not apply to a batch")
                        .small()
                        .color(theme::subtle(ui)),
                );
            }
            Err(why) => {
                ui.add(
                    egui::Label::new(RichText::new(why).color(theme::tone(ui, Tone::Danger)))
                        .wrap(),
                );
            }
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let label = match &ready {
                Ok(p) => format!("Send {}", crate::ui::engine_link::jobs_word(p.forms.len())),
                Err(_) => "Send batch".to_string(),
            };
            let r = ui.add_enabled(
                ready.is_ok(),
                theme::primary_button(label).min_size(egui::vec2(130.0, 34.0)),
            );
            if r.clicked() {
                view.commands.send(Action::Generate);
            }
        });
    });
}
