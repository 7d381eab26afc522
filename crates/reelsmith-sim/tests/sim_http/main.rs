//! The simulator over real HTTP on loopback, spoken to with plain reqwest (not the fal client):
//! queue statuses over time, the SSE stream, results and a playable MP4 on the CDN, validation,
//! auth, storage (single and multipart), every fault knob, cancel, and input URL checks.

mod helpers;

mod faults;
mod queue;
mod storage;
