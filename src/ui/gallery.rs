//! The gallery: every finished video as a virtualised grid of poster frames, newest first, with
//! a details panel to play, export, reuse and delete.

use std::path::PathBuf;

use egui::{Color32, RichText, Ui};
use poll_promise::Promise;

use super::app::{Action, StudioApp, short_name};
use super::engine_link::excerpt;
use super::save_copy::{self, SaveCopyState};
use super::theme::{self, Tone};
use reelsmith_core::library::{LibraryItem, Sidecar};
use reelsmith_core::media::video::VideoPreview;

/// Grid cell size (poster 16:9 plus two caption lines), in points.
const CELL_W: f32 = 208.0;
const POSTER_H: f32 = 117.0;
const CELL_H: f32 = POSTER_H + 50.0;
const GAP: f32 = 10.0;

/// A clip playing in the details panel.
pub struct Preview {
    path: PathBuf,
    player: VideoPreview,
    texture: Option<egui::TextureHandle>,
    generation: u64,
    scrub: f64,
}

/// Gallery state.
#[derive(Default)]
pub struct GalleryState {
    /// Text search over prompts.
    pub search: String,
    /// Only this endpoint (None = all).
    pub endpoint: Option<String>,
    /// The selected video's job id.
    pub selected: Option<String>,
    /// The sidecar of the selected video.
    sidecar: Option<(String, Promise<Result<Sidecar, String>>)>,
    preview: Option<Preview>,
    opening: Option<Promise<Result<Preview, String>>>,
    /// Delete is waiting for confirmation.
    pub confirm_delete: Option<LibraryItem>,
    /// "Save as…": the copy running, its outcome, a question.
    pub save: SaveCopyState,
    last_frame: Option<Promise<Result<PathBuf, String>>>,
}

/// Draws the gallery view.
pub fn show(app: &mut StudioApp, ui: &mut Ui) {
    poll(app);
    let selected = app
        .gallery
        .selected
        .as_ref()
        .and_then(|id| app.engine.library().iter().find(|i| &i.job_id == id))
        .cloned();
    if let Some(item) = &selected {
        egui::Panel::right("gallery_details")
            .resizable(true)
            .default_size(400.0)
            .size_range(320.0..=640.0)
            .frame(
                egui::Frame::new()
                    .fill(ui.visuals().panel_fill)
                    .inner_margin(egui::Margin::same(14)),
            )
            .show(ui, |ui| details(app, ui, item));
    }
    egui::CentralPanel::default()
        .frame(
            egui::Frame::new()
                .fill(theme::canvas(ui))
                .inner_margin(egui::Margin::same(14)),
        )
        .show(ui, |ui| grid(app, ui));
    confirm_delete(app, ui.ctx());
    save_copy::confirm(app, ui.ctx());
}

fn poll(app: &mut StudioApp) {
    let g = &mut app.gallery;
    if let Some(p) = g.opening.take() {
        match p.try_take() {
            Ok(Ok(preview)) => g.preview = Some(preview),
            Ok(Err(e)) => app.act(Action::Toast(Tone::Danger, e)),
            Err(p) => g.opening = Some(p),
        }
    }
    save_copy::poll(app);
    let g = &mut app.gallery;
    if let Some(p) = g.last_frame.take() {
        match p.try_take() {
            Ok(Ok(png)) => app.use_as_first_frame(png),
            Ok(Err(e)) => app.act(Action::Toast(Tone::Danger, e)),
            Err(p) => app.gallery.last_frame = Some(p),
        }
    }
    let ctx = app.egui_ctx();
    if let Some(pv) = app.gallery.preview.as_mut() {
        let generation = pv.player.generation();
        if generation != pv.generation
            && let Some(frame) = pv.player.latest_frame()
        {
            pv.generation = generation;
            pv.scrub = frame.time_secs;
            let image = egui::ColorImage::from_rgba_unmultiplied(
                [frame.picture.width as usize, frame.picture.height as usize],
                &frame.picture.rgba,
            );
            match &mut pv.texture {
                Some(t) => t.set(image, egui::TextureOptions::LINEAR),
                None => {
                    pv.texture = Some(ctx.load_texture(
                        "gallery-preview",
                        image,
                        egui::TextureOptions::LINEAR,
                    ));
                }
            }
        }
    }
}

