//! Running commands in instances (`POST /1.0/instances/{name}/exec` with
//! `wait-for-websocket`): one websocket per stream plus the control socket.
//!
//! The calling thread drives every socket itself through non-blocking I/O
//! and poll(2): no helper threads, no sleeps, no polling of the operation.
//! A run ends when LXD has closed stdout and stderr (it does once the
//! command has exited and its output is drained); the exit code then comes
//! from `/1.0/operations/{id}/wait`.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tungstenite::Message;

use crate::client::{ApiResponse, Client, encode_component};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Object;
use crate::ws::{Ws, wait_ready};

/// The signal sent to a command whose time ran out or whose caller asked
/// to stop.
const SIGKILL: i32 = 9;
/// Stdin goes out in messages of at most this size.
const STDIN_CHUNK: usize = 128 * 1024;

/// Options of an exec, from JSON (`options_json` in the C API).
#[derive(Debug, Default, Clone)]
pub struct ExecOptions {
    pub environment: Map<String, Value>,
    pub cwd: Option<String>,
    pub user: Option<u32>,
    pub group: Option<u32>,
    /// None: no limit.
    pub timeout: Option<Duration>,
    /// Terminal size of an interactive session.
    pub width: u32,
    pub height: u32,
}

impl ExecOptions {
    /// Parse `{"environment": {..}, "cwd": "/", "user": 0, "group": 0,
    /// "timeout_ms": 1000, "width": 80, "height": 24}`; every key is
    /// optional, unknown keys are refused.
    pub fn from_json(text: Option<&str>) -> Result<ExecOptions> {
        let mut opts = ExecOptions {
            width: 80,
            height: 24,
            ..ExecOptions::default()
        };
        let Some(text) = text else { return Ok(opts) };
        let map = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(Error::invalid("exec options must be a JSON object")),
            Err(e) => {
                return Err(Error::invalid(format!(
                    "exec options are not valid JSON: {e}"
                )));
            }
        };
        let uint = |k: &str, v: &Value| -> Result<u32> {
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| Error::invalid(format!("exec option {k:?} must be a number ≥ 0")))
        };
        for (k, v) in &map {
            match k.as_str() {
                "environment" => {
                    let env = v.as_object().ok_or_else(|| {
                        Error::invalid("exec option \"environment\" must be an object of strings")
                    })?;
                    if env.values().any(|v| !v.is_string()) {
                        return Err(Error::invalid(
                            "exec option \"environment\" must be an object of strings",
                        ));
                    }
                    for (name, value) in env {
                        if name.is_empty() || name.contains('=') {
                            return Err(Error::invalid(format!(
                                "environment variable name {name:?} is empty or contains '='"
                            )));
                        }
                        no_nul("environment variable", name)?;
                        no_nul("environment value", value.as_str().unwrap_or_default())?;
                    }
                    opts.environment = env.clone();
                }
                "cwd" => {
                    let cwd = v
                        .as_str()
                        .ok_or_else(|| Error::invalid("exec option \"cwd\" must be a string"))?;
                    no_nul("cwd", cwd)?;
                    opts.cwd = Some(cwd.to_string())
                }
                "user" => opts.user = Some(uint(k, v)?),
                "group" => opts.group = Some(uint(k, v)?),
                "timeout_ms" => {
                    let ms = v.as_u64().ok_or_else(|| {
                        Error::invalid("exec option \"timeout_ms\" must be a number ≥ 0")
                    })?;
                    opts.timeout = (ms > 0).then(|| Duration::from_millis(ms));
                }
                "width" => opts.width = uint(k, v)?,
                "height" => opts.height = uint(k, v)?,
                other => {
                    return Err(Error::invalid(format!(
                        "unknown exec option {other:?} (known: environment, cwd, user, group, timeout_ms, width, height)"
                    )));
                }
            }
        }
        Ok(opts)
    }
}

/// Parse a command given as a JSON array of strings.
pub fn parse_command(text: &str) -> Result<Vec<String>> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid(format!("command is not valid JSON: {e}")))?;
    let items = value
        .as_array()
        .ok_or_else(|| Error::invalid("command must be a JSON array of strings"))?;
    if items.is_empty() {
        return Err(Error::invalid("command is empty"));
    }
    items
        .iter()
        .map(|v| {
            let arg = v
                .as_str()
                .ok_or_else(|| Error::invalid("command must be a JSON array of strings"))?;
            no_nul("command argument", arg)?;
            Ok(arg.to_string())
        })
        .collect()
}

