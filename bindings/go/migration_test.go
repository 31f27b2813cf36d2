package lxd_test

// Instances that move between the main server and the second one: copies
// in pull, push and relay mode (with and without snapshots, waited or
// not), a refresh of an existing copy, a taken name, a local copy, a move,
// and refusals. Outcomes are read on the servers with lxc: the copy's
// snapshots and its file's sha256.
//
// One stopped source container serves the run (deleted by TestMain): it
// holds a file with content of its own and one snapshot, s0.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

const migrationMark = "/lxdt-migration.txt"

type sourceInstance struct {
	obj  *lxd.Object
	name string
	sum  string // sha256 of migrationMark in it
}

var (
	migrationOnce sync.Once
	migrationSrc  *sourceInstance
	migrationErr  error
)

// makeSource creates a stopped container holding migrationMark with
// content of its own and a snapshot s0.
func makeSource(name string) (*sourceInstance, error) {
	o, err := client.Containers().Create(map[string]any{
		"name":   name,
		"source": map[string]any{"type": "image", "alias": "busybox"},
	}, true)
	if err != nil {
		return nil, err
	}
	content := fmt.Sprintf("migrated from %s (%s)\n", name, uniq("mark"))
	if err := o.Files().Put(migrationMark, []byte(content), nil); err != nil {
		o.Close()
		return nil, err
	}
	snap, err := o.Snapshots().Create(`{"name": "s0"}`, true)
	if err != nil {
		o.Close()
		return nil, err
	}
	snap.Close()
	out, err := lxcTry("file", "pull", name+migrationMark, "-")
	if err != nil {
		o.Close()
		return nil, err
	}
	if out != content {
		o.Close()
		return nil, fmt.Errorf("lxc file pull gave %q, %q was put", out, content)
	}
	sum := sha256.Sum256([]byte(out))
	return &sourceInstance{obj: o, name: name, sum: hex.EncodeToString(sum[:])}, nil
}

// migrationSource is the run's shared stopped source container.
func migrationSource(t testing.TB) *sourceInstance {
	t.Helper()
	migrationOnce.Do(func() {
		name := uniq("mig-src")
		atExit = append(atExit, func() {
			if migrationSrc != nil {
				migrationSrc.obj.Close()
			}
			_, _ = lxcTry("delete", "-f", name)
		})
		migrationSrc, migrationErr = makeSource(name)
	})
	if migrationErr != nil {
		t.Fatalf("the source container: %v", migrationErr)
	}
	return migrationSrc
}

// fileSum is the sha256 of a file in an instance, read with lxc and
// sha256sum (onSecond: on the second server).
func fileSum(t testing.TB, onSecond bool, name, path string) string {
	t.Helper()
	env := ""
	if onSecond {
		env = "LXD_DIR=" + secondDir + " "
	}
	return sh(t, fmt.Sprintf("%slxc file pull %q - | sha256sum | cut -d' ' -f1", env, name+path))
}

// snapshotsOn lists the snapshots of instance name on the second server.
func snapshotsOn(t testing.TB, name string) string {
	t.Helper()
	var names []string
	for _, p := range strings.Fields(strings.NewReplacer("[", " ", "]", " ", ",", " ", `"`, " ").Replace(
		lxc2(t, "query", "/1.0/instances/"+name+"/snapshots"))) {
		names = append(names, p[strings.LastIndex(p, "/")+1:])
	}
	return strings.Join(names, " ")
}

// statusOn is the status of instance name as lxc lists it ("" when absent).
func statusOn(t testing.TB, lxcFn func(testing.TB, ...string) string, name string) string {
	t.Helper()
	return lxcFn(t, "list", "^"+name+"$", "-c", "s", "--format", "csv")
}

