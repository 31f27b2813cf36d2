//! The status codes of the C API: one row per code, in value order. The
//! `LXD_OK`/`LXD_ERR_*` constants, `lxd_status_name`, the mapping from the
//! core's `ErrorKind` and its test are all generated from this table by
//! build.rs (which includes this file). Values are fixed: never renumber;
//! a retired code keeps its row, marked retired.

/// (C name, `ErrorKind` variant or "" for `LXD_OK`, doc)
pub const STATUSES: &[(&str, &str, &str)] = &[
    ("LXD_OK", "", "Success."),
    (
        "LXD_ERR_INVALID_ARGUMENT",
        "InvalidArgument",
        "A NULL pointer, invalid UTF-8, caller JSON that does not parse, or a value out of range.",
    ),
    (
        "LXD_ERR_CONNECTION",
        "Connection",
        "The daemon could not be reached, or the connection broke.",
    ),
    (
        "LXD_ERR_TLS",
        "Tls",
        "TLS failure: handshake, untrusted or wrong (pinned) server certificate, unreadable client certificate.",
    ),
    (
        "LXD_ERR_TIMEOUT",
        "Timeout",
        "A network read/write, an operation wait or a call's deadline timed out.",
    ),
    (
        "LXD_ERR_NOT_FOUND",
        "NotFound",
        "HTTP 404: the object does not exist.",
    ),
    (
        "LXD_ERR_CONFLICT",
        "Conflict",
        "HTTP 409: the object already exists, or conflicts with another.",
    ),
    (
        "LXD_ERR_PRECONDITION_FAILED",
        "PreconditionFailed",
        "HTTP 412 (ETag mismatch), or a save refused because the object changed on the server since it was loaded.",
    ),
    (
        "LXD_ERR_FORBIDDEN",
        "Forbidden",
        "HTTP 403 (or 401): not allowed, e.g. an untrusted client.",
    ),
    (
        "LXD_ERR_API",
        "Api",
        "Any other error response from the server (the message is the server's).",
    ),
    (
        "LXD_ERR_OPERATION_FAILED",
        "OperationFailed",
        "A background operation ended in failure (the message is the operation's `err`).",
    ),
    (
        "LXD_ERR_UNKNOWN_ATTRIBUTE",
        "UnknownAttribute",
        "The kind has no attribute of that name.",
    ),
    (
        "LXD_ERR_READ_ONLY",
        "ReadOnly",
        "The attribute exists but cannot be set (e.g. `name`, `status`).",
    ),
    (
        "LXD_ERR_EXTENSION_MISSING",
        "ExtensionMissing",
        "The server lacks an API extension that the kind or action needs; nothing was sent.",
    ),
    (
        "LXD_ERR_PROTOCOL",
        "Protocol",
        "The server's response was malformed (not HTTP, not JSON, missing fields).",
    ),
    (
        "LXD_ERR_CANCELLED",
        "Cancelled",
        "A background operation was cancelled, or a caller's callback asked to stop.",
    ),
    (
        "LXD_ERR_INTERNAL",
        "Internal",
        "A bug in liblxd (a caught Rust panic). Please report it.",
    ),
    (
        "LXD_ERR_UNSAFE_PATH",
        "UnsafePath",
        "A file transfer refused a path: a server-supplied name or symlink that would land outside the destination folder.",
    ),
    (
        "LXD_ERR_RESPONSE_TOO_LARGE",
        "ResponseTooLarge",
        "A response to be read into memory was larger than the client's `max_response_bytes` (an error document: larger than 1 MiB); it was not read.",
    ),
    (
        "LXD_ERR_OPERATION_LOST",
        "OperationLost",
        "The daemon restarted while the operation ran, or (in a cluster) the member running it went down: LXD no longer knows it or cannot reach it and never reported its end, so whether it took effect is unknown (look at the objects it was changing).",
    ),
];
