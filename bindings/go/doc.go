// Package lxd is a Go binding of liblxd, a client library for the LXD REST
// API with pylxd's model: a Client, a Manager per kind of object
// (instances, containers, virtual machines, images, profiles, networks,
// storage pools, projects, certificates, operations; generated from
// liblxd's own table of kinds), child managers under an object (an
// instance's Snapshots and Backups), attributes read and written as JSON,
// lazy loading, dirty tracking, Rollback, an ETag-safe Save and Patch, and
// the actions of each kind (Object.Action, or typed: Logs, Metadata,
// Templates, Restore, Export, Console, …).
//
// The package uses cgo and finds liblxd with pkg-config (`liblxd.pc`, set
// PKG_CONFIG_PATH when it is not installed in a standard prefix).
//
//	c, err := lxd.NewClient("", nil) // the local unix socket
//	ct, err := c.Containers().Get("c1")
//	cfg, err := ct.Get("config")      // JSON
//	err = ct.Set("description", []byte(`"my container"`))
//	err = ct.Save(true)
//
// A Client of a cluster may know several members (a comma list, or
// Options.Endpoints) and moves to the next one when a member stops
// answering, where that is safe (see NewClient); Client.Derive gives a
// client of another project or target member on the same connections.
//
// Every handle (Client, Object, EventStream, Listener, Session) is safe for
// concurrent use, is freed by Close (idempotent; a finalizer frees what is
// forgotten, except Listeners, which run until closed), and gives an error
// wrapping ErrClosed, never a crash, when used after Close.
//
// Errors are *Error values carrying liblxd's Status, the HTTP status and a
// message (for an error answer of the server, the failed request and the
// server's text: "GET /1.0/instances/nope: Instance not found"); compare
// them with the sentinels (errors.Is(err, lxd.ErrNotFound)). liblxd keeps
// error details per thread: the package reads them on the thread of the
// call that failed.
package lxd