/// Arguments, environment and cwd become C strings in the instance: a NUL
/// byte would cut them short there, so it is refused here.
fn no_nul(what: &str, text: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(Error::invalid(format!(
            "{what} {text:?} contains a NUL byte"
        )));
    }
    Ok(())
}

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout = 1,
    Stderr = 2,
}

/// An exec started on the server, its websockets not yet connected.
struct Started {
    client: Client,
    command: String,
    op: String,
    fds: Map<String, Value>,
}

impl Started {
    fn begin(
        obj: &Object,
        command: &[String],
        opts: &ExecOptions,
        interactive: bool,
    ) -> Result<Started> {
        let path = obj.instance_path("/exec")?;
        let client = obj.client().clone();
        let mut body = json!({
            "command": command,
            "environment": opts.environment,
            "wait-for-websocket": true,
            "interactive": interactive,
            "record-output": false,
            "width": if interactive { opts.width } else { 0 },
            "height": if interactive { opts.height } else { 0 },
        });
        if let Some(u) = opts.user {
            body["user"] = json!(u);
        }
        if let Some(g) = opts.group {
            body["group"] = json!(g);
        }
        if let Some(cwd) = &opts.cwd {
            body["cwd"] = json!(cwd);
        }
        let resp = client.request("POST", &path, Some(&body), &[])?;
        let (op, fds) = exec_started(&resp)?;
        let command = command.first().cloned().unwrap_or_default();
        Ok(Started {
            client,
            command,
            op,
            fds,
        })
    }

    /// `POST …/console`: the instance's console, on a terminal.
    fn console(obj: &Object, opts: &ExecOptions) -> Result<Started> {
        let path = obj.instance_path("/console")?;
        let client = obj.client().clone();
        let body = json!({"type": "console", "width": opts.width, "height": opts.height});
        let resp = client.request("POST", &path, Some(&body), &[])?;
        let op = resp
            .operation_id()
            .ok_or_else(|| Error::protocol("console did not start an operation"))?;
        let fds = resp
            .metadata()
            .pointer("/metadata/fds")
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| Error::protocol("console operation named no websockets"))?;
        Ok(Started {
            client,
            command: "console".into(),
            op,
            fds,
        })
    }

    /// The path of websocket `fd` of the operation (project included).
    fn ws_path(&self, fd: &str) -> Result<String> {
        Ok(self
            .client
            .with_project(&websocket_path(&self.op, &self.fds, fd)?))
    }

    fn connect(&self, fd: &str) -> Result<Ws> {
        self.client.websocket(&self.ws_path(fd)?)
    }

    /// Connect the websockets `fds` side by side (`Client::websockets`);
    /// the first failure is the answer.
    fn connect_all(&self, fds: &[&str]) -> Result<Vec<Ws>> {
        let paths = fds
            .iter()
            .map(|fd| self.ws_path(fd))
            .collect::<Result<Vec<String>>>()?;
        self.client.websockets(&paths).into_iter().collect()
    }

    /// Wait for the operation and read the command's exit code.
    fn exit_code(&self, deadline: Option<Instant>) -> Result<i32> {
        let timeout =
            deadline.map(|d| d.saturating_duration_since(Instant::now()) + Duration::from_secs(1));
        let op = match self.client.wait_operation(&self.op, timeout) {
            Ok(op) => op,
            // The command failed to start: LXD fails the operation with its
            // reason ("Command not found" when execve found no such file).
            Err(e) if e.kind == ErrorKind::OperationFailed => {
                let kind = if e.message.eq_ignore_ascii_case("command not found") {
                    ErrorKind::NotFound
                } else {
                    ErrorKind::OperationFailed
                };
                return Err(Error::new(
                    kind,
                    format!("exec of {:?} failed: {}", self.command, e.message),
                ));
            }
            // LXD forgot the operation (it keeps an ended one 5 s) before
            // the wait could read it: a cluster member that held the wait
            // while it could not reach the operation's member. The command
            // ran; its exit code is gone with the operation. Not NotFound,
            // which an exec reports for a command that does not exist.
            Err(e) if e.kind == ErrorKind::NotFound => {
                return Err(Error::new(
                    ErrorKind::OperationLost,
                    format!(
                        "exec of {:?}: LXD forgot the operation before its exit code could \
                         be read ({})",
                        self.command, e.message
                    ),
                ));
            }
            Err(e) => return Err(e),
        };
        exit_code_of(&op)
    }
}

