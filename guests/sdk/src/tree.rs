//! [`Value`]s to and from the WIT `value-tree`.

use crate::control::{Fault, ValueNode, ValueTree};
use switchyard_value::{Node, Value, flatten, unflatten};

/// The value as a WIT value tree.
pub fn to_tree(value: &Value) -> ValueTree {
    let nodes = flatten(value)
        .into_iter()
        .map(|node| match node {
            Node::Int(i) => ValueNode::Int(i),
            Node::Bool(b) => ValueNode::Boolean(b),
            Node::Double(d) => ValueNode::Double(d),
            Node::String(s) => ValueNode::Text(s),
            Node::Base64(b) => ValueNode::Base64(b),
            Node::DateTime(d) => ValueNode::DateTime(d),
            Node::Array(items) => ValueNode::Array(items),
            Node::Struct(members) => ValueNode::Struct(members),
            Node::Nil => ValueNode::Nil,
        })
        .collect();
    ValueTree { nodes }
}

/// The value a WIT value tree holds; a malformed tree is fault 300.
pub fn from_tree(tree: ValueTree) -> Result<Value, Fault> {
    let nodes: Vec<Node> = tree
        .nodes
        .into_iter()
        .map(|node| match node {
            ValueNode::Int(i) => Node::Int(i),
            ValueNode::Boolean(b) => Node::Bool(b),
            ValueNode::Double(d) => Node::Double(d),
            ValueNode::Text(s) => Node::String(s),
            ValueNode::Base64(b) => Node::Base64(b),
            ValueNode::DateTime(d) => Node::DateTime(d),
            ValueNode::Array(items) => Node::Array(items),
            ValueNode::Struct(members) => Node::Struct(members),
            ValueNode::Nil => Node::Nil,
        })
        .collect();
    unflatten(&nodes).map_err(|e| crate::fault(300, format!("malformed parameters: {e}")))
}
