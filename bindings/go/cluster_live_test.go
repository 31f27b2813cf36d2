package lxd_test

// The real 3-member cluster "cluster" of scripts/lxd-cluster.sh (members
// m1, m2, m3 on https://127.0.0.11-13:8443, a member-local dir pool
// "local", the busybox image, a trusted client certificate; cluster.crt
// pinned), read back with lxc on member 1's socket. The tests skip only
// when the cluster's state folder is missing.
//
// The cluster is shared with tests/c/test_cluster.c and the other
// bindings' suites, running at the same time: they rename m3 and back,
// evacuate m2 and restore it, join a fourth member and remove it. So
// everything made here is named lxdt-go-<run>-… and deleted, nothing here
// evacuates, renames, joins or removes anything, comparisons with lxc are
// repeated until two lxc reads around the client's agree, and the
// container placed on m2 has cluster.evacuate "stop" (an evacuation
// elsewhere would stop it in place, not move it).

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

const (
	clusterState = "/var/lib/lxd-liblxd-cluster"
	clusterM1Dir = clusterState + "-1"
	deadMember   = "https://127.0.0.19:8443" // nothing listens there
)

var clusterMembers = []string{"https://127.0.0.11:8443", "https://127.0.0.12:8443", "https://127.0.0.13:8443"}

// clusterOptions: the trusted certificate, cluster.crt pinned, and more
// endpoints.
func clusterOptions(endpoints ...string) *lxd.Options {
	return &lxd.Options{
		Cert:       clusterState + "/client.crt",
		Key:        clusterState + "/client.key",
		ServerCert: clusterState + "/cluster.crt",
		Endpoints:  endpoints,
	}
}

// needCluster skips the test when the real cluster's state is missing.
func needCluster(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(clusterState + "/cluster.crt"); err != nil {
		t.Skipf("no real cluster (%v): bash scripts/lxd-cluster.sh cluster up", err)
	}
}

