//! A guest's exports, whichever supported WIT version it targets and whichever
//! world it is of: the pre-instantiated component, and an instance's `handler`
//! and, in world `app`, `control`.

use crate::bindings::{v0_1, v0_2, v0_3, v0_4};
use crate::context::Context;
use crate::values::{ValueTree, from_tree, to_tree};
use crate::{Event, Fault, InviteInfo, Value, WitVersion};
use switchyard_value::TreeError;
use v0_1::exports::switchyard::call::{control as control_0_1, handler as handler_0_1};
use v0_2::exports::switchyard::call::{control as control_0_2, handler as handler_0_2};
use v0_3::exports::switchyard::call::{control as control_0_3, handler as handler_0_3};
use v0_4::exports::switchyard::call::{control as control_0_4, handler as handler_0_4};
use wasmtime::Store;
use wasmtime::component::{
    Component, ComponentExportIndex, HasSelf, Instance, InstancePre, Linker,
};

/// The linker with the host's imports for every supported version. World
/// `call-flow` imports what `app` does.
pub(crate) fn add_to_linker(linker: &mut Linker<Context>) -> wasmtime::Result<()> {
    v0_1::App::add_to_linker::<_, HasSelf<_>>(linker, |context| context)?;
    v0_2::App::add_to_linker::<_, HasSelf<_>>(linker, |context| context)?;
    v0_3::App::add_to_linker::<_, HasSelf<_>>(linker, |context| context)?;
    v0_4::App::add_to_linker::<_, HasSelf<_>>(linker, |context| context)
}

/// The `switchyard:call` world a component is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum World {
    /// `app`: `handler` and `control`.
    App,
    /// `call-flow`: `handler` only.
    CallFlow,
}

impl World {
    /// The world of `component`, which targets `version`: `app` if it exports
    /// that version's `control`, else `call-flow`.
    fn of(component: &Component, version: WitVersion) -> World {
        match component.get_export_index(None, version.interface("control")) {
            Some(_) => World::App,
            None => World::CallFlow,
        }
    }
}

/// One version's bindings of an exported interface: where its functions are
/// in a component, and those functions in an instance.
pub(crate) trait Interface: Sized {
    /// The interface's functions in one instance.
    type Functions;

    /// Where the functions are in `pre`'s component; `Err` if it lacks one.
    fn find(pre: &InstancePre<Context>) -> wasmtime::Result<Self>;

    /// The functions in `instance`, an instance of the component they were
    /// found in; `Err` if one has another type than the WIT gives it.
    fn functions(
        &self,
        store: &mut Store<Context>,
        instance: &Instance,
    ) -> wasmtime::Result<Self::Functions>;
}

/// Implements [`Interface`] for the export bindings modules `$interface`.
macro_rules! interface {
    ($($interface:ident),*) => {$(
        impl Interface for $interface::GuestIndices {
            type Functions = $interface::Guest;

            fn find(pre: &InstancePre<Context>) -> wasmtime::Result<Self> {
                $interface::GuestIndices::new(pre)
            }

            fn functions(
                &self,
                store: &mut Store<Context>,
                instance: &Instance,
            ) -> wasmtime::Result<Self::Functions> {
                self.load(store, instance)
            }
        }
    )*};
}

interface!(
    handler_0_1,
    control_0_1,
    handler_0_2,
    control_0_2,
    handler_0_3,
    control_0_3,
    handler_0_4,
    control_0_4
);

/// A component's `handler` and its `control`, which only world `app` has:
/// where they are in the component (`H` and `C` an [`Interface`]), or their
/// functions in an instance.
pub(crate) struct Interfaces<H, C> {
    handler: H,
    control: Option<C>,
}

impl<H: Interface, C: Interface> Interfaces<H, C> {
    /// Where the exports of `world` are in `pre`'s component.
    fn find(pre: &InstancePre<Context>, world: World) -> wasmtime::Result<Self> {
        let handler = H::find(pre)?;
        let control = match world {
            World::App => Some(C::find(pre)?),
            World::CallFlow => None,
        };
        Ok(Interfaces { handler, control })
    }

    /// The exports' functions in `instance`.
    fn functions(
        &self,
        store: &mut Store<Context>,
        instance: &Instance,
    ) -> wasmtime::Result<Interfaces<H::Functions, C::Functions>> {
        let handler = self.handler.functions(store, instance)?;
        let control = match &self.control {
            Some(control) => Some(control.functions(store, instance)?),
            None => None,
        };
        Ok(Interfaces { handler, control })
    }
}

/// The interface a guest of any version may export to check its config table.
const CONFIG_CHECK: &str = "switchyard:settings/check@0.1.0";

/// A component linked against the host's imports of its version, ready to be
/// instantiated per call.
pub(crate) struct GuestPre {
    pre: InstancePre<Context>,
    indices: Indices,
    // `problem` of its `CONFIG_CHECK`, if it exports it.
    config_check: Option<ComponentExportIndex>,
}

/// Where a component's exports are, by the version it targets.
enum Indices {
    V0_1(Interfaces<handler_0_1::GuestIndices, control_0_1::GuestIndices>),
    V0_2(Interfaces<handler_0_2::GuestIndices, control_0_2::GuestIndices>),
    V0_3(Interfaces<handler_0_3::GuestIndices, control_0_3::GuestIndices>),
    V0_4(Interfaces<handler_0_4::GuestIndices, control_0_4::GuestIndices>),
}