fn grid(app: &mut StudioApp, ui: &mut Ui) {
    let total = app.engine.library().len();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Gallery").strong().size(18.0));
        let noun = if total == 1 { "video" } else { "videos" };
        ui.label(RichText::new(format!("{total} {noun}")).color(theme::subtle(ui)));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let endpoints = reelsmith_core::library::query::endpoints(app.engine.library());
            let current = app
                .gallery
                .endpoint
                .as_deref()
                .map(|e| short_name(&app.entries, e))
                .unwrap_or_else(|| "All endpoints".into());
            let r = egui::ComboBox::from_id_salt("gallery_endpoint")
                .selected_text(current)
                .width(220.0)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(app.gallery.endpoint.is_none(), "All endpoints")
                        .clicked()
                    {
                        app.gallery.endpoint = None;
                    }
                    for e in &endpoints {
                        let on = app.gallery.endpoint.as_deref() == Some(e.as_str());
                        if ui
                            .selectable_label(on, short_name(&app.entries, e))
                            .clicked()
                        {
                            app.gallery.endpoint = Some(e.clone());
                        }
                    }
                });
            let label = ui.label("Endpoint");
            r.response.labelled_by(label.id);
            let search = ui.add(
                egui::TextEdit::singleline(&mut app.gallery.search)
                    .hint_text("Search prompts")
                    .desired_width(220.0),
            );
            super::endpoints::accesskit_label(&search, "Search prompts");
        });
    });
    ui.add_space(8.0);
    let query =
        reelsmith_core::library::LibraryQuery::new(&app.gallery.search, app.gallery.endpoint.as_deref());
    // Positions, not copies: only the rows on screen are cloned for drawing.
    let items: Vec<usize> = query.positions(app.engine.library());
    if items.is_empty() {
        ui.add_space(40.0);
        ui.vertical_centered(|ui| {
            let text = if app.engine.is_opening() {
                "Opening the journal…"
            } else if total == 0 {
                "Finished videos appear here."
            } else {
                "No video matches the filter."
            };
            ui.label(RichText::new(text).color(theme::subtle(ui)));
        });
        return;
    }
    let cols = (((ui.available_width() + GAP) / (CELL_W + GAP)).floor() as usize).max(1);
    let rows = items.len().div_ceil(cols);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_rows(ui, CELL_H + GAP, rows, |ui, range| {
            for row in range {
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = GAP;
                    let row_items: Vec<LibraryItem> = items
                        .iter()
                        .skip(row * cols)
                        .take(cols)
                        .filter_map(|&n| app.engine.library().get(n).cloned())
                        .collect();
                    for item in &row_items {
                        cell(app, ui, item);
                    }
                });
                ui.add_space(GAP - ui.spacing().item_spacing.y);
            }
        });
}

fn cell(app: &mut StudioApp, ui: &mut Ui, item: &LibraryItem) {
    let selected = app.gallery.selected.as_deref() == Some(item.job_id.as_str());
    let (rect, r) = ui.allocate_exact_size(egui::vec2(CELL_W, CELL_H), egui::Sense::click());
    if !ui.is_rect_visible(rect) {
        return;
    }
    let name = format!("Video: {}", excerpt(&item.prompt, 60));
    r.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &name));
    let painter = ui.painter_at(rect.expand(2.0));
    painter.rect_filled(rect, 8.0, theme::card_fill(ui));
    let poster = egui::Rect::from_min_size(rect.min, egui::vec2(CELL_W, POSTER_H));
    let view = app.thumbs.get(&item.path, true);
    match view.texture {
        Some(t) => {
            let size = t.size_vec2();
            let s = (CELL_W / size.x).max(POSTER_H / size.y);
            let uv = egui::Rect::from_center_size(
                egui::pos2(0.5, 0.5),
                egui::vec2(CELL_W / (size.x * s), POSTER_H / (size.y * s)),
            );
            painter.image(t.id(), poster, uv, Color32::WHITE);
        }
        None => {
            painter.rect_filled(
                poster,
                egui::CornerRadius {
                    nw: 8,
                    ne: 8,
                    sw: 0,
                    se: 0,
                },
                ui.visuals().extreme_bg_color,
            );
            let text = if view.loading { "…" } else { "no preview" };
            painter.text(
                poster.center(),
                egui::Align2::CENTER_CENTER,
                text,
                egui::FontId::proportional(13.0),
                theme::subtle(ui),
            );
        }
    }
    if let Some(d) = view.facts.and_then(|f| f.duration) {
        let badge = egui::Rect::from_min_size(
            poster.right_bottom() - egui::vec2(46.0, 22.0),
            egui::vec2(42.0, 18.0),
        );
        painter.rect_filled(badge, 4.0, Color32::from_black_alpha(170));
        painter.text(
            badge.center(),
            egui::Align2::CENTER_CENTER,
            format!("{d:.1} s"),
            egui::FontId::proportional(11.0),
            Color32::WHITE,
        );
    }
    let text_color = ui.visuals().text_color();
    painter.text(
        egui::pos2(rect.left() + 8.0, poster.bottom() + 8.0),
        egui::Align2::LEFT_TOP,
        excerpt(&item.prompt, 30),
        egui::FontId::proportional(13.0),
        text_color,
    );
    let when = crate::ui::display_time(item.finished_at).format("%d %b %H:%M");
    painter.text(
        egui::pos2(rect.left() + 8.0, poster.bottom() + 28.0),
        egui::Align2::LEFT_TOP,
        format!("{} · {when}", short_family(&app.entries, &item.endpoint_id)),
        egui::FontId::proportional(11.0),
        theme::subtle(ui),
    );
    let stroke = if selected {
        egui::Stroke::new(2.0, theme::ACCENT)
    } else if r.hovered() {
        egui::Stroke::new(1.0, theme::ACCENT.linear_multiply(0.6))
    } else {
        theme::card_stroke(ui)
    };
    painter.rect_stroke(rect, 8.0, stroke, egui::StrokeKind::Inside);
    if r.clicked() {
        select(app, item);
    }
    if r.double_clicked() {
        app.act(Action::Open(item.path.clone()));
    }
}

