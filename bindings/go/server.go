package lxd

// #include <stdlib.h>
// #include "shims.h"
import "C"

import (
	"encoding/json"
	"runtime"
	"strings"
)

// singleton reads the one object of a singleton kind (KindInfo.Singleton:
// KindServer, KindCluster), with the kind's own C function where it has
// one, else lxd_get with the key "".
func (c *Client) singleton(kind Kind) (*Object, error) {
	info := cachedKindInfo(kind)
	if info == nil || !info.Singleton {
		return nil, argError("Client.Singleton", kind.String()+" is no singleton kind")
	}
	op := info.Class + ".Get"
	cs := cstrings{op: op}
	defer cs.free()
	noKey, err := cs.str("key", "")
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = c.do(op, func(p *C.lxd_client) C.lxd_status {
		switch kind {
		case KindServer:
			return C.lxd_server_get(p, &out)
		case KindCluster:
			return C.lxd_cluster_get(p, &out)
		}
		return C.lxd_get(p, C.lxd_kind(kind), noKey, &out)
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// Leases lists the DHCP leases of a managed network, as LXD's JSON.
func (o *Object) Leases() (json.RawMessage, error) {
	return o.docCall("Network.Leases", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_network_leases(p, a, false, out)
	})
}

// Resources gives a storage pool's usage (space and inodes, used and
// total), as LXD's JSON.
func (o *Object) Resources() (json.RawMessage, error) {
	return o.docCall("StoragePool.Resources", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_storage_pool_resources(p, a, false, out)
	})
}

// VolumeCopyOptions tune Object.CopyTo and MoveTo for a custom storage
// volume. Pool is required.
type VolumeCopyOptions struct {
	Pool string // the target server's storage pool the copy goes into
	Name string // the copy's name ("": the source's)
	// Mode, for another server: "pull" (the default), "push" or "relay"
	// (this client carries the data; it needs wait), as for instances.
	Mode       string
	VolumeOnly bool // without the snapshots
	Refresh    bool // bring an existing copy up to date
}

func (o *VolumeCopyOptions) copyOptions() (Kind, []byte) {
	if o == nil {
		return KindStorageVolume, nil
	}
	d := map[string]any{}
	if o.Name != "" {
		d["name"] = o.Name
	}
	if o.Mode != "" {
		d["mode"] = o.Mode
	}
	if o.VolumeOnly {
		d["volume_only"] = true
	}
	if o.Refresh {
		d["refresh"] = true
	}
	doc, _ := json.Marshal(d) // strings and bools
	return KindStorageVolume, doc
}

// volumeTransfer copies (or moves) this custom volume into the pool
// opts.Pool of target's server.
func (o *Object) volumeTransfer(op string, target *Client, opts *VolumeCopyOptions, wait, move bool) (*Object, error) {
	if target == nil {
		return nil, argError(op, "nil target *Client")
	}
	if opts.Pool == "" {
		return nil, argError(op, "VolumeCopyOptions.Pool names no pool")
	}
	pool, err := target.StoragePools().Get(opts.Pool)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	_, doc := opts.copyOptions()
	cs := cstrings{op: op}
	defer cs.free()
	cOpts, err := cs.json("options", doc)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = pool.h.use(op, "target pool", func(t *C.lxd_obj) error {
		return o.do(op, func(p *C.lxd_obj) C.lxd_status {
			if move {
				return C.lxd_storage_volume_move_to(p, t, cOpts, &out)
			}
			return C.lxd_storage_volume_copy_to(p, t, cOpts, C.bool(wait), &out)
		})
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// ImportVolume creates the custom volume name in this storage pool from a
// volume backup tarball at localPath (Export of a StorageVolumeBackup;
// `lxc storage volume import`), streamed from disk. With wait it returns
// the volume, loaded; without, once LXD accepted the upload. progress may
// be nil; an error from it stops the upload (ErrCancelled wrapping it).
func (o *Object) ImportVolume(localPath, name string, wait bool, progress ProgressFunc) (*Object, error) {
	const op = "StoragePool.ImportVolume"
	cs := cstrings{op: op}
	defer cs.free()
	cLocal, err := cs.str("local path", localPath)
	if err != nil {
		return nil, err
	}
	cName, err := cs.str("name", name)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = transfer(o, op, progress, func(p *C.lxd_obj, h C.uintptr_t) C.lxd_status {
		return C.lxdgo_storage_volume_import(p, cLocal, cName, C.bool(wait), h, &out)
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// TokenOptions are the options of Client.CreateCertificateToken.
type TokenOptions struct {
	Name       string   // the client name the token is for (LXD's certificate name)
	Projects   []string // the projects a restricted certificate may use
	Restricted bool
}

// CertificateToken is a certificate add token, as LXD gives it.
type CertificateToken struct {
	ID         string          `json:"id"`          // the token's operation id: for RevokeCertificateToken
	Token      string          `json:"token"`       // for Client.Authenticate of a new client
	ClientName string          `json:"client_name"` // TokenOptions.Name
	Addresses  []string        `json:"addresses"`
	ExpiresAt  string          `json:"expires_at"`
	Raw        json.RawMessage `json:"-"`
}

// CreateCertificateToken makes a one-time token (`lxc config trust add`)
// that a new client passes to Authenticate instead of the trust password:
// its certificate is trusted afterwards.
func (c *Client) CreateCertificateToken(opts TokenOptions) (*CertificateToken, error) {
	const op = "CreateCertificateToken"
	d := map[string]any{"name": opts.Name}
	if opts.Projects != nil {
		d["projects"] = opts.Projects
	}
	if opts.Restricted {
		d["restricted"] = true
	}
	doc, _ := json.Marshal(d)
	cs := cstrings{op: op}
	defer cs.free()
	cOpts, err := cs.json("options", doc)
	if err != nil {
		return nil, err
	}
	var out *C.char
	if err := c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_certificate_token_create(p, cOpts, &out) }); err != nil {
		return nil, err
	}
	raw := takeString(out)
	tok := &CertificateToken{Raw: raw}
	if err := json.Unmarshal(raw, tok); err != nil || tok.Token == "" {
		return nil, &Error{Code: StatusProtocol, Op: op, Message: "the token does not decode: " + string(raw)}
	}
	return tok, nil
}

// CertificateTokens lists the pending certificate add tokens.
func (c *Client) CertificateTokens() ([]CertificateToken, error) {
	const op = "CertificateTokens"
	var out *C.char
	if err := c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_certificate_tokens(p, &out) }); err != nil {
		return nil, err
	}
	raw := takeString(out)
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, &Error{Code: StatusProtocol, Op: op, Message: "the token list does not decode: " + string(raw)}
	}
	toks := make([]CertificateToken, len(list))
	for i, r := range list {
		if err := json.Unmarshal(r, &toks[i]); err != nil {
			return nil, &Error{Code: StatusProtocol, Op: op, Message: "a token does not decode: " + string(r)}
		}
		toks[i].Raw = r
	}
	return toks, nil
}

// RevokeCertificateToken cancels a pending token, by its ID or client name.
func (c *Client) RevokeCertificateToken(idOrName string) error {
	const op = "RevokeCertificateToken"
	cs := cstrings{op: op}
	defer cs.free()
	cID, err := cs.str("id or name", idOrName)
	if err != nil {
		return err
	}
	return c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_certificate_token_revoke(p, cID) })
}

