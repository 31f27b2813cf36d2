//! Exports for clients, the generic managers and the raw API.

use std::ffi::c_char;

use super::*;
use crate::client::{Client, Options};
use crate::kinds::Kind;
use crate::model::Object;

/// A connection to one LXD daemon (opaque). Create with `lxd_client_new`,
/// free with `lxd_client_free`. A client is safe to use from many threads
/// at once; it keeps connections alive and reuses them. Objects made from a
/// client keep what they need of it alive, so they may outlive the handle.
pub struct lxd_client {
    pub(crate) client: Client,
}

/// The kind of an LXD object, as passed to the generic managers. Values are fixed.
pub type lxd_kind = i32;

pub(crate) fn arg_kind(kind: lxd_kind) -> Result<Kind> {
    Kind::from_i32(kind).ok_or_else(|| {
        Error::invalid(format!(
            "{kind} is not an lxd_kind (0 to LXD_KIND_COUNT - 1 = {})",
            Kind::COUNT - 1
        ))
    })
}

lxd_export! {
    /// Open a client and check the daemon answers (`GET /1.0`, as pylxd does).
    ///
    /// @param endpoint NULL for the local daemon (`$LXD_DIR/unix.socket`, else
    ///   `/var/snap/lxd/common/lxd/unix.socket` if present, else
    ///   `/var/lib/lxd/unix.socket`); a unix socket path (optionally `unix:`-prefixed);
    ///   or `https://host[:port]` (port 8443 by default); or the members of one
    ///   cluster separated by commas (`"https://10.0.0.1:8443,https://10.0.0.2:8443"`).
    /// @param options_json NULL, or a JSON object with any of: `"cert"` and `"key"`
    ///   (PEM file paths of a client certificate), `"verify"` (bool, default true;
    ///   false accepts any server certificate), `"server_cert"` (PEM path: trust
    ///   exactly this server certificate, as LXD's own clients pin a self-signed
    ///   server; overrides `verify`), `"timeout_ms"` (the longest one connect,
    ///   read or write may wait, default 30000), `"deadline_ms"` (the longest one
    ///   whole call may take, start to end, waits and transfers included; default
    ///   none), `"max_response_bytes"` (the largest response read into memory,
    ///   default 67108864 = 64 MiB), `"project"` (project for project-scoped calls
    ///   and the raw API), `"target"` (a cluster member's name, or `"@group"`:
    ///   where new instances are placed, and whose member-specific state —
    ///   storage volumes and pools, networks, the server's config, resources —
    ///   calls read and change; see `lxd_client_derive`), `"endpoints"` (an
    ///   array of more member URLs of the same cluster, after those of
    ///   `endpoint`; with NULL `endpoint`, only these), `"failover"` (true or
    ///   `"on"`, the default, / false or `"off"`; see below). Numbers are
    ///   positive integers. Unknown keys are rejected.
    ///
    /// Several endpoints (one cluster: every member serves the same API and
    /// certificate, so `server_cert` pins `cluster.crt`): requests go to the
    /// first member, in the order given, that has not failed lately. When it
    /// stops answering (connection refused or reset, `timeout_ms` passed) it
    /// is left alone for a back-off (0.5 s, doubling up to 8 s, reset when it
    /// answers again) and the request goes to the next member — when that is
    /// safe: always if no connection carried it; once sent, only GET/HEAD,
    /// and PUT/PATCH/DELETE guarded by an ETag (`lxd_obj_save` sends one).
    /// Any other request that may have reached the member (a POST: a create,
    /// a rename, an exec) is never resent: it fails with `LXD_ERR_CONNECTION`
    /// and a message saying it may have been applied; the next call goes to
    /// the next member. Once its back-off is over a member is first choice
    /// again. Operations live on the member that runs them: a wait moves on
    /// with the client and goes on as long as that member runs; if it is the
    /// member that went down, the wait ends with `LXD_ERR_OPERATION_LOST` (or
    /// `LXD_ERR_TIMEOUT` at the caller's limit). A member that has just
    /// started may hold a wait for LXD's 10 s before it can follow another
    /// member's operation; the wait then reads the operation and goes on.
    /// With `"failover": "off"` only the first endpoint is used.
    /// `lxd_client_endpoint` names the one in use.
    /// @param out receives the new client; free it with `lxd_client_free`.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (NULL `out`, bad endpoint or
    ///   options); `LXD_ERR_CONNECTION` (daemon unreachable); `LXD_ERR_TLS` (also
    ///   a certificate or key file that cannot be read or parsed: the message
    ///   names the file and the problem, never its content); `LXD_ERR_TIMEOUT`;
    ///   `LXD_ERR_PROTOCOL` (not an LXD server).
    /// Blocks for one request (bounded by `timeout_ms` and `deadline_ms`).
    fn lxd_client_new(
        endpoint: *const c_char,
        options_json: *const c_char,
        out: *mut *mut lxd_client,
    ) -> lxd_status {
        let out = unsafe { arg_out(out, "out") }?;
        let endpoint = unsafe { arg_opt_str(endpoint, "endpoint") }?;
        let options = Options::from_json(unsafe { arg_opt_str(options_json, "options_json") }?)?;
        let client = Client::new(endpoint, &options)?;
        *out = Box::into_raw(Box::new(lxd_client { client }));
        Ok(())
    }
}

