//! On a machine without sound (CI) the system output is absent or refuses, and a player on
//! it plays silent with its note instead of failing.

use std::time::{Duration, Instant};

use reelsmith_core::media::playback::{NO_DEVICE_NOTE, Player};
use reelsmith_sim::clip::{ClipSpec, render_clip_with_sound};

#[test]
fn a_player_on_the_system_output_plays_with_sound_or_silent_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("beeps.mp4");
    let spec = ClipSpec {
        width: 64,
        height: 48,
        fps: 24,
        frames: 12,
    };
    std::fs::write(
        &path,
        render_clip_with_sound(&spec, None, Some(&Default::default())).unwrap(),
    )
    .unwrap();
    let device = reelsmith_audio_device::system_output();
    let has_device = device.is_some();
    let player = Player::open(&path, device, || {}).unwrap();
    let note = player.state().note;
    if note.is_some() {
        assert_eq!(note.as_deref(), Some(NO_DEVICE_NOTE));
        eprintln!("note: no usable sound device here (device listed: {has_device}); played silent");
    }
    player.play();
    let start = Instant::now();
    while player.state().playing || player.state().position < 0.45 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            player.state()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(player.state().position > 0.45);
}
