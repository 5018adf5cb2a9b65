"""An IVR guest in Python: "press 1 for room 100, 2 for room 200".

A call is answered and hears the prompt `enter_number`; a timer starts.
Key 1 puts the call into room 100, key 2 into room 200; any other key plays
the prompt again and restarts the timer. When the timer fires before a
choice, the prompt plays once more with a fresh timer; when it fires a
second time, the call hears `goodbye` and is hung up once it has played.
The timer's length is the config key `timeout_ms` (default 10000).

Control functions (XML-RPC, each answer an array as SEMS answers):
`menu()` lists the choices as [key, room] pairs; `room(name)` lists the
room's participants (call, number, status, reason), fault 404 if the room
does not exist; anything else is fault 504.

The host gives every call an instance of its own, so the state of the call
lives in module variables.
"""

import wit_world
from componentize_py_types import Err
from wit_world.exports import control
from wit_world.imports import config, log, media, rooms, signaling, timers
from wit_world.imports.types import (
    Event_Dtmf,
    Event_PromptDone,
    Event_Timer,
    InviteInfo,
    RoomInfo,
)

# The menu: key -> room.
ROOMS = {"1": "100", "2": "200"}
PROMPT = ["enter_number"]
GOODBYE = ["goodbye"]
DEFAULT_TIMEOUT_MS = 10_000
# Time-outs a call may let pass; the next one ends it.
REPLAYS = 1

# The state of this instance's call.
call = ""
caller = ""
timer = None
timeouts = 0
# "menu" until a key picks a room ("room") or the call is sent off ("leaving").
state = "menu"


def info(message: str) -> None:
    log.log(log.Level.INFO, message)


def timeout_ms() -> int:
    value = config.get("timeout_ms")
    if value is None:
        return DEFAULT_TIMEOUT_MS
    try:
        return max(1, min(int(value), 86_400_000))
    except ValueError:
        log.log(log.Level.WARN, f"timeout_ms {value!r} is not a number")
        return DEFAULT_TIMEOUT_MS


def offer_menu() -> None:
    """Plays the prompt from its start and (re)starts the timer."""
    global timer
    if timer is not None:
        timers.cancel(timer)
    media.play(call, PROMPT, False)
    timer = timers.start(call, timeout_ms())


def choose(room: str) -> None:
    global state, timer
    if timer is not None:
        timers.cancel(timer)
        timer = None
    media.stop(call)
    options = rooms.JoinOptions(number=caller, reason="ivr: entered", participant_id="")
    others = rooms.join(call, room, options)
    state = "room"
    info(f"{call} joined room {room} ({others} others)")


def time_out() -> None:
    global state, timeouts, timer
    timer = None
    if timeouts < REPLAYS:
        timeouts += 1
        info(f"{call}: no choice, menu again")
        offer_menu()
    else:
        info(f"{call}: no choice, goodbye")
        state = "leaving"
        media.play(call, GOODBYE, False)


def hang_up() -> None:
    try:
        signaling.hangup(call)
    except Err as e:
        log.log(log.Level.WARN, f"{call}: hangup failed: {e.value}")


class Handler(wit_world.exports.Handler):
    def on_invite(self, invite: InviteInfo) -> None:
        global call, caller
        call = invite.call
        caller = invite.from_user
        info(f"{call} from {caller}: menu")
        try:
            signaling.answer(call)
            offer_menu()
        except Err as e:
            log.log(log.Level.ERROR, f"{call}: {e.value}")
            hang_up()

    def on_event(self, call_id: str, event) -> None:
        try:
            if isinstance(event, Event_Dtmf) and state == "menu":
                room = ROOMS.get(event.value)
                if room is None:
                    offer_menu()
                else:
                    choose(room)
            elif isinstance(event, Event_Timer) and state == "menu" and event.value == timer:
                time_out()
            elif isinstance(event, Event_PromptDone) and state == "leaving":
                hang_up()
        except Err as e:
            log.log(log.Level.ERROR, f"{call}: {e.value}")
            hang_up()


def tree(value) -> control.ValueTree:
    """`value` (lists, dicts of str keys, str, bool, int) as a value tree:
    nodes in pre-order, each container before its members."""
    nodes: list = []

    def add(v) -> int:
        index = len(nodes)
        nodes.append(control.ValueNode_Nil())
        if isinstance(v, list):
            nodes[index] = control.ValueNode_Array([add(x) for x in v])
        elif isinstance(v, dict):
            nodes[index] = control.ValueNode_Struct([(k, add(x)) for k, x in v.items()])
        elif isinstance(v, bool):
            nodes[index] = control.ValueNode_Boolean(v)
        elif isinstance(v, int):
            nodes[index] = control.ValueNode_Int(v)
        else:
            nodes[index] = control.ValueNode_Text(str(v))
        return index

    add(value)
    return control.ValueTree(nodes)


def fault(code: int, message: str) -> Err:
    return Err(control.Fault(code, message))


def participants(room: RoomInfo) -> list:
    return [
        {"call": p.call, "number": p.number, "status": p.status.value, "reason": p.reason}
        for p in room.participants
    ]


def arguments(params: control.ValueTree) -> list:
    """The nodes of the arguments (the members of the root array)."""
    root = params.nodes[0]
    if not isinstance(root, control.ValueNode_Array):
        return []
    return [params.nodes[i] for i in root.value]


class Control(wit_world.exports.Control):
    def handle(self, function: str, params: control.ValueTree) -> control.ValueTree:
        args = arguments(params)
        if function == "menu":
            if args:
                raise fault(300, "menu: expected no arguments")
            return tree([[key, room] for key, room in ROOMS.items()])
        if function == "room":
            if len(args) != 1 or not isinstance(args[0], control.ValueNode_Text):
                raise fault(300, "room: expected one argument, the room's name")
            found = rooms.info(args[0].value)
            if found is None:
                raise fault(404, f"room {args[0].value}: no such room")
            return tree(participants(found))
        raise fault(504, f"unknown method name '{function}'")
