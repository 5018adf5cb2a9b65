//! XML-RPC-style values and the flattened tree they travel in across the WIT boundary.
//!
//! WIT types cannot be recursive, so `switchyard:call/control` carries a value as a
//! list of [`Node`]s: `nodes[0]` is the root, and arrays and structs name their
//! members by index into the same list. [`flatten`] writes a tree in pre-order, so
//! every member's index is greater than its parent's; [`unflatten`] insists on that
//! and on every node being used exactly once, which rules out cycles and shared
//! subtrees and bounds the work by the length of the list.
//!
//! Both the host and the guest SDK map their generated WIT node type one-to-one
//! onto [`Node`] and use this crate for the tree logic.

use thiserror::Error;

mod value;

pub use value::Value;

/// One node of a flattened value: scalars carry their value, containers the
/// indices of their members.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// See [`Value::Int`].
    Int(i32),
    /// See [`Value::Bool`].
    Bool(bool),
    /// See [`Value::Double`].
    Double(f64),
    /// See [`Value::String`].
    String(String),
    /// See [`Value::Base64`].
    Base64(Vec<u8>),
    /// See [`Value::DateTime`].
    DateTime(String),
    /// Indices of the members.
    Array(Vec<u32>),
    /// Member names and the indices of their values.
    Struct(Vec<(String, u32)>),
    /// See [`Value::Nil`].
    Nil,
}

/// Why a list of nodes is not a well-formed value tree.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TreeError {
    /// The list has no root.
    #[error("the value tree is empty")]
    Empty,
    /// A member index points outside the list.
    #[error("node {parent} refers to node {child}, which does not exist")]
    OutOfRange {
        /// The container's index.
        parent: usize,
        /// The index it refers to.
        child: u32,
    },
    /// A member index does not come after its container (pre-order is required).
    #[error("node {parent} refers to node {child}, which does not come after it")]
    NotPreOrder {
        /// The container's index.
        parent: usize,
        /// The index it refers to.
        child: u32,
    },
    /// A node is a member of more than one container, or of none.
    #[error("node {0} is used {1} times; every node but the root must be used exactly once")]
    NotATree(usize, usize),
    /// An array or struct nests more than [`MAX_DEPTH`] deep.
    #[error("node {0} nests arrays and structs more than {MAX_DEPTH} deep")]
    TooDeep(usize),
}

/// The most arrays and structs a value may nest (the root counts as one). XML-RPC
/// requests are held to it as they are parsed, and a tree is held to it as it is
/// rebuilt: a value nested without bound would cost its recursive handling (rebuilding,
/// encoding, dropping) all of its thread's stack.
pub const MAX_DEPTH: usize = 64;

/// Writes `value` as a pre-order list of nodes, root first.
pub fn flatten(value: &Value) -> Vec<Node> {
    let mut nodes = Vec::new();
    push(value, &mut nodes);
    nodes
}

fn push(value: &Value, nodes: &mut Vec<Node>) -> u32 {
    let index = nodes.len();
    let node = match value {
        Value::Int(i) => Node::Int(*i),
        Value::Bool(b) => Node::Bool(*b),
        Value::Double(d) => Node::Double(*d),
        Value::String(s) => Node::String(s.clone()),
        Value::Base64(b) => Node::Base64(b.clone()),
        Value::DateTime(d) => Node::DateTime(d.clone()),
        Value::Nil => Node::Nil,
        Value::Array(items) => {
            nodes.push(Node::Array(Vec::new()));
            let members = items.iter().map(|item| push(item, nodes)).collect();
            nodes[index] = Node::Array(members);
            return as_index(index);
        }
        Value::Struct(members) => {
            nodes.push(Node::Struct(Vec::new()));
            let members = members
                .iter()
                .map(|(name, member)| (name.clone(), push(member, nodes)))
                .collect();
            nodes[index] = Node::Struct(members);
            return as_index(index);
        }
    };
    nodes.push(node);
    as_index(index)
}

fn as_index(index: usize) -> u32 {
    u32::try_from(index).expect("a value tree has fewer than 2^32 nodes")
}

/// Rebuilds the value whose root is `nodes[0]`.
///
/// Fails unless the list is a tree in pre-order: every member index points
/// after its container and inside the list, and every node but the root is a
/// member exactly once.
pub fn unflatten(nodes: &[Node]) -> Result<Value, TreeError> {
    if nodes.is_empty() {
        return Err(TreeError::Empty);
    }
    let mut uses = vec![0usize; nodes.len()];
    // Containers above each node, itself included; final for a parent before its members
    // are reached, as they come after it.
    let mut depth = vec![1usize; nodes.len()];
    for (parent, node) in nodes.iter().enumerate() {
        if is_container(node) && depth[parent] > MAX_DEPTH {
            return Err(TreeError::TooDeep(parent));
        }
        for child in members(node) {
            let slot = uses
                .get_mut(child as usize)
                .ok_or(TreeError::OutOfRange { parent, child })?;
            if child as usize <= parent {
                return Err(TreeError::NotPreOrder { parent, child });
            }
            *slot += 1;
            depth[child as usize] = depth[parent] + 1;
        }
    }
    if let Some((index, &count)) = uses.iter().enumerate().skip(1).find(|(_, n)| **n != 1) {
        return Err(TreeError::NotATree(index, count));
    }
    Ok(build(nodes, 0))
}

