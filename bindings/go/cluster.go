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
// cluster_password (the Token of Client.CreateClusterJoinToken on the
// cluster) and member_config, as JSON or a value encoding/json marshals
// to an object.
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
// evacuated (POST …/state with the action evacuate): on LXD 5.0.2 each
// instance's cluster.evacuate config ("auto", "migrate", "live-migrate",
// "stop") decides what happens to it. With wait it returns once done;
// without, once accepted (Object.Operation gives the operation).
// Object.Restore brings the instances back. An object of another kind is
// ErrInvalidArgument.
func (o *Object) Evacuate(wait bool) error {
	return o.EvacuateWithMode("", wait)
}

// EvacuateWithMode is Evacuate with LXD's mode for every instance ("stop",
// "migrate", "live-migrate"; "" for none, as Evacuate). The mode needs the
// API extension clustering_evacuation_mode, which LXD 5.0.2 lacks: there
// it is ErrExtensionMissing, before any request, and nothing is evacuated.
func (o *Object) EvacuateWithMode(mode string, wait bool) error {
	var args any
	if mode != "" {
		args = map[string]string{"mode": mode}
	}
	_, err := o.docCall("ClusterMember.Evacuate", args, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_cluster_member_evacuate(p, a, C.bool(wait), out)
	})
	return err
}

// ClusterJoinToken is a pending join token for a new cluster member
// (`lxc cluster add NAME`), as liblxd gives it.
type ClusterJoinToken struct {
	ID          string   `json:"id"`          // the token's pending operation: for RevokeClusterJoinToken
	Token       string   `json:"token"`       // LXD's token string, as lxc prints it: the new server's cluster_password
	ServerName  string   `json:"server_name"` // the name the new member gets
	Fingerprint string   `json:"fingerprint"` // the cluster certificate's
	Addresses   []string `json:"addresses"`   // the members' cluster addresses
	ExpiresAt   string   `json:"expires_at"`  // "" for a token that does not expire (null in Raw)
	CreatedAt   string   `json:"created_at"`
	// Raw is the token's whole JSON document.
	Raw json.RawMessage `json:"-"`
}

// CreateClusterJoinToken makes a one-time join token for a new member to be
// named serverName (`lxc cluster add`): the new server passes its Token as
// cluster_password to the Cluster object's Join and becomes that member. A
// standalone server refuses (ErrAPI, HTTP 400, "This server is not
// clustered"); so does LXD for a name a pending token or a member has.
func (c *Client) CreateClusterJoinToken(serverName string) (*ClusterJoinToken, error) {
	const op = "CreateClusterJoinToken"
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
		return C.lxd_cluster_join_token_create(p, cArgs, &out)
	}); err != nil {
		return nil, err
	}
	raw := takeString(out)
	tok := &ClusterJoinToken{Raw: raw}
	if err := json.Unmarshal(raw, tok); err != nil || tok.Token == "" {
		return nil, &Error{Code: StatusProtocol, Op: op, Message: "the token does not decode: " + string(raw)}
	}
	return tok, nil
}

// ClusterJoinTokens lists the pending join tokens (`lxc cluster
// list-tokens`): made, not yet used, revoked or expired.
func (c *Client) ClusterJoinTokens() ([]ClusterJoinToken, error) {
	const op = "ClusterJoinTokens"
	var out *C.char
	if err := c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_cluster_join_tokens(p, &out) }); err != nil {
		return nil, err
	}
	raw := takeString(out)
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, &Error{Code: StatusProtocol, Op: op, Message: "the token list does not decode: " + string(raw)}
	}
	toks := make([]ClusterJoinToken, len(list))
	for i, r := range list {
		if err := json.Unmarshal(r, &toks[i]); err != nil {
			return nil, &Error{Code: StatusProtocol, Op: op, Message: "a token does not decode: " + string(r)}
		}
		toks[i].Raw = r
	}
	return toks, nil
}

// RevokeClusterJoinToken revokes a pending join token, named by its ID or
// its member's name (`lxc cluster revoke-token`): it can no longer be used.
// No such pending token is ErrNotFound.
func (c *Client) RevokeClusterJoinToken(idOrName string) error {
	const op = "RevokeClusterJoinToken"
	if idOrName == "" {
		return argError(op, "no id or name")
	}
	cs := cstrings{op: op}
	defer cs.free()
	cID, err := cs.str("id or name", idOrName)
	if err != nil {
		return err
	}
	return c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_cluster_join_token_revoke(p, cID) })
}
