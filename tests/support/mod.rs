//! The harness of the end-to-end tests: the real `switchyard` binary on free
//! loopback ports, and a small SIP/RTP test phone written independently of the
//! host's SIP stack.
//!
//! Each test binary uses part of this module.
#![allow(dead_code)]

pub mod audio;
pub mod impair;
pub mod load;
pub mod nway;
pub mod phone;
pub mod ports;
pub mod prometheus;
pub mod raw_peer;
pub mod rest;
pub mod server;
pub mod sip_stream;
pub mod sipp;
pub mod softphone;
pub mod tools;
pub mod webconference;
pub mod xmlrpc;
