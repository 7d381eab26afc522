//! The window's fal key: found at start, saved and forgotten through the core's key store and
//! resolution (the ones every subcommand uses), always on a blocking task: the keyring may
//! block on D-Bus or a system prompt, and the UI thread never waits.

use reelsmith_core::fal::{ApiKey, FalError, FalUrls, ResolvedKey, RunKeys, origin_of};
use reelsmith_core::session::Session;

use super::app::tasks::{TaskKind, TaskRegistry};
use super::app::{Screen, StudioApp};
use super::theme::Tone;
use reelsmith_core::keystore::{KeyLocation, KeyStore};

/// What a key lookup found.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// The key to use, and where it came from.
    Found(ResolvedKey),
    /// No usable key; why, in words for the welcome and settings pages.
    Missing(String),
}

/// What a finished key task reports.
#[derive(Debug)]
pub enum KeyOutcome {
    /// The start-up lookup finished.
    Looked(Lookup),
    /// A key was saved (where), and the key to use now.
    Saved(Result<(KeyLocation, Lookup), String>),
    /// The saved key was forgotten; the key to use now (perhaps one from the environment).
    Forgot(Result<Lookup, String>),
}

/// The store and run keys the key tasks use, and which of them run (in the app's registry).
pub struct KeyTasks {
    store: KeyStore,
    run: RunKeys,
    saving: bool,
    forgetting: bool,
}

fn find(store: &KeyStore, urls: &FalUrls, run: &RunKeys) -> Lookup {
    // The session's one key resolution, the command line's too.
    match Session::resolve_key(store, urls, run) {
        Ok(found) => Lookup::Found(found),
        // Nothing saved yet: the welcome screen's usual offer says enough.
        Err(FalError::MissingCredentials) => Lookup::Missing(String::new()),
        Err(e) => Lookup::Missing(sentence(&e.user_message())),
    }
}

/// `text` with its first letter upper-cased, as the window's messages read.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl KeyTasks {
    /// Tasks over `store`, with the keys given for this run.
    pub fn new(store: KeyStore, run: RunKeys) -> KeyTasks {
        KeyTasks {
            store,
            run,
            saving: false,
            forgetting: false,
        }
    }

    /// Looks for the key to use with `urls`.
    pub fn start_lookup(&mut self, tasks: &mut TaskRegistry, urls: FalUrls) {
        let (store, run) = (self.store.clone(), self.run.clone());
        tasks.spawn_blocking(
            TaskKind::Key,
            "Looking for your fal key",
            move || find(&store, &urls, &run),
            |app: &mut StudioApp, r| {
                let found = r.unwrap_or_else(Lookup::Missing);
                app.key_outcome(KeyOutcome::Looked(found));
            },
        );
    }

    /// Saves `key`, then looks again for the key to use with `urls`.
    pub fn start_save(&mut self, tasks: &mut TaskRegistry, key: ApiKey, urls: FalUrls) {
        if self.saving {
            return;
        }
        self.saving = true;
        let (store, run) = (self.store.clone(), self.run.clone());
        tasks.spawn_blocking(
            TaskKind::Key,
            "Saving the key",
            move || {
                store
                    .save(&key)
                    .map(|location| (location, find(&store, &urls, &run)))
                    .map_err(|e| e.to_string())
            },
            |app: &mut StudioApp, r| {
                app.key_tasks.saving = false;
                app.key_outcome(KeyOutcome::Saved(r.and_then(|saved| saved)));
            },
        );
    }

    /// Forgets the saved key, then looks again for the key to use with `urls`.
    pub fn start_forget(&mut self, tasks: &mut TaskRegistry, urls: FalUrls) {
        if self.forgetting {
            return;
        }
        self.forgetting = true;
        let (store, run) = (self.store.clone(), self.run.clone());
        tasks.spawn_blocking(
            TaskKind::Key,
            "Forgetting the key",
            move || {
                store
                    .forget()
                    .map(|()| find(&store, &urls, &run))
                    .map_err(|e| e.to_string())
            },
            |app: &mut StudioApp, r| {
                app.key_tasks.forgetting = false;
                app.key_outcome(KeyOutcome::Forgot(r.and_then(|forgot| forgot)));
            },
        );
    }

    /// True while a save or forget runs (their buttons wait).
    pub fn busy(&self) -> bool {
        self.saving || self.forgetting
    }
}

impl StudioApp {
    /// Takes the key a lookup found (or the lack of one).
    fn use_lookup(&mut self, found: Lookup) {
        match found {
            Lookup::Found(key) => {
                self.key = Some(key);
                self.key_problem = None;
            }
            Lookup::Missing(why) => {
                self.key = None;
                self.key_problem = Some(why).filter(|w| !w.is_empty());
            }
        }
    }

    /// Applies a finished key task: the key in use, the screen, the engine, a toast.
    pub(crate) fn key_outcome(&mut self, outcome: KeyOutcome) {
        let simulated = self.config.service.is_simulated();
        match outcome {
            KeyOutcome::Looked(found) => {
                self.use_lookup(found);
                if self.key.is_some() {
                    self.screen = Screen::Studio;
                    self.restart_engine();
                } else {
                    self.screen = Screen::Welcome;
                }
            }
            KeyOutcome::Saved(Ok((location, found))) => {
                self.welcome.error = None;
                self.settings.key_input.clear();
                let mut text = format!("Key saved. {}", stored_in(&location));
                if !simulated {
                    let before = self.key.as_ref().map(|k| k.key.clone());
                    self.use_lookup(found);
                    if !self.config.service.urls.is_fal() {
                        text.push_str(&format!(
                            " It is kept for fal: this window talks to {}, which gets only a key \
                             given for this run (FAL_KEY).",
                            origin_of(&self.config.service.urls.queue)
                        ));
                    }
                    if self.key.is_some() {
                        self.screen = Screen::Studio;
                    }
                    if self.key.as_ref().map(|k| k.key.clone()) != before {
                        self.restart_engine();
                    }
                }
                self.toast(Tone::Success, text);
            }
            KeyOutcome::Saved(Err(e)) | KeyOutcome::Forgot(Err(e)) => {
                self.welcome.error = Some(e.clone());
                self.toast(Tone::Danger, e);
            }
            KeyOutcome::Forgot(Ok(found)) => {
                let mut text = "Key forgotten.".to_string();
                if !simulated {
                    self.use_lookup(found);
                    if let Some(k) = &self.key {
                        text.push_str(&format!(" {}.", k.summary()));
                    }
                    self.restart_engine();
                }
                self.toast(Tone::Waiting, text);
            }
        }
    }
}

/// Where a saved key is kept, as a sentence for the settings page.
pub fn stored_in(location: &KeyLocation) -> String {
    match location {
        KeyLocation::Keyring => "Stored in your system keyring.".into(),
        KeyLocation::File(p) => format!(
            "Stored in {} (readable only by you): no system keyring was available.",
            p.display()
        ),
        KeyLocation::Memory => "Kept in memory for this session.".into(),
    }
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
    fn mask_hides_the_middle() {
        let m = mask("abcd1234:secretsecretwxyz");
        assert!(m.starts_with("abcd") && m.ends_with("wxyz"));
        assert!(!m.contains("secret"));
        assert!(!mask("short").contains("short"));
    }
}
