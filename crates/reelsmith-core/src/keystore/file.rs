//! A key kept in a JSON file only its owner can read: `{"api_key": "key_id:key_secret"}`, the
//! format of `credentials.json`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::{CredentialStore, KeyLocation, KeyStoreError};
use crate::fal::ApiKey;

/// A key file at a fixed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFile {
    path: PathBuf,
}

impl KeyFile {
    /// The key file at `path` (it need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> KeyFile {
        KeyFile { path: path.into() }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl CredentialStore for KeyFile {
    fn location(&self) -> KeyLocation {
        KeyLocation::File(self.path.clone())
    }

    fn load(&self) -> Result<Option<ApiKey>, KeyStoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(KeyStoreError::File {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        // The parser's own message is left out on purpose: serde quotes the input, the key.
        let invalid = |what: &str| KeyStoreError::Invalid {
            path: self.path.clone(),
            what: format!("{what}; expected {{\"api_key\": \"KEY_ID:KEY_SECRET\"}}"),
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|_| invalid("not valid JSON"))?;
        match value.get("api_key").and_then(|v| v.as_str()).map(str::trim) {
            Some(key) if !key.is_empty() => Ok(Some(ApiKey::new(key))),
            _ => Err(invalid("no non-empty \"api_key\" string")),
        }
    }

    fn save(&self, key: &ApiKey) -> Result<(), KeyStoreError> {
        let text = json!({ "api_key": key.expose() }).to_string();
        write_private(&self.path, text.as_bytes()).map_err(|source| KeyStoreError::File {
            path: self.path.clone(),
            source,
        })
    }

    fn forget(&self) -> Result<(), KeyStoreError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(KeyStoreError::File {
                path: self.path.clone(),
                source,
            }),
        }
    }
}

/// Writes `bytes` to `path` so that only the owner can ever read them: into a temporary file
/// under a fresh random name, created new (never an existing file, whatever its mode) with
/// mode 0600 from the start, flushed, then renamed over `path`.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "key".into());
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&tmp) {
            Ok(file) => break (tmp, file),
            // A random name taken already: draw another.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp, path)
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn round_trips_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::new(dir.path().join("credentials.json"));
        assert_eq!(file.load().unwrap(), None);
        file.save(&ApiKey::new("id:secret")).unwrap();
        assert_eq!(file.load().unwrap(), Some(ApiKey::new("id:secret")));
        file.forget().unwrap();
        file.forget().unwrap();
        assert_eq!(file.load().unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_0600_whatever_was_left_behind() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        // Leftovers of an interrupted save (the old fixed temporary name) and a readable file
        // someone made by hand.
        for leftover in [dir.path().join("credentials.json.tmp"), path.clone()] {
            std::fs::write(&leftover, b"{}").unwrap();
            std::fs::set_permissions(&leftover, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        KeyFile::new(&path).save(&ApiKey::new("id:secret")).unwrap();
        assert_eq!(mode(&path), 0o600);
        // No temporary file of ours is left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.starts_with('.')), "{names:?}");
    }

    #[test]
    fn a_broken_file_is_an_error_that_never_quotes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        std::fs::write(&path, "{\"api_key\": \"secret-id:secret-value").unwrap();
        let err = KeyFile::new(&path).load().unwrap_err().to_string();
        assert!(err.contains("not valid JSON"), "{err}");
        assert!(!err.contains("secret-value"), "{err}");
    }
}
