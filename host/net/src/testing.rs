//! Test support, behind the `testing` cargo feature: a DNS server of the test's own on a
//! loopback port ([`DnsServer`]) for a [`Resolver`](crate::Resolver) made with
//! [`Resolver::with_name_server`](crate::Resolver::with_name_server), or for the binary's
//! `sip.dns_server`. Not for production use. A crate's tests enable it with
//! `switchyard-net = { workspace = true, features = ["testing"] }` under
//! `[dev-dependencies]`; the records are `hickory_proto`'s, re-exported here.

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub use hickory_proto;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// Records by (name without the trailing dot, type).
pub type Zone = HashMap<(String, RecordType), Vec<RData>>;

/// How often the server's thread looks whether it was dropped.
const POLL: Duration = Duration::from_millis(50);

/// The absolute domain name `text` (given without the trailing dot), as records name hosts.
pub fn name(text: &str) -> Name {
    Name::from_ascii(format!("{text}.")).expect("a valid domain name")
}

/// Questions by (name without the trailing dot, type).
pub type Questions = HashSet<(String, RecordType)>;

/// A DNS server on a free loopback UDP port that answers every question from its [`Zone`]
/// (an empty NOERROR answer for what it does not hold, so a resolver hears "no such
/// record"), on a thread of its own until it is dropped. It notes each question it is asked.
pub struct DnsServer {
    addr: SocketAddr,
    asked: Arc<Mutex<Vec<(String, RecordType)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DnsServer {
    /// Starts a server answering from `zone`. Panics if no loopback socket can be had.
    pub fn start(zone: Zone) -> DnsServer {
        Self::start_failing(zone, Questions::new())
    }

    /// Starts a server answering from `zone`, except that it answers each question of
    /// `failing` with SERVFAIL, as a server that cannot reach a zone's authority does.
    /// Panics if no loopback socket can be had.
    pub fn start_failing(zone: Zone, failing: Questions) -> DnsServer {
        Self::start_with(zone, failing, Questions::new())
    }

    /// Starts a server answering from `zone`, except that it answers each question of
    /// `failing` with SERVFAIL and never answers a query with a question of `silent`, as a
    /// server behind a broken firewall does. Panics if no loopback socket can be had.
    pub fn start_with(zone: Zone, failing: Questions, silent: Questions) -> DnsServer {
        Self::spawn(zone, (failing, silent), Duration::ZERO)
    }

    /// Starts a server answering from `zone`, each answer sent `delay` after its query came,
    /// as a server far away or under load does. Panics if no loopback socket can be had.
    pub fn start_delayed(zone: Zone, delay: Duration) -> DnsServer {
        Self::spawn(zone, (Questions::new(), Questions::new()), delay)
    }

    fn spawn(zone: Zone, (failing, silent): (Questions, Questions), delay: Duration) -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP socket");
        socket.set_read_timeout(Some(POLL)).expect("a read timeout");
        let addr = socket.local_addr().expect("the socket's address");
        let asked = Arc::default();
        let stop = Arc::default();
        let thread = std::thread::spawn({
            let (asked, stop) = (Arc::clone(&asked), Arc::clone(&stop));
            move || serve(&socket, &zone, (&failing, &silent), delay, &asked, &stop)
        });
        DnsServer {
            addr,
            asked,
            stop,
            thread: Some(thread),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The questions asked since the last call (name without the trailing dot, lower
    /// case; type), in order.
    pub fn take_asked(&self) -> Vec<(String, RecordType)> {
        std::mem::take(&mut *self.asked.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers queries on `socket` from `zone`, or with SERVFAIL to those in `failing`, or not
/// at all to those in `silent`, each answer `delay` after its query, until `stop`.
fn serve(
    socket: &UdpSocket,
    zone: &Zone,
    (failing, silent): (&Questions, &Questions),
    delay: Duration,
    asked: &Mutex<Vec<(String, RecordType)>>,
    stop: &AtomicBool,
) {
    let mut buffer = vec![0; 4096];
    while !stop.load(Ordering::Relaxed) {
        let Ok((len, from)) = socket.recv_from(&mut buffer) else {
            continue;
        };
        let Ok(query) = Message::from_vec(&buffer[..len]) else {
            continue;
        };
        let mut response = Message::response(query.metadata.id, query.metadata.op_code);
        response.metadata.recursion_desired = query.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.metadata.authoritative = true;
        response.metadata.response_code = ResponseCode::NoError;
        for question in &query.queries {
            let text = question.name.to_ascii().to_ascii_lowercase();
            let text = text.trim_end_matches('.').to_owned();
            asked
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((text.clone(), question.query_type));
            let key = (text, question.query_type);
            if failing.contains(&key) {
                response.metadata.response_code = ResponseCode::ServFail;
            }
            for data in zone.get(&key).into_iter().flatten() {
                response.add_answer(Record::from_rdata(question.name.clone(), 60, data.clone()));
            }
        }
        let unanswered = query.queries.iter().any(|question| {
            let text = question.name.to_ascii().to_ascii_lowercase();
            silent.contains(&(text.trim_end_matches('.').to_owned(), question.query_type))
        });
        if unanswered {
            continue;
        }
        response.add_queries(query.queries.clone());
        let Ok(bytes) = response.to_vec() else {
            continue;
        };
        if delay.is_zero() {
            let _ = socket.send_to(&bytes, from);
        } else if let Ok(socket) = socket.try_clone() {
            // Each delayed answer waits on a thread of its own, so that queries asked together
            // are answered together, not one delay after another.
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let _ = socket.send_to(&bytes, from);
            });
        }
    }
}
