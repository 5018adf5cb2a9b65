//! The signaling task: the SIP socket, the endpoint's timers, and the guest
//! instance of every call.

use crate::core::Core;
use crate::host_api::{CoreHost, lock};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchyard_guest::{Event as GuestEvent, Guest, Instance};
use switchyard_media::{LegId, MediaEvent};
use switchyard_sip::Event as SipEvent;
use tokio::net::UdpSocket;
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedReceiver;
use tracing::{debug, error, info, warn};

/// The largest SIP datagram read (UDP's maximum payload).
const MAX_DATAGRAM: usize = 65_535;
/// How long shutdown waits for BYEs to be answered before exiting anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long the loop sleeps when nothing is scheduled.
const IDLE: Duration = Duration::from_secs(3600);

/// The signaling task's state.
pub struct Signaling {
    socket: UdpSocket,
    listen: SocketAddr,
    advertise: Option<IpAddr>,
    core: Arc<Mutex<Core>>,
    wake: Arc<Notify>,
    host: Arc<CoreHost>,
    guest: Arc<Guest>,
    instances: HashMap<String, Instance>,
    media_events: UnboundedReceiver<MediaEvent>,
    local_ips: HashMap<IpAddr, IpAddr>,
}

impl Signaling {
    /// A signaling task on `socket` whose calls go to `guest`.
    pub fn new(
        socket: UdpSocket,
        advertise: Option<IpAddr>,
        core: Arc<Mutex<Core>>,
        wake: Arc<Notify>,
        guest: Arc<Guest>,
        media_events: UnboundedReceiver<MediaEvent>,
    ) -> std::io::Result<Signaling> {
        let listen = socket.local_addr()?;
        let host = Arc::new(CoreHost::new(core.clone(), wake.clone()));
        Ok(Signaling {
            socket,
            listen,
            advertise,
            core,
            wake,
            host,
            guest,
            instances: HashMap::new(),
            media_events,
            local_ips: HashMap::new(),
        })
    }

