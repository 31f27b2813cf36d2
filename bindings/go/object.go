package lxd

// #include <stdlib.h>
// #include <lxd.h>
import "C"

import (
	"encoding/json"
	"runtime"
	"time"
)

// Object is one LXD object of any kind: an instance, image, profile,
// network, storage pool, project, certificate, operation, or an instance's
// snapshot or backup.
//
// Attributes are read and written as JSON: reading one not yet loaded syncs
// the object first; setting one makes the object dirty until Save (or
// Rollback). An Object is safe for concurrent use; calls on one object are
// serialised. Close frees it (a finalizer does so if you forget).
type Object struct {
	h     handle[C.lxd_obj]
	owner *listOwner // non-nil for an object of a list (All)
}

// Close frees the object. It is idempotent; later calls return an error
// wrapping ErrClosed. It waits for calls on the object in progress.
func (o *Object) Close() error {
	if o == nil {
		return nil
	}
	o.h.release(func(p *C.lxd_obj) {
		if o.owner != nil {
			o.owner.release()
		} else {
			C.lxd_obj_free(p)
		}
	})
	runtime.SetFinalizer(o, nil)
	return nil
}

func (o *Object) do(op string, f func(p *C.lxd_obj) C.lxd_status) error {
	if o == nil {
		return argError(op, "nil *Object")
	}
	return o.h.use(op, "object", func(p *C.lxd_obj) error {
		return call(op, func() C.lxd_status { return f(p) })
	})
}

// Kind is the object's kind (-1 once closed).
func (o *Object) Kind() Kind {
	k := Kind(-1)
	if o != nil {
		_ = o.h.use("Kind", "object", func(p *C.lxd_obj) error {
			k = Kind(C.lxd_obj_kind(p))
			return nil
		})
	}
	return k
}

// Attributes lists the attributes of the object's kind, in schema order,
// with whether Set accepts each (Kind.Info; no request). The server may send
// more, which Get still reads (see SetWarningCallback).
func (o *Object) Attributes() ([]AttributeInfo, error) {
	const op = "Object.Attributes"
	if o == nil {
		return nil, argError(op, "nil *Object")
	}
	var kind Kind
	if err := o.h.use(op, "object", func(p *C.lxd_obj) error {
		kind = Kind(C.lxd_obj_kind(p))
		return nil
	}); err != nil {
		return nil, err
	}
	info, err := kind.Info()
	if err != nil {
		return nil, err
	}
	return info.Attributes, nil
}

// Key is the object's key (name, fingerprint or id), without any request.
// For an image created without waiting it is "" until the creation ends.
func (o *Object) Key() (string, error) {
	var out *C.char
	if err := o.do("Key", func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_key(p, &out) }); err != nil {
		return "", err
	}
	return string(takeString(out)), nil
}

// String describes the object, e.g. `Container "c1"`.
func (o *Object) String() string {
	key, err := o.Key()
	if err != nil {
		return "<closed lxd.Object>"
	}
	return o.Kind().String() + " " + `"` + key + `"`
}

// Get reads one attribute as JSON (a string comes with its quotes, a map as
// an object). Local changes not yet saved are seen. An attribute not yet
// loaded syncs the object first. An attribute that the kind does not have
// is ErrUnknownAttribute.
func (o *Object) Get(attr string) ([]byte, error) {
	const op = "Object.Get"
	cs := cstrings{op: op}
	defer cs.free()
	cAttr, err := cs.str("attribute name", attr)
	if err != nil {
		return nil, err
	}
	var out *C.char
	if err := o.do(op+" "+attr, func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_get(p, cAttr, &out) }); err != nil {
		return nil, err
	}
	return takeString(out), nil
}

// GetInto reads one attribute and decodes it into v with encoding/json.
func (o *Object) GetInto(attr string, v any) error {
	b, err := o.Get(attr)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &Error{Code: StatusInvalidArgument, Op: "Object.GetInto " + attr, Message: err.Error(), cause: err}
	}
	return nil
}

