//! Exports for exec, files and events: the websocket and streaming side.

use std::ffi::{CStr, CString, OsStr, c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crate::events::Events;
use crate::exec::{self, ExecOptions, Session};
use crate::files::{self, FileOptions};

unsafe fn instance<'a>(p: *const lxd_obj) -> Result<&'a crate::model::Object> {
    unsafe { obj_arg(p, "instance") }
}

/// Bytes from C: NULL is allowed only with length 0.
unsafe fn arg_bytes<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::invalid(format!(
            "{what} is NULL but its length is {len}"
        )));
    }
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A local path: any bytes but NUL (Linux paths need not be UTF-8).
unsafe fn arg_path<'a>(p: *const c_char, what: &str) -> Result<&'a Path> {
    if p.is_null() {
        return Err(Error::invalid(format!("{what} is NULL")));
    }
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    if bytes.is_empty() {
        return Err(Error::invalid(format!("{what} is empty")));
    }
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

/// Milliseconds from C: negative means no limit.
fn timeout_of(ms: c_int) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// A NUL after the bytes (not counted), so text can be used as a C string.
fn with_nul(mut v: Vec<u8>) -> (Vec<u8>, usize) {
    let len = v.len();
    v.push(0);
    (v, len)
}

// ----- exec ---------------------------------------------------------------------

/// The outcome of `lxd_instance_exec` (opaque): exit code, stdout and
/// stderr. Free with `lxd_exec_result_free`.
pub struct lxd_exec_result {
    exit_code: i32,
    stdout: (Vec<u8>, usize),
    stderr: (Vec<u8>, usize),
}

/// Called with each chunk of output of `lxd_instance_exec_stream` as it
/// arrives, on the calling thread. `stream` is 1 (stdout) or 2 (stderr);
/// `data` is valid only during the call. Return 0 to go on; any other value
/// stops the command (it is sent SIGKILL) and the call returns
/// `LXD_ERR_CANCELLED`.
pub type lxd_output_cb = Option<
    unsafe extern "C" fn(
        stream: c_int,
        data: *const u8,
        len: usize,
        user_data: *mut c_void,
    ) -> c_int,
>;

struct ExecArgs {
    command: Vec<String>,
    options: ExecOptions,
}

unsafe fn exec_args(command_json: *const c_char, options_json: *const c_char) -> Result<ExecArgs> {
    let command = exec::parse_command(unsafe { arg_str(command_json, "command_json") }?)?;
    let options = ExecOptions::from_json(unsafe { arg_opt_str(options_json, "options_json") }?)?;
    Ok(ExecArgs { command, options })
}

/// Run a command in a running instance and collect its output.
///
/// Returns once the command has ended and all its output has arrived: no
/// sleeps, no polling. Stdout and stderr are kept apart and byte-exact.
/// A background process the command leaves behind that keeps stdout or
/// stderr open keeps the call waiting until it closes them (LXD ends the
/// streams only then, as `lxc exec` shows); redirect its output.
///
/// @param instance a container or virtual machine.
/// @param command_json the command as a JSON array of strings, e.g.
///   `["sh", "-c", "echo hi"]`. It is run directly, not through a shell.
///   A string holding a NUL byte is refused (`LXD_ERR_INVALID_ARGUMENT`).
/// @param options_json NULL, or a JSON object with any of:
///   `environment` (object of strings; names without `=`), `cwd` (string),
///   `user` and `group` (numeric ids), `timeout_ms` (number; 0 or absent:
///   the client's `deadline_ms` if it has one, else no limit). NUL bytes are
///   refused here too.
/// @param stdin_data bytes fed to the command's standard input, which then
///   reaches end of file; may be NULL when `stdin_len` is 0.
/// @param out receives the result, to free with `lxd_exec_result_free`.
/// @return `LXD_OK` whatever the exit code (read it from the result);
///   `LXD_ERR_NOT_FOUND` when the command does not exist in the instance;
///   `LXD_ERR_TIMEOUT` when `timeout_ms` passed first: the command is then
///   sent SIGKILL through LXD's control channel and its output is dropped.
///   LXD signals only the command's own process: children it started (the
///   `sleep` of `sh -c "sleep 9; echo"`) go on running; `exec` in the shell
///   (`sh -c "exec sleep 9"`) or `timeout` inside the instance avoids that;
///   `LXD_ERR_API` (e.g. 400) when the instance is not running.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_exec(
    instance: *mut lxd_obj,
    command_json: *const c_char,
    options_json: *const c_char,
    stdin_data: *const u8,
    stdin_len: usize,
    out: *mut *mut lxd_exec_result,
) -> lxd_status {
    guard(|| {
        let obj = unsafe { self::instance(instance) }?;
        let args = unsafe { exec_args(command_json, options_json) }?;
        let stdin = unsafe { arg_bytes(stdin_data, stdin_len, "stdin_data") }?;
        let out = arg_out(out, "out")?;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let code = exec::run(obj, &args.command, &args.options, stdin, &mut |s, b| {
            match s {
                exec::Stream::Stdout => stdout.extend_from_slice(b),
                exec::Stream::Stderr => stderr.extend_from_slice(b),
            }
            true
        })?;
        *out = Box::into_raw(Box::new(lxd_exec_result {
            exit_code: code,
            stdout: with_nul(stdout),
            stderr: with_nul(stderr),
        }));
        Ok(())
    })
}

