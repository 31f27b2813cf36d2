package lxd_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

// readUntil reads a session until its output contains want (or it ends,
// or a generous bound passes); returns all it read.
func readUntil(t *testing.T, s *lxd.Session, want string) string {
	t.Helper()
	return readUntilFor(t, s, want, 30*time.Second)
}

// readUntilFor is readUntil with its bound.
func readUntilFor(t *testing.T, s *lxd.Session, want string, bound time.Duration) string {
	t.Helper()
	var got bytes.Buffer
	buf := make([]byte, 4096)
	deadline := time.Now().Add(bound)
	for !strings.Contains(got.String(), want) && time.Now().Before(deadline) {
		n, err := s.ReadTimeout(buf, 200*time.Millisecond)
		got.Write(buf[:n])
		if errors.Is(err, lxd.ErrTimeout) {
			continue
		}
		if err != nil {
			break
		}
	}
	return got.String()
}

// Logs, the console and its log, on a running container of the test's own.
func TestLogsAndConsole(t *testing.T) {
	c, name := container(t, "logs", true)

	t.Run("Logs", func(t *testing.T) {
		logs, err := c.Logs()
		must(t, err)
		var fromLxc []string
		lxcQueryInto(t, "/1.0/instances/"+name+"/logs", &fromLxc)
		sort.Strings(logs)
		sort.Strings(fromLxc)
		if !sameStrings(logs, fromLxc) || len(logs) == 0 {
			t.Fatalf("Logs() = %v, lxc %v", logs, fromLxc)
		}
		// lxc.conf does not change while the container runs.
		conf, err := c.Log("lxc.conf")
		must(t, err)
		if got := lxc(t, "query", "/1.0/instances/"+name+"/logs/lxc.conf"); strings.TrimSpace(string(conf)) != got || !contains(conf, "lxc.") {
			t.Errorf("Log(lxc.conf): %d bytes, lxc query %d", len(conf), len(got))
		}
		generic, err := c.ActionBytes("log", map[string]string{"name": "lxc.conf"})
		must(t, err)
		if !bytes.Equal(generic, conf) {
			t.Error("ActionBytes(log) differs from Log")
		}
		_, err = c.Log("lxdt-nope.log")
		if err == nil {
			t.Error("Log of a file that is not there succeeded")
		}
		// LXD refuses to delete lxc.conf: it stays.
		if err := c.DeleteLog("lxc.conf"); err == nil {
			t.Error("DeleteLog(lxc.conf) succeeded")
		}
		var after []string
		lxcQueryInto(t, "/1.0/instances/"+name+"/logs", &after)
		if !sameStrings(after, fromLxc) {
			t.Errorf("a refused DeleteLog changed the logs: %v", after)
		}
		// A log that may be deleted (LXD's own are exec_*.log and the like):
		// where the daemon keeps its logs here, put one there.
		dir := filepath.Join("/var/lib/lxd/logs", name)
		if _, err := os.Stat(dir); err != nil {
			t.Logf("no %s: DeleteLog of a deletable log not tried", dir)
			return
		}
		extra := filepath.Join(dir, "exec_lxdt.log")
		must(t, os.WriteFile(extra, []byte("lxdt log line\n"), 0o600))
		got, err := c.Log("exec_lxdt.log")
		must(t, err)
		if string(got) != "lxdt log line\n" {
			t.Errorf("Log(exec_lxdt.log) = %q", got)
		}
		must(t, c.DeleteLog("exec_lxdt.log"))
		if _, err := os.Stat(extra); !os.IsNotExist(err) {
			t.Errorf("after DeleteLog the file: %v", err)
		}
		lxcQueryInto(t, "/1.0/instances/"+name+"/logs", &after)
		for _, l := range after {
			if strings.HasSuffix(l, "/exec_lxdt.log") {
				t.Errorf("lxc still lists %s", l)
			}
		}
	})

	t.Run("Console", func(t *testing.T) {
		s, err := c.Console(&lxd.ConsoleOptions{Width: 100, Height: 30})
		must(t, err)
		defer s.Close()
		must(t, s.Resize(120, 40))
		wantErr(t, s.Signal(15), lxd.ErrInvalidArgument)
		// Typed into the console, the terminal echoes it. LXD connects the
		// console a moment after the session opened: what comes before is
		// not relayed, so type until the echo shows.
		typed := "lxdt-typed-" + run
		echoed := false
		for i := 0; i < 30 && !echoed; i++ {
			_, err = s.Write([]byte(typed))
			must(t, err)
			echoed = strings.Contains(readUntilFor(t, s, typed, time.Second), typed)
		}
		if !echoed {
			t.Fatal("typing into the console never echoed")
		}
		// What the instance writes to its console comes to the session
		// and into the console log.
		marker := "lxdt-console-" + run
		lxc(t, "exec", name, "--", "sh", "-c", "echo "+marker+" > /dev/console")
		if out := readUntil(t, s, marker); !strings.Contains(out, marker) {
			t.Errorf("the console session read %q", out)
		}
		// LXD 5.0.2 hands out a running container's console buffer once: a
		// second read gives what came since, or, when nothing did, an
		// error (HTTP 500 "open : no such file or directory").
		clog, err := c.ConsoleLog()
		must(t, err)
		if !contains(clog, marker) {
			t.Errorf("console log %q", clog)
		}
		// Cleared, the log no longer has what was written before.
		marker2 := "lxdt-cleared-" + run
		lxc(t, "exec", name, "--", "sh", "-c", "echo "+marker2+" > /dev/console")
		readUntil(t, s, marker2)
		must(t, c.ClearConsoleLog())
		clog, err = c.ConsoleLog()
		if err != nil {
			wantErr(t, err, lxd.ErrAPI)
		}
		shown, _ := lxcTry("query", "/1.0/instances/"+name+"/console")
		if contains(clog, marker2) || strings.Contains(shown, marker2) {
			t.Errorf("console log after ClearConsoleLog: %q; lxc: %q", clog, shown)
		}
		// Attached, the console has not ended. (That a stop ends it is
		// tested in C on a daemon of its own: LXD 5.0.2 can crash on it.)
		_, err = s.Wait(0)
		wantErr(t, err, lxd.ErrTimeout)
		must(t, s.Close())
		must(t, c.Stop(lxd.DefaultTimeout, true, true))
		// No console on a stopped instance.
		_, err = c.Console(nil)
		wantErr(t, err, lxd.ErrAPI)
	})
}

