//! RFC 3263 §4: from a SIP URI to the transports and addresses to try, in order. The choices
//! are pure functions in `select`; this module makes the DNS queries they call for.

mod select;
mod uri;

use std::future::Future;
use std::iter::Peekable;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolverConfig,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::time::Instant;
use tracing::debug;

use crate::Transport;
use select::{Naptr, Plan, Srv};
pub use select::{Unsendable, unsendable};

/// The most targets one resolution gives. Failover tries only the first few a host can
/// reach (the call core, 8); a zone of thousands of SRV and address records must not cost
/// thousands of lookups and targets.
pub const MAX_RESOLVED: usize = 64;

/// The most SRV records one resolution follows (looks up the addresses of), over all its
/// services: each costs an A/AAAA lookup, which the resolution waits for in turn. Failover
/// tries at most 8 targets, each name giving one or more: 16 names leave room for half of
/// them having no address, or none the host can reach.
const MAX_SRV_FOLLOWED: usize = 16;

/// One place to send a request: try the targets of [`Resolver::resolve`] in order until one
/// answers (RFC 3263 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// The transport to use.
    pub transport: Transport,
    /// The address and port.
    pub addr: SocketAddr,
}

/// Why a URI could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The text is no `sip:` URI with a readable host and port.
    #[error("not a SIP URI with a usable host: {0}")]
    Malformed(String),
    /// A `sips:` URI or `transport=tls`: TLS is not offered.
    #[error("TLS is not supported")]
    TlsUnsupported,
    /// A `transport` parameter other than UDP, TCP or TLS.
    #[error("unsupported transport: {0}")]
    UnsupportedTransport(String),
    /// DNS has no address for the URI's host, or none a request may be sent to (an
    /// unspecified, multicast or broadcast address, or port 0: [`Unsendable`]).
    #[error("no address found for {0}")]
    NotFound(String),
    /// The URI is written with an address or port no request may be sent to: what
    /// [`check_routable`] says of it. [`Resolver::resolve`] passes such an address over, as
    /// it does one found in DNS, and so finds none ([`ResolveError::NotFound`]).
    #[error("its address {0}")]
    Unsendable(Unsendable),
    /// A DNS query failed (timeout, server failure, ...).
    #[error("DNS: {0}")]
    Dns(String),
}

/// How long one DNS query waits for its answer. A resolution asks in turn for NAPTR, SRV and
/// A/AAAA records; hickory's own 5 s, tried three times, would let one server that never
/// answers a NAPTR query use up the time a call gives its resolution (10 s) before SRV and
/// A/AAAA are asked, and those are the records most domains have.
const QUERY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

/// How often an unanswered DNS query is sent again.
const QUERY_RETRIES: usize = 1;

/// How many DNS responses the resolver caches.
const DNS_CACHE_SIZE: u64 = 1024;

/// How long a lookup of SRV records or of a target's addresses runs alone before the next one
/// in order is started beside it (tests set another with `Resolver::with_lookup_overlap`,
/// under the `testing` feature).
/// Answers normally come within milliseconds, so the lookups go one by one and stop once
/// enough targets are found; a name whose servers do not answer costs one query's wait, not
/// one per name after it.
const LOOKUP_OVERLAP: Duration = Duration::from_millis(250);

/// The fewest lookups [`Staggered`] lets run at once, however few targets are wanted: with
/// one, the next name would not even be asked while one whose servers do not answer is
/// waited for. Its answer is still taken only after the silent one's (targets keep their
/// priority order), so it counts when the time given ends before a whole query's wait.
const MIN_RUNNING: usize = 2;

/// Checks that `uri` is one a [`Resolver`] can locate: a `sip:` URI with a host, a valid
/// port and a transport this crate offers, not written with an address or port no request
/// may be sent to ([`ResolveError::Unsendable`]: its port, and its `maddr` parameter if
/// present, else its host, when an IP address; the last `maddr` counts, as in resolving);
/// the error says why not.
pub fn check_routable(uri: &str) -> Result<(), ResolveError> {
    let destination = uri::parse(uri)?;
    match select::unsendable_as_written(&destination) {
        Some(why) => Err(ResolveError::Unsendable(why)),
        None => Ok(()),
    }
}

