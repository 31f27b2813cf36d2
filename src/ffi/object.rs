//! Exports for one object: attributes, lifecycle, and its operation.

use std::ffi::c_char;

use super::*;
use crate::model::Object;

/// One LXD object of any kind (opaque): an instance, image, profile,
/// network, storage pool, project, certificate or operation. Free with
/// `lxd_obj_free`, except objects borrowed from a list. Calls on one object
/// from several threads are safe; they are serialised.
pub struct lxd_obj {
    pub(crate) obj: Object,
}

impl lxd_obj {
    pub(crate) fn boxed(obj: Object) -> *mut lxd_obj {
        Box::into_raw(Box::new(lxd_obj { obj }))
    }
}

pub(crate) unsafe fn obj_ref<'a>(p: *const lxd_obj) -> Result<&'a Object> {
    unsafe { obj_arg(p, "obj") }
}

/// The object behind a required handle argument named `what`.
pub(crate) unsafe fn obj_arg<'a>(p: *const lxd_obj, what: &str) -> Result<&'a Object> {
    unsafe { arg_ref(p, what) }.map(|o| &o.obj)
}

lxd_export! {
    /// Free an object. NULL is a no-op. Never pass an object borrowed from a list.
    fn lxd_obj_free(obj: *mut lxd_obj) {
        if !obj.is_null() {
            drop(unsafe { Box::from_raw(obj) });
        }
    }
}

lxd_export! {
    /// The kind of an object, or -1 for NULL.
    fn lxd_obj_kind(obj: *const lxd_obj) -> lxd_kind = -1; {
        unsafe { obj.as_ref() }.map_or(-1, |o| o.obj.kind() as lxd_kind)
    }
}

lxd_export! {
    /// Describe a kind, without any request: a JSON object with
    /// - `kind` (the value), `class` (pylxd's class name, as in warnings),
    ///   `c_name` (as in `lxd_<c_name>_get`);
    /// - `parent`: the `lxd_kind` of the objects this kind lives under (an
    ///   instance for `LXD_KIND_INSTANCE_SNAPSHOT`; reached with
    ///   `lxd_child_*`), or null for a top-level kind (`lxd_get`, `lxd_all`…);
    ///   `variant_of`: for the typed instance kinds, `LXD_KIND_INSTANCE`;
    /// - `endpoint`: the collection's path, parents' keys as `{c_name}`
    ///   (`"/1.0/instances/{instance}/snapshots"`); `key`: the attribute that
    ///   names objects (`name`, `fingerprint`, `id`); `key_prefix`: for
    ///   storage volumes `"type"`, whose value comes first in the key
    ///   (`custom/vol1`), else null; `singleton`: true for the kinds with
    ///   one object and no key (the server, `lxd_server_get`; the cluster,
    ///   `lxd_cluster_get`), fetched with `lxd_get(client, kind, "", &obj)`,
    ///   with no list;
    /// - what it supports: `project_scoped`, `creatable`, `savable`
    ///   (`lxd_obj_save`), `patchable` (`lxd_obj_patch`), `renamable`,
    ///   `deletable`; `extension`: the API extension it needs, or null;
    /// - `actions`: for `lxd_obj_action` and friends, each
    ///   `{"name", "method", "on" ("object", "parent" or "collection"),
    ///   "path", "returns" ("nothing", "document", "operation", "bytes" or
    ///   "file"), "args", "doc", "extension"}`;
    /// - `attributes`: every attribute liblxd knows for the kind, in order,
    ///   as `{"name": "config", "writable": true}`.
    ///
    /// Bindings build their kinds, managers, actions and accessors from it;
    /// `LXD_KIND_COUNT` says how many kinds there are.
    ///
    /// @param json_out receives the JSON, to free with `lxd_string_free`.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` for a value that is not an
    ///   `lxd_kind` or a NULL `json_out`.
    fn lxd_kind_info(kind: lxd_kind, json_out: *mut *mut c_char) -> lxd_status {
        let kind = super::client::arg_kind(kind)?;
        let out = unsafe { arg_out(json_out, "json_out") }?;
        *out = c_json(&crate::model::describe_kind(kind));
        Ok(())
    }
}