// Copies in each mode: the copy is on the second server, stopped, with the
// source's file and (unless InstanceOnly) its snapshot; the source is as
// it was.
func TestInstanceCopyModes(t *testing.T) {
	src := migrationSource(t)
	other := second(t)
	for _, tc := range []struct {
		mode         string
		instanceOnly bool
		wait         bool
	}{
		{"pull", false, false}, // not waited for: the operation is
		{"push", true, true},
		{"relay", false, true},
	} {
		tc := tc
		t.Run(tc.mode, func(t *testing.T) {
			name := uniq(tc.mode)
			t.Cleanup(func() { _, _ = lxc2Try("delete", "-f", name) })
			cp, err := src.obj.CopyTo(other, &lxd.InstanceCopyOptions{Name: name, Mode: tc.mode, InstanceOnly: tc.instanceOnly}, tc.wait)
			must(t, err)
			defer cp.Close()
			if !tc.wait {
				op, err := cp.Operation()
				must(t, err)
				if op == nil {
					t.Fatal("a copy without wait has no operation")
				}
				must(t, op.Wait(-1))
				op.Close()
				must(t, cp.Sync())
			}
			if got := getString(t, cp, "name"); got != name {
				t.Errorf("the copy's object names %q", got)
			}
			if got := getString(t, cp, "status"); got != "Stopped" {
				t.Errorf("the copy's status %q", got)
			}
			if got := statusOn(t, lxc2, name); got != "STOPPED" {
				t.Errorf("the second server lists the copy as %q", got)
			}
			if got := fileSum(t, true, name, migrationMark); got != src.sum {
				t.Errorf("the copy's file sha256 %s, the source's %s", got, src.sum)
			}
			want := "s0"
			if tc.instanceOnly {
				want = ""
			}
			if got := snapshotsOn(t, name); got != want {
				t.Errorf("the copy's snapshots %q, want %q", got, want)
			}
			if got := statusOn(t, lxc, src.name); got != "STOPPED" {
				t.Errorf("the source is %q", got)
			}
		})
	}
}

// A refresh copy brings a change of the source to the existing copy;
// without refresh the name is taken (ErrConflict), and both stay as they
// were.
func TestInstanceCopyRefreshAndTakenName(t *testing.T) {
	src := migrationSource(t)
	other := second(t)
	name := uniq("refresh")
	t.Cleanup(func() { _, _ = lxc2Try("delete", "-f", name) })
	cp, err := src.obj.CopyTo(other, &lxd.InstanceCopyOptions{Name: name, InstanceOnly: true}, true)
	must(t, err)
	cp.Close()

	const extra = "/lxdt-extra.txt"
	content := "refreshed " + name + "\n"
	must(t, src.obj.Files().Put(extra, []byte(content), nil))
	t.Cleanup(func() { _, _ = lxcTry("file", "delete", src.name+extra) })
	if _, err := lxc2Try("file", "pull", name+extra, "-"); err == nil {
		t.Fatal("the copy has the new file before the refresh")
	}
	again, err := src.obj.CopyTo(other, &lxd.InstanceCopyOptions{Name: name, InstanceOnly: true, Refresh: true}, true)
	must(t, err)
	again.Close()
	if got := lxc2(t, "file", "pull", name+extra, "-"); got+"\n" != content {
		t.Errorf("after the refresh the copy's %s holds %q", extra, got)
	}

	dup, err := src.obj.CopyTo(other, &lxd.InstanceCopyOptions{Name: name, Mode: "push"}, true)
	wantErr(t, err, lxd.ErrConflict)
	if dup != nil {
		t.Error("a failed copy gave an object")
	}
	if got := fileSum(t, true, name, migrationMark); got != src.sum {
		t.Errorf("the copy's file changed: %s", got)
	}
	if got := fileSum(t, false, src.name, migrationMark); got != src.sum {
		t.Errorf("the source's file changed: %s", got)
	}
	if got := statusOn(t, lxc, src.name); got != "STOPPED" {
		t.Errorf("the source is %q", got)
	}
}

