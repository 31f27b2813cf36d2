package lxd_test

// The cluster kinds on the test daemon, a standalone server (issue 13 adds
// a real cluster and its tests): the Cluster singleton is read and matches
// `lxc query /1.0/cluster`; LXD refuses the members and the groups ("not
// clustered"). Nothing here changes the daemon.

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

// The members' and groups' managers surface LXD's refusal as an
// *lxd.Error with the API status: 500 for members ("Server is not
// clustered"), 400 for groups ("This server is not clustered").
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
}
