package lxd_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

// The README's quick-start, as the example program: against a container it
// creates and starts, an existing stopped one, and a missing one; and the
// README must show that very program.
func TestExampleWalkthrough(t *testing.T) {
	walk := func(t *testing.T, args ...string) (string, error) {
		cmd := exec.Command("go", append([]string{"run", "./examples/walkthrough"}, args...)...)
		out, err := cmd.CombinedOutput()
		if strings.Contains(string(out), "goroutine ") || strings.Contains(string(out), "panic") {
			t.Errorf("the walkthrough panicked:\n%s", out)
		}
		return string(out), err
	}
	wantLines := func(t *testing.T, out string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("walkthrough output lacks %q:\n%s", w, out)
			}
		}
	}
	t.Run("create", func(t *testing.T) {
		name := uniq("walk")
		t.Cleanup(func() { _, _ = lxcTry("delete", "-f", name) })
		out, err := walk(t, "-create", name)
		if err != nil {
			t.Fatalf("walkthrough: %v\n%s", err, out)
		}
		wantLines(t, out, "config: {", "dirty: true", "dirty after rollback: false",
			"saved description: my container", "status: Stopped", "deleted "+name)
		if strings.Contains(out, "already stopped") {
			t.Errorf("a running container counted as stopped:\n%s", out)
		}
		if lxcList(t, name) != nil {
			t.Errorf("the walkthrough left %s behind", name)
		}
	})
	t.Run("existing stopped", func(t *testing.T) {
		_, name := container(t, "walkstopped", false)
		out, err := walk(t, name)
		if err != nil {
			t.Fatalf("walkthrough: %v\n%s", err, out)
		}
		wantLines(t, out, "config: {", "saved description: my container", "already stopped", "status: Stopped")
		got := lxcList(t, name)
		if got == nil || got.Status != "Stopped" {
			t.Errorf("lxc shows %+v", got)
		}
		var inst struct {
			Description string `json:"description"`
		}
		must(t, json.Unmarshal([]byte(lxc(t, "query", "/1.0/instances/"+name)), &inst))
		if inst.Description != "my container" {
			t.Errorf("lxc shows description %q", inst.Description)
		}
	})
	t.Run("missing", func(t *testing.T) {
		name := uniq("walkmissing")
		out, err := walk(t, name)
		if err == nil {
			t.Fatalf("walkthrough succeeded on a missing container:\n%s", out)
		}
		wantLines(t, out, "no container "+name+": GET /1.0/instances/"+name+": Instance not found (HTTP 404)")
	})

	src, err := os.ReadFile(filepath.Join("examples", "walkthrough", "main.go"))
	must(t, err)
	readme, err := os.ReadFile("README.md")
	must(t, err)
	if !strings.Contains(string(readme), string(src)) {
		t.Error("README.md does not contain examples/walkthrough/main.go verbatim")
	}
}

