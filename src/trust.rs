//! One-time tokens: trust tokens, with which a client gets its certificate
//! trusted (`lxc config trust add` without a certificate, then `lxc remote
//! add NAME TOKEN`), and cluster join tokens, with which a new member joins
//! (`lxc cluster add NAME`). A token is a pending operation of the server;
//! the string handed over is LXD's: base64 of a JSON document with whom it
//! is for, the server's fingerprint and addresses, the secret and the
//! expiry.

use serde_json::{Map, Value, json};

use crate::client::{Client, encode_component};
use crate::error::{Error, ErrorKind, Result};

/// Standard base64 with padding (what LXD's tokens use).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The two kinds of one-time tokens LXD hands out as pending operations
/// of class "token".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A trust token for a new client (`POST /1.0/certificates` with
    /// `token: true`; its metadata keeps the request).
    Client,
    /// A join token for a new cluster member (`POST /1.0/cluster/members`;
    /// its metadata names the member to be, `serverName`).
    Join,
}

impl TokenKind {
    /// The attribute naming whom the token is for, in what callers get
    /// and in the token string.
    fn name_field(self) -> &'static str {
        match self {
            TokenKind::Client => "client_name",
            TokenKind::Join => "server_name",
        }
    }

    /// The API extension tokens of this kind need.
    fn extension(self) -> &'static str {
        match self {
            TokenKind::Client => "certificate_token",
            TokenKind::Join => "clustering_join_token",
        }
    }

    fn what(self) -> &'static str {
        match self {
            TokenKind::Client => "trust token",
            TokenKind::Join => "cluster join token",
        }
    }

    /// Whether a token operation's metadata is one of this kind.
    fn is(self, meta: &Map<String, Value>) -> bool {
        meta.contains_key("secret")
            && match self {
                TokenKind::Client => meta.contains_key("request"),
                TokenKind::Join => meta.contains_key("serverName"),
            }
    }

    /// Whom the token is for and its expiry, from a token operation's
    /// metadata (LXD 5.0.2 keeps a client token's request, and
    /// `expiresAt` when tokens expire).
    fn name_and_expiry(self, meta: &Map<String, Value>) -> (Value, Value) {
        let name = match self {
            TokenKind::Client => meta
                .get("client_name")
                .or_else(|| meta.get("request").and_then(|r| r.get("name"))),
            TokenKind::Join => meta.get("server_name").or_else(|| meta.get("serverName")),
        }
        .cloned()
        .unwrap_or(Value::Null);
        let expiry = meta
            .get("expires_at")
            .or_else(|| meta.get("expiresAt"))
            .cloned()
            .unwrap_or(Value::Null);
        (name, expiry)
    }

    /// The token string of a token operation's metadata.
    fn token_string(self, meta: &Map<String, Value>) -> Option<String> {
        let (name, expiry) = self.name_and_expiry(meta);
        // The fields of LXD's CertificateAddToken / ClusterMemberJoinToken,
        // in its order; a token that does not expire carries Go's zero
        // time, as lxc's do.
        // Written by hand: a serde_json Map sorts its keys.
        let expiry = if expiry.is_null() {
            json!("0001-01-01T00:00:00Z")
        } else {
            expiry
        };
        let field = |k: &str, v: &Value| format!("{}:{}", Value::String(k.into()), v);
        let doc = format!(
            "{{{},{},{},{},{}}}",
            field(self.name_field(), &name),
            field("fingerprint", meta.get("fingerprint")?),
            field("addresses", meta.get("addresses")?),
            field("secret", meta.get("secret")?),
            field("expires_at", &expiry)
        );
        Some(base64(doc.as_bytes()))
    }

    /// What callers get for a token: the token string and what it says.
    fn describe(self, op: &Map<String, Value>) -> Option<Value> {
        let meta = op.get("metadata")?.as_object()?;
        let (name, expiry) = self.name_and_expiry(meta);
        let mut out = Map::new();
        out.insert("id".into(), op.get("id")?.clone());
        out.insert("token".into(), Value::String(self.token_string(meta)?));
        out.insert(self.name_field().into(), name);
        out.insert(
            "fingerprint".into(),
            meta.get("fingerprint").cloned().unwrap_or_default(),
        );
        out.insert(
            "addresses".into(),
            meta.get("addresses").cloned().unwrap_or_default(),
        );
        out.insert("expires_at".into(), expiry);
        out.insert(
            "created_at".into(),
            op.get("created_at").cloned().unwrap_or_default(),
        );
        Some(Value::Object(out))
    }
}