lxd_export! {
    /// The key of an object (name, fingerprint or id) as a plain string, without
    /// any request. For an image created with `wait` false, the key is known
    /// only once the creation finished: this returns "" until then.
    ///
    /// @param key_out receives a string to free with `lxd_string_free`.
    fn lxd_obj_key(obj: *const lxd_obj, key_out: *mut *mut c_char) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let out = unsafe { arg_out(key_out, "key_out") }?;
        *out = c_string(o.key());
        Ok(())
    }
}

lxd_export! {
    /// Read one attribute as JSON text: a string comes back with its quotes
    /// (`"c1"`), a map as an object. Local changes not yet saved are seen.
    /// An attribute not yet loaded syncs the object first (as pylxd does); an
    /// attribute of the kind's schema that the server did not send reads `null`;
    /// an attribute the server sent beyond the schema stays readable.
    ///
    /// @param json_out receives a string to free with `lxd_string_free`.
    /// @return `LXD_OK`; `LXD_ERR_UNKNOWN_ATTRIBUTE`; `LXD_ERR_INVALID_ARGUMENT`;
    ///   errors of the sync. May block for one request.
    fn lxd_obj_get(
        obj: *mut lxd_obj,
        attr: *const c_char,
        json_out: *mut *mut c_char,
    ) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let attr = unsafe { arg_str(attr, "attr") }?;
        let out = unsafe { arg_out(json_out, "json_out") }?;
        *out = c_json(&o.get_attr(attr)?);
        Ok(())
    }
}

lxd_export! {
    /// Set one writable attribute to the JSON value `json_value` (the whole
    /// value: setting `config` replaces the map, as assigning it does in pylxd).
    /// Marks the object dirty; nothing is sent until `lxd_obj_save`.
    ///
    /// @return `LXD_OK`; `LXD_ERR_UNKNOWN_ATTRIBUTE` (the kind has no such
    ///   attribute); `LXD_ERR_READ_ONLY` (e.g. `name`, `status`);
    ///   `LXD_ERR_INVALID_ARGUMENT` (NULL, JSON that does not parse), checked
    ///   in that order. `lxd_kind_info` lists the attributes and which can be
    ///   set. Does not block.
    fn lxd_obj_set(
        obj: *mut lxd_obj,
        attr: *const c_char,
        json_value: *const c_char,
    ) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let attr = unsafe { arg_str(attr, "attr") }?;
        // The attribute first: its error says more than the value's.
        o.check_writable(attr)?;
        let value = unsafe { arg_json(json_value, "json_value") }?;
        o.set_attr(attr, value)
    }
}

lxd_export! {
    /// Whether the object has local changes not yet saved. False for NULL.
    fn lxd_obj_dirty(obj: *const lxd_obj) -> bool = false; {
        unsafe { obj.as_ref() }.is_some_and(|o| o.obj.dirty())
    }
}

lxd_export! {
    /// Refresh the object from the server, keeping local changes (they still
    /// win when read and are still dirty). Takes the server's ETag.
    fn lxd_obj_sync(obj: *mut lxd_obj) -> lxd_status {
        unsafe { obj_ref(obj) }?.sync()
    }
}

lxd_export! {
    /// Discard local changes and take the server's state. Not dirty afterwards.
    fn lxd_obj_rollback(obj: *mut lxd_obj) -> lxd_status {
        unsafe { obj_ref(obj) }?.rollback()
    }
}