/// The operation an exec's response started, and the secrets of its
/// websockets (`fds`).
pub(crate) fn exec_started(resp: &ApiResponse) -> Result<(String, Map<String, Value>)> {
    let op = resp
        .operation_id()
        .ok_or_else(|| Error::protocol("exec did not start an operation"))?;
    let fds = resp
        .metadata()
        .pointer("/metadata/fds")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| Error::protocol("exec operation named no websockets"))?;
    Ok((op, fds))
}

/// The path of websocket `fd` ("control", "0", …) of exec operation `op`.
pub(crate) fn websocket_path(op: &str, fds: &Map<String, Value>, fd: &str) -> Result<String> {
    let secret = fds
        .get(fd)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::protocol(format!("exec operation has no websocket {fd:?}")))?;
    Ok(format!(
        "/1.0/operations/{}/websocket?secret={}",
        encode_component(op),
        encode_component(secret)
    ))
}

/// The command's exit code in the exec operation a wait returned.
pub(crate) fn exit_code_of(op: &Map<String, Value>) -> Result<i32> {
    if op.get("status").and_then(Value::as_str) == Some("Running") {
        return Err(Error::new(
            ErrorKind::Timeout,
            "the command is still running",
        ));
    }
    op.get("metadata")
        .and_then(|m| m.get("return"))
        .and_then(Value::as_i64)
        .map(|c| c as i32)
        .ok_or_else(|| Error::protocol("exec operation ended without a return code"))
}

/// Send a signal through the control websocket.
fn send_signal(control: &mut Ws, signal: i32, deadline: Option<Instant>) -> Result<()> {
    let msg = json!({"command": "signal", "signal": signal}).to_string();
    control.send(Message::text(msg), deadline)
}

fn timed_out(timeout: Option<Duration>) -> Error {
    let limit = match timeout {
        Some(t) => format!("within {} ms", t.as_millis()),
        None => "before the call's deadline (deadline_ms)".to_string(),
    };
    Error::new(
        ErrorKind::Timeout,
        format!("the command did not end {limit}; it was sent SIGKILL"),
    )
}

/// The command's stdin, fed to its websocket.
struct StdinFeed<'a> {
    data: &'a [u8],
    sent: usize,
    closed: bool,
}

impl StdinFeed<'_> {
    /// Hand the socket all the stdin it takes now: one chunk at a time,
    /// each only once the previous one is written (so memory stays flat),
    /// then the close, which is end of file. Returns with a write pending,
    /// or with nothing left to do: the caller's wait then never sleeps
    /// while stdin could move, since a command that answers only at end
    /// of file would otherwise wait for whatever woke the loop next (LXD
    /// pings every 10 s).
    fn feed(&mut self, ws: &mut Ws) -> Result<()> {
        while !ws.write_pending() && !ws.write_closed() {
            if self.sent < self.data.len() {
                let end = (self.sent + STDIN_CHUNK).min(self.data.len());
                ws.queue(Message::binary(self.data[self.sent..end].to_vec()))?;
                self.sent = end;
            } else if !self.closed {
                ws.close()?;
                self.closed = true;
            } else {
                break;
            }
        }
        Ok(())
    }
}