// The seed walk-through, step by step, with what LXD holds checked by lxc.
func TestSeedWalkthrough(t *testing.T) {
	_, name := container(t, "seed", true)
	c, err := client.Containers().Get(name)
	must(t, err)
	defer c.Close()

	var config map[string]string
	must(t, c.GetInto("config", &config))
	if config["image.os"] != "busybox" {
		t.Errorf("config image.os = %q", config["image.os"])
	}
	config["user.seed"] = "hello"
	must(t, c.SetFrom("config", config))
	if !c.Dirty() {
		t.Fatal("not dirty after Set")
	}
	must(t, c.Rollback())
	if c.Dirty() {
		t.Fatal("dirty after Rollback")
	}
	var back map[string]string
	must(t, c.GetInto("config", &back))
	if _, ok := back["user.seed"]; ok {
		t.Fatal("rollback kept the local change")
	}
	if got := lxc(t, "config", "get", name, "user.seed"); got != "" {
		t.Fatalf("the server got user.seed=%q before Save", got)
	}
	must(t, c.SetFrom("config", config))
	must(t, c.Set("description", []byte(`"my container"`)))
	must(t, c.Save(true))
	if c.Dirty() {
		t.Error("dirty after Save")
	}
	if got := lxc(t, "config", "get", name, "user.seed"); got != "hello" {
		t.Errorf("lxc config get user.seed = %q, want hello", got)
	}
	if got := lxc(t, "query", "/1.0/instances/"+name); !strings.Contains(got, `"description": "my container"`) {
		t.Errorf("description not saved: %s", got)
	}
	// Read after the waited save: the object loads the server's state.
	var saved map[string]string
	must(t, c.GetInto("config", &saved))
	if saved["user.seed"] != "hello" {
		t.Errorf("read after Save: user.seed = %q, want hello", saved["user.seed"])
	}
	// Someone else changes it: the next save is refused, nothing overwritten.
	lxc(t, "config", "set", name, "user.seed", "theirs")
	must(t, c.SetFrom("description", "mine"))
	wantErr(t, c.Save(true), lxd.ErrPreconditionFailed)
	if !c.Dirty() {
		t.Error("a refused save dropped the local change")
	}
	if got := lxc(t, "config", "get", name, "user.seed"); got != "theirs" {
		t.Errorf("their change was overwritten: %q", got)
	}
	must(t, c.Sync()) // takes the server's state and ETag, keeps the local change
	must(t, c.Save(true))
	if got := lxc(t, "query", "/1.0/instances/"+name); !strings.Contains(got, `"description": "mine"`) {
		t.Errorf("description after sync+save: %s", got)
	}
	must(t, c.Stop(lxd.DefaultTimeout, true, true))
	if got := lxcList(t, name).Status; got != "Stopped" {
		t.Errorf("lxc shows %s after Stop", got)
	}
}

func TestContainerCreateDelete(t *testing.T) {
	name := uniq("cd")
	t.Cleanup(func() { _, _ = lxcTry("delete", "-f", name) })
	c, err := client.Containers().Create([]byte(`{"name":"`+name+`","source":{"type":"image","alias":"busybox"}}`), true)
	must(t, err)
	defer c.Close()
	if l := lxcList(t, name); l == nil || l.Status != "Stopped" {
		t.Fatalf("lxc does not show the new container stopped: %+v", l)
	}
	if key, err := c.Key(); err != nil || key != name {
		t.Errorf("Key() = %q, %v", key, err)
	}
	if c.Kind() != lxd.KindContainer {
		t.Errorf("Kind() = %v", c.Kind())
	}
	for _, m := range []*lxd.Manager{client.Containers(), client.Instances()} {
		ok, err := m.Exists(name)
		if err != nil || !ok {
			t.Errorf("%v Exists = %v, %v", m.Kind(), ok, err)
		}
	}
	if ok, err := client.VirtualMachines().Exists(name); err != nil || ok {
		t.Errorf("VirtualMachines().Exists(container) = %v, %v", ok, err)
	}
	doc, err := c.JSON()
	must(t, err)
	var whole map[string]any
	must(t, json.Unmarshal(doc, &whole))
	if whole["name"] != name || whole["type"] != "container" {
		t.Errorf("JSON() = %s", doc)
	}
	// Creating it again: LXD refuses in the background operation.
	_, err = client.Containers().Create(map[string]any{"name": name, "source": map[string]any{"type": "image", "alias": "busybox"}}, true)
	wantErr(t, err, lxd.ErrOperationFailed)

	must(t, c.Delete(true))
	if l := lxcList(t, name); l != nil {
		t.Fatalf("lxc still lists %s after Delete", name)
	}
	if ok, err := client.Containers().Exists(name); err != nil || ok {
		t.Errorf("Exists after delete = %v, %v", ok, err)
	}
	_, err = client.Containers().Get(name)
	wantErr(t, err, lxd.ErrNotFound)
}

