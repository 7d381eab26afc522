//! Image probing and thumbnails, upload preparation, video poster frames and preview.