// metadataOf is the instance's metadata as lxc shows it.
func metadataOf(t *testing.T, name string) map[string]any {
	t.Helper()
	var doc map[string]any
	lxcQueryInto(t, "/1.0/instances/"+name+"/metadata", &doc)
	return doc
}

// Metadata and templates round trips, and Patch on an instance; lxc reads
// back every change.
func TestMetadataAndTemplates(t *testing.T) {
	c, name := container(t, "meta", false)

	md, err := c.Metadata()
	must(t, err)
	var doc map[string]any
	must(t, json.Unmarshal(md, &doc))
	if !reflect.DeepEqual(doc, metadataOf(t, name)) || doc["architecture"] == nil {
		t.Fatalf("Metadata() = %s", md)
	}
	props := doc["properties"].(map[string]any)
	props["description"] = "lxdt edited"
	must(t, c.SetMetadata(doc))
	if got := metadataOf(t, name)["properties"].(map[string]any)["description"]; got != "lxdt edited" {
		t.Errorf("after SetMetadata lxc shows description %v", got)
	}
	// PatchMetadata changes what it names, keeps the rest.
	must(t, c.PatchMetadata(map[string]any{"expiry_date": 1900000000}))
	after := metadataOf(t, name)
	if after["expiry_date"] != float64(1900000000) || after["properties"].(map[string]any)["description"] != "lxdt edited" {
		t.Errorf("after PatchMetadata lxc shows %v", after)
	}
	wantErr(t, c.SetMetadata(nil), lxd.ErrInvalidArgument)
	wantErr(t, c.SetMetadata(`{"architecture":`), lxd.ErrInvalidArgument)

	// Templates.
	names, err := c.Templates()
	must(t, err)
	if len(names) != 0 {
		t.Errorf("a fresh busybox container has templates %v", names)
	}
	const tpl = "hostname: {{ container.name }}\n"
	must(t, c.PutTemplate("lxdt.tpl", []byte(tpl)))
	var fromLxc []string
	lxcQueryInto(t, "/1.0/instances/"+name+"/metadata/templates", &fromLxc)
	names, err = c.Templates()
	must(t, err)
	if !sameStrings(fromLxc, []string{"lxdt.tpl"}) || !sameStrings(names, fromLxc) {
		t.Fatalf("templates: ours %v, lxc %v", names, fromLxc)
	}
	if got := lxc(t, "query", "/1.0/instances/"+name+"/metadata/templates?path=lxdt.tpl"); got != strings.TrimSpace(tpl) {
		t.Errorf("lxc reads the template as %q", got)
	}
	got, err := c.Template("lxdt.tpl")
	must(t, err)
	if string(got) != tpl {
		t.Errorf("Template() = %q", got)
	}
	wantErr(t, c.PutTemplate("bad.tpl", []byte{0xff, 0xfe}), lxd.ErrInvalidArgument)
	must(t, c.DeleteTemplate("lxdt.tpl"))
	lxcQueryInto(t, "/1.0/instances/"+name+"/metadata/templates", &fromLxc)
	if len(fromLxc) != 0 {
		t.Errorf("after DeleteTemplate lxc lists %v", fromLxc)
	}
	_, err = c.Template("lxdt.tpl")
	wantErr(t, err, lxd.ErrNotFound)

	// Patch an instance: only the field given changes.
	must(t, c.Patch(map[string]any{"description": "lxdt patched", "config": map[string]string{"user.lxdt": "yes"}}, true))
	if got := lxc(t, "config", "get", name, "user.lxdt"); got != "yes" {
		t.Errorf("after Patch user.lxdt = %q", got)
	}
	if got := lxcList(t, name); got.Config["image.os"] != "busybox" {
		t.Errorf("Patch lost image.os: %v", got.Config)
	}
	if got := getString(t, c, "description"); got != "lxdt patched" {
		t.Errorf("the object after Patch: description %q", got)
	}
}

