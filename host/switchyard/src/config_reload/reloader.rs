//! Reading the configuration file again, and carrying out the [`plan`] of what changed.

use super::report::{Failure, LoadedGuest, Outcome, RefusedGuest, Report};
use super::requests::{Asker, Reload, ReloadAsker, ReloadQueue, reload_channel};
use super::stats::ReloadStats;
use super::{GuestLoad, LogLevelChange, Plan, plan, plan_token_changes, tokens_kept};
use crate::call_routing::CallRoutes;
use crate::config::{Config, ConfigError};
use crate::control::access_rule;
use crate::dial_policy::DialPolicy;
use crate::executor::GuestExecutor;
use crate::guest_control::GuestSwitch;
use crate::guest_loader::GuestSettings;
use crate::host_api::CoreHost;
use crate::log_level::{self, LogLevel};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;
use switchyard_control::access::Access;
use tracing::{error, info, warn};
use tracing_subscriber::EnvFilter;

/// Where the configuration is read again from, and when.
pub struct Reloads {
    /// The file the server started with.
    pub file: PathBuf,
    /// Whether `RUST_LOG` set the log filter at start: `log.level` then changes nothing.
    pub rust_log_rules: bool,
    /// Where reloads are asked for.
    pub asker: ReloadAsker,
    /// The reloads asked for, for the reload task.
    pub queue: ReloadQueue,
}

impl Reloads {
    /// Reloads of `file`, none asked for yet; `rust_log_rules` when `RUST_LOG` set the log
    /// filter at start.
    pub fn new(file: PathBuf, rust_log_rules: bool) -> Reloads {
        let (asker, queue) = reload_channel();
        Reloads {
            file,
            rust_log_rules,
            asker,
            queue,
        }
    }
}

/// What a reload changes in the running server, and the configuration it runs.
pub struct Reloader {
    file: PathBuf,
    rust_log_rules: bool,
    /// The configuration as applied: as read at start, with what reloads applied since.
    running: Config,
    executor: Arc<GuestExecutor>,
    guests: GuestSwitch,
    host: Arc<CoreHost>,
    log: LogLevel,
    stats: Arc<ReloadStats>,
    /// The control endpoint's access rule, shared with the endpoint.
    access: Access,
}

/// What a plan's applied sections are made of, checked before any is applied.
struct Compiled {
    routes: Option<CallRoutes>,
    dial_policy: Option<DialPolicy>,
    log_filter: Option<EnvFilter>,
    access: Option<Access>,
}

impl Reload for Reloader {
    /// Reads the file again for `asker` ([`Reloader::read_and_apply`]), counts the reload in
    /// the stats and gives `asker` its outcome.
    async fn reload(&mut self, asker: Asker) {
        let outcome = self.read_and_apply(asker.name()).await;
        self.stats.record(&outcome, SystemTime::now());
        asker.answer(outcome);
    }
}

impl Reloader {
    /// A reloader of `reloads.file` for a server running `running`, routing through
    /// `executor`, loading guests' versions through `guests`, placing calls through `host`,
    /// logging through `log`, counting each reload in `stats`, changing the tokens of the
    /// control endpoint's `access` (a clone of the endpoint's).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        reloads: &Reloads,
        running: Config,
        executor: Arc<GuestExecutor>,
        guests: GuestSwitch,
        host: Arc<CoreHost>,
        log: LogLevel,
        stats: Arc<ReloadStats>,
        access: Access,
    ) -> Reloader {
        Reloader {
            file: reloads.file.clone(),
            rust_log_rules: reloads.rust_log_rules,
            running,
            executor,
            guests,
            host,
            log,
            stats,
            access,
        }
    }

    /// Reads the file again, checked as at start. A file that does not load is logged as
    /// at start, and nothing changes; else what may change while calls are up is applied,
    /// each key changed is logged (applied, or waiting for the next restart), a new version
    /// of each guest whose settings changed is loaded ([`Reloader::load_guests`]) and a
    /// summary line ends the reload: what it did, or why it changed nothing. `asker` names
    /// who asked for it in the log.
    async fn read_and_apply(&mut self, asker: &str) -> Outcome {
        info!(
            "{asker}: reading the configuration again from {}",
            self.file.display()
        );
        let (file, running, rust_log_rules, serving) = (
            self.file.clone(),
            self.running.clone(),
            self.rust_log_rules,
            self.access.clone(),
        );
        // Off the async threads: the files may be on a slow disk.
        let read = tokio::task::spawn_blocking(move || {
            read_plan(&file, &running, rust_log_rules, &serving)
        })
        .await;
        let (mut plan, mut compiled) = match read {
            Ok(Ok(checked)) => checked,
            Ok(Err(e)) => {
                error!("{e}");
                warn!("configuration not reloaded: the running configuration is kept, unchanged");
                return Err(Failure::NotLoaded(e.to_string()));
            }
            Err(e) => {
                error!("the configuration reload: {e}");
                return Err(Failure::Internal);
            }
        };
        // Last: a filter quieter than info would hide this reload's own report.
        let log_filter = compiled.log_filter.take();
        self.apply(compiled, &plan);
        log_plan(&plan);
        let mut report = Report::new(self.file.clone());
        report
            .applied
            .extend(plan.applied_sections().into_iter().map(str::to_owned));
        self.load_guests(&mut plan, &mut report).await;
        info!(
            "configuration reloaded from {}: applied: {}; {} changed key(s) wait for the next \
             restart",
            self.file.display(),
            listed(&report.applied),
            plan.waiting.len()
        );
        report.waiting = plan.waiting;
        self.running = plan.running;
        if let Some(filter) = log_filter
            && let Err(e) = self.log.replace(filter)
        {
            error!("log.level: cannot change the log filter: {e}");
        }
        Ok(report)
    }

    /// Loads a new version of each guest of `plan.guests`, in order, with its new settings,
    /// adding to `report` each table loaded (`[guests.webconference]`) and its version, or
    /// the guest's refusal. A guest that refuses them keeps its running version and its
    /// running entry, in `plan.running` too, so that the next reload tries them again.
    async fn load_guests(&self, plan: &mut Plan, report: &mut Report) {
        for load in std::mem::take(&mut plan.guests) {
            let settings = GuestSettings {
                entry: load.entry.clone(),
                limits: plan.running.guest_limits(&load.name),
            };
            let host = self.host.clone();
            match self
                .guests
                .load_settings(load.name.clone(), settings, host)
                .await
            {
                Ok(version) => {
                    log_loaded(&load, version);
                    report.applied.push(format!("[{}]", load.table));
                    report.guests.push(LoadedGuest {
                        name: load.name,
                        version,
                    });
                }
                Err(fault) => {
                    warn!(
                        "{}: new settings not loaded: {}; the running version and settings are \
                         kept, and tried again at the next reload",
                        load.table, fault.message
                    );
                    if let Some(entry) = self.running.guests.get(&load.name) {
                        plan.running.guests.insert(load.name.clone(), entry.clone());
                    }
                    report.refused.push(RefusedGuest {
                        name: load.name,
                        message: fault.message,
                    });
                }
            }
        }
    }

    /// Puts `compiled` (but its log filter, which the reload sets once it has logged what it
    /// did), and the routing guest of `plan`, in the running server's place: the control
    /// endpoint's next requests are checked against its tokens.
    fn apply(&self, compiled: Compiled, plan: &Plan) {
        if let Some(routes) = compiled.routes {
            self.executor.set_routes(routes);
        }
        // Beside the routes, which name it for the calls no rule matches.
        if let Some(guest) = &plan.routing_guest {
            self.guests.set_routing(guest);
        }
        if let Some(policy) = compiled.dial_policy {
            self.host.dial_policy().adopt(policy);
        }
        if let Some(access) = compiled.access {
            self.access.adopt(&access);
        }
    }
}