/// Run `command` in instance `obj`, feeding it `stdin` (then end of file)
/// and handing each chunk of output to `on_output` as it arrives, on this
/// thread. `on_output` returns false to stop: the command is then sent
/// SIGKILL and the call fails with `Cancelled`. Returns the exit code.
///
/// When `opts.timeout` (else the call's deadline) passes first, the
/// command is sent SIGKILL and the call fails with `Timeout`.
pub fn run(
    obj: &Object,
    command: &[String],
    opts: &ExecOptions,
    stdin: &[u8],
    on_output: &mut dyn FnMut(Stream, &[u8]) -> bool,
) -> Result<i32> {
    let deadline = match opts.timeout {
        Some(t) => Some(Instant::now() + t),
        None => obj.client().deadline(),
    };
    let started = Started::begin(obj, command, opts, false)?;
    // LXD starts the command once 0, 1 and 2 are connected; the control
    // socket first, so that a signal can always be sent. Then 0, 1 and 2
    // side by side: each is a connection and an upgrade (over HTTPS also a
    // TLS handshake), and the command waits for the last of them.
    let mut control = started.connect("control")?;
    let mut opened = started.connect_all(&["0", "1", "2"])?.into_iter();
    let (s0, s1, s2) = match (opened.next(), opened.next(), opened.next()) {
        (Some(s0), Some(s1), Some(s2)) => (s0, s1, s2),
        _ => return Err(Error::protocol("exec: a websocket went missing")),
    };
    let mut streams = [s0, s1.receive_only(), s2.receive_only()];
    let mut stdin_feed = StdinFeed {
        data: stdin,
        sent: 0,
        closed: false,
    };
    let outcome: Result<()> = (|| {
        loop {
            stdin_feed.feed(&mut streams[0])?;
            // Read everything that is there now.
            for (i, which) in [(1, Stream::Stdout), (2, Stream::Stderr)] {
                while let Some(msg) = streams[i].try_read()? {
                    let data: &[u8] = match &msg {
                        Message::Binary(b) => b,
                        Message::Text(t) => t.as_bytes(),
                        _ => continue,
                    };
                    if !data.is_empty() && !on_output(which, data) {
                        return Err(Error::new(
                            ErrorKind::Cancelled,
                            "the output callback stopped the command; it was sent SIGKILL",
                        ));
                    }
                }
            }
            while control.try_read()?.is_some() {}
            while streams[0].try_read()?.is_some() {}
            if streams[1].finished() && streams[2].finished() {
                return Ok(());
            }
            let mut want = Vec::with_capacity(4);
            for ws in streams.iter() {
                if !ws.finished() || ws.write_pending() {
                    want.push((ws.fd(), !ws.finished(), ws.write_pending()));
                }
            }
            if !control.finished() {
                want.push((control.fd(), true, control.write_pending()));
            }
            if wait_ready(&want, deadline)?.is_none() {
                return Err(timed_out(opts.timeout));
            }
            for ws in streams.iter_mut() {
                if ws.write_pending() {
                    ws.flush()?;
                }
            }
            if control.write_pending() {
                control.flush()?;
            }
        }
    })();
    let result = outcome
        .and_then(|()| started.exit_code(deadline))
        .map_err(|e| match e.kind {
            ErrorKind::Timeout => timed_out(opts.timeout),
            _ => e,
        });
    // A command whose time ran out, or whose caller stopped it, is killed,
    // never left running silently. Closing the control socket comes last:
    // LXD would kill on that too, but without saying so.
    if let Err(e) = &result
        && matches!(e.kind, ErrorKind::Timeout | ErrorKind::Cancelled)
    {
        let _ = send_signal(
            &mut control,
            SIGKILL,
            Some(Instant::now() + Duration::from_secs(1)),
        );
    }
    let _ = control.close();
    result
}

/// An interactive command on a terminal (`interactive: true`): one
/// websocket carries the terminal both ways, the control socket carries
/// window sizes and signals.
pub struct Session {
    started: Started,
    pty: Ws,
    control: Ws,
    /// Output read from the socket but not yet handed to the caller.
    pending: Vec<u8>,
    pending_at: usize,
    exit: Option<i32>,
    /// A console session: no command, no exit code.
    console: bool,
}

impl Session {
    pub fn open(obj: &Object, command: &[String], opts: &ExecOptions) -> Result<Session> {
        Session::connect(Started::begin(obj, command, opts, true)?, false)
    }

    /// The instance's console (`POST …/console`): read what the instance
    /// writes to it, write to it, resize it. It has no command of its own:
    /// no signals, and `wait` returns 0 once LXD ends the console (the
    /// instance stopped).
    pub fn console(obj: &Object, opts: &ExecOptions) -> Result<Session> {
        Session::connect(Started::console(obj, opts)?, true)
    }

