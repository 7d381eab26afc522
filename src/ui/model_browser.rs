//! The model browser ("Browse fal's models…", Ctrl+Shift+K): search fal's catalog by text,
//! category and status; each result shows its thumbnail, name, id, category, status and price;
//! Add puts it in the sidebar under its family. It opens at once with what was seen before
//! (cached on disk) and works offline with that; searches, prices, thumbnails and adding run
//! on the tokio runtime.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use egui::{RichText, Ui};
use poll_promise::Promise;

use super::app::StudioApp;
use super::app::tasks::{TaskKind, TaskRegistry};
use super::money_link::MoneyLink;
use super::theme::{self, Tone};
use reelsmith_core::catalog::browse::{self, CatalogMemory, ResultSource, SearchResults};
use reelsmith_core::catalog::{Catalog, CatalogEntry};
use reelsmith_core::fal::platform::{ModelInfo, ModelQuery, ModelStatus};
use reelsmith_core::money::{PRICE_MAX_AGE, PriceBook, refresh_prices};
use reelsmith_core::schema::cost::UnitKind;

/// Opens the browser.
pub const BROWSER_SHORTCUT: egui::KeyboardShortcut = egui::KeyboardShortcut::new(
    egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT),
    egui::Key::K,
);

/// The categories offered (fal's names); any other can be typed in the search.
const CATEGORIES: &[&str] = &[
    "text-to-video",
    "image-to-video",
    "video-to-video",
    "text-to-image",
    "image-to-image",
];

/// Typing pauses this long before a search goes out.
const DEBOUNCE: Duration = Duration::from_millis(350);

type SearchDone = (CatalogMemory, SearchResults, Option<PriceBook>);
/// A finished add: the catalog back, and the added id or why it failed.
pub type AddDone = (Catalog, Result<String, String>);

enum Thumb {
    Loading(Promise<Option<egui::ColorImage>>),
    Ready(egui::TextureHandle),
    Failed,
}

/// The browser's state.
#[derive(Default)]
pub struct ModelBrowser {
    /// The window is open.
    pub open: bool,
    /// The search text.
    pub text: String,
    /// The category filter ("" = any).
    pub category: String,
    /// Only active or deprecated models.
    pub status: Option<ModelStatus>,
    /// What is shown.
    pub results: Option<SearchResults>,
    /// Why the last add failed.
    pub add_error: Option<String>,
    focus: bool,
    edited: Option<Instant>,
    /// A search runs (a registry task).
    searching: bool,
    /// An add runs (a registry task; the catalog travels with it and comes back).
    adding: bool,
    thumbs: HashMap<String, Thumb>,
}

impl ModelBrowser {
    /// True while a search or an add runs.
    pub fn busy(&self) -> bool {
        self.searching || self.adding
    }

    /// True while a shown thumbnail is still being fetched.
    pub fn thumbnails_pending(&self) -> bool {
        self.thumbs.values().any(|t| matches!(t, Thumb::Loading(_)))
    }

    fn query(&self) -> ModelQuery {
        ModelQuery {
            text: self.text.clone(),
            category: Some(self.category.clone()).filter(|c| !c.is_empty()),
            status: self.status,
        }
    }
}

/// What the browser window draws and changes.
pub struct ModelBrowserView<'a> {
    /// The browser's own state (search, results, thumbnails, the add under way).
    pub browser: &'a mut ModelBrowser,
    /// The fal client, the catalog memory and the prices.
    pub money: &'a MoneyLink,
    /// The sidebar's entries (what is added already).
    pub entries: &'a [CatalogEntry],
    /// The catalog; an add takes it along and [`poll`] gives it back.
    pub catalog: &'a mut Option<Catalog>,
    /// Where endpoint schemas are fetched from.
    pub openapi_url: &'a str,
    /// Where an add runs.
    pub tasks: &'a mut TaskRegistry,
}

