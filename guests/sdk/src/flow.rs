//! A call flow as a state machine: [`CallFlow`], its [`Event`]s, and the
//! table of per-call states that [`call_flow!`](crate::call_flow) wires to the
//! host.

use crate::call::{Call, TimerId};
use crate::control::{Fault, ValueTree};
use crate::types::{self, CallFailure, CallProgress, InviteInfo, TalkState};
use crate::{Value, fault, from_tree, to_tree};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A call flow: one value of it per call, created when the call begins and
/// advanced by each of the call's events until it hangs up.
///
/// Name the type with [`call_flow!`](crate::call_flow) to make it the guest.
/// The host gives each call its own guest instance, so a flow's value lives
/// in that instance and needs no locking; state shared between calls is the
/// host's (rooms, [`store`](crate::store)).
pub trait CallFlow: Sized {
    /// A new incoming call. Before returning, the flow must answer, reject,
    /// forward or hang up the call (a prompt needs the call answered first);
    /// a call left unanswered and unrejected is rejected by the host with 500.
    fn on_invite(call: &Call, invite: InviteInfo) -> Self;

    /// A call this guest placed ([`dial`](crate::dial) or [`Call::forward`]),
    /// with the `context` its request carried; `None` keeps no state for it,
    /// so its later events are dropped.
    ///
    /// The default, for flows that place no calls, logs a warning and hangs
    /// the call up.
    fn on_dialed(call: &Call, context: String) -> Option<Self> {
        crate::log::log(
            crate::log::Level::Warn,
            &format!(
                "call {call} was placed (context {context:?}) but this flow places no calls; hanging up"
            ),
        );
        // Hanging up can only fail if the call is gone already.
        let _ = call.hangup();
        None
    }

    /// Something happened to the call. [`Event::Hangup`] is the last event:
    /// the flow's value is dropped after it.
    fn on_event(&mut self, call: &Call, event: Event);

    /// The flow of call `from` sent `message` to this call with
    /// [`Call::send_message`]. The default ignores it.
    ///
    /// A message sent by an instance serving a control request, not a call,
    /// comes with a `from` whose id is `""`; sending to it is
    /// [`Error::NoSuchCall`](crate::types::Error::NoSuchCall).
    fn on_message(&mut self, call: &Call, from: Call, message: String) {
        let _ = (call, from, message);
    }

    /// Why the guest cannot serve with its config table (read with
    /// [`config::get`](crate::config::get)), naming the key; `None` when it
    /// can. The host asks before the guest serves: at `check-config`, at
    /// start-up and at every load of a new version, and the problem refuses
    /// the config or the load. It is for what the kinds of
    /// [`config_keys!`](macro@crate::config_keys) cannot say (a pin of digits, a
    /// word among a few, a table); it should read the table and nothing else,
    /// since the host serves the check nothing more. The default finds none.
    fn config_problem() -> Option<String> {
        None
    }
}

/// Something that happened to a call after it began: the WIT `event`, with
/// the timer typed and without `dialed` (which begins a placed call's flow,
/// [`CallFlow::on_dialed`]).
#[derive(Debug, Clone)]
pub enum Event {
    /// A placed call's callee rings or sends early media.
    Progress(CallProgress),
    /// A placed call's callee answered.
    Answered,
    /// A placed call failed; [`Event::Hangup`] follows.
    Failed(CallFailure),
    /// The last prompt of [`Call::play`] finished, or a
    /// [`Call::play_looped`] list with no audio ended at once.
    PromptDone,
    /// The caller pressed a key: one of 0-9, *, #, A-D.
    Dtmf(char),
    /// A timer of [`Call::start_timer`] fired.
    Timer(TimerId),
    /// The call's bridge ended; the call is alone now.
    Unbridged,
    /// The call began (`talking`) or stopped talking in its room.
    Talk(TalkState),
    /// The outcome of [`Call::hold`]: `Ok(true)` on hold, `Ok(false)` off
    /// it, `Err("code phrase")` refused by the peer.
    Held(Result<bool, String>),
    /// The call is over, however it ended (the WIT `hangup` lists how); the
    /// last event.
    Hangup,
}

/// A WIT event sorted into what starts a placed call's flow and what advances one.
enum Incoming {
    Dialed(String),
    Event(Event),
}

