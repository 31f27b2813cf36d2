//! Exports for instance files: put, get, delete, mkdir, push and pull.

use std::ffi::{c_char, c_void};

use super::*;
use crate::files::{self, FileOptions};

/// Progress of `lxd_instance_file_push` and `lxd_instance_file_pull`: bytes
/// of file content done so far and in all, called on the calling thread as
/// data moves. Return 0 to go on; any other value stops the transfer, which
/// then returns `LXD_ERR_CANCELLED` (what was written stays).
pub type lxd_progress_cb =
    Option<unsafe extern "C" fn(done: u64, total: u64, user_data: *mut c_void) -> c_int>;

lxd_export! {
    /// Write `len` bytes to file `path` in the instance, creating or replacing it.
    /// @param path absolute, in the instance.
    /// @param options_json NULL, or an object with any of `mode` (a number such
    ///   as 420, or an octal string such as "0644"), `uid`, `gid`, and `append`
    ///   (true: add to the end of an existing file instead of replacing it).
    ///   LXD 5.0.2 keeps only the permission bits 0777 of `mode` (setuid,
    ///   setgid and sticky bits are dropped).
    /// @return `LXD_ERR_NOT_FOUND` when the parent folder is missing, or with
    ///   `append` when the file is; `LXD_ERR_API` (LXD's 500) when `path` is a
    ///   folder.
    fn lxd_instance_file_put(
        instance: *mut lxd_obj,
        path: *const c_char,
        data: *const u8,
        len: usize,
        options_json: *const c_char,
    ) -> lxd_status {
        let obj = unsafe { self::instance(instance) }?;
        let path = unsafe { arg_str(path, "path") }?;
        let data = unsafe { arg_bytes(data, len, "data") }?;
        let opts = FileOptions::from_json(
            unsafe { arg_opt_str(options_json, "options_json") }?,
            &["mode", "uid", "gid", "append"],
        )?;
        files::put(obj, path, data, &opts)
    }
}

lxd_export! {
    /// Read file `path` of the instance into memory (a symlink is followed).
    /// For large files prefer `lxd_instance_file_pull`, which streams to disk.
    /// @param data receives the bytes, followed by a NUL that is not counted;
    ///   free with `lxd_bytes_free`.
    /// @param len receives the number of bytes.
    /// @return `LXD_ERR_NOT_FOUND` when there is no such path (also a path
    ///   through a file, or a dangling symlink); `LXD_ERR_INVALID_ARGUMENT` when
    ///   it is a folder.
    fn lxd_instance_file_get(
        instance: *mut lxd_obj,
        path: *const c_char,
        data: *mut *mut u8,
        len: *mut usize,
    ) -> lxd_status {
        let obj = unsafe { self::instance(instance) }?;
        let path = unsafe { arg_str(path, "path") }?;
        let data_out = unsafe { arg_out(data, "data") }?;
        let len_out = unsafe { arg_out(len, "len") }?;
        let (buf, n) = bytes_to_c(files::get(obj, path)?)?;
        *data_out = buf;
        *len_out = n;
        Ok(())
    }
}

lxd_export! {
    /// Free bytes returned by `lxd_instance_file_get` or
    /// `lxd_obj_action_bytes`. NULL is a no-op.
    fn lxd_bytes_free(data: *mut u8) {
        if !data.is_null() {
            unsafe { libc::free(data.cast()) };
        }
    }
}

lxd_export! {
    /// Remove file (or empty folder) `path` in the instance.
    /// @return `LXD_ERR_NOT_FOUND` when there is no such path; `LXD_ERR_API`
    ///   (LXD's 500) for a folder that is not empty.
    fn lxd_instance_file_delete(
        instance: *mut lxd_obj,
        path: *const c_char,
    ) -> lxd_status {
        let obj = unsafe { self::instance(instance) }?;
        let path = unsafe { arg_str(path, "path") }?;
        files::delete(obj, path)
    }
}

lxd_export! {
    /// Create folder `path` in the instance. An existing folder is not an
    /// error, nor is a symlink that leads to one (the symlink itself is left as
    /// it is).
    /// @param options_json NULL, or an object with any of `mode`, `uid`, `gid`
    ///   (as `lxd_instance_file_put`) and `parents` (true: create missing
    ///   parent folders too, as `mkdir -p`; those get LXD's defaults). `mode`,
    ///   `uid` and `gid` apply to the folder at `path` whether it is new or was
    ///   there already; through a symlink, to the folder it leads to (as
    ///   `chmod` and `chown` do). A `uid` or `gid` alone keeps the other. A
    ///   new folder gets them from LXD's files API; an existing one through
    ///   LXD's SFTP endpoint (`/1.0/instances/{name}/sftp`, on one more
    ///   connection), which LXD 5.0.2 serves for stopped containers too. LXD
    ///   5.0.2 keeps only the permission bits 0777 of `mode`: setuid, setgid
    ///   and sticky bits are dropped, on a new folder as on an existing one.
    /// @return `LXD_ERR_CONFLICT` when a file or a symlink to one is in the way;
    ///   `LXD_ERR_NOT_FOUND` when the parent is missing (without `parents`);
    ///   for an existing folder, `LXD_ERR_API` with the server's message when
    ///   it cannot apply `uid` or `gid` (e.g. an id outside the container's id
    ///   map; the folder is then left as it was), `LXD_ERR_FORBIDDEN` when it
    ///   is not allowed to.
    fn lxd_instance_file_mkdir(
        instance: *mut lxd_obj,
        path: *const c_char,
        options_json: *const c_char,
    ) -> lxd_status {
        let obj = unsafe { self::instance(instance) }?;
        let path = unsafe { arg_str(path, "path") }?;
        let opts = FileOptions::from_json(
            unsafe { arg_opt_str(options_json, "options_json") }?,
            &["mode", "uid", "gid", "parents"],
        )?;
        files::mkdir(obj, path, &opts)
    }
}