/// RFC 3263 server location over DNS, with `hickory-resolver` on tokio. Its methods take
/// `&self`, so one resolver (in an `Arc`) serves every task; hickory caches answers for their
/// TTL.
pub struct Resolver {
    dns: TokioResolver,
    /// Orders SRV records of equal priority (RFC 2782).
    rng: Mutex<SmallRng>,
    /// How long a lookup runs alone before the next is started beside it.
    lookup_overlap: Duration,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver using the system's DNS configuration (`/etc/resolv.conf` on Unix); `seed`
    /// seeds the SRV weighting. `Err` if the configuration cannot be read.
    pub fn from_system_conf(seed: u64) -> Result<Self, ResolveError> {
        let builder = TokioResolver::builder(TokioRuntimeProvider::default())
            .map_err(|e| ResolveError::Dns(e.to_string()))?;
        Self::build(builder, seed)
    }

    /// A resolver asking only the DNS server at `server` (over UDP, falling back to TCP for
    /// truncated answers); `seed` seeds the SRV weighting.
    pub fn with_name_server(server: SocketAddr, seed: u64) -> Result<Self, ResolveError> {
        let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
            .into_iter()
            .map(|mut connection| {
                connection.port = server.port();
                connection
            })
            .collect();
        let config = ResolverConfig::from_name_servers(vec![NameServerConfig::new(
            server.ip(),
            true,
            connections,
        )]);
        Self::build(
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default()),
            seed,
        )
    }

    fn build(
        mut builder: hickory_resolver::ResolverBuilder<TokioRuntimeProvider>,
        seed: u64,
    ) -> Result<Self, ResolveError> {
        let options = builder.options_mut();
        options.timeout = QUERY_TIMEOUT;
        options.attempts = QUERY_RETRIES;
        // A and AAAA are asked at once; the order the addresses are tried in is
        // `select::interleave_families`', not the order hickory appends the answers in.
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        // The cache counts responses, each up to 64 KiB (over TCP): hickory's 8,192 could hold
        // 512 MiB. 1,024 bounds it to 64 MiB, and is still more names than the calls placed
        // within their records' TTL (minutes) ask about.
        options.cache_size = DNS_CACHE_SIZE;
        Ok(Self {
            dns: builder
                .build()
                .map_err(|e| ResolveError::Dns(e.to_string()))?,
            rng: Mutex::new(SmallRng::seed_from_u64(seed)),
            lookup_overlap: LOOKUP_OVERLAP,
        })
    }

    /// This resolver, starting the next lookup of SRV records or of a target's addresses
    /// beside one that has run for `overlap` without an answer, instead of after 250 ms. A
    /// longer one asks fewer names when answers are slow, and lets a name whose servers do
    /// not answer hold up the next one for that long.
    #[cfg(feature = "testing")]
    #[must_use]
    pub fn with_lookup_overlap(mut self, overlap: Duration) -> Self {
        self.lookup_overlap = overlap;
        self
    }

    /// The targets for the `sip:` URI `uri`, most preferred first (RFC 3263 §4): an IP
    /// address is used as is; a host with a port is looked up as A/AAAA; otherwise NAPTR
    /// records pick the transports, SRV records the hosts and ports (by priority, then at
    /// random by weight), and A/AAAA records the addresses, falling back to SRV for UDP and
    /// TCP without NAPTR, then to A/AAAA on port 5060 without SRV (over the transport the NAPTR
    /// records chose, else UDP). A `maddr` parameter replaces the host. At most 4 NAPTR
    /// services and 16 SRV records are followed. An address no request may be sent to (the
    /// unspecified address, which would reach this host itself, a multicast or broadcast
    /// address, or port 0) is passed over, whether written in the URI or found in DNS. A
    /// lookup that fails counts as one that found nothing, so that the other names are still
    /// tried; if nothing is found at all, the first failure is the error. Never an empty list,
    /// no target twice (the first place a transport and address is found is kept), and at
    /// most [`MAX_RESOLVED`] targets: the lookups stop once that many are found. A lookup not
    /// answered within 250 ms has the next one in order started beside it, at most as many
    /// running at once as targets are wanted, and at least two; the targets keep the order
    /// above all the same.
    pub async fn resolve(&self, uri: &str) -> Result<Vec<Target>, ResolveError> {
        let bounds = Bounds {
            wanted: MAX_RESOLVED,
            deadline: None,
            usable: &|_| true,
        };
        self.resolve_bounded(uri, bounds).await
    }

    /// As [`Resolver::resolve`], but the lookups stop once `wanted` targets whose address
    /// `usable` accepts are found (the host can reach them), and after `time` the targets
    /// found by then are the answer: a name whose servers do not answer costs one lookup's
    /// wait, not the targets other names gave. The targets `usable` refuses do not count, and
    /// do not stop the lookups: they are kept in their place, the first [`MAX_RESOLVED`] −
    /// `wanted` of them, so that the list has at most [`MAX_RESOLVED`] in all; it ends at the
    /// `wanted`-th usable one. Nothing found by then is a [`ResolveError::Dns`] saying so.
    pub async fn resolve_within(
        &self,
        uri: &str,
        wanted: usize,
        time: Duration,
        usable: impl Fn(IpAddr) -> bool + Sync,
    ) -> Result<Vec<Target>, ResolveError> {
        let bounds = Bounds {
            wanted: wanted.min(MAX_RESOLVED),
            deadline: Some(Instant::now() + time),
            usable: &usable,
        };
        self.resolve_bounded(uri, bounds).await
    }

    async fn resolve_bounded(
        &self,
        uri: &str,
        bounds: Bounds<'_>,
    ) -> Result<Vec<Target>, ResolveError> {
        let destination = uri::parse(uri)?;
        let mut failures = Failures::default();
        let targets = self
            .follow(select::plan(&destination), bounds, &mut failures)
            .await
            .targets;
        if targets.is_empty() {
            return Err(failures
                .first
                .unwrap_or_else(|| ResolveError::NotFound(uri.to_owned())));
        }
        Ok(targets)
    }

    /// The targets `plan` leads to within `bounds`, with the failed lookups skipped and noted
    /// in `failures`.
    async fn follow(&self, plan: Plan, bounds: Bounds<'_>, failures: &mut Failures) -> Found {
        let mut targets = Found::default();
        let (naptr, srv, fallback) = match plan {
            Plan::Literal(target) => {
                if sendable(target.addr) {
                    targets.add(vec![target], bounds);
                }
                return targets;
            }
            Plan::Addresses {
                name,
                port,
                transport,
            } => {
                let found = bounds.within(self.addresses(&name, port, transport)).await;
                targets.add(failures.skip(&name, found), bounds);
                return targets;
            }
            Plan::Discover {
                naptr,
                srv,
                fallback,
            } => (naptr, srv, fallback),
        };
        let naptr_services = match naptr {
            Some(name) => {
                let found = bounds.within(self.naptr(&name)).await;
                select::naptr_services(&failures.skip(&name, found))
            }
            None => Vec::new(),
        };
        let fallback = match naptr_services.first() {
            Some(&(chosen, _)) => fallback.over(chosen),
            None => *fallback,
        };
        let services = if naptr_services.is_empty() {
            srv
        } else {
            naptr_services
        };
        let mut found_srv = false;
        let mut followed = 0;
        let srv_lookups = services.into_iter().map(|(transport, name)| async move {
            let found = bounds.within(self.srv(&name)).await;
            (transport, name, found)
        });
        let mut srv_lookups = Staggered::new(srv_lookups, bounds, self.lookup_overlap);
        'services: while let Some((transport, name, found)) = srv_lookups.next().await {
            let records = failures.skip(&name, found);
            found_srv |= !records.is_empty();
            let ordered = {
                let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                select::order_srv(records, MAX_SRV_FOLLOWED - followed, &mut *rng)
            };
            followed += ordered.len();
            let address_lookups = ordered.into_iter().map(|record| async move {
                let found = bounds.within(self.addresses(&record.target, record.port, transport));
                (found.await, record.target)
            });
            let mut address_lookups = Staggered::new(address_lookups, bounds, self.lookup_overlap);
            while let Some((found, name)) = address_lookups.next().await {
                targets.add(failures.skip(&name, found), bounds);
                if targets.enough(bounds) {
                    break 'services;
                }
            }
            if followed == MAX_SRV_FOLLOWED {
                break;
            }
        }
        if found_srv || bounds.passed() {
            targets
        } else {
            Box::pin(self.follow(fallback, bounds, failures)).await
        }
    }

    /// Every A and AAAA address of `name` a request may be sent to on `port`, with
    /// `transport`, the families alternating, IPv4 first (RFC 8305 §4).
    async fn addresses(
        &self,
        name: &str,
        port: u16,
        transport: Transport,
    ) -> Result<Vec<Target>, ResolveError> {
        let ips: Vec<IpAddr> = match self.dns.lookup_ip(fqdn(name)?).await {
            Ok(lookup) => select::interleave_families(
                lookup
                    .iter()
                    .filter(|&ip| sendable(SocketAddr::new(ip, port))),
            ),
            Err(e) => none_if_absent(e)?,
        };
        Ok(ips
            .into_iter()
            .map(|ip| Target {
                transport,
                addr: SocketAddr::new(ip, port),
            })
            .collect())
    }

    async fn naptr(&self, name: &str) -> Result<Vec<Naptr>, ResolveError> {
        self.records(name, RecordType::NAPTR, |data| match data {
            RData::NAPTR(n) => Some(Naptr {
                order: n.order,
                preference: n.preference,
                flags: String::from_utf8_lossy(&n.flags).into_owned(),
                services: String::from_utf8_lossy(&n.services).into_owned(),
                replacement: name_text(&n.replacement),
            }),
            _ => None,
        })
        .await
    }

    async fn srv(&self, name: &str) -> Result<Vec<Srv>, ResolveError> {
        self.records(name, RecordType::SRV, |data| match data {
            RData::SRV(s) => Some(Srv {
                priority: s.priority,
                weight: s.weight,
                port: s.port,
                target: name_text(&s.target),
            }),
            _ => None,
        })
        .await
    }

    /// The answers of type `kind` for `name`, each as `read` takes it (answers it takes
    /// nothing from are skipped); none when the name or the type does not exist.
    async fn records<T>(
        &self,
        name: &str,
        kind: RecordType,
        read: impl Fn(&RData) -> Option<T>,
    ) -> Result<Vec<T>, ResolveError> {
        match self.dns.lookup(fqdn(name)?, kind).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| read(&record.data))
                .collect()),
            Err(e) => none_if_absent(e),
        }
    }
}