    /// Serves until `shutdown` resolves, then hangs up every call and returns
    /// when all have ended (or after [`SHUTDOWN_GRACE`]).
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        tokio::pin!(shutdown);
        let mut stopping: Option<Instant> = None;
        loop {
            let timer = lock(&self.core).endpoint.poll_timeout();
            let give_up = stopping.map(|since| since + SHUTDOWN_GRACE);
            let wake_at = [timer, give_up].into_iter().flatten().min();
            let wake_at = wake_at.unwrap_or_else(|| Instant::now() + IDLE);
            tokio::select! {
                received = self.socket.recv_from(&mut buffer) => match received {
                    Ok((len, remote)) => self.on_datagram(&buffer[..len], remote),
                    // On Linux an ICMP error from an earlier send surfaces here; it
                    // concerns that peer only.
                    Err(e) => debug!("SIP socket: {e}"),
                },
                () = tokio::time::sleep_until(wake_at.into()) => {
                    lock(&self.core).endpoint.handle_timeout(Instant::now());
                }
                () = self.wake.notified() => {}
                Some(event) = self.media_events.recv() => self.on_media_event(event),
                () = &mut shutdown, if stopping.is_none() => {
                    let calls = lock(&self.core).active_calls();
                    info!(calls, "shutting down: hanging up every call");
                    stopping = Some(Instant::now());
                    lock(&self.core).hangup_all(Instant::now());
                }
            }
            self.flush().await;
            if let Some(since) = stopping {
                let left = lock(&self.core).active_calls();
                if left == 0 {
                    return;
                }
                if since.elapsed() >= SHUTDOWN_GRACE {
                    warn!(
                        calls = left,
                        "calls still up after the shutdown grace period"
                    );
                    return;
                }
            }
        }
    }

    fn on_datagram(&mut self, data: &[u8], remote: SocketAddr) {
        let local = SocketAddr::new(self.local_ip_for(remote.ip()), self.listen.port());
        lock(&self.core)
            .endpoint
            .handle_datagram(Instant::now(), local, remote, data);
    }

    /// Our address as `peer` sees it: the configured one, else the listening
    /// one, else the one the routing table picks to reach the peer.
    fn local_ip_for(&mut self, peer: IpAddr) -> IpAddr {
        if let Some(ip) = self.advertise {
            return ip;
        }
        if !self.listen.ip().is_unspecified() {
            return self.listen.ip();
        }
        let listen = self.listen.ip();
        *self.local_ips.entry(peer).or_insert_with(|| {
            // connect() on UDP sends nothing: it only asks the kernel for a route.
            let unspecified = SocketAddr::new(listen, 0);
            StdUdpSocket::bind(unspecified)
                .and_then(|s| s.connect(SocketAddr::new(peer, 9)).map(|()| s))
                .and_then(|s| s.local_addr())
                .map(|a| a.ip())
                .unwrap_or_else(|e| {
                    warn!(%peer, "no route to peer ({e}); advertising {listen}");
                    listen
                })
        })
    }

    /// Sends what the endpoint queued and handles what it reported, until both are empty.
    async fn flush(&mut self) {
        loop {
            let (transmits, events) = {
                let mut core = lock(&self.core);
                let transmits: Vec<_> =
                    std::iter::from_fn(|| core.endpoint.poll_transmit()).collect();
                let events: Vec<_> = std::iter::from_fn(|| core.endpoint.poll_event()).collect();
                (transmits, events)
            };
            if transmits.is_empty() && events.is_empty() {
                return;
            }
            for transmit in transmits {
                if let Err(e) = self
                    .socket
                    .send_to(&transmit.payload, transmit.destination)
                    .await
                {
                    debug!(to = %transmit.destination, "SIP send failed: {e}");
                }
            }
            for event in events {
                self.on_sip_event(event);
            }
        }
    }

    fn on_sip_event(&mut self, event: SipEvent) {
        let now = Instant::now();
        match event {
            SipEvent::IncomingCall(incoming) => {
                let local_ip = self.local_ip_for(incoming.source.ip());
                let admitted = lock(&self.core).admit(now, incoming, local_ip);
                match admitted {
                    Ok((tag, invite)) => self.start_call(&tag, &invite),
                    Err(refused) => info!(?refused, "call refused"),
                }
            }
            SipEvent::CallConfirmed { call } => {
                let mut core = lock(&self.core);
                if let Some(tag) = core.tag_of_key(call) {
                    core.confirmed(&tag);
                }
            }
            SipEvent::CallEnded { call, cause } => {
                let tag = {
                    let mut core = lock(&self.core);
                    let Some(tag) = core.tag_of_key(call) else {
                        return;
                    };
                    core.ended(now, &tag, cause);
                    tag
                };
                info!(call = %tag, ?cause, "call ended");
                if let Some(mut instance) = self.instances.remove(&tag)
                    && let Err(e) = instance.on_event(&tag, GuestEvent::Hangup)
                {
                    warn!(call = %tag, "{e}");
                }
            }
        }
    }

    /// Hands a new call to a fresh instance of the guest.
    fn start_call(&mut self, tag: &str, invite: &switchyard_guest::InviteInfo) {
        info!(call = %tag, to = %invite.request_uri, from = %invite.from_uri, "incoming call");
        let mut instance = match self.guest.instantiate(self.host.clone()) {
            Ok(instance) => instance,
            Err(e) => {
                error!(call = %tag, "{e}");
                let _ = lock(&self.core).reject(Instant::now(), tag, 503, "Service Unavailable");
                return;
            }
        };
        if let Err(e) = instance.on_invite(invite) {
            error!(call = %tag, "{e}");
            lock(&self.core).guest_failed(Instant::now(), tag);
            return;
        }
        let mut core = lock(&self.core);
        if !core.is_handled(tag) {
            warn!(call = %tag, guest = self.guest.name(), "the guest neither answered nor rejected the call");
            let _ = core.reject(Instant::now(), tag, 500, "Server Internal Error");
        }
        self.instances.insert(tag.to_owned(), instance);
    }

    fn on_media_event(&mut self, event: MediaEvent) {
        let (leg, guest_event) = match event {
            MediaEvent::PromptDone { leg } => (leg, GuestEvent::PromptDone),
            MediaEvent::Dtmf { leg, digit } => (leg, GuestEvent::Dtmf(digit)),
            MediaEvent::RtpTimeout { leg } => {
                self.rtp_timeout(leg);
                return;
            }
        };
        let Some(tag) = lock(&self.core).tag_of_leg(leg) else {
            return;
        };
        let Some(instance) = self.instances.get_mut(&tag) else {
            return;
        };
        if let Err(e) = instance.on_event(&tag, guest_event) {
            error!(call = %tag, "{e}");
            self.instances.remove(&tag);
            lock(&self.core).guest_failed(Instant::now(), &tag);
        }
    }

    fn rtp_timeout(&mut self, leg: LegId) {
        let mut core = lock(&self.core);
        if let Some(tag) = core.tag_of_leg(leg) {
            info!(call = %tag, "no RTP received: hanging up");
            let _ = core.hangup(Instant::now(), &tag);
        }
    }
}
