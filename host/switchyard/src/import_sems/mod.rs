//! `switchyard import-sems-config`: a SEMS `webconference.conf` converted into
//! Switchyard's configuration, with a note for every key that does not carry
//! over unchanged.

mod feedback;
mod parse;
mod prompts;
mod session_timers;
mod str2int;

use crate::config::{
    A_CONFIGURATION_FILE, Config, MAX_CONFIG_BYTES, MAX_DELAY_S, read_at_most, same_path,
};
use parse::{EmptyRead, Setting};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use str2int::{Reading, SIGNED_LARGEST, signed_int, str2int, unsigned_int};
use toml::{Table, Value};

/// A SEMS config converted: Switchyard's configuration and what the
/// conversion has to say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// The file converted, as named on the command line.
    pub source: String,
    /// Switchyard's configuration.
    pub table: Table,
    /// Keys not mapped, and remarks on keys mapped with a change, in line
    /// order (remarks on keys the file does not set come last).
    pub notes: Vec<Note>,
    /// The SEMS setting each key of `table` (by its dotted path) came from;
    /// keys set for a SEMS key the file does not set are absent.
    origins: HashMap<String, Origin>,
}

/// Where a key of [`Conversion::table`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    /// The file of the SEMS setting: the file converted, or one it includes.
    file: String,
    /// Its 1-based line.
    line: usize,
    /// The SEMS key.
    key: String,
}

/// What the conversion says about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The file of the key: the file converted, or one it includes.
    pub file: String,
    /// 1-based line of the key; None for a key the file does not set.
    pub line: Option<usize>,
    /// The SEMS key.
    pub key: String,
    /// Whether the key was left out or mapped with a remark.
    pub kind: NoteKind,
    /// Why, in words.
    pub text: String,
}

/// Whether a [`Note`] is about a key left out or one mapped with a remark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// The key has no place in Switchyard's configuration.
    NotMapped,
    /// The key was mapped, but not one to one.
    Remark,
}

/// Why a SEMS config cannot be converted, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file.
    pub file: String,
    /// 1-based line, when the problem is on one.
    pub line: Option<usize>,
    /// What is wrong, in words.
    pub problem: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        let kind = match self.kind {
            NoteKind::NotMapped => "not mapped",
            NoteKind::Remark => "note",
        };
        write!(f, ": {}: {kind}: {}", self.key, self.text)
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for ImportError {}

impl Conversion {
    /// Checks that [`to_toml`](Self::to_toml) loads as Switchyard's
    /// configuration saved at `path` (relative paths in it are relative to
    /// `path`'s directory), as `check-config` and a start would load it: the
    /// error names the SEMS key it came from, if any, the Switchyard key and
    /// the problem.
    pub fn check(&self, path: &Path) -> Result<(), ImportError> {
        let loaded = Config::parse(path, &self.to_toml())
            .and_then(|config| crate::guest_check::check_guests(path, &config));
        let Err(e) = loaded else {
            return Ok(());
        };
        let origin = e.key.as_ref().and_then(|key| self.origins.get(key));
        let key = e.key.map(|key| format!("{key}: ")).unwrap_or_default();
        let problem = format!(
            "the converted configuration does not load: {key}{}",
            e.message
        );
        Err(match origin {
            Some(origin) => ImportError {
                file: origin.file.clone(),
                line: Some(origin.line),
                problem: format!("{}: {problem}", origin.key),
            },
            None => ImportError {
                file: self.source.clone(),
                line: None,
                problem,
            },
        })
    }

    /// The configuration as TOML, under a comment naming the file it came from.
    pub fn to_toml(&self) -> String {
        format!(
            "# Switchyard configuration converted from {} by\n\
             # `switchyard import-sems-config`; the keys it could not map were listed\n\
             # on stderr.\n\n{}",
            // A comment ends at a line break, so the name must hold none.
            self.source.escape_debug(),
            self.table
        )
    }
}

/// Reads a SEMS config file's bytes, for [`convert`]; `file` names it in
/// errors, as one larger than [`MAX_CONFIG_BYTES`].
pub fn read(file: &Path) -> Result<Vec<u8>, ImportError> {
    read_at_most(file, MAX_CONFIG_BYTES, A_CONFIGURATION_FILE).map_err(|e| ImportError {
        file: file.display().to_string(),
        line: None,
        problem: format!("cannot read: {e}"),
    })
}

/// `raw`, one line of a SEMS config file, as text, bytes that are not UTF-8
/// decoded as U+FFFD; else the problem. SEMS reads bytes, so they matter only
/// in a key or value that is used (a mapped key's, or an include's name),
/// where they are the problem.
fn line_text(raw: &[u8]) -> Result<Cow<'_, str>, String> {
    let text = String::from_utf8_lossy(raw);
    let used = match &text {
        Cow::Borrowed(_) => None,
        Cow::Owned(lossy) => parse::replaced_in(lossy).filter(|subject| {
            subject.starts_with('@') || !matches!(target(subject), Target::NotMapped(_))
        }),
    };
    match used {
        Some(subject) => Err(format!("{subject}: holds bytes that are not UTF-8 text")),
        None => Ok(text),
    }
}

/// Converts `text`, the bytes of SEMS's `webconference.conf`, read as SEMS up to
/// sipwise mr26.0 reads it (see [`parse::parse`]: the files its `@` lines
/// include are read from disk); `file` names it in notes and errors, and is
/// where relative includes are looked up. A line SEMS would not take, an
/// include that cannot be read, or a value of the wrong kind for its key is
/// an error; a key with no Switchyard equivalent is a [`NoteKind::NotMapped`]
/// note, and a line sipwise SEMS mr26.1 and later read otherwise a
/// [`NoteKind::Remark`] saying how.
pub fn convert(file: &str, text: impl AsRef<[u8]>) -> Result<Conversion, ImportError> {
    let parsed = parse::parse(file, text.as_ref())?;
    let mut converter = Converter {
        file,
        table: Table::new(),
        notes: Vec::new(),
        origins: HashMap::new(),
    };
    let differences = parsed
        .differences
        .into_iter()
        .filter(|d| d.empty != Some(EmptyRead::Unset) || empty_differs_from_unset(&d.subject));
    for difference in differences {
        let mut text = difference.text;
        if difference.empty == Some(EmptyRead::CarriageReturn) {
            text.push_str(carriage_return_alone(&difference.subject));
        }
        let note = Note {
            file: difference.file,
            line: Some(difference.line),
            key: difference.subject,
            kind: NoteKind::Remark,
            text,
        };
        converter.notes.push((difference.index, note));
    }
    let settings = converter.last_of_each(&parsed.settings);
    converter.map(&settings)?;
    let mut notes = converter.notes;
    notes.sort_by_key(|(order, _)| *order);
    Ok(Conversion {
        source: file.to_owned(),
        table: converter.table,
        notes: notes.into_iter().map(|(_, note)| note).collect(),
        origins: converter.origins,
    })
}

/// Where a SEMS key goes.
enum Target {
    /// The guest's table, same key, as text.
    GuestText,
    /// The guest's table, same key, as a boolean: on for `yes` only.
    GuestFlag,
    /// The guest's table, same key, as a whole number SEMS reads so.
    GuestNumber(NumberRead),
    /// The guest's `predefined_rooms`, each entry as SEMS reads it.
    PredefinedRooms,
    /// `no` (only) keeps what expires as long as Switchyard allows, in
    /// `[rooms]` `host_key`.
    ExpireSwitch { host_key: &'static str },
    /// Seconds, in `[rooms]` `host_key`, unless `switch` is `no`; SEMS's
    /// default is `sems_default`, and `what` names what expires.
    ExpireDelay {
        switch: &'static str,
        host_key: &'static str,
        sems_default: u32,
        what: &'static str,
    },
    /// `[sip]`'s session timers: see [`session_timers`].
    SessionTimer,
    /// `[sip] offer_method`, from SEMS's refresh method.
    SipOfferMethod,
    /// `[records] stats_dir`.
    StatsDir,
    /// The guest's `records_dir` (the directory) and `feedback_file` (the name).
    FeedbackFile,
    /// A prompt file, or the digits' directory: see [`prompts`].
    Prompt,
    /// Nowhere, for this reason.
    NotMapped(&'static str),
}

/// The guest's own table.
const GUEST_CONFIG: &[&str] = &["guests", "webconference", "config"];

/// SEMS's key for how session timers refresh a session.
const REFRESH_METHOD: &str = "session_refresh_method";

/// Why a relative path SEMS opens does not carry over.
const RELATIVE: &str = "SEMS opens a relative path from its working directory, unknown here";

/// Whether SEMS reads an empty value of `key` (going to `target`) as if the
/// key were not set. It does not for `participant_id_header`, which it reads
/// whenever the key is there, so that empty turns reading the participant id
/// from a header off; nor for the expiry delays, an empty number being 0
/// there; nor for the session timers' intervals, which it refuses empty while
/// timers are on, nor their refresh method, with which empty it sets up no
/// timer for a call (their own mapping says what comes of it); nor for
/// `direct_room_re`, mapped empty as it turns direct rooms off.
fn empty_is_unset(key: &str, target: &Target) -> bool {
    match target {
        Target::NotMapped(_) | Target::ExpireDelay { .. } | Target::SipOfferMethod => false,
        Target::SessionTimer => key == session_timers::ENABLE,
        _ => !matches!(key, "direct_room_re" | "participant_id_header"),
    }
}

/// Whether SEMS reads `key` set empty otherwise than `key` not set, so that a
/// newer SEMS leaving an empty key unset is a difference: not for a key not
/// mapped, one whose empty value SEMS takes as unset ([`empty_is_unset`]), nor
/// `direct_room_re`, which dials no room directly either way.
fn empty_differs_from_unset(key: &str) -> bool {
    let target = target(key);
    !matches!(target, Target::NotMapped(_))
        && !empty_is_unset(key, &target)
        && key != "direct_room_re"
}

/// What sipwise SEMS mr26.1 and later make of `key` set to a carriage
/// return alone, `"\r"`, where older SEMS read it empty, in words to follow
/// the note saying so; "" where the note says enough. For `room_pin_split`,
/// not empty, `str2int` reads 0, its reading ending at the carriage return
/// (WebConference.cpp), which splits every number entered at position 0.
fn carriage_return_alone(key: &str) -> &'static str {
    match key {
        "room_pin_split" => {
            ": SEMS then splits at position 0, every number entered being room \"\" with the \
             whole number as the participant id; convert the file to LF line ends for them"
        }
        _ => "",
    }
}

fn target(key: &str) -> Target {
    use Target::*;
    match key {
        "direct_room_re" | "master_password" | "participant_id_param" | "participant_id_header" => {
            GuestText
        }
        "ignore_pin"
        | "private_rooms"
        | "loop_first_participant_prompt"
        | "support_rooms_timeout" => GuestFlag,
        "direct_room_strip" | "room_pin_split" => GuestNumber(NumberRead::Unsigned),
        "lonely_user_timer" => GuestNumber(NumberRead::ParameterInt { default: 0 }),
        "participants_expire" => ExpireSwitch {
            host_key: "participants_expire_delay_s",
        },
        "participants_expire_delay" => ExpireDelay {
            switch: "participants_expire",
            host_key: "participants_expire_delay_s",
            sems_default: 10,
            what: "participants who left",
        },
        "rooms_expire" => ExpireSwitch {
            host_key: "expire_delay_s",
        },
        "rooms_expire_delay" => ExpireDelay {
            switch: "rooms_expire",
            host_key: "expire_delay_s",
            sems_default: 7200,
            what: "empty rooms",
        },
        "predefined_rooms" => PredefinedRooms,
        "stats_dir" => StatsDir,
        "feedback_file" => FeedbackFile,
        prompts::DIGITS_DIR => Prompt,
        key if prompts::is_prompt(key) => Prompt,
        key if session_timers::is_key(key) => SessionTimer,
        REFRESH_METHOD => SipOfferMethod,
        "accept_501_reply" => NotMapped(
            "a 501 to an UPDATE refresh makes Switchyard refresh that call by re-INVITE instead",
        ),
        "tell_pin" => NotMapped("the guest always reads the room number back before entering"),
        "star_finishes_pin" => NotMapped("the guest ends the room number at # or * alike"),
        "webconference_urlbase" => NotMapped("Switchyard's SDP carries no u= line"),
        "room_sweep_interval" => {
            NotMapped("each empty room expires on its own timer; there is no sweep to schedule")
        }
        "playout_type" => NotMapped("Switchyard has one jitter buffer and no choice of playout"),
        "application" => NotMapped("every call goes to the guest named by [routing] guest"),
        _ => NotMapped("no Switchyard equivalent"),
    }
}

/// How SEMS reads a whole-number key (see [`mod@str2int`]), and what it makes
/// of a value it refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberRead {
    /// `AmConfigReader::getParameterInt`, with the unsigned `str2int` up to
    /// sipwise mr26.0 and the signed one from mr26.1 on: a value it refuses
    /// leaves `default`. What it reads goes into an unsigned int, as
    /// `lonely_user_timer`'s does; an expiry delay, an int, is read so only
    /// once its sign is ([`Converter::delay`]).
    ParameterInt { default: u32 },
    /// The unsigned `str2int`: a value it refuses fails the module's load.
    Unsigned,
}

/// How sipwise SEMS mr26.1 and later read a `getParameterInt` number with a
/// leading `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignedDelay {
    /// A negative number: for an expiry delay, what expires never does.
    Negative(i32),
    /// `-0`, or `-` alone.
    Zero,
    /// Digits above [`SIGNED_LARGEST`]: the int overflows reading them.
    Overflow,
}

