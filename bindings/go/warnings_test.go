package lxd_test

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
	"github.com/liblxd/liblxd/bindings/go/internal/cthread"
)

// fakeLXD is a FAKE LXD server, not LXD: a few canned answers on a unix
// socket in a temporary folder. LXD 5.0.2 never sends an attribute that
// liblxd's schema lacks, so warnings can only be tested this way.
func fakeLXD(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "unix.socket")
	ln, err := net.Listen("unix", path)
	must(t, err)
	sync := func(w http.ResponseWriter, etag, metadata string) {
		w.Header().Set("Content-Type", "application/json")
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		fmt.Fprintf(w, `{"type":"sync","status":"Success","status_code":200,"metadata":%s}`, metadata)
	}
	profile := func(name string) string {
		return fmt.Sprintf(`{"config":{},"description":"fake","devices":{},"name":%q,"used_by":[],`+
			`"shiny_new_field":42,"another_one":"x"}`, name)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/1.0", func(w http.ResponseWriter, r *http.Request) {
		sync(w, "", `{"api_extensions":["instances"],"api_status":"stable","api_version":"1.0",`+
			`"auth":"trusted","public":false,"auth_methods":["tls"],"environment":{"server_version":"5.0.2"}}`)
	})
	mux.HandleFunc("/1.0/profiles", func(w http.ResponseWriter, r *http.Request) {
		sync(w, "", "["+profile("p1")+","+profile("p2")+"]")
	})
	mux.HandleFunc("/1.0/profiles/p1", func(w http.ResponseWriter, r *http.Request) {
		sync(w, `"abc"`, profile("p1"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"type":"error","error":"Not found (fake LXD)","error_code":404,"metadata":null}`)
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return path
}

type warning struct {
	class, attr, msg string
	tid              int
}

type collector struct {
	mu sync.Mutex
	ws []warning
}

func (c *collector) fn(class, attr, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws = append(c.ws, warning{class, attr, msg, syscall.Gettid()})
}

func (c *collector) take() []warning {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := c.ws
	c.ws = nil
	return ws
}

func TestWarningsReachGoCallback(t *testing.T) {
	sock := fakeLXD(t)
	fc, err := lxd.NewClient(sock, nil)
	must(t, err)
	defer fc.Close()
	col := &collector{}
	lxd.SetWarningCallback(col.fn)
	t.Cleanup(func() {
		lxd.SetWarningCallback(nil)
		_ = lxd.SetWarningMode(lxd.WarningsOnce)
	})

	// Always: each object received warns once per unknown attribute.
	must(t, lxd.SetWarningMode(lxd.WarningsAlways))
	p, err := fc.Profiles().Get("p1")
	must(t, err)
	ws := col.take()
	if len(ws) != 2 {
		t.Fatalf("got %d warnings, want 2: %+v", len(ws), ws)
	}
	attrs := map[string]bool{}
	for _, w := range ws {
		attrs[w.attr] = true
		want := fmt.Sprintf("Attempted to set unknown attribute %q on instance of %q", w.attr, "Profile")
		if w.class != "Profile" || w.msg != want {
			t.Errorf("warning %+v", w)
		}
	}
	if !attrs["shiny_new_field"] || !attrs["another_one"] {
		t.Errorf("attributes %v", attrs)
	}
	// The unknown attribute stays readable, not settable.
	v, err := p.Get("shiny_new_field")
	must(t, err)
	if string(v) != "42" {
		t.Errorf("shiny_new_field = %s", v)
	}
	wantErr(t, p.Set("shiny_new_field", []byte("1")), lxd.ErrUnknownAttribute)
	p.Close()
	objs, err := fc.Profiles().All()
	must(t, err)
	for _, o := range objs {
		o.Close()
	}
	if n := len(col.take()); n != 4 {
		t.Errorf("All() of 2 profiles gave %d warnings, want 4", n)
	}

	// None: silent.
	must(t, lxd.SetWarningMode(lxd.WarningsNone))
	p, err = fc.Profiles().Get("p1")
	must(t, err)
	p.Close()
	if n := len(col.take()); n != 0 {
		t.Errorf("%d warnings in mode none", n)
	}

	// From a thread C created, which Go has never seen: the callback runs
	// there (cgo makes it a Go thread for the call) and works.
	must(t, lxd.SetWarningMode(lxd.WarningsAlways))
	tid, err := cthread.GetOnNewThread(sock, int(lxd.KindProfile), "p1")
	must(t, err)
	ws = col.take()
	if len(ws) != 2 {
		t.Fatalf("from a C thread: %d warnings, want 2", len(ws))
	}
	for _, w := range ws {
		if w.tid != tid || w.class != "Profile" {
			t.Errorf("warning on thread %d (the C thread is %d): %+v", w.tid, tid, w)
		}
	}

	// A panicking callback is contained.
	lxd.SetWarningCallback(func(string, string, string) { panic("warning panic (test)") })
	p, err = fc.Profiles().Get("p1")
	must(t, err)
	p.Close()

	// Once (the default mode): at most once per class and attribute.
	lxd.SetWarningCallback(col.fn)
	must(t, lxd.SetWarningMode(lxd.WarningsOnce))
	for i := 0; i < 3; i++ {
		p, err = fc.Profiles().Get("p1")
		must(t, err)
		p.Close()
	}
	if n := len(col.take()); n > 2 {
		t.Errorf("mode once gave %d warnings for 3 gets", n)
	}
	// Removing the callback: nothing more reaches it.
	lxd.SetWarningCallback(nil)
	must(t, lxd.SetWarningMode(lxd.WarningsAlways))
	_, err = cthread.GetOnNewThread(sock, int(lxd.KindProfile), "p1")
	must(t, err)
	if n := len(col.take()); n != 0 {
		t.Errorf("%d warnings after SetWarningCallback(nil)", n)
	}
	// A 404 from the fake carries its message.
	_, err = fc.Profiles().Get("nope")
	if e := wantErr(t, err, lxd.ErrNotFound); !strings.Contains(e.Message, "Not found (fake LXD)") || e.HTTPStatus != 404 {
		t.Errorf("404 from the fake: %+v", e)
	}
}
