package lxd_test

import (
	"encoding/json"
	"strings"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

func isChild(k lxd.Kind) bool {
	_, child := k.Parent()
	return child
}

// Every top-level kind's manager lists and gets what lxc sees (child
// kinds: children_test.go).
func TestEveryManagerKind(t *testing.T) {
	_, ctr := container(t, "kinds", false)
	_, prof := profile(t, "kinds")
	managers := map[lxd.Kind]*lxd.Manager{
		lxd.KindInstance: client.Instances(), lxd.KindContainer: client.Containers(),
		lxd.KindVirtualMachine: client.VirtualMachines(), lxd.KindImage: client.Images().Manager,
		lxd.KindProfile: client.Profiles(), lxd.KindNetwork: client.Networks(),
		lxd.KindStoragePool: client.StoragePools(), lxd.KindProject: client.Projects(),
		lxd.KindCertificate: client.Certificates(), lxd.KindOperation: client.Operations(),
		lxd.KindImageAlias: client.ImageAliases(), lxd.KindNetworkAcl: client.NetworkAcls(),
		lxd.KindNetworkZone: client.NetworkZones(), lxd.KindWarning: client.Warnings(),
		lxd.KindClusterMember: client.ClusterMembers(), lxd.KindClusterGroup: client.ClusterGroups(),
	}
	// What each kind must include (checked with lxc where it has names).
	mustHave := map[lxd.Kind]string{
		lxd.KindInstance: ctr, lxd.KindContainer: ctr, lxd.KindProfile: prof,
		lxd.KindStoragePool: "default", lxd.KindProject: "default",
		lxd.KindImage:      lxc(t, "query", "/1.0/images/aliases/busybox"),
		lxd.KindImageAlias: "busybox",
	}
	var alias struct {
		Target string `json:"target"`
	}
	must(t, json.Unmarshal([]byte(mustHave[lxd.KindImage]), &alias))
	mustHave[lxd.KindImage] = alias.Target
	var topLevel []lxd.Kind
	for i := 0; i < lxd.KindCount(); i++ {
		// The singletons have no list (TestKindInfo; Client.Server and
		// Client.Cluster: storage_test.go, cluster_test.go).
		kind := lxd.Kind(i)
		info, err := kind.Info()
		must(t, err)
		if !isChild(kind) && !info.Singleton {
			topLevel = append(topLevel, kind)
		}
	}
	if len(topLevel) != len(managers) {
		t.Fatalf("Kinds() has %d top-level kinds", len(topLevel))
	}
	for _, kind := range topLevel {
		kind := kind
		t.Run(kind.String(), func(t *testing.T) {
			m := managers[kind]
			if m.Kind() != kind {
				t.Fatalf("manager kind %v", m.Kind())
			}
			info, err := m.Info()
			must(t, err)
			if isClusterKind(info) && !clustered(t) {
				// A standalone server refuses the lists and the objects of
				// the cluster kinds (cluster_test.go checks the statuses).
				_, errAll := m.All()
				_, errGet := m.Get(uniq("absent"))
				_, errExists := m.Exists(uniq("absent"))
				for _, err := range []error{errAll, errGet, errExists} {
					if e := wantErr(t, err, lxd.ErrAPI); !strings.Contains(e.Message, "not clustered") {
						t.Errorf("%+v", e)
					}
				}
				return
			}
			objs, err := m.All()
			must(t, err)
			keys := map[string]bool{}
			for _, o := range objs {
				if o.Kind() != kind {
					t.Errorf("%v in the list of %v", o.Kind(), kind)
				}
				k, err := o.Key()
				must(t, err)
				keys[k] = true
			}
			if want := mustHave[kind]; want != "" && !keys[want] {
				t.Errorf("All() lacks %q (has %v)", want, keys)
			}
			if kind == lxd.KindVirtualMachine && keys[ctr] {
				t.Error("a container among the virtual machines")
			}
			if len(objs) > 0 && kind != lxd.KindOperation {
				// Get and Exists by the key of a listed object; attributes read.
				k, _ := objs[0].Key()
				o, err := m.Get(k)
				must(t, err)
				if k2, _ := o.Key(); k2 != k {
					t.Errorf("Get(%q).Key() = %q", k, k2)
				}
				doc, err := o.JSON()
				must(t, err)
				if !json.Valid(doc) {
					t.Errorf("JSON() not JSON: %s", doc)
				}
				o.Close()
				ok, err := m.Exists(k)
				if err != nil || !ok {
					t.Errorf("Exists(%q) = %v, %v", k, ok, err)
				}
			}
			for _, o := range objs {
				must(t, o.Close())
			}
			ok, err := m.Exists(uniq("absent"))
			if err != nil || ok {
				t.Errorf("Exists(absent) = %v, %v", ok, err)
			}
		})
	}
}

func TestImagesAndPools(t *testing.T) {
	img, err := client.Images().GetByAlias("busybox")
	must(t, err)
	defer img.Close()
	fp, err := img.Key()
	must(t, err)
	if info := lxc(t, "image", "info", "busybox"); !strings.Contains(info, fp) {
		t.Errorf("lxc image info busybox lacks fingerprint %s", fp)
	}
	var aliases []struct {
		Name string `json:"name"`
	}
	must(t, img.GetInto("aliases", &aliases))
	if len(aliases) == 0 || aliases[0].Name != "busybox" {
		t.Errorf("aliases = %+v", aliases)
	}
	pool, err := client.StoragePools().Get("default")
	must(t, err)
	defer pool.Close()
	if d := getString(t, pool, "driver"); d == "" || !strings.Contains(lxc(t, "query", "/1.0/storage-pools/default"), `"driver": "`+d+`"`) {
		t.Errorf("pool driver %q", d)
	}
}

// Projects: create, update, rename, delete, checked with lxc.
func TestProjectLifecycle(t *testing.T) {
	name := uniq("proj")
	renamed := name + "r"
	t.Cleanup(func() {
		_, _ = lxcTry("project", "delete", name)
		_, _ = lxcTry("project", "delete", renamed)
	})
	p, err := client.Projects().Create(map[string]any{"name": name, "description": "lxdt go",
		"config": map[string]string{"features.images": "false", "features.profiles": "false"}}, true)
	must(t, err)
	defer p.Close()
	if !strings.Contains(lxc(t, "project", "list", "--format", "csv"), name) {
		t.Fatal("lxc does not list the project")
	}
	_, err = client.Projects().Create(map[string]any{"name": name}, true)
	wantErr(t, err, lxd.ErrConflict)
	must(t, p.SetFrom("description", "changed"))
	must(t, p.Save(true))
	if !strings.Contains(lxc(t, "query", "/1.0/projects/"+name), `"description": "changed"`) {
		t.Error("description not saved")
	}
	must(t, p.Rename(renamed, true))
	if out := lxc(t, "project", "list", "--format", "csv"); !strings.Contains(out, renamed+",") {
		t.Errorf("lxc does not show the renamed project: %s", out)
	}
	// A client scoped to the project sees no instances there.
	pc, err := lxd.NewClient("", &lxd.Options{Project: renamed})
	must(t, err)
	insts, err := pc.Instances().All()
	must(t, err)
	if len(insts) != 0 {
		t.Errorf("%d instances in a new project", len(insts))
	}
	pc.Close()
	must(t, p.Delete(true))
	if strings.Contains(lxc(t, "project", "list", "--format", "csv"), renamed) {
		t.Error("project still there")
	}
}

// Operations: create without wait, the operation object, its attributes,
// the operations manager, Wait and Cancel.
func TestOperations(t *testing.T) {
	name := uniq("op")
	t.Cleanup(func() { _, _ = lxcTry("delete", "-f", name) })
	c, err := client.Containers().Create(map[string]any{"name": name,
		"source": map[string]any{"type": "image", "alias": "busybox"}}, false)
	must(t, err)
	defer c.Close()
	op, err := c.Operation()
	must(t, err)
	if op == nil {
		t.Fatal("no operation for a create without wait")
	}
	defer op.Close()
	id, err := op.Key()
	must(t, err)
	if op.Kind() != lxd.KindOperation || id == "" {
		t.Fatalf("operation %v %q", op.Kind(), id)
	}
	var class string
	must(t, op.GetInto("class", &class))
	if class != "task" {
		t.Errorf("class %q", class)
	}
	wantErr(t, op.Set("status", []byte(`"x"`)), lxd.ErrReadOnly)
	must(t, op.Wait(-1))
	var status string
	must(t, op.GetInto("status", &status))
	if status != "Success" {
		t.Errorf("status after Wait: %q", status)
	}
	if lxcList(t, name) == nil {
		t.Fatal("lxc does not list the container after the operation")
	}
	if s := getString(t, c, "status"); s != "Stopped" {
		t.Errorf("container status %q", s)
	}
	// A finished operation cannot be cancelled (LXD's refusal, or forgotten).
	if err := op.Cancel(); err == nil {
		t.Error("cancelled a finished operation")
	}

	// Start without wait: the operation is listed by the manager, by id.
	must(t, c.Start(lxd.DefaultTimeout, false, false))
	op2, err := c.Operation()
	must(t, err)
	if op2 != nil {
		defer op2.Close()
		id2, _ := op2.Key()
		got, err := client.Operations().Get(id2)
		if err == nil { // unless LXD already forgot it
			got.Close()
		} else {
			wantErr(t, err, lxd.ErrNotFound)
		}
		must(t, op2.Wait(-1))
	}
	if got := lxcList(t, name).Status; got != "Running" {
		t.Errorf("lxc shows %s", got)
	}
	_, err = client.Operations().Get("00000000-0000-0000-0000-000000000000")
	wantErr(t, err, lxd.ErrNotFound)

	// A long exec's operation can be waited for with a timeout.
	must(t, c.Stop(lxd.DefaultTimeout, true, false))
	op3, err := c.Operation()
	must(t, err)
	if op3 != nil {
		must(t, op3.Wait(-1))
		op3.Close()
	}
	must(t, c.Sync())
	if s := getString(t, c, "status"); s != "Stopped" {
		t.Errorf("status after stop operation: %q", s)
	}
}
