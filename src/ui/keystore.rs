//! Where the fal key is kept: the OS keyring when there is one, else a file only the user can
//! read. Every call may block (D-Bus, disk), so the window runs them on a blocking task.

use std::path::{Path, PathBuf};

use serde_json::json;
use thiserror::Error;

/// The keyring service name and user under which the key is stored.
const KEYRING_SERVICE: &str = "ai.reelsmith.Reelsmith";
const KEYRING_USER: &str = "fal-api-key";

/// Where a key was found or stored, shown in settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLocation {
    /// The operating system's keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// A file readable only by the user (`credentials.json` in the config folder).
    File(PathBuf),
    /// The `FAL_KEY` (or `FAL_KEY_ID` + `FAL_KEY_SECRET`) environment variables.
    Environment,
    /// The built-in simulator's key.
    Simulator,
}

impl KeyLocation {
    /// A sentence for the settings page.
    pub fn describe(&self) -> String {
        match self {
            KeyLocation::Keyring => "Stored in your system keyring.".into(),
            KeyLocation::File(p) => format!(
                "Stored in {} (readable only by you): no system keyring was available.",
                p.display()
            ),
            KeyLocation::Environment => "Read from the FAL_KEY environment variable.".into(),
            KeyLocation::Simulator => "The simulator's built-in key (not a fal key).".into(),
        }
    }
}

/// Why the key could not be stored or removed.
#[derive(Debug, Error)]
pub enum KeyStoreError {
    /// Writing or removing the fallback file failed.
    #[error("could not write the key file {path}: {source}. Check that the folder is writable.")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The key store: keyring first (unless disabled), then the `0600` file.
#[derive(Debug, Clone)]
pub struct KeyStore {
    config_dir: PathBuf,
    use_keyring: bool,
}

impl KeyStore {
    /// A store that keeps its file in `config_dir`; `use_keyring = false` skips the OS keyring
    /// (tests, and machines where it hangs).
    pub fn new(config_dir: &Path, use_keyring: bool) -> KeyStore {
        KeyStore {
            config_dir: config_dir.to_path_buf(),
            use_keyring,
        }
    }

    /// The fallback file (the same `credentials.json` the command line reads).
    pub fn file_path(&self) -> PathBuf {
        self.config_dir.join("credentials.json")
    }

    fn entry(&self) -> Option<keyring::Entry> {
        if !self.use_keyring {
            return None;
        }
        keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER).ok()
    }

    /// Finds a saved key: keyring, then the environment and the credentials file.
    pub fn load(&self) -> Option<(String, KeyLocation)> {
        if let Some(entry) = self.entry()
            && let Ok(key) = entry.get_password()
            && !key.trim().is_empty()
        {
            return Some((key, KeyLocation::Keyring));
        }
        match reelsmith_core::fal::resolve_key(None, &self.config_dir) {
            Ok((key, reelsmith_core::fal::KeySource::CredentialsFile(path))) => {
                Some((key.expose().to_string(), KeyLocation::File(path)))
            }
            Ok((key, _)) => Some((key.expose().to_string(), KeyLocation::Environment)),
            Err(_) => None,
        }
    }

    /// Saves `key`: in the keyring when it accepts it, else in the `0600` file.
    pub fn save(&self, key: &str) -> Result<KeyLocation, KeyStoreError> {
        if let Some(entry) = self.entry()
            && entry.set_password(key).is_ok()
        {
            // A stale file copy would shadow a later keyring change in the command line.
            let _ = std::fs::remove_file(self.file_path());
            return Ok(KeyLocation::Keyring);
        }
        let path = self.file_path();
        write_private(&path, &json!({ "api_key": key }).to_string()).map_err(|source| {
            KeyStoreError::File {
                path: path.clone(),
                source,
            }
        })?;
        Ok(KeyLocation::File(path))
    }

    /// Forgets the key in both places.
    pub fn forget(&self) -> Result<(), KeyStoreError> {
        if let Some(entry) = self.entry() {
            let _ = entry.delete_credential();
        }
        let path = self.file_path();
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(KeyStoreError::File { path, source }),
        }
    }
}

/// Writes `text` to `path` so that only the owner can read it (created `0600` on Unix).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// The key with all but its first and last four characters hidden.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 10 {
        return "•".repeat(chars.len().max(4));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "•".repeat(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_fallback_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path(), false);
        let loc = store.save("abcd1234:secretsecret").unwrap();
        assert_eq!(loc, KeyLocation::File(dir.path().join("credentials.json")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.file_path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(store.file_path()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["api_key"], "abcd1234:secretsecret");
        store.forget().unwrap();
        assert!(!store.file_path().exists());
    }

    #[test]
    fn mask_hides_the_middle() {
        let m = mask("abcd1234:secretsecretwxyz");
        assert!(m.starts_with("abcd") && m.ends_with("wxyz"));
        assert!(!m.contains("secret"));
        assert!(!mask("short").contains("short"));
    }
}
