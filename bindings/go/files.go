package lxd

// #include <stdlib.h>
// #include "shims.h"
import "C"

import (
	"encoding/json"
	"os"
	"runtime/cgo"
	"unsafe"
)

// FileOptions tune file calls. Which fields a call takes is given at each
// call; a field it does not take is ErrInvalidArgument.
type FileOptions struct {
	Mode     *os.FileMode // permission bits, e.g. Ptr(os.FileMode(0o644))
	UID, GID *int         // owner ids
	Append   bool         // Put: add to the end of an existing file
	Parents  bool         // Mkdir: create missing parent folders (mkdir -p)
	// PullWith: pulled files keep the set-uid, set-gid and sticky bits of
	// their remote mode (by default they are dropped, as lxc file pull does).
	KeepSpecialBits bool
}

func (o *FileOptions) json() []byte {
	if o == nil {
		return nil
	}
	doc := map[string]any{}
	if o.Mode != nil {
		m := uint32(o.Mode.Perm())
		if *o.Mode&os.ModeSetuid != 0 {
			m |= 0o4000
		}
		if *o.Mode&os.ModeSetgid != 0 {
			m |= 0o2000
		}
		if *o.Mode&os.ModeSticky != 0 {
			m |= 0o1000
		}
		doc["mode"] = m
	}
	if o.UID != nil {
		doc["uid"] = *o.UID
	}
	if o.GID != nil {
		doc["gid"] = *o.GID
	}
	if o.Append {
		doc["append"] = true
	}
	if o.Parents {
		doc["parents"] = true
	}
	if o.KeepSpecialBits {
		doc["keep_special_bits"] = true
	}
	b, _ := json.Marshal(doc)
	return b
}

// ProgressFunc receives the progress of Push and Pull: bytes of file
// content done so far and in all. Returning an error stops the transfer,
// which then fails with ErrCancelled wrapping that error.
type ProgressFunc func(done, total uint64) error

type progressState struct {
	fn ProgressFunc
	callbackState
}

// Files gives the files of an instance, like pylxd's instance.files.
type Files struct {
	o *Object
}

// Files returns the file API of an instance.
func (o *Object) Files() *Files { return &Files{o: o} }

// Put writes data to file path (absolute) in the instance, creating or
// replacing it. Options: Mode, UID, GID, Append. A missing parent folder is
// ErrNotFound.
func (f *Files) Put(path string, data []byte, opts *FileOptions) error {
	const op = "Files.Put"
	cs := cstrings{op: op}
	defer cs.free()
	cPath, cOpts, err := cs.pathAndOptions(path, opts)
	if err != nil {
		return err
	}
	return f.o.do(op+" "+path, func(p *C.lxd_obj) C.lxd_status {
		return C.lxd_instance_file_put(p, cPath, bytesPtr(data), C.size_t(len(data)), cOpts)
	})
}

// Get reads file path of the instance (a symlink is followed). A missing
// path is ErrNotFound; a folder is ErrInvalidArgument.
func (f *Files) Get(path string) ([]byte, error) {
	const op = "Files.Get"
	cs := cstrings{op: op}
	defer cs.free()
	cPath, err := cs.str("path", path)
	if err != nil {
		return nil, err
	}
	var data *C.uint8_t
	var n C.size_t
	err = f.o.do(op+" "+path, func(p *C.lxd_obj) C.lxd_status {
		return C.lxd_instance_file_get(p, cPath, &data, &n)
	})
	if err != nil {
		return nil, err
	}
	defer C.lxd_bytes_free(data)
	return C.GoBytes(unsafe.Pointer(data), C.int(n)), nil
}

// Delete removes a file or an empty folder.
func (f *Files) Delete(path string) error {
	const op = "Files.Delete"
	cs := cstrings{op: op}
	defer cs.free()
	cPath, err := cs.str("path", path)
	if err != nil {
		return err
	}
	return f.o.do(op+" "+path, func(p *C.lxd_obj) C.lxd_status { return C.lxd_instance_file_delete(p, cPath) })
}