/// Run a command as `lxd_instance_exec` does, but hand its output to
/// `on_output` chunk by chunk as it arrives (on this thread) instead of
/// collecting it: for long-running commands and large output.
///
/// @param on_output may be NULL to discard the output.
/// @param exit_code receives the command's exit code.
/// @return as `lxd_instance_exec`; `LXD_ERR_CANCELLED` when `on_output`
///   returned non-zero (the command was sent SIGKILL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_exec_stream(
    instance: *mut lxd_obj,
    command_json: *const c_char,
    options_json: *const c_char,
    stdin_data: *const u8,
    stdin_len: usize,
    on_output: lxd_output_cb,
    user_data: *mut c_void,
    exit_code: *mut c_int,
) -> lxd_status {
    guard(|| {
        let obj = unsafe { self::instance(instance) }?;
        let args = unsafe { exec_args(command_json, options_json) }?;
        let stdin = unsafe { arg_bytes(stdin_data, stdin_len, "stdin_data") }?;
        let out = arg_out(exit_code, "exit_code")?;
        let code = exec::run(
            obj,
            &args.command,
            &args.options,
            stdin,
            &mut |s, b| match on_output {
                Some(cb) => unsafe { cb(s as c_int, b.as_ptr(), b.len(), user_data) == 0 },
                None => true,
            },
        )?;
        *out = code;
        Ok(())
    })
}

/// The exit code of the command (-1 for NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_result_exit_code(result: *const lxd_exec_result) -> c_int {
    guard_value(-1, || {
        unsafe { result.as_ref() }.map_or(-1, |r| r.exit_code)
    })
}

fn bytes_out(buf: Option<&(Vec<u8>, usize)>, len: *mut usize) -> *const u8 {
    if let Some(l) = unsafe { len.as_mut() } {
        *l = buf.map_or(0, |b| b.1);
    }
    buf.map_or(std::ptr::null(), |b| b.0.as_ptr())
}

/// The command's standard output: `*len` bytes (`len` may be NULL), followed
/// by a NUL byte that is not counted, so text output can be used as a C
/// string. Owned by the result. NULL (and `*len` 0) for a NULL result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_result_stdout(
    result: *const lxd_exec_result,
    len: *mut usize,
) -> *const u8 {
    guard_value(std::ptr::null(), || {
        bytes_out(unsafe { result.as_ref() }.map(|r| &r.stdout), len)
    })
}

/// The command's standard error, as `lxd_exec_result_stdout`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_result_stderr(
    result: *const lxd_exec_result,
    len: *mut usize,
) -> *const u8 {
    guard_value(std::ptr::null(), || {
        bytes_out(unsafe { result.as_ref() }.map(|r| &r.stderr), len)
    })
}

/// Free an exec result. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_result_free(result: *mut lxd_exec_result) {
    if !result.is_null() {
        guard_value((), || drop(unsafe { Box::from_raw(result) }));
    }
}

/// An interactive command on a terminal (opaque), from
/// `lxd_instance_exec_interactive`. Calls on one session are serialised.
/// Free with `lxd_exec_session_free`.
pub struct lxd_exec_session {
    session: Mutex<Session>,
}

