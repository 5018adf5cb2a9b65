//! The live event stream: room and participant events (joins, leaves,
//! talking, mute, keys, recordings, placed calls' progress, guest versions
//! and faults) kept in a bounded log with ids, served as server-sent events
//! at `GET /api/v1/events` so a client can resume where it stopped.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use http_body_util::combinators::BoxBody;
use hyper::header::{CACHE_CONTROL, HeaderName, HeaderValue};
use hyper::{HeaderMap, Response};
use serde_json::{Value as Json, json};
use tokio::sync::{OwnedSemaphorePermit, mpsc, watch};
use tokio::time::{Instant, Sleep};
use tracing::debug;

use crate::access::Admission;
use crate::http::{ChannelBody, HttpResponse, with_type};
use crate::stop::Stopping;

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlEvent {
    /// Its id: one more than the event before's; the first is one more than the time its
    /// log was made, in microseconds since 1970 (below 2^53, so exact as a JSON number).
    pub id: u64,
    /// What happened (the SSE event name): `join`, `leave`, `talking`, …
    pub kind: &'static str,
    /// The room it happened in, if any.
    pub room: Option<String>,
    /// The details, a JSON object.
    pub data: Json,
}

/// The most recent events, at most `capacity` of them, and a signal for
/// subscribers. Publishing never waits for a subscriber.
#[derive(Debug)]
pub struct EventLog {
    capacity: usize,
    kept: Mutex<Kept>,
    newest: watch::Sender<u64>,
}

/// What a log holds: its events, and what it knows of those it dropped.
#[derive(Debug)]
struct Kept {
    // Shared, so a subscriber's backlog copies pointers under the lock, which publishing
    // (from the signaling task) waits for, not up to `capacity` events' JSON.
    events: VecDeque<Arc<ControlEvent>>,
    dropped: Dropped,
}

/// The most groups of events dropped ([`Group`]) a log tells apart: past that many, it
/// forgets them.
const DROPPED_GROUPS: usize = 1024;

/// The events a filter takes or leaves alike: their room (none: no room's), and whether
/// they are key presses.
type Group = (Option<String>, bool);

/// What a log knows of the events it dropped, for a subscriber to tell whether any it
/// missed is one its filter takes: the newest id dropped of each [`Group`], at most
/// [`DROPPED_GROUPS`] of them. A group beyond those has the log forget them all: up to the
/// newest of them, it cannot tell which were dropped.
#[derive(Debug)]
struct Dropped {
    newest: HashMap<Group, u64>,
    /// Events up to this id may be gone unrecorded: another process's (up to the log's
    /// base), or forgotten.
    unknown_up_to: u64,
}

impl Dropped {
    /// Nothing dropped yet, events up to `base` (those of an earlier process) unknown.
    fn after(base: u64) -> Self {
        Dropped {
            newest: HashMap::new(),
            unknown_up_to: base,
        }
    }

    /// `event` is dropped.
    fn record(&mut self, event: &ControlEvent) {
        let group = (event.room.clone(), is_key(event));
        if self.newest.len() == DROPPED_GROUPS && !self.newest.contains_key(&group) {
            let forgotten = self.newest.drain().map(|(_, id)| id).max();
            self.unknown_up_to = self.unknown_up_to.max(forgotten.unwrap_or(0));
        }
        self.newest.insert(group, event.id);
    }

    /// Whether an event after `after` that `filter` takes is gone, or may be.
    fn missed(&self, after: u64, filter: &Filter) -> bool {
        after < self.unknown_up_to
            || self
                .newest
                .iter()
                .any(|((room, key), &id)| id > after && filter.takes_group(room.as_deref(), *key))
    }
}

/// The events after an id that a subscriber asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    /// The events kept after the id, oldest first.
    pub events: Vec<Arc<ControlEvent>>,
    /// Events after the id that the subscriber's filter takes have been dropped from the
    /// log (or may have been: the id is from before a restart, or the log no longer tells
    /// which were dropped): the subscriber missed some.
    pub missed: bool,
    /// The newest event's id (the log's base before the first).
    pub newest: u64,
}

