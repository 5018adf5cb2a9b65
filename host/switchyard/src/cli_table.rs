//! Structs shown as aligned columns under a header, for the command line.

use crate::cli_output::literal;
use switchyard_control::Value;

/// `rows` (structs) as aligned columns, one per `(title, member)`; text is
/// shown with its control characters escaped ([`literal`]).
pub fn table(columns: &[(&str, &str)], rows: &[Value]) -> String {
    let rows: Vec<Vec<String>> = std::iter::once(
        columns
            .iter()
            .map(|(title, _)| (*title).to_owned())
            .collect(),
    )
    .chain(rows.iter().map(|row| {
        columns
            .iter()
            .map(|(_, member)| cell(row, member))
            .collect()
    }))
    .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// One member of a struct as text ("?" when it has none), its control
/// characters escaped ([`literal`]).
fn cell(row: &Value, member: &str) -> String {
    let Value::Struct(members) = row else {
        return "?".into();
    };
    match members.iter().find(|(name, _)| name == member) {
        Some((_, Value::String(text) | Value::DateTime(text))) => literal(text, false),
        Some((_, Value::Int(n))) => n.to_string(),
        Some((_, Value::Bool(b))) => if *b { "yes" } else { "no" }.to_owned(),
        Some((_, Value::Double(d))) => d.to_string(),
        _ => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callers_escape_sequence_is_shown_not_run() {
        let row = Value::Struct(vec![(
            "number".into(),
            Value::String("\u{1b}[2Jalice".into()),
        )]);
        let shown = table(&[("NUMBER", "number")], &[row]);
        assert_eq!(shown, "NUMBER\n\\u{1b}[2Jalice\n");
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
    }
}
