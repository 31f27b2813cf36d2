//! Status codes: the constants, their names and the mapping from the
//! core's `ErrorKind`, all generated from `status_table.rs`.

use std::ffi::c_char;

use crate::error::ErrorKind;

/// Result of every fallible call: `LXD_OK` (0) or one of the `LXD_ERR_*`
/// codes. The values are fixed and never renumbered.
pub type lxd_status = i32;

include!(concat!(env!("OUT_DIR"), "/status_gen.rs"));

lxd_export! {
    /// The name of a status code (`"LXD_ERR_NOT_FOUND"`), or `"LXD_ERR_UNKNOWN_STATUS"`
    /// for a value that is not one. Static storage; never NULL; never fails.
    fn lxd_status_name(status: lxd_status) -> *const c_char = c"LXD_ERR_UNKNOWN_STATUS".as_ptr(); {
        usize::try_from(status)
            .ok()
            .and_then(|i| STATUS_NAMES.get(i))
            .copied()
            .unwrap_or(c"LXD_ERR_UNKNOWN_STATUS")
            .as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    use crate::ffi::status_table as table;

    #[test]
    fn every_status_has_its_name_and_its_kind() {
        let name = |s| {
            unsafe { CStr::from_ptr(lxd_status_name(s)) }
                .to_str()
                .unwrap()
        };
        for (i, (n, _, _)) in table::STATUSES.iter().enumerate() {
            assert_eq!(name(i as lxd_status), *n);
        }
        for (code, kind) in STATUS_KINDS {
            assert_eq!(status_of(*kind), *code, "{kind:?}");
        }
        assert_eq!(STATUS_KINDS.len() + 1, table::STATUSES.len());
        assert_eq!(
            name(LXD_ERR_PRECONDITION_FAILED),
            "LXD_ERR_PRECONDITION_FAILED"
        );
        assert_eq!(name(-3), "LXD_ERR_UNKNOWN_STATUS");
        assert_eq!(
            name(table::STATUSES.len() as lxd_status),
            "LXD_ERR_UNKNOWN_STATUS"
        );
    }
}