/// How many targets one resolution looks for, and by when.
#[derive(Clone, Copy)]
struct Bounds<'a> {
    /// How many usable targets.
    wanted: usize,
    deadline: Option<Instant>,
    /// Whether a target's address counts as usable.
    usable: &'a (dyn Fn(IpAddr) -> bool + Sync),
}

impl Bounds<'_> {
    /// How many targets `usable` refuses are kept: as many as leave room for those wanted.
    fn refused_kept(&self) -> usize {
        MAX_RESOLVED - self.wanted
    }

    /// Whether the deadline has passed: no lookup is started any more.
    fn passed(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// `lookup`, given up at the deadline.
    async fn within<T>(
        &self,
        lookup: impl Future<Output = Result<T, ResolveError>>,
    ) -> Result<T, ResolveError> {
        let Some(deadline) = self.deadline else {
            return lookup.await;
        };
        tokio::time::timeout_at(deadline, lookup)
            .await
            .unwrap_or_else(|_| Err(ResolveError::Dns("no answer in the time given".to_owned())))
    }
}

/// Lookups run in the order given, their results taken in that order: the next lookup is
/// started once those running have ended, or beside them when `overlap` passes without a
/// result, at most as many at once as targets are wanted, and at least [`MIN_RUNNING`]. None
/// is started once the deadline has passed.
struct Staggered<'a, I>
where
    I: Iterator,
    I::Item: Future,
{
    waiting: Peekable<I>,
    running: FuturesOrdered<I::Item>,
    bounds: Bounds<'a>,
    overlap: Duration,
}

