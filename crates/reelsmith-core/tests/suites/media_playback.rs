//! Playback with sound on real clips: the sound's played samples are the clock the picture
//! follows; J/K/L speeds skip the sound; seek, volume and mute; silent with a note without a
//! device. The device here is a software one that takes samples at the real rate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::film::{clip, spec};
use reelsmith_core::media::playback::{
    AudioDevice, AudioStream, NO_DEVICE_NOTE, Player, SampleQueue, Speed,
};

/// A device that plays nowhere: a thread takes samples at the stream's rate and keeps them.
#[derive(Default)]
struct PacedDevice {
    heard: Arc<Mutex<Vec<f32>>>,
}

struct PacedStream {
    stop: Arc<AtomicBool>,
}

impl AudioStream for PacedStream {}

impl Drop for PacedStream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl AudioDevice for PacedDevice {
    fn open_stream(
        &self,
        rate: u32,
        channels: u16,
        queue: Arc<SampleQueue>,
    ) -> Result<Box<dyn AudioStream>, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let heard = self.heard.clone();
        let flag = stop.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut taken = 0u64;
            let mut buf = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(5));
                let due = (started.elapsed().as_secs_f64() * f64::from(rate)) as u64;
                let frames = (due - taken) as usize;
                taken = due;
                buf.resize(frames * usize::from(channels), 0.0);
                let got = queue.fill(&mut buf);
                heard
                    .lock()
                    .unwrap()
                    .extend_from_slice(&buf[..got * usize::from(channels)]);
            }
        });
        Ok(Box::new(PacedStream { stop }))
    }

    fn name(&self) -> String {
        "paced test device".into()
    }
}

fn wait_until(what: &str, secs: f64, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn rms(s: &[f32]) -> f64 {
    (s.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
}

#[test]
fn the_picture_follows_the_sound() {
    let dir = tempfile::tempdir().unwrap();
    let path = clip(dir.path(), "beeps.mp4", spec(160, 96, 72), Some(80));
    let device = Arc::new(PacedDevice::default());
    let heard = device.heard.clone();
    let player = Player::open(&path, Some(device), || {}).unwrap();
    assert_eq!(player.state().note, None);
    player.play();
    wait_until("a second of sound", 10.0, || {
        heard.lock().unwrap().len() >= 48_000 * 2
    });
    let state = player.state();
    assert!(state.playing && state.sound_on, "{state:?}");
    // The clock is the sound played (within the device's 5 ms steps).
    let played = heard.lock().unwrap().len() as f64 / 2.0 / 48_000.0;
    assert!(
        (state.position - played).abs() < 0.05,
        "clock {} vs sound {played}",
        state.position
    );
    // The picture shows the frame of that moment (the decoder may be a frame behind).
    wait_until("the frame of the moment", 2.0, || {
        let shown = player.latest_frame().map_or(0, |f| f.index) as f64;
        (shown - player.state().position * 24.0).abs() <= 2.0
    });
    // What was heard is the clip's sound from its start: beeping for the first half second.
    let sound = heard.lock().unwrap().clone();
    assert!(
        rms(&sound[2 * 2_400..2 * 21_600]) > 0.02,
        "no beep in 0.05..0.45 s"
    );
    assert!(
        rms(&sound[2 * 26_400..2 * 45_600]) < 0.002,
        "sound in the gap 0.55..0.95 s"
    );

    // Volume and mute act on what is heard, not on the clock.
    player.set_volume(0.5);
    player.seek(0.0);
    let mark = heard.lock().unwrap().len();
    wait_until("a beep at half volume", 5.0, || {
        heard.lock().unwrap().len() >= mark + 2 * 19_200
    });
    let half = rms(&heard.lock().unwrap()[mark + 2 * 2_400..mark + 2 * 19_200]);
    assert!(half > 0.01, "{half}");
    player.set_muted(true);
    player.seek(0.0);
    // A fill the device began before the mute may still add sound: the mark is taken after
    // one more fill has ended, so every sample past it was taken once muted.
    let in_flight = heard.lock().unwrap().len();
    wait_until("a fill after the mute", 5.0, || {
        heard.lock().unwrap().len() > in_flight
    });
    let mark = heard.lock().unwrap().len();
    wait_until("muted sound", 5.0, || {
        heard.lock().unwrap().len() >= mark + 2 * 19_200
    });
    assert_eq!(rms(&heard.lock().unwrap()[mark..mark + 2 * 19_200]), 0.0);
    // Two readings while muted, the seek long done: the clock runs on between them.
    let before = player.state().position;
    let mark = heard.lock().unwrap().len();
    wait_until("more muted sound", 5.0, || {
        heard.lock().unwrap().len() >= mark + 2 * 9_600
    });
    assert!(
        player.state().position > before,
        "the clock runs on while muted"
    );
    assert!(!player.state().sound_on);
    assert_eq!(player.volume(), (0.5, true));
}

#[test]
fn seeking_plays_the_sound_of_the_new_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = clip(dir.path(), "beeps.mp4", spec(160, 96, 96), Some(80));
    let device = Arc::new(PacedDevice::default());
    let heard = device.heard.clone();
    let player = Player::open(&path, Some(device), || {}).unwrap();
    player.seek(1.6);
    player.play();
    let mark = heard.lock().unwrap().len();
    wait_until("sound after the seek", 10.0, || {
        heard.lock().unwrap().len() >= mark + 2 * 38_400
    });
    let after = heard.lock().unwrap()[mark..].to_vec();
    // 1.6..1.95 s is the gap, 2.05..2.4 s the next beep.
    assert!(
        rms(&after[..2 * 16_000]) < 0.002,
        "sound where the clip is quiet"
    );
    assert!(
        rms(&after[2 * 21_600..2 * 38_400]) > 0.02,
        "no beep where the clip beeps"
    );
    assert!(player.state().position > 1.6);
}

#[test]
fn other_speeds_skip_the_sound_and_reverse_runs_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = clip(dir.path(), "beeps.mp4", spec(160, 96, 96), Some(80));
    let device = Arc::new(PacedDevice::default());
    let heard = device.heard.clone();
    let player = Player::open(&path, Some(device), || {}).unwrap();
    player.set_speed(Speed(2.0));
    let start = Instant::now();
    wait_until("two seconds at 2×", 10.0, || {
        player.state().position >= 2.0
    });
    let took = start.elapsed().as_secs_f64();
    assert!(
        (0.8..1.6).contains(&took),
        "2 s of clip took {took} s at 2×"
    );
    assert!(!player.state().sound_on);
    assert!(heard.lock().unwrap().is_empty(), "sound was played at 2×");
    player.set_speed(Speed(-1.0));
    let at = player.state().position;
    std::thread::sleep(Duration::from_millis(400));
    let now = player.state().position;
    assert!(now < at - 0.2, "reverse went from {at} to {now}");
    // K pauses; J/L pick the speeds.
    player.pause();
    std::thread::sleep(Duration::from_millis(50));
    let paused = player.state();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(player.state().position, paused.position);
    assert!(!paused.playing);
    assert_eq!(Speed::after_l(Some(Speed(2.0))), Speed(4.0));
}

