//! The queue panel: every job with its live state, progress, logs and actions, and the
//! queue-wide commands above them ([`toolbar`]).

mod toolbar;

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};

use super::app::{Action, Commands, short_name};
use super::engine_link::excerpt;
use super::engine_link::{EngineLink, QueueOp};
use super::theme::{self, Tone};
use super::thumbs::Thumbnails;
use super::widgets;
use reelsmith_core::catalog::CatalogEntry;
use reelsmith_core::jobs::{FailKind, Job, JobState};

/// Jobs listed at most (older ones live in the gallery).
const MAX_LISTED: usize = 100;

/// The words and colour of a job's state.
pub fn state_label(job: &Job, stalled: bool) -> (&'static str, Tone) {
    if stalled && !job.state.is_terminal() {
        return ("Stalled", Tone::Warning);
    }
    match job.state {
        JobState::Prepared => ("Preparing", Tone::Waiting),
        JobState::Uploading => ("Uploading", Tone::Transfer),
        JobState::Submitting | JobState::Submitted => ("Submitting", Tone::Waiting),
        JobState::SubmissionUnknown => ("Unknown", Tone::Warning),
        JobState::InQueue => ("In queue", Tone::Waiting),
        JobState::Running => ("Running", Tone::Running),
        JobState::Downloading => ("Downloading", Tone::Transfer),
        JobState::Done => ("Done", Tone::Success),
        JobState::Failed => ("Failed", Tone::Danger),
        JobState::Cancelled => ("Cancelled", Tone::Muted),
    }
}

/// What the queue panel draws, and where it sends what the user asks for.
pub struct QueueView<'a> {
    /// The jobs, their stalled flags and videos.
    pub engine: &'a EngineLink,
    /// The catalog's entries (endpoint names).
    pub entries: &'a [CatalogEntry],
    /// Thumbnails of the jobs' inputs.
    pub thumbs: &'a mut Thumbnails,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
    /// The time elapsed times are measured to (the clock, or a fixed time under test).
    pub now: DateTime<Utc>,
}

/// Draws the queue.
pub fn show(view: &mut QueueView<'_>, ui: &mut Ui) {
    let jobs = view.engine.jobs();
    let active = jobs.iter().filter(|j| !j.state.is_settled()).count();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Queue").strong().size(16.0));
        if active > 0 {
            widgets::chip(
                ui,
                &format!("{active} active"),
                theme::tone(ui, Tone::Running),
            );
        }
    });
    ui.add_space(4.0);
    if !jobs.is_empty() {
        toolbar::show(view, ui);
        ui.add_space(4.0);
    }
    if jobs.is_empty() {
        ui.add_space(20.0);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new("No jobs yet").strong());
            ui.label(
                RichText::new("Fill the form and press Generate (Ctrl+Enter).")
                    .small()
                    .color(theme::subtle(ui)),
            );
        });
        return;
    }
    let jobs: Vec<Job> = jobs.iter().take(MAX_LISTED).cloned().collect();
    let hidden = view.engine.jobs().len().saturating_sub(MAX_LISTED);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for job in &jobs {
                job_card(view, ui, job);
                ui.add_space(6.0);
            }
            if hidden > 0 {
                ui.label(
                    RichText::new(format!(
                        "{hidden} older jobs are not listed; their videos are in the gallery."
                    ))
                    .small()
                    .color(theme::subtle(ui)),
                );
            }
        });
}

fn job_card(view: &mut QueueView<'_>, ui: &mut Ui, job: &Job) {
    let stalled = view.engine.is_stalled(&job.id);
    let (label, tone) = state_label(job, stalled);
    let color = theme::tone(ui, tone);
    let now = view.now;
    theme::card(ui)
        .inner_margin(egui::Margin::same(10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                widgets::chip(ui, label, color);
                ui.label(
                    RichText::new(short_name(view.entries, &job.endpoint_id))
                        .small()
                        .strong(),
                );
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.label(
                        RichText::new(
                            crate::ui::display_time(job.created_at)
                                .format("%H:%M")
                                .to_string(),
                        )
                        .small()
                        .color(theme::subtle(ui)),
                    );
                });
            });
            let prompt = if job.prompt.trim().is_empty() {
                "(no prompt)".to_string()
            } else {
                excerpt(&job.prompt, 90)
            };
            ui.label(RichText::new(prompt)).on_hover_text(&job.prompt);
            inputs_row(view, ui, job);
            start_order(view, ui, job);
            detail(view, ui, job, stalled, now);
            actions(view, ui, job);
            if !job.logs.is_empty() {
                egui::CollapsingHeader::new(
                    RichText::new(format!("Logs ({})", job.logs.len())).small(),
                )
                .id_salt(("logs", job.id.as_str()))
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .max_height(140.0)
                        .stick_to_bottom(true)
                        .show(ui, |ui| {
                            for line in job.logs.iter().rev().take(60).rev() {
                                ui.label(RichText::new(&line.message).monospace().small());
                            }
                        });
                });
            }
        });
}

