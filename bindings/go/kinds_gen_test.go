package lxd_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
	"github.com/liblxd/liblxd/bindings/go/internal/kindgen"
)

// kinds_gen.go is what the generator makes from the library in use: a
// kind added to liblxd's table (or changed) fails here until `go generate`
// is run and the result committed.
func TestKindsGenFileIsFresh(t *testing.T) {
	want, err := kindgen.Generate()
	must(t, err)
	got, err := os.ReadFile("kinds_gen.go")
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("kinds_gen.go is stale: run `go generate` in bindings/go and commit it; it should be:\n%s", want)
	}
	// Only the kinds of the table are generated: one constant per kind.
	if n := len(regexp.MustCompile(`(?m)^\tKind\w+ Kind = C\.LXD_KIND_`).FindAll(got, -1)); n != lxd.KindCount() {
		t.Errorf("kinds_gen.go has %d kind constants, LXD_KIND_COUNT is %d", n, lxd.KindCount())
	}
}

// The generator checks what it is given: a table whose names would clash,
// or whose parent is no kind, is refused rather than written.
func TestKindsGenRefusesBadTables(t *testing.T) {
	infos, err := kindgen.Load()
	must(t, err)
	if len(infos) != lxd.KindCount() || kindgen.Count() != lxd.KindCount() {
		t.Fatalf("Load gave %d kinds, Count %d, LXD_KIND_COUNT %d", len(infos), kindgen.Count(), lxd.KindCount())
	}
	bad := append([]kindgen.Info(nil), infos...)
	bad[1].Class = bad[0].Class // two kinds with one accessor
	if _, err := kindgen.Render(bad); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("clashing accessors: %v", err)
	}
	bad = append([]kindgen.Info(nil), infos...)
	bad[0].Singleton = true // a singleton with a key
	if _, err := kindgen.Render(bad); err == nil || !strings.Contains(err.Error(), "singleton") {
		t.Errorf("a singleton with a key: %v", err)
	}
	bad = append([]kindgen.Info(nil), infos...)
	bad[0].Parent = lxd.Ptr(len(bad))
	if _, err := kindgen.Render(bad); err == nil {
		t.Error("a parent that is no kind was accepted")
	}
}

