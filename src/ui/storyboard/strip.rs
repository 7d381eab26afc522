//! The shots in order: a card each (poster, length, the job's live state while one fills or
//! replaces it). Cards are dragged to reorder; library clips dropped on a card go before it,
//! on the last card's "+" after it.

use std::collections::HashMap;
use std::path::PathBuf;

use egui::{Color32, Sense, Ui};
use reelsmith_core::film::boards::ShotState;
use reelsmith_core::film::storyboard::{ShotPurpose, Storyboard};
use reelsmith_core::jobs::JobState;
use reelsmith_core::media::video::VideoInfo;

use super::{ClipDrag, Command, ShotDrag};
use crate::ui::theme::{self, Tone};
use crate::ui::thumbs::Thumbnails;

const CARD_W: f32 = 150.0;
const POSTER_H: f32 = 84.0;
const CARD_H: f32 = POSTER_H + 44.0;

/// Draws the strip.
pub fn show(
    ui: &mut Ui,
    board: &Storyboard,
    states: &[ShotState],
    selected: Option<usize>,
    thumbs: &mut Thumbnails,
    info: &HashMap<PathBuf, Result<VideoInfo, String>>,
) -> Vec<Command> {
    let mut out = Vec::new();
    egui::ScrollArea::horizontal()
        .id_salt("shot_strip")
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                for (i, state) in states.iter().enumerate() {
                    let trim = board.shots.get(i).and_then(|s| s.trim);
                    out.extend(card(ui, i, state, trim, selected == Some(i), thumbs, info));
                }
                out.extend(end_zone(ui, states.len()));
            });
        });
    out
}

/// What a slot's caption says about its job.
fn job_line(state: &ShotState) -> Option<(String, Tone)> {
    let describe = |s: Option<JobState>, pos: Option<u64>| match (s, pos) {
        (Some(JobState::InQueue), Some(p)) => format!("in queue, #{}", p + 1),
        (Some(s), _) => s.to_string().replace('_', " "),
        (None, _) => "waiting for the job".into(),
    };
    match state {
        ShotState::Clip {
            replacing: Some(s), ..
        } => Some((format!("redo: {}", describe(Some(*s), None)), Tone::Running)),
        ShotState::Clip { .. } => None,
        ShotState::Making {
            state,
            queue_position,
            purpose,
            ..
        } => {
            let what = match purpose {
                ShotPurpose::Extend => "extension",
                ShotPurpose::NextShot => "next shot",
                ShotPurpose::Redo => "redo",
                ShotPurpose::Added => "job",
            };
            Some((
                format!("{what}: {}", describe(*state, *queue_position)),
                Tone::Running,
            ))
        }
        ShotState::Failed { message, .. } => Some((format!("failed: {message}"), Tone::Danger)),
    }
}

