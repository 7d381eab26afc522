//! Gallery frame-time benchmark (filled in later).
fn main() {}
