//! Exports for objects that live under another object (an instance's
//! snapshots and backups): the managers of `client.rs`, with a parent
//! object instead of a client.

use std::ffi::c_char;

use super::*;

lxd_export! {
    /// Fetch the object of child `kind` named `key` under `parent` (for
    /// `LXD_KIND_INSTANCE_SNAPSHOT`, an instance's snapshot), fully loaded
    /// and with its ETag. `lxd_kind_info` tells each kind's parent kind.
    /// @param parent an object of the kind's parent kind (or of a typed
    ///   variant of it: a container for an instance's children).
    /// @param out receives the object; free with `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_NOT_FOUND`; `LXD_ERR_INVALID_ARGUMENT`
    ///   (NULL, a kind that has no parent, or a parent of another kind);
    ///   `LXD_ERR_EXTENSION_MISSING`; transport/API errors.
    fn lxd_child_get(
        parent: *const lxd_obj,
        kind: lxd_kind,
        key: *const c_char,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let p = unsafe { obj_arg(parent, "parent") }?;
        let kind = arg_kind(kind)?;
        let key = unsafe { arg_str(key, "key") }?;
        let out = unsafe { arg_out(out, "out") }?;
        *out = lxd_obj::boxed(p.child_get(kind, key)?);
        Ok(())
    }

    /// Whether `parent` has a child of `kind` named `key` (a 404 is `false`).
    fn lxd_child_exists(
        parent: *const lxd_obj,
        kind: lxd_kind,
        key: *const c_char,
        out: *mut bool,
    ) -> lxd_status {
        let p = unsafe { obj_arg(parent, "parent") }?;
        let kind = arg_kind(kind)?;
        let key = unsafe { arg_str(key, "key") }?;
        let out = unsafe { arg_out(out, "out") }?;
        *out = p.child_exists(kind, key)?;
        Ok(())
    }

    /// All children of `kind` under `parent`, fully loaded, in one request.
    /// @param out receives the list; free with `lxd_list_free`.
    fn lxd_child_all(parent: *const lxd_obj, kind: lxd_kind, out: *mut *mut lxd_list) -> lxd_status {
        let p = unsafe { obj_arg(parent, "parent") }?;
        let kind = arg_kind(kind)?;
        let out = unsafe { arg_out(out, "out") }?;
        let items = p
            .child_all(kind)?
            .into_iter()
            .map(|obj| lxd_obj { obj })
            .collect();
        *out = Box::into_raw(Box::new(lxd_list { items }));
        Ok(())
    }

    /// Create a child of `kind` under `parent` from `definition_json`, the
    /// body of LXD's `POST` for it: a snapshot `{"name": "s0", "stateful":
    /// false, "expires_at": "2030-01-01T00:00:00Z"}`; a backup `{"name":
    /// "b0", "expires_at": …, "instance_only": true, "optimized_storage":
    /// false, "compression_algorithm": "gzip"}`. Without a name LXD picks
    /// one (`snap0`, `backup0`), which the object learns once created.
    /// @param wait as `lxd_create`.
    /// @param out receives the object; free with `lxd_obj_free`.
    fn lxd_child_create(
        parent: *const lxd_obj,
        kind: lxd_kind,
        definition_json: *const c_char,
        wait: bool,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let p = unsafe { obj_arg(parent, "parent") }?;
        let kind = arg_kind(kind)?;
        let def = unsafe { arg_json(definition_json, "definition_json") }?;
        let out = unsafe { arg_out(out, "out") }?;
        *out = lxd_obj::boxed(p.child_create(kind, &def, wait)?);
        Ok(())
    }
}