fn short_family(entries: &[reelsmith_core::catalog::CatalogEntry], id: &str) -> String {
    entries
        .iter()
        .find(|e| e.endpoint_id == id)
        .map(|e| e.family.clone())
        .unwrap_or_else(|| id.rsplit('/').next().unwrap_or(id).to_string())
}

fn select(app: &mut StudioApp, item: &LibraryItem) {
    if app.gallery.selected.as_deref() == Some(item.job_id.as_str()) {
        return;
    }
    app.gallery.selected = Some(item.job_id.clone());
    app.gallery.preview = None;
    app.gallery.opening = None;
    let path = item.sidecar.clone();
    let ctx = app.egui_ctx();
    app.gallery.sidecar = Some((
        item.job_id.clone(),
        Promise::spawn_blocking(move || {
            let r = Sidecar::read(&path).map_err(|e| e.to_string());
            ctx.request_repaint();
            r
        }),
    ));
}

fn details(app: &mut StudioApp, ui: &mut Ui, item: &LibraryItem) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Details").strong().size(16.0));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.small_button("Close").clicked() {
                        app.gallery.selected = None;
                        app.gallery.preview = None;
                    }
                });
            });
            player(app, ui, item);
            ui.add_space(6.0);
            ui.add(egui::Label::new(RichText::new(&item.prompt)).wrap());
            ui.add_space(4.0);
            egui::Grid::new("video_meta")
                .num_columns(2)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    let subtle = theme::subtle(ui);
                    let mut row = |k: &str, v: String| {
                        ui.label(RichText::new(k).small().color(subtle));
                        ui.label(RichText::new(v).small());
                        ui.end_row();
                    };
                    row("Endpoint", item.endpoint_id.clone());
                    row(
                        "Finished",
                        crate::ui::display_time(item.finished_at)
                            .format("%Y-%m-%d %H:%M:%S")
                            .to_string(),
                    );
                    if let Some(s) = item.seed {
                        row("Seed", s.to_string());
                    }
                    if let Some(r) = &item.request_id {
                        row("Request", r.clone());
                    }
                    row("Size", reelsmith_core::human::bytes(item.size));
                    row(
                        "File",
                        item.path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                    );
                });
            ui.add_space(8.0);
            ui.horizontal_wrapped(|ui| {
                if ui
                    .button("Open in player")
                    .on_hover_text("Plays with sound in your video player")
                    .clicked()
                {
                    app.act(Action::Open(item.path.clone()));
                }
                if ui
                    .button("Reveal")
                    .on_hover_text("Show in folder")
                    .clicked()
                {
                    app.act(Action::Reveal(item.path.clone()));
                }
                if ui
                    .add_enabled(!app.gallery.save.busy(), egui::Button::new("Save as…"))
                    .on_hover_text("Saves a copy of the video and its sidecar elsewhere")
                    .clicked()
                {
                    app.act(Action::SaveAs(item.clone()));
                }
                if ui.button("Copy prompt").clicked() {
                    app.act(Action::CopyText(item.prompt.clone(), "Prompt"));
                }
                if ui.button("Reuse settings").clicked() {
                    reuse_settings(app, item);
                }
            });
            save_copy::status(app, ui, item);
            ui.add_space(4.0);
            ui.label(
                RichText::new("Continue from this clip")
                    .small()
                    .strong()
                    .color(theme::subtle(ui)),
            );
            ui.horizontal_wrapped(|ui| {
                if ui.button("Extend this clip").clicked() {
                    app.act(Action::ExtendClip(item.path.clone()));
                }
                if ui.button("Use last frame as first frame").clicked() {
                    app.act(Action::LastFrameAsFirst(item.path.clone()));
                }
                if ui.button("Use as motion reference").clicked() {
                    app.act(Action::MotionReference(item.path.clone()));
                }
            });
            ui.add_space(6.0);
            let danger = theme::tone(ui, Tone::Danger);
            if ui
                .add(egui::Button::new(RichText::new("Delete…").color(danger)))
                .clicked()
            {
                app.gallery.confirm_delete = Some(item.clone());
            }
            ui.add_space(8.0);
            let sidecar = app
                .gallery
                .sidecar
                .as_ref()
                .filter(|(id, _)| id == &item.job_id)
                .map(|(_, p)| p);
            match sidecar.and_then(|p| p.ready()) {
                Some(Ok(sc)) => {
                    egui::CollapsingHeader::new("Full input")
                        .default_open(true)
                        .show(ui, |ui| {
                            let text = serde_json::to_string_pretty(&sc.input).unwrap_or_default();
                            let mut text = text.as_str();
                            ui.add(
                                egui::TextEdit::multiline(&mut text)
                                    .code_editor()
                                    .desired_width(f32::INFINITY),
                            );
                            if !sc.references.is_empty() {
                                ui.label(RichText::new("Reference files").small().strong());
                                for r in &sc.references {
                                    ui.label(
                                        RichText::new(r.path.display().to_string())
                                            .small()
                                            .monospace(),
                                    );
                                }
                            }
                            if sc.simulated {
                                ui.label(
                                    RichText::new("Made by the simulator, not by fal.")
                                        .small()
                                        .color(theme::tone(ui, Tone::Warning)),
                                );
                            }
                        });
                }
                Some(Err(e)) => {
                    ui.label(
                        RichText::new(format!("The sidecar could not be read: {e}"))
                            .small()
                            .color(danger),
                    );
                }
                None => {}
            }
        });
}