// Patch on a profile: ETag-guarded, maps merged, local changes kept.
func TestPatch(t *testing.T) {
	p, name := profile(t, "patch")
	must(t, p.Set("description", []byte(`"local only"`)))
	must(t, p.Patch(map[string]any{"config": map[string]string{"user.a": "1", "user.b": "2"}}, true))
	if lxc(t, "profile", "get", name, "user.a") != "1" || lxc(t, "profile", "get", name, "user.b") != "2" {
		t.Error("Patch did not reach the server")
	}
	var server struct {
		Description string `json:"description"`
	}
	lxcQueryInto(t, "/1.0/profiles/"+name, &server)
	if server.Description != "lxdt go" {
		t.Errorf("Patch sent the local change: description %q", server.Description)
	}
	if !p.Dirty() || getString(t, p, "description") != "local only" {
		t.Error("Patch dropped the local change")
	}
	must(t, p.Rollback())
	// A key set to "" is removed; the other stays (merged, not replaced).
	must(t, p.Patch(`{"config": {"user.a": ""}}`, true))
	if lxc(t, "profile", "get", name, "user.a") != "" || lxc(t, "profile", "get", name, "user.b") != "2" {
		t.Error("Patch did not merge config")
	}
	// Changed by someone else since the last sync: refused, not applied.
	lxc(t, "profile", "set", name, "user.other=x")
	wantErr(t, p.Patch(map[string]any{"config": map[string]string{"user.c": "3"}}, true), lxd.ErrPreconditionFailed)
	if lxc(t, "profile", "get", name, "user.c") != "" {
		t.Error("a refused Patch was applied")
	}
	must(t, p.Sync())
	must(t, p.Patch(map[string]any{"config": map[string]string{"user.c": "3"}}, false))
	if lxc(t, "profile", "get", name, "user.c") != "3" || lxc(t, "profile", "get", name, "user.other") != "x" {
		t.Error("Patch after Sync")
	}
	// Fields that cannot be patched.
	wantErr(t, p.Patch(map[string]any{"name": "x"}, true), lxd.ErrReadOnly)
	wantErr(t, p.Patch(map[string]any{"lxdt_nope": 1}, true), lxd.ErrUnknownAttribute)
	wantErr(t, p.Patch(`[1]`, true), lxd.ErrInvalidArgument)
	wantErr(t, p.Patch(nil, true), lxd.ErrInvalidArgument)
}

