//! Reading the configuration file again, and carrying out the [`plan`] of what changed.

use super::{LogLevelChange, Plan, plan};
use crate::call_routing::CallRoutes;
use crate::config::{Config, ConfigError};
use crate::dial_policy::DialPolicy;
use crate::executor::GuestExecutor;
use crate::host_api::CoreHost;
use crate::log_level::{self, LogLevel};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tracing::{error, info, warn};
use tracing_subscriber::EnvFilter;

/// Where the configuration is read again from, and when.
pub struct Reloads {
    /// The file the server started with.
    pub file: PathBuf,
    /// Whether `RUST_LOG` set the log filter at start: `log.level` then changes nothing.
    pub rust_log_rules: bool,
    /// Notified for each reload asked for.
    pub asked: Arc<Notify>,
}

/// What a reload changes in the running server, and the configuration it runs.
pub struct Reloader {
    file: PathBuf,
    rust_log_rules: bool,
    /// The configuration as applied: as read at start, with what reloads applied since.
    running: Config,
    executor: Arc<GuestExecutor>,
    host: Arc<CoreHost>,
    log: LogLevel,
}

/// What a plan's applied sections are made of, checked before any is applied.
struct Compiled {
    routes: Option<CallRoutes>,
    dial_policy: Option<DialPolicy>,
    log_filter: Option<EnvFilter>,
}

impl Reloader {
    /// A reloader of `reloads.file` for a server running `running`, routing through
    /// `executor`, placing calls through `host`, logging through `log`.
    pub fn new(
        reloads: &Reloads,
        running: Config,
        executor: Arc<GuestExecutor>,
        host: Arc<CoreHost>,
        log: LogLevel,
    ) -> Reloader {
        Reloader {
            file: reloads.file.clone(),
            rust_log_rules: reloads.rust_log_rules,
            running,
            executor,
            host,
            log,
        }
    }

    /// Reads the file again, checked as at start. A file that does not load is logged as
    /// at start, and nothing changes; else what may change while calls are up is applied,
    /// each key changed is logged (applied, or waiting for the next restart) and a summary
    /// line ends the reload.
    pub fn reload(&mut self) {
        info!(
            "SIGHUP: reading the configuration again from {}",
            self.file.display()
        );
        let (plan, compiled) = match Config::load(&self.file)
            .and_then(|new| self.checked_plan(&new))
        {
            Ok(checked) => checked,
            Err(e) => {
                error!("{e}");
                warn!("configuration not reloaded: the running configuration is kept, unchanged");
                return;
            }
        };
        self.apply(compiled);
        log_plan(&plan);
        info!(
            "configuration reloaded from {}: applied: {}; {} changed key(s) wait for the next \
             restart",
            self.file.display(),
            listed(&plan.applied_sections()),
            plan.waiting.len()
        );
        self.running = plan.running;
    }

    /// The plan of `new` over the running configuration, with what it applies compiled.
    fn checked_plan(&self, new: &Config) -> Result<(Plan, Compiled), ConfigError> {
        let plan = plan(&self.running, new, self.rust_log_rules);
        let compiled = self.compile(&plan)?;
        Ok((plan, compiled))
    }

    /// What `plan` applies, compiled as at start; an error is located in the file. (The
    /// file's checks compiled it already: an error is a file changed in between.)
    fn compile(&self, plan: &Plan) -> Result<Compiled, ConfigError> {
        let at_key = |(key, message)| ConfigError::at_key(&self.file, key, message);
        let routes = plan
            .routing_rules
            .as_ref()
            .map(|rules| CallRoutes::new(rules, &self.running.routing.guest))
            .transpose()
            .map_err(at_key)?;
        let dial_policy = plan
            .dialout
            .as_ref()
            .map(|dialout| DialPolicy::new(dialout.allow.as_deref(), dialout.max_per_second))
            .transpose()
            .map_err(at_key)?;
        let log_filter = match &plan.log_level {
            LogLevelChange::Apply(level) => Some(log_level::parse_filter(level).map_err(|e| {
                ConfigError::at_key(&self.file, "log.level".to_owned(), e.to_string())
            })?),
            LogLevelChange::Unchanged | LogLevelChange::RustLogRules(_) => None,
        };
        Ok(Compiled {
            routes,
            dial_policy,
            log_filter,
        })
    }

    /// Puts `compiled` in the running server's place.
    fn apply(&self, compiled: Compiled) {
        if let Some(routes) = compiled.routes {
            self.executor.set_routes(routes);
        }
        if let Some(policy) = compiled.dial_policy {
            self.host.dial_policy().adopt(policy);
        }
        if let Some(filter) = compiled.log_filter
            && let Err(e) = self.log.replace(filter)
        {
            error!("log.level: cannot change the log filter: {e}");
        }
    }
}

/// Logs each key `plan` applies or leaves waiting.
fn log_plan(plan: &Plan) {
    for key in &plan.applied {
        info!("{key}: changed: applied");
    }
    if let LogLevelChange::RustLogRules(level) = &plan.log_level {
        info!(
            "log.level: changed to {level:?}, not applied: RUST_LOG set the log filter at start \
             and rules it"
        );
    }
    for waiting in &plan.waiting {
        match &waiting.why {
            Some(why) => warn!(
                "{}: changed: applies at the next restart ({why})",
                waiting.key
            ),
            None => warn!(
                "{}: changed: applies at the next restart; the running value is kept",
                waiting.key
            ),
        }
    }
}

/// `items` separated by commas, or `none`.
fn listed(items: &[&str]) -> String {
    match items {
        [] => "none".to_owned(),
        items => items.join(", "),
    }
}

/// Runs `reloader` once for each notification of `asked`, each reload after the
/// one before has ended (a request during a reload runs after it; several, once).
pub async fn serve(reloader: Reloader, asked: Arc<Notify>) {
    let reloader = Arc::new(Mutex::new(reloader));
    loop {
        asked.notified().await;
        let reloader = reloader.clone();
        // Off the async threads: the file may be on a slow disk.
        let reloaded = tokio::task::spawn_blocking(move || {
            reloader.lock().unwrap_or_else(|p| p.into_inner()).reload();
        });
        if let Err(e) = reloaded.await {
            error!("the configuration reload: {e}");
        }
    }
}