unsafe fn session<'a>(p: *const lxd_exec_session) -> Result<std::sync::MutexGuard<'a, Session>> {
    let s = unsafe { arg_ref(p, "session") }?;
    Ok(s.session.lock().unwrap_or_else(|p| p.into_inner()))
}

/// Start a command on a terminal (a pty), as `lxc exec` does without `-T`:
/// stdout and stderr arrive mixed on the terminal; input is written with
/// `lxd_exec_session_write`.
///
/// @param options_json as `lxd_instance_exec` (no `timeout_ms`: use the
///   timeouts of read and wait), plus `width` and `height` (the terminal's
///   size; 80×24 by default).
/// @param out receives the session, to free with `lxd_exec_session_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_exec_interactive(
    instance: *mut lxd_obj,
    command_json: *const c_char,
    options_json: *const c_char,
    out: *mut *mut lxd_exec_session,
) -> lxd_status {
    guard(|| {
        let obj = unsafe { self::instance(instance) }?;
        let args = unsafe { exec_args(command_json, options_json) }?;
        if args.options.timeout.is_some() {
            return Err(Error::invalid(
                "timeout_ms does not apply to interactive sessions; use the timeouts of read and wait",
            ));
        }
        let out = arg_out(out, "out")?;
        let session = Session::open(obj, &args.command, &args.options)?;
        *out = Box::into_raw(Box::new(lxd_exec_session {
            session: Mutex::new(session),
        }));
        Ok(())
    })
}

/// Write bytes to the session's terminal (the command's input). Blocks
/// until the connection has taken them all; `LXD_ERR_TIMEOUT` if it does
/// not take a 128 KiB piece of them within the client's timeout.
/// Output arriving meanwhile (the terminal's echo, the command's answers) is
/// kept for `lxd_exec_session_read`, so a large write never stalls on output
/// not yet read; it is held in memory until read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_session_write(
    session: *mut lxd_exec_session,
    data: *const u8,
    len: usize,
) -> lxd_status {
    guard(|| {
        let data = unsafe { arg_bytes(data, len, "data") }?;
        unsafe { self::session(session) }?.write(data)
    })
}

/// Read terminal output: waits up to `timeout_ms` (negative: no limit; 0:
/// only what has arrived) for some, then copies at most `cap` bytes to
/// `buf` and their number to `*got`.
/// @return `LXD_OK` with `*got` > 0 for output; `LXD_OK` with `*got` 0 at
///   the end of output (the command ended); `LXD_ERR_TIMEOUT` when nothing
///   came in time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_session_read(
    session: *mut lxd_exec_session,
    buf: *mut u8,
    cap: usize,
    timeout_ms: c_int,
    got: *mut usize,
) -> lxd_status {
    guard(|| {
        let mut s = unsafe { self::session(session) }?;
        if buf.is_null() || cap == 0 {
            return Err(Error::invalid("buf is NULL or cap is 0"));
        }
        let got = arg_out(got, "got")?;
        let buf = unsafe { std::slice::from_raw_parts_mut(buf, cap) };
        *got = s.read(buf, timeout_of(timeout_ms))?;
        Ok(())
    })
}

/// Tell the command its terminal is now `width` columns by `height` rows
/// (through LXD's control channel; the command sees SIGWINCH).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_session_resize(
    session: *mut lxd_exec_session,
    width: u32,
    height: u32,
) -> lxd_status {
    guard(|| unsafe { self::session(session) }?.resize(width, height))
}

/// Send signal `signal` (e.g. 15 for SIGTERM) to the command.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_session_signal(
    session: *mut lxd_exec_session,
    signal: c_int,
) -> lxd_status {
    guard(|| unsafe { self::session(session) }?.signal(signal))
}

/// Wait up to `timeout_ms` (negative: no limit) for the command to end.
/// Output arriving meanwhile is kept for `lxd_exec_session_read`.
/// @param exit_code receives the exit code.
/// @return `LXD_ERR_TIMEOUT` if it is still running (the session stays usable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_session_wait(
    session: *mut lxd_exec_session,
    timeout_ms: c_int,
    exit_code: *mut c_int,
) -> lxd_status {
    guard(|| {
        let mut s = unsafe { self::session(session) }?;
        let out = arg_out(exit_code, "exit_code")?;
        *out = s.wait(timeout_of(timeout_ms))?;
        Ok(())
    })
}

