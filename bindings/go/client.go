package lxd

// #include <stdlib.h>
// #include <lxd.h>
import "C"

import (
	"encoding/json"
	"runtime"
	"time"
)

// Options configure a Client. The zero value (or nil) gives the defaults.
type Options struct {
	// Cert and Key are the PEM files of a client certificate (HTTPS).
	Cert, Key string
	// Verify checks the server's certificate against the system's roots;
	// nil means true. Ptr(false) accepts any server certificate.
	Verify *bool
	// ServerCert is a PEM file: trust exactly this server certificate (as
	// LXD's own clients pin a self-signed server). It overrides Verify.
	ServerCert string
	// Timeout bounds each connect, network read or write (0: liblxd's
	// default, 30 s).
	Timeout time.Duration
	// Deadline bounds one whole call, start to end (NewClient included):
	// every request, wait and transfer of it counts, and the call then
	// fails with ErrTimeout; an Exec or ExecStream without its own
	// ExecOptions.Timeout kills the command. EventStream.Next and a
	// Session's reads and waits take their own timeouts and no other.
	// 0 (or less): none.
	Deadline time.Duration
	// MaxResponseBytes is the largest response read into memory (0 or less:
	// liblxd's default, 64 MiB); a larger one fails the call with
	// ErrResponseTooLarge and is not read. NewClient reads GET /1.0 (a few
	// KiB), so a very small value fails NewClient itself. File transfers
	// stream to and from disk and have no such cap.
	MaxResponseBytes int64
	// Project is the project for project-scoped calls and the raw API.
	Project string
	// Endpoints are more members of the same cluster, tried after those of
	// NewClient's endpoint (with endpoint "", only these). Every member
	// serves the cluster's certificate: ServerCert pins cluster.crt.
	Endpoints []string
	// Failover: nil or Ptr(true), the default, moves requests to the next
	// endpoint when one stops answering (see NewClient); Ptr(false) uses
	// the first endpoint only.
	Failover *bool
	// Target is a cluster member's name, or "@group": new instances are
	// placed there, and storage pools and volumes, networks, the server's
	// config and Resources are that member's. "" lets LXD choose. See also
	// Client.Derive.
	Target string
}

// optionsJSON marshals the options to liblxd's options_json.
func (o *Options) optionsJSON() []byte {
	if o == nil {
		return nil
	}
	doc := struct {
		Cert       string   `json:"cert,omitempty"`
		Key        string   `json:"key,omitempty"`
		Verify     *bool    `json:"verify,omitempty"`
		ServerCert string   `json:"server_cert,omitempty"`
		TimeoutMS  int64    `json:"timeout_ms,omitempty"`
		DeadlineMS int64    `json:"deadline_ms,omitempty"`
		MaxBytes   int64    `json:"max_response_bytes,omitempty"`
		Project    string   `json:"project,omitempty"`
		Endpoints  []string `json:"endpoints,omitempty"`
		Failover   *bool    `json:"failover,omitempty"`
		Target     string   `json:"target,omitempty"`
	}{o.Cert, o.Key, o.Verify, o.ServerCert, 0, 0, 0, o.Project, o.Endpoints, o.Failover, o.Target}
	if o.Timeout > 0 {
		doc.TimeoutMS = int64(millis(o.Timeout))
	}
	if o.Deadline > 0 {
		doc.DeadlineMS = int64(millis(o.Deadline))
	}
	if o.MaxResponseBytes > 0 {
		doc.MaxBytes = o.MaxResponseBytes
	}
	b, _ := json.Marshal(doc) // cannot fail: strings, bools and ints only
	return b
}

// Client is a connection to one LXD daemon, or to the members of one
// cluster. It is safe for concurrent use by many goroutines; it keeps
// connections alive and reuses them. Objects got from a client stay usable
// after the client is closed.
type Client struct {
	h handle[C.lxd_client]
}

// NewClient connects to LXD and checks that the daemon answers.
//
// endpoint is "" for the local daemon ($LXD_DIR/unix.socket, the snap's
// socket, or /var/lib/lxd/unix.socket), a unix socket path (optionally
// "unix:"-prefixed), "https://host[:port]" (port 8443 by default), or the
// members of one cluster separated by commas
// ("https://10.0.0.1:8443,https://10.0.0.2:8443"; Options.Endpoints adds
// more). opts may be nil.
//
// With several endpoints, requests go to the first member, in the order
// given, that has not failed lately. One that stops answering (connection
// refused or reset, Options.Timeout passed) is left alone for a back-off
// (0.5 s, doubling up to 8 s, reset when it answers again) and the request
// moves to the next member when that is safe: always if no connection
// carried it; once sent, only GET and HEAD, and PUT, PATCH and DELETE
// guarded by an ETag (Object.Save sends one). Any other request that may
// have reached the member (a POST: a create, a rename, an exec) is never
// resent: it fails with ErrConnection, its message saying it may have been
// applied, and the next call goes to the next member. Operations live on
// the member that runs them: a wait on an operation of a member that went
// down ends with ErrOperationLost (or ErrTimeout at the caller's limit).
// Options.Failover false uses the first endpoint only. Client.Endpoint
// names the member in use.
func NewClient(endpoint string, opts *Options) (*Client, error) {
	const op = "NewClient"
	var cs = cstrings{op: op}
	defer cs.free()
	cEndpoint, err := cs.optStr("endpoint", endpoint)
	if err != nil {
		return nil, err
	}
	cOpts, err := cs.json("options", opts.optionsJSON())
	if err != nil {
		return nil, err
	}
	var p *C.lxd_client
	if err := call(op, func() C.lxd_status { return C.lxd_client_new(cEndpoint, cOpts, &p) }); err != nil {
		return nil, err
	}
	c := &Client{}
	c.h.set(p)
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close frees the client. It is idempotent; later calls on the client
// return an error wrapping ErrClosed. Objects, streams and listeners made
// from it stay usable.
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	c.h.release(func(p *C.lxd_client) { C.lxd_client_free(p) })
	runtime.SetFinalizer(c, nil)
	return nil
}