    fn connect(started: Started, console: bool) -> Result<Session> {
        let control = started.connect("control")?;
        let pty = started.connect("0")?;
        Ok(Session {
            started,
            pty,
            control,
            pending: Vec::new(),
            pending_at: 0,
            exit: None,
            console,
        })
    }

    fn deadline(&self) -> Option<Instant> {
        Some(Instant::now() + self.started.client.timeout())
    }

    /// Write bytes to the terminal (the command's input); returns once
    /// the socket has taken them, waiting up to the client's timeout for
    /// each chunk.
    ///
    /// Output that arrives meanwhile goes to `pending`, for `read`: the
    /// caller cannot read while it writes, and output nobody reads (the
    /// terminal's echo, the command's answers) fills the pty and the
    /// socket until the command, and then LXD, stop taking input.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        if self.pty.finished() || self.pty.write_closed() {
            return Err(Error::new(
                ErrorKind::Connection,
                "the session's terminal is closed",
            ));
        }
        for chunk in data.chunks(STDIN_CHUNK) {
            let deadline = self.deadline();
            self.pty.queue(Message::binary(chunk.to_vec()))?;
            while self.pty.write_pending() && !self.pty.finished() {
                if !self.await_io(deadline)? {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        "the session's terminal took no input within the client's timeout",
                    ));
                }
                self.pump()?;
            }
            if self.pty.finished() || self.pty.write_closed() {
                return Err(Error::new(
                    ErrorKind::Connection,
                    "the session's terminal closed (the command has ended)",
                ));
            }
        }
        Ok(())
    }

    /// Take in whatever output the socket has now; true if any came.
    fn pump(&mut self) -> Result<bool> {
        let mut got = false;
        while let Some(msg) = self.pty.try_read()? {
            match msg {
                Message::Binary(b) => {
                    got |= !b.is_empty();
                    self.pending.extend_from_slice(&b);
                }
                Message::Text(t) => {
                    got |= !t.is_empty();
                    self.pending.extend_from_slice(t.as_bytes());
                }
                Message::Close(_) => {
                    // LXD ends the command's side only once ours is closed
                    // too (its end of the terminal mirror waits for it).
                    self.pty.close()?;
                    got = true;
                }
                _ => {}
            }
        }
        while self.control.try_read()?.is_some() {}
        Ok(got)
    }

    /// Read terminal output into `buf`, waiting up to `timeout` (None: no
    /// limit) for some to come. Ok(0) at end of output (the command ended);
    /// `Timeout` when nothing came in time.
    pub fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> Result<usize> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if self.pending_at < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.pending_at);
                buf[..n].copy_from_slice(&self.pending[self.pending_at..self.pending_at + n]);
                self.pending_at += n;
                if self.pending_at == self.pending.len() {
                    self.pending.clear();
                    self.pending_at = 0;
                }
                return Ok(n);
            }
            if self.pump()? {
                continue;
            }
            if self.pty.finished() {
                return Ok(0);
            }
            if !self.await_io(deadline)? {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "no terminal output within the timeout",
                ));
            }
        }
    }

    /// Wait until a socket is ready or `deadline` passes (false), then
    /// write what is queued for the terminal. Only sockets still open are
    /// waited on: one the peer hung up would report ready forever.
    fn await_io(&mut self, deadline: Option<Instant>) -> Result<bool> {
        let mut fds = vec![(self.pty.fd(), true, self.pty.write_pending())];
        if !self.control.finished() {
            fds.push((self.control.fd(), true, self.control.write_pending()));
        }
        if wait_ready(&fds, deadline)?.is_none() {
            return Ok(false);
        }
        if self.pty.write_pending() {
            self.pty.flush()?;
        }
        Ok(true)
    }

    /// Tell the command its terminal now has `width` × `height` cells.
    pub fn resize(&mut self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::invalid("width and height must be at least 1"));
        }
        let msg = json!({
            "command": "window-resize",
            "args": {"width": width.to_string(), "height": height.to_string()},
        })
        .to_string();
        let deadline = self.deadline();
        self.control.send(Message::text(msg), deadline)
    }

    /// Send a signal (e.g. 15 for SIGTERM) to the command.
    pub fn signal(&mut self, signal: i32) -> Result<()> {
        if self.console {
            return Err(Error::invalid("a console session has no command to signal"));
        }
        if !(1..=64).contains(&signal) {
            return Err(Error::invalid(format!("{signal} is not a signal number")));
        }
        let deadline = self.deadline();
        send_signal(&mut self.control, signal, deadline)
    }

    /// Wait up to `timeout` (None: no limit) for the command to end and
    /// return its exit code. Output that arrives meanwhile is kept for
    /// `read`.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<i32> {
        if let Some(code) = self.exit {
            return Ok(code);
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        while !self.pty.finished() {
            if self.pump()? {
                continue;
            }
            if self.pty.finished() {
                break;
            }
            if !self.await_io(deadline)? {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "the command is still running",
                ));
            }
        }
        let code = if self.console {
            0
        } else {
            self.started.exit_code(deadline)?
        };
        self.exit = Some(code);
        let _ = self.control.close();
        Ok(code)
    }

    /// Whether the command has ended and its exit code was read.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit
    }
}

