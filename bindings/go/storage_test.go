package lxd_test

// The issue-12 kinds and functions against the real daemons: a custom
// volume's lifecycle with a snapshot restore and a copy to the second
// server, a network forward, an ACL, a zone with a record, the server's
// config, a token, resources and all-projects events. lxc, lxc query and
// the dir driver's files on disk check the outcomes.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

const volDir = "/var/lib/lxd/storage-pools/default/custom/default_"

func TestStorageVolumeLifecycleRestoreAndCopy(t *testing.T) {
	pool, err := client.StoragePools().Get("default")
	must(t, err)
	defer pool.Close()
	name := uniq("vol")
	vol, err := pool.StorageVolumes().Create(map[string]any{"name": name, "config": map[string]string{"user.lxdt": "one"}}, true)
	must(t, err)
	defer func() { _, _ = lxcTry("storage", "volume", "delete", "default", name) }()
	if key, _ := vol.Key(); key != "custom/"+name {
		t.Errorf("the volume's key %q", key)
	}
	if got := lxc(t, "storage", "volume", "get", "default", name, "user.lxdt"); got != "one" {
		t.Fatalf("lxc sees user.lxdt=%q", got)
	}
	must(t, os.WriteFile(volDir+name+"/f", []byte("before"), 0o644))
	snap, err := vol.Snapshots().Create(map[string]any{"name": "s0"}, true)
	must(t, err)
	defer snap.Close()
	if !strings.Contains(lxc(t, "query", "/1.0/storage-pools/default/volumes/custom/"+name+"/snapshots"), "/s0") {
		t.Fatal("LXD lists no snapshot s0")
	}
	must(t, os.WriteFile(volDir+name+"/f", []byte("after"), 0o644))
	must(t, snap.Restore(true))
	if b, err := os.ReadFile(volDir + name + "/f"); err != nil || string(b) != "before" {
		t.Fatalf("after the restore the file holds %q (%v)", b, err)
	}
	// Save: the config goes to LXD.
	must(t, vol.SetFrom("config", map[string]string{"user.lxdt": "two"}))
	must(t, vol.Save(true))
	if got := lxc(t, "storage", "volume", "get", "default", name, "user.lxdt"); got != "two" {
		t.Fatalf("after Save lxc sees user.lxdt=%q", got)
	}
	// A copy to the second server, in push mode, with the file.
	other := second(t)
	copyName := uniq("volcp")
	cp, err := vol.CopyTo(other, &lxd.VolumeCopyOptions{Pool: "default", Name: copyName, Mode: "push"}, true)
	must(t, err)
	defer func() { _, _ = lxc2Try("storage", "volume", "delete", "default", copyName) }()
	cp.Close()
	if b, err := os.ReadFile(secondDir + "/storage-pools/default/custom/default_" + copyName + "/f"); err != nil || string(b) != "before" {
		t.Fatalf("the copy on the second server holds %q (%v)", b, err)
	}
	if _, err := vol.CopyTo(other, nil, true); err == nil {
		t.Error("a volume copy without VolumeCopyOptions was accepted")
	}
	must(t, snap.Delete(true))
	must(t, vol.Delete(true))
	if _, err := os.Stat(volDir + name); !os.IsNotExist(err) {
		t.Errorf("the deleted volume's folder: %v", err)
	}
}

// A volume backup exported to a file comes back as a new volume with
// ImportVolume.
func TestStorageVolumeBackupImport(t *testing.T) {
	pool, err := client.StoragePools().Get("default")
	must(t, err)
	defer pool.Close()
	name, imported := uniq("volb"), uniq("volimp")
	vol, err := pool.StorageVolumes().Create(map[string]any{"name": name}, true)
	must(t, err)
	defer func() { _, _ = lxcTry("storage", "volume", "delete", "default", name) }()
	must(t, os.WriteFile(volDir+name+"/g", []byte("backed up"), 0o644))
	b, err := vol.Backups().Create(map[string]any{"name": "b0"}, true)
	must(t, err)
	defer b.Close()
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	_, err = b.Export(file, nil)
	must(t, err)
	imp, err := pool.ImportVolume(file, imported, true, nil)
	must(t, err)
	defer func() { _, _ = lxcTry("storage", "volume", "delete", "default", imported) }()
	imp.Close()
	if got, err := os.ReadFile(volDir + imported + "/g"); err != nil || string(got) != "backed up" {
		t.Fatalf("the imported volume holds %q (%v)", got, err)
	}
}

