//! A key store in memory: stands in for the OS keyring in tests of one process.

use std::sync::{Arc, Mutex};

use super::{CredentialStore, KeyLocation, KeyStoreError};
use crate::fal::ApiKey;

/// A key held in memory; clones share it.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    key: Arc<Mutex<Option<ApiKey>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<ApiKey>> {
        self.key.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl CredentialStore for MemoryStore {
    fn location(&self) -> KeyLocation {
        KeyLocation::Memory
    }

    fn load(&self) -> Result<Option<ApiKey>, KeyStoreError> {
        Ok(self.slot().clone())
    }

    fn save(&self, key: &ApiKey) -> Result<(), KeyStoreError> {
        *self.slot() = Some(key.clone());
        Ok(())
    }

    fn forget(&self) -> Result<(), KeyStoreError> {
        *self.slot() = None;
        Ok(())
    }
}