func TestStartStopWait(t *testing.T) {
	c, name := container(t, "ss", false)
	must(t, c.Start(lxd.DefaultTimeout, false, true))
	if got := lxcList(t, name).Status; got != "Running" {
		t.Fatalf("lxc shows %s after Start(wait)", got)
	}
	if s := getString(t, c, "status"); s != "Running" {
		t.Errorf("the object says %s after Start(wait)", s)
	}
	state, err := c.State()
	must(t, err)
	var st struct {
		Status string `json:"status"`
		Pid    int    `json:"pid"`
	}
	must(t, json.Unmarshal(state, &st))
	if st.Status != "Running" || st.Pid <= 0 {
		t.Errorf("State() = %s", state)
	}
	wantErr(t, c.Start(lxd.DefaultTimeout, false, true), lxd.ErrOperationFailed) // already running

	must(t, c.Freeze(lxd.DefaultTimeout, false, true))
	if got := lxcList(t, name).Status; got != "Frozen" {
		t.Errorf("lxc shows %s after Freeze", got)
	}
	must(t, c.Unfreeze(lxd.DefaultTimeout, false, true))
	if got := lxcList(t, name).Status; got != "Running" {
		t.Errorf("lxc shows %s after Unfreeze", got)
	}
	must(t, c.Restart(lxd.DefaultTimeout, true, true))
	if got := lxcList(t, name).Status; got != "Running" {
		t.Errorf("lxc shows %s after Restart", got)
	}
	must(t, c.Stop(lxd.DefaultTimeout, true, true))
	if got := lxcList(t, name).Status; got != "Stopped" {
		t.Fatalf("lxc shows %s after Stop(wait)", got)
	}
	if s := getString(t, c, "status"); s != "Stopped" {
		t.Errorf("the object says %s after Stop(wait)", s)
	}

	// Without wait: the operation, then waiting on it.
	must(t, c.Start(lxd.DefaultTimeout, false, false))
	op, err := c.Operation()
	must(t, err)
	if op == nil {
		t.Fatal("no operation after Start without wait")
	}
	defer op.Close()
	if op.Kind() != lxd.KindOperation {
		t.Errorf("operation kind %v", op.Kind())
	}
	must(t, op.Wait(-1))
	if got := lxcList(t, name).Status; got != "Running" {
		t.Errorf("lxc shows %s after waiting on the start operation", got)
	}
	must(t, c.Sync())
	if s := getString(t, c, "status"); s != "Running" {
		t.Errorf("the object says %s after Sync", s)
	}

	// Rename (an instance must be stopped).
	must(t, c.Stop(lxd.DefaultTimeout, true, true))
	newName := uniq("ren")
	t.Cleanup(func() { _, _ = lxcTry("delete", "-f", newName) })
	must(t, c.Rename(newName, true))
	if lxcList(t, newName) == nil || lxcList(t, name) != nil {
		t.Errorf("lxc does not show the rename %s -> %s", name, newName)
	}
	if key, _ := c.Key(); key != newName {
		t.Errorf("Key after rename = %q", key)
	}
	must(t, c.Delete(true))
	if lxcList(t, newName) != nil {
		t.Error("still there after Delete")
	}
}

func TestHostInfo(t *testing.T) {
	info, err := client.HostInfo()
	must(t, err)
	var doc struct {
		APIExtensions []string `json:"api_extensions"`
		Auth          string   `json:"auth"`
		Environment   struct {
			ServerVersion string `json:"server_version"`
		} `json:"environment"`
	}
	must(t, json.Unmarshal(info, &doc))
	want := lxc(t, "query", "/1.0")
	if !strings.Contains(want, `"server_version": "`+doc.Environment.ServerVersion+`"`) || doc.Environment.ServerVersion == "" {
		t.Errorf("server_version %q not what lxc sees", doc.Environment.ServerVersion)
	}
	if len(doc.APIExtensions) == 0 || !client.HasAPIExtension(doc.APIExtensions[0]) || !client.HasAPIExtension("instances") {
		t.Error("HasAPIExtension disagrees with api_extensions")
	}
	if client.HasAPIExtension("lxdt_no_such_extension") || client.HasAPIExtension("a\x00b") {
		t.Error("HasAPIExtension true for a missing extension")
	}
	if !client.Trusted() || doc.Auth != "trusted" {
		t.Error("the unix socket client is not trusted")
	}
	if lxd.Version() != "0.1.0" {
		t.Errorf("Version() = %q", lxd.Version())
	}
	// The unix socket client is trusted already: Authenticate sends nothing.
	must(t, client.Authenticate("pw"))
}

