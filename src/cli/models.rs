//! `reelsmith models search TEXT` and `reelsmith models add ID`: fal's model catalog, with
//! prices, through the same core code as the window's model browser.

use std::process::ExitCode;

use reelsmith_core::catalog::Catalog;
use reelsmith_core::catalog::browse::{self, CatalogMemory, ResultSource};
use reelsmith_core::fal::FalUrls;
use reelsmith_core::fal::platform::{ModelInfo, ModelQuery, ModelStatus};
use reelsmith_core::money::PriceBook;
use reelsmith_core::paths;
use serde_json::json;

use crate::cli::engine_setup::{
    CliExit, client, exit, exit_code, load_settings, money_for, refresh_prices, service,
};

/// Arguments of `reelsmith models`.
#[derive(Debug, clap::Args)]
pub struct ModelsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ModelsCommand,
}

/// The `models` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ModelsCommand {
    /// Search fal's catalog (offline: what earlier searches saw).
    Search(SearchArgs),
    /// Add an endpoint from fal's catalog to the sidebar (its OpenAPI is fetched and cached).
    Add(AddArgs),
}

/// Arguments of `reelsmith models search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Words to look for in names, ids, descriptions and categories (empty lists all).
    #[arg(default_value = "")]
    pub text: String,
    /// Only this category, e.g. text-to-video, image-to-video.
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,
    /// Only active or only deprecated models.
    #[arg(long, value_parser = ["active", "deprecated"])]
    pub status: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `reelsmith models add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The endpoint id, e.g. fal-ai/kling-video/v3/pro/text-to-video.
    pub endpoint_id: String,
}

/// Runs `reelsmith models …`.
pub async fn run(args: ModelsArgs, simulate: bool) -> anyhow::Result<ExitCode> {
    Ok(exit_code(match args.command {
        ModelsCommand::Search(a) => search(a, simulate).await,
        ModelsCommand::Add(a) => add(a, simulate).await,
    }))
}

fn price_text(book: &PriceBook, id: &str) -> String {
    match book.live(id) {
        Some(p) => format!(
            "${}{}",
            trim_price(p.price.unit_price),
            reelsmith_core::schema::cost::UnitKind::of(&p.price.unit).per()
        ),
        None if book.unknown.contains_key(id) => "no price".into(),
        None => "?".into(),
    }
}

fn trim_price(p: f64) -> String {
    let s = format!("{p:.4}");
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}00")
    } else if s.split('.').nth(1).is_some_and(|d| d.len() == 1) {
        format!("{s}0")
    } else {
        s.to_string()
    }
}

async fn search(args: SearchArgs, simulate: bool) -> Result<u8, CliExit> {
    let service = service(simulate, false, &load_settings()).await?;
    let client = client(&service)?;
    let sim = service.sim;
    let query = ModelQuery {
        text: args.text.clone(),
        category: args.category.clone(),
        status: match args.status.as_deref() {
            Some("active") => Some(ModelStatus::Active),
            Some("deprecated") => Some(ModelStatus::Deprecated),
            _ => None,
        },
    };
    let path = CatalogMemory::path_in(&paths::cache_dir());
    let mut memory = CatalogMemory::load(&path);
    let found = browse::search(&client, &mut memory, &query).await;
    if found.source == ResultSource::Live
        && let Err(e) = memory.save(&path)
    {
        tracing::warn!("could not cache the catalog in {}: {e}", path.display());
    }
    let money = money_for(&client)?;
    let ids: Vec<String> = found.models.iter().map(|m| m.endpoint_id.clone()).collect();
    // Prices need a key; without one the table shows "?".
    if client.key_fingerprint().is_some() {
        refresh_prices(&client, &money, &ids).await;
    }
    let book = money.price_book();
    match (&found.source, &found.error) {
        (ResultSource::Live, _) => {}
        (ResultSource::Cached(at), Some(e)) => eprintln!(
            "offline: showing this search as fal answered it on {} ({e})",
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        (_, Some(e)) => eprintln!("offline: showing models seen in earlier searches ({e})"),
        _ => {}
    }
    if args.json {
        let items: Vec<_> = found
            .models
            .iter()
            .map(|m| model_json(m, &book, &memory))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&items).unwrap_or_default()
        );
    } else if found.models.is_empty() {
        eprintln!("no models found");
    } else {
        print_table(&found.models, &book);
        if !found.complete {
            eprintln!("(fal has more; narrow the search)");
        }
    }
    drop(sim);
    Ok(exit::DONE)
}

fn model_json(m: &ModelInfo, book: &PriceBook, memory: &CatalogMemory) -> serde_json::Value {
    json!({
        "endpoint_id": m.endpoint_id,
        "display_name": m.display_name,
        "category": m.category,
        "status": m.status.as_str(),
        "family": m.family.as_ref().map(|f| &f.label),
        "thumbnail_url": m.thumbnail_url,
        "price": book.live(&m.endpoint_id).map(|p| json!({
            "unit_price": p.price.unit_price, "unit": p.price.unit, "currency": p.price.currency,
            "fetched_at": p.fetched_at.to_rfc3339(),
        })),
        "note": memory.deprecation_note(&m.endpoint_id),
    })
}

fn print_table(models: &[ModelInfo], book: &PriceBook) {
    let w_name = models
        .iter()
        .map(|m| m.display_name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let w_id = models
        .iter()
        .map(|m| m.endpoint_id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let w_cat = models
        .iter()
        .map(|m| m.category.len())
        .max()
        .unwrap_or(8)
        .max(8);
    println!(
        "{:<w_name$}  {:<w_id$}  {:<w_cat$}  {:<10}  PRICE",
        "NAME", "ID", "CATEGORY", "STATUS"
    );
    for m in models {
        println!(
            "{:<w_name$}  {:<w_id$}  {:<w_cat$}  {:<10}  {}",
            m.display_name,
            m.endpoint_id,
            m.category,
            m.status.as_str(),
            price_text(book, &m.endpoint_id)
        );
    }
}

async fn add(args: AddArgs, simulate: bool) -> Result<u8, CliExit> {
    let service = service(simulate, false, &load_settings()).await?;
    let client = client(&service)?;
    let sim = service.sim;
    let id = args.endpoint_id.trim().to_string();
    let path = CatalogMemory::path_in(&paths::cache_dir());
    let mut memory = CatalogMemory::load(&path);
    let info = match client.model_with_openapi(&id).await {
        Ok(Some((info, _))) => info,
        Ok(None) => {
            return Err(CliExit::new(
                exit::INVALID,
                format!("{id} is not in fal's catalog; `reelsmith models search` finds ids"),
            ));
        }
        Err(e) => return Err(CliExit::new(exit::NETWORK, e.user_message())),
    };
    memory.models.insert(info.endpoint_id.clone(), info.clone());
    if let Err(e) = memory.save(&path) {
        tracing::warn!("could not cache the catalog in {}: {e}", path.display());
    }
    let openapi = match &sim {
        Some(s) => s.openapi_url(),
        None => FalUrls::from_env().openapi,
    };
    let mut catalog = Catalog::load(&paths::cache_dir());
    let model = catalog
        .add_from_catalog(&client, &info, &openapi)
        .await
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
    let family = info
        .family
        .as_ref()
        .map(|f| f.label.as_str())
        .unwrap_or("Added");
    println!(
        "added {} ({}) under {family}",
        model.endpoint_id, info.display_name
    );
    if let Some(note) = memory.deprecation_note(&id) {
        eprintln!("note: {note}");
    }
    Ok(exit::DONE)
}
