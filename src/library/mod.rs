//! Finished videos on disk with sidecar metadata, and the gallery index.