func TestRawAPI(t *testing.T) {
	doc, err := client.API("GET", "/1.0", nil)
	must(t, err)
	var resp struct {
		Type       string          `json:"type"`
		StatusCode int             `json:"status_code"`
		Metadata   json.RawMessage `json:"metadata"`
	}
	must(t, json.Unmarshal(doc, &resp))
	if resp.Type != "sync" || resp.StatusCode != 200 || !contains(resp.Metadata, "api_extensions") {
		t.Errorf("GET /1.0 = %s", doc)
	}
	p, name := profile(t, "raw")
	_, err = client.API("PATCH", "/1.0/profiles/"+name, []byte(`{"config":{"user.raw":"yes"}}`))
	must(t, err)
	if got := lxc(t, "profile", "get", name, "user.raw"); got != "yes" {
		t.Errorf("lxc profile get user.raw = %q after the raw PATCH", got)
	}
	must(t, p.Sync())
	var cfg map[string]string
	must(t, p.GetInto("config", &cfg))
	if cfg["user.raw"] != "yes" {
		t.Errorf("object config after sync: %v", cfg)
	}
	_, err = client.API("GET", "/1.0/profiles/"+name+"-nosuch", nil)
	e := wantErr(t, err, lxd.ErrNotFound)
	if e.HTTPStatus != 404 || !strings.Contains(e.Message, "not found") {
		t.Errorf("raw 404: %+v", e)
	}
	_, err = client.API("FETCH", "/1.0", nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = client.API("PUT", "/1.0/profiles/"+name, []byte(`{"config":`))
	wantErr(t, err, lxd.ErrInvalidArgument)
	if got := lxc(t, "profile", "get", name, "user.raw"); got != "yes" {
		t.Error("a rejected raw call changed the profile")
	}
	// An async answer is returned as is.
	c, cname := container(t, "rawop", false)
	defer c.Close()
	doc, err = client.API("PUT", "/1.0/instances/"+cname+"/state", []byte(`{"action":"start"}`))
	must(t, err)
	var async struct {
		Type     string `json:"type"`
		Metadata struct {
			ID string `json:"id"`
		} `json:"metadata"`
	}
	must(t, json.Unmarshal(doc, &async))
	if async.Type != "async" || async.Metadata.ID == "" {
		t.Fatalf("raw start: %s", doc)
	}
	op, err := client.Operations().Get(async.Metadata.ID)
	if err == nil { // LXD may have finished and forgotten it already
		must(t, op.Wait(-1))
		op.Close()
	} else {
		wantErr(t, err, lxd.ErrNotFound)
	}
	_, err = client.API("GET", "/1.0/operations/"+async.Metadata.ID+"/wait", nil)
	if err != nil && !errors.Is(err, lxd.ErrNotFound) {
		t.Fatal(err)
	}
	if got := lxcList(t, cname).Status; got != "Running" {
		t.Errorf("lxc shows %s after the raw start", got)
	}
}

// The README's API map names every function of the installed header, and
// none that it lacks.
func TestReadmeMapsEveryExport(t *testing.T) {
	inc, err := exec.Command("pkg-config", "--variable=includedir", "liblxd").Output()
	must(t, err)
	header, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(inc)), "lxd.h"))
	must(t, err)
	readme, err := os.ReadFile("README.md")
	must(t, err)
	mapped := map[string]bool{}
	for _, tok := range regexp.MustCompile("`(lxd_[a-z_]+(?:/_[a-z_]+)*)`").FindAllStringSubmatch(string(readme), -1) {
		parts := strings.Split(tok[1], "/")
		mapped[parts[0]] = true
		root := parts[0][:strings.LastIndex(parts[0], "_")]
		for _, suffix := range parts[1:] {
			mapped[root+suffix] = true
		}
	}
	exports := regexp.MustCompile(`(?m)\b(lxd_[a-z_]+)\(`).FindAllStringSubmatch(string(header), -1)
	if len(exports) < 100 {
		t.Fatalf("only %d exports found in the header", len(exports))
	}
	exported := map[string]bool{}
	for _, e := range exports {
		exported[e[1]] = true
		if !mapped[e[1]] {
			t.Errorf("README.md does not map %s", e[1])
		}
	}
	// …and names no function the header lacks (a removed one's row).
	for name := range mapped {
		if !exported[name] {
			t.Errorf("README.md maps %s, which the header does not export", name)
		}
	}
}