impl From<types::Event> for Incoming {
    fn from(event: types::Event) -> Self {
        use types::Event as Wit;
        Incoming::Event(match event {
            Wit::Dialed(context) => return Incoming::Dialed(context),
            Wit::Progress(progress) => Event::Progress(progress),
            Wit::Answered => Event::Answered,
            Wit::Failed(failure) => Event::Failed(failure),
            Wit::PromptDone => Event::PromptDone,
            Wit::Dtmf(key) => Event::Dtmf(key),
            Wit::Timer(timer) => Event::Timer(TimerId::from_raw(timer)),
            Wit::Unbridged => Event::Unbridged,
            Wit::Talk(talk) => Event::Talk(talk),
            Wit::Held(outcome) => Event::Held(outcome),
            Wit::Hangup => Event::Hangup,
        })
    }
}

/// The live calls' flow values, by call id: what [`call_flow!`](crate::call_flow)
/// keeps for the guest. A value is added when its call begins and removed
/// with the call's [`Event::Hangup`], so the table holds only live calls.
#[derive(Debug)]
pub struct Flows<F> {
    calls: BTreeMap<String, F>,
}

impl<F> Default for Flows<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F> Flows<F> {
    /// An empty table.
    pub const fn new() -> Self {
        Flows {
            calls: BTreeMap::new(),
        }
    }
}

impl<F: CallFlow> Flows<F> {
    /// `handler.on-invite`: starts the call's flow and keeps its value.
    pub fn on_invite(table: &RefCell<Self>, invite: InviteInfo) {
        let call = Call::new(invite.call.clone());
        // The table is not borrowed while the flow runs.
        let flow = F::on_invite(&call, invite);
        table.borrow_mut().calls.insert(call.id().to_owned(), flow);
    }

    /// `handler.on-event`: starts a placed call's flow (`dialed`), or gives
    /// the event to the call's flow, dropping its value after `hangup`.
    /// Events of a call without a value are dropped.
    pub fn on_event(table: &RefCell<Self>, id: String, event: types::Event) {
        let call = Call::new(id);
        match Incoming::from(event) {
            Incoming::Dialed(context) => {
                if let Some(flow) = F::on_dialed(&call, context) {
                    table.borrow_mut().calls.insert(call.id().to_owned(), flow);
                }
            }
            Incoming::Event(event) => {
                let over = matches!(event, Event::Hangup);
                Self::advance(table, &call, |flow| flow.on_event(&call, event));
                if over {
                    table.borrow_mut().calls.remove(call.id());
                }
            }
        }
    }

    /// `handler.on-message`: gives the message to the call's flow; a
    /// message for a call without a value is dropped.
    pub fn on_message(table: &RefCell<Self>, id: String, from: String, message: String) {
        let call = Call::new(id);
        Self::advance(table, &call, |flow| {
            flow.on_message(&call, Call::new(from), message);
        });
    }

    /// Runs `step` on the call's flow, if it has one. The value is out of
    /// the table while the step runs, so the table is not borrowed then.
    fn advance(table: &RefCell<Self>, call: &Call, step: impl FnOnce(&mut F)) {
        let Some(mut flow) = table.borrow_mut().calls.remove(call.id()) else {
            return;
        };
        step(&mut flow);
        table.borrow_mut().calls.insert(call.id().to_owned(), flow);
    }
}

/// A guest's control API (XML-RPC functions), on [`Value`]s: name it with
/// `call_flow!(Flow, control: Api)`.
pub trait ControlApi {
    /// Answers `function` called with `params`, or a [`Fault`] (see
    /// [`fault`] and [`params`](crate::params) for the codes SEMS clients
    /// expect).
    fn handle(function: &str, params: &[Value]) -> Result<Value, Fault>;
}

/// The control API of a guest without one: every function is fault 504.
#[derive(Debug)]
pub struct NoControl;

/// The fault code of a function the guest does not have.
pub const UNKNOWN_FUNCTION: i32 = 504;

impl ControlApi for NoControl {
    fn handle(function: &str, _params: &[Value]) -> Result<Value, Fault> {
        Err(fault(
            UNKNOWN_FUNCTION,
            format!("unknown method name '{function}': this guest has no control functions"),
        ))
    }
}

/// `control.handle` for `A`: the parameters array as [`Value`]s in, the
/// answer as a value tree out.
pub fn handle_control<A: ControlApi>(
    function: &str,
    params: ValueTree,
) -> Result<ValueTree, Fault> {
    let params = match from_tree(params)? {
        Value::Array(items) => items,
        other => vec![other],
    };
    A::handle(function, &params).map(|value| to_tree(&value))
}