// Set sets one writable attribute to the JSON value (the whole value:
// setting "config" replaces the map). It marks the object dirty; nothing is
// sent before Save. JSON that does not parse is ErrInvalidArgument; a
// read-only attribute is ErrReadOnly.
func (o *Object) Set(attr string, value []byte) error {
	op := "Object.Set " + attr
	if value == nil {
		return argError(op, "value is nil")
	}
	cs := cstrings{op: op}
	defer cs.free()
	cAttr, err := cs.str("attribute name", attr)
	if err != nil {
		return err
	}
	cValue, err := cs.str("value", string(value))
	if err != nil {
		return err
	}
	return o.do(op, func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_set(p, cAttr, cValue) })
}

// SetFrom encodes v with encoding/json and sets the attribute to it.
func (o *Object) SetFrom(attr string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return &Error{Code: StatusInvalidArgument, Op: "Object.SetFrom " + attr, Message: err.Error(), cause: err}
	}
	return o.Set(attr, b)
}

// Dirty reports whether the object has local changes not yet saved
// (false once closed).
func (o *Object) Dirty() bool {
	dirty := false
	if o != nil {
		_ = o.h.use("Dirty", "object", func(p *C.lxd_obj) error {
			dirty = bool(C.lxd_obj_dirty(p))
			return nil
		})
	}
	return dirty
}

// Sync refreshes the object from the server, keeping local changes.
func (o *Object) Sync() error {
	return o.do("Object.Sync", func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_sync(p) })
}

// Rollback discards local changes and takes the server's state.
func (o *Object) Rollback() error {
	return o.do("Object.Rollback", func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_rollback(p) })
}

// Save writes local changes to the server (nothing is sent when nothing is
// dirty), guarded by the ETag of the last sync: a change made on the server
// since then makes it fail with ErrPreconditionFailed. With wait it returns
// once LXD applied the change, the object loading again on its next read; without, once accepted
// (see Operation). On failure the local changes stay.
func (o *Object) Save(wait bool) error {
	return o.do("Object.Save", func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_save(p, C.bool(wait)) })
}

// Delete deletes the object on the server. The Object must still be closed.
func (o *Object) Delete(wait bool) error {
	return o.do("Object.Delete", func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_delete(p, C.bool(wait)) })
}

// Rename renames an instance (which must be stopped), profile, network,
// project, snapshot or backup (KindInfo.Renamable); other kinds give
// ErrInvalidArgument. The object follows the new
// name; without wait, wait on Operation before using it further.
func (o *Object) Rename(newName string, wait bool) error {
	const op = "Object.Rename"
	cs := cstrings{op: op}
	defer cs.free()
	cName, err := cs.str("new name", newName)
	if err != nil {
		return err
	}
	return o.do(op, func(p *C.lxd_obj) C.lxd_status {
		if Kind(C.lxd_obj_kind(p)).IsInstance() {
			return C.lxd_instance_rename(p, cName, C.bool(wait))
		}
		return C.lxd_obj_rename(p, cName, C.bool(wait))
	})
}

// JSON returns the whole object as one JSON object, local changes included.
func (o *Object) JSON() ([]byte, error) {
	var out *C.char
	if err := o.do("Object.JSON", func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_to_json(p, &out) }); err != nil {
		return nil, err
	}
	return takeString(out), nil
}

// Operation returns the background operation that this object's last call
// made without waiting started (create, save, delete, rename, an instance
// action), as an Object of KindOperation; nil (and no error) when there is
// none: the call needed none, waited, or the object has finished it itself.
func (o *Object) Operation() (*Object, error) {
	var out *C.lxd_obj
	if err := o.do("Object.Operation", func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_operation(p, &out) }); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, nil
	}
	return newObject(out, nil), nil
}

