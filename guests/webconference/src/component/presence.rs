//! What a room's participants notice of one another: `join_sound` when one
//! joins, `drop_sound` when one leaves, the end of a looped
//! `first_participant` once the first has company, and the mark of one left
//! alone (see [`super::lonely`]).
//!
//! Company means one thing everywhere: the participants listed and not
//! finished, dial-outs being placed or ringing among them (SEMS counts a
//! ringing callee in its conference), as the count `rooms::join` returns.
//!
//! A join costs the same in a room of two or of thousands: the joining call
//! says `join_sound` (its room hears it as its voice; it does not hear itself,
//! as in SEMS, where the others are told of a new participant before it is
//! added), and only the first participant is played to directly. A joiner
//! the room does not hear (a dial-out muted while it rang: its prompts are
//! not mixed either) cannot say it: then each other participant is played
//! it, as SEMS does. A leave is announced into the room once (`drop_sound`).
//!
//! A participant looping `first_participant` is marked in the key-value store
//! (see [`crate::looping_mark`]): whoever comes next ends the loop, a dial-out
//! placed into the room as well, also when a participant the first could not
//! hear (a callee still ringing) came between.

use super::lonely;
use super::room;
use crate::looping_mark;
use switchyard_sdk::log::{Level, log};
use switchyard_sdk::types::{Error, ParticipantInfo, ParticipantStatus};
use switchyard_sdk::{kv, media, rooms};

/// The most loop marks read for one room: a room has one first participant,
/// a few more only while joins race.
const MAX_LOOPING_LISTED: u32 = 16;

/// The participants of `room` other than `me` that have not finished.
pub fn company(room: &str, me: &str) -> Vec<String> {
    company_in(&room::participants(room), me)
}

/// The participants `listed` (a room's) other than `me` that have not finished.
pub fn company_in(listed: &[ParticipantInfo], me: &str) -> Vec<String> {
    listed
        .iter()
        .filter(|p| p.call != me && p.status != ParticipantStatus::Finished)
        .map(|p| p.call.clone())
        .collect()
}

/// Whether the room of the participants `listed` hears what `me` says: it is
/// listed there, neither muted nor listen-only. A dial-out muted while it rang
/// keeps the flag once answered.
pub fn is_heard(listed: &[ParticipantInfo], me: &str) -> bool {
    listed
        .iter()
        .any(|p| p.call == me && !p.muted && !p.listen_only)
}

/// Plays `sound` to `call` only; a call that ended meanwhile is skipped.
fn play_to(call: &str, sound: &str) {
    if let Err(e) = media::play(call, &[sound.to_owned()], false) {
        log(
            Level::Debug,
            &format!("{sound} not played to {call}: {e:?}"),
        );
    }
}

/// `me`, answered, is in `room`, where `others` participants were: alone, it
/// hears `first_participant` (`looped` until someone comes); otherwise the
/// others hear it join ([`joined`]; `heard`: see [`is_heard`]).
pub fn entered(
    room: &str,
    me: &str,
    others: usize,
    heard: bool,
    looped: bool,
) -> Result<(), Error> {
    if others > 0 {
        joined(room, me, others, heard);
        return Ok(());
    }
    media::play(me, &["first_participant".to_owned()], looped)?;
    if looped {
        if let Err(e) = kv::set(&looping_mark::key(room, me), "") {
            log(Level::Warn, &format!("{me}: loop not marked: {e:?}"));
        }
        // One who came before the mark found no loop to end.
        if !company(room, me).is_empty() {
            kv::delete(&looping_mark::key(room, me));
            play_to(me, "join_sound");
        }
    }
    Ok(())
}

/// `me` joined `room`, where `others` participants were: they hear
/// `join_sound`, and a looped `first_participant` ends. The first participant,
/// and each other one when the room does not hear `me` (`heard` false), hears
/// it in place of its prompts.
pub fn joined(room: &str, me: &str, others: usize, heard: bool) {
    if others == 0 {
        return;
    }
    end_loops(room, me);
    if others > 1 && heard {
        if let Err(e) = media::speak(me, &["join_sound".to_owned()], false) {
            log(Level::Debug, &format!("{me}: join_sound not said: {e:?}"));
        }
        return;
    }
    for other in company(room, me) {
        play_to(&other, "join_sound");
    }
}

/// Ends every looped `first_participant` in `room` but that of `me`: `me`
/// is company. Those who looped it hear the room again.
pub fn end_loops(room: &str, me: &str) {
    let prefix = looping_mark::prefix(room);
    for key in kv::list(&prefix, MAX_LOOPING_LISTED) {
        let call = looping_mark::call_of(&key, &prefix);
        if call == me {
            continue;
        }
        kv::delete(&key);
        if let Err(e) = media::stop(&call) {
            log(
                Level::Debug,
                &format!("{call}: first_participant not stopped: {e:?}"),
            );
        }
    }
}

/// `me` left `room` (a dial-out also when it was never answered): the others
/// hear `drop_sound`; with `lonely` set, the only one left, if so, is marked
/// alone.
pub fn left(room: &str, me: &str, lonely: bool) {
    kv::delete(&looping_mark::key(room, me));
    if lonely && let [alone] = company(room, me).as_slice() {
        lonely::mark_alone(alone);
        play_to(alone, "drop_sound");
        return;
    }
    if let Err(e) = rooms::announce(room, &["drop_sound".to_owned()], false) {
        log(
            Level::Debug,
            &format!("{room}: drop_sound not announced: {e:?}"),
        );
    }
}
