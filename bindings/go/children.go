package lxd

// #include <stdlib.h>
// #include <lxd.h>
import "C"

// ChildManager gives the objects of a kind that live under one parent
// object: an instance's snapshots (Object.Snapshots) and backups
// (Object.Backups). The objects it gives are ordinary Objects (attributes,
// Save, Patch, Rename, Delete, actions). It uses the parent only for its
// key: closing the parent makes the manager's calls fail with ErrClosed.
type ChildManager struct {
	parent *Object
	kind   Kind
}

// Children returns the manager of the objects of kind under this object
// (Kind.Parent tells which kind of object that is; a container or virtual
// machine is an instance there). The named accessors (Snapshots, Backups)
// are generated, one per child kind.
func (o *Object) Children(kind Kind) *ChildManager { return &ChildManager{parent: o, kind: kind} }

// childrenOf is the manager of the one of kinds whose parent is this
// object's kind (or the kind it is a variant of): Snapshots of an instance
// or of a storage volume. The first of kinds when none is.
func (o *Object) childrenOf(kinds ...Kind) *ChildManager {
	own := o.Kind()
	if r := own.row(); r != nil && r.variantOf >= 0 {
		own = r.variantOf
	}
	for _, k := range kinds {
		if p, ok := k.Parent(); ok && p == own {
			return o.Children(k)
		}
	}
	return o.Children(kinds[0])
}

// Kind is the kind this manager manages.
func (m *ChildManager) Kind() Kind { return m.kind }

// Parent is the object whose children this manager gives.
func (m *ChildManager) Parent() *Object { return m.parent }

// Info describes the kind this manager manages (Kind.Info).
func (m *ChildManager) Info() (*KindInfo, error) { return m.kind.Info() }

func (m *ChildManager) op(name string) string { return m.kind.String() + "s." + name }

// Get fetches the child with this key (a snapshot's or backup's own name,
// "snap0", not "c1/snap0"), fully loaded. A missing one is ErrNotFound.
func (m *ChildManager) Get(key string) (*Object, error) {
	op := m.op("Get")
	cs := cstrings{op: op}
	defer cs.free()
	cKey, err := cs.str("key", key)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = m.parent.do(op, func(p *C.lxd_obj) C.lxd_status {
		return C.lxd_child_get(p, C.lxd_kind(m.kind), cKey, &out)
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// Exists reports whether the parent has a child with this key.
func (m *ChildManager) Exists(key string) (bool, error) {
	op := m.op("Exists")
	cs := cstrings{op: op}
	defer cs.free()
	cKey, err := cs.str("key", key)
	if err != nil {
		return false, err
	}
	var out C.bool
	err = m.parent.do(op, func(p *C.lxd_obj) C.lxd_status {
		return C.lxd_child_exists(p, C.lxd_kind(m.kind), cKey, &out)
	})
	return bool(out), err
}

// All returns every child of the parent, fully loaded, from one request.
func (m *ChildManager) All() ([]*Object, error) {
	var list *C.lxd_list
	err := m.parent.do(m.op("All"), func(p *C.lxd_obj) C.lxd_status {
		return C.lxd_child_all(p, C.lxd_kind(m.kind), &list)
	})
	if err != nil {
		return nil, err
	}
	return objectsOf(list), nil
}

// Create creates a child from its definition, the body of LXD's POST for
// it, as Manager.Create takes it: a snapshot {"name": "s0", "expires_at":
// "2030-01-01T00:00:00Z"}, a backup {"name": "b0", "instance_only": true,
// "compression_algorithm": "gzip"}. Without a name LXD picks one (snap0,
// backup0), which the object learns once created. wait as Manager.Create.
func (m *ChildManager) Create(definition any, wait bool) (*Object, error) {
	op := m.op("Create")
	doc, err := jsonOf(op, "definition", definition)
	if err != nil {
		return nil, err
	}
	cs := cstrings{op: op}
	defer cs.free()
	cDef, err := cs.str("definition", string(doc))
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = m.parent.do(op, func(p *C.lxd_obj) C.lxd_status {
		return C.lxd_child_create(p, C.lxd_kind(m.kind), cDef, C.bool(wait), &out)
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}
