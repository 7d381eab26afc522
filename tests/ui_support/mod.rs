//! What the GUI tests share: a runtime, the simulator and temporary folders, the app under
//! egui_kittest, and helpers that drive it the way a user does. Each test binary uses a
//! subset, hence `dead_code` and unused re-exports are allowed here (and so in every module below).

#![allow(dead_code, unused_imports)]

mod cpu_time;
mod drive;
mod drop;
mod env;
mod media;
mod snapshot;
mod storyboard;
mod window;

pub use cpu_time::thread_cpu_time;
pub use drive::*;
pub use drop::*;
pub use env::*;
pub use snapshot::*;
pub use storyboard::*;
pub use window::*;
