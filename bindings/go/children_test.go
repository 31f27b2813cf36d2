package lxd_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

// lxcQueryInto runs `lxc query path` and decodes its JSON into v.
func lxcQueryInto(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(lxc(t, "query", path)), v); err != nil {
		t.Fatalf("lxc query %s: %v", path, err)
	}
}

// lxcChildNames lists the names of an instance's snapshots or backups
// ("snapshots", "backups") as lxc sees them, sorted.
func lxcChildNames(t testing.TB, instance, what string) []string {
	t.Helper()
	var list []struct {
		Name string `json:"name"`
	}
	lxcQueryInto(t, "/1.0/instances/"+instance+"/"+what+"?recursion=1", &list)
	names := []string{}
	for _, x := range list {
		names = append(names, x.Name)
	}
	sort.Strings(names)
	return names
}

func keyOf(t testing.TB, o *lxd.Object) string {
	t.Helper()
	k, err := o.Key()
	must(t, err)
	return k
}

func sameStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// Snapshots: create, list, get, update expires_at (Save and Patch),
// rename, restore (the file's content comes back), delete; every step
// checked with lxc.
func TestSnapshots(t *testing.T) {
	c, name := container(t, "snap", false)
	files := c.Files()
	must(t, files.Put("/root/state", []byte("before the snapshot\n"), nil))

	snaps := c.Snapshots()
	if snaps.Kind() != lxd.KindInstanceSnapshot || snaps.Parent() != c {
		t.Fatalf("Snapshots() is of %v under %v", snaps.Kind(), snaps.Parent())
	}
	s, err := snaps.Create(map[string]any{"name": "s0"}, true)
	must(t, err)
	defer s.Close()
	if s.Kind() != lxd.KindInstanceSnapshot || keyOf(t, s) != "s0" || getString(t, s, "name") != "s0" {
		t.Fatalf("created %v, name %q", s, getString(t, s, "name"))
	}
	if got := lxcChildNames(t, name, "snapshots"); !sameStrings(got, []string{"s0"}) {
		t.Fatalf("lxc sees snapshots %v", got)
	}
	must(t, files.Put("/root/state", []byte("after the snapshot\n"), nil))

	// Get, Exists, All.
	g, err := snaps.Get("s0")
	must(t, err)
	defer g.Close()
	if keyOf(t, g) != "s0" || g.Kind() != lxd.KindInstanceSnapshot {
		t.Errorf("Get gave %v", g)
	}
	var created string
	must(t, g.GetInto("created_at", &created))
	var fromLxc struct {
		CreatedAt string `json:"created_at"`
	}
	lxcQueryInto(t, "/1.0/instances/"+name+"/snapshots/s0", &fromLxc)
	if created != fromLxc.CreatedAt {
		t.Errorf("created_at %q, lxc %q", created, fromLxc.CreatedAt)
	}
	if ok, err := snaps.Exists("s0"); err != nil || !ok {
		t.Errorf("Exists(s0) = %v, %v", ok, err)
	}
	if ok, err := snaps.Exists("nope"); err != nil || ok {
		t.Errorf("Exists(nope) = %v, %v", ok, err)
	}
	_, err = snaps.Get("nope")
	wantErr(t, err, lxd.ErrNotFound)
	all, err := snaps.All()
	must(t, err)
	if len(all) != 1 || keyOf(t, all[0]) != "s0" || all[0].Kind() != lxd.KindInstanceSnapshot {
		t.Errorf("All() = %v", all)
	}
	for _, o := range all {
		o.Close()
	}

	// Only expires_at is writable; Save sends it.
	wantErr(t, g.Set("config", []byte(`{}`)), lxd.ErrReadOnly)
	must(t, g.Set("expires_at", []byte(`"2030-01-02T03:04:05Z"`)))
	must(t, g.Save(true))
	expires := func() string {
		var doc struct {
			ExpiresAt string `json:"expires_at"`
		}
		lxcQueryInto(t, "/1.0/instances/"+name+"/snapshots/"+keyOf(t, s), &doc)
		return doc.ExpiresAt
	}
	if got := expires(); !strings.HasPrefix(got, "2030-01-02T03:04:05") {
		t.Errorf("after Save lxc shows expires_at %q", got)
	}
	// s was loaded before that save: its save is refused, not applied.
	must(t, s.Set("expires_at", []byte(`"2035-01-01T00:00:00Z"`)))
	wantErr(t, s.Save(true), lxd.ErrPreconditionFailed)
	if got := expires(); !strings.HasPrefix(got, "2030-01-02") {
		t.Errorf("a refused save changed expires_at to %q", got)
	}
	must(t, s.Rollback())
	// Patch, the object synced afterwards.
	must(t, s.Patch(map[string]any{"expires_at": "2031-05-06T07:08:09Z"}, true))
	if got := expires(); !strings.HasPrefix(got, "2031-05-06T07:08:09") {
		t.Errorf("after Patch lxc shows expires_at %q", got)
	}
	if got := getString(t, s, "expires_at"); !strings.HasPrefix(got, "2031-05-06T07:08:09") {
		t.Errorf("after Patch the object has expires_at %q", got)
	}
	wantErr(t, s.Patch(map[string]any{"stateful": true}, true), lxd.ErrReadOnly)

	// Rename: the object follows.
	must(t, s.Rename("s1", true))
	if keyOf(t, s) != "s1" {
		t.Errorf("key after rename %q", keyOf(t, s))
	}
	if got := lxcChildNames(t, name, "snapshots"); !sameStrings(got, []string{"s1"}) {
		t.Fatalf("after rename lxc sees %v", got)
	}

	// Restore: the file is as it was when the snapshot was taken.
	must(t, s.Restore(true))
	if got := lxc(t, "file", "pull", name+"/root/state", "-"); got != "before the snapshot" {
		t.Errorf("after Restore the file holds %q", got)
	}

	// A snapshot created without waiting. (Not an unnamed one: LXD 5.0.2
	// does not say which name it picked for a snapshot, see the README.)
	n, err := snaps.Create(`{"name": "s2"}`, false)
	must(t, err)
	defer n.Close()
	if op, err := n.Operation(); err != nil {
		t.Fatal(err)
	} else if op != nil {
		must(t, op.Wait(-1))
		op.Close()
	}
	if got := lxcChildNames(t, name, "snapshots"); !sameStrings(got, []string{"s1", "s2"}) {
		t.Fatalf("after a create without waiting lxc sees %v", got)
	}
	if keyOf(t, n) != "s2" || getString(t, n, "name") != "s2" {
		t.Errorf("the snapshot created without waiting is %v", n)
	}

	// A copy from the snapshot is a plain create (LXD 5.0.2 takes no
	// profiles from a snapshot: they are given).
	copyName := uniq("snapcopy")
	t.Cleanup(func() { _, _ = lxcTry("delete", "-f", copyName) })
	cp, err := client.Instances().Create(map[string]any{
		"name": copyName, "profiles": []string{"default"},
		"source": map[string]any{"type": "copy", "source": name + "/s1"},
	}, true)
	must(t, err)
	cp.Close()
	if got := lxc(t, "file", "pull", copyName+"/root/state", "-"); got != "before the snapshot" {
		t.Errorf("the copy of s1 holds %q", got)
	}

	// Delete.
	must(t, n.Delete(true))
	must(t, s.Delete(true))
	if got := lxcChildNames(t, name, "snapshots"); len(got) != 0 {
		t.Errorf("after Delete lxc sees %v", got)
	}
	if ok, err := snaps.Exists("s1"); err != nil || ok {
		t.Errorf("Exists(s1) after Delete = %v, %v", ok, err)
	}
	// A closed parent: ErrClosed, no crash.
	c.Close()
	_, err = snaps.All()
	if !errors.Is(err, lxd.ErrClosed) {
		t.Errorf("All() under a closed parent: %v", err)
	}
}