impl EventLog {
    /// A log keeping the last `capacity` events (at least 1), whose ids go on from the time
    /// it is made in microseconds since 1970: an id an earlier process gave (whose log was
    /// made earlier) is older than any of this log's, so a client resuming after it is told
    /// it missed events rather than given those after the same number here.
    pub fn new(capacity: usize) -> Self {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_micros());
        EventLog::after(capacity, u64::try_from(micros).unwrap_or(0))
    }

    /// A log keeping the last `capacity` events (at least 1), the first with the id `base + 1`.
    fn after(capacity: usize, base: u64) -> Self {
        EventLog {
            capacity: capacity.max(1),
            kept: Mutex::new(Kept {
                events: VecDeque::new(),
                dropped: Dropped::after(base),
            }),
            newest: watch::Sender::new(base),
        }
    }

    /// Adds an event; returns its id.
    pub fn publish(&self, kind: &'static str, room: Option<&str>, data: Json) -> u64 {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let id = self.newest.borrow().wrapping_add(1);
        if kept.events.len() == self.capacity
            && let Some(dropped) = kept.events.pop_front()
        {
            kept.dropped.record(&dropped);
        }
        kept.events.push_back(Arc::new(ControlEvent {
            id,
            kind,
            room: room.map(str::to_owned),
            data,
        }));
        // Under the lock, so ids reach subscribers in order.
        self.newest.send_replace(id);
        id
    }

    /// The events after `after` (0: from the oldest kept). An id before the
    /// oldest kept (or before the first, as one from an earlier process) or
    /// past the newest (from a process whose clock was ahead) missed some:
    /// every event kept is after it.
    pub fn since(&self, after: u64) -> Backlog {
        self.since_for(
            after,
            &Filter {
                room: None,
                dtmf: true,
            },
        )
    }

    /// [`EventLog::since`] for a subscriber with `filter`: it missed some only when events
    /// it takes were dropped after `after`, or may have been (an id from before the first,
    /// or one older than the log still tells of, see [`DROPPED_GROUPS`]), or for an id
    /// past the newest.
    pub fn since_for(&self, after: u64, filter: &Filter) -> Backlog {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let events = &kept.events;
        let newest = *self.newest.borrow();
        let oldest = events.front().map_or(newest + 1, |e| e.id);
        let from = if after > newest { 0 } else { after };
        // Ids are contiguous (each event's is the one before's + 1), so the first event after
        // `from` is at its distance from the oldest: no scan of the log.
        let first = usize::try_from((from + 1).saturating_sub(oldest))
            .unwrap_or(usize::MAX)
            .min(events.len());
        Backlog {
            events: events.range(first..).cloned().collect(),
            missed: after > newest
                || (after > 0 && after + 1 < oldest && kept.dropped.missed(after, filter)),
            newest,
        }
    }

    /// The id a resume point stands for: the newest event's (the log's base
    /// before the first) for [`NOW`], any other id as it is.
    pub fn resolve(&self, after: u64) -> u64 {
        if after == NOW {
            *self.newest.borrow()
        } else {
            after
        }
    }

    /// Resolves each time an event is published.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.newest.subscribe()
    }
}

/// What a subscriber wants: events of one room only, keys or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only events of this room, and those of no room: guest events, and those of calls in
    /// no room (yet).
    pub room: Option<String>,
    /// Key presses too (`dtmf` events), which are left out unless asked for.
    pub dtmf: bool,
}

impl Filter {
    /// The filter of a query string: `room=<room>`, and `dtmf=` `true` or `1` (`false` or `0`:
    /// none); an error names a value it does not take. Other parameters are left alone, as
    /// every route leaves them.
    pub fn from_query(query: Option<&str>) -> Result<Self, BadParameter> {
        let mut filter = Filter::default();
        for (name, value) in parameters(query) {
            match name {
                "room" => {
                    let room = crate::rest::decode_query_value(value)
                        .map_err(|_| BadParameter::new("room", value, "text in UTF-8"))?;
                    filter.room = Some(room);
                }
                "dtmf" => filter.dtmf = flag(value)?,
                _ => {}
            }
        }
        Ok(filter)
    }

    fn takes(&self, event: &ControlEvent) -> bool {
        self.takes_group(event.room.as_deref(), is_key(event))
    }

    /// Whether it takes the events of `room` (none: of no room), key presses when `key`.
    fn takes_group(&self, room: Option<&str>, key: bool) -> bool {
        (self.dtmf || !key)
            && match (&self.room, room) {
                (Some(wanted), Some(room)) => wanted == room,
                _ => true,
            }
    }
}

/// Whether `event` is a key press, which a filter leaves out unless asked for.
fn is_key(event: &ControlEvent) -> bool {
    event.kind == "dtmf"
}

/// The resume point of `after=now`: only events published once the
/// subscription starts, none of those the log keeps. No id is this large
/// (ids stay below 2^53).
pub const NOW: u64 = u64::MAX;

/// Where a parameter of the event stream is written (as OpenAPI's `in` names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterIn {
    /// The query string.
    Query,
    /// A request header.
    Header,
}

/// A parameter of the event stream (a query parameter or a header) whose value it does not
/// take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParameter {
    /// Where it is written.
    pub place: ParameterIn,
    /// The parameter's name.
    pub name: &'static str,
    /// Its value as written in the request.
    pub value: String,
    /// What it takes.
    pub expected: &'static str,
}

impl BadParameter {
    fn new(name: &'static str, value: &str, expected: &'static str) -> Self {
        BadParameter {
            place: ParameterIn::Query,
            name,
            value: value.to_owned(),
            expected,
        }
    }

    fn header(name: &'static str, value: &str, expected: &'static str) -> Self {
        BadParameter {
            place: ParameterIn::Header,
            ..BadParameter::new(name, value, expected)
        }
    }
}

impl std::fmt::Display for BadParameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, value, expected) = (self.name, &self.value, self.expected);
        match self.place {
            ParameterIn::Query => write!(f, "query parameter {name}={value:?}"),
            ParameterIn::Header => write!(f, "header {name} {value:?}"),
        }?;
        write!(f, ": expected {expected}")
    }
}