/// Makes a [`CallFlow`] the guest: exports `handler` to keep one flow value
/// per call in a [`Flows`] table, and `control` to answer with a
/// [`ControlApi`], by default [`NoControl`].
///
/// ```text
/// struct Greeter { /* per-call state */ }
/// impl switchyard_sdk::CallFlow for Greeter { /* on_invite, on_event */ }
/// switchyard_sdk::call_flow!(Greeter);
/// // or, with control functions:
/// switchyard_sdk::call_flow!(Greeter, control: GreeterApi);
/// ```
///
/// The exports exist only when building for `wasm32`; on other targets the
/// macro only checks the types, so the guest's own logic can be unit-tested
/// natively.
#[macro_export]
macro_rules! call_flow {
    ($flow:ty) => {
        $crate::call_flow!($flow, control: $crate::NoControl);
    };
    ($flow:ty, control: $control:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            ::std::thread_local! {
                static FLOWS: ::core::cell::RefCell<$crate::Flows<$flow>> =
                    const { ::core::cell::RefCell::new($crate::Flows::new()) };
            }

            struct Exports;

            impl $crate::handler::Guest for Exports {
                fn on_invite(invite: $crate::types::InviteInfo) {
                    FLOWS.with(|flows| $crate::Flows::on_invite(flows, invite));
                }

                fn on_event(call: ::std::string::String, event: $crate::types::Event) {
                    FLOWS.with(|flows| $crate::Flows::on_event(flows, call, event));
                }

                fn on_message(
                    call: ::std::string::String,
                    from: ::std::string::String,
                    message: ::std::string::String,
                ) {
                    FLOWS.with(|flows| $crate::Flows::on_message(flows, call, from, message));
                }
            }

            impl $crate::control::Guest for Exports {
                fn handle(
                    function: ::std::string::String,
                    params: $crate::control::ValueTree,
                ) -> ::core::result::Result<$crate::control::ValueTree, $crate::control::Fault> {
                    $crate::handle_control::<$control>(&function, params)
                }
            }

            impl $crate::config_check::Guest for Exports {
                fn problem() -> ::core::option::Option<::std::string::String> {
                    <$flow as $crate::CallFlow>::config_problem()
                }
            }

            $crate::export!(Exports);
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            $crate::assert_guest::<$flow, $control>();
        };
    };
}

