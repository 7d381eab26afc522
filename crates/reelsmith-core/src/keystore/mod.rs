//! Where a saved fal key is kept: one [`CredentialStore`] interface over the OS keyring, a file
//! only the user can read, and memory (tests). The window's Settings and every subcommand use
//! the same [`KeyStore`]; [`crate::fal::resolve_key`] decides which key a run uses.
//!
//! `REELSMITH_KEYSTORE` picks the store: `keyring` (the default), `file:/path` (a private key
//! file instead of the keyring; the tests' stand-in for it) or `none` (no store: saving writes
//! `credentials.json`). `REELSMITH_NO_KEYRING=1` is the same as `none`.

mod file;
mod memory;
mod os;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use file::KeyFile;
pub use memory::MemoryStore;
pub use os::{KEYRING_SERVICE, KEYRING_USER, OsKeyring};

use crate::fal::ApiKey;
use crate::fal::credentials::CREDENTIALS_FILE;

/// Environment variable choosing the key store (`keyring`, `file:/path`, `none`).
pub const KEYSTORE_ENV: &str = "REELSMITH_KEYSTORE";
/// Environment variable that, when set, keeps the key out of the OS keyring.
pub const NO_KEYRING_ENV: &str = "REELSMITH_NO_KEYRING";

/// Where a saved key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLocation {
    /// The operating system's keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// A file readable only by the user.
    File(PathBuf),
    /// Memory (tests).
    Memory,
}

impl KeyLocation {
    /// "your system keyring", "/home/me/.config/reelsmith/credentials.json", …
    pub fn describe(&self) -> String {
        match self {
            KeyLocation::Keyring => "your system keyring".into(),
            KeyLocation::File(path) => path.display().to_string(),
            KeyLocation::Memory => "memory".into(),
        }
    }
}

/// Why a key could not be read, stored or removed. Never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// The OS keyring is unavailable or refused the request.
    #[error("the system keyring could not be used: {0}")]
    Keyring(String),
    /// A key file could not be read, written or removed.
    #[error("the key file {} could not be used: {source}. Check that the folder is writable.", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key file holds something other than a key.
    #[error("the key file {} is not usable: {what}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// `REELSMITH_KEYSTORE` names no known store.
    #[error(
        "REELSMITH_KEYSTORE={0} is not a key store; use keyring, file:/path/to/key.json or none"
    )]
    Config(String),
}

/// One place a key can be kept. Calls may block (D-Bus, disk): never on the UI thread.
pub trait CredentialStore: Send + Sync {
    /// Where this store keeps the key.
    fn location(&self) -> KeyLocation;
    /// The stored key, if any.
    fn load(&self) -> Result<Option<ApiKey>, KeyStoreError>;
    /// Stores `key`, replacing any earlier one.
    fn save(&self, key: &ApiKey) -> Result<(), KeyStoreError>;
    /// Removes the key (no error when there is none).
    fn forget(&self) -> Result<(), KeyStoreError>;
}

/// The key store of a run: the saved-key store (keyring by default) and `credentials.json` in
/// the config folder, where a key is saved when there is no keyring.
#[derive(Clone)]
pub struct KeyStore {
    saved: Option<Arc<dyn CredentialStore>>,
    file: KeyFile,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("saved", &self.saved.as_ref().map(|s| s.location()))
            .field("file", &self.file.path())
            .finish()
    }
}

impl KeyStore {
    /// The store `REELSMITH_KEYSTORE` / `REELSMITH_NO_KEYRING` ask for (the OS keyring unless
    /// told otherwise), with `credentials.json` in `config_dir`.
    pub fn from_env(config_dir: &Path) -> Result<KeyStore, KeyStoreError> {
        let choice = std::env::var(KEYSTORE_ENV).unwrap_or_default();
        let no_keyring = std::env::var_os(NO_KEYRING_ENV).is_some_and(|v| !v.is_empty());
        let choice = choice.trim();
        let saved: Option<Arc<dyn CredentialStore>> = match choice {
            "" | "keyring" if no_keyring => None,
            "" | "keyring" => Some(Arc::new(OsKeyring)),
            "none" => None,
            other => match other.strip_prefix("file:") {
                Some(path) if !path.trim().is_empty() => {
                    Some(Arc::new(KeyFile::new(PathBuf::from(path.trim()))))
                }
                _ => return Err(KeyStoreError::Config(other.to_string())),
            },
        };
        Ok(KeyStore {
            saved,
            file: KeyFile::new(config_dir.join(CREDENTIALS_FILE)),
        })
    }

