//! Prompt presets: a form's values saved under a name, per endpoint, as plain JSON files in the
//! config folder (`presets/<endpoint>/<name>.json`), to apply later, rename or delete.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::FormModel;
use super::state::FormState;
use crate::library::durable;

/// The format marker written into every preset file.
pub const PRESET_FORMAT: &str = "reelsmith.preset/1";

/// The presets folder inside the config folder.
pub fn presets_dir() -> PathBuf {
    crate::paths::config_dir().join("presets")
}

/// Errors reading or writing presets.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    /// No preset of that name for the endpoint.
    #[error("there is no preset {name:?} for {endpoint}; `reelsmith presets list` shows them")]
    NotFound {
        /// The endpoint.
        endpoint: String,
        /// The name asked for.
        name: String,
    },
    /// A preset of that name exists already.
    #[error("a preset {name:?} for {endpoint} exists already; choose another name or delete it")]
    Exists {
        /// The endpoint.
        endpoint: String,
        /// The name.
        name: String,
    },
    /// The name cannot be used.
    #[error("a preset needs a name of 1 to 100 characters (got {0:?})")]
    BadName(String),
    /// A file could not be read or written, or is not a preset.
    #[error("the preset file {path}: {detail}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

/// One saved preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    /// Always [`PRESET_FORMAT`].
    pub format: String,
    /// The name the user gave.
    pub name: String,
    /// The endpoint it belongs to.
    pub endpoint_id: String,
    /// The form's values.
    pub form: FormState,
}

impl Preset {
    /// Applies the preset onto `form`: each saved value of a field the endpoint still has
    /// replaces the form's; fields the preset does not name are left as they are.
    pub fn apply(&self, model: &FormModel, form: &mut FormState) {
        for (name, value) in &self.form.values {
            if model.field(name).is_some() {
                form.values.insert(name.clone(), value.clone());
            }
        }
    }
}

/// The presets in one folder.
#[derive(Debug, Clone)]
pub struct PresetStore {
    dir: PathBuf,
}

/// A name as a file name: letters, digits, space, `-`, `_` and `.` kept, anything else `_`.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

fn check_name(name: &str) -> Result<&str, PresetError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || file_stem(name).is_empty() {
        return Err(PresetError::BadName(name.to_string()));
    }
    Ok(name)
}

impl PresetStore {
    /// The store at `dir` (usually [`presets_dir`]).
    pub fn new(dir: PathBuf) -> PresetStore {
        PresetStore { dir }
    }

    fn endpoint_dir(&self, endpoint: &str) -> PathBuf {
        self.dir.join(endpoint.replace('/', "~"))
    }

    /// Saves `form` as `name` for `endpoint`; an existing preset of that name is replaced
    /// only with `replace`.
    pub fn save(
        &self,
        endpoint: &str,
        name: &str,
        form: &FormState,
        replace: bool,
    ) -> Result<PathBuf, PresetError> {
        let name = check_name(name)?;
        let existing = self.find(endpoint, name)?;
        if existing.is_some() && !replace {
            return Err(PresetError::Exists {
                endpoint: endpoint.into(),
                name: name.into(),
            });
        }
        let path = match existing {
            Some((path, _)) => path,
            None => self.free_path(endpoint, name),
        };
        let preset = Preset {
            format: PRESET_FORMAT.into(),
            name: name.into(),
            endpoint_id: endpoint.into(),
            form: form.clone(),
        };
        let file_err = |detail: String| PresetError::File {
            path: path.clone(),
            detail,
        };
        std::fs::create_dir_all(durable::parent_dir(&path)).map_err(|e| file_err(e.to_string()))?;
        let text = serde_json::to_vec_pretty(&preset).map_err(|e| file_err(e.to_string()))?;
        durable::write_file(&path, &text, true).map_err(|e| file_err(e.to_string()))?;
        Ok(path)
    }

    /// A file name not taken yet for `name` (two names may share a stem).
    fn free_path(&self, endpoint: &str, name: &str) -> PathBuf {
        let dir = self.endpoint_dir(endpoint);
        let stem = file_stem(name);
        let mut path = dir.join(format!("{stem}.json"));
        let mut n = 2;
        while path.exists() {
            path = dir.join(format!("{stem} ({n}).json"));
            n += 1;
        }
        path
    }

