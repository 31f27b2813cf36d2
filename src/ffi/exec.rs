//! Exports for exec: collected, streamed, and interactive sessions.

use std::ffi::{c_char, c_int, c_void};
use std::sync::Mutex;

use super::*;
use crate::exec::{self, ExecOptions, Session};

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

lxd_export! {
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
    ///   `LXD_ERR_API` (e.g. 400) when the instance is not running;
    ///   `LXD_ERR_OPERATION_LOST` when the exit code is unknown: the daemon
    ///   restarted, or (in a cluster) LXD forgot the ended operation before
    ///   a member that could not reach the instance's member let it be read.
    fn lxd_instance_exec(
        instance: *mut lxd_obj,
        command_json: *const c_char,
        options_json: *const c_char,
        stdin_data: *const u8,
        stdin_len: usize,
        out: *mut *mut lxd_exec_result,
    ) -> lxd_status {
        let obj = unsafe { self::instance(instance) }?;
        let args = unsafe { exec_args(command_json, options_json) }?;
        let stdin = unsafe { arg_bytes(stdin_data, stdin_len, "stdin_data") }?;
        let out = unsafe { arg_out(out, "out") }?;
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
    }
}

lxd_export! {
    /// Run a command as `lxd_instance_exec` does, but hand its output to
    /// `on_output` chunk by chunk as it arrives (on this thread) instead of
    /// collecting it: for long-running commands and large output.
    ///
    /// @param on_output may be NULL to discard the output.
    /// @param exit_code receives the command's exit code.
    /// @return as `lxd_instance_exec`; `LXD_ERR_CANCELLED` when `on_output`
    ///   returned non-zero (the command was sent SIGKILL).
    fn lxd_instance_exec_stream(
        instance: *mut lxd_obj,
        command_json: *const c_char,
        options_json: *const c_char,
        stdin_data: *const u8,
        stdin_len: usize,
        on_output: lxd_output_cb,
        user_data: *mut c_void,
        exit_code: *mut c_int,
    ) -> lxd_status {
        let obj = unsafe { self::instance(instance) }?;
        let args = unsafe { exec_args(command_json, options_json) }?;
        let stdin = unsafe { arg_bytes(stdin_data, stdin_len, "stdin_data") }?;
        let out = unsafe { arg_out(exit_code, "exit_code") }?;
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
    }
}

lxd_export! {
    /// The exit code of the command (-1 for NULL).
    fn lxd_exec_result_exit_code(result: *const lxd_exec_result) -> c_int = -1; {
        unsafe { result.as_ref() }.map_or(-1, |r| r.exit_code)
    }
}

fn bytes_out(buf: Option<&(Vec<u8>, usize)>, len: *mut usize) -> *const u8 {
    if let Some(l) = unsafe { len.as_mut() } {
        *l = buf.map_or(0, |b| b.1);
    }
    buf.map_or(std::ptr::null(), |b| b.0.as_ptr())
}

lxd_export! {
    /// The command's standard output: `*len` bytes (`len` may be NULL), followed
    /// by a NUL byte that is not counted, so text output can be used as a C
    /// string. Owned by the result. NULL (and `*len` 0) for a NULL result.
    fn lxd_exec_result_stdout(
        result: *const lxd_exec_result,
        len: *mut usize,
    ) -> *const u8 = std::ptr::null(); {
        bytes_out(unsafe { result.as_ref() }.map(|r| &r.stdout), len)
    }
}

lxd_export! {
    /// The command's standard error, as `lxd_exec_result_stdout`.
    fn lxd_exec_result_stderr(
        result: *const lxd_exec_result,
        len: *mut usize,
    ) -> *const u8 = std::ptr::null(); {
        bytes_out(unsafe { result.as_ref() }.map(|r| &r.stderr), len)
    }
}