#[test]
fn without_a_device_it_plays_silent_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = clip(dir.path(), "beeps.mp4", spec(160, 96, 48), Some(80));
    let player = Player::open(&path, None, || {}).unwrap();
    assert_eq!(player.state().note.as_deref(), Some(NO_DEVICE_NOTE));
    player.play();
    let start = Instant::now();
    wait_until("the end", 10.0, || {
        !player.state().playing && player.state().position > 1.9
    });
    let took = start.elapsed().as_secs_f64();
    assert!((1.7..3.5).contains(&took), "2 s played in {took} s");
    assert!(!player.state().sound_on);

    // A device that refuses gives the same note, not an error.
    struct Broken;
    impl AudioDevice for Broken {
        fn open_stream(
            &self,
            _: u32,
            _: u16,
            _: Arc<SampleQueue>,
        ) -> Result<Box<dyn AudioStream>, String> {
            Err("no sound card".into())
        }
        fn name(&self) -> String {
            "broken".into()
        }
    }
    let player = Player::open(&path, Some(Arc::new(Broken)), || {}).unwrap();
    assert_eq!(player.state().note.as_deref(), Some(NO_DEVICE_NOTE));
    // A clip without sound has no note to show.
    let quiet = clip(dir.path(), "quiet.mp4", spec(160, 96, 24), None);
    let player = Player::open(&quiet, None, || {}).unwrap();
    assert_eq!(player.state().note, None);
}

#[test]
fn a_command_reads_back_at_once_before_the_clock_thread_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = clip(dir.path(), "quick.mp4", spec(160, 96, 48), Some(40));
    let player = Player::open(&path, Some(Arc::new(PacedDevice::default())), || {}).unwrap();
    // Two L presses in a row, as fast as a key repeat: the second must see the first.
    for expected in [1.0, 2.0, 4.0, 4.0] {
        let now = player.state();
        player.set_speed(Speed::after_l(now.playing.then_some(now.speed)));
        player.play();
        let asked = player.state();
        assert!(asked.playing, "playing as soon as asked");
        assert_eq!(asked.speed, Speed(expected));
        if expected != 1.0 {
            assert!(!asked.sound_on, "no sound at {expected}× as soon as asked");
        }
    }
    player.pause();
    let paused = player.state();
    assert!(!paused.playing, "paused as soon as asked");
    assert!(!paused.sound_on, "no sound once paused");
    // Once the thread has applied them, its own report says the same.
    std::thread::sleep(Duration::from_millis(100));
    let applied = player.state();
    assert!(!applied.playing);
    assert_eq!(applied.speed, Speed(4.0));
    // Once sound plays at 1×, a faster speed is silent as soon as asked, not once applied.
    player.set_speed(Speed::NORMAL);
    player.play();
    wait_until("sound at 1×", 5.0, || player.state().sound_on);
    player.set_speed(Speed(2.0));
    assert!(!player.state().sound_on, "no sound at 2× as soon as asked");
    player.pause();
    // A J after that goes backward at once (the thread then stops it at the clip's start).
    player.set_speed(Speed::after_j(None));
    assert_eq!(player.state().speed, Speed(-1.0));
}