    /// The presets of `endpoint`, by name. Files that are not presets are skipped.
    pub fn list(&self, endpoint: &str) -> Vec<Preset> {
        let mut all: Vec<Preset> = self
            .files(endpoint)
            .into_iter()
            .filter_map(|(_, p)| p)
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// Every endpoint that has presets, with its presets.
    pub fn list_all(&self) -> Vec<(String, Vec<Preset>)> {
        let Ok(dirs) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Vec<Preset>)> = dirs
            .flatten()
            .filter(|d| d.path().is_dir())
            .map(|d| d.file_name().to_string_lossy().replace('~', "/"))
            .map(|endpoint| {
                let presets = self.list(&endpoint);
                (endpoint, presets)
            })
            .filter(|(_, p)| !p.is_empty())
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn files(&self, endpoint: &str) -> Vec<(PathBuf, Option<Preset>)> {
        let Ok(entries) = std::fs::read_dir(self.endpoint_dir(endpoint)) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                let preset = read(&p)
                    .inspect_err(|e| tracing::warn!("skipping a preset: {e}"))
                    .ok()
                    .filter(|preset| preset.endpoint_id == endpoint);
                (p, preset)
            })
            .collect()
    }

    fn find(&self, endpoint: &str, name: &str) -> Result<Option<(PathBuf, Preset)>, PresetError> {
        Ok(self
            .files(endpoint)
            .into_iter()
            .find_map(|(path, p)| p.filter(|p| p.name == name).map(|p| (path, p))))
    }

    /// The preset `name` of `endpoint`.
    pub fn load(&self, endpoint: &str, name: &str) -> Result<Preset, PresetError> {
        self.find(endpoint, name.trim())?
            .map(|(_, p)| p)
            .ok_or_else(|| PresetError::NotFound {
                endpoint: endpoint.into(),
                name: name.into(),
            })
    }

    /// Renames a preset (its file too); refuses a name already used.
    pub fn rename(&self, endpoint: &str, from: &str, to: &str) -> Result<(), PresetError> {
        let to = check_name(to)?;
        let (path, preset) =
            self.find(endpoint, from.trim())?
                .ok_or_else(|| PresetError::NotFound {
                    endpoint: endpoint.into(),
                    name: from.into(),
                })?;
        if self.find(endpoint, to)?.is_some() {
            return Err(PresetError::Exists {
                endpoint: endpoint.into(),
                name: to.into(),
            });
        }
        self.save(endpoint, to, &preset.form, false)?;
        std::fs::remove_file(&path).map_err(|e| PresetError::File {
            path,
            detail: e.to_string(),
        })
    }

    /// Deletes a preset's file.
    pub fn delete(&self, endpoint: &str, name: &str) -> Result<(), PresetError> {
        let (path, _) = self
            .find(endpoint, name.trim())?
            .ok_or_else(|| PresetError::NotFound {
                endpoint: endpoint.into(),
                name: name.into(),
            })?;
        std::fs::remove_file(&path).map_err(|e| PresetError::File {
            path,
            detail: e.to_string(),
        })
    }
}

fn read(path: &Path) -> Result<Preset, PresetError> {
    let err = |detail: String| PresetError::File {
        path: path.to_path_buf(),
        detail,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    if bytes.len() > 4 * 1024 * 1024 {
        return Err(err("over 4 MiB; not a preset".into()));
    }
    let preset: Preset =
        serde_json::from_slice(&bytes).map_err(|e| err(format!("not a preset ({e})")))?;
    if preset.format != PRESET_FORMAT {
        return Err(err(format!("unknown format {:?}", preset.format)));
    }
    Ok(preset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{BundledModels, ModelSource};

    const I2V: &str = "fal-ai/veo3.1/image-to-video";

    #[test]
    fn save_list_apply_rename_delete_through_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = PresetStore::new(dir.path().to_path_buf());
        let model = BundledModels.model(I2V).unwrap();
        let mut form = FormState::from_defaults(&model);
        form.set_from_str(&model, "prompt", "golden hour, slow dolly")
            .unwrap();
        form.set_from_str(&model, "duration", "4s").unwrap();
        let path = store.save(I2V, "Dusk / slow", &form, false).unwrap();
        assert!(path.starts_with(dir.path().join("fal-ai~veo3.1~image-to-video")));
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("golden hour")
        );
        assert!(matches!(
            store.save(I2V, "Dusk / slow", &form, false),
            Err(PresetError::Exists { .. })
        ));
        // Another name with the same file stem gets its own file.
        store
            .save(I2V, "Dusk _ slow", &FormState::default(), false)
            .unwrap();
        assert_eq!(store.list(I2V).len(), 2);

        let mut other = FormState::from_defaults(&model);
        other.set_from_str(&model, "prompt", "keep me?").unwrap();
        store
            .load(I2V, "Dusk / slow")
            .unwrap()
            .apply(&model, &mut other);
        assert_eq!(other.text("prompt"), Some("golden hour, slow dolly"));
        assert_eq!(other.text("duration"), Some("4s"));

        store.rename(I2V, "Dusk / slow", "Evening").unwrap();
        assert!(store.load(I2V, "Dusk / slow").is_err());
        assert_eq!(store.load(I2V, "Evening").unwrap().form, form);
        assert_eq!(store.list_all()[0].0, I2V);
        store.delete(I2V, "Evening").unwrap();
        store.delete(I2V, "Dusk _ slow").unwrap();
        assert!(store.list(I2V).is_empty());
        assert!(matches!(
            store.delete(I2V, "Evening"),
            Err(PresetError::NotFound { .. })
        ));
        assert!(matches!(
            store.save(I2V, "  ", &form, false),
            Err(PresetError::BadName(_))
        ));
    }

    #[test]
    fn a_damaged_file_is_skipped_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let store = PresetStore::new(dir.path().to_path_buf());
        store.save(I2V, "ok", &FormState::default(), false).unwrap();
        let folder = dir.path().join("fal-ai~veo3.1~image-to-video");
        std::fs::write(folder.join("broken.json"), b"{\"format\": \"reelsmith.pre").unwrap();
        let names: Vec<_> = store.list(I2V).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["ok"]);
    }
}
