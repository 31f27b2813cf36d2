//! Exports for images that move: upload from local files, export to local
//! files, publish an instance or snapshot, copy to another server.

use std::ffi::{c_char, c_void};

use serde_json::Value;

use super::object::obj_ref;
use super::*;
use crate::images::{self, CopyOptions, UploadOptions};
use crate::migration::{self, MoveOptions};

lxd_export! {
    /// Upload an image from local files, streamed (memory stays flat
    /// whatever their size): a unified tarball, or the metadata tarball and
    /// the root filesystem of a split image (LXD's multipart upload).
    /// @param client the server (and project) to upload to.
    /// @param local_path the unified tarball, or the metadata tarball of a
    ///   split image.
    /// @param rootfs_path NULL for a unified image; the root filesystem
    ///   (squashfs or tarball) of a split one.
    /// @param options_json NULL, or an object with any of `"public"`
    ///   (bool), `"auto_update"` (bool), `"aliases"` (names, or objects
    ///   `{"name", "description"}`), `"properties"` (an object of strings),
    ///   `"filename"` (the name LXD records). Aliases and auto_update are
    ///   applied once the upload has finished: they need `wait`.
    /// @param wait true: return once LXD has stored the image, loaded;
    ///   false: once LXD accepted the upload (the object learns its
    ///   fingerprint when its operation ends; see `lxd_obj_operation`).
    /// @param progress NULL, or called as the files are sent (bytes of the
    ///   files, not of the multipart framing); non-zero from it stops the
    ///   upload with `LXD_ERR_CANCELLED`.
    /// @param out receives the image; free with `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_CONFLICT` (the server has this image
    ///   already: same fingerprint); `LXD_ERR_NOT_FOUND` (no such local
    ///   file); `LXD_ERR_OPERATION_FAILED` (LXD refused the files, e.g. not
    ///   an image); `LXD_ERR_CANCELLED`; `LXD_ERR_INVALID_ARGUMENT`.
    fn lxd_image_upload(
        client: *const lxd_client,
        local_path: *const c_char,
        rootfs_path: *const c_char,
        options_json: *const c_char,
        wait: bool,
        progress: lxd_progress_cb,
        user_data: *mut c_void,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let first = unsafe { arg_path(local_path, "local_path") }?;
        let rootfs = if rootfs_path.is_null() {
            None
        } else {
            Some(unsafe { arg_path(rootfs_path, "rootfs_path") }?)
        };
        let opts = UploadOptions::from_json(unsafe { arg_opt_str(options_json, "options_json") }?)?;
        let out = unsafe { arg_out(out, "out") }?;
        let mut cb = unsafe { progress_fn(progress, user_data) };
        let obj = images::upload(&c.client, first, rootfs, &opts, wait, cb.as_mut().map(|f| f as _))
            .map_err(images::conflict_if_exists)?;
        *out = lxd_obj::boxed(obj);
        Ok(())
    }

    /// Export an image into a local folder, streamed: one file for a
    /// unified image, two for a split one (metadata first, then the root
    /// filesystem), named as LXD names them (else after the fingerprint).
    /// Files of those names are replaced (created readable by their owner
    /// only, as backup exports are); nothing is written through a symlink;
    /// on failure the files written so far are removed.
    /// @param folder an existing folder.
    /// @param progress NULL, or called as bytes arrive: those of the
    ///   response, so for a split image they include LXD's multipart
    ///   framing (a few hundred bytes more than the files); the total is
    ///   LXD's Content-Length, 0 when it sends none (split images come
    ///   chunked). Non-zero from it stops the export with
    ///   `LXD_ERR_CANCELLED`.
    /// @param files_json receives a JSON array of the files' paths, in
    ///   order; free with `lxd_string_free`.
    /// @return `LXD_OK`; `LXD_ERR_NOT_FOUND` (no such image, or no such
    ///   folder); `LXD_ERR_CANCELLED`; `LXD_ERR_INVALID_ARGUMENT` (not an
    ///   image).
    fn lxd_image_export(
        image: *const lxd_obj,
        folder: *const c_char,
        progress: lxd_progress_cb,
        user_data: *mut c_void,
        files_json: *mut *mut c_char,
    ) -> lxd_status {
        let img = unsafe { obj_ref(image) }?;
        let folder = unsafe { arg_path(folder, "folder") }?;
        let out = unsafe { arg_out(files_json, "files_json") }?;
        let mut cb = unsafe { progress_fn(progress, user_data) };
        let files = images::export(img, folder, cb.as_mut().map(|f| f as _))?;
        let list: Vec<Value> = files
            .iter()
            .map(|p| Value::String(p.to_string_lossy().into_owned()))
            .collect();
        *out = c_json(&Value::Array(list));
        Ok(())
    }

    /// Publish an instance, or a snapshot of one, as a new image on the
    /// same server and project (`lxc publish`). A running instance must be
    /// stopped first (LXD refuses otherwise).
    /// @param source an instance (or container/VM) or an instance snapshot.
    /// @param options_json NULL, or an object with any of `"aliases"`
    ///   (names, or objects `{"name", "description"}`), `"public"`,
    ///   `"auto_update"`, `"properties"` (an object of strings),
    ///   `"compression_algorithm"` (e.g. `"gzip"`, `"none"`),
    ///   `"expires_at"`, `"filename"`, `"profiles"`.
    /// @param wait true: return the new image, loaded (its `fingerprint`
    ///   attribute); false: at once, the image learning its fingerprint
    ///   when the operation ends (`lxd_obj_operation`).
    /// @param out receives the image; free with `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_OPERATION_FAILED` (e.g. the instance
    ///   runs, or an alias is taken); `LXD_ERR_INVALID_ARGUMENT`.
    fn lxd_image_publish(
        source: *const lxd_obj,
        options_json: *const c_char,
        wait: bool,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let src = unsafe { obj_ref(source) }?;
        let opts = unsafe { arg_opt_json(options_json, "options_json") }?;
        let out = unsafe { arg_out(out, "out") }?;
        let obj = images::publish(src, opts.as_ref(), wait)?;
        *out = lxd_obj::boxed(obj);
        Ok(())
    }

    /// Copy an image to the server of `target` (`lxc image copy`). In
    /// `"pull"` mode (the default) the target fetches it from this image's
    /// server over HTTPS, so the source must listen on a network address
    /// (`core.https_address`) the target can reach; a private image goes
    /// through a one-time secret of the source, and the target need not
    /// trust the source. In `"push"` mode the source sends it to the
    /// target (which must listen on an address the source reaches). In
    /// `"relay"` mode this client exports it into a private temporary
    /// folder and uploads it from there (servers that cannot reach each
    /// other; needs `wait`).
    /// @param options_json NULL, or an object with any of
    ///   `"copy_aliases"` (bool, default true: the image's aliases are made
    ///   on the target too), `"aliases"` (more, as in `lxd_image_upload`),
    ///   `"public"` (default false: the copy is private, as with `lxc image
    ///   copy`), `"auto_update"`, `"mode"` (`"pull"`, `"push"` or
    ///   `"relay"`). The image's profiles go along (they must exist on the
    ///   target).
    /// @param wait true: return the copy on the target, loaded; false: at
    ///   once, with the target's operation (`lxd_obj_operation`).
    /// @param out receives the copy (an image of `target`); free with
    ///   `lxd_obj_free`.
    /// @return `LXD_OK` (also when the target has the image already: it is
    ///   kept as it is, nothing moves, and the aliases it lacks are made);
    ///   `LXD_ERR_CONFLICT` (the target has the image and one of the
    ///   aliases names another image);
    ///   `LXD_ERR_INVALID_ARGUMENT` (the source listens on no network
    ///   address; not an image); `LXD_ERR_OPERATION_FAILED` (the target
    ///   could not fetch it).
    fn lxd_image_copy_to(
        image: *const lxd_obj,
        target: *const lxd_client,
        options_json: *const c_char,
        wait: bool,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let img = unsafe { obj_ref(image) }?;
        let t = unsafe { arg_ref(target, "target") }?;
        let opts = CopyOptions::from_json(unsafe { arg_opt_str(options_json, "options_json") }?)?;
        let out = unsafe { arg_out(out, "out") }?;
        let obj = images::copy_to(img, &t.client, &opts, wait)?;
        *out = lxd_obj::boxed(obj);
        Ok(())
    }

    /// Copy an instance to the server of `target` (`lxc copy`), with its
    /// snapshots unless `instance_only`. The source may run (its files are
    /// copied as they are: stop it for a consistent copy). When both
    /// clients talk to one server it is LXD's local copy.
    /// @param options_json NULL, or an object with any of `"name"` (the
    ///   copy's name; default the source's), `"mode"` (`"pull"`, the
    ///   default: the target connects to the source, which must listen on
    ///   a network address the target reaches; `"push"`: the source
    ///   connects to the target; `"relay"`: this client connects to both and
    ///   carries the data, for servers that cannot reach each other — it
    ///   needs `wait`), `"instance_only"` (bool), `"refresh"` (bool: bring
    ///   an existing copy up to date), `"config"` (keys set on the copy),
    ///   `"profiles"` (the copy's; default the source's, which must exist
    ///   on the target), `"pool"` (the target's pool for the root disk).
    /// @param wait true: return the copy, loaded; false: at once, the copy
    ///   pending on the target's operation (`lxd_obj_operation`).
    /// @param out receives the copy (an instance of `target`); free with
    ///   `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_CONFLICT` or `LXD_ERR_OPERATION_FAILED`
    ///   (the name is taken on the target, or the target refused);
    ///   `LXD_ERR_INVALID_ARGUMENT` (bad options; relay without wait; the
    ///   server that must be reached listens on no network address). On
    ///   failure the source is unchanged.
    fn lxd_instance_copy_to(
        instance: *const lxd_obj,
        target: *const lxd_client,
        options_json: *const c_char,
        wait: bool,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let inst = unsafe { obj_ref(instance) }?;
        let t = unsafe { arg_ref(target, "target") }?;
        let opts = MoveOptions::from_json(unsafe { arg_opt_str(options_json, "options_json") }?)?;
        let out = unsafe { arg_out(out, "out") }?;
        let obj = migration::copy_to(inst, &t.client, &opts, wait)?;
        *out = lxd_obj::boxed(obj);
        Ok(())
    }

    /// Move a stopped instance to the server of `target` (`lxc move`):
    /// copy it as `lxd_instance_copy_to` with `wait`, then delete the
    /// source. Options as `lxd_instance_copy_to` (`"name"` renames it on
    /// the way).
    /// @param out receives the moved instance (on `target`); free with
    ///   `lxd_obj_free`. `instance` then names a deleted instance.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (the instance runs; bad
    ///   options); the copy's errors (the source untouched); when the copy
    ///   succeeded but the source could not be deleted, that error, with a
    ///   message saying both exist.
    fn lxd_instance_move_to(
        instance: *const lxd_obj,
        target: *const lxd_client,
        options_json: *const c_char,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let inst = unsafe { obj_ref(instance) }?;
        let t = unsafe { arg_ref(target, "target") }?;
        let opts = MoveOptions::from_json(unsafe { arg_opt_str(options_json, "options_json") }?)?;
        let out = unsafe { arg_out(out, "out") }?;
        let obj = migration::move_to(inst, &t.client, &opts)?;
        *out = lxd_obj::boxed(obj);
        Ok(())
    }

    /// Bring an image from a remote image server onto this client's
    /// server (`lxc image copy images:alpine/3.19 local:`): the LXD server
    /// downloads it itself, so it must reach `server`.
    /// @param source_json an object: `"server"` (the image server's URL,
    ///   `https://…`, or `http://…` for a server without TLS), `"protocol"` (`"simplestreams"`, the default, or
    ///   `"lxd"`), one of `"alias"` and `"fingerprint"`, and optionally
    ///   `"certificate"` (the server's certificate, PEM: trusted for this
    ///   download, for a self-signed server), `"secret"` (a private LXD
    ///   image's, from `lxd_image_secret`), `"image_type"` (`"container"`
    ///   or `"virtual-machine"`).
    /// @param options_json NULL, or an object with any of `"aliases"`
    ///   (names, or objects `{"name", "description"}`: made for the image
    ///   here), `"public"`, `"auto_update"` (LXD then refreshes it from the
    ///   server).
    /// @param wait true: return the image, loaded; false: at once (its
    ///   fingerprint is learnt when the operation ends,
    ///   `lxd_obj_operation`).
    /// @param out receives the image; free with `lxd_obj_free`.
    /// @return `LXD_OK` (also when the server has the image already);
    ///   `LXD_ERR_OPERATION_FAILED` (the server could not fetch it: the
    ///   message says why); `LXD_ERR_INVALID_ARGUMENT`.
    fn lxd_image_pull(
        client: *const lxd_client,
        source_json: *const c_char,
        options_json: *const c_char,
        wait: bool,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let src = unsafe { arg_json(source_json, "source_json") }?;
        let text = unsafe { arg_opt_str(options_json, "options_json") }?;
        let mut opts = CopyOptions::from_json(text)?;
        let keys: Option<serde_json::Map<String, Value>> = text.and_then(|t| serde_json::from_str(t).ok());
        if keys.is_some_and(|k| k.contains_key("copy_aliases") || k.contains_key("mode")) {
            return Err(Error::invalid(
                "options_json of a pull takes aliases, public and auto_update (copy_aliases and mode are for lxd_image_copy_to)",
            ));
        }
        opts.copy_aliases = false;
        let out = unsafe { arg_out(out, "out") }?;
        let obj = images::pull(&c.client, &src, &opts, wait)?;
        *out = lxd_obj::boxed(obj);
        Ok(())
    }

    /// Copy a custom storage volume into a storage pool (`lxc storage
    /// volume copy`), with its snapshots unless `volume_only`: another
    /// pool of the same server (LXD's local copy), or a pool of another
    /// server (`pool` from a client of that server) in pull, push or relay
    /// mode as `lxd_instance_copy_to`.
    /// @param volume a custom volume (`custom/NAME`).
    /// @param pool the pool the copy goes into.
    /// @param options_json NULL, or an object with any of `"name"` (the
    ///   copy's; default the source's), `"mode"` (`"pull"`, `"push"`,
    ///   `"relay"`; relay needs `wait`), `"volume_only"` (bool),
    ///   `"refresh"` (bool: bring an existing copy up to date).
    /// @param wait true: return the copy, loaded; false: at once, pending
    ///   on the target's operation.
    /// @param out receives the copy; free with `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_CONFLICT` (the name is taken in the
    ///   pool); `LXD_ERR_INVALID_ARGUMENT` (not a custom volume, not a pool,
    ///   bad options); LXD's errors. On failure the source is unchanged.
    fn lxd_storage_volume_copy_to(
        volume: *const lxd_obj,
        pool: *const lxd_obj,
        options_json: *const c_char,
        wait: bool,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let v = unsafe { obj_ref(volume) }?;
        let p = unsafe { obj_ref(pool) }?;
        let opts = migration::VolumeCopyOptions::from_json(unsafe { arg_opt_str(options_json, "options_json") }?)?;
        let out = unsafe { arg_out(out, "out") }?;
        *out = lxd_obj::boxed(migration::volume_copy_to(v, p, &opts, wait)?);
        Ok(())
    }

    /// Move a custom storage volume into a storage pool: on one server LXD
    /// moves it (and renames it with `"name"`); to another server it is
    /// copied as `lxd_storage_volume_copy_to`, then the source deleted.
    /// The volume must not be attached to an instance.
    /// @param out receives the moved volume; free with `lxd_obj_free`.
    /// @return as `lxd_storage_volume_copy_to`; when the copy succeeded but
    ///   the source could not be deleted, that error, saying both exist.
    fn lxd_storage_volume_move_to(
        volume: *const lxd_obj,
        pool: *const lxd_obj,
        options_json: *const c_char,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let v = unsafe { obj_ref(volume) }?;
        let p = unsafe { obj_ref(pool) }?;
        let opts = migration::VolumeCopyOptions::from_json(unsafe { arg_opt_str(options_json, "options_json") }?)?;
        let out = unsafe { arg_out(out, "out") }?;
        *out = lxd_obj::boxed(migration::volume_move_to(v, p, &opts)?);
        Ok(())
    }
}
