//! The fal key: a wrapper that never prints it, the keys given for one run, and the one
//! resolution both front ends use.
//!
//! Order: the saved key (the key store, the OS keyring by default) → `FAL_KEY` →
//! `FAL_KEY_ID` + `FAL_KEY_SECRET` → `credentials.json`. A saved key (the store or the file) is
//! used only when the queue and REST base URLs are fal's own https hosts; anywhere else (a
//! simulator, a proxy) only a key given for the run in the environment is used.

use std::fmt;
use std::path::PathBuf;

use super::config::FalUrls;
use super::error::FalError;
use crate::keystore::{KeyLocation, KeyStore, KeyStoreError};

/// A fal API key (`key_id:key_secret`); Debug and Display show only a masked form.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key as given (surrounding whitespace removed).
    pub fn new(s: impl Into<String>) -> ApiKey {
        ApiKey(s.into().trim().to_string())
    }

    /// The key itself, for the `Authorization` header and the key store only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for a key of only whitespace.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A form safe to show: the first and last four characters at most ("abcd…wxyz").
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        // Short keys would be mostly revealed by 4+4 characters: show nothing of them.
        if chars.len() < 16 {
            return "…".to_string();
        }
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Name of the credentials file in the config directory.
pub const CREDENTIALS_FILE: &str = "credentials.json";

/// The keys given for this run in the environment (`FAL_KEY`, `FAL_KEY_ID` + `FAL_KEY_SECRET`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RunKeys {
    fal_key: Option<ApiKey>,
    id_secret: Option<ApiKey>,
}

impl fmt::Debug for RunKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunKeys")
            .field("fal_key", &self.fal_key)
            .field("id_secret", &self.id_secret)
            .finish()
    }
}

impl RunKeys {
    /// The keys in this process's environment.
    pub fn from_env() -> RunKeys {
        RunKeys::from_lookup(|name| std::env::var(name).ok())
    }

    /// The keys `lookup` gives for `FAL_KEY`, `FAL_KEY_ID` and `FAL_KEY_SECRET` (empty = unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> RunKeys {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        RunKeys {
            fal_key: get("FAL_KEY").map(ApiKey::new),
            id_secret: match (get("FAL_KEY_ID"), get("FAL_KEY_SECRET")) {
                (Some(id), Some(secret)) => Some(ApiKey::new(format!("{id}:{secret}"))),
                _ => None,
            },
        }
    }

    /// No key given for the run.
    pub fn none() -> RunKeys {
        RunKeys::default()
    }

    /// `FAL_KEY` set to `key` (tests, and callers that read the environment themselves).
    pub fn with_fal_key(key: ApiKey) -> RunKeys {
        RunKeys {
            fal_key: Some(key),
            id_secret: None,
        }
    }
}

/// Where the key in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The key saved in reelsmith's key store (the OS keyring by default).
    Saved(KeyLocation),
    /// The `FAL_KEY` environment variable.
    EnvFalKey,
    /// `FAL_KEY_ID` and `FAL_KEY_SECRET`, joined as `id:secret`.
    EnvKeyIdSecret,
    /// `credentials.json` (`{"api_key": "..."}`) at this path.
    CredentialsFile(PathBuf),
    /// The built-in simulator's own key (not a fal key).
    Simulator,
}

impl KeySource {
    /// "FAL_KEY from the environment", "the key saved in your system keyring", …
    pub fn describe(&self) -> String {
        match self {
            KeySource::Saved(location) => format!("the key saved in {}", location.describe()),
            KeySource::EnvFalKey => "FAL_KEY from the environment".into(),
            KeySource::EnvKeyIdSecret => {
                "FAL_KEY_ID and FAL_KEY_SECRET from the environment".into()
            }
            KeySource::CredentialsFile(path) => format!("the key in {}", path.display()),
            KeySource::Simulator => "the simulator's built-in key".into(),
        }
    }

    /// Whether this key was given for this run only (the environment or the simulator).
    pub fn is_for_this_run(&self) -> bool {
        matches!(
            self,
            KeySource::EnvFalKey | KeySource::EnvKeyIdSecret | KeySource::Simulator
        )
    }
}