/// For a job not yet sent: its place in the start order, with buttons to move it.
fn start_order(view: &mut QueueView<'_>, ui: &mut Ui, job: &Job) {
    let order = &view.engine.queue_info().order;
    let Some(place) = order.iter().position(|o| o == &job.id) else {
        return;
    };
    let last = order.len() - 1;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        let text = if place == 0 {
            "Starts next".to_string()
        } else {
            format!("Starts after {}", super::engine_link::jobs_word(place))
        };
        ui.label(RichText::new(text).small().color(theme::subtle(ui)));
        let up = ui
            .add_enabled(place > 0, egui::Button::new("⬆").small())
            .on_hover_text("Start earlier");
        if up.clicked() {
            view.commands
                .send(Action::Queue(QueueOp::Move(job.id.clone(), place - 1)));
        }
        let down = ui
            .add_enabled(place < last, egui::Button::new("⬇").small())
            .on_hover_text("Start later");
        if down.clicked() {
            view.commands
                .send(Action::Queue(QueueOp::Move(job.id.clone(), place + 1)));
        }
    });
}

/// Small thumbnails of the job's local input files.
fn inputs_row(view: &mut QueueView<'_>, ui: &mut Ui, job: &Job) {
    if job.uploads.is_empty() {
        return;
    }
    ui.horizontal(|ui| {
        for up in job.uploads.iter().take(7) {
            let video = super::references::looks_like_video(&up.path);
            let view = view.thumbs.get(&up.path, video);
            let (rect, r) = ui.allocate_exact_size(egui::vec2(34.0, 34.0), egui::Sense::hover());
            ui.painter()
                .rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
            if let Some(t) = view.texture {
                let size = t.size_vec2();
                let s = (34.0 / size.x).max(34.0 / size.y);
                let uv = egui::Rect::from_center_size(
                    egui::pos2(0.5, 0.5),
                    egui::vec2(34.0 / (size.x * s), 34.0 / (size.y * s)),
                );
                ui.painter().image(t.id(), rect, uv, egui::Color32::WHITE);
            } else {
                let word = if video { "VID" } else { "IMG" };
                ui.painter().text(
                    rect.center(),
                    egui::Align2::CENTER_CENTER,
                    word,
                    egui::FontId::proportional(9.0),
                    theme::subtle(ui),
                );
            }
            r.on_hover_text(up.path.display().to_string());
        }
        if job.uploads.len() > 7 {
            ui.label(RichText::new(format!("+{}", job.uploads.len() - 7)).small());
        }
    });
}

