//! The on-disk cache of fetched OpenAPI documents (`<cache dir>/schemas/<id with __>.json`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::ids::{check_endpoint_id, file_name};
use crate::schema::FormModel;

/// Every cached document that still reads as a form, by endpoint id.
pub(crate) fn read_all(dir: &Path) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
            .and_then(|doc| {
                let model = FormModel::from_openapi(&doc).map_err(|e| e.to_string())?;
                Ok((model.endpoint_id, doc))
            });
        match parsed {
            Ok((id, doc)) if check_endpoint_id(&id).is_ok() => {
                out.insert(id, doc);
            }
            Ok((id, _)) => {
                tracing::warn!(
                    "ignoring cached schema {}: bad endpoint id {id}",
                    path.display()
                )
            }
            Err(e) => tracing::warn!("ignoring cached schema {}: {e}", path.display()),
        }
    }
    out
}

/// Writes one document atomically (a temporary file renamed into place), so a crash never
/// leaves half a schema behind.
pub(crate) fn write(dir: &Path, id: &str, doc: &Value) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let target = dir.join(file_name(id));
    let tmp = dir.join(format!(".{}.{}.tmp", file_name(id), std::process::id()));
    let text = serde_json::to_vec_pretty(doc).map_err(std::io::Error::other)?;
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&text)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