impl SignedDelay {
    /// What a `-` before digits of value `magnitude` reads.
    fn of(magnitude: u64) -> Self {
        match signed_int(magnitude, true) {
            Some(0) => SignedDelay::Zero,
            Some(number) => SignedDelay::Negative(number),
            None => SignedDelay::Overflow,
        }
    }
}

/// What sipwise SEMS mr26.1 and later do with digits above
/// [`SIGNED_LARGEST`] where they read a signed number.
const SIGNED_OVERFLOW: &str = "overflow a signed int reading it, which C++ leaves undefined";

/// How sipwise SEMS mr26.1 and later read `value`, a `getParameterInt`
/// number, when older SEMS refuse it for its leading `-` and they read it;
/// None for any other value.
fn signed_delay(value: &str) -> Option<SignedDelay> {
    match (str2int(value, false), str2int(value, true)) {
        (Reading::Refused { c: '-', .. }, Reading::Number { magnitude, .. }) => {
            Some(SignedDelay::of(magnitude))
        }
        _ => None,
    }
}

/// Whether every SEMS reads `value`, refused by the unsigned `str2int`, as
/// 0 where `read`: `-0` or `-` alone, read by `getParameterInt` of default 0,
/// which older SEMS use for the sign and newer read as 0.
fn minus_zero(value: &str, read: NumberRead) -> bool {
    read == (NumberRead::ParameterInt { default: 0 })
        && signed_delay(value) == Some(SignedDelay::Zero)
}

/// Why SEMS does not read `value`, which `str2int` refuses at `c`, byte `at`,
/// read as `read` says.
fn unread_character(value: &str, at: usize, c: char, read: NumberRead) -> String {
    let leading = at == value.len() - value.trim_start_matches(' ').len();
    match (c, read) {
        ('+', _) if leading => "SEMS reads no '+'".to_owned(),
        ('-', NumberRead::ParameterInt { default }) if leading => {
            let newer = match str2int(value, true) {
                Reading::Number { magnitude, .. } => match SignedDelay::of(magnitude) {
                    // The int getParameterInt returns goes into an unsigned
                    // one, which keeps it modulo 2^32.
                    SignedDelay::Negative(number) => {
                        format!(
                            "read {number}, which their unsigned int holds as {}",
                            number as u32
                        )
                    }
                    SignedDelay::Zero => "read 0".to_owned(),
                    SignedDelay::Overflow => SIGNED_OVERFLOW.to_owned(),
                },
                Reading::TooManyDigits => "read no more than 10 digits after it".to_owned(),
                // Refused by every SEMS for that character.
                Reading::Refused { at, c } => return format!("SEMS reads no {c:?} (at {at})"),
            };
            format!(
                "SEMS up to sipwise mr26.0 reads no '-' and uses its default, {default}, and \
                 mr26.1 and later {newer}"
            )
        }
        ('-', _) if leading => "SEMS reads no '-'".to_owned(),
        (c, _) => format!("SEMS reads no {c:?} (at {at})"),
    }
}

/// `entry`, one `;`-separated entry of `predefined_rooms` and not empty
/// (SEMS drops empty ones), as SEMS reads it: split at each `:` by
/// `explode`, which drops empty fields, so that `a::1`, `a:1:` and `:a:1`
/// open room `a` with pin `1` there, written `room:pin`, the one form the
/// guest takes. Any other entry SEMS refuses (it does not load the
/// module), and is left as written, for the guest's check to refuse too,
/// but for one of white space alone, which the guest would skip, as empty.
/// The error says that, or that white space around the room or pin, which
/// SEMS keeps and the guest trims, has them read otherwise.
fn sems_room_entry(entry: &str) -> Result<String, String> {
    let fields: Vec<&str> = entry.split(':').filter(|field| !field.is_empty()).collect();
    match fields[..] {
        [room, pin] if room == room.trim() && pin == pin.trim() => Ok(format!("{room}:{pin}")),
        [room, pin] => Err(format!(
            "{entry:?} is room {room:?} with pin {pin:?} to SEMS, which keeps the white space \
             around them, where the guest trims it (reading room {:?} with pin {:?}): write the \
             entry without it for both to read it alike",
            room.trim(),
            pin.trim()
        )),
        _ if entry.trim().is_empty() => Err(format!(
            "{entry:?}, white space alone, is no <room>:<pin> to SEMS, which then does not load \
             the module, where the guest skips it as empty"
        )),
        _ => Ok(entry.to_owned()),
    }
}

/// Whether the path `value` names a directory, whatever is on disk: its
/// last component is empty (it ends in `/`), `.` or `..`.
fn names_a_directory(value: &str) -> bool {
    matches!(value.rsplit('/').next(), Some("" | "." | ".."))
}

/// The directory `stats_dir` maps to, if any: its value when absolute.
fn stats_dir<'s>(settings: &[&'s Setting]) -> Option<&'s Path> {
    settings
        .iter()
        .find(|s| s.key == "stats_dir")
        .map(|s| Path::new(&s.value))
        .filter(|dir| dir.is_absolute())
}

/// Builds the table and the notes.
struct Converter<'f> {
    /// The file converted.
    file: &'f str,
    table: Table,
    /// Each note with where it goes in the list: its setting's
    /// [`Setting::index`], or `usize::MAX` for a key the file does not set.
    notes: Vec<(usize, Note)>,
    /// See [`Conversion::origins`].
    origins: HashMap<String, Origin>,
}

