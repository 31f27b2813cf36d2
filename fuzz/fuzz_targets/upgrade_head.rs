#![no_main]
//! See `lxd::fuzzing::upgrade_head` (src/fuzzing.rs) for what the input is.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lxd::fuzzing::upgrade_head(data));