fn is_container(node: &Node) -> bool {
    matches!(node, Node::Array(_) | Node::Struct(_))
}

fn members(node: &Node) -> Vec<u32> {
    match node {
        Node::Array(items) => items.clone(),
        Node::Struct(members) => members.iter().map(|(_, i)| *i).collect(),
        _ => Vec::new(),
    }
}

// Only called on lists `unflatten` has checked, so indices are in range and the
// recursion ends.
fn build(nodes: &[Node], index: usize) -> Value {
    match &nodes[index] {
        Node::Int(i) => Value::Int(*i),
        Node::Bool(b) => Value::Bool(*b),
        Node::Double(d) => Value::Double(*d),
        Node::String(s) => Value::String(s.clone()),
        Node::Base64(b) => Value::Base64(b.clone()),
        Node::DateTime(d) => Value::DateTime(d.clone()),
        Node::Nil => Value::Nil,
        Node::Array(items) => {
            Value::Array(items.iter().map(|&i| build(nodes, i as usize)).collect())
        }
        Node::Struct(members) => Value::Struct(
            members
                .iter()
                .map(|(name, i)| (name.clone(), build(nodes, *i as usize)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        Value::Array(vec![
            Value::Int(0),
            "OK".into(),
            Value::Array(vec![Value::Array(vec![
                "c1".into(),
                "alice".into(),
                Value::Int(3),
                "direct access: entered".into(),
                Value::Int(0),
                "".into(),
            ])]),
            Value::Struct(vec![
                ("b".into(), Value::Bool(true)),
                ("d".into(), Value::Double(1.5)),
                ("x".into(), Value::Base64(vec![0, 255])),
                ("t".into(), Value::DateTime("20261122T10:00:00".into())),
                ("n".into(), Value::Nil),
            ]),
        ])
    }

    /// `levels` arrays, each holding the next, the innermost empty.
    fn nested(levels: usize) -> Vec<Node> {
        (0..levels)
            .map(|level| {
                if level + 1 < levels {
                    Node::Array(vec![level as u32 + 1])
                } else {
                    Node::Array(Vec::new())
                }
            })
            .collect()
    }

    #[test]
    fn trees_nest_at_most_max_depth_deep() {
        assert!(unflatten(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(
            unflatten(&nested(MAX_DEPTH + 1)),
            Err(TreeError::TooDeep(MAX_DEPTH))
        );
        // Deep enough to overflow a recursive rebuild's stack.
        assert_eq!(
            unflatten(&nested(1_000_000)),
            Err(TreeError::TooDeep(MAX_DEPTH))
        );
    }

    #[test]
    fn round_trips_nested_values() {
        let value = sample();
        let nodes = flatten(&value);
        assert_eq!(nodes.len(), 17);
        assert_eq!(unflatten(&nodes), Ok(value));
    }

    #[test]
    fn flattens_in_pre_order() {
        let nodes = flatten(&sample());
        assert_eq!(nodes[0], Node::Array(vec![1, 2, 3, 11]));
        assert_eq!(nodes[3], Node::Array(vec![4]));
    }

    #[test]
    fn rejects_an_empty_list() {
        assert_eq!(unflatten(&[]), Err(TreeError::Empty));
    }

    #[test]
    fn rejects_out_of_range_members() {
        let nodes = [Node::Array(vec![1, 7]), Node::Nil];
        assert_eq!(
            unflatten(&nodes),
            Err(TreeError::OutOfRange {
                parent: 0,
                child: 7
            })
        );
    }

    #[test]
    fn rejects_cycles() {
        let nodes = [Node::Array(vec![1]), Node::Array(vec![0])];
        assert_eq!(
            unflatten(&nodes),
            Err(TreeError::NotPreOrder {
                parent: 1,
                child: 0
            })
        );
        let self_loop = [Node::Array(vec![0])];
        assert_eq!(
            unflatten(&self_loop),
            Err(TreeError::NotPreOrder {
                parent: 0,
                child: 0
            })
        );
    }

    #[test]
    fn rejects_shared_and_orphan_nodes() {
        let shared = [Node::Array(vec![1, 1]), Node::Nil];
        assert_eq!(unflatten(&shared), Err(TreeError::NotATree(1, 2)));
        let orphan = [Node::Int(1), Node::Nil];
        assert_eq!(unflatten(&orphan), Err(TreeError::NotATree(1, 0)));
    }
}