lxd_export! {
    /// Free an exec result. NULL is a no-op.
    fn lxd_exec_result_free(result: *mut lxd_exec_result) {
        if !result.is_null() {
            drop(unsafe { Box::from_raw(result) });
        }
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

lxd_export! {
    /// Start a command on a terminal (a pty), as `lxc exec` does without `-T`:
    /// stdout and stderr arrive mixed on the terminal; input is written with
    /// `lxd_exec_session_write`.
    ///
    /// @param options_json as `lxd_instance_exec` (no `timeout_ms`: use the
    ///   timeouts of read and wait), plus `width` and `height` (the terminal's
    ///   size; 80×24 by default).
    /// @param out receives the session, to free with `lxd_exec_session_free`.
    fn lxd_instance_exec_interactive(
        instance: *mut lxd_obj,
        command_json: *const c_char,
        options_json: *const c_char,
        out: *mut *mut lxd_exec_session,
    ) -> lxd_status {
        let obj = unsafe { self::instance(instance) }?;
        let args = unsafe { exec_args(command_json, options_json) }?;
        if args.options.timeout.is_some() {
            return Err(Error::invalid(
                "timeout_ms does not apply to interactive sessions; use the timeouts of read and wait",
            ));
        }
        let out = unsafe { arg_out(out, "out") }?;
        let session = Session::open(obj, &args.command, &args.options)?;
        *out = Box::into_raw(Box::new(lxd_exec_session {
            session: Mutex::new(session),
        }));
        Ok(())
    }

    /// Attach to a running instance's console (as `lxc console`): a session
    /// like `lxd_instance_exec_interactive`'s, on the console's terminal.
    /// `lxd_exec_session_read` gives what the instance writes to its
    /// console, `lxd_exec_session_write` types into it, and
    /// `lxd_exec_session_resize` resizes it. There is no command:
    /// `lxd_exec_session_signal` gives `LXD_ERR_INVALID_ARGUMENT`, and
    /// `lxd_exec_session_wait` returns exit code 0 once LXD ends the console
    /// (the instance stopped). Freeing the session detaches; the instance
    /// goes on running. (The console's log: the `console_log` action.)
    /// @param options_json NULL, or `{"width": 80, "height": 24}`.
    /// @param out receives the session, to free with `lxd_exec_session_free`.
    /// @return `LXD_OK`; `LXD_ERR_API` when the instance is not running (or
    ///   another client holds its console); `LXD_ERR_INVALID_ARGUMENT`.
    fn lxd_instance_console(
        instance: *const lxd_obj,
        options_json: *const c_char,
        out: *mut *mut lxd_exec_session,
    ) -> lxd_status {
        let obj = unsafe { self::instance(instance) }?;
        let opts = ExecOptions::from_json(unsafe { arg_opt_str(options_json, "options_json") }?)?;
        if opts.timeout.is_some() || !opts.environment.is_empty() || opts.cwd.is_some() {
            return Err(Error::invalid(
                "a console takes only width and height options",
            ));
        }
        let out = unsafe { arg_out(out, "out") }?;
        let session = Session::console(obj, &opts)?;
        *out = Box::into_raw(Box::new(lxd_exec_session {
            session: Mutex::new(session),
        }));
        Ok(())
    }
}

lxd_export! {
    /// Write bytes to the session's terminal (the command's input). Blocks
    /// until the connection has taken them all; `LXD_ERR_TIMEOUT` if it does
    /// not take a 128 KiB piece of them within the client's timeout.
    /// Output arriving meanwhile (the terminal's echo, the command's answers) is
    /// kept for `lxd_exec_session_read`, so a large write never stalls on output
    /// not yet read; it is held in memory until read.
    fn lxd_exec_session_write(
        session: *mut lxd_exec_session,
        data: *const u8,
        len: usize,
    ) -> lxd_status {
        let data = unsafe { arg_bytes(data, len, "data") }?;
        unsafe { self::session(session) }?.write(data)
    }
}

lxd_export! {
    /// Read terminal output: waits up to `timeout_ms` (negative: no limit; 0:
    /// only what has arrived) for some, then copies at most `cap` bytes to
    /// `buf` and their number to `*got`.
    /// @return `LXD_OK` with `*got` > 0 for output; `LXD_OK` with `*got` 0 at
    ///   the end of output (the command ended); `LXD_ERR_TIMEOUT` when nothing
    ///   came in time.
    fn lxd_exec_session_read(
        session: *mut lxd_exec_session,
        buf: *mut u8,
        cap: usize,
        timeout_ms: c_int,
        got: *mut usize,
    ) -> lxd_status {
        let mut s = unsafe { self::session(session) }?;
        if buf.is_null() || cap == 0 {
            return Err(Error::invalid("buf is NULL or cap is 0"));
        }
        let got = unsafe { arg_out(got, "got") }?;
        let buf = unsafe { std::slice::from_raw_parts_mut(buf, cap) };
        *got = s.read(buf, timeout_of(timeout_ms))?;
        Ok(())
    }
}

lxd_export! {
    /// Tell the command its terminal is now `width` columns by `height` rows
    /// (through LXD's control channel; the command sees SIGWINCH).
    fn lxd_exec_session_resize(
        session: *mut lxd_exec_session,
        width: u32,
        height: u32,
    ) -> lxd_status {
        unsafe { self::session(session) }?.resize(width, height)
    }
}

lxd_export! {
    /// Send signal `signal` (e.g. 15 for SIGTERM) to the command.
    fn lxd_exec_session_signal(
        session: *mut lxd_exec_session,
        signal: c_int,
    ) -> lxd_status {
        unsafe { self::session(session) }?.signal(signal)
    }
}

lxd_export! {
    /// Wait up to `timeout_ms` (negative: no limit) for the command to end.
    /// Output arriving meanwhile is kept for `lxd_exec_session_read`.
    /// @param exit_code receives the exit code.
    /// @return `LXD_ERR_TIMEOUT` if it is still running (the session stays usable).
    fn lxd_exec_session_wait(
        session: *mut lxd_exec_session,
        timeout_ms: c_int,
        exit_code: *mut c_int,
    ) -> lxd_status {
        let mut s = unsafe { self::session(session) }?;
        let out = unsafe { arg_out(exit_code, "exit_code") }?;
        *out = s.wait(timeout_of(timeout_ms))?;
        Ok(())
    }
}

lxd_export! {
    /// Free a session. If its command is still running, LXD kills it (closing
    /// the control channel does that). NULL is a no-op.
    fn lxd_exec_session_free(session: *mut lxd_exec_session) {
        if !session.is_null() {
            drop(unsafe { Box::from_raw(session) });
        }
    }
}
