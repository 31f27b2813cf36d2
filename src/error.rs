//! The one error type of the core, and the mapping from LXD's error
//! responses, HTTP statuses and transport failures onto it.

use std::fmt;

/// What went wrong, coarse enough for a caller to act on.
///
/// Every variant has exactly one `lxd_status` code in the C API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    InvalidArgument,
    Connection,
    Tls,
    Timeout,
    NotFound,
    Conflict,
    PreconditionFailed,
    Forbidden,
    Api,
    OperationFailed,
    UnknownAttribute,
    ReadOnly,
    ExtensionMissing,
    Protocol,
    Cancelled,
    Internal,
    UnsafePath,
    ResponseTooLarge,
    OperationLost,
}

/// An error with its kind, a human message (the server's own text where the
/// server sent one) and the HTTP status of the response that carried it
/// (0 when no HTTP response was involved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub http_status: u16,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// This error as `Conflict` when it is of one of `kinds` and LXD's
    /// message says the thing already exists (LXD 5.0.2 answers a taken
    /// name with a bare HTTP 500 or a failed operation).
    pub(crate) fn conflict_if_exists(self, kinds: &[ErrorKind]) -> Error {
        if kinds.contains(&self.kind) && self.message.contains("already exists") {
            Error {
                kind: ErrorKind::Conflict,
                ..self
            }
        } else {
            self
        }
    }

    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            http_status: 0,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub fn protocol(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Protocol, message)
    }

    /// The error for an HTTP error response: the kind follows the status
    /// code (LXD's `error_code` mirrors it), the message is the server's.
    pub fn from_http(status: u16, server_message: &str) -> Error {
        let kind = match status {
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            412 => ErrorKind::PreconditionFailed,
            403 | 401 => ErrorKind::Forbidden,
            _ => ErrorKind::Api,
        };
        let message = if server_message.is_empty() {
            format!("HTTP {status} with no error message")
        } else {
            server_message.to_string()
        };
        Error {
            kind,
            message,
            http_status: status,
        }
    }

    /// The error for an I/O failure while talking to the server.
    pub fn from_io(context: &str, err: &std::io::Error) -> Error {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::TimedOut | Io::WouldBlock => ErrorKind::Timeout,
            Io::InvalidData
                if err
                    .get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
            {
                ErrorKind::Tls
            }
            _ => ErrorKind::Connection,
        };
        let what = match kind {
            ErrorKind::Timeout => "timed out",
            ErrorKind::Tls => "TLS failure",
            _ => "connection failure",
        };
        Error::new(kind, format!("{context}: {what}: {err}"))
    }

    /// An error of the local file system (a file to push, a folder to pull
    /// into), as opposed to the connection.
    pub fn from_local_io(context: &str, err: &std::io::Error) -> Error {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::NotFound => ErrorKind::NotFound,
            Io::PermissionDenied => ErrorKind::Forbidden,
            Io::AlreadyExists => ErrorKind::Conflict,
            _ => ErrorKind::InvalidArgument,
        };
        Error::new(kind, format!("{context}: {err}"))
    }

    pub fn with_context(mut self, context: &str) -> Error {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_map_to_kinds() {
        assert_eq!(Error::from_http(404, "not found").kind, ErrorKind::NotFound);
        assert_eq!(Error::from_http(409, "x").kind, ErrorKind::Conflict);
        assert_eq!(
            Error::from_http(412, "x").kind,
            ErrorKind::PreconditionFailed
        );
        assert_eq!(Error::from_http(403, "x").kind, ErrorKind::Forbidden);
        assert_eq!(Error::from_http(400, "x").kind, ErrorKind::Api);
        assert_eq!(Error::from_http(500, "x").kind, ErrorKind::Api);
        let e = Error::from_http(404, "Instance not found");
        assert_eq!(e.message, "Instance not found");
        assert_eq!(e.http_status, 404);
        assert!(Error::from_http(500, "").message.contains("500"));
    }

    #[test]
    fn io_errors_map_to_kinds() {
        let t = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        assert_eq!(Error::from_io("GET /1.0", &t).kind, ErrorKind::Timeout);
        let r = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "no");
        let e = Error::from_io("connect", &r);
        assert_eq!(e.kind, ErrorKind::Connection);
        assert!(e.message.starts_with("connect: "));
        let tls = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::General("bad cert".into()),
        );
        assert_eq!(Error::from_io("handshake", &tls).kind, ErrorKind::Tls);
    }
}
