//! `reelsmith schema ID`: one endpoint's form model.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;

use reelsmith_core::catalog::{self, Catalog};
use reelsmith_core::paths;
use reelsmith_core::schema::describe::model_json;
use reelsmith_core::schema::{Field, FormModel};

/// Arguments of `reelsmith schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// The endpoint id, e.g. fal-ai/veo3.1/image-to-video.
    pub endpoint_id: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Fetch the live schema even if a bundled or cached copy exists (schemas drift).
    #[arg(long)]
    pub refresh: bool,
}

/// Prints the form model of one endpoint: offline for bundled and cached endpoints, fetched
/// (and cached) from the OpenAPI service for others or with `--refresh`.
pub async fn run(args: SchemaArgs, simulate: bool) -> anyhow::Result<ExitCode> {
    let id = args.endpoint_id.trim();
    catalog::check_endpoint_id(id)?;
    let mut catalog = Catalog::load(&paths::cache_dir());
    let model = if catalog.contains(id) && !args.refresh {
        catalog.model(id)?
    } else {
        match fetch(&mut catalog, id, simulate).await {
            Ok(model) => model,
            // A refresh that fails still leaves the stored copy to show.
            Err(e) if catalog.contains(id) => {
                eprintln!("warning: {e:#}; showing the stored copy instead");
                catalog.model(id)?
            }
            Err(e) => return Err(e),
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&model_json(&model))?);
    } else {
        print_table(&model);
    }
    Ok(ExitCode::SUCCESS)
}

/// Fetches from `REELSMITH_OPENAPI_URL` (fal by default), or from an in-process simulator.
async fn fetch(catalog: &mut Catalog, id: &str, simulate: bool) -> anyhow::Result<FormModel> {
    if simulate {
        // The simulator serves the bundled documents; it stands in for fal's schema service.
        let sim = reelsmith_sim::Simulator::start(reelsmith_sim::SimConfig::default())
            .await
            .context("could not start the simulator")?;
        let result = catalog.fetch(id, &sim.openapi_url()).await;
        sim.shutdown().await;
        return result.with_context(|| {
            format!("the simulator serves only the bundled endpoints, and {id} is not one of them")
        });
    }
    Ok(catalog.fetch(id, &catalog::openapi_url()).await?)
}

/// A readable table of the fields.
fn print_table(model: &FormModel) {
    println!("{}  ({})", model.title, model.endpoint_id);
    let mut rows = vec![[
        "FIELD".to_string(),
        "KIND".into(),
        "REQUIRED".into(),
        "DEFAULT".into(),
        "ALLOWED".into(),
    ]];
    for f in &model.fields {
        push_rows(&mut rows, f, "");
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in rows {
        let line = format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        println!("{}", line.trim_end());
    }
}

fn push_rows(rows: &mut Vec<[String; 5]>, f: &Field, indent: &str) {
    let default = f
        .default
        .as_ref()
        .map(|d| match d {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    let kind = if f.advanced {
        format!("{} (more)", f.kind.as_str())
    } else {
        f.kind.as_str().to_string()
    };
    rows.push([
        format!("{indent}{}", f.name),
        kind,
        if f.required { "yes" } else { "" }.to_string(),
        default,
        allowed(f),
    ]);
    let deeper = format!("{indent}  ");
    for item in &f.item_fields {
        push_rows(rows, item, &deeper);
    }
}

/// Choices and limits in a few words.
fn allowed(f: &Field) -> String {
    let mut parts = Vec::new();
    if !f.choices.is_empty() {
        let choices: Vec<String> = f
            .choices
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| c.to_string())
            })
            .collect();
        parts.push(choices.join(" | "));
    }
    let n = reelsmith_core::schema::describe::fmt_limit;
    match (f.min, f.max) {
        (Some(lo), Some(hi)) => parts.push(format!("{}–{}", n(lo), n(hi))),
        (Some(lo), None) => parts.push(format!("≥ {}", n(lo))),
        (None, Some(hi)) => parts.push(format!("≤ {}", n(hi))),
        _ => {}
    }
    if let Some(lo) = f.exclusive_min {
        parts.push(format!("> {}", n(lo)));
    }
    if let Some(hi) = f.exclusive_max {
        parts.push(format!("< {}", n(hi)));
    }
    if let Some(max) = f.max_length {
        parts.push(format!("up to {max} characters"));
    }
    match (f.min_items, f.max_items) {
        (Some(lo), Some(hi)) => parts.push(format!("{lo}–{hi} items")),
        (Some(lo), None) => parts.push(format!("at least {lo} items")),
        (None, Some(hi)) => parts.push(format!("at most {hi} items")),
        _ => {}
    }
    if let Some(m) = &f.media {
        if let Some(size) = m.max_file_size {
            parts.push(format!("files up to {:.1} MB", size as f64 / 1_048_576.0));
        }
        if let (Some(w), Some(h)) = (m.min_width, m.min_height) {
            parts.push(format!("at least {w}×{h} px"));
        }
    }
    parts.join("; ")
}