lxd_export! {
    /// Write local changes to the server.
    ///
    /// Nothing dirty: no request at all. Otherwise a `PUT` of the kind's
    /// writable attributes with `If-Match` carrying the ETag of the last sync,
    /// so a change made on the server by someone else since then fails with
    /// `LXD_ERR_PRECONDITION_FAILED` instead of being overwritten. An object
    /// whose ETag is not known (it came from a list, or its last save did not
    /// wait) is re-read first: if any writable attribute on the server differs
    /// from what this object last saw, the save fails with
    /// `LXD_ERR_PRECONDITION_FAILED` (sync or rollback, then save again); else
    /// the fresh ETag guards the `PUT`. (LXD 5.0.2 sends no ETag for storage
    /// pools: for them that comparison is the only guard.)
    ///
    /// @param wait true: return once LXD has applied the change; the next
    ///   attribute read then loads the object as the server holds it (one
    ///   `GET`, made only when something is read; a later save loads it
    ///   first). false: return once accepted (see `lxd_obj_operation`).
    /// @return `LXD_OK`; `LXD_ERR_PRECONDITION_FAILED`; a value LXD rejects gives
    ///   its message with `LXD_ERR_API` where LXD checks it in the request (e.g.
    ///   profiles) or `LXD_ERR_OPERATION_FAILED` where it checks it in the
    ///   background operation (instances); transport errors. On failure the
    ///   object keeps its local changes (still dirty).
    fn lxd_obj_save(obj: *mut lxd_obj, wait: bool) -> lxd_status {
        unsafe { obj_ref(obj) }?.save(wait)
    }
}

lxd_export! {
    /// Delete the object on the server (the handle stays valid and must still
    /// be freed).
    ///
    /// @param wait true: return once deleted. false: see `lxd_obj_operation`.
    /// @return `LXD_OK`; `LXD_ERR_CONFLICT` when LXD refuses because the
    ///   object is still in use (a project that holds objects, a profile,
    ///   network or volume something uses), with LXD's message;
    ///   `LXD_ERR_NOT_FOUND`; `LXD_ERR_INVALID_ARGUMENT` (a kind that cannot
    ///   be deleted); transport/API errors.
    fn lxd_obj_delete(obj: *mut lxd_obj, wait: bool) -> lxd_status {
        unsafe { obj_ref(obj) }?.delete(wait)
    }
}

lxd_export! {
    /// Rename the object: any kind whose `lxd_kind_info` says `renamable`
    /// (instances and their snapshots and backups, profiles, networks,
    /// network ACLs, projects, image aliases, custom storage volumes and
    /// their snapshots and backups, cluster members and groups;
    /// `LXD_ERR_INVALID_ARGUMENT` for the others). The object follows the new name at once; with
    /// `wait` false, wait on `lxd_obj_operation` before using it further.
    fn lxd_obj_rename(
        obj: *mut lxd_obj,
        new_name: *const c_char,
        wait: bool,
    ) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let name = unsafe { arg_str(new_name, "new_name") }?;
        o.rename(name, wait)
    }
}

lxd_export! {
    /// The whole object as one JSON object, local changes included (syncs
    /// first if it was never loaded).
    ///
    /// @param json_out receives a string to free with `lxd_string_free`.
    fn lxd_obj_to_json(
        obj: *mut lxd_obj,
        json_out: *mut *mut c_char,
    ) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let out = unsafe { arg_out(json_out, "json_out") }?;
        *out = c_json(&o.to_json()?);
        Ok(())
    }
}

lxd_export! {
    /// The background operation that this object's last call made with `wait`
    /// false started (create, save, delete, rename, an instance action).
    ///
    /// @param op_out receives a new operation object (`LXD_KIND_OPERATION`) to
    ///   wait on (`lxd_operation_wait`) or cancel (`lxd_operation_cancel`) and
    ///   free with `lxd_obj_free`; or NULL when that call needed no background
    ///   operation (LXD finished it at once) or was made with `wait` true, and
    ///   once the object has finished it itself (an object created with `wait`
    ///   false waits for its creation on first use).
    /// @return `LXD_OK` or `LXD_ERR_INVALID_ARGUMENT`. Does not block.
    fn lxd_obj_operation(
        obj: *const lxd_obj,
        op_out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let out = unsafe { arg_out(op_out, "op_out") }?;
        *out = match o.pending_operation() {
            Some(started) => lxd_obj::boxed(Object::started_operation(o.client(), &started)),
            None => std::ptr::null_mut(),
        };
        Ok(())
    }
}
