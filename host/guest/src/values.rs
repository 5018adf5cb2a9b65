//! [`Value`]s to and from the WIT `value-tree` of every supported version (the
//! tree logic is in `switchyard-value`).

use crate::bindings::control as current;
use crate::bindings::v0_1::exports::switchyard::call::control as v0_1;
use crate::bindings::v0_2::exports::switchyard::call::control as v0_2;
use crate::bindings::v0_3::exports::switchyard::call::control as v0_3;
use switchyard_value::{Node, TreeError, Value, flatten, unflatten};

/// A version's `value-tree` type.
pub(crate) trait ValueTree: Sized {
    /// The tree of these nodes.
    fn from_nodes(nodes: Vec<Node>) -> Self;
    /// The tree's nodes.
    fn nodes(&self) -> Vec<Node>;
}

/// Implements [`ValueTree`] for the `control` bindings module `$control`.
macro_rules! value_tree {
    ($control:ident) => {
        impl ValueTree for $control::ValueTree {
            fn from_nodes(nodes: Vec<Node>) -> Self {
                use $control::ValueNode as N;
                let nodes = nodes
                    .into_iter()
                    .map(|node| match node {
                        Node::Int(i) => N::Int(i),
                        Node::Bool(b) => N::Boolean(b),
                        Node::Double(d) => N::Double(d),
                        Node::String(s) => N::Text(s),
                        Node::Base64(b) => N::Base64(b),
                        Node::DateTime(d) => N::DateTime(d),
                        Node::Array(items) => N::Array(items),
                        Node::Struct(members) => N::Struct(members),
                        Node::Nil => N::Nil,
                    })
                    .collect();
                $control::ValueTree { nodes }
            }

            fn nodes(&self) -> Vec<Node> {
                use $control::ValueNode as N;
                self.nodes
                    .iter()
                    .map(|node| match node {
                        N::Int(i) => Node::Int(*i),
                        N::Boolean(b) => Node::Bool(*b),
                        N::Double(d) => Node::Double(*d),
                        N::Text(s) => Node::String(s.clone()),
                        N::Base64(b) => Node::Base64(b.clone()),
                        N::DateTime(d) => Node::DateTime(d.clone()),
                        N::Array(items) => Node::Array(items.clone()),
                        N::Struct(members) => Node::Struct(members.clone()),
                        N::Nil => Node::Nil,
                    })
                    .collect()
            }
        }
    };
}

value_tree!(current);
value_tree!(v0_1);
value_tree!(v0_2);
value_tree!(v0_3);

/// The value as a WIT value tree.
pub(crate) fn to_tree<T: ValueTree>(value: &Value) -> T {
    T::from_nodes(flatten(value))
}

/// The value a WIT value tree holds.
pub(crate) fn from_tree<T: ValueTree>(tree: &T) -> Result<Value, TreeError> {
    unflatten(&tree.nodes())
}
