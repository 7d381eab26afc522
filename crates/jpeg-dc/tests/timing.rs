//! How long one large photo-like JPEG takes, to check that a change keeps the decoder's speed
//! (the thumbnail benchmark at the workspace root needs the whole workspace):
//! `cargo test -p jpeg-dc --release --test timing -- --ignored --nocapture`.

mod support;

use std::time::{Duration, Instant};

#[test]
#[ignore]
fn decode_time_of_a_noisy_4000x3000_q90_photo() {
    let jpeg = support::noisy_jpeg(4000, 3000, 90);
    let decode = || std::hint::black_box(jpeg_dc::decode_eighth(std::hint::black_box(&jpeg)));
    let (w, h, _) = decode().expect("handled");
    assert_eq!((w, h), (500, 375));
    let mut times: Vec<Duration> = (0..15)
        .map(|_| {
            let start = Instant::now();
            decode();
            start.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} bytes: min {:.2} ms, median {:.2} ms, max {:.2} ms per decode",
        jpeg.len(),
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
    );
}