// clusterClient is a client of the three members (closed when the test
// ends).
func clusterClient(t *testing.T) *lxd.Client {
	t.Helper()
	needCluster(t)
	c, err := lxd.NewClient("", clusterOptions(clusterMembers...))
	if err != nil {
		t.Fatalf("cannot reach the cluster (bash scripts/lxd-cluster.sh cluster up?): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// clxcTry runs lxc on member 1's socket; clxc fails the test if it fails.
func clxcTry(args ...string) (string, error) {
	cmd := exec.Command("lxc", args...)
	cmd.Env = append(os.Environ(), "LXD_DIR="+clusterM1Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("lxc %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func clxc(t testing.TB, args ...string) string {
	t.Helper()
	out, err := clxcTry(args...)
	must(t, err)
	return out
}

// csvColumn is column i of lxc's CSV lines, sorted.
func csvColumn(out string, i int) []string {
	var col []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Split(line, ","); line != "" && len(f) > i {
			col = append(col, f[i])
		}
	}
	sort.Strings(col)
	return col
}

// agreed reads lxc, the client, lxc again, up to 20 times 0.3 s apart,
// until both lxc reads and the client's give the same text (the cluster
// is shared: another suite may be changing it); it returns the last
// reads.
func agreed(t *testing.T, fromLxc, fromClient func() string) (lxcSaw, clientSaw string) {
	t.Helper()
	for i := 0; i < 20; i++ {
		before := fromLxc()
		clientSaw = fromClient()
		lxcSaw = fromLxc()
		if before == lxcSaw && lxcSaw == clientSaw {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	return lxcSaw, clientSaw
}

// memberAt is the name of the member at url (mN at 127.0.0.1N).
func memberAt(url string) string {
	for i, m := range clusterMembers {
		if m == url {
			return fmt.Sprintf("m%d", i+1)
		}
	}
	return "no member at " + url
}

// The cluster through a 3-endpoint client: enabled, the members lxc lists,
// member m2 as lxc query shows it.
func TestClusterReal(t *testing.T) {
	c := clusterClient(t)
	ep, err := c.Endpoint()
	must(t, err)
	if ep != clusterMembers[0] {
		t.Errorf("Endpoint() = %q, want the first member", ep)
	}
	cl, err := c.Cluster()
	must(t, err)
	defer cl.Close()
	var enabled bool
	must(t, cl.GetInto("enabled", &enabled))
	if !enabled {
		t.Fatal("the cluster's enabled is false")
	}
	if name := getString(t, cl, "server_name"); name != "m1" {
		t.Errorf("the cluster object of the first endpoint names %q", name)
	}

	want, got := agreed(t, func() string {
		return strings.Join(csvColumn(clxc(t, "cluster", "list", "--format", "csv"), 0), ",")
	}, func() string {
		all, err := c.ClusterMembers().All()
		must(t, err)
		var names []string
		for _, m := range all {
			names = append(names, keyOf(t, m))
			m.Close()
		}
		sort.Strings(names)
		return strings.Join(names, ",")
	})
	if got != want || !strings.Contains(","+got+",", ",m2,") {
		t.Errorf("members %s; lxc cluster list shows %s", got, want)
	}

	m2, err := c.ClusterMembers().Get("m2")
	must(t, err)
	defer m2.Close()
	type member struct {
		URL    string `json:"url"`
		Status string `json:"status"`
	}
	want, got = agreed(t, func() string {
		var m member
		must(t, json.Unmarshal([]byte(clxc(t, "query", "/1.0/cluster/members/m2")), &m))
		return m.URL + " " + m.Status
	}, func() string {
		must(t, m2.Sync())
		return getString(t, m2, "url") + " " + getString(t, m2, "status")
	})
	if got != want || !strings.HasPrefix(got, "https://127.0.0.12:8443 ") {
		t.Errorf("m2: %s; lxc query shows %s", got, want)
	}
	if ok, err := c.ClusterMembers().Exists("m3"); err != nil || !ok {
		t.Errorf("ClusterMembers().Exists(m3): %v, %v", ok, err)
	}
}

// A dead address first: nothing is sent there, so a GET and a POST both
// go to the next member; with failover off, NewClient fails.
func TestClusterFailover(t *testing.T) {
	needCluster(t)
	c, err := lxd.NewClient(deadMember, clusterOptions(clusterMembers...))
	must(t, err) // its GET /1.0 moved on
	defer c.Close()
	ep, err := c.Endpoint()
	must(t, err)
	if ep == deadMember || !contains([]byte(strings.Join(clusterMembers, " ")), ep) {
		t.Fatalf("Endpoint() = %q, want a member", ep)
	}
	m, err := c.ClusterMembers().Get("m1")
	must(t, err)
	m.Close()
	// Past the dead address's back-off (0.5 s) it is first choice again:
	// the POST finds it refusing, unsent, and goes on.
	time.Sleep(600 * time.Millisecond)
	name := uniq("fo")
	t.Cleanup(func() { _, _ = clxcTry("profile", "delete", name) })
	p, err := c.Profiles().Create(map[string]any{"name": name, "description": "lxdt go failover"}, true)
	must(t, err)
	defer p.Close()
	if got := clxc(t, "profile", "show", name); !strings.Contains(got, "lxdt go failover") {
		t.Errorf("lxc profile show %s:\n%s", name, got)
	}
	ep, err = c.Endpoint()
	must(t, err)
	if ep == deadMember {
		t.Errorf("Endpoint() = %q after the POST", ep)
	}
	must(t, p.Delete(true))

	// The members as one comma list, the dead one first, work the same.
	comma, err := lxd.NewClient(deadMember+","+strings.Join(clusterMembers, ","), clusterOptions())
	must(t, err)
	defer comma.Close()
	if ep, err := comma.Endpoint(); err != nil || ep == deadMember {
		t.Errorf("comma list: Endpoint() = %q, %v", ep, err)
	}

	// Failover off: the first endpoint only, so the first call fails.
	off := clusterOptions(clusterMembers...)
	off.Failover = lxd.Ptr(false)
	_, err = lxd.NewClient(deadMember, off)
	e := wantErr(t, err, lxd.ErrConnection)
	if !strings.Contains(e.Message, "127.0.0.19") || e.Op != "NewClient" {
		t.Errorf("failover off: %+v", e)
	}
	// …and a live first endpoint is used alone.
	off.Endpoints = append([]string{deadMember}, clusterMembers...)
	solo, err := lxd.NewClient(clusterMembers[1], off)
	must(t, err)
	defer solo.Close()
	if ep, err := solo.Endpoint(); err != nil || ep != clusterMembers[1] {
		t.Errorf("failover off: Endpoint() = %q, %v", ep, err)
	}
}

// Targets: a client derived with target m2 places a container there (lxc
// and the object's location agree) and reads m2's server; target dropped,
// the member in use again; Options.Target does what Derive does.
func TestClusterTarget(t *testing.T) {
	c := clusterClient(t)
	onM2, err := c.Derive(lxd.DeriveOptions{Target: lxd.Ptr("m2")})
	must(t, err)
	defer onM2.Close()
	serverName := func(cl *lxd.Client) string {
		s, err := cl.Server()
		must(t, err)
		defer s.Close()
		var env struct {
			ServerName string `json:"server_name"`
		}
		must(t, s.GetInto("environment", &env))
		return env.ServerName
	}
	if got := serverName(onM2); got != "m2" {
		t.Errorf("the server through target m2 is %q", got)
	}

	name := uniq("m2")
	t.Cleanup(func() { _, _ = clxcTry("delete", "-f", name) })
	def := map[string]any{
		"name":   name,
		"source": map[string]any{"type": "image", "alias": "busybox"},
		"config": map[string]string{"cluster.evacuate": "stop"},
	}
	var inst *lxd.Object
	for i := 0; ; i++ { // another suite may be evacuating m2 for a while
		inst, err = onM2.Containers().Create(def, true)
		if err == nil || i == 30 || !strings.Contains(clxc(t, "cluster", "list", "--format", "csv"), ",EVACUATED,") {
			break
		}
		time.Sleep(time.Second)
	}
	must(t, err)
	defer inst.Close()
	if got := getString(t, inst, "location"); got != "m2" {
		t.Errorf("the container's location is %q", got)
	}
	if got := clxc(t, "list", "^"+name+"$", "--format", "csv", "-c", "nL"); got != name+",m2" {
		t.Errorf("lxc list shows %q", got)
	}
	wantErr(t, inst.SetFrom("location", "m1"), lxd.ErrReadOnly)

	// Target dropped: LXD's own choice, the member the client uses.
	back, err := onM2.Derive(lxd.DeriveOptions{Target: lxd.Ptr("")})
	must(t, err)
	defer back.Close()
	ep, err := back.Endpoint()
	must(t, err)
	if got, want := serverName(back), memberAt(ep); got != want {
		t.Errorf("without a target the server is %q, want %q (the endpoint in use, %s)", got, want, ep)
	}
	// Project left out: kept; the derived client outlives its parent.
	same, err := onM2.Derive(lxd.DeriveOptions{})
	must(t, err)
	onM2.Close()
	if got := serverName(same); got != "m2" {
		t.Errorf("a derive that changes nothing reads %q", got)
	}
	same.Close()
	_, err = same.Derive(lxd.DeriveOptions{})
	wantErr(t, err, lxd.ErrClosed)
	_, err = same.Endpoint()
	wantErr(t, err, lxd.ErrClosed)

	opt := clusterOptions(clusterMembers...)
	opt.Target = "m3"
	on3, err := lxd.NewClient("", opt)
	must(t, err)
	defer on3.Close()
	if got := serverName(on3); got != "m3" {
		t.Errorf("Options.Target m3 reads the server %q", got)
	}
	must(t, inst.Delete(true))
	if _, err := clxcTry("query", "/1.0/instances/"+name); err == nil {
		t.Errorf("%s is still there", name)
	}
}

// A derived project: it reaches that project's objects only.
func TestClusterProjectDerive(t *testing.T) {
	c := clusterClient(t)
	proj, prof := uniq("proj"), uniq("prof")
	t.Cleanup(func() {
		_, _ = clxcTry("profile", "delete", "--project", proj, prof)
		_, _ = clxcTry("project", "delete", proj)
	})
	p, err := c.Projects().Create(map[string]any{"name": proj, "config": map[string]string{
		"features.profiles": "true", "features.images": "false", "features.storage.volumes": "false",
	}}, true)
	must(t, err)
	defer p.Close()
	inP, err := c.Derive(lxd.DeriveOptions{Project: lxd.Ptr(proj)})
	must(t, err)
	defer inP.Close()
	made, err := inP.Profiles().Create(map[string]any{"name": prof, "description": "lxdt go"}, true)
	must(t, err)
	defer made.Close()
	if got := csvColumn(clxc(t, "profile", "list", "--project", proj, "--format", "csv"), 0); !sameStrings(got, []string{"default", prof}) {
		t.Errorf("lxc profile list --project %s: %v", proj, got)
	}
	all, err := inP.Profiles().All()
	must(t, err)
	var names []string
	for _, o := range all {
		names = append(names, keyOf(t, o))
		o.Close()
	}
	sort.Strings(names)
	if !sameStrings(names, []string{"default", prof}) {
		t.Errorf("the project's profiles: %v", names)
	}
	if ok, err := c.Profiles().Exists(prof); err != nil || ok {
		t.Errorf("the default project has %s: %v, %v", prof, ok, err)
	}
	insts, err := inP.Instances().All()
	must(t, err)
	if len(insts) != 0 {
		t.Errorf("%d instances in the new project", len(insts))
	}
	// Its objects keep the project: a save lands there.
	must(t, made.SetFrom("description", "lxdt go saved"))
	must(t, made.Save(true))
	if got := clxc(t, "query", "/1.0/profiles/"+prof+"?project="+proj); !strings.Contains(got, "lxdt go saved") {
		t.Errorf("lxc query: %s", got)
	}
	// Project dropped: the default project again.
	back, err := inP.Derive(lxd.DeriveOptions{Project: lxd.Ptr("")})
	must(t, err)
	defer back.Close()
	if ok, err := back.Profiles().Exists(prof); err != nil || ok {
		t.Errorf("after dropping the project: %v, %v", ok, err)
	}
	must(t, made.Delete(true))
	must(t, p.Delete(true))
	if _, err := clxcTry("query", "/1.0/projects/"+proj); err == nil {
		t.Errorf("project %s is still there", proj)
	}
}

// Join tokens: made, listed as lxc lists them, revoked (by id and by
// name), gone; revoked again, not found.
func TestClusterJoinTokens(t *testing.T) {
	c := clusterClient(t)
	name, other := uniq("tok"), uniq("tok")
	t.Cleanup(func() {
		_, _ = clxcTry("cluster", "revoke-token", name)
		_, _ = clxcTry("cluster", "revoke-token", other)
	})
	tok, err := c.CreateClusterJoinToken(name)
	must(t, err)
	if tok.ServerName != name || tok.ID == "" || tok.Token == "" || tok.Fingerprint == "" ||
		len(tok.Addresses) == 0 || tok.ExpiresAt == "" || !contains(tok.Raw, `"token"`) {
		t.Errorf("token: %+v", tok)
	}
	lxcTokens := func() map[string]string {
		m := map[string]string{}
		for _, line := range strings.Split(clxc(t, "cluster", "list-tokens", "--format", "csv"), "\n") {
			if f := strings.Split(line, ","); len(f) >= 2 {
				m[f[0]] = f[1]
			}
		}
		return m
	}
	if got := lxcTokens()[name]; got != tok.Token {
		t.Errorf("lxc cluster list-tokens shows %q for %s, the client made %q", got, name, tok.Token)
	}
	find := func(id string) *lxd.ClusterJoinToken {
		toks, err := c.ClusterJoinTokens()
		must(t, err)
		for i := range toks {
			if toks[i].ID == id {
				return &toks[i]
			}
		}
		return nil
	}
	if got := find(tok.ID); got == nil || got.Token != tok.Token || got.ServerName != name {
		t.Errorf("ClusterJoinTokens lists %+v for %s", got, tok.ID)
	}
	must(t, c.RevokeClusterJoinToken(tok.ID))
	if find(tok.ID) != nil {
		t.Error("the revoked token is still listed")
	}
	if _, ok := lxcTokens()[name]; ok {
		t.Error("lxc still lists the revoked token")
	}
	wantErr(t, c.RevokeClusterJoinToken(tok.ID), lxd.ErrNotFound)

	tok2, err := c.CreateClusterJoinToken(other)
	must(t, err)
	must(t, c.RevokeClusterJoinToken(other)) // by its member's name
	if find(tok2.ID) != nil {
		t.Error("the token revoked by name is still listed")
	}
	wantErr(t, c.RevokeClusterJoinToken(other), lxd.ErrNotFound)
	_, err = c.CreateClusterJoinToken("")
	wantErr(t, err, lxd.ErrInvalidArgument)
	wantErr(t, c.RevokeClusterJoinToken(""), lxd.ErrInvalidArgument)
}

// Evacuate's mode needs an API extension LXD 5.0.2 lacks: refused before
// any request, and the member stays online. An argument cannot change the
// action. (m1: the member no other suite evacuates or renames.)
func TestClusterEvacuateModeRefused(t *testing.T) {
	c := clusterClient(t)
	m, err := c.ClusterMembers().Get("m1")
	must(t, err)
	defer m.Close()
	e := wantErr(t, m.EvacuateWithMode("stop", true), lxd.ErrExtensionMissing)
	if e.HTTPStatus != 0 || !strings.Contains(e.Message, "clustering_evacuation_mode") {
		t.Errorf("EvacuateWithMode: %+v", e)
	}
	_, err = m.Action("evacuate", map[string]string{"mode": "migrate"}, true)
	wantErr(t, err, lxd.ErrExtensionMissing)
	_, err = m.Action("evacuate", map[string]string{"action": "restore"}, true)
	wantErr(t, err, lxd.ErrInvalidArgument)
	if got := strings.Join(csvColumn(clxc(t, "cluster", "list", "--format", "csv"), 0), ","); !strings.Contains(got, "m1") {
		t.Fatalf("lxc cluster list: %s", got)
	}
	for _, line := range strings.Split(clxc(t, "cluster", "list", "--format", "csv"), "\n") {
		if strings.HasPrefix(line, "m1,") && !strings.Contains(line, ",ONLINE,") {
			t.Errorf("m1 after the refused evacuations: %s", line)
		}
	}
	if o, err := m.Operation(); err != nil || o != nil {
		t.Errorf("a refused evacuation has an operation: %v, %v", o, err)
	}
	if err := m.Sync(); err != nil || getString(t, m, "status") != "Online" {
		t.Errorf("m1's status %q, %v", getString(t, m, "status"), err)
	}
}