/// The `name=value` pairs of a query string, as written (a name without `=` has the value
/// ""; empty pairs are left out).
fn parameters(query: Option<&str>) -> impl Iterator<Item = (&str, &str)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// The boolean `dtmf=` value, as the OpenAPI document declares it (`true`, `false`), or as
/// a form's checkbox or a script is as likely to write it (`1`, `0`).
fn flag(value: &str) -> Result<bool, BadParameter> {
    let expected = || BadParameter::new("dtmf", value, "true, false, 1 or 0");
    match crate::rest::decode_query_value(value)
        .map_err(|_| expected())?
        .as_str()
    {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(expected()),
    }
}

/// The id a reconnecting client resumes after: `Last-Event-ID` (what a
/// browser's `EventSource` sends), else `after=<id>` in the query, else 0
/// (every event the log keeps). `after=now` is [`NOW`]: from the newest
/// event on, as [`EventLog::resolve`] makes it. An `after` that is neither
/// (`^(now|[0-9]+)$`, as the OpenAPI document declares it) is an error, even
/// beside `Last-Event-ID`, and so is a `Last-Event-ID` that is no event id:
/// the client asked for something this server does not serve, rather than
/// for the whole log.
pub fn resume_point(headers: &HeaderMap, query: Option<&str>) -> Result<u64, BadParameter> {
    let mut asked = None;
    for (name, value) in parameters(query) {
        if name == "after" {
            let point = after(value)?;
            asked = asked.or(Some(point));
        }
    }
    Ok(last_event_id(headers)?.or(asked).unwrap_or(0))
}

/// The id `Last-Event-ID` names, if the request has one. An empty value is none: the empty
/// string is how an `EventSource` holds "no id", and it then leaves the header out (HTML
/// §9.2.4). Any other value that is no event id (digits) is an error.
fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, BadParameter> {
    const NAME: &str = "Last-Event-ID";
    let Some(value) = headers.get(NAME) else {
        return Ok(None);
    };
    let written = String::from_utf8_lossy(value.as_bytes());
    let written = written.trim();
    if written.is_empty() {
        return Ok(None);
    }
    event_id(written)
        .map(Some)
        .ok_or_else(|| BadParameter::header(NAME, written, "an event id (digits)"))
}

/// The resume point `after=value` asks for.
fn after(value: &str) -> Result<u64, BadParameter> {
    let expected = || BadParameter::new("after", value, "an event id (digits) or now");
    match crate::rest::decode_query_value(value)
        .map_err(|_| expected())?
        .as_str()
    {
        "now" => Ok(NOW),
        id => event_id(id).ok_or_else(expected),
    }
}

/// The event id `text` (digits) stands for, if it is one. An id as large as `NOW`, or too
/// large for a u64, is no id this log gave (nor a past one): past the newest, as any other
/// such id is (answered with a reset), rather than `now` or no id at all.
fn event_id(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse::<u64>().map_or(NOW - 1, |id| id.min(NOW - 1)))
}

/// How often an idle stream sends a comment (SSE) or a ping (WebSocket),
/// so proxies keep it open.
pub(crate) const KEEPALIVE: Duration = Duration::from_secs(15);
/// Frames queued for a slow client before the stream waits for it.
const QUEUE: usize = 64;

/// When a stream is next due a keep-alive: [`KEEPALIVE`] after the last thing sent on it.
/// One deadline for the stream's life, since events its subscriber's filter drops (another
/// room's, keys) wake the stream without sending anything, and must not put it off.
pub(crate) struct Keepalive(Pin<Box<Sleep>>);

impl Keepalive {
    /// Due [`KEEPALIVE`] from now.
    pub(crate) fn new() -> Self {
        Keepalive(Box::pin(tokio::time::sleep(KEEPALIVE)))
    }

    /// Resolves once due, and at once from then until [`Keepalive::sent`] is called.
    pub(crate) async fn due(&mut self) {
        self.0.as_mut().await;
    }

    /// Something was sent on the stream: due [`KEEPALIVE`] from now.
    pub(crate) fn sent(&mut self) {
        self.0.as_mut().reset(Instant::now() + KEEPALIVE);
    }
}

/// What ends a subscriber's stream besides its client leaving: the server stopping, or the
/// access rule no longer letting the subscriber do all it was let in to do (its token
/// rotated away or now only reading, or one needed where none was:
/// [`Admission::revoked`]), so that a token replaced, a leaked one too, reads no more
/// events and frees its subscriber's place.
pub(crate) struct Ending {
    /// The server's stop signal.
    pub(crate) stopping: Stopping,
    /// What let the subscriber in.
    pub(crate) admission: Admission,
}

/// Why the server ends a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// It stops.
    Stopping,
    /// The access rule no longer lets the subscriber do all it was let in to do.
    Revoked,
}

impl Ending {
    /// Resolves once the server is to end the stream, saying why.
    pub(crate) async fn reached(&mut self) -> End {
        tokio::select! {
            () = self.stopping.stopped() => End::Stopping,
            () = self.admission.revoked() => End::Revoked,
        }
    }
}

/// A subscriber's place in the log: what it has been sent, and what it wants.
#[derive(Debug)]
pub struct Cursor {
    last: u64,
    filter: Filter,
}

