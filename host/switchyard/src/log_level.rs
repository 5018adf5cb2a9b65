//! The process's log filter, changed while it runs: SEMS's log levels 0 to 4
//! over tracing's levels.

use std::fmt;
use tracing_subscriber::filter::{LevelFilter, ParseError};
use tracing_subscriber::{EnvFilter, Registry, reload};

/// SEMS's log levels by number: 0 error, 1 warn, 2 info, 3 debug, 4 trace.
pub const LEVELS: [LevelFilter; 5] = [
    LevelFilter::ERROR,
    LevelFilter::WARN,
    LevelFilter::INFO,
    LevelFilter::DEBUG,
    LevelFilter::TRACE,
];

/// Why a text is not a log filter.
#[derive(Debug)]
pub enum FilterError {
    /// It holds no directive (empty, blanks, commas): as a filter it would let
    /// nothing through, start-up errors included.
    Empty,
    /// A directive does not parse.
    Invalid(ParseError),
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::Empty => f.write_str("it holds no directive; give one, such as \"info\""),
            FilterError::Invalid(e) => e.fmt(f),
        }
    }
}

/// Parses a filter in `RUST_LOG`'s syntax (`info,switchyard=debug`); a text
/// with no directive is [`FilterError::Empty`] (`"off"` is the filter that
/// lets nothing through).
///
/// Each directive is trimmed before tracing-subscriber sees it: it walks a
/// directive's trimmed text but slices the untrimmed one at those offsets, and
/// panics when leading whitespace shifts a slice into a multi-byte character.
pub fn parse_filter(spec: &str) -> Result<EnvFilter, FilterError> {
    let directives: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .collect();
    if directives.is_empty() {
        return Err(FilterError::Empty);
    }
    EnvFilter::try_new(directives.join(",")).map_err(FilterError::Invalid)
}

/// A handle on the live log filter (a `reload` layer over the registry).
#[derive(Clone)]
pub struct LogLevel(reload::Handle<EnvFilter, Registry>);

impl LogLevel {
    /// Wraps the handle of the reloadable filter layer.
    pub fn new(handle: reload::Handle<EnvFilter, Registry>) -> LogLevel {
        LogLevel(handle)
    }

    /// The most verbose level the filter lets through for any target, as
    /// SEMS numbers it (a filter that lets nothing through reads as 0).
    pub fn get(&self) -> Result<i32, reload::Error> {
        let most = self
            .0
            .with_current(|filter| filter.max_level_hint())?
            .unwrap_or(LevelFilter::TRACE);
        let number = LEVELS.iter().position(|level| *level == most).unwrap_or(0);
        Ok(number as i32)
    }

    /// Sets every target to the level `number` (0–4), replacing the filter;
    /// `None` if there is no such level.
    pub fn set(&self, number: i32) -> Option<Result<LevelFilter, reload::Error>> {
        let level = *LEVELS.get(usize::try_from(number).ok()?)?;
        let filter = EnvFilter::default().add_directive(level.into());
        Some(self.replace(filter).map(|()| level))
    }

    /// Replaces the filter with `filter` (such as [`parse_filter`] made of `log.level`).
    pub fn replace(&self, filter: EnvFilter) -> Result<(), reload::Error> {
        self.0.reload(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reloadable filter of `spec` and its handle. A reload rebuilds tracing's
    /// process-wide interest in each place that logs, so the other tests' log
    /// capture is installed first for the rebuild to ask it.
    fn live_filter(spec: &str) -> (reload::Layer<EnvFilter, Registry>, LogLevel) {
        crate::test_log::install();
        let (layer, handle) = reload::Layer::new(EnvFilter::new(spec));
        (layer, LogLevel::new(handle))
    }

    #[test]
    fn levels_round_trip_and_out_of_range_ones_are_refused() {
        let (layer, log) = live_filter("info,switchyard=debug");
        // The most verbose directive counts.
        assert_eq!(log.get().unwrap(), 3);
        for number in 0..5 {
            assert_eq!(log.set(number).unwrap().unwrap(), LEVELS[number as usize]);
            assert_eq!(log.get().unwrap(), number);
        }
        assert!(log.set(5).is_none());
        assert!(log.set(-1).is_none());
        assert_eq!(log.get().unwrap(), 4);
        drop(layer);
        assert!(log.get().is_err());
    }

    #[test]
    fn directives_with_leading_whitespace_parse_or_are_refused_without_a_panic() {
        let filter = parse_filter(" warn , switchyard=debug").unwrap();
        assert_eq!(filter.max_level_hint(), Some(LevelFilter::DEBUG));
        // Found by the config fuzz target: a space, then a target with a multi-byte
        // character and a span; tracing-subscriber alone panics on it.
        let spec = "info, a\u{FFFD}[x]";
        assert!(std::panic::catch_unwind(|| EnvFilter::try_new(spec)).is_err());
        assert!(parse_filter(spec).is_ok());
        assert!(parse_filter(" sSSSSSSSS\u{FFFD}[[SS").is_err());
    }

    #[test]
    fn a_text_without_directives_is_refused_as_empty() {
        for spec in ["", "  ", "\t", ",", " , ,"] {
            let refused = parse_filter(spec).unwrap_err();
            assert!(matches!(refused, FilterError::Empty), "{spec:?}: {refused}");
            assert!(refused.to_string().contains("no directive"), "{refused}");
        }
        let filter = parse_filter("warn,,").unwrap();
        assert_eq!(filter.max_level_hint(), Some(LevelFilter::WARN));
        let off = parse_filter("off").unwrap();
        assert_eq!(off.max_level_hint(), Some(LevelFilter::OFF));
    }

    #[test]
    fn a_replaced_filter_is_the_one_read() {
        let (_layer, log) = live_filter("info");
        log.replace(parse_filter("warn,switchyard=trace").unwrap())
            .unwrap();
        assert_eq!(log.get().unwrap(), 4);
        log.replace(parse_filter("error").unwrap()).unwrap();
        assert_eq!(log.get().unwrap(), 0);
    }

    #[test]
    fn a_filter_that_lets_nothing_through_reads_as_zero() {
        let (_layer, log) = live_filter("off");
        assert_eq!(log.get().unwrap(), 0);
    }
}