lxd_export! {
    /// Copy local file or folder `local_path` to `remote_path` in the instance
    /// (the copy is made at `remote_path`, not inside it). Folders are copied
    /// with everything in them; symlinks inside are copied as symlinks; a
    /// symlink named by `local_path` is followed. Streams from disk: memory
    /// stays flat whatever the size.
    /// @param options_json NULL, or an object with any of `mode`, `uid`, `gid`
    ///   applied to every entry (without `mode`, each keeps its local mode;
    ///   LXD 5.0.2 keeps only its permission bits 0777).
    /// @param progress NULL, or called as data is sent; `total` is known from the start.
    fn lxd_instance_file_push(
        instance: *mut lxd_obj,
        local_path: *const c_char,
        remote_path: *const c_char,
        options_json: *const c_char,
        progress: lxd_progress_cb,
        user_data: *mut c_void,
    ) -> lxd_status {
        let obj = unsafe { self::instance(instance) }?;
        let local = unsafe { arg_path(local_path, "local_path") }?;
        let remote = unsafe { arg_str(remote_path, "remote_path") }?;
        let opts = FileOptions::from_json(
            unsafe { arg_opt_str(options_json, "options_json") }?,
            &["mode", "uid", "gid"],
        )?;
        let mut cb = unsafe { progress_fn(progress, user_data) };
        files::push(obj, local, remote, &opts, cb.as_mut().map(|f| f as _))
    }
}

lxd_export! {
    /// Copy `remote_path` in the instance (a file, or a folder with everything
    /// in it) to `local_path` (made at that path; an existing folder there is
    /// merged into). Streams to disk. A symlink named by `remote_path` is
    /// followed; symlinks inside a folder are recreated when they point inside
    /// the pulled tree.
    ///
    /// Safety: the whole remote tree is checked before anything is written. A
    /// name the server lists that is not a plain file name (`..`, `a/b`, …) or
    /// a symlink pointing outside the pulled tree makes the pull fail with
    /// `LXD_ERR_UNSAFE_PATH`, and nothing is written outside `local_path`
    /// (nor, then, inside it).
    /// Files get the permission bits (0777) of the remote mode; the set-uid,
    /// set-gid and sticky bits are dropped, as `lxc file pull` does (see
    /// `lxd_instance_file_pull_ext` to keep them). Folders are made with the
    /// process's default mode.
    /// @param progress NULL, or called as data arrives; `total` grows by each
    ///   file's size when its transfer starts (LXD tells sizes only then).
    fn lxd_instance_file_pull(
        instance: *mut lxd_obj,
        remote_path: *const c_char,
        local_path: *const c_char,
        progress: lxd_progress_cb,
        user_data: *mut c_void,
    ) -> lxd_status {
        unsafe { pull(instance, remote_path, local_path, std::ptr::null(), progress, user_data) }
    }
}

lxd_export! {
    /// `lxd_instance_file_pull` with options.
    /// @param options_json NULL, or an object with `keep_special_bits` (true:
    ///   pulled files keep the set-uid, set-gid and sticky bits the server
    ///   reports; default false).
    /// @return as `lxd_instance_file_pull`; `LXD_ERR_INVALID_ARGUMENT` for
    ///   options that do not parse or an unknown option.
    fn lxd_instance_file_pull_ext(
        instance: *mut lxd_obj,
        remote_path: *const c_char,
        local_path: *const c_char,
        options_json: *const c_char,
        progress: lxd_progress_cb,
        user_data: *mut c_void,
    ) -> lxd_status {
        unsafe { pull(instance, remote_path, local_path, options_json, progress, user_data) }
    }
}

/// What both pull exports do.
unsafe fn pull(
    instance: *mut lxd_obj,
    remote_path: *const c_char,
    local_path: *const c_char,
    options_json: *const c_char,
    progress: lxd_progress_cb,
    user_data: *mut c_void,
) -> Result<()> {
    let obj = unsafe { self::instance(instance) }?;
    let remote = unsafe { arg_str(remote_path, "remote_path") }?;
    let local = unsafe { arg_path(local_path, "local_path") }?;
    let opts = FileOptions::from_json(
        unsafe { arg_opt_str(options_json, "options_json") }?,
        &["keep_special_bits"],
    )?;
    let mut cb = unsafe { progress_fn(progress, user_data) };
    files::pull(obj, remote, local, &opts, cb.as_mut().map(|f| f as _))
}