// Every kind of the C table (0 to LXD_KIND_COUNT-1) is reachable from the
// binding: listed by Kinds, named, described, and given by a manager
// accessor, on the Client for a top-level kind, on an Object for a child
// kind.
func TestEveryKindIsReachable(t *testing.T) {
	count := lxd.KindCount()
	kinds := lxd.Kinds()
	if len(kinds) != count {
		t.Fatalf("Kinds() has %d kinds, LXD_KIND_COUNT is %d", len(kinds), count)
	}
	type kinded interface{ Kind() lxd.Kind }
	reached := map[lxd.Kind]string{}
	reach := func(k lxd.Kind, via string) {
		if other, dup := reached[k]; dup && other != via {
			t.Errorf("%v reached by both %s and %s", k, other, via)
		}
		reached[k] = via
	}
	accessors := func(recv any, scope string) {
		v := reflect.ValueOf(recv)
		for i := 0; i < v.NumMethod(); i++ {
			m, name := v.Method(i), v.Type().Method(i).Name
			if m.Type().NumIn() != 0 {
				continue
			}
			if m.Type().NumOut() == 2 && m.Type().Out(0) == reflect.TypeOf(&lxd.Object{}) && scope == "Client" {
				// A singleton's accessor: the object itself (the Server).
				res := m.Call(nil)
				if !res[1].IsNil() {
					t.Errorf("Client.%s: %v", name, res[1].Interface())
					continue
				}
				o := res[0].Interface().(*lxd.Object)
				reach(o.Kind(), scope+"."+name)
				o.Close()
				continue
			}
			if m.Type().NumOut() != 1 {
				continue
			}
			switch m.Type().Out(0) {
			case reflect.TypeOf(&lxd.Manager{}), reflect.TypeOf(&lxd.ImageManager{}), reflect.TypeOf(&lxd.ChildManager{}):
				reach(m.Call(nil)[0].Interface().(kinded).Kind(), scope+"."+name)
			}
		}
	}
	accessors(client, "Client")
	// The child accessors, on an object of each parent kind: one accessor
	// (Snapshots) serves an instance's and a storage volume's.
	accessors(box(t), "Object")
	pool, err := client.StoragePools().Get("default")
	must(t, err)
	defer pool.Close()
	accessors(pool, "Object")
	vols, err := pool.StorageVolumes().All()
	must(t, err)
	if len(vols) == 0 {
		t.Fatal("the default pool lists no volume (the shared container's is there)")
	}
	accessors(vols[0], "Object")
	nets, err := client.Networks().All()
	must(t, err)
	if len(nets) == 0 {
		t.Fatal("no network")
	}
	accessors(nets[0], "Object")
	zone, err := client.NetworkZones().Create(map[string]any{"name": uniq("z") + ".example.net"}, true)
	must(t, err)
	defer zone.Delete(false)
	accessors(zone, "Object")
	if got := box(t).Snapshots().Kind(); got != lxd.KindInstanceSnapshot {
		t.Errorf("an instance's Snapshots: %v", got)
	}
	if got := vols[0].Snapshots().Kind(); got != lxd.KindStorageVolumeSnapshot {
		t.Errorf("a volume's Snapshots: %v", got)
	}
	if got := vols[0].Backups().Kind(); got != lxd.KindStorageVolumeBackup {
		t.Errorf("a volume's Backups: %v", got)
	}
	for i := 0; i < count; i++ {
		k := lxd.Kind(i)
		if kinds[i] != k {
			t.Errorf("Kinds()[%d] = %v", i, kinds[i])
		}
		if strings.HasPrefix(k.String(), "Kind(") {
			t.Errorf("kind %d has no name", i)
		}
		info, err := k.Info()
		must(t, err)
		via, ok := reached[k]
		if !ok {
			t.Errorf("%v (%d) has no manager accessor", k, i)
			continue
		}
		if _, child := k.Parent(); child != strings.HasPrefix(via, "Object.") || child != (info.Parent != nil) {
			t.Errorf("%v reached through %s (child kind: %v)", k, via, child)
		}
	}
	if len(reached) != count {
		t.Errorf("accessors reach %d kinds: %v", len(reached), reached)
	}
}

// goName is the Go method name of an action: "delete_log" → "DeleteLog".
func goName(action string) string {
	var b strings.Builder
	for _, part := range strings.Split(action, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// Every action of every kind has a typed method (on Object; on Client for
// a collection's), and every generated C function for an action in the
// installed header is called by the binding's sources.
func TestEveryActionIsTyped(t *testing.T) {
	inc, err := exec.Command("pkg-config", "--variable=includedir", "liblxd").Output()
	must(t, err)
	header, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(inc)), "lxd.h"))
	must(t, err)
	// The Go sources call C functions as C.name(…); the C trampolines of
	// shims.c (for callbacks) as `return name(`.
	var sources []byte
	files, err := filepath.Glob("*.go")
	must(t, err)
	for _, f := range append(files, "shims.c") {
		if !strings.HasSuffix(f, "_test.go") {
			b, err := os.ReadFile(f)
			must(t, err)
			sources = append(sources, b...)
		}
	}
	objType, clientType := reflect.TypeOf(&lxd.Object{}), reflect.TypeOf(&lxd.Client{})
	wrappers := 0
	for i := 0; i < lxd.KindCount(); i++ {
		info, err := lxd.Kind(i).Info()
		must(t, err)
		for _, a := range info.Actions {
			recv := objType
			if a.On == "collection" {
				recv = clientType
			}
			if _, ok := recv.MethodByName(goName(a.Name)); !ok {
				t.Errorf("%v action %q (%s): no %v.%s", lxd.Kind(i), a.Name, a.On, recv, goName(a.Name))
			}
			cfn := "lxd_" + info.CName + "_" + a.Name
			if !regexp.MustCompile(`\b` + cfn + `\(`).Match(header) {
				continue // no generated function (variants, or one of the older functions)
			}
			wrappers++
			if !bytes.Contains(sources, []byte("C."+cfn+"(")) && !bytes.Contains(sources, []byte("return "+cfn+"(")) {
				t.Errorf("the binding does not call %s", cfn)
			}
		}
	}
	if wrappers < 15 {
		t.Errorf("only %d generated action functions found in the header", wrappers)
	}
}
