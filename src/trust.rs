//! Trust tokens: one-time tokens with which a client gets its certificate
//! trusted (`lxc config trust add` without a certificate, then `lxc remote
//! add NAME TOKEN`). A token is a pending operation of the server; the
//! string handed to the new client is LXD's: base64 of a JSON document
//! with the client's name, the server's fingerprint and addresses, the
//! secret and the expiry.

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

/// The client's name and expiry in a token operation's metadata (LXD
/// 5.0.2 keeps the request, and `expiresAt` when tokens expire).
fn name_and_expiry(meta: &Map<String, Value>) -> (Value, Value) {
    let name = meta
        .get("client_name")
        .or_else(|| meta.get("request").and_then(|r| r.get("name")))
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
fn token_string(meta: &Map<String, Value>) -> Option<String> {
    let (name, expiry) = name_and_expiry(meta);
    // The fields of LXD's CertificateAddToken, in its order; a token that
    // does not expire carries Go's zero time, as lxc's do.
    // Written by hand: a serde_json Map sorts its keys, and the token is
    // then not the string lxc prints (it still works).
    let expiry = if expiry.is_null() {
        json!("0001-01-01T00:00:00Z")
    } else {
        expiry
    };
    let field = |k: &str, v: &Value| format!("{}:{}", Value::String(k.into()), v);
    let doc = format!(
        "{{{},{},{},{},{}}}",
        field("client_name", &name),
        field("fingerprint", meta.get("fingerprint")?),
        field("addresses", meta.get("addresses")?),
        field("secret", meta.get("secret")?),
        field("expires_at", &expiry)
    );
    Some(base64(doc.as_bytes()))
}

/// What callers get for a token: the token string and what it says.
fn describe(op: &Map<String, Value>) -> Option<Value> {
    let meta = op.get("metadata")?.as_object()?;
    let (name, expiry) = name_and_expiry(meta);
    Some(json!({
        "id": op.get("id")?,
        "token": token_string(meta)?,
        "client_name": name,
        "fingerprint": meta.get("fingerprint"),
        "addresses": meta.get("addresses"),
        "expires_at": expiry,
        "created_at": op.get("created_at"),
    }))
}

/// Make a token for a client named `options.name` (and optionally
/// `projects`, `restricted`, `type`).
pub fn create_token(client: &Client, options: &Value) -> Result<Value> {
    let Value::Object(opts) = options else {
        return Err(Error::invalid("token options must be a JSON object"));
    };
    const KNOWN: [&str; 4] = ["name", "projects", "restricted", "type"];
    if let Some(k) = opts.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(Error::invalid(format!(
            "unknown token option {k:?} (known: {})",
            KNOWN.join(", ")
        )));
    }
    if opts
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(Error::invalid(
            "a token needs the \"name\" of the client it is for",
        ));
    }
    let mut body = opts.clone();
    body.insert("token".into(), Value::Bool(true));
    body.entry("type").or_insert(json!("client"));
    let resp = client.request("POST", "/1.0/certificates", Some(&Value::Object(body)), &[])?;
    match resp.metadata() {
        Value::Object(op) => describe(op),
        _ => None,
    }
    .ok_or_else(|| Error::protocol("the server's token operation did not describe a token"))
}

/// The pending tokens (not used yet, not expired, not revoked).
pub fn tokens(client: &Client) -> Result<Value> {
    let resp = client.request("GET", "/1.0/operations?recursion=1", None, &[])?;
    let mut out = Vec::new();
    if let Value::Object(groups) = resp.into_metadata() {
        for op in groups.values().filter_map(Value::as_array).flatten() {
            let Some(op) = op.as_object() else { continue };
            // A certificate token: class "token" with a secret and the
            // certificate request (cluster join tokens name no request).
            let meta = op.get("metadata").and_then(Value::as_object);
            let is_token = op.get("class").and_then(Value::as_str) == Some("token")
                && op.get("status").and_then(Value::as_str) == Some("Running")
                && meta.is_some_and(|m| m.contains_key("secret") && m.contains_key("request"));
            if let Some(t) = is_token.then(|| describe(op)).flatten() {
                out.push(t);
            }
        }
    }
    Ok(Value::Array(out))
}

/// Revoke a pending token, by its operation id or its client's name.
pub fn revoke_token(client: &Client, id_or_name: &str) -> Result<()> {
    let Value::Array(list) = tokens(client)? else {
        return Err(Error::protocol("no token list"));
    };
    let id = list
        .iter()
        .find(|t| {
            t.get("id").and_then(Value::as_str) == Some(id_or_name)
                || t.get("client_name").and_then(Value::as_str) == Some(id_or_name)
        })
        .and_then(|t| t.get("id").and_then(Value::as_str))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("no pending trust token {id_or_name:?}"),
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
    fn base64_is_the_standard_alphabet_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }
}
