//! The fal key: where it comes from, and a wrapper that never prints it.

use std::fmt;
use std::path::{Path, PathBuf};

use super::error::FalError;

/// A fal API key (`key_id:key_secret`); Debug and Display show only a masked form.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key as given (surrounding whitespace removed).
    pub fn new(s: impl Into<String>) -> ApiKey {
        ApiKey(s.into().trim().to_string())
    }

    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
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

/// Where the key in use was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The key saved in reelsmith's settings.
    Settings,
    /// The `FAL_KEY` environment variable.
    EnvFalKey,
    /// `FAL_KEY_ID` and `FAL_KEY_SECRET`, joined as `id:secret`.
    EnvKeyIdSecret,
    /// `credentials.json` (`{"api_key": "..."}`) at this path.
    CredentialsFile(PathBuf),
}

/// Name of the credentials file in the config directory.
pub const CREDENTIALS_FILE: &str = "credentials.json";

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Finds the key: settings → `FAL_KEY` → `FAL_KEY_ID` + `FAL_KEY_SECRET` → `credentials.json`.
pub fn resolve_key(
    settings_key: Option<&str>,
    config_dir: &Path,
) -> Result<(ApiKey, KeySource), FalError> {
    if let Some(key) = settings_key.map(str::trim).filter(|k| !k.is_empty()) {
        return Ok((ApiKey::new(key), KeySource::Settings));
    }
    if let Some(key) = env_nonempty("FAL_KEY") {
        return Ok((ApiKey::new(key), KeySource::EnvFalKey));
    }
    if let (Some(id), Some(secret)) = (env_nonempty("FAL_KEY_ID"), env_nonempty("FAL_KEY_SECRET")) {
        return Ok((
            ApiKey::new(format!("{id}:{secret}")),
            KeySource::EnvKeyIdSecret,
        ));
    }
    let path = config_dir.join(CREDENTIALS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FalError::MissingCredentials);
        }
        Err(source) => return Err(FalError::Io { path, source }),
    };
    // The parse error text is left out on purpose: serde quotes the input, which is the key.
    let invalid = |what: &str| FalError::Io {
        path: path.clone(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{what}; expected {{\"api_key\": \"KEY_ID:KEY_SECRET\"}}"),
        ),
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| invalid("not valid JSON"))?;
    match value.get("api_key").and_then(|v| v.as_str()).map(str::trim) {
        Some(key) if !key.is_empty() => Ok((ApiKey::new(key), KeySource::CredentialsFile(path))),
        _ => Err(invalid("no non-empty \"api_key\" string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn settings_key_wins_over_everything() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CREDENTIALS_FILE),
            r#"{"api_key":"file:key"}"#,
        )
        .unwrap();
        let (key, source) = resolve_key(Some("  settings:key "), dir.path()).unwrap();
        assert_eq!(key.expose(), "settings:key");
        assert_eq!(source, KeySource::Settings);
    }
}