// DeriveOptions say what a derived client changes (Client.Derive). For
// each: nil keeps the client's, Ptr("name") sets it, Ptr("") drops it (the
// default project; no target).
type DeriveOptions struct {
	// Project is the project of project-scoped calls and the raw API.
	Project *string
	// Target is a cluster member's name or "@group" (as Options.Target).
	Target *string
}

// Derive returns a client on the same connections, members and options as
// c, with another project and/or cluster target (LXD's Go client's
// UseProject and UseTarget): objects got through it keep its project and
// target. No request is made. Close it independently of c; it stays
// usable after c is closed.
func (c *Client) Derive(opts DeriveOptions) (*Client, error) {
	const op = "Derive"
	doc := map[string]*string{}
	for key, v := range map[string]*string{"project": opts.Project, "target": opts.Target} {
		switch {
		case v == nil: // left out: kept
		case *v == "":
			doc[key] = nil // JSON null: dropped
		default:
			doc[key] = v
		}
	}
	b, _ := json.Marshal(doc) // cannot fail: strings and nulls only
	cs := cstrings{op: op}
	defer cs.free()
	cOpts, err := cs.json("options", b)
	if err != nil {
		return nil, err
	}
	var p *C.lxd_client
	if err := c.do(op, func(cp *C.lxd_client) C.lxd_status { return C.lxd_client_derive(cp, cOpts, &p) }); err != nil {
		return nil, err
	}
	d := &Client{}
	d.h.set(p)
	runtime.SetFinalizer(d, (*Client).Close)
	return d, nil
}

// Endpoint is the endpoint requests go to now: with several cluster
// members, the one in use (e.g. "https://10.0.0.2:8443"); a socket path for
// a unix socket. No request is made.
func (c *Client) Endpoint() (string, error) {
	var out *C.char
	if err := c.do("Endpoint", func(p *C.lxd_client) C.lxd_status { return C.lxd_client_endpoint(p, &out) }); err != nil {
		return "", err
	}
	return string(takeString(out)), nil
}

// do runs one fallible call with the live client pointer.
func (c *Client) do(op string, f func(p *C.lxd_client) C.lxd_status) error {
	if c == nil {
		return argError(op, "nil *Client")
	}
	return c.h.use(op, "client", func(p *C.lxd_client) error {
		return call(op, func() C.lxd_status { return f(p) })
	})
}

// HostInfo returns the server's information (GET /1.0 metadata:
// api_extensions, environment, auth, …) as JSON, freshly read. It also
// refreshes what HasAPIExtension and Trusted report.
func (c *Client) HostInfo() ([]byte, error) {
	var out *C.char
	err := c.do("HostInfo", func(p *C.lxd_client) C.lxd_status { return C.lxd_client_host_info(p, &out) })
	if err != nil {
		return nil, err
	}
	return takeString(out), nil
}

// HasAPIExtension reports whether the server has the API extension name (as
// of the client's creation or last HostInfo). False on a closed client.
func (c *Client) HasAPIExtension(name string) bool {
	var has bool
	_ = c.h.use("HasAPIExtension", "client", func(p *C.lxd_client) error {
		cs := cstrings{op: "HasAPIExtension"}
		defer cs.free()
		cName, err := cs.str("name", name)
		if err != nil {
			return err
		}
		has = bool(C.lxd_client_has_api_extension(p, cName))
		return nil
	})
	return has
}

// Trusted reports whether the server trusts this client (as of the client's
// creation or last HostInfo). False on a closed client.
func (c *Client) Trusted() bool {
	var trusted bool
	_ = c.h.use("Trusted", "client", func(p *C.lxd_client) error {
		trusted = bool(C.lxd_client_trusted(p))
		return nil
	})
	return trusted
}

// Authenticate asks the server to trust this client's certificate, giving
// LXD's trust password (an HTTPS client with a certificate only). Nothing is
// sent when the client is trusted already. A wrong password is ErrForbidden.
func (c *Client) Authenticate(password string) error {
	const op = "Authenticate"
	cs := cstrings{op: op}
	defer cs.free()
	cPass, err := cs.str("password", password)
	if err != nil {
		return err
	}
	return c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_client_authenticate(p, cPass) })
}

// API is the raw API: it sends method (GET, POST, PUT, PATCH, DELETE or
// HEAD) to path (e.g. "/1.0/instances?recursion=1"; the client's project is
// added unless the path names one) with body (JSON, or nil for none) and
// returns the whole response document (type, status, metadata, …). An error
// response maps to its status code, its Message the request and the
// server's text. It does not wait for background operations.
func (c *Client) API(method, path string, body []byte) ([]byte, error) {
	op := "API " + method + " " + path
	cs := cstrings{op: op}
	defer cs.free()
	cMethod, err := cs.str("method", method)
	if err != nil {
		return nil, err
	}
	cPath, err := cs.str("path", path)
	if err != nil {
		return nil, err
	}
	cBody, err := cs.json("body", body)
	if err != nil {
		return nil, err
	}
	var out *C.char
	err = c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_api(p, cMethod, cPath, cBody, &out) })
	if err != nil {
		return nil, err
	}
	return takeString(out), nil
}