lxd_export! {
    /// A client on the same connections, members and options as `client`,
    /// with another project or cluster target: what the Go client's
    /// `UseProject`/`UseTarget` and pylxd's per-project clients do, without
    /// a parameter on every call. Objects fetched through the new client
    /// keep its project and target.
    ///
    /// @param options_json a JSON object with `"project"` and/or `"target"`:
    ///   a non-empty string (a project; a member's name or `"@group"`), or null to drop
    ///   `client`'s; keys left out keep `client`'s. Other keys are rejected.
    /// @param out receives the new client; free it with `lxd_client_free`
    ///   (independently of `client`).
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT`. No request is made.
    fn lxd_client_derive(
        client: *const lxd_client,
        options_json: *const c_char,
        out: *mut *mut lxd_client,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let out = unsafe { arg_out(out, "out") }?;
        let text = unsafe { arg_str(options_json, "options_json") }?;
        let (project, target) = derive_options(text)?;
        *out = Box::into_raw(Box::new(lxd_client { client: c.client.derive(project, target) }));
        Ok(())
    }
}

/// `{"project": …, "target": …}` of `lxd_client_derive`: for each, None
/// (left out), Some(None) (null) or Some(Some(name)).
type Derived = (Option<Option<String>>, Option<Option<String>>);

fn derive_options(text: &str) -> crate::error::Result<Derived> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid(format!("options are not valid JSON: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(Error::invalid("options must be a JSON object"));
    };
    let (mut project, mut target) = (None, None);
    for (k, v) in map {
        let val = match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) if !s.is_empty() => Some(s),
            _ => {
                return Err(Error::invalid(format!(
                    "option {k:?} must be a non-empty string or null"
                )));
            }
        };
        match k.as_str() {
            "project" => project = Some(val),
            "target" => target = Some(val),
            other => return Err(Error::invalid(format!("unknown option {other:?}"))),
        }
    }
    Ok((project, target))
}

lxd_export! {
    /// The endpoint of `client` that answered its last request: with
    /// several members (see `lxd_client_new`), the member in use, e.g.
    /// `"https://10.0.0.2:8443"` (before any request but the first: the
    /// first endpoint); a socket path for a unix socket. No request is
    /// made; the next request may go to a preferred member whose back-off
    /// is over.
    /// @param out receives the text; free with `lxd_string_free`.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (NULL arguments).
    fn lxd_client_endpoint(client: *const lxd_client, out: *mut *mut c_char) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let out = unsafe { arg_out(out, "out") }?;
        let text = match c.client.endpoint() {
            crate::transport::Endpoint::Unix(p) => p.display().to_string(),
            e @ crate::transport::Endpoint::Https { .. } => format!("https://{}", e.host_header()),
        };
        *out = c_string(text);
        Ok(())
    }
}

lxd_export! {
    /// Free a client. NULL is a no-op. Objects and lists made from it stay valid.
    fn lxd_client_free(client: *mut lxd_client) {
        if !client.is_null() {
            drop(unsafe { Box::from_raw(client) });
        }
    }
}

lxd_export! {
    /// The server's information (`GET /1.0` metadata: `api_extensions`,
    /// `environment`, `auth`, …) as JSON, freshly read.
    ///
    /// @param json_out receives a string to free with `lxd_string_free`.
    /// @return `LXD_OK`, `LXD_ERR_INVALID_ARGUMENT`, or a transport/API error.
    fn lxd_client_host_info(
        client: *const lxd_client,
        json_out: *mut *mut c_char,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let out = unsafe { arg_out(json_out, "json_out") }?;
        let info = c.client.refresh_host_info()?;
        *out = c_json(&info);
        Ok(())
    }
}

lxd_export! {
    /// Whether the server has the API extension `name` (as of the client's
    /// creation or last `lxd_client_host_info`). False for NULL arguments. Does not block.
    fn lxd_client_has_api_extension(
        client: *const lxd_client,
        name: *const c_char,
    ) -> bool = false; {
        let (Ok(c), Ok(name)) = (unsafe { arg_ref(client, "client") }, unsafe {
            arg_str(name, "name")
        }) else {
            return false;
        };
        c.client.has_api_extension(name)
    }
}

lxd_export! {
    /// Whether the server trusts this client (`auth` is `"trusted"`), as of the
    /// client's creation or last `lxd_client_host_info`. False for NULL. Does not block.
    fn lxd_client_trusted(client: *const lxd_client) -> bool = false; {
        unsafe { client.as_ref() }.is_some_and(|c| c.client.trusted())
    }
}

lxd_export! {
    /// The raw API, like pylxd's `client.api`: send `method` to `path` and
    /// return the whole response document (`type`, `status`, `metadata`, …).
    ///
    /// @param method `GET`, `POST`, `PUT`, `PATCH`, `DELETE` or `HEAD` (a HEAD
    ///   answers `{"type":"sync","status_code":…}`: LXD sends no body; LXD 5.0.2
    ///   answers HEAD only for instance files, else `LXD_ERR_API` with HTTP 501).
    /// @param path e.g. `"/1.0/instances?recursion=1"`; the client's project is
    ///   added unless the path names one.
    /// @param body_json NULL for no body, or JSON text.
    /// @param response_json receives the document; free with `lxd_string_free`.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (NULL, bad method or path,
    ///   body not JSON); an error response maps to its code (`LXD_ERR_NOT_FOUND`, …)
    ///   with the server's message in `lxd_last_error_message`. Does not wait for
    ///   background operations: an async response is returned as is.
    fn lxd_api(
        client: *const lxd_client,
        method: *const c_char,
        path: *const c_char,
        body_json: *const c_char,
        response_json: *mut *mut c_char,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let method = unsafe { arg_str(method, "method") }?;
        let path = unsafe { arg_str(path, "path") }?;
        let body = unsafe { arg_opt_str(body_json, "body_json") }?;
        let out = unsafe { arg_out(response_json, "response_json") }?;
        let doc = c.client.api(method, path, body)?;
        *out = c_json(&doc);
        Ok(())
    }
}

lxd_export! {
    /// Fetch one object of a top-level `kind` by its key (name; fingerprint
    /// for images and certificates; id for operations), fully loaded and with
    /// its ETag. Kinds that live under another object (snapshots, backups)
    /// are reached with `lxd_child_get` (here: `LXD_ERR_INVALID_ARGUMENT`).
    ///
    /// @param out receives the object; free with `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_NOT_FOUND` (no such object; for the container and
    ///   virtual-machine kinds also an instance of the other type);
    ///   `LXD_ERR_INVALID_ARGUMENT`; transport/API errors. Blocks for one request.
    fn lxd_get(
        client: *const lxd_client,
        kind: lxd_kind,
        key: *const c_char,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let kind = arg_kind(kind)?;
        let key = unsafe { arg_str(key, "key") }?;
        let out = unsafe { arg_out(out, "out") }?;
        *out = lxd_obj::boxed(Object::get(&c.client, kind, key)?);
        Ok(())
    }
}

lxd_export! {
    /// Whether an object of `kind` with this key exists.
    ///
    /// @param out receives true or false (only on `LXD_OK`).
    /// @return `LXD_OK` (a 404 is `*out = false`, not an error), or an error.
    fn lxd_exists(
        client: *const lxd_client,
        kind: lxd_kind,
        key: *const c_char,
        out: *mut bool,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let kind = arg_kind(kind)?;
        let key = unsafe { arg_str(key, "key") }?;
        let out = unsafe { arg_out(out, "out") }?;
        *out = Object::exists(&c.client, kind, key)?;
        Ok(())
    }
}

lxd_export! {
    /// All objects of `kind` (in the client's project, for project-scoped
    /// kinds), fully loaded, in one request (`recursion=1`). Their ETags are not
    /// known; `lxd_obj_save` protects them by re-reading first (see there).
    ///
    /// @param out receives the list; free with `lxd_list_free`.
    fn lxd_all(
        client: *const lxd_client,
        kind: lxd_kind,
        out: *mut *mut lxd_list,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let kind = arg_kind(kind)?;
        let out = unsafe { arg_out(out, "out") }?;
        let items = Object::all(&c.client, kind)?
            .into_iter()
            .map(|obj| lxd_obj { obj })
            .collect();
        *out = Box::into_raw(Box::new(lxd_list { items }));
        Ok(())
    }
}

lxd_export! {
    /// Create an object from `definition_json`, the body of LXD's `POST` for
    /// that kind (e.g. for a container `{"name":"c1","source":{"type":"image",
    /// "alias":"busybox"}}`; the container and virtual-machine kinds fill in
    /// `type`).
    ///
    /// @param wait true: return once the server has finished creating it, with
    ///   the object loaded. false: return as soon as LXD has accepted the
    ///   request; the object then holds the background operation (get it with
    ///   `lxd_obj_operation`), and its attributes load on first read.
    /// @param out receives the object; free with `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (NULL, JSON that does not
    ///   parse or is not an object, no name, operations); an object that
    ///   already exists gives LXD's answer with its message: `LXD_ERR_CONFLICT`
    ///   (LXD 5.0.2: projects, storage pools, certificates), `LXD_ERR_API`
    ///   (profiles, networks) or `LXD_ERR_OPERATION_FAILED` (instances, which LXD
    ///   creates in a background operation); transport/API errors.
    fn lxd_create(
        client: *const lxd_client,
        kind: lxd_kind,
        definition_json: *const c_char,
        wait: bool,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let kind = arg_kind(kind)?;
        let def = unsafe { arg_json(definition_json, "definition_json") }?;
        let out = unsafe { arg_out(out, "out") }?;
        *out = lxd_obj::boxed(Object::create(&c.client, kind, &def, wait)?);
        Ok(())
    }
}

lxd_export! {
    /// Fetch the image an alias points at (like pylxd's `images.get_by_alias`).
    ///
    /// @param out receives the image; free with `lxd_obj_free`.
    /// @return `LXD_OK`; `LXD_ERR_NOT_FOUND` (no such alias); `LXD_ERR_INVALID_ARGUMENT`;
    ///   transport/API errors. Blocks for two requests.
    fn lxd_image_get_by_alias(
        client: *const lxd_client,
        alias: *const c_char,
        out: *mut *mut lxd_obj,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let alias = unsafe { arg_str(alias, "alias") }?;
        let out = unsafe { arg_out(out, "out") }?;
        *out = lxd_obj::boxed(Object::image_by_alias(&c.client, alias)?);
        Ok(())
    }
}

lxd_export! {
    /// Ask the server to trust this client's certificate, giving LXD's trust
    /// password (`core.trust_password`), like pylxd's `client.authenticate`.
    /// Afterwards `lxd_client_trusted` is true. Nothing is sent when the client
    /// is trusted already.
    ///
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (NULL, or not an HTTPS client
    ///   with a client certificate); `LXD_ERR_FORBIDDEN` (wrong password), with
    ///   LXD's message; transport errors. Blocks for two requests.
    fn lxd_client_authenticate(
        client: *const lxd_client,
        password: *const c_char,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let password = unsafe { arg_str(password, "password") }?;
        c.client.authenticate(password)
    }
}