/// Checks at compile time that `F` and `A` can make a guest; what
/// [`call_flow!`](crate::call_flow) expands to off `wasm32`.
pub const fn assert_guest<F: CallFlow, A: ControlApi>() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flow that only records what it is given (it calls no host function,
    /// so it runs natively).
    #[derive(Debug)]
    struct Recorder {
        from: String,
        seen: Vec<String>,
    }

    impl CallFlow for Recorder {
        fn on_invite(_call: &Call, invite: InviteInfo) -> Self {
            Recorder {
                from: invite.from_user,
                seen: Vec::new(),
            }
        }

        fn on_dialed(_call: &Call, context: String) -> Option<Self> {
            (context != "ignore").then(|| Recorder {
                from: context,
                seen: Vec::new(),
            })
        }

        fn on_event(&mut self, call: &Call, event: Event) {
            self.seen.push(format!("{call}:{event:?}"));
        }

        fn on_message(&mut self, call: &Call, from: Call, message: String) {
            self.seen.push(format!("{call}:{from} says {message}"));
        }
    }

    impl<F> Flows<F> {
        fn len(&self) -> usize {
            self.calls.len()
        }

        fn get(&self, id: &str) -> Option<&F> {
            self.calls.get(id)
        }
    }

    fn invite(call: &str, from: &str) -> InviteInfo {
        InviteInfo {
            call: call.into(),
            request_uri: "sip:123@192.0.2.1".into(),
            request_user: "123".into(),
            from_uri: format!("sip:{from}@192.0.2.2"),
            from_user: from.into(),
            from_display_name: None,
            to_uri: "sip:123@192.0.2.1".into(),
            sip_call_id: "x@y".into(),
            headers: Vec::new(),
            source: "192.0.2.2:5060".into(),
        }
    }

    #[test]
    fn each_call_has_its_own_value_until_it_hangs_up() {
        let table = RefCell::new(Flows::<Recorder>::new());
        Flows::on_invite(&table, invite("a", "alice"));
        Flows::on_invite(&table, invite("b", "bob"));
        Flows::on_event(&table, "a".into(), types::Event::Dtmf('5'));
        Flows::on_event(&table, "b".into(), types::Event::Timer(9));
        Flows::on_event(&table, "a".into(), types::Event::PromptDone);
        Flows::on_message(&table, "b".into(), "a".into(), "hello".into());
        Flows::on_message(&table, "nobody".into(), "a".into(), "lost".into());
        {
            let flows = table.borrow();
            assert_eq!(flows.len(), 2);
            let a = flows.get("a").unwrap();
            assert_eq!(a.from, "alice");
            assert_eq!(a.seen, ["a:Dtmf('5')", "a:PromptDone"]);
            assert_eq!(
                flows.get("b").unwrap().seen,
                ["b:Timer(TimerId(9))", "b:a says hello"]
            );
        }
        Flows::on_event(&table, "a".into(), types::Event::Hangup);
        assert_eq!(table.borrow().len(), 1);
        assert!(table.borrow().get("a").is_none());
        Flows::on_event(&table, "b".into(), types::Event::Hangup);
        assert_eq!(table.borrow().len(), 0);
    }

    #[test]
    fn a_placed_call_starts_with_its_context_and_unknown_calls_are_dropped() {
        let table = RefCell::new(Flows::<Recorder>::new());
        Flows::on_event(&table, "p".into(), types::Event::Dialed("room 7".into()));
        Flows::on_event(&table, "p".into(), types::Event::Answered);
        Flows::on_event(&table, "q".into(), types::Event::Dialed("ignore".into()));
        Flows::on_event(&table, "q".into(), types::Event::Answered);
        Flows::on_event(&table, "nobody".into(), types::Event::Hangup);
        let flows = table.borrow();
        assert_eq!(flows.len(), 1);
        let p = flows.get("p").unwrap();
        assert_eq!(
            (p.from.as_str(), p.seen.as_slice()),
            ("room 7", &["p:Answered".to_owned()][..])
        );
    }

    #[test]
    fn every_wit_event_but_dialed_is_an_event() {
        let events = [
            types::Event::Answered,
            types::Event::PromptDone,
            types::Event::Unbridged,
            types::Event::Hangup,
            types::Event::Dtmf('#'),
            types::Event::Timer(3),
            types::Event::Held(Err("488 Not Acceptable Here".into())),
            types::Event::Progress(CallProgress {
                code: 180,
                reason: "Ringing".into(),
                early_media: false,
            }),
            types::Event::Failed(CallFailure {
                code: 486,
                reason: "Busy Here".into(),
            }),
            types::Event::Talk(TalkState {
                talking: true,
                level_dbov: -20,
            }),
        ];
        for event in events {
            let shown = format!("{event:?}");
            let Incoming::Event(mapped) = Incoming::from(event) else {
                panic!("{shown} is not an event");
            };
            let mapped = format!("{mapped:?}");
            // Same variant name; the timer is wrapped in its id type.
            assert_eq!(
                mapped.split('(').next(),
                shown.trim_start_matches("Event::").split('(').next(),
                "{shown} became {mapped}"
            );
        }
        assert!(matches!(
            Incoming::from(types::Event::Dialed("ctx".into())),
            Incoming::Dialed(context) if context == "ctx"
        ));
    }

    /// A control API that echoes its parameters.
    struct Echo;

    impl ControlApi for Echo {
        fn handle(function: &str, params: &[Value]) -> Result<Value, Fault> {
            Ok(Value::Array(
                std::iter::once(Value::from(function))
                    .chain(params.iter().cloned())
                    .collect(),
            ))
        }
    }

    #[test]
    fn control_functions_take_and_give_values() {
        let params = to_tree(&Value::Array(vec![Value::Int(1), Value::from("x")]));
        let answer = from_tree(handle_control::<Echo>("f", params).unwrap()).unwrap();
        assert_eq!(
            answer,
            Value::Array(vec![Value::from("f"), Value::Int(1), Value::from("x")])
        );
        let fault =
            handle_control::<NoControl>("roomInfo", to_tree(&Value::Array(vec![]))).unwrap_err();
        assert_eq!(fault.code, UNKNOWN_FUNCTION);
        assert_eq!(
            fault.message,
            "unknown method name 'roomInfo': this guest has no control functions"
        );
    }
}