/// Free a session. If its command is still running, LXD kills it (closing
/// the control channel does that). NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_exec_session_free(session: *mut lxd_exec_session) {
    if !session.is_null() {
        guard_value((), || drop(unsafe { Box::from_raw(session) }));
    }
}

// ----- files --------------------------------------------------------------------

/// Progress of `lxd_instance_file_push` and `lxd_instance_file_pull`: bytes
/// of file content done so far and in all, called on the calling thread as
/// data moves. Return 0 to go on; any other value stops the transfer, which
/// then returns `LXD_ERR_CANCELLED` (what was written stays).
pub type lxd_progress_cb =
    Option<unsafe extern "C" fn(done: u64, total: u64, user_data: *mut c_void) -> c_int>;

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
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_file_put(
    instance: *mut lxd_obj,
    path: *const c_char,
    data: *const u8,
    len: usize,
    options_json: *const c_char,
) -> lxd_status {
    guard(|| {
        let obj = unsafe { self::instance(instance) }?;
        let path = unsafe { arg_str(path, "path") }?;
        let data = unsafe { arg_bytes(data, len, "data") }?;
        let opts = FileOptions::from_json(
            unsafe { arg_opt_str(options_json, "options_json") }?,
            &["mode", "uid", "gid", "append"],
        )?;
        files::put(obj, path, data, &opts)
    })
}

/// Read file `path` of the instance into memory (a symlink is followed).
/// For large files prefer `lxd_instance_file_pull`, which streams to disk.
/// @param data receives the bytes, followed by a NUL that is not counted;
///   free with `lxd_bytes_free`.
/// @param len receives the number of bytes.
/// @return `LXD_ERR_NOT_FOUND` when there is no such path (also a path
///   through a file, or a dangling symlink); `LXD_ERR_INVALID_ARGUMENT` when
///   it is a folder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_file_get(
    instance: *mut lxd_obj,
    path: *const c_char,
    data: *mut *mut u8,
    len: *mut usize,
) -> lxd_status {
    guard(|| {
        let obj = unsafe { self::instance(instance) }?;
        let path = unsafe { arg_str(path, "path") }?;
        let data_out = arg_out(data, "data")?;
        let len_out = arg_out(len, "len")?;
        let bytes = files::get(obj, path)?;
        let buf = unsafe { libc::malloc(bytes.len() + 1) } as *mut u8;
        if buf.is_null() {
            return Err(Error::new(ErrorKind::Internal, "out of memory"));
        }
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len());
            *buf.add(bytes.len()) = 0;
        }
        *data_out = buf;
        *len_out = bytes.len();
        Ok(())
    })
}

/// Free bytes returned by `lxd_instance_file_get`. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_bytes_free(data: *mut u8) {
    if !data.is_null() {
        unsafe { libc::free(data.cast()) };
    }
}

/// Remove file (or empty folder) `path` in the instance.
/// @return `LXD_ERR_NOT_FOUND` when there is no such path; `LXD_ERR_API`
///   (LXD's 500) for a folder that is not empty.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_file_delete(
    instance: *mut lxd_obj,
    path: *const c_char,
) -> lxd_status {
    guard(|| {
        let obj = unsafe { self::instance(instance) }?;
        let path = unsafe { arg_str(path, "path") }?;
        files::delete(obj, path)
    })
}

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
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_file_mkdir(
    instance: *mut lxd_obj,
    path: *const c_char,
    options_json: *const c_char,
) -> lxd_status {
    guard(|| {
        let obj = unsafe { self::instance(instance) }?;
        let path = unsafe { arg_str(path, "path") }?;
        let opts = FileOptions::from_json(
            unsafe { arg_opt_str(options_json, "options_json") }?,
            &["mode", "uid", "gid", "parents"],
        )?;
        files::mkdir(obj, path, &opts)
    })
}

unsafe fn progress_fn(
    cb: lxd_progress_cb,
    user_data: *mut c_void,
) -> Option<impl FnMut(u64, u64) -> bool> {
    cb.map(|f| move |done, total| unsafe { f(done, total, user_data) == 0 })
}

