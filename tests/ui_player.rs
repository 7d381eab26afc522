//! GUI tests of the player with sound: egui_kittest drives the real window with a counting
//! sound device (and with none), on clips with AAC sound imported into a real library.

mod ui_support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use reelsmith::ui::StudioApp;
use reelsmith::ui::app::View;
use reelsmith_core::media::playback::{AudioDevice, AudioStream, SampleQueue};
use ui_support::*;

/// A sound device that plays in real time into nothing, counting what it was given.
struct CountingDevice {
    loud: Arc<AtomicU64>,
    played: Arc<AtomicU64>,
}

struct CountingStream {
    stop: Arc<AtomicBool>,
}

impl AudioStream for CountingStream {}

impl Drop for CountingStream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl AudioDevice for CountingDevice {
    fn open_stream(
        &self,
        rate: u32,
        channels: u16,
        queue: Arc<SampleQueue>,
    ) -> Result<Box<dyn AudioStream>, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let (loud, played, s) = (self.loud.clone(), self.played.clone(), stop.clone());
        std::thread::spawn(move || {
            let frames = (rate / 100) as usize;
            let mut buf = vec![0f32; frames * usize::from(channels)];
            while !s.load(Ordering::Relaxed) {
                queue.fill(&mut buf);
                played.fetch_add(frames as u64, Ordering::Relaxed);
                let n = buf.iter().filter(|v| v.abs() > 1e-4).count();
                loud.fetch_add(n as u64, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Ok(Box::new(CountingStream { stop }))
    }

    fn name(&self) -> String {
        "counting device".into()
    }
}

#[test]
fn the_preview_plays_the_clips_sound_and_answers_space_jkl_volume_and_mute() {
    let env = board_env();
    let _rt = env.rt.enter();
    let mut config = env.config();
    let loud = Arc::new(AtomicU64::new(0));
    let played = Arc::new(AtomicU64::new(0));
    let device: Arc<dyn AudioDevice> = Arc::new(CountingDevice {
        loud: loud.clone(),
        played: played.clone(),
    });
    let opened = Arc::new(Mutex::new(0));
    let count = opened.clone();
    config.sound = Arc::new(move || {
        *count.lock().unwrap() += 1;
        Some(device.clone())
    });
    let clip = env.clip("beeps.mp4", 320, 176, 96);
    env.import_clips(&config, &[clip]);
    let mut h = board_window(config);
    step_until(&mut h, "the library", Duration::from_secs(10), |a| {
        a.engine.library().len() == 1
    });
    h.state_mut().persisted.view = View::Gallery;
    settle(&mut h);
    h.get_by_label_contains("Video:").click();
    settle(&mut h);
    h.get_by_label("Play preview").click();
    let player = |a: &StudioApp| a.gallery.player.as_ref().and_then(|p| p.view());
    step_until(
        &mut h,
        "the clip plays with sound",
        Duration::from_secs(20),
        |a| player(a).is_some_and(|v| v.state.playing && v.state.sound_on),
    );
    step_until(
        &mut h,
        "the device hears the beeps",
        Duration::from_secs(10),
        |_| loud.load(Ordering::Relaxed) > 1000,
    );
    assert!(
        player(h.state()).unwrap().state.note.is_none(),
        "no note with a device"
    );

    // Space pauses; L plays forward, twice as fast on the second press (and without sound).
    h.key_press(egui::Key::Space);
    step_until(&mut h, "paused", Duration::from_secs(5), |a| {
        player(a).is_some_and(|v| !v.state.playing)
    });
    h.key_press(egui::Key::L);
    h.step();
    h.key_press(egui::Key::L);
    step_until(&mut h, "2× forward", Duration::from_secs(5), |a| {
        player(a).is_some_and(|v| v.state.playing && (v.state.speed.0 - 2.0).abs() < 1e-9)
    });
    assert!(!player(h.state()).unwrap().state.sound_on, "no sound at 2×");
    h.key_press(egui::Key::K);
    step_until(&mut h, "K pauses", Duration::from_secs(5), |a| {
        player(a).is_some_and(|v| !v.state.playing)
    });

    // Mute and volume go to the sound.
    h.get_by_label("Mute").click();
    step_until(&mut h, "muted", Duration::from_secs(5), |a| {
        player(a).is_some_and(|v| v.muted)
    });
    h.get_by_label("Mute").click();
    step_until(&mut h, "unmuted", Duration::from_secs(5), |a| {
        player(a).is_some_and(|v| !v.muted)
    });
    // The volume slider: keyboard Left lowers it.
    h.get_by_label("Volume").focus();
    h.step();
    for _ in 0..5 {
        h.key_press(egui::Key::ArrowLeft);
        h.step();
    }
    step_until(&mut h, "quieter", Duration::from_secs(5), |a| {
        player(a).is_some_and(|v| v.volume < 1.0)
    });
    assert_eq!(*opened.lock().unwrap(), 1, "the device is looked up once");
    assert!(played.load(Ordering::Relaxed) > 0);
}

#[test]
fn without_a_device_the_player_plays_silent_with_a_note() {
    let env = board_env();
    let _rt = env.rt.enter();
    let config = env.config();
    let clip = env.clip("quiet.mp4", 320, 176, 24);
    env.import_clips(&config, &[clip]);
    let mut h = board_window(config);
    h.state_mut().persisted.view = View::Gallery;
    settle(&mut h);
    h.get_by_label_contains("Video:").click();
    settle(&mut h);
    h.get_by_label("Play preview").click();
    step_until(&mut h, "the clip plays", Duration::from_secs(20), |a| {
        a.gallery
            .player
            .as_ref()
            .and_then(|p| p.view())
            .is_some_and(|v| v.state.position > 0.3 || !v.state.playing)
    });
    h.get_by_label("No audio device: playing silent");
}