fn player(app: &mut StudioApp, ui: &mut Ui, item: &LibraryItem) {
    let width = ui.available_width();
    let height = width * 9.0 / 16.0;
    let showing = app.gallery.preview.as_ref().filter(|p| p.path == item.path);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::hover());
    ui.painter().rect_filled(rect, 8.0, Color32::BLACK);
    let texture = showing
        .and_then(|p| p.texture.as_ref())
        .map(|t| (t.id(), t.size_vec2()))
        .or_else(|| {
            app.thumbs
                .get(&item.path, true)
                .texture
                .map(|t| (t.id(), t.size_vec2()))
        });
    if let Some((id, size)) = texture {
        let s = (width / size.x).min(height / size.y);
        let r = egui::Rect::from_center_size(rect.center(), size * s);
        ui.painter().image(
            id,
            r,
            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
            Color32::WHITE,
        );
    }
    ui.horizontal(
        |ui| match app.gallery.preview.as_mut().filter(|p| p.path == item.path) {
            Some(pv) => {
                let playing = pv.player.is_playing();
                if ui.button(if playing { "Pause" } else { "Play" }).clicked() {
                    let _ = if playing {
                        pv.player.pause()
                    } else {
                        pv.player.play()
                    };
                }
                let dur = pv.player.info().duration_secs.max(0.01);
                let mut t = pv.scrub;
                let r = ui.add(
                    egui::Slider::new(&mut t, 0.0..=dur)
                        .show_value(false)
                        .text("Position"),
                );
                if r.changed() {
                    pv.scrub = t;
                    let _ = pv.player.seek(t);
                }
                ui.label(
                    RichText::new(format!("{t:.1} / {dur:.1} s"))
                        .small()
                        .monospace(),
                );
                if let Some(e) = pv.player.error() {
                    ui.label(
                        RichText::new(e)
                            .small()
                            .color(theme::tone(ui, Tone::Danger)),
                    );
                }
            }
            None => {
                let opening = app.gallery.opening.is_some();
                if ui
                    .add_enabled(!opening, egui::Button::new("Play preview"))
                    .on_hover_text("A silent preview in the app; \"Open in player\" has sound")
                    .clicked()
                {
                    open_preview(app, item.path.clone());
                }
                if opening {
                    ui.spinner();
                }
            }
        },
    );
}

