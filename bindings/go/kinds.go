package lxd

// #include <stdlib.h>
// #include <lxd.h>
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
)

// Kind is the kind of an LXD object (lxd_kind). Values are fixed by the C API.
type Kind int32

// The kinds of objects.
const (
	KindInstance       Kind = C.LXD_KIND_INSTANCE
	KindContainer      Kind = C.LXD_KIND_CONTAINER
	KindVirtualMachine Kind = C.LXD_KIND_VIRTUAL_MACHINE
	KindImage          Kind = C.LXD_KIND_IMAGE
	KindProfile        Kind = C.LXD_KIND_PROFILE
	KindNetwork        Kind = C.LXD_KIND_NETWORK
	KindStoragePool    Kind = C.LXD_KIND_STORAGE_POOL
	KindProject        Kind = C.LXD_KIND_PROJECT
	KindCertificate    Kind = C.LXD_KIND_CERTIFICATE
	KindOperation      Kind = C.LXD_KIND_OPERATION
)

// Kinds lists every kind, in the order of their values.
func Kinds() []Kind {
	return []Kind{KindInstance, KindContainer, KindVirtualMachine, KindImage, KindProfile,
		KindNetwork, KindStoragePool, KindProject, KindCertificate, KindOperation}
}

// String is the kind's class name, as in pylxd ("Container", "StoragePool", …),
// from lxd_kind_info; "Kind(n)" for a value that is no kind.
func (k Kind) String() string {
	if info := cachedKindInfo(k); info != nil {
		return info.Class
	}
	return fmt.Sprintf("Kind(%d)", int32(k))
}

// KindInfo describes a kind as liblxd knows it (lxd_kind_info), without any
// request.
type KindInfo struct {
	Kind          Kind   `json:"kind"`
	Class         string `json:"class"`          // pylxd's class name, as in warnings: "Container"
	CName         string `json:"c_name"`         // as in the C functions lxd_<c_name>_get: "container"
	Endpoint      string `json:"endpoint"`       // e.g. "/1.0/containers"
	Key           string `json:"key"`            // the attribute that names objects: "name", "fingerprint" or "id"
	ProjectScoped bool   `json:"project_scoped"` // objects live in the client's project
	Creatable     bool   `json:"creatable"`      // Manager.Create works
	Renamable     bool   `json:"renamable"`      // Object.Rename works
	// Attributes lists every attribute of the kind, in liblxd's schema order.
	Attributes []AttributeInfo `json:"attributes"`
}

// AttributeInfo is one attribute of a kind: its name and whether
// Object.Set accepts it (the others are read-only: ErrReadOnly).
type AttributeInfo struct {
	Name     string `json:"name"`
	Writable bool   `json:"writable"`
}

// Attribute finds an attribute of the kind by name.
func (ki *KindInfo) Attribute(name string) (AttributeInfo, bool) {
	for _, a := range ki.Attributes {
		if a.Name == name {
			return a, true
		}
	}
	return AttributeInfo{}, false
}

// Writable lists the names of the attributes that Object.Set accepts, in
// schema order.
func (ki *KindInfo) Writable() []string {
	var names []string
	for _, a := range ki.Attributes {
		if a.Writable {
			names = append(names, a.Name)
		}
	}
	return names
}

// Info describes the kind (lxd_kind_info): its class, endpoint, key, what
// its objects support and its attributes with their writability. It makes
// no request; a value that is no kind is ErrInvalidArgument. The result is
// the caller's own copy.
func (k Kind) Info() (*KindInfo, error) {
	if info := cachedKindInfo(k); info != nil {
		return info.clone(), nil
	}
	_, err := loadKindInfo(k)
	return nil, err
}

func (ki *KindInfo) clone() *KindInfo {
	c := *ki
	c.Attributes = append([]AttributeInfo(nil), ki.Attributes...)
	return &c
}

// loadKindInfo asks liblxd to describe a kind.
func loadKindInfo(k Kind) (*KindInfo, error) {
	const op = "Kind.Info"
	var out *C.char
	if err := call(op, func() C.lxd_status { return C.lxd_kind_info(C.lxd_kind(k), &out) }); err != nil {
		return nil, err
	}
	b := takeString(out)
	var info KindInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, &Error{Code: StatusProtocol, Op: op, Message: "lxd_kind_info gave JSON that does not decode: " + err.Error(), cause: err}
	}
	return &info, nil
}

var (
	kindInfosOnce sync.Once
	kindInfos     map[Kind]*KindInfo
)

// cachedKindInfo is liblxd's description of a kind, read once for all
// kinds (it is fixed for the library's lifetime); nil for a value that is
// no kind. Not to be modified: Info hands out copies.
func cachedKindInfo(k Kind) *KindInfo {
	kindInfosOnce.Do(func() {
		m := make(map[Kind]*KindInfo)
		for _, kind := range Kinds() {
			if info, err := loadKindInfo(kind); err == nil {
				m[kind] = info
			}
		}
		kindInfos = m
	})
	return kindInfos[k]
}

// IsInstance reports whether objects of the kind are instances (they have
// Start, Exec, Files, …).
func (k Kind) IsInstance() bool {
	return k == KindInstance || k == KindContainer || k == KindVirtualMachine
}

// Manager gives the objects of one kind, like pylxd's client.containers,
// client.profiles, …. Get one with Client.Manager or the named accessors.
type Manager struct {
	c    *Client
	kind Kind
}

// ImageManager is the Manager of images, with GetByAlias.
type ImageManager struct {
	*Manager
}