    /// No saved-key store: keys are saved in `credentials.json` in `config_dir`.
    pub fn file_only(config_dir: &Path) -> KeyStore {
        KeyStore {
            saved: None,
            file: KeyFile::new(config_dir.join(CREDENTIALS_FILE)),
        }
    }

    /// `store` in place of the OS keyring (tests), with `credentials.json` in `config_dir`.
    pub fn with_store(store: Arc<dyn CredentialStore>, config_dir: &Path) -> KeyStore {
        KeyStore {
            saved: Some(store),
            file: KeyFile::new(config_dir.join(CREDENTIALS_FILE)),
        }
    }

    /// `credentials.json`: the fallback file, which the user may also write by hand.
    pub fn credentials_file(&self) -> &Path {
        self.file.path()
    }

    /// The key in the saved-key store (the keyring), if there is a store and a key in it.
    pub fn load_saved(&self) -> Result<Option<(ApiKey, KeyLocation)>, KeyStoreError> {
        match &self.saved {
            Some(store) => Ok(store.load()?.map(|key| (key, store.location()))),
            None => Ok(None),
        }
    }

    /// The key in `credentials.json`, if there is one.
    pub fn load_file(&self) -> Result<Option<ApiKey>, KeyStoreError> {
        self.file.load()
    }

    /// Saves `key` in the saved-key store when it accepts it, else in `credentials.json`.
    pub fn save(&self, key: &ApiKey) -> Result<KeyLocation, KeyStoreError> {
        if let Some(store) = &self.saved {
            match store.save(key) {
                Ok(()) => {
                    // A file copy left from a time without a keyring would linger on disk.
                    if let Err(e) = self.file.forget() {
                        tracing::warn!("the old key file could not be removed: {e}");
                    }
                    return Ok(store.location());
                }
                Err(e) => tracing::warn!("saving the key in the file instead: {e}"),
            }
        }
        self.file.save(key)?;
        Ok(self.file.location())
    }

    /// Forgets the key in both places; the first failure is reported after trying both.
    pub fn forget(&self) -> Result<(), KeyStoreError> {
        let saved = match &self.saved {
            Some(store) => store.forget(),
            None => Ok(()),
        };
        let file = self.file.forget();
        saved.and(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_in_the_store_and_removes_the_file_copy() {
        let dir = tempfile::tempdir().unwrap();
        let memory = MemoryStore::new();
        let store = KeyStore::with_store(Arc::new(memory.clone()), dir.path());
        std::fs::write(store.credentials_file(), r#"{"api_key":"old:key"}"#).unwrap();
        let location = store.save(&ApiKey::new("new:key")).unwrap();
        assert_eq!(location, KeyLocation::Memory);
        assert_eq!(memory.load().unwrap(), Some(ApiKey::new("new:key")));
        assert!(!store.credentials_file().exists());
        store.forget().unwrap();
        assert_eq!(store.load_saved().unwrap(), None);
    }

    #[test]
    fn without_a_store_the_key_goes_to_credentials_json() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::file_only(dir.path());
        let location = store.save(&ApiKey::new("id:secret")).unwrap();
        assert_eq!(
            location,
            KeyLocation::File(dir.path().join(CREDENTIALS_FILE))
        );
        assert_eq!(store.load_saved().unwrap(), None);
        assert_eq!(store.load_file().unwrap(), Some(ApiKey::new("id:secret")));
    }

    #[test]
    fn debug_names_places_not_keys() {
        let dir = tempfile::tempdir().unwrap();
        let memory = MemoryStore::new();
        memory
            .save(&ApiKey::new("visible-id:visible-secret"))
            .unwrap();
        let store = KeyStore::with_store(Arc::new(memory.clone()), dir.path());
        let text = format!("{store:?} {memory:?}");
        assert!(!text.contains("visible-secret"), "{text}");
    }
}
