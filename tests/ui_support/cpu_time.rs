//! The calling thread's CPU time, for frame budgets that hold however busy the machine is.
//! Shared by the GUI tests and benches/gallery_frames.rs (which includes this file by path).

use std::time::Duration;

/// This thread's CPU time so far: a frame's cost without the time other processes on the
/// machine took from it.
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant libc defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