/// Make a token: for a client named `options.name` (and optionally
/// `projects`, `restricted`, `type`), or for a member `options.server_name`.
pub fn create_token(client: &Client, kind: TokenKind, options: &Value) -> Result<Value> {
    client.require_extension(kind.extension())?;
    let Value::Object(opts) = options else {
        return Err(Error::invalid("token options must be a JSON object"));
    };
    let (known, needed, path): (&[&str], &str, &str) = match kind {
        TokenKind::Client => (
            &["name", "projects", "restricted", "type"],
            "name",
            "/1.0/certificates",
        ),
        TokenKind::Join => (&["server_name"], "server_name", "/1.0/cluster/members"),
    };
    if let Some(k) = opts.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Error::invalid(format!(
            "unknown token option {k:?} (known: {})",
            known.join(", ")
        )));
    }
    if opts
        .get(needed)
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(Error::invalid(format!(
            "a {} needs the {needed:?} it is for",
            kind.what()
        )));
    }
    let mut body = opts.clone();
    if kind == TokenKind::Client {
        body.insert("token".into(), Value::Bool(true));
        body.entry("type").or_insert(json!("client"));
    }
    let resp = client.request("POST", path, Some(&Value::Object(body)), &[])?;
    match resp.metadata() {
        Value::Object(op) => kind.describe(op),
        _ => None,
    }
    .ok_or_else(|| {
        Error::protocol(format!(
            "the server's token operation did not describe a {}",
            kind.what()
        ))
    })
}

/// The pending tokens of a kind (not used yet, not expired, not revoked).
pub fn tokens(client: &Client, kind: TokenKind) -> Result<Value> {
    client.require_extension(kind.extension())?;
    let resp = client.request("GET", "/1.0/operations?recursion=1", None, &[])?;
    let mut out = Vec::new();
    if let Value::Object(groups) = resp.into_metadata() {
        for op in groups.values().filter_map(Value::as_array).flatten() {
            let Some(op) = op.as_object() else { continue };
            let meta = op.get("metadata").and_then(Value::as_object);
            let is_token = op.get("class").and_then(Value::as_str) == Some("token")
                && op.get("status").and_then(Value::as_str) == Some("Running")
                && meta.is_some_and(|m| kind.is(m));
            if let Some(t) = is_token.then(|| kind.describe(op)).flatten() {
                out.push(t);
            }
        }
    }
    Ok(Value::Array(out))
}

/// Revoke a pending token, by its operation id or whom it is for.
pub fn revoke_token(client: &Client, kind: TokenKind, id_or_name: &str) -> Result<()> {
    let Value::Array(list) = tokens(client, kind)? else {
        return Err(Error::protocol("no token list"));
    };
    let id = list
        .iter()
        .find(|t| {
            t.get("id").and_then(Value::as_str) == Some(id_or_name)
                || t.get(kind.name_field()).and_then(Value::as_str) == Some(id_or_name)
        })
        .and_then(|t| t.get("id").and_then(Value::as_str))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("no pending {} {id_or_name:?}", kind.what()),
            )
        })?;
    let path = format!("/1.0/operations/{}", encode_component(id));
    client.request("DELETE", &path, None, &[])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_need_their_extension_before_any_request() {
        // An offline client: a request would fail with a connection error.
        let c = Client::offline_knowing(&["certificate_token"]);
        let e = create_token(&c, TokenKind::Join, &json!({"server_name": "m4"})).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ExtensionMissing);
        assert_eq!(
            tokens(&c, TokenKind::Join).unwrap_err().kind,
            ErrorKind::ExtensionMissing
        );
        assert_eq!(
            revoke_token(&c, TokenKind::Join, "m4").unwrap_err().kind,
            ErrorKind::ExtensionMissing
        );
        let e = create_token(&c, TokenKind::Client, &json!({"name": "x"})).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Connection);
    }

    #[test]
    fn token_strings_keep_lxds_field_order() {
        let meta = json!({"serverName": "m4", "fingerprint": "ab", "addresses": ["a:1"],
                          "secret": "s", "expiresAt": "2026-12-01T00:00:00Z"});
        let t = TokenKind::Join
            .token_string(meta.as_object().unwrap())
            .unwrap();
        assert_eq!(
            t,
            base64(br#"{"server_name":"m4","fingerprint":"ab","addresses":["a:1"],"secret":"s","expires_at":"2026-12-01T00:00:00Z"}"#)
        );
    }

    #[test]
    fn base64_is_the_standard_alphabet_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }
}
