//! Exports for what objects do beyond attributes and the lifecycle:
//! actions by name (the kind table lists them), partial updates, the
//! typed instance actions kept for the ABI, operations, and backup import.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::*;
use crate::kinds::Kind;
use crate::model::Object;

lxd_export! {
    /// Run action `name` of `obj`'s kind: what an object does beyond its
    /// attributes and lifecycle (`lxd_kind_info` lists each kind's actions
    /// with their arguments; the generated `lxd_<kind>_<action>` functions
    /// call this). For actions that return nothing, a JSON document, or a
    /// background operation; see `lxd_obj_action_bytes` and
    /// `lxd_obj_action_to_file` for the others.
    ///
    /// Instances: `start`, `stop`, `restart`, `freeze`, `unfreeze` (args
    /// `timeout`, `force`, `stateful`; the object is synced after a waited
    /// one), `state` (the runtime state), `logs` (the log files' names),
    /// `delete_log` (`name`), `clear_console_log`, `metadata`,
    /// `set_metadata` and `patch_metadata` (the args are the document),
    /// `templates`, `put_template` (`path`, `content`), `delete_template`
    /// (`path`). Snapshots: `restore` (the instance goes back to the
    /// snapshot's files and configuration).
    ///
    /// @param args_json NULL, or a JSON object of arguments.
    /// @param wait for an action that starts a background operation: true
    ///   waits for it to end (bounded as every wait is); false returns once
    ///   LXD accepted it, and `lxd_obj_operation` then gives it.
    /// @param result_json NULL when the result is not wanted; else
    ///   receives, to free with `lxd_string_free`: `null`, the document,
    ///   or the operation (final when waited for, as it started otherwise).
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (no such action for the
    ///   kind, missing or bad arguments, or an action of another entry
    ///   point); `LXD_ERR_EXTENSION_MISSING` before any request when the
    ///   server lacks the kind's or action's API extension; LXD's errors
    ///   (`LXD_ERR_OPERATION_FAILED` for a failed operation).
    fn lxd_obj_action(
        obj: *const lxd_obj,
        name: *const c_char,
        args_json: *const c_char,
        wait: bool,
        result_json: *mut *mut c_char,
    ) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let name = unsafe { arg_str(name, "name") }?;
        let args = unsafe { arg_opt_json(args_json, "args_json") }?;
        let out = unsafe { result_json.as_mut() };
        let result = o.action(name, args.as_ref(), wait)?;
        if let Some(out) = out {
            *out = c_json(&result);
        }
        Ok(())
    }

    /// Run action `name` that returns bytes: an instance's `log` (`name`),
    /// `console_log`, `template` (`path`).
    /// @param data receives the bytes followed by a NUL that is not
    ///   counted; free with `lxd_bytes_free`.
    /// @param len receives the number of bytes.
    /// @return as `lxd_obj_action`; a response over the client's
    ///   `max_response_bytes` is `LXD_ERR_RESPONSE_TOO_LARGE`.
    fn lxd_obj_action_bytes(
        obj: *const lxd_obj,
        name: *const c_char,
        args_json: *const c_char,
        data: *mut *mut u8,
        len: *mut usize,
    ) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let name = unsafe { arg_str(name, "name") }?;
        let args = unsafe { arg_opt_json(args_json, "args_json") }?;
        let data = unsafe { arg_out(data, "data") }?;
        let len = unsafe { arg_out(len, "len") }?;
        let bytes = o.action_bytes(name, args.as_ref())?;
        let (ptr, n) = bytes_to_c(bytes)?;
        *data = ptr;
        *len = n;
        Ok(())
    }

    /// Run action `name` that returns a file, streaming it to `local_path`
    /// (replaced if it exists; removed again if the transfer fails):
    /// a backup's `export`. Memory stays flat whatever the size.
    /// @param progress NULL, or called with the bytes done and in all as
    ///   data arrives, on the calling thread; non-zero stops the transfer
    ///   (`LXD_ERR_CANCELLED`).
    fn lxd_obj_action_to_file(
        obj: *const lxd_obj,
        name: *const c_char,
        args_json: *const c_char,
        local_path: *const c_char,
        progress: lxd_progress_cb,
        user_data: *mut c_void,
    ) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let name = unsafe { arg_str(name, "name") }?;
        let args = unsafe { arg_opt_json(args_json, "args_json") }?;
        let local = unsafe { arg_path(local_path, "local_path") }?;
        let mut cb = unsafe { progress_fn(progress, user_data) };
        o.action_to_file(name, args.as_ref(), local, cb.as_mut().map(|f| f as _))
    }

    /// Run action `name` of the whole collection of a top-level `kind`:
    /// instances' `set_state_all` (`{"state": {"action": "stop", "timeout":
    /// 30, "force": false}}`: every instance of the project at once).
    /// @return as `lxd_obj_action`.
    fn lxd_collection_action(
        client: *const lxd_client,
        kind: lxd_kind,
        name: *const c_char,
        args_json: *const c_char,
        wait: bool,
        result_json: *mut *mut c_char,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let kind = arg_kind(kind)?;
        let name = unsafe { arg_str(name, "name") }?;
        let args = unsafe { arg_opt_json(args_json, "args_json") }?;
        let out = unsafe { result_json.as_mut() };
        let result = Object::collection_action(&c.client, kind, &[], name, args.as_ref(), wait)?;
        if let Some(out) = out {
            *out = c_json(&result);
        }
        Ok(())
    }

    /// Change part of an object on the server with LXD's PATCH: only the
    /// fields in `patch_json` change (maps such as `config` are merged key
    /// by key by LXD: a key set to `""` is removed), everything else stays
    /// as it is on the server. Guarded by the ETag of the last sync when
    /// there is one. LXD 5.0.2's PATCH of an instance, a network or a
    /// storage pool clears the description unless the patch names it: for
    /// those the description is read from the server and sent along, so it
    /// too stays as it is. Local changes not yet saved stay local (and
    /// dirty).
    /// With `wait` the object is synced afterwards; without, its next
    /// attribute read syncs it.
    /// @return `LXD_OK`; `LXD_ERR_UNKNOWN_ATTRIBUTE` or
    ///   `LXD_ERR_READ_ONLY` for a field that cannot be set;
    ///   `LXD_ERR_INVALID_ARGUMENT` (not a JSON object, or a kind without
    ///   PATCH); `LXD_ERR_PRECONDITION_FAILED` (changed on the server since
    ///   the last sync); LXD's errors.
    fn lxd_obj_patch(obj: *const lxd_obj, patch_json: *const c_char, wait: bool) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        let patch = unsafe { arg_json(patch_json, "patch_json") }?;
        o.patch(&patch, wait)
    }
}