// The generic entry points: Action runs what the kind lists, refuses the
// rest (another kind's action, or one of another entry point).
func TestGenericActions(t *testing.T) {
	c, name := container(t, "act", false)
	doc, err := c.Action("state", nil, false)
	must(t, err)
	var st struct {
		Status string `json:"status"`
	}
	must(t, json.Unmarshal(doc, &st))
	if st.Status != "Stopped" {
		t.Errorf("state: %s", doc)
	}
	op, err := c.Action("start", `{"timeout": 30}`, true)
	must(t, err)
	if !contains(op, `"Success"`) || lxcList(t, name).Status != "Running" {
		t.Errorf("start gave %s; lxc shows %s", op, lxcList(t, name).Status)
	}
	if getString(t, c, "status") != "Running" {
		t.Error("the object does not read the server state after a waited action")
	}
	// Without waiting: the operation, also from Operation().
	_, err = c.Action("stop", map[string]any{"force": true}, false)
	must(t, err)
	o, err := c.Operation()
	must(t, err)
	if o == nil {
		t.Fatal("no operation after an action without wait")
	}
	must(t, o.Wait(-1))
	o.Close()
	if got := lxcList(t, name).Status; got != "Stopped" {
		t.Errorf("after stop lxc shows %s", got)
	}
	null, err := c.Action("clear_console_log", nil, false)
	must(t, err)
	if string(null) != "null" {
		t.Errorf("an action returning nothing gave %s", null)
	}

	for _, bad := range []func() error{
		func() error { _, err := c.Action("lxdt_nope", nil, false); return err },
		func() error { _, err := c.Action("log", `{"name": "lxc.log"}`, false); return err },
		func() error { _, err := c.ActionBytes("logs", nil); return err },
		func() error { return c.ActionToFile("logs", nil, filepath.Join(t.TempDir(), "x"), nil) },
		func() error { _, err := c.Action("state", `[1]`, false); return err },
		func() error { _, err := c.Action("restore", nil, false); return err },
		func() error {
			_, err := client.CollectionAction(lxd.KindProfile, "set_state_all", nil, false)
			return err
		},
		func() error { _, err := client.CollectionAction(lxd.KindInstance, "logs", nil, false); return err },
		func() error { _, err := client.SetStateAll(lxd.StateChange{}, true); return err },
	} {
		wantErr(t, bad(), lxd.ErrInvalidArgument)
	}
	p, _ := profile(t, "act")
	_, err = p.Action("logs", nil, false)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = p.Logs()
	wantErr(t, err, lxd.ErrInvalidArgument)
	if got := lxcList(t, name).Status; got != "Stopped" {
		t.Errorf("refused actions changed the container: %s", got)
	}
}

// SetStateAll, only inside a project of the test's own (a client of that
// project): every instance there starts and stops at once, and nothing of
// the default project changes.
func TestSetStateAll(t *testing.T) {
	proj := uniq("proj")
	lxc(t, "project", "create", proj, "-c", "features.images=false", "-c", "features.profiles=false")
	var names []string
	t.Cleanup(func() {
		for _, n := range names {
			_, _ = lxcTry("delete", "-f", "--project", proj, n)
		}
		_, _ = lxcTry("project", "delete", proj)
	})
	pc, err := lxd.NewClient("", &lxd.Options{Project: proj})
	must(t, err)
	defer pc.Close()
	for i := 0; i < 2; i++ {
		n := uniq("all")
		names = append(names, n)
		o, err := pc.Containers().Create(map[string]any{
			"name": n, "source": map[string]any{"type": "image", "alias": "busybox"},
		}, true)
		must(t, err)
		o.Close()
	}
	// A stopped container of the default project, which must stay so.
	_, outside := container(t, "outside", false)
	statuses := func() []string {
		var list []lxcInstance
		if err := json.Unmarshal([]byte(lxc(t, "list", "--project", proj, "--format", "json")), &list); err != nil {
			t.Fatal(err)
		}
		var st []string
		for _, x := range list {
			st = append(st, x.Status)
		}
		return st
	}
	op, err := pc.SetStateAll(lxd.StateChange{Action: "start", Timeout: 30 * time.Second}, true)
	must(t, err)
	if got := statuses(); !sameStrings(got, []string{"Running", "Running"}) {
		t.Fatalf("after SetStateAll start: %v (%s)", got, op)
	}
	if got := lxcList(t, outside).Status; got != "Stopped" {
		t.Errorf("a container of the default project is %s", got)
	}
	// Without waiting, through the generic entry point: the operation.
	op, err = pc.CollectionAction(lxd.KindInstance, "set_state_all", `{"state": {"action": "stop", "force": true}}`, false)
	must(t, err)
	var started struct {
		ID string `json:"id"`
	}
	must(t, json.Unmarshal(op, &started))
	if started.ID == "" {
		t.Fatalf("no operation id in %s", op)
	}
	if o, err := pc.Operations().Get(started.ID); err == nil {
		must(t, o.Wait(-1))
		o.Close()
	} else {
		wantErr(t, err, lxd.ErrNotFound) // done and forgotten already
	}
	if got := statuses(); !sameStrings(got, []string{"Stopped", "Stopped"}) {
		t.Errorf("after set_state_all stop: %v", got)
	}
}