fn card(
    ui: &mut Ui,
    index: usize,
    state: &ShotState,
    trim: Option<reelsmith_core::film::FrameRange>,
    selected: bool,
    thumbs: &mut Thumbnails,
    info: &HashMap<PathBuf, Result<VideoInfo, String>>,
) -> Vec<Command> {
    let mut out = Vec::new();
    let (rect, r) = ui.allocate_exact_size(egui::vec2(CARD_W, CARD_H), Sense::click_and_drag());
    let name = format!("Shot {}", index + 1);
    let line = job_line(state);
    // Screen readers (and tests) hear the job's state with the slot's name.
    let spoken = match &line {
        Some((l, _)) => format!("{name}: {l}"),
        None => name.clone(),
    };
    r.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &spoken));
    if r.drag_started() || r.dragged() {
        r.dnd_set_drag_payload(ShotDrag(index));
    }
    let hovering_drop = r
        .dnd_hover_payload::<ShotDrag>()
        .is_some_and(|d| d.0 != index)
        || r.dnd_hover_payload::<ClipDrag>().is_some();
    if let Some(d) = r.dnd_release_payload::<ShotDrag>() {
        if d.0 != index {
            out.push(Command::Move {
                from: d.0,
                to: index,
            });
        }
    } else if let Some(c) = r.dnd_release_payload::<ClipDrag>() {
        out.push(Command::AddClip {
            path: c.0.clone(),
            at: Some(index),
        });
    } else if r.clicked() {
        out.push(Command::SelectShot(index));
    }
    if !ui.is_rect_visible(rect) {
        return out;
    }
    let painter = ui.painter_at(rect.expand(3.0));
    painter.rect_filled(rect, 8.0, theme::card_fill(ui));
    let poster = egui::Rect::from_min_size(rect.min, egui::vec2(CARD_W, POSTER_H));
    let clip = match state {
        ShotState::Clip { clip, .. } => Some(clip),
        _ => None,
    };
    match clip.and_then(|c| thumbs.get(&c.path, true).texture) {
        Some(t) => {
            painter.image(
                t.id(),
                poster,
                egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                Color32::WHITE,
            );
        }
        None => {
            painter.rect_filled(poster, 8.0, ui.visuals().extreme_bg_color);
            if matches!(state, ShotState::Making { .. }) {
                egui::Spinner::new().paint_at(
                    ui,
                    egui::Rect::from_center_size(poster.center(), egui::vec2(22.0, 22.0)),
                );
            }
        }
    }
    let facts = clip
        .and_then(|c| info.get(&c.path))
        .and_then(|i| i.as_ref().ok());
    let length = facts.map(|f| {
        let frames = trim.map_or(f.frame_count, |t| t.len());
        f64::from(frames) / f.fps.max(1e-9)
    });
    let text = ui.visuals().text_color();
    let title = match (length, trim) {
        (Some(l), Some(_)) => format!("{name} · {l:.2} s trimmed"),
        (Some(l), None) => format!("{name} · {l:.2} s"),
        _ => name.clone(),
    };
    painter.text(
        egui::pos2(rect.left() + 8.0, poster.bottom() + 6.0),
        egui::Align2::LEFT_TOP,
        title,
        egui::FontId::proportional(12.0),
        text,
    );
    if let Some((line, tone)) = line {
        let short: String = line.chars().take(24).collect();
        painter.text(
            egui::pos2(rect.left() + 8.0, poster.bottom() + 24.0),
            egui::Align2::LEFT_TOP,
            short,
            egui::FontId::proportional(11.0),
            theme::tone(ui, tone),
        );
    }
    let stroke = if hovering_drop {
        egui::Stroke::new(3.0, theme::tone(ui, Tone::Warning))
    } else if selected {
        egui::Stroke::new(2.0, theme::ACCENT)
    } else {
        theme::card_stroke(ui)
    };
    painter.rect_stroke(rect, 8.0, stroke, egui::StrokeKind::Inside);
    out
}

/// The drop target after the last shot.
fn end_zone(ui: &mut Ui, count: usize) -> Vec<Command> {
    let mut out = Vec::new();
    let (rect, r) = ui.allocate_exact_size(egui::vec2(110.0, CARD_H), Sense::hover());
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Group, true, "Drop clips here"));
    let hovering =
        r.dnd_hover_payload::<ClipDrag>().is_some() || r.dnd_hover_payload::<ShotDrag>().is_some();
    if let Some(c) = r.dnd_release_payload::<ClipDrag>() {
        out.push(Command::AddClip {
            path: c.0.clone(),
            at: None,
        });
    } else if let Some(d) = r.dnd_release_payload::<ShotDrag>()
        && count > 0
        && d.0 + 1 != count
    {
        out.push(Command::Move {
            from: d.0,
            to: count - 1,
        });
    }
    let stroke = if hovering {
        egui::Stroke::new(3.0, theme::tone(ui, Tone::Warning))
    } else {
        egui::Stroke::new(1.0, theme::subtle(ui))
    };
    ui.painter()
        .rect_stroke(rect, 8.0, stroke, egui::StrokeKind::Inside);
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "+ drop a clip",
        egui::FontId::proportional(12.0),
        theme::subtle(ui),
    );
    out
}