// Resources gives the server's hardware (CPU, memory, GPUs, network
// cards, storage, …; GET /1.0/resources) as LXD's JSON.
func (c *Client) Resources() (json.RawMessage, error) {
	var out *C.char
	if err := c.do("Resources", func(p *C.lxd_client) C.lxd_status { return C.lxd_client_resources(p, &out) }); err != nil {
		return nil, err
	}
	return takeString(out), nil
}

// Metrics gives the server's metrics in the OpenMetrics text format (GET
// /1.0/metrics): HTTPS clients only, trusted.
func (c *Client) Metrics() ([]byte, error) {
	var data *C.uint8_t
	var n C.size_t
	if err := c.do("Metrics", func(p *C.lxd_client) C.lxd_status { return C.lxd_client_metrics(p, &data, &n) }); err != nil {
		return nil, err
	}
	return takeBytes(data, n), nil
}

// EventOptions are the options of Client.EventsWith.
type EventOptions struct {
	Types       []string // "lifecycle", "operation", "logging"; none: every type
	AllProjects bool     // the events of every project, whatever the client's
}

// EventsWith opens the server's event stream as Events does, with options.
func (c *Client) EventsWith(opts EventOptions) (*EventStream, error) {
	const op = "Events"
	d := map[string]any{}
	if len(opts.Types) > 0 {
		d["types"] = strings.Join(opts.Types, ",")
	}
	if opts.AllProjects {
		d["all_projects"] = true
	}
	doc, _ := json.Marshal(d)
	cs := cstrings{op: op}
	defer cs.free()
	cOpts, err := cs.json("options", doc)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_events
	if err := c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_events_open_ext(p, cOpts, &out) }); err != nil {
		return nil, err
	}
	s := &EventStream{closing: make(chan struct{})}
	s.h.set(out)
	runtime.SetFinalizer(s, (*EventStream).Close)
	return s, nil
}