/// One message for a subscriber: an event, or `reset`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The event's id; for `reset`, the id just before the first event kept (the newest
    /// when none is), which a client resuming after it is not told again it missed.
    pub id: u64,
    /// The event's kind, or "reset".
    pub kind: &'static str,
    /// Its data, with its room.
    pub data: Json,
}

impl Cursor {
    /// A subscriber that has seen the events up to `after` ([`NOW`]: up to
    /// the newest when it first takes, unless already resolved with
    /// [`EventLog::resolve`]).
    pub fn new(after: u64, filter: Filter) -> Self {
        Cursor {
            last: after,
            filter,
        }
    }

    /// What to send now: the events it wants after the last one taken, led
    /// by a `reset` whenever some it wants were dropped from the log before it
    /// took them (at first, for an id the log no longer has; later, for a
    /// subscriber that fell more than the log's length behind), as
    /// [`EventLog::since_for`] tells.
    pub fn take(&mut self, log: &EventLog) -> Vec<Outgoing> {
        let backlog = log.since_for(log.resolve(self.last), &self.filter);
        let mut out = Vec::new();
        if backlog.missed {
            let resume_from = backlog.events.first().map(|e| e.id);
            // Sent with an id, so that a client whose filter takes none of the events kept
            // (a quiet room) resumes after the loss when it reconnects, not before it.
            out.push(Outgoing {
                id: resume_from.map_or(backlog.newest, |first| first - 1),
                kind: "reset",
                data: json!({"missed": true, "resume_from": resume_from}),
            });
        }
        // Taken up to the newest, so an id past it (from a process whose clock was ahead)
        // misses events once, not at every take.
        self.last = backlog.newest;
        for event in backlog.events {
            if self.filter.takes(&event) {
                out.push(Outgoing {
                    id: event.id,
                    kind: event.kind,
                    data: event_data(&event),
                });
            }
        }
        out
    }
}

/// The SSE answer: the backlog after `after` ([`NOW`]: none, from the
/// newest event when called), then each new event, for as long as the client
/// stays (holding its subscriber's `permit` as long): once `ending` is reached
/// the body ends, after what was queued for it. A client that missed events
/// first gets a `reset` event.
pub(crate) fn stream(
    log: Arc<EventLog>,
    after: u64,
    filter: Filter,
    permit: OwnedSemaphorePermit,
    mut ending: Ending,
) -> HttpResponse {
    // `now` is when the request is answered, not when the task first runs: an event the
    // client causes once it has the answer's headers is sent to it.
    let cursor = Cursor::new(log.resolve(after), filter);
    let (frames, body) = mpsc::channel::<Bytes>(QUEUE);
    tokio::spawn(async move {
        let _permit = permit;
        tokio::select! {
            // The ending first: once reached, nothing more is sent, though events are ready.
            biased;
            end = ending.reached() => debug!(?end, "event stream ended by the server"),
            () = feed(&log, cursor, &frames) => {}
        }
    });
    answer(ChannelBody::new(body).boxed())
}

/// Sends `frames` the events `cursor` takes, and a comment whenever nothing was sent for
/// [`KEEPALIVE`], until the body is dropped (the client gone).
async fn feed(log: &EventLog, mut cursor: Cursor, frames: &mpsc::Sender<Bytes>) {
    let mut newest = log.watch();
    let mut keepalive = Keepalive::new();
    loop {
        for message in cursor.take(log) {
            if frames
                .send(sse(message.id, message.kind, &message.data))
                .await
                .is_err()
            {
                return;
            }
            keepalive.sent();
        }
        tokio::select! {
            changed = newest.changed() => if changed.is_err() { return },
            // A client gone frees its permit now, not at the next event or keep-alive.
            () = frames.closed() => return,
            () = keepalive.due() => {
                if frames.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                    return;
                }
                keepalive.sent();
            }
        }
    }
}

/// The answer to `HEAD`: the stream's headers, with no subscriber behind them.
pub(crate) fn head() -> HttpResponse {
    answer(http_body_util::Empty::new().boxed())
}

/// The stream's headers, over `body`: neither cached nor held back by a proxy on the way,
/// since each event is worth its own delivery now.
fn answer(body: BoxBody<Bytes, Infallible>) -> HttpResponse {
    let mut response = with_type(Response::new(body), "text/event-stream");
    let headers = response.headers_mut();
    // `no-transform` (RFC 9111 §5.2.2.6): no intermediary may recode (and so gather) it.
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    // nginx buffers a proxied response unless it says otherwise.
    headers.insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    response
}

/// The event's data as sent: its details, with its room.
fn event_data(event: &ControlEvent) -> Json {
    let mut data = event.data.clone();
    if let (Some(room), Json::Object(members)) = (&event.room, &mut data) {
        members.insert("room".into(), Json::String(room.clone()));
    }
    data
}

/// One SSE message (the WHATWG HTML "server-sent events" format).
fn sse(id: u64, kind: &str, data: &Json) -> Bytes {
    Bytes::from(format!("id: {id}\nevent: {kind}\ndata: {data}\n\n"))
}

/// Publishes an event of room `B` now and every 5 s after, less than [`KEEPALIVE`] apart,
/// for a subscriber of room `A` to leave out.
#[cfg(test)]
pub(crate) fn other_room_every_5_s(log: &Arc<EventLog>) -> tokio::task::JoinHandle<()> {
    let log = Arc::clone(log);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            log.publish("join", Some("B"), json!({}));
        }
    })
}