impl<'a, I> Staggered<'a, I>
where
    I: Iterator,
    I::Item: Future,
{
    fn new(lookups: I, bounds: Bounds<'a>, overlap: Duration) -> Self {
        Self {
            waiting: lookups.peekable(),
            running: FuturesOrdered::new(),
            bounds,
            overlap,
        }
    }

    /// The result of the next lookup in order; `None` when all have been taken, or the
    /// deadline has passed and none is running.
    async fn next(&mut self) -> Option<<I::Item as Future>::Output> {
        loop {
            if self.running.is_empty() {
                if self.bounds.passed() {
                    return None;
                }
                let lookup = self.waiting.next()?;
                self.running.push_back(lookup);
            }
            let more = self.running.len() < self.bounds.wanted.max(MIN_RUNNING)
                && self.waiting.peek().is_some()
                && !self.bounds.passed();
            tokio::select! {
                biased;
                found = self.running.next() => return found,
                () = tokio::time::sleep(self.overlap), if more => {
                    self.running.extend(self.waiting.next());
                }
            }
        }
    }
}

/// The targets of one resolution, in the order found.
#[derive(Debug, Default)]
struct Found {
    targets: Vec<Target>,
    /// How many of them the bounds' `usable` accepts.
    usable: usize,
    /// How many it refuses.
    refused: usize,
}

