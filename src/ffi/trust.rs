//! Exports for trust tokens and the server's own documents (resources,
//! metrics).

use std::ffi::c_char;

use super::*;
use crate::trust;

lxd_export! {
    /// Make a one-time trust token for a new client (`lxc config trust add`
    /// without a certificate). The new client, on HTTPS with a certificate
    /// of its own, hands it to `lxd_client_authenticate` and is trusted.
    /// @param options_json an object: `"name"` (the client's name, needed),
    ///   and optionally `"projects"` (names) with `"restricted": true`,
    ///   `"type"` (`"client"`, the default).
    /// @param token_json receives `{"id", "token", "client_name",
    ///   "fingerprint", "addresses", "expires_at", "created_at"}`: `token`
    ///   is the string to give the new client (LXD's format, as `lxc`
    ///   prints it), `id` the pending operation, `expires_at` null for a
    ///   token that does not expire (the token string then carries Go's
    ///   zero time, as lxc's do); free with `lxd_string_free`.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (no name; unknown
    ///   option); `LXD_ERR_EXTENSION_MISSING` (no `certificate_token`, before
    ///   any request; also for the list and the revoke); LXD's errors (e.g.
    ///   a name in use by a pending token).
    fn lxd_certificate_token_create(
        client: *const lxd_client,
        options_json: *const c_char,
        token_json: *mut *mut c_char,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let opts = unsafe { arg_json(options_json, "options_json") }?;
        let out = unsafe { arg_out(token_json, "token_json") }?;
        let t = trust::create_token(&c.client, trust::TokenKind::Client, &opts)?;
        *out = c_json(&t);
        Ok(())
    }

    /// The pending trust tokens (made, not yet used, revoked or expired),
    /// as a JSON array of what `lxd_certificate_token_create` returns.
    /// @param json_out receives the array; free with `lxd_string_free`.
    fn lxd_certificate_tokens(client: *const lxd_client, json_out: *mut *mut c_char) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let out = unsafe { arg_out(json_out, "json_out") }?;
        *out = c_json(&trust::tokens(&c.client, trust::TokenKind::Client)?);
        Ok(())
    }

    /// Revoke a pending trust token, named by its `id` or its client's
    /// name: it can no longer be used.
    /// @return `LXD_OK`; `LXD_ERR_NOT_FOUND` (no such pending token).
    fn lxd_certificate_token_revoke(client: *const lxd_client, id_or_name: *const c_char) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let which = unsafe { arg_str(id_or_name, "id_or_name") }?;
        trust::revoke_token(&c.client, trust::TokenKind::Client, which)
    }

    /// Make a one-time join token for a new cluster member (`lxc cluster
    /// add NAME`): the new server hands it to `lxd_cluster_join` (as
    /// `cluster_password`) and becomes member NAME.
    /// @param options_json `{"server_name": NAME}` (needed).
    /// @param token_json receives `{"id", "token", "server_name",
    ///   "fingerprint", "addresses", "expires_at", "created_at"}`: `token`
    ///   is LXD's token string (as `lxc cluster add` prints it), `id` the
    ///   pending operation, `expires_at` null for a token that does not
    ///   expire; free with `lxd_string_free`.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (no server_name;
    ///   unknown option); `LXD_ERR_EXTENSION_MISSING` (no
    ///   `clustering_join_token`, before any request; also for the list and
    ///   the revoke); LXD's errors (not clustered; a name in use).
    fn lxd_cluster_join_token_create(
        client: *const lxd_client,
        options_json: *const c_char,
        token_json: *mut *mut c_char,
    ) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let opts = unsafe { arg_json(options_json, "options_json") }?;
        let out = unsafe { arg_out(token_json, "token_json") }?;
        let t = trust::create_token(&c.client, trust::TokenKind::Join, &opts)?;
        *out = c_json(&t);
        Ok(())
    }

    /// The pending cluster join tokens (`lxc cluster list-tokens`), as a
    /// JSON array of what `lxd_cluster_join_token_create` returns.
    /// @param json_out receives the array; free with `lxd_string_free`.
    fn lxd_cluster_join_tokens(client: *const lxd_client, json_out: *mut *mut c_char) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let out = unsafe { arg_out(json_out, "json_out") }?;
        *out = c_json(&trust::tokens(&c.client, trust::TokenKind::Join)?);
        Ok(())
    }

    /// Revoke a pending cluster join token, named by its `id` or its
    /// member's name (`lxc cluster revoke-token`).
    /// @return `LXD_OK`; `LXD_ERR_NOT_FOUND` (no such pending token).
    fn lxd_cluster_join_token_revoke(client: *const lxd_client, id_or_name: *const c_char) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let which = unsafe { arg_str(id_or_name, "id_or_name") }?;
        trust::revoke_token(&c.client, trust::TokenKind::Join, which)
    }

    /// The server's hardware (`GET /1.0/resources`: CPU, memory, GPUs,
    /// network cards, storage, USB, PCI, system) as JSON; in a cluster,
    /// the client's target member's (see `lxd_client_derive`).
    /// @param json_out receives the document; free with `lxd_string_free`.
    /// @return `LXD_OK`; `LXD_ERR_EXTENSION_MISSING` (no `resources`);
    ///   LXD's errors.
    fn lxd_client_resources(client: *const lxd_client, json_out: *mut *mut c_char) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let out = unsafe { arg_out(json_out, "json_out") }?;
        c.client.require_extension("resources")?;
        let path = c.client.with_target("/1.0/resources");
        let resp = c.client.request("GET", &path, None, &[])?;
        *out = c_json(&resp.into_metadata());
        Ok(())
    }

    /// The server's metrics (`GET /1.0/metrics`, OpenMetrics text: the
    /// client's project's instances): over the unix socket, or over HTTPS
    /// to a trusted certificate (of type `metrics` or `client`).
    /// @param data receives the text followed by a NUL that is not counted;
    ///   free with `lxd_bytes_free`.
    /// @param len receives its length.
    /// @return `LXD_OK`; `LXD_ERR_EXTENSION_MISSING` (no `metrics`);
    ///   `LXD_ERR_FORBIDDEN` (an untrusted client); LXD's errors.
    fn lxd_client_metrics(client: *const lxd_client, data: *mut *mut u8, len: *mut usize) -> lxd_status {
        let c = unsafe { arg_ref(client, "client") }?;
        let data = unsafe { arg_out(data, "data") }?;
        let len = unsafe { arg_out(len, "len") }?;
        c.client.require_extension("metrics")?;
        let bytes = c.client.get_bytes(&c.client.with_project("/1.0/metrics"))?;
        let (p, n) = bytes_to_c(bytes)?;
        *data = p;
        *len = n;
        Ok(())
    }
}
