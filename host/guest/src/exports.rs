//! A guest's exports, whichever supported WIT version it targets: the
//! pre-instantiated component, and an instance's `handler` and `control`.

use crate::bindings::{v0_1, v0_2, v0_3};
use crate::context::Context;
use crate::values::{ValueTree, from_tree, to_tree};
use crate::{Event, Fault, InviteInfo, Value, WitVersion};
use switchyard_value::TreeError;
use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};

/// A component linked against the host's imports of its version, ready to be
/// instantiated per call.
pub(crate) enum AppPre {
    V0_1(v0_1::AppPre<Context>),
    V0_2(v0_2::AppPre<Context>),
    V0_3(v0_3::AppPre<Context>),
}

/// The linker with the host's imports for every supported version.
pub(crate) fn add_to_linker(linker: &mut Linker<Context>) -> wasmtime::Result<()> {
    v0_1::App::add_to_linker::<_, HasSelf<_>>(linker, |context| context)?;
    v0_2::App::add_to_linker::<_, HasSelf<_>>(linker, |context| context)?;
    v0_3::App::add_to_linker::<_, HasSelf<_>>(linker, |context| context)
}

impl AppPre {
    /// Links `component`, which targets `version`.
    pub(crate) fn new(
        linker: &Linker<Context>,
        component: &Component,
        version: WitVersion,
    ) -> wasmtime::Result<AppPre> {
        let pre: InstancePre<Context> = linker.instantiate_pre(component)?;
        Ok(match version {
            WitVersion::V0_1 => AppPre::V0_1(v0_1::AppPre::new(pre)?),
            WitVersion::V0_2 => AppPre::V0_2(v0_2::AppPre::new(pre)?),
            WitVersion::V0_3 => AppPre::V0_3(v0_3::AppPre::new(pre)?),
        })
    }

    /// A fresh instance in `store`.
    pub(crate) fn instantiate(&self, store: &mut Store<Context>) -> wasmtime::Result<App> {
        Ok(match self {
            AppPre::V0_1(pre) => App::V0_1(Box::new(pre.instantiate(store)?)),
            AppPre::V0_2(pre) => App::V0_2(Box::new(pre.instantiate(store)?)),
            AppPre::V0_3(pre) => App::V0_3(Box::new(pre.instantiate(store)?)),
        })
    }
}

/// A guest's answer to a control function: a value (`Err` if what the guest
/// returned is not a tree) or a fault of the guest's choosing.
pub(crate) type ControlAnswer = Result<Result<Value, TreeError>, Fault>;

/// One instance's exports (boxed: a version's export indices are a few
/// hundred bytes, and an instance is moved on every piece of its call's work).
pub(crate) enum App {
    V0_1(Box<v0_1::App>),
    V0_2(Box<v0_2::App>),
    V0_3(Box<v0_3::App>),
}

impl App {
    /// `handler.on-invite`.
    pub(crate) fn on_invite(
        &self,
        store: &mut Store<Context>,
        invite: &InviteInfo,
    ) -> wasmtime::Result<()> {
        match self {
            App::V0_1(app) => app.switchyard_call_handler().call_on_invite(store, invite),
            App::V0_2(app) => app.switchyard_call_handler().call_on_invite(store, invite),
            App::V0_3(app) => app.switchyard_call_handler().call_on_invite(store, invite),
        }
    }

    /// `handler.on-event`.
    pub(crate) fn on_event(
        &self,
        store: &mut Store<Context>,
        call: &str,
        event: &Event,
    ) -> wasmtime::Result<()> {
        let call = call.to_owned();
        match self {
            App::V0_1(app) => app
                .switchyard_call_handler()
                .call_on_event(store, &call, event),
            App::V0_2(app) => app
                .switchyard_call_handler()
                .call_on_event(store, &call, event),
            App::V0_3(app) => app
                .switchyard_call_handler()
                .call_on_event(store, &call, event),
        }
    }

    /// `handler.on-message`; `Ok(false)` for a version without it (before
    /// 0.3.0), whose instance is not called.
    pub(crate) fn on_message(
        &self,
        store: &mut Store<Context>,
        call: &str,
        from: &str,
        message: &str,
    ) -> wasmtime::Result<bool> {
        match self {
            App::V0_1(_) | App::V0_2(_) => Ok(false),
            App::V0_3(app) => app
                .switchyard_call_handler()
                .call_on_message(store, &call.to_owned(), &from.to_owned(), message)
                .map(|()| true),
        }
    }

    /// `control.handle`: `Err` if the call trapped, else the guest's answer.
    pub(crate) fn handle(
        &self,
        store: &mut Store<Context>,
        function: &str,
        params: &Value,
    ) -> wasmtime::Result<ControlAnswer> {
        match self {
            App::V0_1(app) => {
                let answer =
                    app.switchyard_call_control()
                        .call_handle(store, function, &to_tree(params))?;
                Ok(value_of(answer.map_err(Fault::from)))
            }
            App::V0_2(app) => {
                let answer =
                    app.switchyard_call_control()
                        .call_handle(store, function, &to_tree(params))?;
                Ok(value_of(answer.map_err(Fault::from)))
            }
            App::V0_3(app) => {
                let answer =
                    app.switchyard_call_control()
                        .call_handle(store, function, &to_tree(params))?;
                Ok(value_of(answer))
            }
        }
    }
}

/// The value of a guest's answer.
fn value_of<T: ValueTree>(answer: Result<T, Fault>) -> ControlAnswer {
    answer.map(|tree| from_tree(&tree))
}