// tarFile finds the file whose path ends with suffix in a gzipped tarball.
func tarFile(t *testing.T, path, suffix string) ([]byte, []string) {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	must(t, err)
	tr := tar.NewReader(gz)
	var names []string
	var found []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		names = append(names, h.Name)
		if strings.HasSuffix(h.Name, suffix) && found == nil {
			found, err = io.ReadAll(tr)
			must(t, err)
		}
	}
	return found, names
}

// Backups: create, export (the tarball holds the file), import as a new
// instance (it starts and has the file), rename, delete; checked with lxc.
func TestBackupsExportImport(t *testing.T) {
	c, name := container(t, "bak", false)
	must(t, c.Files().Put("/root/kept", []byte("kept in the backup\n"), nil))

	backups := c.Backups()
	b, err := backups.Create(map[string]any{"name": "b0", "instance_only": true, "compression_algorithm": "gzip"}, true)
	must(t, err)
	defer b.Close()
	if b.Kind() != lxd.KindInstanceBackup || keyOf(t, b) != "b0" {
		t.Fatalf("created %v", b)
	}
	var instanceOnly bool
	must(t, b.GetInto("instance_only", &instanceOnly))
	if !instanceOnly {
		t.Error("instance_only is false")
	}
	if got := lxcChildNames(t, name, "backups"); !sameStrings(got, []string{"b0"}) {
		t.Fatalf("lxc sees backups %v", got)
	}
	if ok, err := backups.Exists("b0"); err != nil || !ok {
		t.Errorf("Exists(b0) = %v, %v", ok, err)
	}
	all, err := backups.All()
	must(t, err)
	if len(all) != 1 || keyOf(t, all[0]) != "b0" {
		t.Errorf("All() = %v", all)
	}
	for _, o := range all {
		o.Close()
	}
	// Backups are neither saved nor patched.
	wantErr(t, b.Patch(map[string]any{"expires_at": "2030-01-01T00:00:00Z"}, true), lxd.ErrInvalidArgument)

	// Export streams the tarball, with progress.
	dir := t.TempDir()
	path := filepath.Join(dir, "b0.tar.gz")
	var calls int
	var last uint64
	must(t, b.Export(path, func(done, total uint64) error {
		calls++
		last = done
		return nil
	}))
	st, err := os.Stat(path)
	must(t, err)
	if calls == 0 || last != uint64(st.Size()) {
		t.Errorf("progress: %d calls, last %d, file %d bytes", calls, last, st.Size())
	}
	content, names := tarFile(t, path, "rootfs/root/kept")
	if string(content) != "kept in the backup\n" {
		t.Fatalf("the tarball's /root/kept: %q (entries %d)", content, len(names))
	}
	// The generic entry point gives the same tarball; a progress error
	// stops it and leaves no file.
	path2 := filepath.Join(dir, "again.tar.gz")
	must(t, b.ActionToFile("export", nil, path2, nil))
	if content, _ := tarFile(t, path2, "rootfs/root/kept"); string(content) != "kept in the backup\n" {
		t.Errorf("ActionToFile's tarball has %q", content)
	}
	stop := errors.New("lxdt: enough")
	path3 := filepath.Join(dir, "stopped.tar.gz")
	err = b.Export(path3, func(done, total uint64) error { return stop })
	wantErr(t, err, lxd.ErrCancelled)
	if !errors.Is(err, stop) {
		t.Errorf("the progress error is not behind %v", err)
	}
	if _, err := os.Stat(path3); !os.IsNotExist(err) {
		t.Errorf("a stopped export left %s: %v", path3, err)
	}

	// Import as a new instance: it starts and has the file.
	newName := uniq("imported")
	t.Cleanup(func() { _, _ = lxcTry("delete", "-f", newName) })
	sent := uint64(0)
	imp, err := client.ImportInstance(path, &lxd.ImportOptions{Name: newName}, true, func(done, total uint64) error {
		sent = done
		return nil
	})
	must(t, err)
	defer imp.Close()
	if keyOf(t, imp) != newName || !imp.Kind().IsInstance() || sent != uint64(st.Size()) {
		t.Errorf("imported %v (%d of %d bytes sent)", imp, sent, st.Size())
	}
	if lxcList(t, newName) == nil {
		t.Fatal("lxc does not list the imported instance")
	}
	must(t, imp.Start(lxd.DefaultTimeout, false, true))
	if got := lxc(t, "exec", newName, "--", "cat", "/root/kept"); got != "kept in the backup" {
		t.Errorf("the imported instance's /root/kept: %q", got)
	}
	if got := lxcList(t, newName).Status; got != "Running" {
		t.Errorf("imported instance is %s", got)
	}
	// Importing again under the same name fails on the server; a missing
	// file before anything is sent.
	_, err = client.ImportInstance(path, &lxd.ImportOptions{Name: newName}, true, nil)
	if err == nil {
		t.Error("a second import under a taken name succeeded")
	}
	_, err = client.ImportInstance(filepath.Join(dir, "absent.tar.gz"), nil, true, nil)
	wantErr(t, err, lxd.ErrNotFound)

	// A backup named by LXD: the object learns the name.
	u, err := backups.Create(`{"instance_only": true}`, true)
	must(t, err)
	defer u.Close()
	got := lxcChildNames(t, name, "backups")
	if len(got) != 2 || got[0] != "b0" || keyOf(t, u) != got[1] {
		t.Errorf("unnamed backup %q; lxc sees %v", keyOf(t, u), got)
	}
	must(t, u.Delete(true))

	// Rename and delete.
	must(t, b.Rename("b1", true))
	if got := lxcChildNames(t, name, "backups"); !sameStrings(got, []string{"b1"}) {
		t.Fatalf("after rename lxc sees %v", got)
	}
	must(t, b.Delete(true))
	if got := lxcChildNames(t, name, "backups"); len(got) != 0 {
		t.Errorf("after Delete lxc sees %v", got)
	}
}
