//! Checking a control function's arguments, with the faults SEMS answers.
//!
//! SEMS's XML-RPC bridge answers fault 300 when a function gets the wrong number
//! or types of arguments; [`Params`] does the same, naming the function, the
//! position, what was expected and the kind of value given, but takes an
//! integer for a string and a decimal string for an integer, which SEMS
//! refuses (see [`Params::string`] and [`Params::int`]).

use crate::control::Fault;
use crate::{Value, fault};

/// The fault code for a wrong argument count or type.
pub const WRONG_ARGUMENTS: i32 = 300;

/// The arguments of one control call.
#[derive(Debug)]
pub struct Params<'a> {
    function: &'a str,
    values: &'a [Value],
}

impl<'a> Params<'a> {
    /// Checks that `function` got between `min` and `max` arguments.
    pub fn new(
        function: &'a str,
        values: &'a [Value],
        min: usize,
        max: usize,
    ) -> Result<Self, Fault> {
        if values.len() < min || values.len() > max {
            let wanted = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(wrong_count(function, &wanted, values.len()));
        }
        Ok(Params { function, values })
    }

    /// Checks that `function` got at least `min` arguments; more are ignored, as SEMS's
    /// functions ignore them.
    pub fn at_least(function: &'a str, values: &'a [Value], min: usize) -> Result<Self, Fault> {
        if values.len() < min {
            return Err(wrong_count(
                function,
                &format!("at least {min}"),
                values.len(),
            ));
        }
        Ok(Params { function, values })
    }

    /// The string at `index`. An integer is taken too, written in decimal,
    /// where SEMS's type checks answer fault 300: every call SEMS takes works
    /// the same, and a client that sends integers is served rather than
    /// refused. The decimal text has no leading zeros: a pin such as
    /// `"004711"` must be sent as a string, and the integer `0123` is `"123"`.
    pub fn string(&self, index: usize) -> Result<String, Fault> {
        match self.values.get(index) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Int(i)) => Ok(i.to_string()),
            other => Err(self.wrong(index, "a string", other)),
        }
    }

    /// The integer at `index`. A decimal string is taken too (whitespace
    /// around it ignored), which SEMS refuses: every call SEMS takes works the
    /// same.
    pub fn int(&self, index: usize) -> Result<i32, Fault> {
        match self.values.get(index) {
            Some(Value::Int(i)) => Ok(*i),
            Some(Value::String(s)) if s.trim().parse::<i32>().is_ok() => {
                Ok(s.trim().parse().expect("checked just above"))
            }
            other => Err(self.wrong(index, "an integer", other)),
        }
    }

    /// Fault 300 for the argument at `index` (from 0) that the function
    /// refuses for `problem`: the message names the function and the
    /// argument, as the type checks' do (`roomCreate: argument 1: …`).
    pub fn refuse(&self, index: usize, problem: &str) -> Fault {
        self.fault_at(index, &format!(": {problem}"))
    }

    // The value's kind, never the value: a client's argument may be
    // megabytes long, and the message is logged and sent back whole.
    fn wrong(&self, index: usize, wanted: &str, got: Option<&Value>) -> Fault {
        let got = got.map_or("nothing", Value::kind);
        self.fault_at(index, &format!(" must be {wanted}, got {got}"))
    }

    /// Fault 300: the function's name, the argument's position and `rest`.
    fn fault_at(&self, index: usize, rest: &str) -> Fault {
        fault(
            WRONG_ARGUMENTS,
            format!("{}: argument {}{rest}", self.function, index + 1),
        )
    }
}

/// Fault 300: `function` wanted `wanted` arguments and got `got`.
fn wrong_count(function: &str, wanted: &str, got: usize) -> Fault {
    fault(
        WRONG_ARGUMENTS,
        format!("{function}: expected {wanted} arguments, got {got}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_arguments() {
        let values = vec![Value::from("1")];
        let err = Params::new("roomInfo", &values, 2, 2).unwrap_err();
        assert_eq!(err.code, 300);
        assert_eq!(err.message, "roomInfo: expected 2 arguments, got 1");
        let err = Params::new("roomCreate", &[], 1, 2).unwrap_err();
        assert_eq!(err.message, "roomCreate: expected 1 to 2 arguments, got 0");
    }

    #[test]
    fn reads_strings_and_ints_leniently() {
        let values = vec![Value::Int(123), Value::from(" 42 "), Value::Bool(true)];
        let p = Params::new("f", &values, 1, 3).unwrap();
        assert_eq!(p.string(0).unwrap(), "123");
        assert_eq!(p.int(1).unwrap(), 42);
        let err = p.string(2).unwrap_err();
        assert_eq!(err.message, "f: argument 3 must be a string, got boolean");
        assert!(p.int(0).is_ok());
    }

    #[test]
    fn a_wrong_argument_is_named_by_its_kind_never_its_value() {
        let values = vec![
            Value::Base64(vec![7; 700 * 1024]),
            Value::Array(vec![Value::from("x".repeat(1024))]),
            Value::from("many"),
        ];
        let p = Params::new("roomInfo", &values, 1, 3).unwrap();
        let err = p.string(0).unwrap_err();
        assert_eq!(err.code, WRONG_ARGUMENTS);
        assert_eq!(
            err.message,
            "roomInfo: argument 1 must be a string, got base64"
        );
        assert_eq!(
            p.int(1).unwrap_err().message,
            "roomInfo: argument 2 must be an integer, got array"
        );
        assert_eq!(
            p.int(2).unwrap_err().message,
            "roomInfo: argument 3 must be an integer, got string"
        );
        assert_eq!(
            p.string(3).unwrap_err().message,
            "roomInfo: argument 4 must be a string, got nothing"
        );
    }

    #[test]
    fn a_refused_argument_is_named_with_its_function() {
        let values = vec![Value::from("."), Value::from("1")];
        let p = Params::new("roomCreate", &values, 1, 2).unwrap();
        let err = p.refuse(0, "no room can be named \".\"");
        assert_eq!(err.code, WRONG_ARGUMENTS);
        assert_eq!(
            err.message,
            "roomCreate: argument 1: no room can be named \".\""
        );
    }
}
