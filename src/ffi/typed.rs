//! Typed wrappers (`lxd_container_get`, `lxd_profile_create`, …), generated
//! by build.rs from the kind table so that they cannot drift from it.

use std::ffi::c_char;

use super::*;

include!(concat!(env!("OUT_DIR"), "/typed_ffi.rs"));
