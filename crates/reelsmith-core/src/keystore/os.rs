//! The operating system's keyring (Secret Service, Keychain, Credential Manager) through the
//! `keyring` crate. Every call may block (D-Bus, a system prompt): call it off the UI thread.

use super::{CredentialStore, KeyLocation, KeyStoreError};
use crate::fal::ApiKey;

/// The keyring service under which the key is stored.
pub const KEYRING_SERVICE: &str = "ai.reelsmith.Reelsmith";
/// The keyring user under which the key is stored.
pub const KEYRING_USER: &str = "fal-api-key";

/// The fal key's entry in the OS keyring.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeyring;

fn entry() -> Result<keyring::Entry, KeyStoreError> {
    keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER)
        .map_err(|e| KeyStoreError::Keyring(e.to_string()))
}

impl CredentialStore for OsKeyring {
    fn location(&self) -> KeyLocation {
        KeyLocation::Keyring
    }

    fn load(&self) -> Result<Option<ApiKey>, KeyStoreError> {
        match entry()?.get_password() {
            Ok(key) if !key.trim().is_empty() => Ok(Some(ApiKey::new(key))),
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(KeyStoreError::Keyring(e.to_string())),
        }
    }

    fn save(&self, key: &ApiKey) -> Result<(), KeyStoreError> {
        entry()?
            .set_password(key.expose())
            .map_err(|e| KeyStoreError::Keyring(e.to_string()))
    }

    fn forget(&self) -> Result<(), KeyStoreError> {
        match entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(KeyStoreError::Keyring(e.to_string())),
        }
    }
}
