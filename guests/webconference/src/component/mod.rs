//! The component: the exports the host calls, and the flows behind them.
//!
//! Each call has its own instance: one that starts with `on_invite` runs the
//! dial-in flow, one that starts with `dialed` is a dial-out.

mod admin;
mod admin_calls;
mod admin_feedback;
mod admin_master;
mod admin_rooms;
mod dial_in;
mod dial_out;
mod finished_mutes;
mod keypad;
mod lonely;
mod long_timer;
mod presence;
mod room;
mod room_end;
mod settings;

use switchyard_sdk::control::{Fault, ValueTree};
use switchyard_sdk::types::{Event, InviteInfo};
use switchyard_sdk::{Value, from_tree, to_tree};

struct Webconference;

impl switchyard_sdk::handler::Guest for Webconference {
    fn on_invite(invite: InviteInfo) {
        dial_in::on_invite(invite);
    }

    fn on_event(call: String, event: Event) {
        match event {
            Event::Dialed(context) => dial_out::on_dialed(&call, &context),
            event if dial_out::is_placed() => dial_out::on_event(event),
            event => dial_in::on_event(&call, event),
        }
    }

    // Its calls send each other no messages: their shared state is the
    // host's rooms and the key-value store.
    fn on_message(_call: String, _from: String, _message: String) {}
}

impl switchyard_sdk::control::Guest for Webconference {
    fn handle(function: String, params: ValueTree) -> Result<ValueTree, Fault> {
        let params = match from_tree(params)? {
            Value::Array(items) => items,
            other => vec![other],
        };
        admin::handle(&function, &params).map(|value| to_tree(&value))
    }
}

impl switchyard_sdk::config_check::Guest for Webconference {
    fn problem() -> Option<String> {
        settings::problem()
    }
}

switchyard_sdk::export!(Webconference);