/// A typed instance state change, as `lxd_obj_action`.
unsafe fn state_change(
    obj: *const lxd_obj,
    name: &str,
    timeout_s: i32,
    force: bool,
    wait: bool,
) -> Result<()> {
    let o = unsafe { obj_ref(obj) }?;
    o.require(Kind::Instance)?;
    let args = serde_json::json!({"timeout": timeout_s, "force": force});
    o.action(name, Some(&args), wait).map(|_| ())
}

lxd_export! {
    /// Start an instance. `timeout_s` and `force` are passed to LXD (-1: LXD's default).
    /// With `wait` the call returns when the instance runs, and the object is synced
    /// (keeping local changes); without, see `lxd_obj_operation`. The
    /// action `start` of `lxd_obj_action`.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (not an instance);
    ///   `LXD_ERR_OPERATION_FAILED` (e.g. already running), API errors.
    fn lxd_instance_start(obj: *mut lxd_obj, timeout_s: i32, force: bool, wait: bool) -> lxd_status {
        unsafe { state_change(obj, "start", timeout_s, force, wait) }
    }

    /// Stop an instance: clean shutdown within `timeout_s` seconds (-1: LXD's
    /// default), or kill at once with `force`. Waits and syncs as `lxd_instance_start`.
    fn lxd_instance_stop(obj: *mut lxd_obj, timeout_s: i32, force: bool, wait: bool) -> lxd_status {
        unsafe { state_change(obj, "stop", timeout_s, force, wait) }
    }

    /// Restart an instance. As `lxd_instance_stop`.
    fn lxd_instance_restart(obj: *mut lxd_obj, timeout_s: i32, force: bool, wait: bool) -> lxd_status {
        unsafe { state_change(obj, "restart", timeout_s, force, wait) }
    }

    /// Freeze (pause) a running instance. As `lxd_instance_start`.
    fn lxd_instance_freeze(obj: *mut lxd_obj, timeout_s: i32, force: bool, wait: bool) -> lxd_status {
        unsafe { state_change(obj, "freeze", timeout_s, force, wait) }
    }

    /// Unfreeze (resume) a frozen instance. As `lxd_instance_start`.
    fn lxd_instance_unfreeze(obj: *mut lxd_obj, timeout_s: i32, force: bool, wait: bool) -> lxd_status {
        unsafe { state_change(obj, "unfreeze", timeout_s, force, wait) }
    }

    /// The instance's runtime state (`GET /1.0/instances/{name}/state`: status,
    /// processes, memory, network, …) as JSON: the action `state`.
    /// @param json_out receives a string to free with `lxd_string_free`.
    fn lxd_instance_state(obj: *mut lxd_obj, json_out: *mut *mut c_char) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        o.require(Kind::Instance)?;
        let out = unsafe { arg_out(json_out, "json_out") }?;
        *out = c_json(&o.action("state", None, true)?);
        Ok(())
    }

    /// Rename an instance (it must be stopped). As `lxd_obj_rename`.
    fn lxd_instance_rename(obj: *mut lxd_obj, new_name: *const c_char, wait: bool) -> lxd_status {
        let o = unsafe { obj_ref(obj) }?;
        o.require(Kind::Instance)?;
        let name = unsafe { arg_str(new_name, "new_name") }?;
        o.rename(name, wait)
    }

    /// Wait for an operation (an `LXD_KIND_OPERATION` object) to end, using
    /// LXD's `/1.0/operations/{id}/wait` (no polling). Its attributes then hold
    /// the final state (`status`, `err`, `metadata`).
    ///
    /// @param timeout_s seconds to wait at most; negative: no limit of its
    ///   own (the client's `deadline_ms` still applies). It ends within a
    ///   second of the limit whatever the daemon does.
    /// LXD forgets a finished operation a few seconds after it ended. When the
    /// server no longer knows an operation that this handle knows existed (one
    /// from `lxd_obj_operation`, or one loaded before), it has ended: the wait
    /// returns `LXD_OK` and the attributes stay as last seen (the operation's
    /// effect shows in the objects it changed) — unless the daemon restarted
    /// since the handle saw it (its `environment.server_pid` changed): then the
    /// operation was lost with the daemon, `LXD_ERR_OPERATION_LOST`.
    /// A wait in progress when the daemon goes away ends at once with
    /// `LXD_ERR_CONNECTION`; waiting again once it is back gives
    /// `LXD_ERR_OPERATION_LOST`.
    ///
    /// @return `LXD_OK` (succeeded, or ended and forgotten as above);
    ///   `LXD_ERR_OPERATION_FAILED` (with the operation's `err`);
    ///   `LXD_ERR_CANCELLED`; `LXD_ERR_TIMEOUT` (still running, or the daemon
    ///   did not answer in time); `LXD_ERR_OPERATION_LOST` (the daemon
    ///   restarted and lost it); `LXD_ERR_CONNECTION` (the daemon went away);
    ///   `LXD_ERR_NOT_FOUND` (an id that this handle never saw exist);
    ///   `LXD_ERR_INVALID_ARGUMENT` (not an operation).
    fn lxd_operation_wait(op: *mut lxd_obj, timeout_s: i32) -> lxd_status {
        let timeout = u64::try_from(timeout_s).ok().map(Duration::from_secs);
        unsafe { obj_ref(op) }?.operation_wait(timeout)
    }

    /// Ask LXD to cancel an operation (only those with `may_cancel` true can be).
    /// @return `LXD_OK`, or the server's refusal (e.g. `LXD_ERR_API`).
    fn lxd_operation_cancel(op: *mut lxd_obj) -> lxd_status {
        unsafe { obj_ref(op) }?.operation_cancel()
    }

    /// Create an instance from a backup tarball (one made by a backup's
    /// `export`, or `lxc export`), streaming the file: memory stays flat
    /// whatever its size.
    /// @param options_json NULL, or an object with `name` (the new
    ///   instance's name; default: the one in the backup) and `pool` (the
    ///   storage pool to put it in; default: the backup's).
    /// @param wait true: return once the instance exists, loaded; false:
    ///   as soon as LXD accepted the upload (see `lxd_obj_operation`).
    /// @param progress NULL, or called as the file is sent.
    /// @param out receives the new instance; free with `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_NOT_FOUND` (no such local file);
    ///   `LXD_ERR_OPERATION_FAILED` (LXD could not restore it, e.g. the
    ///   name is taken); `LXD_ERR_INVALID_ARGUMENT`.
    fn lxd_instance_import(
        client: *const lxd_client,
        local_path: *const c_char,
        options_json: *const c_char,
        wait: bool,
        progress: lxd_progress_cb,
        user_data: *mut c_void,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let local = unsafe { arg_path(local_path, "local_path") }?;
        let opts = unsafe { arg_opt_json(options_json, "options_json") }?;
        let out = unsafe { arg_out(out, "out") }?;
        let mut cb = unsafe { progress_fn(progress, user_data) };
        let obj = Object::import_backup(
            &c.client,
            local,
            opts.as_ref(),
            wait,
            cb.as_mut().map(|f| f as _),
        )?;
        *out = lxd_obj::boxed(obj);
        Ok(())
    }

    /// Create a custom storage volume from a volume backup tarball (one
    /// made by a volume backup's `export`), streaming the file: memory
    /// stays flat whatever its size.
    /// @param pool the storage pool to create it in.
    /// @param name the new volume's name (its key is then `custom/NAME`).
    /// @param wait true: return once the volume exists, loaded; false: as
    ///   soon as LXD accepted the upload (see `lxd_obj_operation`).
    /// @param progress NULL, or called as the file is sent.
    /// @param out receives the new volume; free with `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_NOT_FOUND` (no such local file);
    ///   `LXD_ERR_OPERATION_FAILED` (LXD could not restore it, e.g. the
    ///   name is taken); `LXD_ERR_INVALID_ARGUMENT` (not a pool; a name
    ///   with a `/`).
    fn lxd_storage_volume_import(
        pool: *const lxd_obj,
        local_path: *const c_char,
        name: *const c_char,
        wait: bool,
        progress: lxd_progress_cb,
        user_data: *mut c_void,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let p = unsafe { obj_ref(pool) }?;
        let local = unsafe { arg_path(local_path, "local_path") }?;
        let name = unsafe { arg_str(name, "name") }?;
        let out = unsafe { arg_out(out, "out") }?;
        let mut cb = unsafe { progress_fn(progress, user_data) };
        let obj = Object::import_volume_backup(p, local, name, wait, cb.as_mut().map(|f| f as _))?;
        *out = lxd_obj::boxed(obj);
        Ok(())
    }
}