impl Found {
    /// Appends those of `found` not found yet, until the usable targets `bounds` wants are
    /// found: two SRV targets that are names of one host must not have it tried twice. Of
    /// those `usable` refuses, the first [`Bounds::refused_kept`] are kept.
    fn add(&mut self, found: Vec<Target>, bounds: Bounds<'_>) {
        for target in found {
            if self.enough(bounds) {
                return;
            }
            if self.targets.contains(&target) {
                continue;
            }
            if (bounds.usable)(target.addr.ip()) {
                self.usable += 1;
            } else if self.refused < bounds.refused_kept() {
                self.refused += 1;
            } else {
                continue;
            }
            self.targets.push(target);
        }
    }

    /// Whether the usable targets `bounds` wants are found.
    fn enough(&self, bounds: Bounds<'_>) -> bool {
        self.usable >= bounds.wanted
    }
}

/// Whether a request may be sent to `addr` ([`select::unsendable`]), written in a URI or
/// found in DNS; one it may not be sent to is logged as passed over, with why.
fn sendable(addr: SocketAddr) -> bool {
    let Some(why) = select::unsendable(addr) else {
        return true;
    };
    debug!("{addr} {why}: no request is sent to it, passed over");
    false
}

/// The lookups of one resolution that failed. RFC 3263 §4.3 has the client try each target in
/// turn, so one name whose lookup fails must not keep the others from being tried.
#[derive(Debug, Default)]
struct Failures {
    /// The first failure: the error reported if nothing is found.
    first: Option<ResolveError>,
}

impl Failures {
    /// What the lookup of `name` found; nothing if it failed, which is logged and noted.
    fn skip<T: Default>(&mut self, name: &str, found: Result<T, ResolveError>) -> T {
        found.unwrap_or_else(|error| {
            debug!(name, "DNS lookup failed, skipped: {error}");
            self.first.get_or_insert(error);
            T::default()
        })
    }
}

/// `name` as an absolute domain name: names from URIs and records are never relative to the
/// search domains.
fn fqdn(name: &str) -> Result<Name, ResolveError> {
    let mut name = Name::from_ascii(name).map_err(|_| ResolveError::Malformed(name.to_owned()))?;
    name.set_fqdn(true);
    Ok(name)
}

/// A domain name from a record, without its trailing dot; "." for the root.
fn name_text(name: &Name) -> String {
    if name.is_root() {
        return ".".to_owned();
    }
    let text = name.to_ascii();
    text.strip_suffix('.').unwrap_or(&text).to_owned()
}

/// An empty answer for "no such name" or "no such record", the error otherwise.
fn none_if_absent<T>(error: NetError) -> Result<Vec<T>, ResolveError> {
    if error.is_no_records_found() || error.is_nx_domain() {
        Ok(Vec::new())
    } else {
        Err(ResolveError::Dns(error.to_string()))
    }
}