impl Drop for Session {
    /// Closing the control socket of a running command makes LXD kill it.
    fn drop(&mut self) {
        let _ = self.pty.close();
        let _ = self.control.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_arrays_of_strings_without_nul() {
        assert_eq!(parse_command(r#"["echo","hi"]"#).unwrap(), ["echo", "hi"]);
        for bad in ["", "[]", "[1]", r#""echo""#, r#"["echo","a\u0000b"]"#] {
            let e = parse_command(bad).unwrap_err();
            assert_eq!(e.kind, crate::error::ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn an_exec_answer_whose_operation_id_is_empty_started_nothing() {
        // Found by the operation fuzz target (kept in its corpus as
        // regression-exec-empty-operation-id): an async answer without
        // "operation" and with an empty metadata id once gave the id "",
        // and the websockets' paths /1.0/operations//websocket.
        let doc: Value = serde_json::from_str(
            r#"{"type":"async","status":"e52b3501","error_code":0,"error":"",
                "metadata":{"id":"","status":"Running","status_code":103,
                "metadata":{"command":["true"],"fds":{"0":"a","1":"b","2":"c"},
                "interactive":false},"may_cancel":false,"err":"","location":"none"}}"#,
        )
        .unwrap();
        let resp = ApiResponse {
            http_status: 202,
            etag: None,
            location: None,
            doc,
        };
        let e = exec_started(&resp).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Protocol);
        assert!(e.message.contains("did not start an operation"), "{e:?}");
    }

    #[test]
    fn an_exec_whose_operation_is_forgotten_has_lost_its_exit_code() {
        // A FAKE daemon that knows no operation: its wait answers 404, as
        // LXD does once it forgot an ended one. That is not the exec's
        // NotFound ("no such command"): the exit code is lost.
        let (_dir, client) = Client::answering_every_request(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 63\r\n\r\n\
              {\"type\":\"error\",\"error\":\"Operation not found\",\"error_code\":404}",
        );
        let started = Started {
            client,
            command: "[\"true\"]".into(),
            op: "op1".into(),
            fds: Map::new(),
        };
        let e = started.exit_code(None).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::OperationLost, "{e:?}");
        assert!(e.message.contains("exit code"), "{e:?}");
    }

    #[test]
    fn options_refuse_nul_and_bad_variable_names() {
        let o = ExecOptions::from_json(Some(r#"{"environment":{"A":"1"},"cwd":"/tmp"}"#)).unwrap();
        assert_eq!(o.environment["A"], "1");
        assert_eq!(o.cwd.as_deref(), Some("/tmp"));
        for bad in [
            r#"{"environment":{"A":"x\u0000"}}"#,
            r#"{"environment":{"A\u0000":"x"}}"#,
            r#"{"environment":{"A=B":"x"}}"#,
            r#"{"environment":{"":"x"}}"#,
            r#"{"cwd":"/\u0000"}"#,
        ] {
            assert!(ExecOptions::from_json(Some(bad)).is_err(), "{bad}");
        }
    }
}