/// Opens the browser with what was seen before, and asks fal again (searches' caches go in
/// `cache_dir`; the search is a task of `tasks`).
pub fn open(
    browser: &mut ModelBrowser,
    money: &MoneyLink,
    cache_dir: &Path,
    tasks: &mut TaskRegistry,
) {
    browser.open = true;
    browser.focus = true;
    let q = browser.query();
    if browser.results.is_none() {
        browser.results = money.memory.cached(&q).or_else(|| {
            let seen = money.memory.seen_matching(&q);
            (!seen.is_empty()).then_some(SearchResults {
                models: seen,
                source: ResultSource::Seen,
                error: None,
                complete: false,
            })
        });
    }
    search(browser, money, cache_dir, tasks);
}

/// Searches fal's catalog (a newer search replaces one under way), then refreshes the prices.
fn search(
    browser: &mut ModelBrowser,
    money: &MoneyLink,
    cache_dir: &Path,
    tasks: &mut TaskRegistry,
) {
    let Some(client) = money.client().cloned() else {
        return;
    };
    let q = browser.query();
    let mut memory = money.memory.clone();
    let mut book = money.handle.price_book();
    let path = PriceBook::path_in(cache_dir);
    let memory_path = CatalogMemory::path_in(cache_dir);
    browser.searching = true;
    tasks.forget(TaskKind::ModelSearch);
    let work = async move {
        let found = browse::search(&client, &mut memory, &q).await;
        if found.source == ResultSource::Live
            && let Err(e) = memory.save(&memory_path)
        {
            tracing::warn!(
                "could not cache the catalog in {}: {e}",
                memory_path.display()
            );
        }
        let ids: Vec<String> = found.models.iter().map(|m| m.endpoint_id.clone()).collect();
        let priced = match refresh_prices(&client, &mut book, &ids, PRICE_MAX_AGE).await {
            Ok(n) if n > 0 => {
                if let Err(e) = book.save(&path) {
                    tracing::warn!("could not cache prices in {}: {e}", path.display());
                }
                Some(book)
            }
            _ => None,
        };
        (memory, found, priced)
    };
    tasks.spawn(
        TaskKind::ModelSearch,
        "Searching fal's models",
        work,
        searched,
    );
}

/// Shows a finished search; its prices, when new, change the estimates.
fn searched(app: &mut StudioApp, done: Result<SearchDone, String>) {
    app.browser.searching = false;
    let (memory, found, priced) = match done {
        Ok(done) => done,
        Err(e) => {
            app.toast(Tone::Danger, e);
            return;
        }
    };
    app.money.memory = memory;
    if let Some(book) = priced {
        *app.money
            .handle
            .prices
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = book;
        app.invalidate();
    }
    app.browser.results = Some(found);
}

/// Starts a search once typing pauses; called every frame (finished searches and adds answer
/// through the registry).
pub fn poll(
    browser: &mut ModelBrowser,
    money: &MoneyLink,
    cache_dir: &Path,
    tasks: &mut TaskRegistry,
) {
    if browser
        .edited
        .is_some_and(|t| t.elapsed() >= DEBOUNCE && !browser.searching)
    {
        browser.edited = None;
        search(browser, money, cache_dir, tasks);
    }
}

fn add(view: &mut ModelBrowserView<'_>, info: ModelInfo) {
    let (Some(client), Some(mut catalog)) = (view.money.client().cloned(), view.catalog.take())
    else {
        return;
    };
    let openapi = view.openapi_url.to_string();
    view.browser.adding = true;
    let name = format!("Adding {}", info.endpoint_id);
    let work = async move {
        let result = catalog
            .add_from_catalog(&client, &info, &openapi)
            .await
            .map(|m| m.endpoint_id)
            .map_err(|e| e.to_string());
        (catalog, result)
    };
    view.tasks.spawn(TaskKind::Catalog, name, work, added);
}

/// Takes a finished add: the catalog back, then the added endpoint shown or the error.
fn added(app: &mut StudioApp, done: Result<AddDone, String>) {
    app.browser.adding = false;
    // An add that panicked lost the catalog it carried: the one on disk comes back.
    let (catalog, result) = done.unwrap_or_else(|e| (Catalog::load(&app.config.cache_dir), Err(e)));
    app.entries = catalog.entries();
    app.catalog = Some(catalog);
    match result {
        Ok(id) => {
            app.browser.add_error = None;
            app.toast(Tone::Success, format!("Added {id}"));
            app.select_endpoint(&id);
        }
        Err(e) => app.browser.add_error = Some(e),
    }
}