// Both clients on one server: LXD's local copy.
func TestInstanceCopyToTheSameServer(t *testing.T) {
	src := migrationSource(t)
	name := uniq("local")
	t.Cleanup(func() { _, _ = lxcTry("delete", "-f", name) })
	cp, err := src.obj.CopyTo(client, &lxd.InstanceCopyOptions{Name: name, Mode: "relay", InstanceOnly: true}, true)
	must(t, err)
	cp.Close()
	if got := fileSum(t, false, name, migrationMark); got != src.sum {
		t.Errorf("the local copy's file sha256 %s, the source's %s", got, src.sum)
	}
}

// Move, renamed on the way: gone from the main server, on the second with
// its file and snapshot. A running instance is refused and stays.
func TestInstanceMoveTo(t *testing.T) {
	other := second(t)
	name, moved := uniq("move"), uniq("moved")
	t.Cleanup(func() {
		_, _ = lxcTry("delete", "-f", name)
		_, _ = lxc2Try("delete", "-f", moved)
	})
	src, err := makeSource(name)
	must(t, err)
	defer src.obj.Close()

	m, err := src.obj.MoveTo(other, &lxd.InstanceCopyOptions{Name: moved, Mode: "push"})
	must(t, err)
	defer m.Close()
	if got := getString(t, m, "name"); got != moved {
		t.Errorf("the moved instance's object names %q", got)
	}
	if got := statusOn(t, lxc, name); got != "" {
		t.Errorf("the main server still lists %s: %q", name, got)
	}
	if got := statusOn(t, lxc2, moved); got != "STOPPED" {
		t.Errorf("the second server lists %s as %q", moved, got)
	}
	if got := fileSum(t, true, moved, migrationMark); got != src.sum {
		t.Errorf("the moved instance's file sha256 %s, was %s", got, src.sum)
	}
	if got := snapshotsOn(t, moved); got != "s0" {
		t.Errorf("the moved instance's snapshots %q", got)
	}

	// The shared running container: refused, nothing done.
	running := box(t)
	boxGone := uniq("never")
	t.Cleanup(func() { _, _ = lxc2Try("delete", "-f", boxGone) })
	_, err = running.MoveTo(other, &lxd.InstanceCopyOptions{Name: boxGone})
	wantErr(t, err, lxd.ErrInvalidArgument)
	if got := statusOn(t, lxc, boxName); got != "RUNNING" {
		t.Errorf("the refused move left the running container %q", got)
	}
	if got := statusOn(t, lxc2, boxGone); got != "" {
		t.Errorf("the refused move made %s on the second server", boxGone)
	}
}

// Bad input is refused before any request, the source untouched.
func TestInstanceCopyRefusals(t *testing.T) {
	src := migrationSource(t)
	other := second(t)
	for what, opts := range map[string]*lxd.InstanceCopyOptions{
		"relay without wait": {Mode: "relay"},
		"an unknown mode":    {Mode: "teleport"},
	} {
		_, err := src.obj.CopyTo(other, opts, false)
		if what == "an unknown mode" {
			_, err = src.obj.CopyTo(other, opts, true)
		}
		if !errors.Is(err, lxd.ErrInvalidArgument) {
			t.Errorf("%s: %v", what, err)
		}
	}
	_, err := src.obj.CopyTo(nil, nil, true)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = src.obj.MoveTo(nil, nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = src.obj.CopyTo(other, &lxd.ImageCopyOptions{}, true)
	wantErr(t, err, lxd.ErrInvalidArgument)

	closed, err := lxd.NewClient(secondDir+"/unix.socket", nil)
	must(t, err)
	closed.Close()
	_, err = src.obj.CopyTo(closed, nil, true)
	e := wantErr(t, err, lxd.ErrInvalidArgument)
	if !errors.Is(e, lxd.ErrClosed) {
		t.Errorf("a closed target: %v", err)
	}
	if got := fileSum(t, false, src.name, migrationMark); got != src.sum {
		t.Errorf("the source's file changed: %s", got)
	}
}