fn open_preview(app: &mut StudioApp, path: PathBuf) {
    let ctx = app.egui_ctx();
    let crashed = |m: String| {
        Err(format!(
            "The preview could not start: the decoder crashed ({m})."
        ))
    };
    app.gallery.opening = Some(super::task::blocking(
        &ctx.clone(),
        move || {
            let notify_ctx = ctx.clone();
            VideoPreview::open_with_notify(&path, move || notify_ctx.request_repaint())
                .map_err(|e| format!("The preview could not start: {e}"))
                .and_then(|player| {
                    player.play().map_err(|e| e.to_string())?;
                    Ok(Preview {
                        path,
                        player,
                        texture: None,
                        generation: 0,
                        scrub: 0.0,
                    })
                })
        },
        crashed,
    ));
}

fn reuse_settings(app: &mut StudioApp, item: &LibraryItem) {
    let form = app
        .engine
        .jobs()
        .iter()
        .find(|j| j.id.as_str() == item.job_id)
        .map(|j| j.form.clone());
    let form = form.or_else(|| {
        app.gallery
            .sidecar
            .as_ref()
            .and_then(|(_, p)| p.ready())
            .and_then(|r| r.as_ref().ok())
            .map(|sc| sc.input.clone())
    });
    match form {
        Some(form) => app.act(Action::UseSettings {
            endpoint_id: item.endpoint_id.clone(),
            form,
        }),
        None => app.act(Action::Toast(
            Tone::Warning,
            "The settings of this video are not available yet.".into(),
        )),
    }
}

fn confirm_delete(app: &mut StudioApp, ctx: &egui::Context) {
    let Some(item) = app.gallery.confirm_delete.clone() else {
        return;
    };
    let modal = egui::Modal::new(egui::Id::unique("confirm_delete")).show(ctx, |ui| {
        ui.set_width(380.0);
        ui.label(RichText::new("Delete this video?").strong().size(16.0));
        ui.label(format!(
            "{} and its sidecar will be deleted from disk. This cannot be undone.",
            item.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let danger = theme::tone(ui, Tone::Danger);
            if ui
                .add(
                    egui::Button::new(RichText::new("Delete video").color(Color32::WHITE))
                        .fill(danger),
                )
                .clicked()
            {
                app.act(Action::DeleteVideo(item.clone()));
                app.gallery.confirm_delete = None;
            }
            if ui.button("Keep it").clicked() {
                app.gallery.confirm_delete = None;
            }
        });
    });
    if modal.should_close() {
        app.gallery.confirm_delete = None;
    }
}

/// Extracts the clip's last frame to a PNG, then opens image-to-video with it.
pub fn start_last_frame(app: &mut StudioApp, video: PathBuf) {
    let dir = app.config.cache_dir.join("frames");
    let ctx = app.egui_ctx();
    let crashed = |m: String| {
        Err(format!(
            "The last frame could not be read: the decoder crashed ({m})."
        ))
    };
    app.gallery.last_frame = Some(super::task::blocking(
        &ctx,
        move || {
            (|| {
                let pic = reelsmith_core::media::video::last_frame(&video)
                    .map_err(|e| format!("The last frame could not be read: {e}"))?;
                let img = pic
                    .to_rgba_image()
                    .ok_or("The last frame has an odd size.")?;
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("Could not create {}: {e}", dir.display()))?;
                let stem = video
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "clip".into());
                let out = dir.join(format!("{stem}-last-frame.png"));
                img.save(&out)
                    .map_err(|e| format!("Could not save {}: {e}", out.display()))?;
                Ok(out)
            })()
        },
        crashed,
    ));
}

/// True while a save, frame extraction or preview start runs.
pub fn busy(g: &GalleryState) -> bool {
    g.save.busy() || g.last_frame.is_some() || g.opening.is_some()
}