/// The price of a model as "$0.40/s", if fetched.
pub fn price_label(money: &MoneyLink, endpoint_id: &str) -> String {
    let book = money
        .handle
        .prices
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    match book.live(endpoint_id) {
        Some(p) => format!(
            "${}{}",
            trim(p.price.unit_price),
            UnitKind::of(&p.price.unit).per()
        ),
        None if book.unknown.contains_key(endpoint_id) => "no price".into(),
        None => "price …".into(),
    }
}

fn trim(p: f64) -> String {
    let s = format!("{p:.4}");
    let s = s.trim_end_matches('0');
    match s.split_once('.') {
        Some((_, d)) if d.len() < 2 => format!("{s}{}", "0".repeat(2 - d.len())),
        _ => s.to_string(),
    }
}

fn thumbnail(browser: &mut ModelBrowser, ui: &mut Ui, url: Option<&str>) {
    let size = egui::vec2(64.0, 36.0);
    let Some(url) = url else {
        ui.add_sized(size, egui::Label::new(""));
        return;
    };
    let entry = browser.thumbs.entry(url.to_string()).or_insert_with(|| {
        let url = url.to_string();
        // A picture from the network that makes the decoder panic is a missing thumbnail.
        Thumb::Loading(super::task::spawn_async(
            ui.ctx(),
            async move { fetch_thumbnail(&url).await },
            |_| None,
        ))
    });
    if let Thumb::Loading(p) = entry
        && let Some(done) = p.ready()
    {
        *entry = match done {
            Some(img) => Thumb::Ready(ui.ctx().load_texture(url, img.clone(), Default::default())),
            None => Thumb::Failed,
        };
    }
    match entry {
        Thumb::Ready(tex) => {
            ui.add(
                egui::Image::new(&*tex)
                    .fit_to_exact_size(size)
                    .corner_radius(4.0),
            );
        }
        _ => {
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            ui.painter()
                .rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
        }
    }
}

/// A thumbnail from fal's CDN (fetched without the key, bounded), decoded off the UI thread.
async fn fetch_thumbnail(url: &str) -> Option<egui::ColorImage> {
    let bytes = browse::fetch_thumbnail(url).await?;
    // Decoding is CPU work: off the runtime's async workers.
    tokio::task::spawn_blocking(move || {
        let img = image::load_from_memory(&bytes)
            .ok()?
            .thumbnail(128, 72)
            .to_rgba8();
        let size = [img.width() as usize, img.height() as usize];
        Some(egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw()))
    })
    .await
    .ok()
    .flatten()
}

/// Draws the browser window.
pub fn show(view: &mut ModelBrowserView<'_>, ctx: &egui::Context) {
    if !view.browser.open {
        return;
    }
    let mut open = true;
    egui::Window::new("Add endpoint from fal's catalog")
        .id(egui::Id::unique("model_browser"))
        .open(&mut open)
        .default_size([760.0, 560.0])
        .collapsible(false)
        .show(ctx, |ui| body(view, ui));
    if !open {
        view.browser.open = false;
    }
}