/// `file` read again, planned over `running` ([`plan`]) and the tokens of the control
/// endpoint's `serving` rule ([`read_tokens`]), with what the plan applies compiled.
fn read_plan(
    file: &Path,
    running: &Config,
    rust_log_rules: bool,
    serving: &Access,
) -> Result<(Plan, Compiled), ConfigError> {
    let new = Config::load_again(file)?;
    let mut plan = plan(running, &new, rust_log_rules);
    let access = read_tokens(file, &mut plan, serving)?;
    let compiled = compile(file, &plan, access)?;
    Ok((plan, compiled))
}

/// The access rule of the token files `plan` runs with, read now, when it is to replace
/// `serving`: their paths changed, or a token in them ([`plan_token_changes`]). None when
/// `plan` keeps the running tokens ([`tokens_kept`]). An error is located in `file`.
fn read_tokens(
    file: &Path,
    plan: &mut Plan,
    serving: &Access,
) -> Result<Option<Access>, ConfigError> {
    if tokens_kept(plan) {
        return Ok(None);
    }
    let access = access_rule(&plan.running.control)
        .map_err(|(key, message)| ConfigError::at_key(file, key, message))?;
    plan_token_changes(plan, access.changed_tokens(serving));
    Ok(plan.control_tokens_change.then_some(access))
}

/// What `plan` applies, compiled as at start, with the control endpoint's `access` rule;
/// an error is located in `file`. (The file's checks compiled it already: an error is a
/// file changed in between.)
fn compile(file: &Path, plan: &Plan, access: Option<Access>) -> Result<Compiled, ConfigError> {
    let at_key = |(key, message)| ConfigError::at_key(file, key, message);
    let routes = plan
        .routing_changes()
        .then(|| plan.running.call_routes())
        .transpose()
        .map_err(at_key)?;
    let dial_policy = plan
        .dialout_change
        .then(|| plan.running.dial_policy())
        .transpose()
        .map_err(at_key)?;
    let log_filter = match &plan.log_level {
        LogLevelChange::Apply(level) => Some(
            log_level::parse_filter(level)
                .map_err(|e| ConfigError::at_key(file, "log.level".to_owned(), e.to_string()))?,
        ),
        LogLevelChange::Unchanged => None,
    };
    Ok(Compiled {
        routes,
        dial_policy,
        log_filter,
        access,
    })
}

/// Logs the keys of `load` as applied, by the new version `version` of its guest.
fn log_loaded(load: &GuestLoad, version: u32) {
    for key in &load.keys {
        info!("{key}: changed: applied");
    }
    info!("{}: new settings loaded as version {version}", load.table);
}

/// Logs each key `plan` applies or leaves waiting.
fn log_plan(plan: &Plan) {
    for key in &plan.applied {
        info!("{key}: changed: applied");
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
fn listed(items: &[String]) -> String {
    match items {
        [] => "none".to_owned(),
        items => items.join(", "),
    }
}

/// Runs `reloader` once for each reload of `queue`, in the order asked, each after the one
/// before has ended, until no one can ask for one any more.
pub async fn serve(mut reloader: Reloader, queue: ReloadQueue) {
    queue.serve(&mut reloader).await;
}
