//! One-shot background work for the window, panic-proof.
//!
//! poll-promise re-raises a task's panic on the thread that polls it, which is the UI thread:
//! one hostile file would take the window down. Tasks started here catch their own panic and
//! answer with what `on_panic` makes of it instead (an error on the tile, a toast), and wake
//! the UI either way.

use std::panic::AssertUnwindSafe;

use poll_promise::Promise;

/// The message of a caught panic.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs `work` on tokio's blocking pool; a panic becomes `on_panic(message)`. Requests a
/// repaint of `ctx` once the answer is in the promise.
pub fn blocking<T, W, P>(ctx: &egui::Context, work: W, on_panic: P) -> Promise<T>
where
    T: Send + 'static,
    W: FnOnce() -> T + Send + 'static,
    P: FnOnce(String) -> T + Send + 'static,
{
    blocking_then(ctx, work, on_panic, || {})
}

/// [`blocking`], calling `then` after the answer is in the promise and before the repaint (to
/// raise a flag the UI looks at): waking the UI earlier could make it look too soon and then
/// sleep with the answer unread.
pub fn blocking_then<T, W, P, D>(ctx: &egui::Context, work: W, on_panic: P, then: D) -> Promise<T>
where
    T: Send + 'static,
    W: FnOnce() -> T + Send + 'static,
    P: FnOnce(String) -> T + Send + 'static,
    D: FnOnce() + Send + 'static,
{
    let ctx = ctx.clone();
    let (sender, promise) = Promise::new();
    tokio::task::spawn_blocking(move || {
        let out = std::panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
            let message = panic_message(&*panic);
            tracing::error!("a background task panicked: {message}");
            on_panic(message)
        });
        sender.send(out);
        then();
        ctx.request_repaint();
    });
    promise
}

/// Runs `fut` on the runtime; a panic becomes `on_panic(message)`. Requests a repaint of `ctx`
/// once the answer is in the promise.
pub fn spawn_async<T, F, P>(ctx: &egui::Context, fut: F, on_panic: P) -> Promise<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
    P: FnOnce(String) -> T + Send + 'static,
{
    let ctx = ctx.clone();
    let (sender, promise) = Promise::new();
    let task = tokio::spawn(fut);
    tokio::spawn(async move {
        let out = match task.await {
            Ok(out) => out,
            Err(e) => {
                let message = match e.try_into_panic() {
                    Ok(panic) => panic_message(&*panic),
                    Err(_) => "it was cancelled".into(),
                };
                tracing::error!("a background task stopped: {message}");
                on_panic(message)
            }
        };
        sender.send(out);
        ctx.request_repaint();
    });
    promise
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_task_answers_instead_of_panicking_its_poller() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let ctx = egui::Context::default();
        let p: Promise<Result<u32, String>> = blocking(
            &ctx,
            || panic!("decoder bug"),
            |m| Err(format!("crashed: {m}")),
        );
        assert_eq!(p.block_and_take(), Err("crashed: decoder bug".to_string()));
        let ok = blocking(&ctx, || 7, |_| 0);
        assert_eq!(ok.block_and_take(), 7);
        let p: Promise<Result<u32, String>> =
            spawn_async(&ctx, async { panic!("fetch bug") }, |m| {
                Err(format!("crashed: {m}"))
            });
        assert_eq!(p.block_and_take(), Err("crashed: fetch bug".to_string()));
        assert_eq!(spawn_async(&ctx, async { 8 }, |_| 0).block_and_take(), 8);
    }
}
