package lxd

// #include <stdlib.h>
// #include "shims.h"
import "C"

import "encoding/json"

// Clusters: the Cluster singleton (Client.Cluster), its members
// (Client.ClusterMembers, keyed by server_name) and groups
// (Client.ClusterGroups), and their actions. On a standalone server LXD
// 5.0.2 serves the Cluster object (enabled false) but refuses the members
// and groups ("Server is not clustered", "This server is not clustered":
// ErrAPI with LXD's HTTP status).

// Join joins this standalone server to an existing cluster (the Cluster
// object's action join: PUT /1.0/cluster, with enabled true). args gives
// server_name, server_address, cluster_address, cluster_certificate,
// cluster_password (a join token from Client.JoinToken on the cluster) and
// member_config, as JSON or a value encoding/json marshals to an object.
// With wait it returns once the server has joined; without, once LXD
// accepted (Object.Operation gives the operation). An object of another
// kind is ErrInvalidArgument.
func (o *Object) Join(args any, wait bool) error {
	const op = "Cluster.Join"
	if args == nil {
		return argError(op, "args is nil")
	}
	_, err := o.docCall(op, args, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_cluster_join(p, a, C.bool(wait), out)
	})
	return err
}

// UpdateCertificate replaces the cluster's certificate and key on every
// member (the Cluster object's action update_certificate: PUT
// /1.0/cluster/certificate). args gives cluster_certificate and
// cluster_certificate_key, both PEM, as JSON or a value encoding/json
// marshals to an object; LXD refuses text that is not PEM (ErrAPI, HTTP
// 400). An object of another kind is ErrInvalidArgument.
func (o *Object) UpdateCertificate(args any, wait bool) error {
	const op = "Cluster.UpdateCertificate"
	if args == nil {
		return argError(op, "args is nil")
	}
	_, err := o.docCall(op, args, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_cluster_update_certificate(p, a, C.bool(wait), out)
	})
	return err
}

// Evacuate moves or stops the cluster member's instances and marks it
// evacuated (POST …/state with the action evacuate), in LXD's default
// mode; Object.Action("evacuate", `{"mode": "stop"}`, wait) picks one
// (stop, migrate, live-migrate). With wait it returns once done; without,
// once accepted (Object.Operation gives the operation). Object.Restore
// brings the instances back. An object of another kind is
// ErrInvalidArgument.
func (o *Object) Evacuate(wait bool) error {
	_, err := o.docCall("ClusterMember.Evacuate", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_cluster_member_evacuate(p, a, C.bool(wait), out)
	})
	return err
}

// JoinToken asks the cluster for a join token for the member to be named
// serverName (POST /1.0/cluster/members; `lxc cluster add`), and returns
// the operation, as LXD's JSON: its metadata holds the token's parts
// (serverName, secret, fingerprint, addresses, expiresAt), which `lxc
// cluster add` prints as one string (their JSON in base64) for the new
// server's Join (cluster_password). LXD keeps the token's operation running until
// the token is used (or expires): with wait, JoinToken returns only then,
// so pass false to get the token at once. A standalone server refuses
// (ErrAPI, HTTP 400, "This server is not clustered").
func (c *Client) JoinToken(serverName string, wait bool) (json.RawMessage, error) {
	const op = "JoinToken"
	if serverName == "" {
		return nil, argError(op, "no server name")
	}
	cs := cstrings{op: op}
	defer cs.free()
	cArgs, err := argsOf(&cs, map[string]string{"server_name": serverName})
	if err != nil {
		return nil, err
	}
	var out *C.char
	if err := c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxd_cluster_member_join_token(p, cArgs, C.bool(wait), &out)
	}); err != nil {
		return nil, err
	}
	return json.RawMessage(takeString(out)), nil
}
