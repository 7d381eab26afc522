//! The app's background work: the simulator, the engine's (re)starts and every task's answer,
//! polled at the start of each frame without waiting.

use super::tasks::TaskKind;
use super::*;

impl StudioApp {
    pub(super) fn use_simulator(&mut self, sim: Arc<reelsmith_sim::Simulator>) {
        self.config.service = Service::simulator(sim);
        self.apply_sim_timing();
        // Benchmark hook: jobs that all run at once and outlast the measurement.
        let demo_jobs = crate::ui::startup::demo_job_count();
        if demo_jobs > 0 {
            self.pending_demo_jobs = demo_jobs;
        }
        let Some(sim) = self.config.service.simulator.clone() else {
            return;
        };
        let key = ResolvedKey {
            key: ApiKey::new(sim.key()),
            source: KeySource::Simulator,
            origin: sim.base_url(),
        };
        self.key = Some(key);
        self.key_problem = None;
        self.screen = Screen::Studio;
        self.restart_engine();
    }

    /// Starts the in-process simulator in the background (once at a time), then uses it.
    pub(super) fn start_simulator(&mut self) {
        if self.tasks.busy(TaskKind::Simulator) {
            return;
        }
        self.tasks.spawn(
            TaskKind::Simulator,
            "Starting the simulator",
            async {
                reelsmith_sim::Simulator::start(reelsmith_sim::SimConfig::default())
                    .await
                    .map(Arc::new)
                    .map_err(|e| format!("The simulator could not start: {e}"))
            },
            |app: &mut StudioApp, r| match r.and_then(|started| started) {
                Ok(sim) => {
                    app.use_simulator(sim);
                    app.toast(
                        Tone::Waiting,
                        "Simulator started: jobs run locally and cost nothing.",
                    );
                }
                Err(e) => {
                    app.welcome.error = Some(e.clone());
                    app.toast(Tone::Danger, e);
                }
            },
        );
    }

    /// Gives the simulator the timing of the shared settings (the demo hook's, when set).
    pub(super) fn apply_sim_timing(&self) {
        let Some(sim) = &self.config.service.simulator else {
            return;
        };
        if crate::ui::startup::demo_job_count() > 0 {
            sim.set_timing(Duration::ZERO, crate::ui::startup::DEMO_RUN_TIME);
        } else {
            let (queue, run) = self.engine.settings().sim_timing();
            sim.set_timing(queue, run);
        }
    }

    /// Submits `count` text-to-video jobs (see [`crate::ui::startup::DEMO_JOBS_ENV`]).
    pub(super) fn queue_demo_jobs(&mut self, count: u32) {
        let Some(Ok(model)) = self
            .catalog
            .as_ref()
            .map(|c| c.model(crate::ui::startup::DEMO_ENDPOINT))
        else {
            return;
        };
        let mut state = FormState::from_defaults(&model);
        state.values.insert(
            "prompt".into(),
            schema::FieldValue::Text("A lighthouse at dusk, waves rolling in".into()),
        );
        if let Err(e) = self.engine.submit(&model, &state, count, false) {
            self.toast(Tone::Danger, e);
        }
    }

    /// Restarts the engine with the key in use (none: the engine stops), in the background.
    pub(crate) fn restart_engine(&mut self) {
        let target = self.key.as_ref().map(|k| Target {
            urls: self.config.service.urls.clone(),
            key: k.key.clone(),
            simulated: self.config.service.is_simulated(),
        });
        let key = target.as_ref().map(|t| t.key.clone());
        self.engine.connect(target);
        let sidebar = self.entries.iter().map(|e| e.endpoint_id.clone()).collect();
        self.money
            .connect(&self.config, key, self.engine.journal(), sidebar);
    }

    /// The output folder in use.
    pub fn output_dir(&self) -> PathBuf {
        self.engine.output_dir(&self.config.default_output_dir)
    }

    pub(super) fn poll_background(&mut self) {
        // Each finished task's module applies its answer.
        for apply in self.tasks.poll() {
            apply(self);
        }
        let notices = self.engine.poll();
        if !notices.is_empty() {
            // A job finished or failed: what was spent may have changed.
            self.money.refresh_spend();
        }
        for notice in notices {
            self.toast(notice.tone, notice.text);
        }
        if self.money.poll() {
            self.invalidate();
        }
        crate::ui::model_browser::poll(
            &mut self.browser,
            &self.money,
            &self.config.cache_dir,
            &mut self.tasks,
        );
        if self.engine.take_just_opened() {
            // The journal opens in the background, maybe after the first connect.
            if let Some(journal) = self.engine.journal() {
                self.money.set_journal(journal);
            }
            self.apply_sim_timing();
            if self.pending_demo_jobs > 0 {
                // The demo's jobs all run at once (fresh folders: nothing of the user's changes).
                let mut settings = self.engine.settings().clone();
                settings.jobs_in_flight = settings.jobs_in_flight.max(self.pending_demo_jobs);
                self.engine.apply_settings(settings, true);
            }
        }
        if self.pending_demo_jobs > 0 && self.engine.is_ready() && self.engine.status().is_none() {
            let count = std::mem::take(&mut self.pending_demo_jobs);
            self.queue_demo_jobs(count);
        }
        crate::ui::gallery::poll_background(self);
        if self.thumbs.poll() {
            self.invalidate();
        }
        for (field, items) in self.inbox.poll() {
            self.add_media(&field, items);
        }
    }
}
