package lxd

// #include <stdlib.h>
// #include "shims.h"
import "C"

import (
	"encoding/json"
	"runtime/cgo"
	"time"
	"unicode/utf8"
	"unsafe"
)

// What objects do beyond attributes and lifecycle: the actions of their
// kind (KindInfo.Actions lists them), through the generic Action,
// ActionBytes and ActionToFile, or the typed methods below, each of which
// calls liblxd's generated function for the action.

// argsOf gives the C text of an action's arguments: nil gives NULL.
func argsOf(cs *cstrings, args any) (*C.char, error) {
	if args == nil {
		return nil, nil
	}
	doc, err := jsonOf(cs.op, "args", args)
	if err != nil {
		return nil, err
	}
	return cs.str("args", string(doc))
}

// Action runs the action name of the object's kind (KindInfo.Actions) for
// actions that return nothing, a document or a background operation, with
// args (nil for none; JSON as []byte, string or json.RawMessage, or any
// value encoding/json marshals to an object). It returns `null`, the
// document, or the operation (final with wait; as it started without,
// when Object.Operation also gives it). An action that the kind lacks, or
// one of ActionBytes or ActionToFile, is ErrInvalidArgument; a server
// without the action's API extension is ErrExtensionMissing, before any
// request.
func (o *Object) Action(name string, args any, wait bool) (json.RawMessage, error) {
	op := "Object.Action " + name
	cs := cstrings{op: op}
	defer cs.free()
	cName, err := cs.str("name", name)
	if err != nil {
		return nil, err
	}
	cArgs, err := argsOf(&cs, args)
	if err != nil {
		return nil, err
	}
	var out *C.char
	if err := o.do(op, func(p *C.lxd_obj) C.lxd_status {
		return C.lxd_obj_action(p, cName, cArgs, C.bool(wait), &out)
	}); err != nil {
		return nil, err
	}
	return json.RawMessage(takeString(out)), nil
}

// takeBytes copies bytes that liblxd returned and frees them.
func takeBytes(data *C.uint8_t, n C.size_t) []byte {
	defer C.lxd_bytes_free(data)
	if n == 0 {
		return []byte{}
	}
	return C.GoBytes(unsafe.Pointer(data), C.int(n))
}

// ActionBytes runs an action that returns bytes (an instance's log,
// console_log, template), read into memory (at most the client's
// Options.MaxResponseBytes: ErrResponseTooLarge).
func (o *Object) ActionBytes(name string, args any) ([]byte, error) {
	op := "Object.ActionBytes " + name
	cs := cstrings{op: op}
	defer cs.free()
	cName, err := cs.str("name", name)
	if err != nil {
		return nil, err
	}
	cArgs, err := argsOf(&cs, args)
	if err != nil {
		return nil, err
	}
	return o.bytesCall(op, func(p *C.lxd_obj, data **C.uint8_t, n *C.size_t) C.lxd_status {
		return C.lxd_obj_action_bytes(p, cName, cArgs, data, n)
	})
}

func (o *Object) bytesCall(op string, f func(p *C.lxd_obj, data **C.uint8_t, n *C.size_t) C.lxd_status) ([]byte, error) {
	var data *C.uint8_t
	var n C.size_t
	if err := o.do(op, func(p *C.lxd_obj) C.lxd_status { return f(p, &data, &n) }); err != nil {
		return nil, err
	}
	return takeBytes(data, n), nil
}

// ActionToFile runs an action that returns a file (a backup's export),
// streaming it to localPath (replaced if it exists, removed again if the
// transfer fails). progress may be nil; an error from it stops the
// transfer (ErrCancelled wrapping it).
func (o *Object) ActionToFile(name string, args any, localPath string, progress ProgressFunc) error {
	op := "Object.ActionToFile " + name
	cs := cstrings{op: op}
	defer cs.free()
	cName, err := cs.str("name", name)
	if err != nil {
		return err
	}
	cArgs, err := argsOf(&cs, args)
	if err != nil {
		return err
	}
	cLocal, err := cs.str("local path", localPath)
	if err != nil {
		return err
	}
	return transfer(o, op, progress, func(p *C.lxd_obj, h C.uintptr_t) C.lxd_status {
		return C.lxdgo_obj_action_to_file(p, cName, cArgs, cLocal, h)
	})
}

// CollectionAction runs an action of a whole top-level kind (one whose
// ActionInfo.On is "collection": instances' set_state_all), in the
// client's project. Arguments and result as Object.Action.
func (c *Client) CollectionAction(kind Kind, name string, args any, wait bool) (json.RawMessage, error) {
	op := "CollectionAction " + name
	cs := cstrings{op: op}
	defer cs.free()
	cName, err := cs.str("name", name)
	if err != nil {
		return nil, err
	}
	cArgs, err := argsOf(&cs, args)
	if err != nil {
		return nil, err
	}
	var out *C.char
	if err := c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxd_collection_action(p, C.lxd_kind(kind), cName, cArgs, C.bool(wait), &out)
	}); err != nil {
		return nil, err
	}
	return json.RawMessage(takeString(out)), nil
}

