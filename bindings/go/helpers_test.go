package lxd_test

// Test support shared by the test files: one client, unique names for
// everything the tests create (lxdt-go-<run>-…), cleanup with lxc, and a
// shared running busybox container.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

var (
	client  *lxd.Client
	run     string
	counter int64
)

func TestMain(m *testing.M) {
	rand.Seed(time.Now().UnixNano())
	run = os.Getenv("LXDT_GO_RUN")
	if run == "" {
		run = fmt.Sprintf("%d", os.Getpid())
	}
	c, err := lxd.NewClient("", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot connect to the local LXD:", err)
		os.Exit(2)
	}
	client = c
	code := m.Run()
	for i := len(atExit) - 1; i >= 0; i-- {
		atExit[i]()
	}
	if boxName != "" {
		_, _ = lxcTry("delete", "-f", boxName)
	}
	client.Close()
	os.Exit(code)
}

// atExit holds what TestMain runs after the tests, last first (objects
// shared by several tests).
var atExit []func()

// uniq is a fresh name for an object this run creates.
func uniq(what string) string {
	return fmt.Sprintf("lxdt-go-%s-%s%d", run, what, atomic.AddInt64(&counter, 1))
}

// lxcTry runs the lxc command and returns its combined output.
func lxcTry(args ...string) (string, error) {
	out, err := exec.Command("lxc", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("lxc %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// lxcExecReads reports whether args are `exec NAME -- PROG …` with PROG a
// program that only reads, so that running it again is safe.
func lxcExecReads(args []string) bool {
	if len(args) == 0 || args[0] != "exec" {
		return false
	}
	for i, a := range args {
		if a == "--" && i+1 < len(args) {
			switch args[i+1] {
			case "cat", "stat", "md5sum", "sha256sum", "readlink", "ls", "ps", "id",
				"pwd", "wc", "head", "tail", "find", "du", "env":
				return true
			}
			return false
		}
	}
	return false
}

// lxc runs the lxc command, failing the test if it fails; returns stdout
// trimmed.
//
// LXD 5.0.2 now and then loses the whole output of an `lxc exec` on a
// loaded machine (canonical/lxd#11422, fixed in LXD 5.14): an `lxc exec`
// of a read-only program that succeeded without output is asked again.
func lxc(t testing.TB, args ...string) string {
	t.Helper()
	for attempt := 0; ; attempt++ {
		out, err := exec.Command("lxc", args...).Output()
		if err != nil {
			msg := ""
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				msg = string(ee.Stderr)
			}
			t.Fatalf("lxc %s: %v: %s", strings.Join(args, " "), err, msg)
		}
		if len(out) > 0 || !lxcExecReads(args) || attempt == 2 {
			return strings.TrimSpace(string(out))
		}
	}
}

// lxcInstance is what `lxc list NAME --format json` shows of one instance.
type lxcInstance struct {
	Name   string            `json:"name"`
	Status string            `json:"status"`
	Config map[string]string `json:"config"`
}

// lxcList returns the instance named exactly name, or nil.
func lxcList(t testing.TB, name string) *lxcInstance {
	t.Helper()
	var list []lxcInstance
	if err := json.Unmarshal([]byte(lxc(t, "list", "^"+name+"$", "--format", "json")), &list); err != nil {
		t.Fatalf("lxc list: %v", err)
	}
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// container creates a busybox container (deleted with lxc when the test ends).
func container(t testing.TB, what string, start bool) (*lxd.Object, string) {
	t.Helper()
	name := uniq(what)
	t.Cleanup(func() { _, _ = lxcTry("delete", "-f", name) })
	c, err := client.Containers().Create(map[string]any{
		"name":   name,
		"source": map[string]any{"type": "image", "alias": "busybox"},
	}, true)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	if start {
		must(t, c.Start(lxd.DefaultTimeout, false, true))
	}
	return c, name
}

// profile creates a profile (deleted with lxc when the test ends).
func profile(t testing.TB, what string) (*lxd.Object, string) {
	t.Helper()
	name := uniq(what)
	t.Cleanup(func() { _, _ = lxcTry("profile", "delete", name) })
	p, err := client.Profiles().Create(fmt.Sprintf(`{"name":%q,"description":"lxdt go"}`, name), true)
	must(t, err)
	t.Cleanup(func() { p.Close() })
	return p, name
}

var (
	boxOnce sync.Once
	boxObj  *lxd.Object
	boxName string
	boxErr  error
)

// box is a running container shared by the exec and file tests (deleted
// by TestMain).
func box(t testing.TB) *lxd.Object {
	t.Helper()
	boxOnce.Do(func() {
		boxName = uniq("box")
		boxObj, boxErr = client.Containers().Create(map[string]any{
			"name":   boxName,
			"source": map[string]any{"type": "image", "alias": "busybox"},
		}, true)
		if boxErr == nil {
			boxErr = boxObj.Start(lxd.DefaultTimeout, false, true)
		}
	})
	if boxErr != nil {
		t.Fatalf("shared container: %v", boxErr)
	}
	return boxObj
}

// wantErr checks that err is the sentinel want and an *lxd.Error.
func wantErr(t testing.TB, err error, want error) *lxd.Error {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
	var e *lxd.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not an *lxd.Error", err)
	}
	return e
}

// getString reads a string attribute.
func getString(t testing.TB, o *lxd.Object, attr string) string {
	t.Helper()
	var s string
	must(t, o.GetInto(attr, &s))
	return s
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func asErr(err error, target **lxd.Error) bool { return errors.As(err, target) }
