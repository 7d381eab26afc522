//! The MP4 box walk and the demuxer behind it (the `mp4` crate) on arbitrary bytes: no panic
//! (the walk must refuse whatever would make the crate panic, loop or over-allocate), no
//! hang, and an accepted clip's frames can be read and the first one decoded.

#![no_main]

use std::path::Path;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use reelsmith_core::media::deadline::Deadline;
use reelsmith_core::media::video::poster::first_frame;
use reelsmith_core::media::video::{Demuxer, MAX_SAMPLE_BYTES, MAX_SAMPLES};

fuzz_target!(|data: &[u8]| {
    let d = Deadline::after(Duration::from_secs(4));
    let Ok(mut demux) = Demuxer::from_bytes(Path::new("fuzz.mp4"), data.to_vec(), &d) else {
        return;
    };
    let frames = demux.info().frame_count;
    assert!((1..=MAX_SAMPLES).contains(&frames), "{frames} frames");
    for i in 0..frames.min(32) {
        match demux.sample(i) {
            // Start codes replace the length prefixes: at most 2.5 times the sample.
            Ok(Some(au)) => assert!(au.len() <= MAX_SAMPLE_BYTES as usize * 5 / 2),
            Ok(None) => panic!("frame {i} of {frames} is missing after the walk"),
            Err(_) => break,
        }
    }
    let _ = first_frame(&mut demux, &d);
});