// StateChange is the state change of Client.SetStateAll.
type StateChange struct {
	Action string // "start", "stop", "restart", "freeze" or "unfreeze"
	// Timeout in whole seconds (rounded up); 0 or less: LXD's default.
	Timeout  time.Duration
	Force    bool // stop or restart at once (a kill)
	Stateful bool // save or restore the runtime state (CRIU)
}

// SetStateAll changes the state of every instance of the client's project
// at once (PUT /1.0/instances). With wait it returns once LXD has done so;
// without, once accepted. It returns the operation (final with wait).
func (c *Client) SetStateAll(state StateChange, wait bool) (json.RawMessage, error) {
	const op = "SetStateAll"
	if state.Action == "" {
		return nil, argError(op, "no action")
	}
	doc := map[string]any{"action": state.Action, "force": state.Force, "stateful": state.Stateful}
	if state.Timeout > 0 {
		doc["timeout"] = int32(seconds(state.Timeout))
	}
	cs := cstrings{op: op}
	defer cs.free()
	cArgs, err := argsOf(&cs, map[string]any{"state": doc})
	if err != nil {
		return nil, err
	}
	var out *C.char
	if err := c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxd_instance_set_state_all(p, cArgs, C.bool(wait), &out)
	}); err != nil {
		return nil, err
	}
	return json.RawMessage(takeString(out)), nil
}

// Patch changes part of the object on the server with LXD's PATCH: only
// the fields given change (maps such as config are merged key by key by
// LXD; a key set to "" is removed), the rest stays as it is on the
// server. fields is JSON or a value encoding/json marshals to an object.
// Guarded by the ETag of the last sync (ErrPreconditionFailed when it
// changed on the server since). Local changes not yet saved stay local
// and dirty. With wait the object is synced afterwards. A field that
// cannot be set is ErrUnknownAttribute or ErrReadOnly; a kind without
// PATCH (KindInfo.Patchable) ErrInvalidArgument.
func (o *Object) Patch(fields any, wait bool) error {
	const op = "Object.Patch"
	doc, err := jsonOf(op, "fields", fields)
	if err != nil {
		return err
	}
	cs := cstrings{op: op}
	defer cs.free()
	cDoc, err := cs.str("fields", string(doc))
	if err != nil {
		return err
	}
	return o.do(op, func(p *C.lxd_obj) C.lxd_status { return C.lxd_obj_patch(p, cDoc, C.bool(wait)) })
}

// ConsoleOptions set the size of a console's terminal (0: 80×24).
type ConsoleOptions struct {
	Width, Height uint32
}

// Console attaches to a running instance's console, as `lxc console`: a
// Session whose Read gives what the instance writes to its console, Write
// types into it and Resize resizes it. There is no command: Signal is
// ErrInvalidArgument, and Wait returns 0 once LXD ends the console (the
// instance stopped). Close detaches; the instance goes on running. A
// stopped instance (or a console another client holds) is ErrAPI.
func (o *Object) Console(opts *ConsoleOptions) (*Session, error) {
	const op = "Instance.Console"
	cs := cstrings{op: op}
	defer cs.free()
	var cOpts *C.char
	if opts != nil {
		doc := map[string]uint32{}
		if opts.Width > 0 {
			doc["width"] = opts.Width
		}
		if opts.Height > 0 {
			doc["height"] = opts.Height
		}
		b, _ := json.Marshal(doc) // numbers only
		var err error
		if cOpts, err = cs.str("options", string(b)); err != nil {
			return nil, err
		}
	}
	var out *C.lxd_exec_session
	if err := o.do(op, func(p *C.lxd_obj) C.lxd_status { return C.lxd_instance_console(p, cOpts, &out) }); err != nil {
		return nil, err
	}
	return newSession(out), nil
}

// ImportOptions tune Client.ImportInstance. The zero value (or nil) keeps
// what the backup says.
type ImportOptions struct {
	Name string // the new instance's name (default: the backup's)
	Pool string // the storage pool to put it in (default: the backup's)
}