impl Converter<'_> {
    /// The settings SEMS uses: of a key set more than once, the last (the
    /// others get a remark).
    fn last_of_each<'s>(&mut self, settings: &'s [Setting]) -> Vec<&'s Setting> {
        let last: HashMap<&str, &Setting> = settings.iter().map(|s| (s.key.as_str(), s)).collect();
        settings
            .iter()
            .filter(|s| {
                let used = last[s.key.as_str()];
                if s.index != used.index {
                    let place = if used.file == s.file {
                        format!("on line {}", used.line)
                    } else {
                        format!("at {}:{}", used.file, used.line)
                    };
                    self.remark(s, format!("set again {place}, whose value is used"));
                }
                s.index == used.index
            })
            .collect()
    }

    fn map(&mut self, settings: &[&Setting]) -> Result<(), ImportError> {
        let mut prompt_settings = Vec::new();
        let mut timer_settings = Vec::new();
        let mut refresh_method = None;
        let direct_room_re = settings.iter().find(|s| s.key == "direct_room_re");
        for &setting in settings {
            let target = target(&setting.key);
            if setting.value.is_empty() && empty_is_unset(&setting.key, &target) {
                self.remark(setting, "empty, so not set (as SEMS reads it)".to_owned());
                continue;
            }
            // WebConferenceFactory::onLoad reads direct_room_strip only when
            // direct_room_re is set and not empty, so that no value of it,
            // however bad, matters otherwise.
            if setting.key == "direct_room_strip" {
                let why = match direct_room_re {
                    None => Some("not set"),
                    Some(re) if re.value.is_empty() => Some("empty"),
                    Some(_) => None,
                };
                if let Some(why) = why {
                    self.remark(
                        setting,
                        format!("ignored, as direct_room_re is {why} (as in SEMS)"),
                    );
                    continue;
                }
            }
            match target {
                Target::NotMapped(why) => self.not_mapped(setting, why.to_owned()),
                Target::GuestText => self.set(
                    Some(setting),
                    GUEST_CONFIG,
                    &setting.key,
                    Value::String(setting.value.clone()),
                ),
                Target::PredefinedRooms => self.predefined_rooms(setting)?,
                Target::GuestFlag => {
                    let on = self.sems_yes(setting);
                    self.set(
                        Some(setting),
                        GUEST_CONFIG,
                        &setting.key,
                        Value::Boolean(on),
                    );
                }
                Target::GuestNumber(read) => {
                    let number = self.number(setting, read)?;
                    self.set(
                        Some(setting),
                        GUEST_CONFIG,
                        &setting.key,
                        Value::Integer(number),
                    );
                }
                Target::ExpireSwitch { host_key } => {
                    if self.sems_no(setting) {
                        self.set(
                            Some(setting),
                            &["rooms"],
                            host_key,
                            Value::Integer(MAX_DELAY_S as i64),
                        );
                        self.remark(
                            setting,
                            format!(
                                "SEMS never expires them, Switchyard always does: rooms.{host_key} \
                                 is set to its longest, {MAX_DELAY_S} (a year)"
                            ),
                        );
                    }
                }
                Target::ExpireDelay {
                    switch,
                    host_key,
                    sems_default,
                    what,
                } => {
                    let never = settings.iter().any(|s| s.key == switch && s.value == "no");
                    if never {
                        self.remark(setting, format!("ignored, as {switch} = no (as in SEMS)"));
                    } else {
                        let seconds = self.delay(setting, switch, sems_default, what)?;
                        let seconds = self.at_most_a_year(setting, host_key, seconds);
                        self.set(Some(setting), &["rooms"], host_key, Value::Integer(seconds));
                    }
                }
                Target::SessionTimer => timer_settings.push(setting),
                Target::SipOfferMethod => refresh_method = Some(setting),
                Target::StatsDir => self.stats_dir(setting),
                Target::FeedbackFile => self.feedback_file(setting, stats_dir(settings)),
                Target::Prompt => prompt_settings.push(setting),
            }
        }
        match direct_room_re {
            None => {
                self.set(
                    None,
                    GUEST_CONFIG,
                    "direct_room_re",
                    Value::String(String::new()),
                );
                self.unset_remark(
                    "direct_room_re",
                    "not set, so SEMS connects no caller to a room directly: set to \"\" \
                     (the guest's own default is \"^000777\")"
                        .to_owned(),
                );
            }
            Some(re) if !re.value.is_empty() => self.direct_room_strip(settings),
            Some(_) => {}
        }
        let timers = self.session_timers(&timer_settings)?;
        match (timers, refresh_method) {
            (true, Some(setting)) => self.offer_method(setting),
            (true, None) => self.default_offer_method(),
            (false, Some(setting)) => self.ignored_without_timers(setting),
            (false, None) => {}
        }
        self.prompts(&prompt_settings);
        Ok(())
    }

    /// `session_refresh_method`, which SEMS reads with session timers on
    /// only: `sip.offer_method`. Any other value than SEMS's three turns
    /// session timers off, with a remark.
    fn offer_method(&mut self, setting: &Setting) {
        let method = match setting.value.as_str() {
            "INVITE" => "reinvite",
            "UPDATE_FALLBACK_INVITE" => "update",
            "UPDATE" => {
                self.remark(
                    setting,
                    "SEMS sends UPDATE to every peer; Switchyard sends it to peers that allow it \
                     and re-INVITE to the others"
                        .to_owned(),
                );
                "update"
            }
            other => {
                // SessionTimer::configure fails, so each call goes without a
                // timer; the 422 to a Session-Expires below minimum_timer is
                // checked before, in SessionTimerFactory::onInvite.
                self.remark(
                    setting,
                    format!(
                        "{other:?} is not INVITE, UPDATE or UPDATE_FALLBACK_INVITE, so SEMS sets \
                         up no session timer for a call and answers it without one (a \
                         Session-Expires below minimum_timer still gets 422 there): \
                         sip.session_timers is set to false"
                    ),
                );
                self.set(
                    Some(setting),
                    &["sip"],
                    "session_timers",
                    Value::Boolean(false),
                );
                return;
            }
        };
        self.set(
            Some(setting),
            &["sip"],
            "offer_method",
            Value::String(method.to_owned()),
        );
    }

    /// `stats_dir`: `records.stats_dir`, when absolute; a relative one is not
    /// mapped, as Switchyard would take it from its config file's directory.
    fn stats_dir(&mut self, setting: &Setting) {
        if !Path::new(&setting.value).is_absolute() {
            self.not_mapped(
                setting,
                format!(
                    "{RELATIVE}, and Switchyard reads records.stats_dir from its config file's \
                     directory: give records.stats_dir the absolute directory of SEMS's stats file"
                ),
            );
            return;
        }
        self.set(
            Some(setting),
            &["records"],
            "stats_dir",
            Value::String(setting.value.clone()),
        );
    }

    /// With session timers on and no refresh method set, SEMS refreshes as
    /// UPDATE_FALLBACK_INVITE: by UPDATE to a peer whose Allow lists it, by
    /// re-INVITE to the others, as `sip.offer_method = "update"` does.
    fn default_offer_method(&mut self) {
        self.set(
            None,
            &["sip"],
            "offer_method",
            Value::String("update".to_owned()),
        );
        self.unset_remark(
            REFRESH_METHOD,
            "not set, so SEMS refreshes sessions by UPDATE to peers whose Allow lists it and by \
             re-INVITE to the others (UPDATE_FALLBACK_INVITE): sip.offer_method is set to \
             \"update\", which does the same (Switchyard's own default is \"reinvite\")"
                .to_owned(),
        );
    }

    /// With direct rooms on, SEMS strips nothing from the called user unless
    /// `direct_room_strip` says how much (an empty value included): its
    /// default, 0, is written, the guest's own being 6.
    fn direct_room_strip(&mut self, settings: &[&Setting]) {
        let strip = settings
            .iter()
            .copied()
            .find(|s| s.key == "direct_room_strip");
        if strip.is_some_and(|s| !s.value.is_empty()) {
            return;
        }
        self.set(strip, GUEST_CONFIG, "direct_room_strip", Value::Integer(0));
        let text = "not set, so SEMS takes a direct room's number as the whole called user: \
                    set to 0 (the guest's own default is 6)"
            .to_owned();
        match strip {
            Some(setting) => self.remark(setting, text),
            None => self.unset_remark("direct_room_strip", text),
        }
    }

    /// `feedback_file`: SEMS's absolute path split into the guest's records
    /// directory and the file's name in it. The directory is taken only when
    /// it is the file's own (see [`feedback::why_not_own`]); else the records
    /// go to [`feedback::own_dir`], with a remark saying why and that the file
    /// is to be moved there. Neither may be `stats_dir` (absolute, if set),
    /// which the loader refuses: the guest could empty the stats file. A
    /// value naming a directory ([`names_a_directory`]) is not mapped.
    fn feedback_file(&mut self, setting: &Setting, stats_dir: Option<&Path>) {
        if names_a_directory(&setting.value) {
            self.not_mapped(
                setting,
                "it names a directory, which SEMS cannot open as its feedback file, so it \
                 wrote no feedback: to record feedback, give [guests.webconference] \
                 records_dir a directory of the file's own and config.feedback_file its name"
                    .to_owned(),
            );
            return;
        }
        let path = Path::new(&setting.value);
        let (Some(dir), Some(name)) = (
            path.parent()
                .and_then(Path::to_str)
                .filter(|dir| !dir.is_empty()),
            path.file_name().and_then(|name| name.to_str()),
        ) else {
            self.not_mapped(
                setting,
                "Switchyard needs the file's directory, for [guests.webconference] \
                 records_dir: give a path with a directory and a file name"
                    .to_owned(),
            );
            return;
        };
        if !path.is_absolute() {
            self.not_mapped(
                setting,
                format!(
                    "{RELATIVE}: give [guests.webconference] records_dir an absolute directory \
                     of the file's own, and config.feedback_file its name"
                ),
            );
            return;
        }
        let records_dir = match feedback::why_not_own(Path::new(dir), name, stats_dir) {
            None => dir.to_owned(),
            Some(why) => {
                let own = feedback::own_dir(Path::new(dir), name);
                if stats_dir.is_some_and(|stats_dir| same_path(&own, stats_dir)) {
                    self.not_mapped(
                        setting,
                        format!(
                            "{why}, and {} is stats_dir: give [guests.webconference] \
                             records_dir a directory of the file's own, other than stats_dir, \
                             and config.feedback_file its name",
                            own.display()
                        ),
                    );
                    return;
                }
                let own = own.display();
                self.remark(
                    setting,
                    format!(
                        "{why}, and the guest's records store counts every file of its \
                         records_dir against its limit and resetFeedback empties any file there \
                         it is named: guests.webconference.records_dir is set to {own}, a \
                         directory of the file's own beside it (it must exist, writable by the \
                         server's user), and config.feedback_file to {name:?}; move {} there \
                         to keep the feedback SEMS wrote",
                        setting.value
                    ),
                );
                own.to_string()
            }
        };
        self.set(
            Some(setting),
            &["guests", "webconference"],
            "records_dir",
            Value::String(records_dir),
        );
        self.set(
            Some(setting),
            GUEST_CONFIG,
            "feedback_file",
            Value::String(name.to_owned()),
        );
    }

    /// `predefined_rooms`, each entry as SEMS reads it ([`sems_room_entry`]),
    /// with a remark naming the entries that reads otherwise than written;
    /// an error for the first entry it cannot write so.
    fn predefined_rooms(&mut self, setting: &Setting) -> Result<(), ImportError> {
        let mut entries = Vec::new();
        for entry in setting.value.split(';') {
            let read = match entry {
                "" => String::new(),
                entry => sems_room_entry(entry).map_err(|why| self.error(setting, why))?,
            };
            entries.push((entry, read));
        }
        let changed: Vec<String> = entries
            .iter()
            .filter(|(entry, read)| entry != read)
            .map(|(entry, read)| format!("{entry:?} as {read:?}"))
            .collect();
        if !changed.is_empty() {
            self.remark(
                setting,
                format!(
                    "SEMS drops an entry's empty fields, so it reads {}: written so",
                    changed.join(", ")
                ),
            );
        }
        let read: Vec<&str> = entries.iter().map(|(_, read)| read.as_str()).collect();
        self.set(
            Some(setting),
            GUEST_CONFIG,
            &setting.key,
            Value::String(read.join(";")),
        );
        Ok(())
    }

    /// The prompt files and the digits' directory: one `media.prompts_dir`
    /// when they all fit it, else each not mapped; a remark on each prompt
    /// left unset says which file plays.
    fn prompts(&mut self, settings: &[&Setting]) {
        for (key, sems_file) in prompts::PROMPTS {
            if !settings.iter().any(|s| s.key == key) {
                self.unset_remark(
                    key,
                    format!(
                        "not set, so SEMS plays its own {}{sems_file}; Switchyard plays \
                         {key}.wav from media.prompts_dir when set and holding it, else its \
                         embedded {key} prompt",
                        prompts::SEMS_PROMPTS_DIR
                    ),
                );
            }
        }
        let shared = prompts::shared_dir(settings);
        if let Some(dir) = &shared {
            // The digits' directory names it most directly, else the first prompt.
            let origin = settings
                .iter()
                .copied()
                .find(|s| s.key == prompts::DIGITS_DIR)
                .or(settings.first().copied());
            self.set(
                origin,
                &["media"],
                "prompts_dir",
                Value::String(dir.clone()),
            );
        }
        for &setting in settings {
            let digits = setting.key == prompts::DIGITS_DIR;
            match (&shared, digits) {
                (Some(_), false) => self.remark(
                    setting,
                    format!("played as {}.wav from media.prompts_dir", setting.key),
                ),
                (Some(_), true) => self.remark(
                    setting,
                    "the digits are played as 0.wav … 9.wav from media.prompts_dir".to_owned(),
                ),
                (None, false) => self.not_mapped(
                    setting,
                    format!(
                        "SEMS's prompt files are not all <key>.wav in one absolute directory, \
                         which Switchyard's media.prompts_dir needs: copy {} to \
                         <media.prompts_dir>/{}.wav",
                        setting.value, setting.key
                    ),
                ),
                (None, true) => self.not_mapped(
                    setting,
                    format!(
                        "SEMS's prompt files are not all <key>.wav in one absolute directory, \
                         which Switchyard's media.prompts_dir needs: copy 0.wav … 9.wav from {} \
                         to media.prompts_dir",
                        setting.value
                    ),
                ),
            }
        }
    }

    /// A switch SEMS turns on for exactly `yes`: whether it is on. Any other
    /// value is off there, with a remark unless it is `no`.
    fn sems_yes(&mut self, setting: &Setting) -> bool {
        let on = setting.value == "yes";
        if !matches!(setting.value.as_str(), "yes" | "no") {
            self.remark(
                setting,
                format!(
                    "{:?} is off: SEMS turns {} on only for \"yes\"",
                    setting.value, setting.key
                ),
            );
        }
        on
    }

    /// A switch SEMS turns off for exactly `no`: whether it is off. Any
    /// other value is on there, with a remark unless it is `yes`.
    fn sems_no(&mut self, setting: &Setting) -> bool {
        let off = setting.value == "no";
        if !matches!(setting.value.as_str(), "yes" | "no") {
            self.remark(
                setting,
                format!(
                    "{:?} is on: SEMS turns {} off only for \"no\"",
                    setting.value, setting.key
                ),
            );
        }
        off
    }

    /// An expiry delay in seconds (`setting`, read unless `switch` is `no`,
    /// SEMS's default `sems_default`, delaying the expiry of `what`): a whole
    /// number SEMS reads ([`number`](Self::number)) and its int holds. A
    /// value starting with `-` is an error saying how each SEMS reads it.
    fn delay(
        &mut self,
        setting: &Setting,
        switch: &str,
        sems_default: u32,
        what: &str,
    ) -> Result<i64, ImportError> {
        if let Some(newer) = signed_delay(&setting.value) {
            // Up to sipwise mr26.0 getParameterInt reads with the unsigned
            // str2int, which refuses the sign, and falls back to the default;
            // from mr26.1 it reads with the signed one, and RoomInfo.cpp never
            // expires anything whose delay is negative. Which of the two the
            // file was written for cannot be told.
            let newer = match newer {
                SignedDelay::Negative(value) => {
                    format!("read {value} and, with a negative delay, never expire {what}")
                }
                SignedDelay::Zero => "read 0".to_owned(),
                SignedDelay::Overflow => SIGNED_OVERFLOW.to_owned(),
            };
            return Err(self.error(
                setting,
                format!(
                    "{:?}: SEMS up to sipwise mr26.0 reads no sign and uses its default, \
                     {sems_default}, where sipwise SEMS mr26.1 and later {newer}: write \
                     `{switch} = no` to never expire {what}, else the seconds in digits alone",
                    setting.value
                ),
            ));
        }
        let read = NumberRead::ParameterInt {
            default: sems_default,
        };
        self.number(setting, read)
    }

    /// `seconds`, an expiry delay `setting` sets for `rooms.host_key`, at
    /// most [`MAX_DELAY_S`], the longest Switchyard takes (a year), with a
    /// remark when SEMS's is longer.
    fn at_most_a_year(&mut self, setting: &Setting, host_key: &str, seconds: i64) -> i64 {
        let longest = MAX_DELAY_S as i64;
        if seconds > longest {
            self.remark(
                setting,
                format!(
                    "{seconds} is longer than Switchyard takes: rooms.{host_key} is set to its \
                     longest, {longest} (a year)"
                ),
            );
        }
        seconds.min(longest)
    }

    /// The whole number, 0 or more, that SEMS reads of `setting` as `read`
    /// says, with [`str2int()`]: after any leading spaces, up to 10 digits,
    /// ended by a space (what follows is not read, with a remark) or the
    /// value's end; no digit at all is 0 (with a remark); then stored as
    /// [`stored`](Self::stored) says. More digits, a sign or any other
    /// character is an error naming what SEMS does not read and, for more
    /// than 10 digits, what SEMS does then; but for `-0` or `-` alone, which
    /// every SEMS reads as 0 where the default is 0 (with a remark).
    fn number(&mut self, setting: &Setting, read: NumberRead) -> Result<i64, ImportError> {
        let value = &setting.value;
        match str2int(value, false) {
            Reading::Number {
                magnitude, ignored, ..
            } => {
                if value.is_empty() {
                    self.remark(setting, "empty, which SEMS reads as 0".to_owned());
                } else if value.trim_start_matches(' ').is_empty() {
                    self.remark(
                        setting,
                        format!("{value:?}, spaces alone, which SEMS reads as 0"),
                    );
                } else if !ignored.is_empty() {
                    self.remark(
                        setting,
                        format!(
                            "SEMS reads {value:?} as {magnitude}: a space ends the number it \
                             reads, and what follows is not read"
                        ),
                    );
                }
                self.stored(setting, magnitude, read)
            }
            Reading::TooManyDigits => {
                let then = match read {
                    NumberRead::ParameterInt { default } => format!("uses its default, {default}"),
                    NumberRead::Unsigned => "does not load the module".to_owned(),
                };
                Err(self.error(
                    setting,
                    format!("{value:?}: SEMS reads no more than 10 digits, and {then}, for more"),
                ))
            }
            Reading::Refused { .. } if minus_zero(value, read) => {
                self.remark(
                    setting,
                    format!(
                        "{value:?} is 0: SEMS up to sipwise mr26.0 reads no '-' and uses its \
                         default, 0, and mr26.1 and later read 0"
                    ),
                );
                Ok(0)
            }
            Reading::Refused { at, c } => Err(self.error(
                setting,
                format!(
                    "expected a whole number, 0 or more, in digits alone, not {value:?}: {}",
                    unread_character(value, at, c, read)
                ),
            )),
        }
    }

    /// What SEMS stores of `magnitude`, the digits of `setting` read as
    /// `read` says: the unsigned `str2int`'s number modulo 2^32 (with a
    /// remark when that is not `magnitude`); for `getParameterInt`, which
    /// from sipwise mr26.1 on reads with the signed one, `magnitude` up to
    /// [`SIGNED_LARGEST`], as both read it, and an error above.
    fn stored(
        &mut self,
        setting: &Setting,
        magnitude: u64,
        read: NumberRead,
    ) -> Result<i64, ImportError> {
        let older = unsigned_int(magnitude);
        match read {
            NumberRead::Unsigned => {
                if u64::from(older) != magnitude {
                    self.remark(
                        setting,
                        format!(
                            "SEMS reads {magnitude} as {older}: its unsigned int keeps the \
                             number modulo 4294967296 (2^32)"
                        ),
                    );
                }
                Ok(older.into())
            }
            NumberRead::ParameterInt { .. } if magnitude > SIGNED_LARGEST => {
                let older = if u64::from(older) == magnitude {
                    String::new()
                } else {
                    format!(" (SEMS up to sipwise mr26.0 reads it as {older}, modulo 2^32)")
                };
                Err(self.error(
                    setting,
                    format!(
                        "{magnitude} is more than {SIGNED_LARGEST}: sipwise SEMS mr26.1 and later \
                         {SIGNED_OVERFLOW}{older}"
                    ),
                ))
            }
            NumberRead::ParameterInt { .. } => Ok(older.into()),
        }
    }

    /// Sets `key` in the table at the path `tables`, making the tables on
    /// the way; `origin` is the SEMS setting it comes from, if the file has one.
    fn set(&mut self, origin: Option<&Setting>, tables: &[&str], key: &str, value: Value) {
        if let Some(setting) = origin {
            let path = [tables, &[key]].concat().join(".");
            let origin = Origin {
                file: setting.file.clone(),
                line: setting.line,
                key: setting.key.clone(),
            };
            self.origins.insert(path, origin);
        }
        let mut table = &mut self.table;
        for name in tables {
            table = table
                .entry(*name)
                .or_insert_with(|| Value::Table(Table::new()))
                .as_table_mut()
                .expect("the converter sets values only at the leaves of its table paths");
        }
        table.insert(key.to_owned(), value);
    }

    fn remark(&mut self, setting: &Setting, text: String) {
        self.note(setting, NoteKind::Remark, text);
    }

    /// A remark on `key`, which the file does not set.
    fn unset_remark(&mut self, key: &str, text: String) {
        let note = Note {
            file: self.file.to_owned(),
            line: None,
            key: key.to_owned(),
            kind: NoteKind::Remark,
            text,
        };
        self.notes.push((usize::MAX, note));
    }

    fn not_mapped(&mut self, setting: &Setting, text: String) {
        self.note(setting, NoteKind::NotMapped, text);
    }

    fn note(&mut self, setting: &Setting, kind: NoteKind, text: String) {
        let note = Note {
            file: setting.file.clone(),
            line: Some(setting.line),
            key: setting.key.clone(),
            kind,
            text,
        };
        self.notes.push((setting.index, note));
    }

    fn error(&self, setting: &Setting, problem: String) -> ImportError {
        ImportError {
            file: setting.file.clone(),
            line: Some(setting.line),
            problem: format!("{}: {problem}", setting.key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str) -> Conversion {
        super::convert("webconference.conf", text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`convert`] of `text` with session timers set off on a line after it,
    /// so that no line of `text` moves and no remark on that key is made,
    /// less the remarks on unset prompts.
    fn quiet(text: &str) -> Conversion {
        quiet_prompts(convert(&format!("{text}enable_session_timer=no\n")))
    }

    /// `conversion` less its remarks on unset prompts.
    fn quiet_prompts(mut conversion: Conversion) -> Conversion {
        conversion
            .notes
            .retain(|note| note.line.is_some() || !prompts::is_prompt(&note.key));
        conversion
    }

    fn error(text: &str) -> String {
        super::convert("webconference.conf", text)
            .expect_err(text)
            .to_string()
    }

    fn lines(conversion: &Conversion) -> Vec<String> {
        conversion.notes.iter().map(Note::to_string).collect()
    }

    fn at<'t>(table: &'t Table, path: &str) -> Option<&'t Value> {
        let (tables, key) = path.rsplit_once('.').unwrap_or(("", path));
        let mut table = table;
        for name in tables.split('.').filter(|name| !name.is_empty()) {
            table = table.get(name)?.as_table()?;
        }
        table.get(key)
    }

    fn guest<'t>(conversion: &'t Conversion, key: &str) -> Option<&'t Value> {
        at(
            &conversion.table,
            &format!("guests.webconference.config.{key}"),
        )
    }

    #[test]
    fn guest_keys_keep_their_names_with_typed_values() {
        let conversion = quiet(
            "direct_room_re=000777.*\ndirect_room_strip = 6\nroom_pin_split=4\n\
             master_password=\"very \\\"secret\\\" #1\"\nignore_pin=yes\nprivate_rooms=no\n\
             predefined_rooms=discussion:some_pwd;support:other_pwd;\nlonely_user_timer=120\n\
             loop_first_participant_prompt=yes\nparticipant_id_param=participantid\n\
             participant_id_header=x-participantid\nsupport_rooms_timeout=yes\n",
        );
        let expected = [
            ("direct_room_re", Value::from("000777.*")),
            ("direct_room_strip", Value::from(6)),
            ("room_pin_split", Value::from(4)),
            ("master_password", Value::from("very \\\"secret\\\" #1")),
            ("ignore_pin", Value::from(true)),
            ("private_rooms", Value::from(false)),
            (
                "predefined_rooms",
                Value::from("discussion:some_pwd;support:other_pwd;"),
            ),
            ("lonely_user_timer", Value::from(120)),
            ("loop_first_participant_prompt", Value::from(true)),
            ("participant_id_param", Value::from("participantid")),
            ("participant_id_header", Value::from("x-participantid")),
            ("support_rooms_timeout", Value::from(true)),
        ];
        for (key, value) in expected {
            assert_eq!(guest(&conversion, key), Some(&value), "for {key}");
        }
        assert_eq!(
            conversion.table.keys().collect::<Vec<_>>(),
            ["guests", "sip"],
            "expected only the guest's table, and session timers off"
        );
        assert!(conversion.notes.is_empty(), "{:?}", lines(&conversion));
    }

    #[test]
    fn switches_are_on_and_off_as_sems_reads_them() {
        let conversion = quiet(
            "direct_room_re=\nignore_pin=true\nprivate_rooms=yes\nsupport_rooms_timeout=1\n\
             loop_first_participant_prompt=Yes\nparticipants_expire=false\nrooms_expire=no\n",
        );
        for (key, on) in [
            ("ignore_pin", false),
            ("private_rooms", true),
            ("support_rooms_timeout", false),
            ("loop_first_participant_prompt", false),
        ] {
            assert_eq!(guest(&conversion, key), Some(&Value::from(on)), "{key}");
        }
        assert_eq!(
            at(&conversion.table, "rooms.participants_expire_delay_s"),
            None,
            "participants still expire, after Switchyard's default delay as SEMS's"
        );
        assert_eq!(
            at(&conversion.table, "rooms.expire_delay_s"),
            Some(&Value::from(31_536_000))
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:2: ignore_pin: note: \"true\" is off: SEMS turns ignore_pin on only for \"yes\"",
                "webconference.conf:4: support_rooms_timeout: note: \"1\" is off: SEMS turns support_rooms_timeout on only for \"yes\"",
                "webconference.conf:5: loop_first_participant_prompt: note: \"Yes\" is off: SEMS turns loop_first_participant_prompt on only for \"yes\"",
                "webconference.conf:6: participants_expire: note: \"false\" is on: SEMS turns participants_expire off only for \"no\"",
                "webconference.conf:7: rooms_expire: note: SEMS never expires them, Switchyard always does: rooms.expire_delay_s is set to its longest, 31536000 (a year)",
            ]
        );
        let never = quiet("direct_room_re=\nrooms_expire=0\nrooms_expire_delay=600\n");
        assert_eq!(
            at(&never.table, "rooms.expire_delay_s"),
            Some(&Value::from(600)),
            "\"0\" leaves rooms expiring, so their delay counts"
        );
    }

    #[test]
    fn expiry_delays_go_to_rooms_and_no_expiry_becomes_a_year() {
        let conversion = quiet(
            "direct_room_re=\nparticipants_expire=yes\nparticipants_expire_delay = 30\n\
             rooms_expire_delay=600\n",
        );
        assert_eq!(
            at(&conversion.table, "rooms.participants_expire_delay_s"),
            Some(&Value::from(30))
        );
        assert_eq!(
            at(&conversion.table, "rooms.expire_delay_s"),
            Some(&Value::from(600))
        );
        assert!(conversion.notes.is_empty(), "{:?}", lines(&conversion));

        let conversion = quiet(
            "direct_room_re=\nrooms_expire_delay=600\nrooms_expire=no\nparticipants_expire=no\n",
        );
        assert_eq!(
            at(&conversion.table, "rooms.participants_expire_delay_s"),
            Some(&Value::from(31_536_000))
        );
        assert_eq!(
            at(&conversion.table, "rooms.expire_delay_s"),
            Some(&Value::from(31_536_000))
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:2: rooms_expire_delay: note: ignored, as rooms_expire = no (as in SEMS)",
                "webconference.conf:3: rooms_expire: note: SEMS never expires them, Switchyard always does: rooms.expire_delay_s is set to its longest, 31536000 (a year)",
                "webconference.conf:4: participants_expire: note: SEMS never expires them, Switchyard always does: rooms.participants_expire_delay_s is set to its longest, 31536000 (a year)",
            ]
        );
    }

    #[test]
    fn records_go_to_the_stats_dir_and_the_feedback_files_own_directory() {
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("feedback");
        std::fs::create_dir_all(own.join("old")).unwrap();
        std::fs::write(own.join("feedback.txt"), "").unwrap();
        let own = own.display();
        let conversion = quiet(&format!(
            "direct_room_re=\nstats_dir=/var/log/sems-webconference/\n\
             feedback_file={own}/feedback.txt\n"
        ));
        assert_eq!(
            at(&conversion.table, "records.stats_dir"),
            Some(&Value::from("/var/log/sems-webconference/"))
        );
        assert_eq!(
            at(&conversion.table, "guests.webconference.records_dir"),
            Some(&Value::from(own.to_string()))
        );
        assert_eq!(
            guest(&conversion, "feedback_file"),
            Some(&Value::from("feedback.txt"))
        );
        assert!(conversion.notes.is_empty(), "{:?}", lines(&conversion));

        let bare = quiet("direct_room_re=\nfeedback_file=feedback.txt\n");
        assert_eq!(guest(&bare, "feedback_file"), None);
        assert_eq!(
            lines(&bare),
            [
                "webconference.conf:2: feedback_file: not mapped: Switchyard needs the file's directory, \
                 for [guests.webconference] records_dir: give a path with a directory and a file name"
            ]
        );
        let relative = quiet("direct_room_re=\nfeedback_file=logs/feedback.txt\n");
        assert_eq!(guest(&relative, "feedback_file"), None);
        assert_eq!(
            lines(&relative),
            [
                "webconference.conf:2: feedback_file: not mapped: SEMS opens a relative path from \
                 its working directory, unknown here: give [guests.webconference] records_dir an \
                 absolute directory of the file's own, and config.feedback_file its name"
            ]
        );
    }

    /// The remark on a feedback file whose directory is not its own.
    fn not_its_own(why: &str, own: &str, name: &str, path: &str) -> String {
        format!(
            "webconference.conf:2: feedback_file: note: {why}, and the guest's records store \
             counts every file of its records_dir against its limit and resetFeedback empties \
             any file there it is named: guests.webconference.records_dir is set to {own}, a \
             directory of the file's own beside it (it must exist, writable by the server's \
             user), and config.feedback_file to {name:?}; move {path} there to keep the \
             feedback SEMS wrote"
        )
    }

    #[test]
    fn a_shared_feedback_directory_gives_way_to_one_of_the_files_own_beside_it() {
        let conversion =
            quiet("direct_room_re=\nfeedback_file=/var/log/sems-webconference-feedback.txt\n");
        assert_eq!(
            at(&conversion.table, "guests.webconference.records_dir"),
            Some(&Value::from("/var/log/sems-webconference-feedback"))
        );
        assert_eq!(
            guest(&conversion, "feedback_file"),
            Some(&Value::from("sems-webconference-feedback.txt"))
        );
        assert_eq!(
            lines(&conversion),
            [not_its_own(
                "/var/log is a system directory other programs write in",
                "/var/log/sems-webconference-feedback",
                "sems-webconference-feedback.txt",
                "/var/log/sems-webconference-feedback.txt"
            )]
        );

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("auth.log"), "keep me\n").unwrap();
        let d = dir.path().display();
        let crowded = quiet(&format!("direct_room_re=\nfeedback_file={d}/feedback\n"));
        assert_eq!(
            at(&crowded.table, "guests.webconference.records_dir"),
            Some(&Value::from(format!("{d}/feedback.d")))
        );
        assert_eq!(
            lines(&crowded),
            [not_its_own(
                &format!("{d} holds other files (auth.log)"),
                &format!("{d}/feedback.d"),
                "feedback",
                &format!("{d}/feedback")
            )]
        );
    }

    #[test]
    fn values_end_at_a_space_tab_or_hash_as_sems_reads_them() {
        let conversion = quiet(
            "direct_room_re=\nprivate_rooms=yes # invited only\nmaster_password=s3cret # gui\n\
             lonely_user_timer=120\t# 2 min\nignore_pin=yes#\n",
        );
        for (key, value) in [
            ("private_rooms", Value::from(true)),
            ("master_password", Value::from("s3cret")),
            ("lonely_user_timer", Value::from(120)),
            ("ignore_pin", Value::from(true)),
        ] {
            assert_eq!(guest(&conversion, key), Some(&value), "{key}");
        }
        // Each line that sipwise SEMS mr26.1 and later read to its end.
        let used = "is used, as SEMS up to sipwise mr26.0 reads it; sipwise SEMS mr26.1 and \
                    later read the value to the end of the line,";
        assert_eq!(
            lines(&conversion),
            [
                format!(
                    "webconference.conf:2: private_rooms: note: \"yes\" {used} \
                     \"yes # invited only\""
                ),
                format!(
                    "webconference.conf:3: master_password: note: \"s3cret\" {used} \
                     \"s3cret # gui\""
                ),
                format!(
                    "webconference.conf:4: lonely_user_timer: note: \"120\" {used} \
                     \"120\\t# 2 min\""
                ),
                format!("webconference.conf:5: ignore_pin: note: \"yes\" {used} \"yes#\""),
            ]
        );
    }

    #[test]
    fn crlf_line_ends_get_one_note_and_a_backslash_before_one_none() {
        let conversion = quiet(
            "direct_room_re=\r\nprivate_rooms=yes\r\nmaster_password=abc\\\r\nlonely_user_timer=60\r\n",
        );
        assert_eq!(
            guest(&conversion, "private_rooms"),
            Some(&Value::from(true))
        );
        assert_eq!(
            guest(&conversion, "master_password"),
            Some(&Value::from("abc\\"))
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:1: direct_room_re: note: \"\" is used, as SEMS up to sipwise \
              mr26.0 reads it; this line ends in a carriage return (CR LF line ends), as any \
              other of this file may: sipwise SEMS mr26.1 and later read its value as \
              \"\\r\", keeping the carriage return in an unquoted value (a number written is \
              read alike, its reading ending there, but an empty value is not empty, a yes or \
              no is not read as one, and a text keeps it) and dropping it in place of a quoted \
              value's closing quote, which stays; convert the file to LF line ends for them",
                "webconference.conf:1: direct_room_re: note: \"\" is used, as SEMS up to sipwise \
              mr26.0 reads it; this line ends in a carriage return, which sipwise SEMS mr26.1 \
              and later keep as the value, \"\\r\", so direct_room_re is not empty there"
            ]
        );
    }

    #[test]
    fn a_trailing_backslash_is_part_of_the_value_and_the_next_line_its_own() {
        let conversion = quiet("direct_room_re=\nmaster_password=abc\\\nprivate_rooms=yes\n");
        assert_eq!(
            guest(&conversion, "master_password"),
            Some(&Value::from("abc\\"))
        );
        assert_eq!(
            guest(&conversion, "private_rooms"),
            Some(&Value::from(true))
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:2: master_password: note: \"abc\\\\\" is used, as SEMS up \
                 to sipwise mr26.0 reads it, the next line a line of its own; sipwise SEMS \
                 mr26.1 and later drop the final '\\' and take the next line as the rest of \
                 the value"
            ]
        );
    }

    #[test]
    fn an_included_file_is_converted_in_place_and_named_in_its_notes() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("webconference.conf");
        let text = "direct_room_re=\n@timers.conf # session timers\nfoo=1\nlonely_user_timer=60\n";
        std::fs::write(&main, text).unwrap();
        std::fs::write(
            dir.path().join("timers.conf"),
            "enable_session_timer=no\ntell_pin=yes\nlonely_user_timer=30\n",
        )
        .unwrap();
        let main = main.display().to_string();
        let conversion =
            quiet_prompts(super::convert(&main, text).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(
            at(&conversion.table, "sip.session_timers"),
            Some(&Value::from(false))
        );
        assert_eq!(
            guest(&conversion, "lonely_user_timer"),
            Some(&Value::from(60))
        );
        let timers = dir.path().join("timers.conf").display().to_string();
        assert_eq!(
            lines(&conversion),
            [
                format!(
                    "{main}:2: @timers.conf: note: the file's lines are read in this line's \
                     place, as SEMS up to sipwise mr26.0 reads them; sipwise SEMS mr26.1 and \
                     later have no includes and ignore this line"
                ),
                format!(
                    "{timers}:2: tell_pin: not mapped: the guest always reads the room number \
                     back before entering"
                ),
                format!(
                    "{timers}:3: lonely_user_timer: note: set again at {main}:4, whose value \
                     is used"
                ),
                format!("{main}:3: foo: not mapped: no Switchyard equivalent"),
            ]
        );
        let missing = error("direct_room_re=\n@nowhere.conf\n");
        assert!(
            missing
                .starts_with("webconference.conf:2: @nowhere.conf: cannot read ./nowhere.conf: "),
            "{missing}"
        );
    }

    #[test]
    fn an_empty_value_is_what_sems_makes_of_it_for_each_key() {
        let delays =
            quiet("direct_room_re=\nparticipants_expire_delay= # none\nrooms_expire_delay=\"\"\n");
        assert_eq!(
            at(&delays.table, "rooms.participants_expire_delay_s"),
            Some(&Value::from(0))
        );
        assert_eq!(
            at(&delays.table, "rooms.expire_delay_s"),
            Some(&Value::from(0))
        );
        assert_eq!(
            lines(&delays),
            [
                "webconference.conf:2: participants_expire_delay: note: \"\" is used, as SEMS up \
                 to sipwise mr26.0 reads it; sipwise SEMS mr26.1 and later read the value to the \
                 end of the line, \"# none\"",
                "webconference.conf:2: participants_expire_delay: note: empty, which SEMS reads as 0",
                // Set empty there too: getParameterInt reads it as 0.
                "webconference.conf:3: rooms_expire_delay: note: empty, which SEMS reads as 0",
            ]
        );
        assert_eq!(
            error("enable_session_timer=yes\nsession_expires=\n"),
            "webconference.conf:2: session_expires: empty, which SEMS refuses: with \
             enable_session_timer = yes it then answers no call"
        );
        let no_method = convert("enable_session_timer=yes\nsession_refresh_method= # default\n");
        assert_eq!(
            at(&no_method.table, "sip.session_timers"),
            Some(&Value::from(false)),
            "an empty refresh method sets up no timer there"
        );
        let off = quiet("direct_room_re=\nminimum_timer=\n");
        assert_eq!(
            lines(&off),
            [
                "webconference.conf:2: minimum_timer: note: \"\" is used, as SEMS up to sipwise \
                 mr26.0 reads it; sipwise SEMS mr26.1 and later leave minimum_timer unset when \
                 nothing follows the '=', so its default applies there",
                "webconference.conf:2: minimum_timer: note: ignored, as enable_session_timer is not \
                 yes (as in SEMS)"
            ]
        );
    }

    #[test]
    fn an_empty_participant_id_header_turns_reading_the_header_off() {
        let conversion = quiet("direct_room_re=\nparticipant_id_header=\n");
        assert_eq!(
            guest(&conversion, "participant_id_header"),
            Some(&Value::from(""))
        );
        // Only that newer SEMS leaves it unset; not so of direct_room_re, which is
        // off either way.
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:2: participant_id_header: note: \"\" is used, as SEMS up to \
              sipwise mr26.0 reads it; sipwise SEMS mr26.1 and later leave \
              participant_id_header unset when nothing follows the '=', so its default applies \
              there"
            ]
        );
        // Set empty in every SEMS, which reads it whenever it is set.
        for line in ["participant_id_header=\"\"", "participant_id_header= "] {
            let conversion = quiet(&format!("direct_room_re=\n{line}\n"));
            assert_eq!(
                guest(&conversion, "participant_id_header"),
                Some(&Value::from("")),
                "{line}"
            );
            assert!(
                !lines(&conversion).iter().any(|l| l.contains("unset")),
                "{line}: {:?}",
                lines(&conversion)
            );
        }
    }

    #[test]
    fn with_session_timers_on_and_no_refresh_method_sems_updates_where_allowed() {
        let unset = convert("direct_room_re=\nenable_session_timer=yes\n");
        assert_eq!(
            at(&unset.table, "sip.offer_method"),
            Some(&Value::from("update"))
        );
        assert!(
            lines(&unset).contains(
                &"webconference.conf: session_refresh_method: note: not set, so SEMS refreshes \
                  sessions by UPDATE to peers whose Allow lists it and by re-INVITE to the others \
                  (UPDATE_FALLBACK_INVITE): sip.offer_method is set to \"update\", which does the \
                  same (Switchyard's own default is \"reinvite\")"
                    .to_owned()
            ),
            "{:?}",
            lines(&unset)
        );
        let invite =
            convert("direct_room_re=\nenable_session_timer=yes\nsession_refresh_method=INVITE\n");
        assert_eq!(
            at(&invite.table, "sip.offer_method"),
            Some(&Value::from("reinvite"))
        );
        let off = quiet("direct_room_re=\n");
        assert_eq!(at(&off.table, "sip.offer_method"), None);
    }

    #[test]
    fn prompts_named_after_their_key_in_one_directory_become_the_prompts_dir() {
        let conversion = quiet(
            "direct_room_re=\nenter_pin=/srv/prompts/enter_pin.wav\n\
             join_sound = \"/srv/prompts/join_sound.wav\"\ndigits_dir=/srv/prompts/\n",
        );
        assert_eq!(
            at(&conversion.table, "media.prompts_dir"),
            Some(&Value::from("/srv/prompts"))
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:2: enter_pin: note: played as enter_pin.wav from media.prompts_dir",
                "webconference.conf:3: join_sound: note: played as join_sound.wav from media.prompts_dir",
                "webconference.conf:4: digits_dir: note: the digits are played as 0.wav … 9.wav from media.prompts_dir",
            ]
        );
    }

    #[test]
    fn prompts_named_otherwise_are_not_mapped_each() {
        let conversion = quiet(
            "direct_room_re=\nenter_pin=/srv/sems/pin_prompt.wav\nwrong_pin=/srv/sems/wrong_pin.wav\n\
             digits_dir=/srv/sems/\n",
        );
        assert_eq!(at(&conversion.table, "media.prompts_dir"), None);
        let why = "SEMS's prompt files are not all <key>.wav in one absolute directory, \
                   which Switchyard's media.prompts_dir needs";
        assert_eq!(
            lines(&conversion),
            [
                format!(
                    "webconference.conf:2: enter_pin: not mapped: {why}: copy /srv/sems/pin_prompt.wav \
                     to <media.prompts_dir>/enter_pin.wav"
                ),
                format!(
                    "webconference.conf:3: wrong_pin: not mapped: {why}: copy /srv/sems/wrong_pin.wav \
                     to <media.prompts_dir>/wrong_pin.wav"
                ),
                format!(
                    "webconference.conf:4: digits_dir: not mapped: {why}: copy 0.wav … 9.wav from \
                     /srv/sems/ to media.prompts_dir"
                ),
            ]
        );
    }

    #[test]
    fn other_keys_are_not_mapped_with_their_line_and_reason() {
        let conversion = quiet(
            "direct_room_re=\n# comment\n\ntell_pin=yes\nstar_finishes_pin=yes\n\
             accept_501_reply=no\nwebconference_urlbase=https://example.com/\nfoo=bar\n\
             room_sweep_interval=\n",
        );
        assert_eq!(
            conversion.table,
            quiet("direct_room_re=\n").table,
            "expected nothing mapped"
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:4: tell_pin: not mapped: the guest always reads the room number back before entering",
                "webconference.conf:5: star_finishes_pin: not mapped: the guest ends the room number at # or * alike",
                "webconference.conf:6: accept_501_reply: not mapped: a 501 to an UPDATE refresh makes Switchyard refresh that call by re-INVITE instead",
                "webconference.conf:7: webconference_urlbase: not mapped: Switchyard's SDP carries no u= line",
                "webconference.conf:8: foo: not mapped: no Switchyard equivalent",
                "webconference.conf:9: room_sweep_interval: not mapped: each empty room expires on its own timer; there is no sweep to schedule",
            ]
        );
    }

    #[test]
    fn session_timer_keys_go_to_sip() {
        let conversion = convert(
            "enable_session_timer=yes\nsession_expires=240\nminimum_timer=120\nmaximum_timer=900\n",
        );
        for (key, value) in [
            ("sip.session_timers", Value::Boolean(true)),
            ("sip.session_expires_s", Value::from(240)),
            ("sip.session_min_se_s", Value::from(120)),
            ("sip.session_max_s", Value::from(240)),
        ] {
            assert_eq!(at(&conversion.table, key), Some(&value), "{key}");
        }
        let off = convert("enable_session_timer=no\n");
        assert_eq!(
            at(&off.table, "sip.session_timers"),
            Some(&Value::Boolean(false))
        );
    }

    #[test]
    fn without_enable_session_timer_yes_session_timers_are_off_as_in_sems() {
        let unset = quiet_prompts(convert("direct_room_re=\nmaximum_timer=900\n"));
        let notes = lines(&unset);
        assert_eq!(
            notes,
            [
                "webconference.conf:2: maximum_timer: note: ignored, as enable_session_timer is not yes (as in SEMS)",
                "webconference.conf: enable_session_timer: note: not set, so SEMS runs without session \
                 timers: sip.session_timers is set to false (Switchyard's own default is true)",
            ]
        );
        let sip = at(&unset.table, "sip").and_then(Value::as_table).unwrap();
        assert_eq!(
            sip,
            &Table::from_iter([("session_timers".to_owned(), Value::Boolean(false))])
        );
        for value in ["true", "1", "Yes"] {
            let conversion = quiet_prompts(convert(&format!(
                "direct_room_re=\nenable_session_timer={value}\n"
            )));
            assert_eq!(
                at(&conversion.table, "sip.session_timers"),
                Some(&Value::Boolean(false)),
                "{value}"
            );
            assert_eq!(
                lines(&conversion),
                [format!(
                    "webconference.conf:2: enable_session_timer: note: {value:?} is off: SEMS \
                     turns enable_session_timer on only for \"yes\""
                )]
            );
        }
    }

    #[test]
    fn session_timers_take_sems_defaults_fitted_into_switchyards_ranges() {
        // SEMS's defaults (120, 90) where the file sets nothing.
        let defaults = quiet_prompts(convert("direct_room_re=\nenable_session_timer=yes\n"));
        for (key, value) in [
            ("sip.session_min_se_s", 90),
            ("sip.session_expires_s", 120),
            ("sip.session_max_s", 120),
        ] {
            assert_eq!(at(&defaults.table, key), Some(&Value::from(value)), "{key}");
        }
        assert_eq!(
            lines(&defaults)[1..],
            [
                "webconference.conf: minimum_timer: note: not set, so SEMS uses 90: \
                 sip.session_min_se_s is set to it (Switchyard's own default is 90)",
                "webconference.conf: session_expires: note: not set, so SEMS uses 120: \
                 sip.session_expires_s is set to it (Switchyard's own default is 1800)",
                "webconference.conf: session_refresh_method: note: not set, so SEMS refreshes \
                 sessions by UPDATE to peers whose Allow lists it and by re-INVITE to the others \
                 (UPDATE_FALLBACK_INVITE): sip.offer_method is set to \"update\", which does the \
                 same (Switchyard's own default is \"reinvite\")",
            ]
        );
        // Values Switchyard does not take are moved into range, each with a remark.
        let fitted = convert(
            "direct_room_re=\nenable_session_timer=yes\nminimum_timer=30\nsession_expires=100000\n",
        );
        for (key, value) in [
            ("sip.session_min_se_s", 90),
            ("sip.session_expires_s", 86_400),
            ("sip.session_max_s", 86_400),
        ] {
            assert_eq!(at(&fitted.table, key), Some(&Value::from(value)), "{key}");
        }
        let notes = lines(&fitted);
        assert_eq!(
            notes[1..3],
            [
                "webconference.conf:3: minimum_timer: note: 30 is out of range (it must be 90 \
                 to 86400): sip.session_min_se_s is set to 90",
                "webconference.conf:4: session_expires: note: 100000 is out of range (it must be \
                 90 to 86400): sip.session_expires_s is set to 86400",
            ]
        );
        let raised = convert("direct_room_re=\nenable_session_timer=yes\nminimum_timer=600\n");
        assert_eq!(
            at(&raised.table, "sip.session_expires_s"),
            Some(&Value::from(600))
        );
        assert!(
            lines(&raised).contains(
                &"webconference.conf: session_expires: note: not set, so SEMS uses 120, which is \
                  out of range (it must be 600 to 86400): sip.session_expires_s is set to 600"
                    .to_owned()
            ),
            "{:?}",
            lines(&raised)
        );
        // Whatever the values, the result loads.
        for text in [
            "enable_session_timer=yes\nmaximum_timer=900\n",
            "enable_session_timer=yes\nsession_expires=0\nminimum_timer=0\nmaximum_timer=1\n",
            "enable_session_timer=yes\nsession_expires=999999\nminimum_timer=999999\n",
        ] {
            let dir = tempfile::tempdir().unwrap();
            convert(text)
                .check(&dir.path().join("switchyard.toml"))
                .unwrap_or_else(|e| panic!("{text:?}: {e}"));
        }
    }

    #[test]
    fn direct_rooms_strip_nothing_unless_sems_is_told_to() {
        let conversion = quiet("direct_room_re=^000777\n");
        assert_eq!(
            guest(&conversion, "direct_room_strip"),
            Some(&Value::from(0))
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf: direct_room_strip: note: not set, so SEMS takes a direct \
                 room's number as the whole called user: set to 0 (the guest's own default is 6)"
            ]
        );
        let empty = quiet("direct_room_re=^000777\ndirect_room_strip=\n");
        assert_eq!(guest(&empty, "direct_room_strip"), Some(&Value::from(0)));
        assert_eq!(
            lines(&empty),
            [
                "webconference.conf:2: direct_room_strip: note: empty, so not set (as SEMS reads it)",
                "webconference.conf:2: direct_room_strip: note: not set, so SEMS takes a direct \
                 room's number as the whole called user: set to 0 (the guest's own default is 6)",
            ]
        );
        let set = quiet("direct_room_re=^000777\ndirect_room_strip=6\n");
        assert_eq!(guest(&set, "direct_room_strip"), Some(&Value::from(6)));
        assert!(set.notes.is_empty(), "{:?}", lines(&set));
        let off = quiet("direct_room_re=\n");
        assert_eq!(
            guest(&off, "direct_room_strip"),
            None,
            "no direct rooms, nothing to strip"
        );
    }

    #[test]
    fn a_relative_stats_dir_is_not_mapped() {
        let conversion = quiet("direct_room_re=\nstats_dir=logs/\n");
        assert_eq!(at(&conversion.table, "records.stats_dir"), None);
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:2: stats_dir: not mapped: SEMS opens a relative path from its \
                 working directory, unknown here, and Switchyard reads records.stats_dir from its \
                 config file's directory: give records.stats_dir the absolute directory of SEMS's \
                 stats file"
            ]
        );
    }

    #[test]
    fn the_feedback_files_records_dir_is_never_the_stats_dir() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        std::fs::create_dir(dir.path().join("feedback")).unwrap();
        let conversion = quiet(&format!(
            "direct_room_re=\nstats_dir={d}/\nfeedback_file={d}/feedback.txt\n"
        ));
        assert_eq!(
            at(&conversion.table, "guests.webconference.records_dir"),
            Some(&Value::from(format!("{d}/feedback")))
        );
        let mut expected = not_its_own(
            &format!("{d} is stats_dir, where the server keeps its stats file"),
            &format!("{d}/feedback"),
            "feedback.txt",
            &format!("{d}/feedback.txt"),
        );
        expected = expected.replace(".conf:2:", ".conf:3:");
        assert_eq!(lines(&conversion), [expected]);
        assert_eq!(
            conversion.check(&dir.path().join("switchyard.toml")),
            Ok(())
        );

        // The directory of the file's own beside it is stats_dir too.
        let conversion = quiet(
            "direct_room_re=\nstats_dir=/var/log/feedback\nfeedback_file=/var/log/feedback.txt\n",
        );
        assert_eq!(
            at(&conversion.table, "guests.webconference.records_dir"),
            None
        );
        assert_eq!(guest(&conversion, "feedback_file"), None);
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:3: feedback_file: not mapped: /var/log is a system directory \
                 other programs write in, and /var/log/feedback is stats_dir: give \
                 [guests.webconference] records_dir a directory of the file's own, other than \
                 stats_dir, and config.feedback_file its name"
            ]
        );
    }

    #[test]
    fn a_conversion_that_would_not_load_is_an_error_naming_the_sems_key() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let conversion = quiet(&format!(
            "direct_room_re=\n# stats\nstats_dir={}\n",
            missing.display()
        ));
        let error = conversion
            .check(&dir.path().join("switchyard.toml"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "webconference.conf:3: stats_dir: the converted configuration does not load: \
                 records.stats_dir: {} is not a directory",
                missing.display()
            )
        );
        std::fs::create_dir(&missing).unwrap();
        assert_eq!(
            conversion.check(&dir.path().join("switchyard.toml")),
            Ok(())
        );
    }

    #[test]
    fn the_refresh_method_becomes_the_offer_method() {
        for (sems, ours) in [
            ("INVITE", "reinvite"),
            ("UPDATE_FALLBACK_INVITE", "update"),
            ("UPDATE", "update"),
        ] {
            let conversion = convert(&format!(
                "enable_session_timer=yes\nsession_refresh_method={sems}\n"
            ));
            assert_eq!(
                at(&conversion.table, "sip.offer_method"),
                Some(&Value::from(ours)),
                "{sems}"
            );
        }
        let strict =
            convert("direct_room_re=\nenable_session_timer=yes\nsession_refresh_method=UPDATE\n");
        assert!(
            lines(&strict).contains(
                &"webconference.conf:3: session_refresh_method: note: SEMS sends UPDATE to every \
                  peer; Switchyard sends it to peers that allow it and re-INVITE to the others"
                    .to_owned()
            ),
            "{:?}",
            lines(&strict)
        );
    }

    #[test]
    fn another_refresh_method_turns_session_timers_off() {
        for value in ["update", "", "OPTIONS"] {
            let conversion = convert(&format!(
                "enable_session_timer=yes\nsession_refresh_method={value}\n"
            ));
            assert_eq!(
                at(&conversion.table, "sip.session_timers"),
                Some(&Value::from(false)),
                "{value:?}"
            );
            assert_eq!(at(&conversion.table, "sip.offer_method"), None, "{value:?}");
            let remark = format!(
                "webconference.conf:2: session_refresh_method: note: {value:?} is not INVITE, \
                 UPDATE or UPDATE_FALLBACK_INVITE, so SEMS sets up no session timer for a call \
                 and answers it without one (a Session-Expires below minimum_timer still gets \
                 422 there): sip.session_timers is set to false"
            );
            assert!(
                lines(&conversion).contains(&remark),
                "{:?}",
                lines(&conversion)
            );
        }
    }

    #[test]
    fn sems_grants_at_most_session_expires_and_maximum_timer_is_not_mapped() {
        let conversion = convert("enable_session_timer=yes\n");
        assert_eq!(
            at(&conversion.table, "sip.session_max_s"),
            Some(&Value::from(120))
        );
        let set = convert("enable_session_timer=yes\nsession_expires=600\nmaximum_timer=900\n");
        assert_eq!(at(&set.table, "sip.session_max_s"), Some(&Value::from(600)));
        assert_eq!(
            lines(&set)[..2],
            [
                "webconference.conf:1: enable_session_timer: note: SEMS applies it only with \
                 its session_timer plug-in loaded: listed in sems.conf's load_plugins, or \
                 load_plugins unset and session_timer not in exclude_plugins (the shipped \
                 sems.conf.sample sets load_plugins without it); if SEMS does not load it, it \
                 runs no session timers: then set sip.session_timers to false",
                "webconference.conf:3: maximum_timer: not mapped: SEMS's cap on the Min-SE of a \
                 422 answering its own INVITE or UPDATE, no cap on the interval a caller asks \
                 for; Switchyard's cap on that, sip.session_max_s, is set to session_expires, \
                 the most SEMS grants",
            ]
        );
        for (value, shown) in [
            ("", "empty"),
            ("0", "\"0\", not a whole number above 0 in digits alone"),
            ("\" \"", "\" \", not a whole number above 0 in digits alone"),
        ] {
            assert_eq!(
                error(&format!(
                    "enable_session_timer=yes\nmaximum_timer={value}\n"
                )),
                format!(
                    "webconference.conf:2: maximum_timer: {shown}, which SEMS refuses: with \
                     enable_session_timer = yes it then answers no call"
                )
            );
        }
    }

    #[test]
    fn each_unset_prompt_says_what_plays() {
        let conversion = convert("enable_session_timer=no\nenter_pin=/srv/p/enter_pin.wav\n");
        let unset: Vec<String> = lines(&conversion)
            .into_iter()
            .filter(|line| {
                line.starts_with("webconference.conf: ") && !line.contains("direct_room_re")
            })
            .collect();
        assert_eq!(unset.len(), 6, "{unset:?}");
        assert_eq!(
            unset[3],
            "webconference.conf: first_participant: note: not set, so SEMS plays its own \
             /usr/local/lib/sems/audio/webconference/first_paricipant.wav; Switchyard plays \
             first_participant.wav from media.prompts_dir when set and holding it, else its \
             embedded first_participant prompt"
        );
        assert!(!unset.iter().any(|line| line.contains(" enter_pin:")));
    }

    #[test]
    fn without_session_timers_sems_ignores_the_refresh_method() {
        for value in ["OPTIONS", "UPDATE", ""] {
            let conversion = quiet(&format!(
                "direct_room_re=\nsession_refresh_method={value}\n"
            ));
            assert_eq!(at(&conversion.table, "sip.offer_method"), None, "{value}");
            let ignored = "webconference.conf:2: session_refresh_method: note: ignored, as \
                           enable_session_timer is not yes (as in SEMS)";
            assert_eq!(lines(&conversion).last().map(String::as_str), Some(ignored));
        }
    }

    #[test]
    fn the_last_of_a_repeated_key_and_empty_values_are_as_sems_reads_them() {
        let conversion =
            quiet("room_pin_split=4\nroom_pin_split=5\nmaster_password=\nlonely_user_timer=\"\"\n");
        assert_eq!(guest(&conversion, "room_pin_split"), Some(&Value::from(5)));
        assert_eq!(guest(&conversion, "master_password"), None);
        assert_eq!(guest(&conversion, "lonely_user_timer"), None);
        assert_eq!(guest(&conversion, "direct_room_re"), Some(&Value::from("")));
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:1: room_pin_split: note: set again on line 2, whose value is used",
                "webconference.conf:3: master_password: note: empty, so not set (as SEMS reads it)",
                "webconference.conf:4: lonely_user_timer: note: empty, so not set (as SEMS reads it)",
                "webconference.conf: direct_room_re: note: not set, so SEMS connects no caller to a \
                 room directly: set to \"\" (the guest's own default is \"^000777\")",
            ]
        );
        let conversion = quiet("direct_room_re=\n");
        assert_eq!(guest(&conversion, "direct_room_re"), Some(&Value::from("")));
        assert!(conversion.notes.is_empty(), "{:?}", lines(&conversion));
    }

    #[test]
    fn bad_lines_and_values_are_errors_with_their_line() {
        let cases = [
            (
                "a=1\n\nno equals sign\n",
                "webconference.conf:3: expected key=value, not \"no equals sign\"",
            ),
            (
                "# x\ndirect_room_re=^000777\ndirect_room_strip=-1\n",
                "webconference.conf:3: direct_room_strip: expected a whole number, 0 or more, in \
                 digits alone, not \"-1\": SEMS reads no '-'",
            ),
            (
                "lonely_user_timer=2m\n",
                "webconference.conf:1: lonely_user_timer: expected a whole number, 0 or more, in \
                 digits alone, not \"2m\": SEMS reads no 'm' (at 1)",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(error(text), expected, "for {text:?}");
        }
    }

    #[test]
    fn an_expiry_delay_longer_than_a_year_is_set_to_a_year_with_a_note() {
        for (value, line) in [
            ("40000000", "40000000"),
            ("2147483599", "2147483599"),
            ("31536001", "31536001"),
        ] {
            let conversion = quiet(&format!(
                "direct_room_re=\nrooms_expire_delay={value}\nparticipants_expire_delay={value}\n"
            ));
            assert_eq!(
                at(&conversion.table, "rooms.expire_delay_s"),
                Some(&Value::from(31_536_000)),
                "{value}"
            );
            assert_eq!(
                at(&conversion.table, "rooms.participants_expire_delay_s"),
                Some(&Value::from(31_536_000)),
                "{value}"
            );
            assert_eq!(
                lines(&conversion),
                [
                    format!(
                        "webconference.conf:2: rooms_expire_delay: note: {line} is longer than \
                         Switchyard takes: rooms.expire_delay_s is set to its longest, 31536000 \
                         (a year)"
                    ),
                    format!(
                        "webconference.conf:3: participants_expire_delay: note: {line} is longer \
                         than Switchyard takes: rooms.participants_expire_delay_s is set to its \
                         longest, 31536000 (a year)"
                    ),
                ]
            );
        }
        let year = quiet("direct_room_re=\nrooms_expire_delay=31536000\n");
        assert!(year.notes.is_empty(), "{:?}", lines(&year));
        // What SEMS's getParameterInt does not read as the number written.
        assert_eq!(
            error("direct_room_re=\nrooms_expire_delay=2147483600\n"),
            "webconference.conf:2: rooms_expire_delay: 2147483600 is more than 2147483599: \
             sipwise SEMS mr26.1 and later overflow a signed int reading it, which C++ leaves \
             undefined"
        );
        assert_eq!(
            error("direct_room_re=\nrooms_expire_delay=4294967297\n"),
            "webconference.conf:2: rooms_expire_delay: 4294967297 is more than 2147483599: \
             sipwise SEMS mr26.1 and later overflow a signed int reading it, which C++ leaves \
             undefined (SEMS up to sipwise mr26.0 reads it as 1, modulo 2^32)"
        );
        assert_eq!(
            error("direct_room_re=\nparticipants_expire_delay=00000000030\n"),
            "webconference.conf:2: participants_expire_delay: \"00000000030\": SEMS reads no \
             more than 10 digits, and uses its default, 10, for more"
        );
    }

    #[test]
    fn predefined_rooms_entries_are_written_as_sems_reads_them_without_empty_fields() {
        let conversion = quiet("direct_room_re=\npredefined_rooms=a::1;b:2:;:c:3;d:4;;::e::5::\n");
        assert_eq!(
            guest(&conversion, "predefined_rooms"),
            Some(&Value::from("a:1;b:2;c:3;d:4;;e:5"))
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:2: predefined_rooms: note: SEMS drops an entry's empty \
                 fields, so it reads \"a::1\" as \"a:1\", \"b:2:\" as \"b:2\", \":c:3\" as \
                 \"c:3\", \"::e::5::\" as \"e:5\": written so"
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            conversion.check(&dir.path().join("switchyard.toml")),
            Ok(())
        );
        // An entry SEMS refuses (it then does not load the module) is left for the check.
        let refused = quiet("direct_room_re=\npredefined_rooms=a:1:2;b::\n");
        assert_eq!(
            guest(&refused, "predefined_rooms"),
            Some(&Value::from("a:1:2;b::"))
        );
        assert!(refused.notes.is_empty(), "{:?}", lines(&refused));
    }

    #[test]
    fn a_predefined_rooms_entry_of_white_space_alone_is_an_error_as_sems_refuses_it() {
        for (value, entry) in [("\"a:1; \"", " "), ("\"a:1;\t;b:2\"", "\t")] {
            assert_eq!(
                error(&format!("direct_room_re=\npredefined_rooms={value}\n")),
                format!(
                    "webconference.conf:2: predefined_rooms: {entry:?}, white space alone, is no \
                     <room>:<pin> to SEMS, which then does not load the module, where the guest \
                     skips it as empty"
                ),
                "{value}"
            );
        }
    }

    #[test]
    fn a_predefined_room_or_pin_with_white_space_sems_keeps_is_an_error() {
        for (value, entry, room, pin, trimmed) in [
            ("\"a:: \"", "a:: ", "a", " ", ("a", "")),
            (
                "\"101 :1234\"",
                "101 :1234",
                "101 ",
                "1234",
                ("101", "1234"),
            ),
            ("\"b:2; c:3\"", " c:3", " c", "3", ("c", "3")),
            ("\"d:\t4\"", "d:\t4", "d", "\t4", ("d", "4")),
        ] {
            assert_eq!(
                error(&format!("direct_room_re=\npredefined_rooms={value}\n")),
                format!(
                    "webconference.conf:2: predefined_rooms: {entry:?} is room {room:?} with pin \
                     {pin:?} to SEMS, which keeps the white space around them, where the guest \
                     trims it (reading room {:?} with pin {:?}): write the entry without it for \
                     both to read it alike",
                    trimmed.0, trimmed.1
                ),
                "{value}"
            );
        }
        // White space inside a room or pin is read alike.
        let inside = quiet("direct_room_re=\npredefined_rooms=\"a b:1 2\"\n");
        assert_eq!(
            guest(&inside, "predefined_rooms"),
            Some(&Value::from("a b:1 2"))
        );
    }

    #[test]
    fn a_feedback_file_naming_a_directory_is_not_mapped_as_sems_wrote_no_feedback() {
        for path in [
            "/tmp/rf/x/fb/",
            "/var/log/sems/.",
            "/var/log/..",
            "/srv/fb//",
        ] {
            let conversion = quiet(&format!("direct_room_re=\nfeedback_file={path}\n"));
            assert_eq!(guest(&conversion, "feedback_file"), None, "for {path}");
            assert_eq!(
                at(&conversion.table, "guests.webconference.records_dir"),
                None,
                "for {path}"
            );
            assert_eq!(
                lines(&conversion),
                [
                    "webconference.conf:2: feedback_file: not mapped: it names a directory, \
                     which SEMS cannot open as its feedback file, so it wrote no feedback: to \
                     record feedback, give [guests.webconference] records_dir a directory of the \
                     file's own and config.feedback_file its name"
                ],
                "for {path}"
            );
        }
    }

    #[test]
    fn a_signed_number_is_refused_where_sems_reads_digits_alone() {
        for key in [
            "lonely_user_timer",
            "direct_room_strip",
            "room_pin_split",
            "participants_expire_delay",
            "rooms_expire_delay",
        ] {
            assert_eq!(
                error(&format!("direct_room_re=^000777\n{key}=+120\n")),
                format!(
                    "webconference.conf:2: {key}: expected a whole number, 0 or more, in digits \
                     alone, not \"+120\": SEMS reads no '+'"
                ),
            );
        }
        // The session_timer plug-in reads its intervals with sscanf("%u"), which takes a `+`.
        let timers = convert(
            "direct_room_re=\nenable_session_timer=yes\nsession_expires=+240\n\
             minimum_timer=+120\nmaximum_timer=900\n",
        );
        assert_eq!(
            at(&timers.table, "sip.session_expires_s"),
            Some(&Value::from(240))
        );
        assert_eq!(
            at(&timers.table, "sip.session_min_se_s"),
            Some(&Value::from(120))
        );
        // maximum_timer it reads with the signed str2int, which takes no `+`.
        assert_eq!(
            error(
                "direct_room_re=\nenable_session_timer=yes\nsession_expires=+240\n\
                 maximum_timer=+900\n"
            ),
            "webconference.conf:4: maximum_timer: \"+900\", not a whole number above 0 in \
             digits alone, which SEMS refuses: with enable_session_timer = yes it then answers \
             no call"
        );
    }

    #[test]
    fn session_intervals_are_read_as_sscanf_reads_an_unsigned_int() {
        let timers = |expires: &str, minimum: &str| {
            convert(&format!(
                "direct_room_re=\nenable_session_timer=yes\nsession_expires={expires}\n\
                 minimum_timer={minimum}\n"
            ))
        };
        let read = timers("\" \t1800s\"", "120 # two minutes");
        assert_eq!(
            at(&read.table, "sip.session_expires_s"),
            Some(&Value::from(1800))
        );
        assert_eq!(
            at(&read.table, "sip.session_min_se_s"),
            Some(&Value::from(120))
        );
        assert_eq!(
            lines(&read)[1],
            "webconference.conf:3: session_expires: note: SEMS reads \" \\t1800s\" as 1800, \
             with sscanf(\"%u\"): it ignores what follows the number"
        );
        // A negative number wraps modulo 2^32, and then is out of range.
        let wrapped = timers("-5x", "+90");
        assert_eq!(
            at(&wrapped.table, "sip.session_expires_s"),
            Some(&Value::from(86_400))
        );
        let notes = lines(&wrapped);
        assert_eq!(
            notes[1..3],
            [
                "webconference.conf:3: session_expires: note: SEMS reads \"-5x\" as 4294967291, \
                 with sscanf(\"%u\"): it stores a number below 0 or above 4294967295 as its low \
                 32 bits, and it ignores what follows the number",
                "webconference.conf:3: session_expires: note: 4294967291 is out of range (it \
                 must be 90 to 86400): sip.session_expires_s is set to 86400",
            ]
        );
        // No digit at all: SEMS refuses it, and with timers on answers no call.
        for value in ["x1", "\"- 5\"", "\" \"", "+"] {
            assert_eq!(
                error(&format!(
                    "direct_room_re=\nenable_session_timer=yes\nminimum_timer={value}\n"
                )),
                format!(
                    "webconference.conf:3: minimum_timer: {:?}, in which sscanf(\"%u\") finds \
                     no number, which SEMS refuses: with enable_session_timer = yes it then \
                     answers no call",
                    value.trim_matches('"')
                ),
                "{value}"
            );
        }
    }

    #[test]
    fn maximum_timer_is_refused_unless_sems_reads_it_as_a_positive_int() {
        let refused = |what: &str| {
            format!(
                "webconference.conf:2: maximum_timer: {what}, which SEMS refuses: with \
                 enable_session_timer = yes it then answers no call"
            )
        };
        for (value, expected) in [
            (
                "-900",
                refused("\"-900\", not a whole number above 0 in digits alone"),
            ),
            (
                "9x",
                refused("\"9x\", not a whole number above 0 in digits alone"),
            ),
            ("00000000900", refused("00000000900, more than 10 digits")),
            (
                "2147483600",
                "webconference.conf:2: maximum_timer: 2147483600 is more than 2147483599: SEMS \
                 would overflow a signed int reading it, which C++ leaves undefined"
                    .to_owned(),
            ),
            (
                "4294967396",
                "webconference.conf:2: maximum_timer: 4294967396 is more than 2147483599: SEMS \
                 would overflow a signed int reading it, which C++ leaves undefined"
                    .to_owned(),
            ),
        ] {
            assert_eq!(
                error(&format!(
                    "enable_session_timer=yes\nmaximum_timer={value}\n"
                )),
                expected,
                "{value}"
            );
        }
        // str2int skips leading spaces and ends the number at one.
        for value in ["2147483599", "0900", "\" 900\"", "\"900 x\""] {
            let conversion = convert(&format!(
                "enable_session_timer=yes\nmaximum_timer={value}\n"
            ));
            assert!(
                lines(&conversion)
                    .iter()
                    .any(|line| line.starts_with("webconference.conf:2: maximum_timer: not mapped")),
                "{value}"
            );
        }
        // With timers off SEMS reads none of it.
        let off = quiet_prompts(convert("direct_room_re=\nmaximum_timer=+900\n"));
        assert_eq!(
            lines(&off)[0],
            "webconference.conf:2: maximum_timer: note: ignored, as enable_session_timer is not \
             yes (as in SEMS)"
        );
    }

    #[test]
    fn direct_room_strip_is_ignored_without_direct_rooms_as_in_sems() {
        for (re, why) in [("", "not set"), ("direct_room_re=\n", "empty")] {
            for value in ["+2", "-1", "x", "4"] {
                let conversion = quiet(&format!("{re}direct_room_strip={value}\n"));
                assert_eq!(guest(&conversion, "direct_room_strip"), None, "{value}");
                let line = if re.is_empty() { 1 } else { 2 };
                assert_eq!(
                    lines(&conversion)[0],
                    format!(
                        "webconference.conf:{line}: direct_room_strip: note: ignored, as \
                         direct_room_re is {why} (as in SEMS)"
                    ),
                    "{value}"
                );
            }
        }
        // With direct rooms on, a bad value fails SEMS's load.
        assert_eq!(
            error("direct_room_strip=+2\ndirect_room_re=^000777\n"),
            "webconference.conf:1: direct_room_strip: expected a whole number, 0 or more, in \
             digits alone, not \"+2\": SEMS reads no '+'"
        );
    }

    #[test]
    fn a_number_sems_does_not_read_is_an_error_naming_the_character() {
        let cases = [
            // getParameterInt reads a `-` from sipwise mr26.1 on.
            (
                "lonely_user_timer=-5",
                "not \"-5\": SEMS up to sipwise mr26.0 reads no '-' and uses its default, 0, \
                 and mr26.1 and later read -5, which their unsigned int holds as 4294967291",
            ),
            (
                "lonely_user_timer=-2147483600",
                "not \"-2147483600\": SEMS up to sipwise mr26.0 reads no '-' and uses its \
                 default, 0, and mr26.1 and later overflow a signed int reading it, which C++ \
                 leaves undefined",
            ),
            (
                "lonely_user_timer=-12345678901",
                "not \"-12345678901\": SEMS up to sipwise mr26.0 reads no '-' and uses its \
                 default, 0, and mr26.1 and later read no more than 10 digits after it",
            ),
            (
                "rooms_expire_delay=-12345678901",
                "not \"-12345678901\": SEMS up to sipwise mr26.0 reads no '-' and uses its \
                 default, 7200, and mr26.1 and later read no more than 10 digits after it",
            ),
            (
                "lonely_user_timer=-5s",
                "not \"-5s\": SEMS reads no 's' (at 2)",
            ),
            // The unsigned str2int reads no sign at all.
            ("room_pin_split=-5", "not \"-5\": SEMS reads no '-'"),
            ("room_pin_split=-5s", "not \"-5s\": SEMS reads no '-'"),
            ("lonely_user_timer=+5s", "not \"+5s\": SEMS reads no '+'"),
            (
                "lonely_user_timer=1,2",
                "not \"1,2\": SEMS reads no ',' (at 1)",
            ),
            (
                "room_pin_split=4\u{bd}",
                "not \"4\u{bd}\": SEMS reads no '\u{bd}' (at 1)",
            ),
        ];
        for (line, problem) in cases {
            let key = line.split('=').next().unwrap();
            assert_eq!(
                error(&format!("direct_room_re=\n{line}\n")),
                format!(
                    "webconference.conf:2: {key}: expected a whole number, 0 or more, in \
                     digits alone, {problem}"
                ),
            );
        }
    }

    #[test]
    fn a_number_past_what_sems_stores_is_read_as_sems_reads_it() {
        // The unsigned str2int keeps a number modulo 2^32, and SEMS loads.
        let conversion = quiet(
            "direct_room_re=^000777\ndirect_room_strip=4294967296\nroom_pin_split=9999999999\n",
        );
        assert_eq!(
            guest(&conversion, "direct_room_strip"),
            Some(&Value::from(0))
        );
        assert_eq!(
            guest(&conversion, "room_pin_split"),
            Some(&Value::from(1_410_065_407))
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:2: direct_room_strip: note: SEMS reads 4294967296 as 0: its \
                 unsigned int keeps the number modulo 4294967296 (2^32)",
                "webconference.conf:3: room_pin_split: note: SEMS reads 9999999999 as \
                 1410065407: its unsigned int keeps the number modulo 4294967296 (2^32)",
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            conversion.check(&dir.path().join("switchyard.toml")),
            Ok(())
        );
        // getParameterInt reads with the signed str2int from sipwise mr26.1 on.
        assert_eq!(
            error("direct_room_re=\nlonely_user_timer=4294967296\n"),
            "webconference.conf:2: lonely_user_timer: 4294967296 is more than 2147483599: \
             sipwise SEMS mr26.1 and later overflow a signed int reading it, which C++ leaves \
             undefined (SEMS up to sipwise mr26.0 reads it as 0, modulo 2^32)"
        );
        assert_eq!(
            error("direct_room_re=\nlonely_user_timer=2147483600\n"),
            "webconference.conf:2: lonely_user_timer: 2147483600 is more than 2147483599: \
             sipwise SEMS mr26.1 and later overflow a signed int reading it, which C++ leaves \
             undefined"
        );
        let largest = quiet("direct_room_re=\nlonely_user_timer=2147483599\n");
        assert_eq!(
            guest(&largest, "lonely_user_timer"),
            Some(&Value::from(2_147_483_599))
        );
        assert!(largest.notes.is_empty(), "{:?}", lines(&largest));
    }

    #[test]
    fn a_lonely_user_timer_every_sems_reads_as_0_past_its_minus_is_0() {
        for value in ["-0", "-", " - 0", "-00 x"] {
            let conversion = quiet(&format!("direct_room_re=\nlonely_user_timer=\"{value}\"\n"));
            assert_eq!(
                guest(&conversion, "lonely_user_timer"),
                Some(&Value::from(0)),
                "{value}"
            );
            assert_eq!(
                lines(&conversion),
                [format!(
                    "webconference.conf:2: lonely_user_timer: note: {value:?} is 0: SEMS up to \
                     sipwise mr26.0 reads no '-' and uses its default, 0, and mr26.1 and later \
                     read 0"
                )],
                "{value}"
            );
        }
    }

    #[test]
    fn an_empty_room_pin_split_on_a_crlf_line_is_noted_as_splitting_in_newer_sems() {
        // Line 2 gets the file's note on its carriage return.
        let conversion = quiet("direct_room_re=\nprivate_rooms=no\r\nroom_pin_split=\r\n");
        assert_eq!(guest(&conversion, "room_pin_split"), None);
        let notes: Vec<String> = lines(&conversion)
            .into_iter()
            .filter(|line| !line.starts_with("webconference.conf:2: private_rooms: "))
            .collect();
        assert_eq!(
            notes,
            [
                "webconference.conf:3: room_pin_split: note: \"\" is used, as SEMS up to sipwise \
                 mr26.0 reads it; this line ends in a carriage return, which sipwise SEMS mr26.1 \
                 and later keep as the value, \"\\r\", so room_pin_split is not empty there: \
                 SEMS then splits at position 0, every number entered being room \"\" with the \
                 whole number as the participant id; convert the file to LF line ends for them",
                "webconference.conf:3: room_pin_split: note: empty, so not set (as SEMS reads it)",
            ]
        );
    }

    #[test]
    fn any_number_of_more_than_10_digits_is_an_error_saying_what_sems_does_then() {
        let long = "1".repeat(25);
        for (key, value, then) in [
            (
                "rooms_expire_delay",
                "12345678901234567890",
                "uses its default, 7200",
            ),
            (
                "participants_expire_delay",
                long.as_str(),
                "uses its default, 10",
            ),
            (
                "participants_expire_delay",
                "\" 00000000030\"",
                "uses its default, 10",
            ),
            ("lonely_user_timer", "00000000030", "uses its default, 0"),
            ("room_pin_split", long.as_str(), "does not load the module"),
        ] {
            let shown = value.trim_matches('"');
            assert_eq!(
                error(&format!("direct_room_re=\n{key}={value}\n")),
                format!(
                    "webconference.conf:2: {key}: {shown:?}: SEMS reads no more than 10 digits, \
                     and {then}, for more"
                ),
            );
        }
    }

    #[test]
    fn a_number_is_read_as_str2int_reads_it_past_spaces_and_up_to_one() {
        let conversion = quiet(
            "direct_room_re=^000777\nlonely_user_timer=\" 120\"\nroom_pin_split=\"4 \"\n\
             direct_room_strip=\"  6  # six\"\nrooms_expire_delay=\" \"\n\
             participants_expire_delay=\"30 -5\"\n",
        );
        for (key, number) in [
            ("lonely_user_timer", 120),
            ("room_pin_split", 4),
            ("direct_room_strip", 6),
        ] {
            assert_eq!(guest(&conversion, key), Some(&Value::from(number)), "{key}");
        }
        assert_eq!(
            at(&conversion.table, "rooms.expire_delay_s"),
            Some(&Value::from(0))
        );
        assert_eq!(
            at(&conversion.table, "rooms.participants_expire_delay_s"),
            Some(&Value::from(30))
        );
        assert_eq!(
            lines(&conversion),
            [
                "webconference.conf:4: direct_room_strip: note: SEMS reads \"  6  # six\" as 6: \
                 a space ends the number it reads, and what follows is not read",
                "webconference.conf:5: rooms_expire_delay: note: \" \", spaces alone, which SEMS \
                 reads as 0",
                "webconference.conf:6: participants_expire_delay: note: SEMS reads \"30 -5\" as \
                 30: a space ends the number it reads, and what follows is not read",
            ]
        );
        // A tab is no space to it.
        assert_eq!(
            error("direct_room_re=\nlonely_user_timer=\"\t120\"\n"),
            "webconference.conf:2: lonely_user_timer: expected a whole number, 0 or more, in \
             digits alone, not \"\\t120\": SEMS reads no '\\t' (at 0)"
        );
    }

    #[test]
    fn a_negative_expiry_delay_is_an_error_saying_what_each_sems_makes_of_it() {
        let cases = [
            (
                "rooms_expire_delay=-1\n",
                "\"-1\": SEMS up to sipwise mr26.0 reads no sign and uses its default, 7200, \
                 where sipwise SEMS mr26.1 and later read -1 and, with a negative delay, never \
                 expire empty rooms: write `rooms_expire = no` to never expire empty rooms, else \
                 the seconds in digits alone",
            ),
            (
                "participants_expire_delay=-30\n",
                "\"-30\": SEMS up to sipwise mr26.0 reads no sign and uses its default, 10, \
                 where sipwise SEMS mr26.1 and later read -30 and, with a negative delay, never \
                 expire participants who left: write `participants_expire = no` to never expire \
                 participants who left, else the seconds in digits alone",
            ),
            (
                "rooms_expire_delay=-0\n",
                "\"-0\": SEMS up to sipwise mr26.0 reads no sign and uses its default, 7200, \
                 where sipwise SEMS mr26.1 and later read 0: write `rooms_expire = no` to never \
                 expire empty rooms, else the seconds in digits alone",
            ),
            (
                "rooms_expire_delay=-2147483649\n",
                "\"-2147483649\": SEMS up to sipwise mr26.0 reads no sign and uses its default, \
                 7200, where sipwise SEMS mr26.1 and later overflow a signed int reading it, \
                 which C++ leaves undefined: write `rooms_expire = no` to never expire empty rooms, else the seconds in \
                 digits alone",
            ),
        ];
        for (text, problem) in cases {
            let key = text.split('=').next().unwrap();
            assert_eq!(
                error(&format!("direct_room_re=\n{text}")),
                format!("webconference.conf:2: {key}: {problem}"),
            );
        }
        // Both refuse what is not a sign and digits (at most 10): the default then.
        assert_eq!(
            error("direct_room_re=\nrooms_expire_delay=-1x\n"),
            "webconference.conf:2: rooms_expire_delay: expected a whole number, 0 or more, in \
             digits alone, not \"-1x\": SEMS reads no 'x' (at 2)"
        );
        // Neither reads the delay when its switch is no.
        let never = quiet("direct_room_re=\nrooms_expire=no\nrooms_expire_delay=-1\n");
        assert_eq!(
            at(&never.table, "rooms.expire_delay_s"),
            Some(&Value::from(31_536_000))
        );
    }

    #[test]
    fn unreadable_files_and_bytes_other_than_utf8_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.conf");
        let err = read(&missing).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: cannot read: ", missing.display())),
            "{err}"
        );
        assert_eq!(
            error_bytes(b"a=1\n# comment\nmaster_password=gr\xfcn\n"),
            "webconference.conf:3: master_password: holds bytes that are not UTF-8 text"
        );
        // SEMS reads bytes: in a comment or a key not mapped they do not matter.
        let latin1 = dir.path().join("latin1.conf");
        std::fs::write(
            &latin1,
            b"# Konferenzr\xe4ume\nmaster_password=x # f\xfcr alle\nr\xe4ume=1\n\
              enable_session_timer=no\n",
        )
        .unwrap();
        let conversion = super::convert("latin1.conf", read(&latin1).unwrap()).unwrap();
        assert_eq!(
            guest(&quiet_prompts(conversion), "master_password"),
            Some(&Value::from("x"))
        );
    }

    /// The error converting `bytes`.
    fn error_bytes(bytes: &[u8]) -> String {
        super::convert("webconference.conf", bytes)
            .unwrap_err()
            .to_string()
    }

    /// `prefix` followed by `count` bytes 0xE9 (é in Latin-1), as a line.
    fn latin1_line(prefix: &str, count: usize) -> Vec<u8> {
        let mut line = prefix.as_bytes().to_vec();
        line.resize(prefix.len() + count, 0xe9);
        line.push(b'\n');
        line
    }

    #[test]
    fn line_lengths_count_the_bytes_sems_reads_not_their_decoding() {
        for count in [700, 1400] {
            let mut bytes = latin1_line("# ", count);
            bytes.extend(b"direct_room_re=\nenable_session_timer=no\n");
            let conversion = super::convert("webconference.conf", &bytes)
                .unwrap_or_else(|e| panic!("{count}: {e}"));
            assert_eq!(
                lines(&quiet_prompts(conversion)),
                [] as [String; 0],
                "{count}"
            );
        }
        assert_eq!(
            error_bytes(&latin1_line("master_password=", 1400)),
            "webconference.conf:1: master_password: holds bytes that are not UTF-8 text"
        );
        assert_eq!(
            error_bytes(&latin1_line("# ", 4094)),
            "webconference.conf:1: longer than the 4095 bytes SEMS reads of a line (SEMS stops \
             reading the file there)"
        );
    }

    #[test]
    fn the_toml_names_its_source_and_the_config_loader_takes_it() {
        let dir = tempfile::tempdir().unwrap();
        let prompts = dir.path().display();
        let conversion = convert(&format!(
            "direct_room_re=\"^(000777|\\\\+49)\"\nmaster_password=\"a \\\"b\\\" \\\\c\"\n\
             ignore_pin=yes\nlonely_user_timer=120\nparticipants_expire=no\n\
             rooms_expire_delay=600\nfirst_participant={prompts}/first_participant.wav\n"
        ));
        let text = conversion.to_toml();
        assert!(
            text.starts_with("# Switchyard configuration converted from webconference.conf by\n"),
            "{text}"
        );
        let config = crate::config::Config::parse(&dir.path().join("switchyard.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(config.rooms.participants_expire_delay_s, 31_536_000);
        assert_eq!(config.rooms.expire_delay_s, 600);
        assert_eq!(config.media.prompts_dir.as_deref(), Some(dir.path()));
        let guest: HashMap<_, _> =
            crate::config::Config::guest_config(&config.guests["webconference"]).collect();
        assert_eq!(
            guest,
            HashMap::from(
                [
                    ("direct_room_re", "^(000777|\\\\+49)"),
                    ("direct_room_strip", "0"),
                    ("master_password", "a \\\"b\\\" \\\\c"),
                    ("ignore_pin", "true"),
                    ("lonely_user_timer", "120"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
            ),
            "expected every value as written"
        );
    }
}
