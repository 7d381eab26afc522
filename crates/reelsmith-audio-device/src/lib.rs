//! The system's sound output for reelsmith's player: the core's
//! [`AudioDevice`](reelsmith_core::media::playback::AudioDevice) on cpal's default output
//! device (ALSA on Linux, WASAPI on Windows, CoreAudio on macOS).
//!
//! Each stream lives on its own thread (cpal's streams are not `Send` everywhere); dropping the
//! handle stops it. A device that cannot play the clip's rate or layout gets the nearest it
//! can, converted here (channels mixed or copied, the rate resampled linearly).

#![forbid(unsafe_code)]

mod convert;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, OutputCallbackInfo, SampleFormat, SizedSample, StreamConfig};
use reelsmith_core::media::playback::{AudioDevice, AudioStream, SampleQueue};

pub use convert::Converter;

/// The default output device, or `None` when the system has none (a headless machine).
pub fn system_output() -> Option<Arc<dyn AudioDevice>> {
    let host = cpal::default_host();
    let device = host.default_output_device()?;
    let name = device
        .description()
        .map(|d| format!("{d:?}"))
        .unwrap_or_else(|_| "the default output".into());
    Some(Arc::new(SystemOutput {
        device: Mutex::new(device),
        name,
    }))
}

/// The system's default sound output.
pub struct SystemOutput {
    device: Mutex<cpal::Device>,
    name: String,
}

struct Stream {
    stop: Arc<AtomicBool>,
    latency_ns: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl AudioStream for Stream {
    fn latency(&self) -> Duration {
        Duration::from_nanos(self.latency_ns.load(Ordering::Relaxed))
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("the sound output thread panicked");
        }
    }
}

impl AudioDevice for SystemOutput {
    fn open_stream(
        &self,
        rate: u32,
        channels: u16,
        queue: Arc<SampleQueue>,
    ) -> Result<Box<dyn AudioStream>, String> {
        let device = self
            .device
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let stop = Arc::new(AtomicBool::new(false));
        let latency_ns = Arc::new(AtomicU64::new(0));
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let thread = {
            let stop = stop.clone();
            let latency_ns = latency_ns.clone();
            std::thread::Builder::new()
                .name("sound-output".into())
                .spawn(move || {
                    let stream = match build(&device, rate, channels, queue, latency_ns) {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    drop(stream);
                })
                .map_err(|e| format!("the sound thread could not start: {e}"))?
        };
        match ready_rx.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok(())) => Ok(Box::new(Stream {
                stop,
                latency_ns,
                thread: Some(thread),
            })),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                stop.store(true, Ordering::Relaxed);
                Err(format!("{} did not start in time", self.name))
            }
        }
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

/// Picks a configuration (the clip's rate and channels if the device has them, else its
/// default) and starts the stream.
fn build(
    device: &cpal::Device,
    rate: u32,
    channels: u16,
    queue: Arc<SampleQueue>,
    latency_ns: Arc<AtomicU64>,
) -> Result<cpal::Stream, String> {
    let configs: Vec<_> = device
        .supported_output_configs()
        .map_err(|e| format!("the sound device cannot be asked what it plays: {e}"))?
        .collect();
    let exact = configs.iter().find(|c| {
        c.channels() == channels
            && (c.min_sample_rate()..=c.max_sample_rate()).contains(&rate)
            && matches!(c.sample_format(), SampleFormat::F32 | SampleFormat::I16)
    });
    let chosen = match exact {
        Some(c) => c.with_sample_rate(rate),
        None => device
            .default_output_config()
            .map_err(|e| format!("the sound device has no usable configuration: {e}"))?,
    };
    let format = chosen.sample_format();
    let config: StreamConfig = chosen.into();
    let converter = Converter::new(rate, channels, config.sample_rate, config.channels);
    match format {
        SampleFormat::F32 => start::<f32>(device, config, converter, queue, latency_ns),
        SampleFormat::I16 => start::<i16>(device, config, converter, queue, latency_ns),
        SampleFormat::I32 => start::<i32>(device, config, converter, queue, latency_ns),
        SampleFormat::U16 => start::<u16>(device, config, converter, queue, latency_ns),
        other => Err(format!(
            "the sound device wants {other} samples, which reelsmith does not write"
        )),
    }
}

fn start<T>(
    device: &cpal::Device,
    config: StreamConfig,
    mut converter: Converter,
    queue: Arc<SampleQueue>,
    latency_ns: Arc<AtomicU64>,
) -> Result<cpal::Stream, String>
where
    T: SizedSample + FromSample<f32>,
{
    let mut mixed: Vec<f32> = Vec::new();
    let stream = device
        .build_output_stream(
            config,
            move |data: &mut [T], info: &OutputCallbackInfo| {
                let ts = info.timestamp();
                if let Some(d) = ts.playback.checked_duration_since(ts.callback) {
                    latency_ns.store(d.as_nanos() as u64, Ordering::Relaxed);
                }
                mixed.resize(data.len(), 0.0);
                converter.render(&queue, &mut mixed);
                for (o, s) in data.iter_mut().zip(&mixed) {
                    *o = T::from_sample(*s);
                }
            },
            |e| tracing::warn!("sound output: {e}"),
            None,
        )
        .map_err(|e| format!("the sound device refused the stream: {e}"))?;
    stream
        .play()
        .map_err(|e| format!("the sound device would not start: {e}"))?;
    Ok(stream)
}