// ImportInstance creates an instance from a backup tarball (from a
// backup's Export, or `lxc export`), streaming the file from disk. With
// wait it returns once the instance exists, loaded; without, once LXD
// accepted the upload (Object.Operation gives the operation). progress
// may be nil; an error from it stops the upload (ErrCancelled wrapping
// it). A missing local file is ErrNotFound; a backup LXD cannot restore
// (e.g. the name is taken) ErrOperationFailed.
func (c *Client) ImportInstance(localPath string, opts *ImportOptions, wait bool, progress ProgressFunc) (*Object, error) {
	const op = "ImportInstance"
	cs := cstrings{op: op}
	defer cs.free()
	cLocal, err := cs.str("local path", localPath)
	if err != nil {
		return nil, err
	}
	var cOpts *C.char
	if opts != nil {
		doc := map[string]string{}
		if opts.Name != "" {
			doc["name"] = opts.Name
		}
		if opts.Pool != "" {
			doc["pool"] = opts.Pool
		}
		b, _ := json.Marshal(doc) // strings only
		if cOpts, err = cs.str("options", string(b)); err != nil {
			return nil, err
		}
	}
	var st *progressState
	var h C.uintptr_t
	if progress != nil {
		st = &progressState{fn: progress}
		hd := cgo.NewHandle(st)
		defer hd.Delete()
		h = C.uintptr_t(hd)
	}
	var out *C.lxd_obj
	err = c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxdgo_instance_import(p, cLocal, cOpts, C.bool(wait), h, &out)
	})
	if st != nil {
		err = st.finish(err)
	}
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// The typed actions: each calls liblxd's generated lxd_<kind>_<action>.

// docCall runs a generated action function that returns a JSON document.
func (o *Object) docCall(op string, args any, f func(p *C.lxd_obj, args *C.char, out **C.char) C.lxd_status) (json.RawMessage, error) {
	cs := cstrings{op: op}
	defer cs.free()
	cArgs, err := argsOf(&cs, args)
	if err != nil {
		return nil, err
	}
	var out *C.char
	if err := o.do(op, func(p *C.lxd_obj) C.lxd_status { return f(p, cArgs, &out) }); err != nil {
		return nil, err
	}
	return json.RawMessage(takeString(out)), nil
}

// Logs lists the instance's log files, as LXD gives them: their API paths
// ("/1.0/instances/c1/logs/lxc.log"); Log takes the last part.
func (o *Object) Logs() ([]string, error) {
	const op = "Instance.Logs"
	doc, err := o.docCall(op, nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_logs(p, a, false, out)
	})
	if err != nil {
		return nil, err
	}
	var paths []string
	if err := json.Unmarshal(doc, &paths); err != nil {
		return nil, &Error{Code: StatusProtocol, Op: op, Message: "the log list does not decode: " + err.Error(), cause: err}
	}
	return paths, nil
}

// Log reads one log file of the instance (a name from Logs: "lxc.log").
// For a network ACL it reads the ACL's log (name is ignored: pass ""; LXD
// 5.0.2 serves it only for ACLs of OVN networks).
func (o *Object) Log(name string) ([]byte, error) {
	if o.Kind() == KindNetworkAcl {
		return o.bytesCall("NetworkAcl.Log", func(p *C.lxd_obj, data **C.uint8_t, n *C.size_t) C.lxd_status {
			return C.lxd_network_acl_log(p, nil, data, n)
		})
	}
	const op = "Instance.Log"
	cs := cstrings{op: op}
	defer cs.free()
	cArgs, err := argsOf(&cs, map[string]string{"name": name})
	if err != nil {
		return nil, err
	}
	return o.bytesCall(op, func(p *C.lxd_obj, data **C.uint8_t, n *C.size_t) C.lxd_status {
		return C.lxd_instance_log(p, cArgs, data, n)
	})
}

// DeleteLog deletes one log file of the instance (LXD refuses lxc.log and
// lxc.conf).
func (o *Object) DeleteLog(name string) error {
	_, err := o.docCall("Instance.DeleteLog", map[string]string{"name": name}, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_delete_log(p, a, false, out)
	})
	return err
}

// ConsoleLog reads the console log: what the instance wrote to its console.
func (o *Object) ConsoleLog() ([]byte, error) {
	return o.bytesCall("Instance.ConsoleLog", func(p *C.lxd_obj, data **C.uint8_t, n *C.size_t) C.lxd_status {
		return C.lxd_instance_console_log(p, nil, data, n)
	})
}

// ClearConsoleLog empties the console log.
func (o *Object) ClearConsoleLog() error {
	_, err := o.docCall("Instance.ClearConsoleLog", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_clear_console_log(p, a, false, out)
	})
	return err
}

// Metadata reads the instance's metadata.yaml, as JSON (architecture,
// creation_date, properties, templates).
func (o *Object) Metadata() (json.RawMessage, error) {
	return o.docCall("Instance.Metadata", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_metadata(p, a, false, out)
	})
}

// SetMetadata replaces the instance's metadata with doc (JSON, or a value
// encoding/json marshals to an object).
func (o *Object) SetMetadata(doc any) error {
	const op = "Instance.SetMetadata"
	if doc == nil {
		return argError(op, "doc is nil")
	}
	_, err := o.docCall(op, doc, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_set_metadata(p, a, false, out)
	})
	return err
}

