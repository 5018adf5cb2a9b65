//! The value tree that crosses the WIT boundary: any list of nodes, as a guest (or
//! the host) might send it.
//!
//! `unflatten` takes only well-formed trees, and a tree it takes, flattened and
//! unflattened again, is the same value.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use switchyard_value::{Node, flatten, unflatten};

fuzz_target!(|data: &[u8]| {
    let mut input = Unstructured::new(data);
    let Ok(nodes) = nodes(&mut input) else {
        return;
    };
    if let Ok(value) = unflatten(&nodes) {
        let again = unflatten(&flatten(&value)).expect("a flattened value unflattens");
        assert_eq!(format!("{value:?}"), format!("{again:?}"));
    }
});

fn nodes(input: &mut Unstructured<'_>) -> Result<Vec<Node>> {
    let count = input.int_in_range(0..=64)?;
    (0..count).map(|_| node(input)).collect()
}

fn node(input: &mut Unstructured<'_>) -> Result<Node> {
    Ok(match input.int_in_range(0..=8)? {
        0 => Node::Int(input.arbitrary()?),
        1 => Node::Bool(input.arbitrary()?),
        2 => Node::Double(input.arbitrary()?),
        3 => Node::String(input.arbitrary()?),
        4 => Node::Base64(input.arbitrary()?),
        5 => Node::DateTime(input.arbitrary()?),
        6 => Node::Array(index_list(input)?),
        7 => {
            let count = input.int_in_range(0..=8)?;
            Node::Struct(
                (0..count)
                    .map(|_| Ok((input.arbitrary()?, index(input)?)))
                    .collect::<Result<_>>()?,
            )
        }
        _ => Node::Nil,
    })
}

fn index_list(input: &mut Unstructured<'_>) -> Result<Vec<u32>> {
    let count = input.int_in_range(0..=8)?;
    (0..count).map(|_| index(input)).collect()
}

/// Mostly small indices, which can be valid; now and then any.
fn index(input: &mut Unstructured<'_>) -> Result<u32> {
    if input.ratio(15, 16)? {
        Ok(input.int_in_range(0..=70)?)
    } else {
        input.arbitrary()
    }
}