func TestNetworkForwardACLZone(t *testing.T) {
	netName := fmt.Sprintf("lxdt%dx", os.Getpid()%1000000)
	net, err := client.Networks().Create(map[string]any{"name": netName, "config": map[string]string{
		"ipv4.address": "198.51.100.1/24", "ipv4.nat": "false", "ipv4.dhcp": "false", "ipv6.address": "none"}}, true)
	must(t, err)
	defer func() { _, _ = lxcTry("network", "delete", netName) }()
	fw, err := net.Forwards().Create(map[string]any{"listen_address": "198.51.100.10", "ports": []map[string]string{
		{"protocol": "tcp", "listen_port": "80", "target_address": "198.51.100.20", "target_port": "8080"}}}, true)
	must(t, err)
	must(t, fw.SetFrom("description", "lxdt fwd"))
	must(t, fw.Save(true))
	var doc struct {
		Description string `json:"description"`
		Ports       []struct {
			TargetPort string `json:"target_port"`
		} `json:"ports"`
	}
	must(t, json.Unmarshal([]byte(lxc(t, "query", "/1.0/networks/"+netName+"/forwards/198.51.100.10")), &doc))
	if doc.Description != "lxdt fwd" || len(doc.Ports) != 1 || doc.Ports[0].TargetPort != "8080" {
		t.Errorf("LXD shows the forward as %+v", doc)
	}
	state, err := net.State()
	must(t, err)
	if !contains(state, "198.51.100.1") {
		t.Errorf("the bridge's state has not its address: %.200s", state)
	}
	if _, err := net.Peers().All(); err == nil {
		t.Error("LXD 5.0.2 listed peers of a bridge")
	}
	must(t, fw.Delete(true))
	if out := lxc(t, "query", "/1.0/networks/"+netName+"/forwards"); strings.Contains(out, "198.51.100.10") {
		t.Errorf("the forward is still listed: %s", out)
	}

	aclName := uniq("acl")
	acl, err := client.NetworkAcls().Create(map[string]any{"name": aclName, "ingress": []map[string]string{
		{"action": "allow", "source": "198.51.100.0/24", "state": "enabled"}}}, true)
	must(t, err)
	defer func() { _, _ = lxcTry("network", "acl", "delete", aclName) }()
	if !strings.Contains(lxc(t, "network", "acl", "show", aclName), "198.51.100.0/24") {
		t.Error("lxc shows the ACL without its rule")
	}
	must(t, acl.Delete(true))
	if _, err := lxcTry("network", "acl", "show", aclName); err == nil {
		t.Error("the deleted ACL is still there")
	}

	zoneName := uniq("zone") + ".example.net"
	zone, err := client.NetworkZones().Create(map[string]any{"name": zoneName}, true)
	must(t, err)
	defer func() { _, _ = lxcTry("network", "zone", "delete", zoneName) }()
	rec, err := zone.Records().Create(map[string]any{"name": "www", "entries": []map[string]string{{"type": "A", "value": "198.51.100.30"}}}, true)
	must(t, err)
	if out := lxc(t, "network", "zone", "record", "show", zoneName, "www"); !strings.Contains(out, "198.51.100.30") {
		t.Errorf("lxc shows the record as %s", out)
	}
	must(t, rec.Delete(true))
	must(t, zone.Delete(true))
	if _, err := lxcTry("network", "zone", "show", zoneName); err == nil {
		t.Error("the deleted zone is still there")
	}
}