impl GuestPre {
    /// Links `component`, which targets `version` and is of world `app` or
    /// `call-flow`.
    pub(crate) fn new(
        linker: &Linker<Context>,
        component: &Component,
        version: WitVersion,
    ) -> wasmtime::Result<GuestPre> {
        let world = World::of(component, version);
        let pre = linker.instantiate_pre(component)?;
        let indices = match version {
            WitVersion::V0_1 => Indices::V0_1(Interfaces::find(&pre, world)?),
            WitVersion::V0_2 => Indices::V0_2(Interfaces::find(&pre, world)?),
            WitVersion::V0_3 => Indices::V0_3(Interfaces::find(&pre, world)?),
            WitVersion::V0_4 => Indices::V0_4(Interfaces::find(&pre, world)?),
        };
        let config_check = component
            .get_export_index(None, CONFIG_CHECK)
            .map(|check| {
                component
                    .get_export_index(Some(&check), "problem")
                    .ok_or_else(|| wasmtime::format_err!("its {CONFIG_CHECK} has no `problem`"))
            })
            .transpose()?;
        Ok(GuestPre {
            pre,
            indices,
            config_check,
        })
    }

    /// A fresh instance in `store`, without its exports looked up: for [`GuestPre::config_problem`].
    pub(crate) fn bare_instance(&self, store: &mut Store<Context>) -> wasmtime::Result<Instance> {
        self.pre.instantiate(store)
    }

    /// `instance`'s answer to its config check's `problem`: none when the component does not
    /// export the check.
    pub(crate) fn config_problem(
        &self,
        store: &mut Store<Context>,
        instance: &Instance,
    ) -> wasmtime::Result<Option<String>> {
        let Some(index) = &self.config_check else {
            return Ok(None);
        };
        let problem = instance.get_typed_func::<(), (Option<String>,)>(&mut *store, index)?;
        let (found,) = problem.call(&mut *store, ())?;
        Ok(found)
    }

    /// A fresh instance in `store`.
    pub(crate) fn instantiate(&self, store: &mut Store<Context>) -> wasmtime::Result<Exports> {
        let instance = self.pre.instantiate(&mut *store)?;
        Ok(match &self.indices {
            Indices::V0_1(indices) => Exports::V0_1(Box::new(indices.functions(store, &instance)?)),
            Indices::V0_2(indices) => Exports::V0_2(Box::new(indices.functions(store, &instance)?)),
            Indices::V0_3(indices) => Exports::V0_3(Box::new(indices.functions(store, &instance)?)),
            Indices::V0_4(indices) => Exports::V0_4(Box::new(indices.functions(store, &instance)?)),
        })
    }
}

/// A guest's answer to a control function: a value (`Err` if what the guest
/// returned is not a tree) or a fault of the guest's choosing.
pub(crate) type ControlAnswer = Result<Result<Value, TreeError>, Fault>;

/// One instance's exports (boxed: they are about a hundred bytes, and an
/// instance is moved on every piece of its call's work).
pub(crate) enum Exports {
    V0_1(Box<Interfaces<handler_0_1::Guest, control_0_1::Guest>>),
    V0_2(Box<Interfaces<handler_0_2::Guest, control_0_2::Guest>>),
    V0_3(Box<Interfaces<handler_0_3::Guest, control_0_3::Guest>>),
    V0_4(Box<Interfaces<handler_0_4::Guest, control_0_4::Guest>>),
}

impl Exports {
    /// `handler.on-invite`.
    pub(crate) fn on_invite(
        &self,
        store: &mut Store<Context>,
        invite: &InviteInfo,
    ) -> wasmtime::Result<()> {
        match self {
            Exports::V0_1(guest) => guest.handler.call_on_invite(store, invite),
            Exports::V0_2(guest) => guest.handler.call_on_invite(store, invite),
            Exports::V0_3(guest) => guest.handler.call_on_invite(store, invite),
            Exports::V0_4(guest) => guest.handler.call_on_invite(store, invite),
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
            Exports::V0_1(guest) => guest.handler.call_on_event(store, &call, event),
            Exports::V0_2(guest) => guest.handler.call_on_event(store, &call, event),
            Exports::V0_3(guest) => guest.handler.call_on_event(store, &call, event),
            Exports::V0_4(guest) => guest.handler.call_on_event(store, &call, event),
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
        let (call, from) = (call.to_owned(), from.to_owned());
        match self {
            Exports::V0_1(_) | Exports::V0_2(_) => Ok(false),
            Exports::V0_3(guest) => guest
                .handler
                .call_on_message(store, &call, &from, message)
                .map(|()| true),
            Exports::V0_4(guest) => guest
                .handler
                .call_on_message(store, &call, &from, message)
                .map(|()| true),
        }
    }

    /// `control.handle`: `None` for a guest of world `call-flow`, which has
    /// no `control` to call; else `Err` if the call trapped, else the guest's
    /// answer.
    pub(crate) fn handle(
        &self,
        store: &mut Store<Context>,
        function: &str,
        params: &Value,
    ) -> Option<wasmtime::Result<ControlAnswer>> {
        Some(match self {
            Exports::V0_1(guest) => guest
                .control
                .as_ref()?
                .call_handle(store, function, &to_tree(params))
                .map(|answer| value_of(answer.map_err(Fault::from))),
            Exports::V0_2(guest) => guest
                .control
                .as_ref()?
                .call_handle(store, function, &to_tree(params))
                .map(|answer| value_of(answer.map_err(Fault::from))),
            Exports::V0_3(guest) => guest
                .control
                .as_ref()?
                .call_handle(store, function, &to_tree(params))
                .map(|answer| value_of(answer.map_err(Fault::from))),
            Exports::V0_4(guest) => guest
                .control
                .as_ref()?
                .call_handle(store, function, &to_tree(params))
                .map(value_of),
        })
    }
}

/// The value of a guest's answer.
fn value_of<T: ValueTree>(answer: Result<T, Fault>) -> ControlAnswer {
    answer.map(|tree| from_tree(&tree))
}