/// The key a run uses, where it came from and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKey {
    /// The key.
    pub key: ApiKey,
    /// Where it came from.
    pub source: KeySource,
    /// The origin it is sent to (the queue's), e.g. `https://queue.fal.run`.
    pub origin: String,
}

impl ResolvedKey {
    /// "Using FAL_KEY from the environment for http://127.0.0.1:8808".
    pub fn summary(&self) -> String {
        format!("Using {} for {}", self.source.describe(), self.origin)
    }
}

/// Whether `url` is one of fal's own hosts over https (`fal.ai`, `fal.run` and their
/// subdomains, default port).
pub fn is_fal_https(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    url.scheme() == "https"
        && url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && ["fal.ai", "fal.run"]
            .iter()
            .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
}

/// The origin of `url` for messages (`http://127.0.0.1:8808`); the URL itself if unparsable.
pub fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| url.to_string())
}

fn store_error(e: KeyStoreError) -> FalError {
    match e {
        KeyStoreError::File { path, source } => FalError::Io { path, source },
        KeyStoreError::Invalid { path, what } => FalError::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, what),
        },
        other => FalError::Protocol(other.to_string()),
    }
}

/// The key this run uses for `urls`. Blocking (the keyring): call it off the UI thread.
pub fn resolve_key(
    store: &KeyStore,
    urls: &FalUrls,
    run: &RunKeys,
) -> Result<ResolvedKey, FalError> {
    let to_fal = urls.is_fal();
    let origin = origin_of(urls.queue_base());
    let found = |key: ApiKey, source: KeySource| ResolvedKey {
        key,
        source,
        origin: origin.clone(),
    };
    if to_fal {
        match store.load_saved() {
            Ok(Some((key, location))) => return Ok(found(key, KeySource::Saved(location))),
            Ok(None) => {}
            // No keyring on this machine (or it refused): the other sources still count.
            Err(KeyStoreError::Keyring(e)) => tracing::warn!("the system keyring: {e}"),
            Err(e) => return Err(store_error(e)),
        }
    }
    if let Some(key) = &run.fal_key {
        return Ok(found(key.clone(), KeySource::EnvFalKey));
    }
    if let Some(key) = &run.id_secret {
        return Ok(found(key.clone(), KeySource::EnvKeyIdSecret));
    }
    if !to_fal {
        return Err(FalError::NoKeyForBase { base: origin });
    }
    match store.load_file().map_err(store_error)? {
        Some(key) => Ok(found(
            key,
            KeySource::CredentialsFile(store.credentials_file().to_path_buf()),
        )),
        None => Err(FalError::MissingCredentials),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::{CredentialStore, MemoryStore};
    use std::sync::Arc;

    #[test]
    fn masked_shows_at_most_eight_characters() {
        let key = ApiKey::new("b60ed0c4-3daf-4a2b:03039d79aa11bb22cc33dd44ee55ff66");
        assert_eq!(key.masked(), "b60e…ff66");
        assert_eq!(format!("{key}"), "b60e…ff66");
        assert_eq!(format!("{key:?}"), "ApiKey(b60e…ff66)");
        assert!(!format!("{key:?}").contains(key.expose()));
    }

    #[test]
    fn short_keys_are_fully_hidden() {
        let key = ApiKey::new("abc:def");
        assert_eq!(key.masked(), "…");
        assert!(!format!("{key:?}{key}").contains("abc"));
    }

    #[test]
    fn only_fals_own_https_hosts_count_as_fal() {
        for url in [
            "https://queue.fal.run",
            "https://rest.fal.ai/",
            "https://fal.run/x",
            "https://QUEUE.FAL.RUN",
        ] {
            assert!(is_fal_https(url), "{url}");
        }
        for url in [
            "http://queue.fal.run",
            "https://queue.fal.run:8443",
            "https://queue.fal.run.evil.example",
            "https://evilfal.run",
            "https://user:pw@queue.fal.run",
            "http://127.0.0.1:8808",
            "https://127.0.0.1",
            "not a url",
        ] {
            assert!(!is_fal_https(url), "{url}");
        }
    }

    fn urls(queue: &str, rest: &str) -> FalUrls {
        FalUrls {
            queue: queue.into(),
            rest: rest.into(),
            openapi: String::new(),
            api: crate::fal::config::DEFAULT_API_URL.into(),
        }
    }

    #[test]
    fn resolution_follows_the_order_and_keeps_saved_keys_for_fal() {
        let dir = tempfile::tempdir().unwrap();
        let memory = MemoryStore::new();
        let store = KeyStore::with_store(Arc::new(memory.clone()), dir.path());
        let fal = urls("https://queue.fal.run", "https://rest.fal.ai");
        let sim = urls("http://127.0.0.1:8808/queue", "http://127.0.0.1:8808/rest");
        let env = RunKeys::from_lookup(|name| match name {
            "FAL_KEY" => Some("env-id:env-secret".into()),
            "FAL_KEY_ID" => Some("pair-id".into()),
            "FAL_KEY_SECRET" => Some("pair-secret".into()),
            _ => None,
        });
        let pair = RunKeys::from_lookup(|name| match name {
            "FAL_KEY_ID" => Some("pair-id".into()),
            "FAL_KEY_SECRET" => Some("pair-secret".into()),
            _ => None,
        });
        let none = RunKeys::none();

        assert!(matches!(
            resolve_key(&store, &fal, &none),
            Err(FalError::MissingCredentials)
        ));
        std::fs::write(
            store.credentials_file(),
            r#"{"api_key":"file-id:file-secret"}"#,
        )
        .unwrap();
        let r = resolve_key(&store, &fal, &none).unwrap();
        assert_eq!(
            r.source,
            KeySource::CredentialsFile(dir.path().join(CREDENTIALS_FILE))
        );
        assert_eq!(
            resolve_key(&store, &fal, &pair).unwrap().source,
            KeySource::EnvKeyIdSecret
        );
        assert_eq!(
            resolve_key(&store, &fal, &env).unwrap().source,
            KeySource::EnvFalKey
        );
        memory.save(&ApiKey::new("saved-id:saved-secret")).unwrap();
        let r = resolve_key(&store, &fal, &env).unwrap();
        assert_eq!(r.key.expose(), "saved-id:saved-secret");
        assert_eq!(r.source, KeySource::Saved(KeyLocation::Memory));
        assert_eq!(
            r.summary(),
            "Using the key saved in memory for https://queue.fal.run"
        );

        // Pointed elsewhere: neither the saved key nor credentials.json, only the run's keys.
        let r = resolve_key(&store, &sim, &env).unwrap();
        assert_eq!(r.key.expose(), "env-id:env-secret");
        assert_eq!(
            r.summary(),
            "Using FAL_KEY from the environment for http://127.0.0.1:8808"
        );
        assert_eq!(
            resolve_key(&store, &sim, &pair).unwrap().key.expose(),
            "pair-id:pair-secret"
        );
        match resolve_key(&store, &sim, &none) {
            Err(FalError::NoKeyForBase { base }) => assert_eq!(base, "http://127.0.0.1:8808"),
            other => panic!("expected NoKeyForBase, got {other:?}"),
        }
        // One base off fal is enough to withhold the saved key.
        let mixed = urls("https://queue.fal.run", "http://127.0.0.1:8808/rest");
        assert!(matches!(
            resolve_key(&store, &mixed, &none),
            Err(FalError::NoKeyForBase { .. })
        ));
    }

    #[test]
    fn debug_of_key_holders_is_masked() {
        let run = RunKeys::from_lookup(|name| match name {
            "FAL_KEY" => Some("abcdefgh-visible:secretsecretsecret".into()),
            _ => None,
        });
        let resolved = ResolvedKey {
            key: ApiKey::new("abcdefgh-visible:secretsecretsecret"),
            source: KeySource::EnvFalKey,
            origin: "https://queue.fal.run".into(),
        };
        let text = format!("{run:?} {resolved:?}");
        assert!(!text.contains("secretsecret"), "{text}");
        assert!(!text.contains("visible"), "{text}");
    }
}