func TestServerConfigSetSavePatch(t *testing.T) {
	key := "user." + uniq("cfg")
	defer func() { _, _ = lxcTry("config", "unset", key) }()
	srv, err := client.Server()
	must(t, err)
	defer srv.Close()
	if srv.Kind() != lxd.KindServer {
		t.Fatalf("Server() gave a %v", srv.Kind())
	}
	var cfg map[string]any
	must(t, srv.GetInto("config", &cfg))
	cfg[key] = "set"
	must(t, srv.SetFrom("config", cfg))
	must(t, srv.Save(true))
	if got := lxc(t, "config", "get", key); got != "set" {
		t.Fatalf("after Save lxc config get %s = %q", key, got)
	}
	// A patch with null removes the key.
	must(t, srv.Patch(map[string]any{"config": map[string]any{key: nil}}, true))
	if got := lxc(t, "config", "get", key); got != "" {
		t.Fatalf("after the patch %s = %q", key, got)
	}
}

func TestTokenAuthenticatesAFreshClient(t *testing.T) {
	dir := t.TempDir()
	cert, key, fp := makeCert(t, dir, "lxdt-go-tok")
	name := uniq("tok")
	defer func() { _, _ = lxcTry("config", "trust", "remove", fp) }()
	tok, err := client.CreateCertificateToken(lxd.TokenOptions{Name: name})
	must(t, err)
	defer func() { _ = client.RevokeCertificateToken(tok.ID) }()
	if tok.ClientName != name || tok.ID == "" {
		t.Errorf("the token %+v", tok)
	}
	toks, err := client.CertificateTokens()
	must(t, err)
	found := false
	for _, k := range toks {
		found = found || k.ID == tok.ID
	}
	if !found {
		t.Fatalf("CertificateTokens does not list %s", tok.ID)
	}
	c, err := lxd.NewClient("https://127.0.0.1:8443", &lxd.Options{Cert: cert, Key: key, ServerCert: "/var/lib/lxd/server.crt"})
	must(t, err)
	defer c.Close()
	if c.Trusted() {
		t.Fatal("a fresh certificate is trusted already")
	}
	must(t, c.Authenticate(tok.Token))
	if !strings.Contains(lxc(t, "config", "trust", "list", "--format", "csv"), name) {
		t.Fatal("lxc does not list the token's certificate")
	}
	metrics, err := c.Metrics()
	must(t, err)
	if !contains(metrics, "lxd_") {
		t.Errorf("the metrics: %.200s", metrics)
	}
	// A second token, revoked, is gone from LXD's list.
	tok2, err := client.CreateCertificateToken(lxd.TokenOptions{Name: uniq("tok")})
	must(t, err)
	must(t, client.RevokeCertificateToken(tok2.ID))
	if out := lxc(t, "config", "trust", "list-tokens", "--format", "csv"); strings.Contains(out, tok2.ClientName) {
		t.Errorf("the revoked token is still listed: %s", out)
	}

}

func TestResourcesAndAllProjectsEvents(t *testing.T) {
	res, err := client.Resources()
	must(t, err)
	var doc struct {
		CPU struct {
			Total int `json:"total"`
		} `json:"cpu"`
		Memory struct {
			Total int64 `json:"total"`
		} `json:"memory"`
	}
	must(t, json.Unmarshal(res, &doc))
	if doc.CPU.Total < 1 || doc.Memory.Total <= 0 {
		t.Errorf("resources: %+v", doc)
	}
	proj := uniq("proj")
	lxc(t, "project", "create", proj)
	defer func() { _, _ = lxcTry("project", "delete", proj) }()
	ev, err := client.EventsWith(lxd.EventOptions{Types: []string{"lifecycle"}, AllProjects: true})
	must(t, err)
	defer ev.Close()
	prof := uniq("prof")
	lxc(t, "profile", "create", prof, "--project", proj)
	lxc(t, "profile", "delete", prof, "--project", proj)
	for {
		e, err := ev.Next(10 * time.Second)
		must(t, err)
		if contains(e, prof) && contains(e, `"project":"`+proj+`"`) {
			break
		}
	}
}