fn body(view: &mut ModelBrowserView<'_>, ui: &mut Ui) {
    let mut edited = false;
    ui.horizontal(|ui| {
        let label = ui.label("Search");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut view.browser.text)
                    .hint_text("name, id, category")
                    .desired_width(240.0),
            )
            .labelled_by(label.id);
        if view.browser.focus {
            r.request_focus();
            view.browser.focus = false;
        }
        edited |= r.changed();
        let category_label = ui.label("Category");
        let category = egui::ComboBox::from_id_salt("browser_category")
            .selected_text(if view.browser.category.is_empty() {
                "Any category"
            } else {
                view.browser.category.as_str()
            })
            .show_ui(ui, |ui| {
                edited |= ui
                    .selectable_value(&mut view.browser.category, String::new(), "Any category")
                    .changed();
                for c in CATEGORIES {
                    edited |= ui
                        .selectable_value(&mut view.browser.category, c.to_string(), *c)
                        .changed();
                }
            });
        category.response.labelled_by(category_label.id);
        let status_label = ui.label("Status");
        let status = egui::ComboBox::from_id_salt("browser_status")
            .selected_text(match view.browser.status {
                None => "Any status",
                Some(ModelStatus::Active) => "Active",
                Some(ModelStatus::Deprecated) => "Deprecated",
            })
            .show_ui(ui, |ui| {
                edited |= ui
                    .selectable_value(&mut view.browser.status, None, "Any status")
                    .changed();
                edited |= ui
                    .selectable_value(
                        &mut view.browser.status,
                        Some(ModelStatus::Active),
                        "Active",
                    )
                    .changed();
                edited |= ui
                    .selectable_value(
                        &mut view.browser.status,
                        Some(ModelStatus::Deprecated),
                        "Deprecated",
                    )
                    .changed();
            });
        status.response.labelled_by(status_label.id);
        if view.browser.busy() {
            ui.spinner();
        }
    });
    if edited {
        view.browser.edited = Some(Instant::now());
    }
    if view.money.client().is_none() {
        ui.label(
            RichText::new("Enter your fal key in Settings to search fal's catalog.")
                .color(theme::subtle(ui)),
        );
    }
    if let Some(r) = &view.browser.results {
        let line = match (&r.source, &r.error) {
            (ResultSource::Live, _) => format!("{} models from fal's catalog", r.models.len()),
            (ResultSource::Cached(at), _) => format!(
                "Offline: this search as fal answered it on {}",
                super::display_time(*at).format("%Y-%m-%d %H:%M")
            ),
            (ResultSource::Seen, _) => "Offline: models seen in earlier searches".to_string(),
        };
        ui.label(RichText::new(line).small().color(theme::subtle(ui)))
            .on_hover_text(r.error.clone().unwrap_or_default());
    }
    if let Some(e) = view.browser.add_error.clone() {
        ui.label(RichText::new(e).color(theme::tone(ui, Tone::Danger)));
    }
    ui.separator();
    let models = view
        .browser
        .results
        .as_ref()
        .map(|r| r.models.clone())
        .unwrap_or_default();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for m in &models {
                row(view, ui, m);
                ui.separator();
            }
            if models.is_empty() {
                ui.label(RichText::new("No models to show yet.").color(theme::subtle(ui)));
            }
        });
}

fn row(view: &mut ModelBrowserView<'_>, ui: &mut Ui, m: &ModelInfo) {
    let in_sidebar = view.entries.iter().any(|e| e.endpoint_id == m.endpoint_id);
    ui.horizontal(|ui| {
        thumbnail(view.browser, ui, m.thumbnail_url.as_deref());
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(&m.display_name).strong());
                if m.is_deprecated() {
                    ui.label(
                        RichText::new("deprecated")
                            .small()
                            .color(theme::tone(ui, Tone::Warning)),
                    );
                }
                for tag in m.tags.iter().filter(|t| t.as_str() == "new") {
                    ui.label(
                        RichText::new(tag)
                            .small()
                            .color(theme::tone(ui, Tone::Success)),
                    );
                }
            });
            ui.label(RichText::new(&m.endpoint_id).monospace().small());
            ui.label(
                RichText::new(format!(
                    "{} · {}",
                    if m.category.is_empty() {
                        "unlisted"
                    } else {
                        &m.category
                    },
                    price_label(view.money, &m.endpoint_id)
                ))
                .small()
                .color(theme::subtle(ui)),
            );
            if let Some(note) = view.money.memory.deprecation_note(&m.endpoint_id) {
                ui.label(
                    RichText::new(note)
                        .small()
                        .color(theme::tone(ui, Tone::Warning)),
                );
            }
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if in_sidebar {
                ui.label(
                    RichText::new("In the sidebar")
                        .small()
                        .color(theme::subtle(ui)),
                );
            } else if ui
                .add_enabled(
                    !view.browser.adding && view.catalog.is_some(),
                    egui::Button::new("Add"),
                )
                .on_hover_text("Fetch its form and list it in the sidebar under its family")
                .clicked()
            {
                add(view, m.clone());
            }
        });
    });
}
