//! XML-RPC functions: the host's own (`serverInfo`, `calls`) and the app
//! guest's, each webconference result with the server-info string appended as
//! SEMS does.

use crate::core::{CallStats, Core};
use crate::host_api::{CoreHost, lock};
use std::sync::{Arc, Mutex};
use switchyard_control::{DispatchFuture, Dispatcher, Fault, Route, Value};
use switchyard_guest::Guest;
use tracing::error;

/// Routes XML-RPC calls.
pub struct ControlBridge {
    core: Arc<Mutex<Core>>,
    host: Arc<CoreHost>,
    guest: Arc<Guest>,
}

impl ControlBridge {
    /// Functions with no interface name, or the app guest's name, go to `guest`.
    pub fn new(core: Arc<Mutex<Core>>, host: Arc<CoreHost>, guest: Arc<Guest>) -> ControlBridge {
        ControlBridge { core, host, guest }
    }

    fn server_info(&self) -> String {
        let core = lock(&self.core);
        server_info(core.active_calls(), core.stats)
    }

    /// A function of the app guest: run on a blocking thread (a guest call
    /// holds its thread for up to its deadline), in a fresh instance.
    async fn guest_function(&self, function: String, params: Vec<Value>) -> Result<Value, Fault> {
        let guest = self.guest.clone();
        let host = self.host.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut instance = guest.instantiate(host)?;
            instance.handle_control(&function, &params)
        })
        .await
        .map_err(|e| Fault::internal(format!("control task failed: {e}")))?;
        match outcome {
            Ok(Ok(Value::Array(mut items))) => {
                items.push(Value::String(self.server_info()));
                Ok(Value::Array(items))
            }
            Ok(Ok(_)) => Err(Fault::internal(format!(
                "guest {} answered with something other than an array",
                self.guest.name()
            ))),
            Ok(Err(fault)) => Err(Fault::new(fault.code, fault.message)),
            Err(e) => {
                error!("{e}");
                Err(Fault::internal(format!(
                    "guest {} failed",
                    self.guest.name()
                )))
            }
        }
    }
}

impl Dispatcher for ControlBridge {
    fn dispatch(&self, route: Route) -> DispatchFuture<'_> {
        Box::pin(async move {
            if let Some(interface) = &route.interface
                && interface != self.guest.name()
            {
                return Err(Fault::unknown_interface(interface));
            }
            match route.function.as_str() {
                "serverInfo" => {
                    let info = self.server_info();
                    Ok(Value::Array(vec![
                        Value::String(info.clone()),
                        Value::String(info),
                    ]))
                }
                "calls" if route.interface.is_none() => {
                    let active = lock(&self.core).active_calls();
                    Ok(Value::Int(i32::try_from(active).unwrap_or(i32::MAX)))
                }
                _ => self.guest_function(route.function, route.params).await,
            }
        })
    }
}

/// The server-info string, in SEMS's shape:
/// `Server: <name> (<version> (<arch>/<os>)) calls: <active> active/<total> total/<connected> connect/<minutes> min`.
pub fn server_info(active: usize, stats: CallStats) -> String {
    format!(
        "Server: Switchyard ({} ({}/{})) calls: {active} active/{} total/{} connect/{} min",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS,
        stats.total,
        stats.connected,
        stats.connected_seconds / 60,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_info_has_the_sems_shape() {
        let stats = CallStats {
            total: 3,
            connected: 2,
            connected_seconds: 150,
        };
        let info = server_info(1, stats);
        let expected_tail = " calls: 1 active/3 total/2 connect/2 min";
        assert!(info.starts_with("Server: Switchyard (0.1.0 ("), "{info}");
        assert!(info.ends_with(expected_tail), "{info}");
    }
}
