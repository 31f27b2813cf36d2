package lxd_test

// The cluster kinds on the test daemon, a standalone server (issue 13 adds
// a real cluster, cluster_live_test.go): the Cluster singleton is read and matches
// `lxc query /1.0/cluster`; LXD refuses the members, the groups and a join
// token ("not clustered"), and a certificate that is not PEM; Join,
// Evacuate and Restore are refused before any request when they cannot
// apply. Nothing here changes the daemon: Join is never sent to it.

import (
	"encoding/json"
	"strings"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

// isClusterKind: the members and groups of a cluster (under /1.0/cluster/).
func isClusterKind(info *lxd.KindInfo) bool {
	return strings.HasPrefix(info.Endpoint, "/1.0/cluster/")
}

// lxcCluster is what `lxc query /1.0/cluster` shows.
type lxcCluster struct {
	Enabled      bool              `json:"enabled"`
	ServerName   string            `json:"server_name"`
	MemberConfig []json.RawMessage `json:"member_config"`
}

func lxcClusterState(t testing.TB) lxcCluster {
	t.Helper()
	var c lxcCluster
	must(t, json.Unmarshal([]byte(lxc(t, "query", "/1.0/cluster")), &c))
	return c
}

// clustered: whether the daemon is a cluster member, as lxc sees it.
func clustered(t testing.TB) bool { return lxcClusterState(t).Enabled }

// standalone skips a test of the standalone server's refusals on a cluster.
func standalone(t *testing.T) {
	t.Helper()
	if clustered(t) {
		t.Skip("the daemon is a cluster member: issue 13's suite covers clusters")
	}
}

// notClustered checks LXD's refusal of a cluster-only request on a
// standalone server: ErrAPI with LXD's HTTP status and message.
func notClustered(t *testing.T, what string, err error, status int) {
	t.Helper()
	e := wantErr(t, err, lxd.ErrAPI)
	if e.HTTPStatus != status || !strings.Contains(e.Message, "not clustered") || e.Op == "" {
		t.Errorf("%s: %+v (want HTTP %d, not clustered)", what, e, status)
	}
}

func TestClusterSingleton(t *testing.T) {
	want := lxcClusterState(t)
	cl, err := client.Cluster()
	must(t, err)
	defer cl.Close()
	if cl.Kind() != lxd.KindCluster {
		t.Fatalf("Cluster() gave a %v", cl.Kind())
	}
	if key, err := cl.Key(); err != nil || key != "" {
		t.Errorf("the cluster's key %q, %v", key, err)
	}
	var enabled bool
	must(t, cl.GetInto("enabled", &enabled))
	if enabled != want.Enabled || getString(t, cl, "server_name") != want.ServerName {
		t.Errorf("enabled %v, server_name %q; lxc shows %+v", enabled, getString(t, cl, "server_name"), want)
	}
	var members []json.RawMessage
	must(t, cl.GetInto("member_config", &members))
	if len(members) != len(want.MemberConfig) {
		t.Errorf("%d member_config entries, lxc shows %d", len(members), len(want.MemberConfig))
	}
	standalone(t)
	if enabled {
		t.Error("a standalone server's cluster is enabled")
	}
	// The generic accessor reads the same object; the cluster has no list.
	same, err := client.Manager(lxd.KindCluster).Get("")
	must(t, err)
	defer same.Close()
	if a, b := getString(t, same, "server_name"), getString(t, cl, "server_name"); same.Kind() != lxd.KindCluster || a != b {
		t.Errorf("Manager(KindCluster).Get(\"\"): %v %q", same.Kind(), a)
	}
	_, err = client.Manager(lxd.KindCluster).All()
	wantErr(t, err, lxd.ErrInvalidArgument)
}

// The members' and groups' managers and a join token surface LXD's
// refusal as an *lxd.Error with the API status: 500 for members ("Server is
// not clustered"), 400 for groups and a token ("This server is not
// clustered").
func TestClusterMembersAndGroupsRefusedStandalone(t *testing.T) {
	standalone(t)
	members, groups := client.ClusterMembers(), client.ClusterGroups()
	if members.Kind() != lxd.KindClusterMember || groups.Kind() != lxd.KindClusterGroup {
		t.Fatalf("managers of %v and %v", members.Kind(), groups.Kind())
	}
	for _, c := range []struct {
		m      *lxd.Manager
		status int
	}{{members, 500}, {groups, 400}} {
		_, err := c.m.All()
		notClustered(t, c.m.Kind().String()+" All", err, c.status)
		_, err = c.m.Get(uniq("absent"))
		notClustered(t, c.m.Kind().String()+" Get", err, c.status)
		_, err = c.m.Exists(uniq("absent"))
		notClustered(t, c.m.Kind().String()+" Exists", err, c.status)
	}
	name := uniq("grp")
	defer func() { _, _ = lxcTry("cluster", "group", "delete", name) }()
	_, err := groups.Create(map[string]any{"name": name, "description": "lxdt go"}, true)
	notClustered(t, "ClusterGroup Create", err, 400)
	// Members are not created (they join): liblxd refuses before any request.
	_, err = members.Create(map[string]any{"server_name": uniq("m")}, true)
	wantErr(t, err, lxd.ErrInvalidArgument)

	member := uniq("member")
	_, err = client.CreateClusterJoinToken(member)
	notClustered(t, "CreateClusterJoinToken", err, 400)
	if ops := lxc(t, "query", "/1.0/operations?recursion=1"); strings.Contains(ops, member) {
		t.Errorf("an operation names the refused member: %s", ops)
	}
	// No tokens to list or revoke on a standalone server.
	toks, err := client.ClusterJoinTokens()
	must(t, err)
	for _, tok := range toks {
		if tok.ServerName == member {
			t.Errorf("ClusterJoinTokens lists the refused %s", member)
		}
	}
	wantErr(t, client.RevokeClusterJoinToken(member), lxd.ErrNotFound)
	_, err = client.CreateClusterJoinToken("")
	wantErr(t, err, lxd.ErrInvalidArgument)
	err = client.RevokeClusterJoinToken("a\x00b")
	wantErr(t, err, lxd.ErrInvalidArgument)
}

// The Cluster object's actions: a certificate that is not PEM is LXD's
// refusal (HTTP 400) and leaves the server's certificate as it was; Join
// and the members' actions are refused before any request where they
// cannot apply (Join is never sent to this daemon: it would cluster it).
func TestClusterActionsRefused(t *testing.T) {
	standalone(t)
	certOf := func() string {
		var host struct {
			Environment struct {
				Certificate string `json:"certificate"`
			} `json:"environment"`
		}
		must(t, json.Unmarshal([]byte(lxc(t, "query", "/1.0")), &host))
		if host.Environment.Certificate == "" {
			t.Fatal("lxc query /1.0 shows no certificate")
		}
		return host.Environment.Certificate
	}
	before := certOf()
	cl, err := client.Cluster()
	must(t, err)
	defer cl.Close()
	err = cl.UpdateCertificate(map[string]string{"cluster_certificate": "not PEM", "cluster_certificate_key": "not PEM"}, true)
	if e := wantErr(t, err, lxd.ErrAPI); e.HTTPStatus != 400 || !strings.Contains(e.Message, "PEM") {
		t.Errorf("a certificate that is not PEM: %+v", e)
	}
	if certOf() != before {
		t.Fatal("the server's certificate changed")
	}
	wantErr(t, cl.UpdateCertificate(nil, true), lxd.ErrInvalidArgument)

	// Join: arguments that are no object, none, or an object of another
	// kind are refused by the binding or liblxd.
	wantErr(t, cl.Join(`["server_name"]`, false), lxd.ErrInvalidArgument)
	wantErr(t, cl.Join(nil, false), lxd.ErrInvalidArgument)
	srv, err := client.Server()
	must(t, err)
	defer srv.Close()
	wantErr(t, srv.Join(map[string]string{"server_name": "x"}, false), lxd.ErrInvalidArgument)
	// A member's actions on the cluster object: it has none of them.
	wantErr(t, cl.Evacuate(false), lxd.ErrInvalidArgument)
	wantErr(t, cl.EvacuateWithMode("stop", false), lxd.ErrInvalidArgument)
	wantErr(t, cl.Restore(false), lxd.ErrInvalidArgument)
	closed, err := client.Cluster()
	must(t, err)
	closed.Close()
	wantErr(t, closed.Join(map[string]string{"server_name": "x"}, false), lxd.ErrClosed)
	if clustered(t) {
		t.Fatal("the daemon is a cluster member now")
	}
}
