//! Checks on what a run left on disk: saved videos with their sidecars, and no key anywhere.

use std::path::{Path, PathBuf};
use std::process::Output;

use reelsmith_core::library::{Sidecar, sidecar_path};

use super::sim_env::SimEnv;

/// Every file under `dir`, at any depth.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                out.extend(all_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Fails unless `path` starts like an MP4; its bytes.
pub fn assert_mp4(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[4..8], b"ftyp", "{} is not an MP4", path.display());
    bytes
}

/// Checks a saved video: a real MP4 with a sidecar naming its endpoint; returns the sidecar.
pub fn check_video(path: &Path, endpoint: &str) -> Sidecar {
    let bytes = assert_mp4(path);
    let mp4 = mp4::Mp4Reader::read_header(std::io::Cursor::new(&bytes), bytes.len() as u64)
        .expect("the MP4 parses");
    assert!(mp4.tracks().values().any(|t| t.sample_count() > 0));
    let sidecar = Sidecar::read(&sidecar_path(path)).unwrap();
    assert_eq!(sidecar.endpoint_id, endpoint);
    assert_eq!(sidecar.blake3, blake3::hash(&bytes).to_hex().to_string());
    sidecar
}

/// The key is in no file of the data, config, cache, library or home folders, nor in `outputs`.
pub fn assert_no_key_anywhere(env: &SimEnv, outputs: &[&Output]) {
    let key = env.key();
    let secret = key.split(':').next_back().unwrap().as_bytes();
    let key = key.as_bytes();
    let files = all_files(env.root());
    assert!(files.iter().any(|f| f.ends_with("journal.sqlite3")));
    // The test's own inputs are not the app's to keep clean.
    for file in files.iter().filter(|f| !f.starts_with(env.path("files"))) {
        let bytes = std::fs::read(file).unwrap_or_default();
        for needle in [key, secret] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the key is in {}",
                file.display()
            );
        }
    }
    for out in outputs {
        for stream in [&out.stdout, &out.stderr] {
            assert!(!stream.windows(secret.len()).any(|w| w == secret));
        }
    }
}
