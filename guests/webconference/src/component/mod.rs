//! The component: the exports the host calls, and the flows behind them.

mod admin;
mod dial_in;
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
        dial_in::on_event(&call, event);
    }
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

switchyard_sdk::export!(Webconference);