/// Copy local file or folder `local_path` to `remote_path` in the instance
/// (the copy is made at `remote_path`, not inside it). Folders are copied
/// with everything in them; symlinks inside are copied as symlinks; a
/// symlink named by `local_path` is followed. Streams from disk: memory
/// stays flat whatever the size.
/// @param options_json NULL, or an object with any of `mode`, `uid`, `gid`
///   applied to every entry (without `mode`, each keeps its local mode;
///   LXD 5.0.2 keeps only its permission bits 0777).
/// @param progress NULL, or called as data is sent; `total` is known from the start.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_file_push(
    instance: *mut lxd_obj,
    local_path: *const c_char,
    remote_path: *const c_char,
    options_json: *const c_char,
    progress: lxd_progress_cb,
    user_data: *mut c_void,
) -> lxd_status {
    guard(|| {
        let obj = unsafe { self::instance(instance) }?;
        let local = unsafe { arg_path(local_path, "local_path") }?;
        let remote = unsafe { arg_str(remote_path, "remote_path") }?;
        let opts = FileOptions::from_json(
            unsafe { arg_opt_str(options_json, "options_json") }?,
            &["mode", "uid", "gid"],
        )?;
        let mut cb = unsafe { progress_fn(progress, user_data) };
        files::push(obj, local, remote, &opts, cb.as_mut().map(|f| f as _))
    })
}

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
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_file_pull(
    instance: *mut lxd_obj,
    remote_path: *const c_char,
    local_path: *const c_char,
    progress: lxd_progress_cb,
    user_data: *mut c_void,
) -> lxd_status {
    unsafe {
        lxd_instance_file_pull_ext(
            instance,
            remote_path,
            local_path,
            std::ptr::null(),
            progress,
            user_data,
        )
    }
}

/// `lxd_instance_file_pull` with options.
/// @param options_json NULL, or an object with `keep_special_bits` (true:
///   pulled files keep the set-uid, set-gid and sticky bits the server
///   reports; default false).
/// @return as `lxd_instance_file_pull`; `LXD_ERR_INVALID_ARGUMENT` for
///   options that do not parse or an unknown option.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_instance_file_pull_ext(
    instance: *mut lxd_obj,
    remote_path: *const c_char,
    local_path: *const c_char,
    options_json: *const c_char,
    progress: lxd_progress_cb,
    user_data: *mut c_void,
) -> lxd_status {
    guard(|| {
        let obj = unsafe { self::instance(instance) }?;
        let remote = unsafe { arg_str(remote_path, "remote_path") }?;
        let local = unsafe { arg_path(local_path, "local_path") }?;
        let opts = FileOptions::from_json(
            unsafe { arg_opt_str(options_json, "options_json") }?,
            &["keep_special_bits"],
        )?;
        let mut cb = unsafe { progress_fn(progress, user_data) };
        files::pull(obj, remote, local, &opts, cb.as_mut().map(|f| f as _))
    })
}

// ----- events -------------------------------------------------------------------

/// An open event stream (opaque), from `lxd_events_open`. Calls on one
/// stream are serialised. Free with `lxd_events_free`.
pub struct lxd_events {
    events: Mutex<Events>,
}

/// Listen to the server's events (`/1.0/events`), as pylxd's
/// `client.events()`. Events that happen after this returns are queued for
/// `lxd_events_next` (by the kernel and the server; read them steadily).
/// @param types NULL for every type, or a comma list such as
///   "lifecycle,operation" (the server filters; also "logging").
/// @param out receives the stream, to free with `lxd_events_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_events_open(
    client: *mut lxd_client,
    types: *const c_char,
    out: *mut *mut lxd_events,
) -> lxd_status {
    guard(|| {
        let client = &unsafe { arg_ref(client, "client") }?.client;
        let types = unsafe { arg_opt_str(types, "types") }?;
        let out = arg_out(out, "out")?;
        let events = client.events(types)?;
        *out = Box::into_raw(Box::new(lxd_events {
            events: Mutex::new(events),
        }));
        Ok(())
    })
}