/// How many times a test runs a stream whose end and events are ready at once: were the
/// events sent first by chance half the time, they would be in one of these runs but with
/// odds of 2^-32.
#[cfg(test)]
pub(crate) const RACES: usize = 32;

/// An [`Ending`] reached from the start, its subscriber's token rotated away, and the stop
/// signal, the server going on while it is held.
#[cfg(test)]
pub(crate) fn revoked_ending() -> (crate::stop::Stop, Ending) {
    use crate::access::Access;
    use hyper::header::AUTHORIZATION;
    let access = Access::token("s3cret");
    let headers =
        HeaderMap::from_iter([(AUTHORIZATION, HeaderValue::from_static("Bearer s3cret"))]);
    let admission = access.admit(&hyper::Method::GET, &headers).unwrap();
    access.adopt(&Access::token("n3w-s3cret"));
    let (stop, stopping) = crate::stop::signal();
    (
        stop,
        Ending {
            stopping,
            admission,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_filtered_stream_keeps_alive_while_events_it_leaves_out_go_by() {
        let log = Arc::new(EventLog::after(16, 0));
        let (frames, mut sent) = mpsc::channel(QUEUE);
        let cursor = Cursor::new(0, Filter::from_query(Some("room=A")).unwrap());
        let subscriber = Arc::clone(&log);
        tokio::spawn(async move { feed(&subscriber, cursor, &frames).await });
        other_room_every_5_s(&log);
        for _ in 0..2 {
            let frame = tokio::time::timeout(KEEPALIVE + Duration::from_secs(1), sent.recv())
                .await
                .expect("a keep-alive within 15 s of the last frame");
            assert_eq!(frame.as_deref(), Some(&b": keep-alive\n\n"[..]));
        }
    }

    /// The first frame a stream of the events of `log` that `filter` takes sends to a
    /// subscriber resuming after `after`.
    async fn first_frame(log: &Arc<EventLog>, after: u64, filter: Filter) -> String {
        let (frames, mut sent) = mpsc::channel(QUEUE);
        let subscriber = Arc::clone(log);
        let cursor = Cursor::new(after, filter);
        let feeding = tokio::spawn(async move { feed(&subscriber, cursor, &frames).await });
        let frame = tokio::time::timeout(KEEPALIVE + Duration::from_secs(1), sent.recv()).await;
        feeding.abort();
        String::from_utf8(frame.unwrap().unwrap().to_vec()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_revoked_sends_nothing_more_though_events_are_ready() {
        let log = Arc::new(EventLog::new(16));
        for _ in 0..RACES {
            let (_stop, ending) = revoked_ending();
            let place = Arc::new(tokio::sync::Semaphore::new(1));
            let place = place.try_acquire_owned().unwrap();
            let response = stream(Arc::clone(&log), NOW, Filter::default(), place, ending);
            log.publish("join", Some("A"), json!({}));
            let body = tokio::time::timeout(Duration::from_secs(1), response.into_body().collect());
            let sent = body.await.expect("the stream ended").unwrap().to_bytes();
            assert!(sent.is_empty(), "sent once revoked: {sent:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_filtered_stream_resumed_after_its_reset_is_not_told_again() {
        let log = Arc::new(EventLog::after(4, 0));
        log.publish("join", Some("A"), json!({}));
        log.publish("talking", Some("A"), json!({}));
        // Room B's events push room A's talking out, and are left out by room A's filter.
        for _ in 0..4 {
            log.publish("talking", Some("B"), json!({}));
        }
        let room_a = || Filter::from_query(Some("room=A")).unwrap();
        let reset = first_frame(&log, 1, room_a()).await;
        assert_eq!(
            reset,
            "id: 2\nevent: reset\ndata: {\"missed\":true,\"resume_from\":3}\n\n"
        );
        // As an EventSource reconnects: after the last id it got.
        let resumed = first_frame(&log, 2, room_a()).await;
        assert_eq!(
            resumed, ": keep-alive\n\n",
            "nothing missed since the reset"
        );
    }

    #[test]
    fn the_log_keeps_the_last_events_and_tells_a_late_subscriber_it_missed_some() {
        let log = EventLog::after(3, 0);
        for n in 0..5 {
            log.publish("join", Some("1"), json!({"n": n}));
        }
        let all = log.since(0);
        assert_eq!(
            all.events.iter().map(|e| e.id).collect::<Vec<_>>(),
            [3, 4, 5]
        );
        assert!(!all.missed, "0 asks for whatever is kept");
        assert!(!log.since(2).missed, "2 is just before the oldest kept");
        assert!(log.since(1).missed, "event 2 is gone");
        assert!(log.since(9).missed, "an id from before a restart");
        assert_eq!(log.since(4).events.len(), 1);
    }

    #[test]
    fn the_events_after_any_id_are_found_by_their_place_in_the_log() {
        let log = EventLog::after(3, 0);
        for n in 0..5 {
            log.publish("join", None, json!({"n": n}));
        }
        let kept = [3, 4, 5];
        for after in 0..8u64 {
            let from = if after > 5 { 0 } else { after };
            let expected: Vec<u64> = kept.into_iter().filter(|&id| id > from).collect();
            let ids: Vec<u64> = log.since(after).events.iter().map(|e| e.id).collect();
            assert_eq!(ids, expected, "after {after}");
        }
        assert!(EventLog::new(2).since(0).events.is_empty());
    }

    /// The kinds and ids of `out`.
    fn kinds_and_ids(out: Vec<Outgoing>) -> Vec<(&'static str, u64)> {
        out.iter().map(|o| (o.kind, o.id)).collect()
    }

    #[test]
    fn a_subscriber_from_before_a_restart_gets_every_event_kept_and_then_the_new_ones() {
        let log = EventLog::after(8, 0);
        for n in 0..3 {
            log.publish("join", Some("1"), json!({"n": n}));
        }
        let mut cursor = Cursor::new(500, Filter::default());
        assert_eq!(
            kinds_and_ids(cursor.take(&log)),
            [("reset", 0), ("join", 1), ("join", 2), ("join", 3)]
        );
        log.publish("leave", Some("1"), json!({}));
        assert_eq!(kinds_and_ids(cursor.take(&log)), [("leave", 4)]);
        assert_eq!(
            kinds_and_ids(cursor.take(&log)),
            [],
            "nothing new, no reset"
        );
    }

    #[test]
    fn a_subscriber_that_falls_behind_the_log_is_told_each_time() {
        let log = EventLog::after(4, 0);
        let mut cursor = Cursor::new(0, Filter::default());
        log.publish("join", Some("1"), json!({}));
        assert_eq!(kinds_and_ids(cursor.take(&log)), [("join", 1)]);
        // Six more while it does not read: two are dropped before it takes them.
        for _ in 0..6 {
            log.publish("talking", Some("1"), json!({}));
        }
        let out = kinds_and_ids(cursor.take(&log));
        assert_eq!(out[0], ("reset", 3), "resumes before the oldest kept");
        assert_eq!(out[1..], [3, 4, 5, 6].map(|id| ("talking", id + 1)));
        log.publish("leave", Some("1"), json!({}));
        assert_eq!(kinds_and_ids(cursor.take(&log)), [("leave", 8)]);
        // And again, later in the same stream.
        for _ in 0..5 {
            log.publish("talking", Some("1"), json!({}));
        }
        assert_eq!(cursor.take(&log)[0].kind, "reset");
    }

    /// Whether a subscriber of `query` resuming after `after` is first told it missed
    /// events of `log`.
    fn reset_after(log: &EventLog, after: u64, query: &str) -> bool {
        let filter = Filter::from_query(Some(query)).unwrap();
        let out = Cursor::new(after, filter).take(log);
        out.first().is_some_and(|first| first.kind == "reset")
    }

    #[test]
    fn a_filtered_subscriber_is_told_it_missed_events_only_when_some_it_takes_were_dropped() {
        let log = EventLog::after(4, 0);
        log.publish("join", Some("A"), json!({}));
        // Other rooms' events, and room A's key presses, push room A's join out of the log.
        log.publish("dtmf", Some("A"), json!({}));
        for _ in 0..6 {
            log.publish("talking", Some("B"), json!({}));
        }
        let mut room_a = Cursor::new(1, Filter::from_query(Some("room=A")).unwrap());
        assert_eq!(
            kinds_and_ids(room_a.take(&log)),
            [],
            "none of its own missed"
        );
        log.publish("leave", Some("A"), json!({}));
        assert_eq!(kinds_and_ids(room_a.take(&log)), [("leave", 9)]);
        assert!(
            reset_after(&log, 1, "room=A&dtmf=1"),
            "a key press of A is gone"
        );
        assert!(reset_after(&log, 1, "room=B"), "talking of B is gone");
        assert!(reset_after(&log, 1, ""), "unfiltered: B's events");
        assert!(
            !reset_after(&log, 0, "room=B"),
            "0 asks for whatever is kept"
        );

        // A true loss stays one: room A's events, or events of no room, dropped.
        let log = EventLog::after(4, 0);
        log.publish("join", Some("A"), json!({}));
        log.publish("join", Some("A"), json!({}));
        for _ in 0..4 {
            log.publish("talking", Some("B"), json!({}));
        }
        let out = Cursor::new(1, Filter::from_query(Some("room=A")).unwrap()).take(&log);
        assert_eq!(out[0].kind, "reset");
        assert_eq!(out[0].data["resume_from"], 3);
        let log = EventLog::after(4, 0);
        log.publish("join", Some("A"), json!({}));
        log.publish("guest_loaded", None, json!({}));
        for _ in 0..4 {
            log.publish("talking", Some("B"), json!({}));
        }
        assert!(
            reset_after(&log, 1, "room=A"),
            "a guest event is every room's"
        );
    }

    #[test]
    fn an_id_older_than_the_log_tells_of_is_told_it_missed_events() {
        let log = EventLog::after(1, 100);
        assert!(reset_after(&log, 99, "room=A"), "an earlier process's id");
        let a = log.publish("join", Some("A"), json!({}));
        // Each event drops the one before: room A's, then one of each of more other rooms
        // than the log tells apart, the last of them forgetting the others.
        for room in 0..DROPPED_GROUPS + 1 {
            log.publish("join", Some(&room.to_string()), json!({}));
        }
        let newest = log.since(0).newest;
        let forgotten_up_to = newest - 2;
        assert!(
            reset_after(&log, a, "room=A"),
            "the log no longer tells what was dropped after it"
        );
        assert!(reset_after(&log, forgotten_up_to - 1, "room=A"));
        assert!(
            !reset_after(&log, forgotten_up_to, "room=A"),
            "only room {} dropped since",
            DROPPED_GROUPS - 1
        );
        let last_dropped = format!("room={}", DROPPED_GROUPS - 1);
        assert!(reset_after(&log, forgotten_up_to, &last_dropped));
    }

    #[test]
    fn an_id_past_the_newest_misses_events_once() {
        let log = EventLog::after(4, 10);
        let mut cursor = Cursor::new(500, Filter::default());
        assert_eq!(
            kinds_and_ids(cursor.take(&log)),
            [("reset", 10)],
            "none kept: the newest id"
        );
        assert!(cursor.take(&log).is_empty());
        log.publish("join", None, json!({}));
        let out = cursor.take(&log);
        assert_eq!((out.len(), out[0].id), (1, 11));
    }

    #[test]
    fn ids_go_on_from_the_time_the_log_was_made_in_microseconds() {
        let micros = || {
            let since = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap();
            u64::try_from(since.as_micros()).unwrap()
        };
        let before = micros();
        let log = EventLog::new(8);
        let after = micros();
        let first = log.publish("join", None, json!({}));
        assert!(
            before < first && first <= after + 1,
            "{before} {first} {after}"
        );
        assert!(first < 1 << 53, "exact as a JSON number");
        assert_eq!(log.publish("leave", None, json!({})), first + 1);
    }

    #[test]
    fn an_id_from_an_earlier_process_is_missed_even_when_this_one_has_passed_its_number() {
        let earlier = EventLog::new(8);
        let seen: Vec<u64> = (0..5)
            .map(|n| earlier.publish("join", None, json!({"n": n})))
            .collect();
        // The next process starts at least a millisecond later.
        std::thread::sleep(Duration::from_millis(2));
        let log = EventLog::new(8);
        let ids: Vec<u64> = (0..5)
            .map(|n| log.publish("join", None, json!({"n": n})))
            .collect();
        let resumed = log.since(seen[2]);
        assert!(resumed.missed, "{seen:?} then {ids:?}");
        assert_eq!(resumed.events.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
        let mut cursor = Cursor::new(seen[2], Filter::default());
        let out = cursor.take(&log);
        assert_eq!(out[0].kind, "reset");
        assert_eq!(out[0].data["resume_from"], ids[0]);
        assert_eq!(out.len(), 6);
        assert!(!log.since(ids[1]).missed);
        assert!(
            log.since(seen[4]).missed,
            "before the first, with none dropped"
        );
        assert!(
            EventLog::new(8).since(seen[4]).missed,
            "and with none published"
        );
    }

    #[test]
    fn filters_take_their_room_and_keys_only_when_asked() {
        let event = |kind, room: Option<&str>| ControlEvent {
            id: 1,
            kind,
            room: room.map(str::to_owned),
            data: json!({}),
        };
        let room = Filter::from_query(Some("room=12%203&x=y")).unwrap();
        assert_eq!(room.room.as_deref(), Some("12 3"));
        let form = Filter::from_query(Some("room=12+3")).unwrap();
        assert_eq!(form.room, room.room, "as URLSearchParams writes it");
        assert!(room.takes(&event("join", Some("12 3"))));
        assert!(!room.takes(&event("join", Some("4"))));
        assert!(room.takes(&event("guest_loaded", None)));
        assert!(!room.takes(&event("dtmf", Some("12 3"))));
        for keys in ["dtmf=1", "dtmf=true", "dtmf=0&dtmf=1"] {
            let filter = Filter::from_query(Some(keys)).unwrap();
            assert!(filter.takes(&event("dtmf", Some("4"))), "{keys}");
        }
        for no_keys in ["dtmf=0", "dtmf=false", "room=&&"] {
            let filter = Filter::from_query(Some(no_keys)).unwrap();
            assert!(!filter.takes(&event("dtmf", None)), "{no_keys}");
        }
    }

    #[test]
    fn a_filter_value_it_does_not_take_is_named_rather_than_left_out() {
        for (query, name, value) in [
            ("dtmf=TRUE", "dtmf", "TRUE"),
            ("room=1&dtmf=yes", "dtmf", "yes"),
            ("dtmf", "dtmf", ""),
            ("dtmf=", "dtmf", ""),
            ("room=%FF", "room", "%FF"),
        ] {
            let bad = Filter::from_query(Some(query)).unwrap_err();
            assert_eq!((bad.name, bad.value.as_str()), (name, value), "{query}");
        }
        let bad = Filter::from_query(Some("dtmf=yes")).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "query parameter dtmf=\"yes\": expected true, false, 1 or 0"
        );
        assert_eq!(
            Filter::from_query(Some("x=%FF&dtmf=1&utm_source=wall")).unwrap(),
            Filter {
                room: None,
                dtmf: true
            },
            "other parameters are left alone"
        );
    }

    #[test]
    fn clients_resume_after_the_last_id_they_saw() {
        let mut headers = HeaderMap::new();
        assert_eq!(resume_point(&headers, Some("after=7")), Ok(7));
        headers.insert("last-event-id", HeaderValue::from_static("9"));
        assert_eq!(resume_point(&headers, Some("after=7")), Ok(9));
        assert_eq!(resume_point(&HeaderMap::new(), None), Ok(0));
        assert_eq!(resume_point(&HeaderMap::new(), Some("room=1")), Ok(0));
    }

    #[test]
    fn an_after_that_is_neither_an_id_nor_now_is_named_rather_than_read_as_none() {
        let mut resuming = HeaderMap::new();
        resuming.insert("last-event-id", HeaderValue::from_static("9"));
        for value in ["NOW", "latest", "-1", "12abc", "+1", "", "later", "%FF"] {
            let query = format!("room=1&after={value}");
            for headers in [&HeaderMap::new(), &resuming] {
                let bad = resume_point(headers, Some(&query)).unwrap_err();
                assert_eq!((bad.name, bad.value.as_str()), ("after", value), "{query}");
            }
        }
        let bad = resume_point(&HeaderMap::new(), Some("after=7&after=x")).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "query parameter after=\"x\": expected an event id (digits) or now"
        );
        assert_eq!(
            resume_point(&HeaderMap::new(), Some("after=%6Eow")),
            Ok(NOW)
        );
    }

    #[test]
    fn a_last_event_id_that_is_no_event_id_is_named_rather_than_read_as_none() {
        for value in ["abc", "-1", "+1", "12abc", "1.5", "now", "\u{e9}"] {
            let mut headers = HeaderMap::new();
            headers.insert("last-event-id", HeaderValue::from_str(value).unwrap());
            for query in [None, Some("after=7"), Some("after=now")] {
                let bad = resume_point(&headers, query).unwrap_err();
                assert_eq!(bad.place, ParameterIn::Header, "{value} {query:?}");
                assert_eq!((bad.name, bad.value.as_str()), ("Last-Event-ID", value));
            }
        }
        let mut headers = HeaderMap::new();
        headers.insert("last-event-id", HeaderValue::from_static("later"));
        assert_eq!(
            resume_point(&headers, None).unwrap_err().to_string(),
            "header Last-Event-ID \"later\": expected an event id (digits)"
        );
        headers.insert("last-event-id", HeaderValue::from_static(""));
        assert_eq!(
            resume_point(&headers, Some("after=7")),
            Ok(7),
            "an empty id is none"
        );
    }

    #[test]
    fn after_now_resumes_from_the_newest_event_unless_an_id_is_sent() {
        let none = HeaderMap::new();
        let resume_point =
            |headers: &HeaderMap, query: Option<&str>| resume_point(headers, query).unwrap();
        assert_eq!(resume_point(&none, Some("room=1&after=now")), NOW);
        let mut resuming = HeaderMap::new();
        resuming.insert("last-event-id", HeaderValue::from_static("9"));
        assert_eq!(
            resume_point(&resuming, Some("after=now")),
            9,
            "an EventSource reconnecting to its URL resumes after what it saw"
        );
        let max = u64::MAX.to_string();
        assert_eq!(resume_point(&none, Some(&format!("after={max}"))), NOW - 1);
        assert_eq!(
            resume_point(&none, Some("after=99999999999999999999")),
            NOW - 1,
            "an id too large for a u64 is past the newest too, not no id"
        );
        let mut too_large = HeaderMap::new();
        too_large.insert(
            "last-event-id",
            HeaderValue::from_static("99999999999999999999"),
        );
        assert_eq!(resume_point(&too_large, Some("after=now")), NOW - 1);
    }

    #[test]
    fn a_subscriber_after_now_gets_none_of_the_events_kept_only_the_new_ones() {
        let log = EventLog::after(8, 0);
        for n in 0..3 {
            log.publish("join", Some("1"), json!({"n": n}));
        }
        let mut cursor = Cursor::new(NOW, Filter::default());
        assert_eq!(kinds_and_ids(cursor.take(&log)), [], "no backlog, no reset");
        log.publish("leave", Some("1"), json!({}));
        assert_eq!(kinds_and_ids(cursor.take(&log)), [("leave", 4)]);
        // Resolved when subscribing: an event published before the first take is new.
        let mut cursor = Cursor::new(log.resolve(NOW), Filter::default());
        log.publish("mute", Some("1"), json!({}));
        assert_eq!(kinds_and_ids(cursor.take(&log)), [("mute", 5)]);
        assert_eq!(log.resolve(3), 3);
        assert_eq!(
            EventLog::after(8, 7).resolve(NOW),
            7,
            "an empty log: its base"
        );
    }

    #[test]
    fn messages_have_the_sse_shape() {
        let bytes = sse(4, "leave", &json!({"call": "c1"}));
        assert_eq!(
            &bytes[..],
            b"id: 4\nevent: leave\ndata: {\"call\":\"c1\"}\n\n"
        );
    }
}
