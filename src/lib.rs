//! liblxd: a client for the LXD REST API with a C ABI.
//!
//! The safe core (`transport`, `client`, `kinds`, `model`, `unknown_attrs`) is
//! ordinary Rust; `ffi` is the thin C layer over it.

pub mod client;
pub mod deadline;
pub mod error;
pub mod events;
pub mod exec;
pub mod ffi;
pub mod files;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
pub mod images;
pub mod kinds;
pub mod migration;
pub mod model;
pub mod sftp;
pub mod transport;
pub mod trust;
pub mod unknown_attrs;
pub mod upgrade;
pub mod ws;

pub use client::{Client, Options};
pub use error::{Error, ErrorKind, Result};
pub use kinds::Kind;
pub use model::Object;
