//! The studio window (eframe/egui).

/// Opens the studio window; `simulate` runs it against the in-process simulator.
pub fn run(simulate: bool) -> anyhow::Result<()> {
    let _ = simulate;
    Ok(())
}
