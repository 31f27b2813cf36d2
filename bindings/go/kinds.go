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

//go:generate go run ./internal/genkinds

// Kind is the kind of an LXD object (lxd_kind). Values are fixed by the C
// API; the constants (KindInstance, KindContainer, …, KindInstanceSnapshot,
// KindInstanceBackup), the client's managers and the objects' child
// managers are generated from liblxd's own table (kinds_gen.go).
type Kind int32

// kindRow is one kind as kinds_gen.go records it.
type kindRow struct {
	kind      Kind
	class     string // pylxd's class name: "Container"
	cName     string // as in the C functions lxd_<c_name>_get: "container"
	parent    Kind   // the kind its objects live under, or -1 (top-level)
	variantOf Kind   // for the typed instance kinds, KindInstance; else -1
}

func (k Kind) row() *kindRow {
	if k < 0 || int(k) >= len(kindTable) {
		return nil
	}
	return &kindTable[k]
}

// Kinds lists every kind, in the order of their values.
func Kinds() []Kind {
	kinds := make([]Kind, len(kindTable))
	for i := range kindTable {
		kinds[i] = kindTable[i].kind
	}
	return kinds
}

// KindCount is LXD_KIND_COUNT of the header this package was built with:
// every value from 0 to KindCount()-1 is a kind.
func KindCount() int { return int(C.LXD_KIND_COUNT) }

// Parent is the kind whose objects this kind's objects live under
// (KindInstance for KindInstanceSnapshot), reached through
// Object.Children; false for a top-level kind (Client.Manager).
func (k Kind) Parent() (Kind, bool) {
	if r := k.row(); r != nil && r.parent >= 0 {
		return r.parent, true
	}
	return -1, false
}

// String is the kind's class name, as in pylxd ("Container", "StoragePool", …),
// from lxd_kind_info; "Kind(n)" for a value that is no kind.
func (k Kind) String() string {
	if r := k.row(); r != nil {
		return r.class
	}
	return fmt.Sprintf("Kind(%d)", int32(k))
}

// KindInfo describes a kind as liblxd knows it (lxd_kind_info), without any
// request.
type KindInfo struct {
	Kind     Kind   `json:"kind"`
	Class    string `json:"class"`    // pylxd's class name, as in warnings: "Container"
	CName    string `json:"c_name"`   // as in the C functions lxd_<c_name>_get: "container"
	Endpoint string `json:"endpoint"` // e.g. "/1.0/containers"
	Key      string `json:"key"`      // the attribute that names objects: "name", "fingerprint" or "id"; "" for a singleton
	// Endpoint names the parents' keys as {c_name} for a child kind:
	// "/1.0/instances/{instance}/snapshots".

	// KeyPrefix is the attribute whose value comes first in the key
	// ("type" for storage volumes: "custom/vol1"), else "".
	KeyPrefix string `json:"key_prefix"`
	// Singleton: the kind has one object, with no key and no list (the
	// Server, the Cluster): Client.Server and Client.Cluster read it.
	Singleton bool `json:"singleton"`

	ProjectScoped bool `json:"project_scoped"` // objects live in the client's project
	Creatable     bool `json:"creatable"`      // Manager.Create (ChildManager.Create) works
	Savable       bool `json:"savable"`        // Object.Save works
	Patchable     bool `json:"patchable"`      // Object.Patch works
	Renamable     bool `json:"renamable"`      // Object.Rename works
	Deletable     bool `json:"deletable"`      // Object.Delete works
	// Parent is the kind its objects live under (nil: top-level);
	// VariantOf is KindInstance for the typed instance kinds (else nil).
	Parent    *Kind `json:"parent"`
	VariantOf *Kind `json:"variant_of"`
	// Extension is the API extension the server needs for the kind ("":
	// none); without it, calls fail with ErrExtensionMissing before any
	// request.
	Extension string `json:"-"`
	// Actions lists what the kind's objects (or its collection) do beyond
	// attributes and lifecycle: Object.Action and friends.
	Actions []ActionInfo `json:"actions"`
	// Attributes lists every attribute of the kind, in liblxd's schema order.
	Attributes []AttributeInfo `json:"attributes"`
}

// ActionInfo is one action of a kind (lxd_kind_info).
type ActionInfo struct {
	Name   string `json:"name"`   // for Object.Action: "logs", "restore", …
	Method string `json:"method"` // the HTTP method: GET, PUT, …
	// On is "object" (Object.Action…), "parent" (run on the object, sent to
	// its parent: a snapshot's restore) or "collection"
	// (Client.CollectionAction).
	On   string `json:"on"`
	Path string `json:"path"` // added to the object's (or collection's) path; {arg} from the arguments
	// Returns is "nothing", "document" or "operation" (Object.Action),
	// "bytes" (Object.ActionBytes) or "file" (Object.ActionToFile).
	Returns   string `json:"returns"`
	Args      string `json:"args"`      // the arguments it takes, in words
	Doc       string `json:"doc"`       // what it does
	Extension string `json:"extension"` // the API extension it needs ("": none)
}

// Action finds an action of the kind by name.
func (ki *KindInfo) Action(name string) (ActionInfo, bool) {
	for _, a := range ki.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return ActionInfo{}, false
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
	c.Actions = append([]ActionInfo(nil), ki.Actions...)
	if ki.Parent != nil {
		c.Parent = Ptr(*ki.Parent)
	}
	if ki.VariantOf != nil {
		c.VariantOf = Ptr(*ki.VariantOf)
	}
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
	var info struct {
		KindInfo
		Extension *string `json:"extension"`
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, &Error{Code: StatusProtocol, Op: op, Message: "lxd_kind_info gave JSON that does not decode: " + err.Error(), cause: err}
	}
	if info.Extension != nil {
		info.KindInfo.Extension = *info.Extension
	}
	return &info.KindInfo, nil
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
	r := k.row()
	return r != nil && (k == KindInstance || r.variantOf == KindInstance)
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

// Manager returns the manager of any top-level kind (for a kind whose
// objects live under another object, see Object.Children). The named
// accessors (Instances, Containers, …, Operations) are generated, one per
// top-level kind.
func (c *Client) Manager(kind Kind) *Manager { return &Manager{c: c, kind: kind} }

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
	return objectsOf(list), nil
}

// objectsOf takes an lxd_list: one Object per item, the list freed with
// the last of them.
func objectsOf(list *C.lxd_list) []*Object {
	n := int(C.lxd_list_len(list))
	if n == 0 {
		C.lxd_list_free(list)
		return []*Object{}
	}
	owner := &listOwner{list: list, refs: n}
	objs := make([]*Object, n)
	for i := range objs {
		objs[i] = newObject(C.lxd_list_get(list, C.size_t(i)), owner)
	}
	return objs
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