fn detail(
    view: &mut QueueView<'_>,
    ui: &mut Ui,
    job: &Job,
    stalled: bool,
    now: chrono::DateTime<Utc>,
) {
    let subtle = theme::subtle(ui);
    let dark = ui.visuals().dark_mode;
    let tone_c = |t| theme::tone_color(t, dark);
    // Estimate beside what fal billed, once it reported it.
    if let Some(cost) = job.cost.summary() {
        ui.label(RichText::new(cost).small().color(subtle));
    }
    match job.state {
        JobState::Uploading => {
            let (sent, total) = job.upload_progress();
            ui.label(
                RichText::new(format!(
                    "Uploading {} of {}",
                    reelsmith_core::human::bytes(sent),
                    reelsmith_core::human::bytes(total)
                ))
                .small(),
            );
            widgets::thin_progress(
                ui,
                (total > 0).then(|| sent as f32 / total as f32),
                tone_c(Tone::Transfer),
            );
            for up in &job.uploads {
                let name = up
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let state = if up.reused {
                    "already uploaded".to_string()
                } else if up.url.is_some() {
                    "done".to_string()
                } else {
                    format!(
                        "{} / {}",
                        reelsmith_core::human::bytes(up.sent),
                        reelsmith_core::human::bytes(up.size)
                    )
                };
                ui.label(
                    RichText::new(format!("{name}: {state}"))
                        .small()
                        .color(subtle),
                );
            }
        }
        JobState::InQueue => {
            let text = match job.queue_position {
                Some(0) => "Next in fal's queue".to_string(),
                Some(p) => format!("Position {p} in fal's queue"),
                None => "Waiting in fal's queue".to_string(),
            };
            ui.label(RichText::new(text).small());
        }
        JobState::Running => {
            let elapsed = job.running_for(now).unwrap_or_default();
            let mut text = format!("Running for {}", widgets::duration(elapsed));
            if let Some(typical) = view.engine.typical_run_time(&job.endpoint_id) {
                text.push_str(&format!(" · usually about {}", widgets::duration(typical)));
                ui.label(RichText::new(text).small());
                let f = elapsed.as_secs_f32() / typical.as_secs_f32().max(0.1);
                widgets::thin_progress(ui, Some(f.min(0.97)), tone_c(Tone::Running));
            } else {
                ui.label(RichText::new(text).small());
            }
        }
        JobState::Downloading => {
            let t = job.download.unwrap_or_default();
            let text = match t.total {
                Some(total) => format!(
                    "Downloading {} of {}",
                    reelsmith_core::human::bytes(t.done),
                    reelsmith_core::human::bytes(total)
                ),
                None => format!("Downloading {}", reelsmith_core::human::bytes(t.done)),
            };
            ui.label(RichText::new(text).small());
            widgets::thin_progress(
                ui,
                t.total
                    .filter(|t| *t > 0)
                    .map(|total| t.done as f32 / total as f32),
                tone_c(Tone::Transfer),
            );
        }
        JobState::Done => {
            if let Some(p) = &job.output_path {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                ui.label(
                    RichText::new(format!("Saved as {name}"))
                        .small()
                        .color(subtle),
                );
            }
        }
        JobState::Failed => {
            if let Some(f) = &job.failure {
                ui.label(
                    RichText::new(failure_headline(f.kind))
                        .small()
                        .strong()
                        .color(tone_c(Tone::Danger)),
                );
                ui.add(egui::Label::new(RichText::new(&f.message).small()).wrap());
                if let Some(t) = &f.error_type {
                    ui.label(
                        RichText::new(format!("fal error type: {t}"))
                            .small()
                            .monospace()
                            .color(subtle),
                    );
                }
            }
        }
        JobState::Cancelled => {
            ui.label(
                RichText::new("Cancelled; nothing more is charged.")
                    .small()
                    .color(subtle),
            );
        }
        JobState::SubmissionUnknown => {
            super::unknown_card::show(view.engine, view.commands, ui, job)
        }
        JobState::Prepared | JobState::Submitting | JobState::Submitted => {}
    }
    if stalled && !job.state.is_settled() {
        let since = now
            .signed_duration_since(job.state_changed_at)
            .to_std()
            .unwrap_or_default();
        ui.label(
            RichText::new(format!(
                "No news from fal for {}. The job is still recorded and keeps being followed.",
                widgets::duration(since)
            ))
            .small()
            .color(tone_c(Tone::Warning)),
        );
    }
}

/// A plain-words title for a failure kind.
pub fn failure_headline(kind: FailKind) -> &'static str {
    match kind {
        FailKind::Invalid => "fal refused the input",
        FailKind::Credentials => "The fal key is missing or was rejected",
        FailKind::Service => "The model reported an error",
        FailKind::Network => "The connection failed",
        FailKind::Timeout => "It took too long",
        FailKind::Lost => "fal no longer knows this job",
        FailKind::Interrupted => "Interrupted while submitting",
        FailKind::Storage => "A file could not be read or written",
        FailKind::Protocol => "fal sent an unexpected answer",
    }
}

fn actions(view: &mut QueueView<'_>, ui: &mut Ui, job: &Job) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        if !job.state.is_settled() && ui.small_button("Cancel").clicked() {
            view.commands.send(Action::Cancel(job.id.clone()));
        }
        if matches!(job.state, JobState::Failed | JobState::Cancelled)
            && ui.small_button("Retry").clicked()
        {
            view.commands.send(Action::Retry(job.id.clone()));
        }
        if ui
            .small_button("Use settings")
            .on_hover_text("Copy this job's settings back into the form")
            .clicked()
        {
            view.commands.send(Action::UseSettings {
                endpoint_id: job.endpoint_id.clone(),
                form: job.form.clone(),
            });
        }
        if job.state == JobState::Done
            && let Some(p) = job
                .output_path
                .clone()
                .or_else(|| view.engine.video_of(&job.id))
        {
            if ui.small_button("Open").clicked() {
                view.commands.send(Action::Open(p.clone()));
            }
            if ui
                .small_button("Reveal")
                .on_hover_text("Show in folder")
                .clicked()
            {
                view.commands.send(Action::Reveal(p));
            }
        }
        let remove_hint = if job.state == JobState::SubmissionUnknown {
            "Forget this job here. If fal has it, it still runs and is charged; its video is not \
             downloaded"
        } else {
            "Remove from the queue (the video stays in the gallery)"
        };
        if job.state.is_settled()
            && ui
                .small_button("Remove")
                .on_hover_text(remove_hint)
                .clicked()
        {
            view.commands.send(Action::Remove(job.id.clone()));
        }
    });
}