// Mkdir creates a folder (an existing one is not an error). Options: Mode,
// UID, GID, Parents. A file in the way is ErrConflict.
func (f *Files) Mkdir(path string, opts *FileOptions) error {
	const op = "Files.Mkdir"
	cs := cstrings{op: op}
	defer cs.free()
	cPath, cOpts, err := cs.pathAndOptions(path, opts)
	if err != nil {
		return err
	}
	return f.o.do(op+" "+path, func(p *C.lxd_obj) C.lxd_status { return C.lxd_instance_file_mkdir(p, cPath, cOpts) })
}

// pathAndOptions converts a remote path and its file options for one call.
func (cs *cstrings) pathAndOptions(path string, opts *FileOptions) (*C.char, *C.char, error) {
	cPath, err := cs.str("path", path)
	if err != nil {
		return nil, nil, err
	}
	cOpts, err := cs.json("options", opts.json())
	if err != nil {
		return nil, nil, err
	}
	return cPath, cOpts, nil
}

// transfer runs Push or Pull with an optional progress function.
func transfer(o *Object, op string, progress ProgressFunc, run func(p *C.lxd_obj, h C.uintptr_t) C.lxd_status) error {
	var st *progressState
	var h C.uintptr_t
	if progress != nil {
		st = &progressState{fn: progress}
		hd := cgo.NewHandle(st)
		defer hd.Delete()
		h = C.uintptr_t(hd)
	}
	err := o.do(op, func(p *C.lxd_obj) C.lxd_status { return run(p, h) })
	if st == nil {
		return err
	}
	return st.finish(err)
}

// Push copies local file or folder localPath to remotePath in the instance
// (made at remotePath, folders with everything in them), streaming from
// disk. Options: Mode, UID, GID (applied to every entry). progress may be nil.
func (f *Files) Push(localPath, remotePath string, opts *FileOptions, progress ProgressFunc) error {
	const op = "Files.Push"
	cs := cstrings{op: op}
	defer cs.free()
	cLocal, err := cs.str("local path", localPath)
	if err != nil {
		return err
	}
	cRemote, err := cs.str("remote path", remotePath)
	if err != nil {
		return err
	}
	cOpts, err := cs.json("options", opts.json())
	if err != nil {
		return err
	}
	return transfer(f.o, op, progress, func(p *C.lxd_obj, h C.uintptr_t) C.lxd_status {
		return C.lxdgo_file_push(p, cLocal, cRemote, cOpts, h)
	})
}

// Pull copies remotePath in the instance (a file, or a folder with
// everything in it) to localPath, streaming to disk. A remote name or
// symlink that would land outside localPath refuses the whole pull with
// ErrUnsafePath before anything is written. Files get the permission bits
// (0777) of their remote mode: set-uid, set-gid and sticky bits are dropped,
// as lxc file pull does (PullWith with KeepSpecialBits keeps them).
// progress may be nil.
func (f *Files) Pull(remotePath, localPath string, progress ProgressFunc) error {
	return f.pull("Files.Pull", remotePath, localPath, nil, progress)
}

// PullWith is Pull with options. Options: KeepSpecialBits (pulled files
// keep the set-uid, set-gid and sticky bits the server reports). opts and
// progress may be nil.
func (f *Files) PullWith(remotePath, localPath string, opts *FileOptions, progress ProgressFunc) error {
	return f.pull("Files.PullWith", remotePath, localPath, opts, progress)
}

func (f *Files) pull(op, remotePath, localPath string, opts *FileOptions, progress ProgressFunc) error {
	cs := cstrings{op: op}
	defer cs.free()
	cRemote, err := cs.str("remote path", remotePath)
	if err != nil {
		return err
	}
	cLocal, err := cs.str("local path", localPath)
	if err != nil {
		return err
	}
	if opts == nil {
		return transfer(f.o, op, progress, func(p *C.lxd_obj, h C.uintptr_t) C.lxd_status {
			return C.lxdgo_file_pull(p, cRemote, cLocal, h)
		})
	}
	cOpts, err := cs.json("options", opts.json())
	if err != nil {
		return err
	}
	return transfer(f.o, op, progress, func(p *C.lxd_obj, h C.uintptr_t) C.lxd_status {
		return C.lxdgo_file_pull_ext(p, cRemote, cLocal, cOpts, h)
	})
}
