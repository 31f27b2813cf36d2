//! Exports for lists of objects.

use super::*;

/// A list of objects (opaque), from `lxd_all` or a typed `_all`. Free with `lxd_list_free`.
pub struct lxd_list {
    pub(crate) items: Vec<lxd_obj>,
}

lxd_export! {
    /// The number of objects in a list (0 for NULL).
    fn lxd_list_len(list: *const lxd_list) -> usize = 0; {
        unsafe { list.as_ref() }.map_or(0, |l| l.items.len())
    }
}

lxd_export! {
    /// The object at index `i`, borrowed: valid until `lxd_list_free`, and not
    /// to be passed to `lxd_obj_free`. NULL when `list` is NULL or `i` is out of range.
    fn lxd_list_get(list: *const lxd_list, i: usize) -> *mut lxd_obj = std::ptr::null_mut(); {
        unsafe { list.as_ref() }
            .and_then(|l| l.items.get(i))
            .map_or(std::ptr::null_mut(), |o| {
                o as *const lxd_obj as *mut lxd_obj
            })
    }
}

lxd_export! {
    /// Free a list and every object in it. NULL is a no-op.
    fn lxd_list_free(list: *mut lxd_list) {
        if !list.is_null() {
            drop(unsafe { Box::from_raw(list) });
        }
    }
}