/// The next event, as LXD's JSON (`type`, `timestamp`, `metadata`, …),
/// waiting up to `timeout_ms` (negative: no limit; 0: only one already
/// there).
/// @param event_json receives a string to free with `lxd_string_free`.
/// @return `LXD_ERR_TIMEOUT` when no event came in time (the stream stays
///   usable); `LXD_ERR_CONNECTION` when the server closed it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_events_next(
    events: *mut lxd_events,
    timeout_ms: c_int,
    event_json: *mut *mut c_char,
) -> lxd_status {
    guard(|| {
        let events = unsafe { arg_ref(events, "events") }?;
        let out = arg_out(event_json, "event_json")?;
        let mut ev = events.events.lock().unwrap_or_else(|p| p.into_inner());
        match ev.next(timeout_of(timeout_ms))? {
            Some(text) => {
                *out = c_string(text);
                Ok(())
            }
            None => Err(Error::new(
                ErrorKind::Timeout,
                "no event within the timeout",
            )),
        }
    })
}

/// Close an event stream. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_events_free(events: *mut lxd_events) {
    if !events.is_null() {
        guard_value((), || drop(unsafe { Box::from_raw(events) }));
    }
}

/// Called by a listener (`lxd_events_listen`) on liblxd's own background
/// thread, once per event with `status` `LXD_OK` and the event's JSON, and
/// a last time with an error status and its message when the stream fails
/// (e.g. `LXD_ERR_CONNECTION` when the daemon goes away). `event_json` is
/// valid only during the call. Return 0 to go on, non-zero to stop
/// listening. The callback must be thread-safe with respect to the rest of
/// the program; it may call liblxd.
pub type lxd_event_cb = Option<
    unsafe extern "C" fn(
        status: lxd_status,
        event_json: *const c_char,
        user_data: *mut c_void,
    ) -> c_int,
>;

/// Events delivered to a callback on a background thread (opaque), from
/// `lxd_events_listen`. Free with `lxd_events_listener_free`.
pub struct lxd_events_listener {
    _listener: crate::events::Listener,
}

struct UserData(*mut c_void);
// The caller promises (see lxd_event_cb) that its callback and data may be
// used from liblxd's thread.
unsafe impl Send for UserData {}

/// Listen to events with a callback on a background thread, for C programs
/// that prefer that to the pull API (`lxd_events_open`/`lxd_events_next`,
/// which suits Go, Ruby and event loops better). The stream is open when
/// this returns: events after that reach `callback`, in order, one at a
/// time, on one thread of liblxd's.
/// @param types as `lxd_events_open`.
/// @param out receives the listener; `lxd_events_listener_free` stops it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_events_listen(
    client: *mut lxd_client,
    types: *const c_char,
    callback: lxd_event_cb,
    user_data: *mut c_void,
    out: *mut *mut lxd_events_listener,
) -> lxd_status {
    guard(|| {
        let client = &unsafe { arg_ref(client, "client") }?.client;
        let types = unsafe { arg_opt_str(types, "types") }?;
        let callback = callback.ok_or_else(|| Error::invalid("callback is NULL"))?;
        let out = arg_out(out, "out")?;
        let user = UserData(user_data);
        let deliver = move |d: crate::events::Delivery| -> bool {
            let user = &user;
            let (status, text) = match d {
                Ok(event) => (LXD_OK, event),
                Err(e) => (super::status_of(e.kind), e.message),
            };
            let text = CString::new(text.replace('\0', "\\u0000")).unwrap_or_default();
            let go_on = catch_unwind(AssertUnwindSafe(|| unsafe {
                callback(status, text.as_ptr(), user.0) == 0
            }));
            go_on.unwrap_or(false) && status == LXD_OK
        };
        let listener = client.listen(types, Box::new(deliver))?;
        *out = Box::into_raw(Box::new(lxd_events_listener {
            _listener: listener,
        }));
        Ok(())
    })
}

/// Stop a listener: no callback runs after this returns (unless called
/// from inside the callback itself, on liblxd's thread, which is allowed:
/// then that callback is the last). NULL is a no-op.
///
/// It waits for a callback in progress to return. A callback that hands
/// its work to another thread and waits for it (as language runtimes do)
/// must not have that thread call this: it would wait forever. Return
/// non-zero from the callback to stop, and free the listener afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_events_listener_free(listener: *mut lxd_events_listener) {
    if !listener.is_null() {
        guard_value((), || drop(unsafe { Box::from_raw(listener) }));
    }
}