// PatchMetadata changes the fields of the instance's metadata that doc
// gives (LXD's PATCH), leaving the others.
func (o *Object) PatchMetadata(doc any) error {
	const op = "Instance.PatchMetadata"
	if doc == nil {
		return argError(op, "doc is nil")
	}
	_, err := o.docCall(op, doc, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_patch_metadata(p, a, false, out)
	})
	return err
}

// Templates lists the names of the instance's template files.
func (o *Object) Templates() ([]string, error) {
	const op = "Instance.Templates"
	doc, err := o.docCall(op, nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_templates(p, a, false, out)
	})
	if err != nil {
		return nil, err
	}
	var names []string
	if err := json.Unmarshal(doc, &names); err != nil {
		return nil, &Error{Code: StatusProtocol, Op: op, Message: "the template list does not decode: " + err.Error(), cause: err}
	}
	return names, nil
}

// Template reads one template file of the instance (a name from Templates).
func (o *Object) Template(path string) ([]byte, error) {
	const op = "Instance.Template"
	cs := cstrings{op: op}
	defer cs.free()
	cArgs, err := argsOf(&cs, map[string]string{"path": path})
	if err != nil {
		return nil, err
	}
	return o.bytesCall(op, func(p *C.lxd_obj, data **C.uint8_t, n *C.size_t) C.lxd_status {
		return C.lxd_instance_template(p, cArgs, data, n)
	})
}

// PutTemplate creates or replaces a template file of the instance. content
// is text: bytes that are not UTF-8 are ErrInvalidArgument.
func (o *Object) PutTemplate(path string, content []byte) error {
	const op = "Instance.PutTemplate"
	if !utf8.Valid(content) {
		return argError(op, "content is not UTF-8 text")
	}
	_, err := o.docCall(op, map[string]string{"path": path, "content": string(content)}, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_put_template(p, a, false, out)
	})
	return err
}

// DeleteTemplate deletes a template file of the instance.
func (o *Object) DeleteTemplate(path string) error {
	_, err := o.docCall("Instance.DeleteTemplate", map[string]string{"path": path}, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_delete_template(p, a, false, out)
	})
	return err
}

// Restore restores the snapshot's instance (or storage volume) to it: the
// instance's files and configuration (the volume's contents) go back to
// the snapshot's. For a cluster member it brings back the instances that
// Evacuate moved or stopped. With wait it returns once done; without, once
// accepted (Object.Operation gives the operation).
func (o *Object) Restore(wait bool) error {
	switch o.Kind() {
	case KindClusterMember:
		_, err := o.docCall("ClusterMember.Restore", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
			return C.lxd_cluster_member_restore(p, a, C.bool(wait), out)
		})
		return err
	case KindStorageVolumeSnapshot:
		_, err := o.docCall("StorageVolumeSnapshot.Restore", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
			return C.lxd_storage_volume_snapshot_restore(p, a, C.bool(wait), out)
		})
		return err
	}
	_, err := o.docCall("InstanceSnapshot.Restore", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_instance_snapshot_restore(p, a, C.bool(wait), out)
	})
	return err
}

// Export streams the object's export to disk and returns the files it
// wrote. A backup (of an instance, or of a storage volume: for
// Object.ImportVolume): its tarball to the file path (replaced if it exists),
// for ImportInstance or `lxc import`. An image: its file (unified) or its
// two files (split: metadata first, then the root filesystem) into the
// existing folder path, named as LXD names them (else after the
// fingerprint); files of those names are replaced, created readable by
// their owner only, never through a symlink. Whatever was written is
// removed again if the transfer fails. progress may be nil (for an image
// its total is LXD's Content-Length, 0 when LXD sends none); an error from
// it stops the transfer (ErrCancelled wrapping it). A missing image or
// folder is ErrNotFound; other kinds are ErrInvalidArgument.
func (o *Object) Export(path string, progress ProgressFunc) ([]string, error) {
	if o.Kind() == KindImage {
		return o.exportImage("Image.Export", path, progress)
	}
	op, volume := "InstanceBackup.Export", o.Kind() == KindStorageVolumeBackup
	if volume {
		op = "StorageVolumeBackup.Export"
	}
	cs := cstrings{op: op}
	defer cs.free()
	cLocal, err := cs.str("local path", path)
	if err != nil {
		return nil, err
	}
	err = transfer(o, op, progress, func(p *C.lxd_obj, h C.uintptr_t) C.lxd_status {
		if volume {
			return C.lxdgo_storage_volume_backup_export(p, cLocal, h)
		}
		return C.lxdgo_instance_backup_export(p, cLocal, h)
	})
	if err != nil {
		return nil, err
	}
	return []string{path}, nil
}