// Manager returns the manager of any kind.
func (c *Client) Manager(kind Kind) *Manager { return &Manager{c: c, kind: kind} }

// Instances manages instances of every type (/1.0/instances).
func (c *Client) Instances() *Manager { return c.Manager(KindInstance) }

// Containers manages containers only (/1.0/containers).
func (c *Client) Containers() *Manager { return c.Manager(KindContainer) }

// VirtualMachines manages virtual machines only (/1.0/virtual-machines).
func (c *Client) VirtualMachines() *Manager { return c.Manager(KindVirtualMachine) }

// Images manages images (keyed by fingerprint).
func (c *Client) Images() *ImageManager { return &ImageManager{c.Manager(KindImage)} }

// Profiles manages profiles.
func (c *Client) Profiles() *Manager { return c.Manager(KindProfile) }

// Networks manages networks.
func (c *Client) Networks() *Manager { return c.Manager(KindNetwork) }

// StoragePools manages storage pools.
func (c *Client) StoragePools() *Manager { return c.Manager(KindStoragePool) }

// Projects manages projects.
func (c *Client) Projects() *Manager { return c.Manager(KindProject) }

// Certificates manages trusted certificates (keyed by fingerprint).
func (c *Client) Certificates() *Manager { return c.Manager(KindCertificate) }

// Operations gives background operations (keyed by id; they cannot be created).
func (c *Client) Operations() *Manager { return c.Manager(KindOperation) }

// Kind is the kind this manager manages.
func (m *Manager) Kind() Kind { return m.kind }

// Info describes the kind this manager manages (Kind.Info).
func (m *Manager) Info() (*KindInfo, error) { return m.kind.Info() }

func (m *Manager) op(name string) string { return m.kind.String() + "s." + name }

// Get fetches one object by its key (name; fingerprint for images and
// certificates; id for operations), fully loaded. A missing one is
// ErrNotFound, its Message the request and the server's text
// ("GET /1.0/instances/c1: Instance not found").
func (m *Manager) Get(key string) (*Object, error) {
	op := m.op("Get")
	cs := cstrings{op: op}
	defer cs.free()
	cKey, err := cs.str("key", key)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = m.c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxd_get(p, C.lxd_kind(m.kind), cKey, &out)
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// Exists reports whether an object with this key exists.
func (m *Manager) Exists(key string) (bool, error) {
	op := m.op("Exists")
	cs := cstrings{op: op}
	defer cs.free()
	cKey, err := cs.str("key", key)
	if err != nil {
		return false, err
	}
	var out C.bool
	err = m.c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxd_exists(p, C.lxd_kind(m.kind), cKey, &out)
	})
	return bool(out), err
}

// All returns every object of the kind (in the client's project), fully
// loaded, from one request. Close each when done (or let the finalizer).
func (m *Manager) All() ([]*Object, error) {
	var list *C.lxd_list
	err := m.c.do(m.op("All"), func(p *C.lxd_client) C.lxd_status {
		return C.lxd_all(p, C.lxd_kind(m.kind), &list)
	})
	if err != nil {
		return nil, err
	}
	n := int(C.lxd_list_len(list))
	if n == 0 {
		C.lxd_list_free(list)
		return []*Object{}, nil
	}
	owner := &listOwner{list: list, refs: n}
	objs := make([]*Object, n)
	for i := range objs {
		objs[i] = newObject(C.lxd_list_get(list, C.size_t(i)), owner)
	}
	return objs, nil
}

// Create creates an object from its definition, the body of LXD's POST for
// the kind (e.g. for a container {"name": "c1", "source": {"type": "image",
// "alias": "busybox"}}). definition is JSON as []byte, string or
// json.RawMessage, or any value encoding/json marshals to an object.
//
// With wait, Create returns once the server has finished, with the object
// loaded; without, once LXD accepted the request (Object.Operation gives
// the background operation).
func (m *Manager) Create(definition any, wait bool) (*Object, error) {
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
	err = m.c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxd_create(p, C.lxd_kind(m.kind), cDef, C.bool(wait), &out)
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// GetByAlias fetches the image an alias points at. A missing alias is ErrNotFound.
func (m *ImageManager) GetByAlias(alias string) (*Object, error) {
	const op = "Images.GetByAlias"
	cs := cstrings{op: op}
	defer cs.free()
	cAlias, err := cs.str("alias", alias)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = m.c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_image_get_by_alias(p, cAlias, &out) })
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// jsonOf gives the JSON text of v: []byte, string and json.RawMessage are
// taken as JSON text already; anything else is marshalled.
func jsonOf(op, what string, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, argError(op, what+" is nil")
	case []byte:
		if x == nil {
			return nil, argError(op, what+" is nil")
		}
		return x, nil
	case json.RawMessage:
		if x == nil {
			return nil, argError(op, what+" is nil")
		}
		return x, nil
	case string:
		return []byte(x), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &Error{Code: StatusInvalidArgument, Op: op, Message: what + ": " + err.Error(), cause: err}
	}
	return b, nil
}

// listOwner keeps an lxd_list alive while any of its (borrowed) objects is
// open, and frees it with the last one.
type listOwner struct {
	mu   sync.Mutex
	list *C.lxd_list
	refs int
}

func (l *listOwner) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refs--
	if l.refs == 0 {
		C.lxd_list_free(l.list)
		l.list = nil
	}
}

func newObject(p *C.lxd_obj, owner *listOwner) *Object {
	o := &Object{owner: owner}
	o.h.set(p)
	runtime.SetFinalizer(o, (*Object).Close)
	return o
}