// Wait waits for an operation (an Object of KindOperation) to end, at most
// timeout (negative: no limit; rounded up to whole seconds). A failed
// operation is ErrOperationFailed with its error; ErrTimeout means it still
// runs. Its attributes then hold the final state.
func (o *Object) Wait(timeout time.Duration) error {
	return o.do("Operation.Wait", func(p *C.lxd_obj) C.lxd_status { return C.lxd_operation_wait(p, seconds(timeout)) })
}

// Cancel asks LXD to cancel an operation (only those with may_cancel true).
func (o *Object) Cancel() error {
	return o.do("Operation.Cancel", func(p *C.lxd_obj) C.lxd_status { return C.lxd_operation_cancel(p) })
}

// DefaultTimeout asks for LXD's default timeout in the instance actions.
const DefaultTimeout time.Duration = -1

type action func(p *C.lxd_obj, timeout C.int32_t, force, wait C.bool) C.lxd_status

func (o *Object) action(op string, f action, timeout time.Duration, force, wait bool) error {
	return o.do(op, func(p *C.lxd_obj) C.lxd_status { return f(p, seconds(timeout), C.bool(force), C.bool(wait)) })
}

// Start starts an instance. timeout (whole seconds; DefaultTimeout for
// LXD's) and force are passed to LXD. With wait it returns once the
// instance runs, the object loading again on its next read; without, see Operation.
func (o *Object) Start(timeout time.Duration, force, wait bool) error {
	return o.action("Instance.Start", func(p *C.lxd_obj, t C.int32_t, f, w C.bool) C.lxd_status {
		return C.lxd_instance_start(p, t, f, w)
	}, timeout, force, wait)
}

// Stop stops an instance: a clean shutdown within timeout, or a kill at
// once with force. Waits as Start.
func (o *Object) Stop(timeout time.Duration, force, wait bool) error {
	return o.action("Instance.Stop", func(p *C.lxd_obj, t C.int32_t, f, w C.bool) C.lxd_status {
		return C.lxd_instance_stop(p, t, f, w)
	}, timeout, force, wait)
}

// Restart restarts an instance, as Stop.
func (o *Object) Restart(timeout time.Duration, force, wait bool) error {
	return o.action("Instance.Restart", func(p *C.lxd_obj, t C.int32_t, f, w C.bool) C.lxd_status {
		return C.lxd_instance_restart(p, t, f, w)
	}, timeout, force, wait)
}

// Freeze freezes (pauses) a running instance, as Start.
func (o *Object) Freeze(timeout time.Duration, force, wait bool) error {
	return o.action("Instance.Freeze", func(p *C.lxd_obj, t C.int32_t, f, w C.bool) C.lxd_status {
		return C.lxd_instance_freeze(p, t, f, w)
	}, timeout, force, wait)
}

// Unfreeze resumes a frozen instance, as Start.
func (o *Object) Unfreeze(timeout time.Duration, force, wait bool) error {
	return o.action("Instance.Unfreeze", func(p *C.lxd_obj, t C.int32_t, f, w C.bool) C.lxd_status {
		return C.lxd_instance_unfreeze(p, t, f, w)
	}, timeout, force, wait)
}

// State returns the object's runtime state as JSON: an instance's (status,
// processes, memory, network, …), a network's (addresses, counters, …), a
// storage volume's (usage; LXD's dir driver answers "Not supported") or a
// project's (resource usage against its limits).
func (o *Object) State() ([]byte, error) {
	switch o.Kind() {
	case KindNetwork:
		return o.docCall("Network.State", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
			return C.lxd_network_state(p, a, false, out)
		})
	case KindStorageVolume:
		return o.docCall("StorageVolume.State", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
			return C.lxd_storage_volume_state(p, a, false, out)
		})
	case KindProject:
		return o.docCall("Project.State", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
			return C.lxd_project_state(p, a, false, out)
		})
	}
	var out *C.char
	if err := o.do("Instance.State", func(p *C.lxd_obj) C.lxd_status { return C.lxd_instance_state(p, &out) }); err != nil {
		return nil, err
	}
	return takeString(out), nil
}