// A server without the API extension of a kind or action: liblxd refuses
// with ErrExtensionMissing before sending anything. A FAKE LXD (canned
// answers) is the only way to count the requests: the real daemon has
// all these extensions (not clustering_evacuation_mode, whose refusal
// cluster_live_test.go also checks on the real cluster).
func TestExtensionMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unix.socket")
	ln, err := net.Listen("unix", path)
	must(t, err)
	var mu sync.Mutex
	var requests []string
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, metadata string) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"type":"sync","status":"Success","status_code":200,"metadata":%s}`, metadata)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/1.0":
			reply(w, `{"api_extensions":["instances","clustering"],"api_status":"stable","api_version":"1.0",`+
				`"auth":"trusted","public":false,"auth_methods":["tls"],"environment":{"server_version":"5.0.2"}}`)
		case "/1.0/instances/c1":
			reply(w, `{"name":"c1","type":"container","status":"Running","status_code":103,"config":{},`+
				`"devices":{},"profiles":["default"],"architecture":"x86_64","ephemeral":false,"stateful":false,`+
				`"description":"","project":"default","location":"none","created_at":"2020-01-01T00:00:00Z",`+
				`"last_used_at":"2020-01-01T00:00:00Z","expanded_config":{},"expanded_devices":{}}`)
		case "/1.0/cluster/members/m1":
			reply(w, `{"architecture":"x86_64","config":{},"database":true,"description":"","failure_domain":"default",`+
				`"groups":["default"],"message":"Fully operational","roles":["database"],"server_name":"m1",`+
				`"status":"Online","url":"https://10.0.0.1:8443"}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"type":"error","error":"Not found (fake LXD)","error_code":404,"metadata":null}`)
		}
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	fc, err := lxd.NewClient(path, nil)
	must(t, err)
	defer fc.Close()
	if fc.HasAPIExtension("container_backup") {
		t.Fatal("the fake server has container_backup")
	}
	inst, err := fc.Instances().Get("c1")
	must(t, err)
	defer inst.Close()
	member, err := fc.ClusterMembers().Get("m1")
	must(t, err)
	defer member.Close()
	mu.Lock()
	before := len(requests)
	mu.Unlock()

	calls := map[string]func() error{
		"Backups().All":    func() error { _, err := inst.Backups().All(); return err },
		"Backups().Get":    func() error { _, err := inst.Backups().Get("b0"); return err },
		"Backups().Create": func() error { _, err := inst.Backups().Create(`{"name":"b0"}`, true); return err },
		"ConsoleLog":       func() error { _, err := inst.ConsoleLog(); return err },
		"ClearConsoleLog":  func() error { return inst.ClearConsoleLog() },
		"Metadata":         func() error { _, err := inst.Metadata(); return err },
		"Templates":        func() error { _, err := inst.Templates(); return err },
		"PutTemplate":      func() error { return inst.PutTemplate("a.tpl", []byte("x")) },
		"Action(metadata)": func() error { _, err := inst.Action("metadata", nil, false); return err },
		// An evacuation mode needs clustering_evacuation_mode (LXD 5.0.2
		// lacks it too: cluster_live_test.go checks that on the real cluster).
		"EvacuateWithMode": func() error { return member.EvacuateWithMode("stop", true) },
		"Action(evacuate, mode)": func() error {
			_, err := member.Action("evacuate", `{"mode":"live-migrate"}`, false)
			return err
		},
	}
	for what, call := range calls {
		err := call()
		if !errors.Is(err, lxd.ErrExtensionMissing) {
			t.Errorf("%s: %v, want ErrExtensionMissing", what, err)
			continue
		}
		var e *lxd.Error
		if !errors.As(err, &e) || e.Code != lxd.StatusExtensionMissing || e.HTTPStatus != 0 ||
			!strings.Contains(err.Error(), "LXD_ERR_EXTENSION_MISSING") {
			t.Errorf("%s: %#v", what, e)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requests) != before {
		t.Errorf("requests were sent: %v", requests[before:])
	}
}
