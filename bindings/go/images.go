package lxd

// #include <stdlib.h>
// #include "shims.h"
import "C"

import (
	"encoding/json"
	"runtime/cgo"
	"time"
)

// Images and instances that move: images uploaded from files, exported to
// files, published from instances, copied between servers and pulled from
// image servers; instances copied and moved between servers.

// ImageAlias names an image in the options of Upload, Publish, CopyTo and
// Pull: the alias made for it (its Description may be "").
type ImageAlias struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// ImageUploadOptions tune ImageManager.Upload. The zero value (or nil)
// uploads a unified tarball, private, without aliases.
type ImageUploadOptions struct {
	// Rootfs makes the upload a split image: the root filesystem
	// (squashfs or tarball), the path given to Upload being then its
	// metadata tarball. "" for a unified tarball.
	Rootfs     string
	Public     bool              // anyone may fetch it, untrusted clients too
	AutoUpdate bool              // LXD refreshes it from its source (needs wait)
	Aliases    []ImageAlias      // made once the image is stored (needs wait)
	Properties map[string]string // e.g. {"os": "busybox"}
	Filename   string            // the file name LXD records
}

func (o *ImageUploadOptions) json() []byte {
	if o == nil {
		return nil
	}
	doc := struct {
		Public     bool              `json:"public,omitempty"`
		AutoUpdate bool              `json:"auto_update,omitempty"`
		Aliases    []ImageAlias      `json:"aliases,omitempty"`
		Properties map[string]string `json:"properties,omitempty"`
		Filename   string            `json:"filename,omitempty"`
	}{o.Public, o.AutoUpdate, o.Aliases, o.Properties, o.Filename}
	b, _ := json.Marshal(doc) // strings, bools and maps of strings only
	return b
}

// progressHandle makes the cgo handle that carries progress to the C
// callback (0 when progress is nil); done deletes it.
func progressHandle(progress ProgressFunc) (st *progressState, h C.uintptr_t, done func()) {
	if progress == nil {
		return nil, 0, func() {}
	}
	st = &progressState{fn: progress}
	hd := cgo.NewHandle(st)
	return st, C.uintptr_t(hd), hd.Delete
}

// Upload uploads an image from local files, streamed from disk: the unified
// tarball at path, or, with opts.Rootfs, the metadata tarball at path and
// the root filesystem of a split image. With wait it returns the image once
// LXD has stored it, loaded (its fingerprint is the sha256 of the tarball,
// or of the metadata and rootfs files one after the other); without, once
// LXD accepted the upload (Object.Operation gives the operation, and the
// image learns its fingerprint when that ends). Aliases and AutoUpdate need
// wait. progress (nil for none) counts the bytes of the files; an error
// from it stops the upload (ErrCancelled wrapping it).
//
// The same image twice is ErrConflict; a missing local file ErrNotFound;
// files LXD refuses (not an image) ErrOperationFailed.
func (m *ImageManager) Upload(path string, opts *ImageUploadOptions, wait bool, progress ProgressFunc) (*Object, error) {
	const op = "Images.Upload"
	cs := cstrings{op: op}
	defer cs.free()
	cPath, err := cs.str("path", path)
	if err != nil {
		return nil, err
	}
	var cRootfs *C.char
	if opts != nil {
		if cRootfs, err = cs.optStr("rootfs path", opts.Rootfs); err != nil {
			return nil, err
		}
	}
	cOpts, err := cs.json("options", opts.json())
	if err != nil {
		return nil, err
	}
	st, h, done := progressHandle(progress)
	defer done()
	var out *C.lxd_obj
	err = m.c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxdgo_image_upload(p, cPath, cRootfs, cOpts, C.bool(wait), h, &out)
	})
	if st != nil {
		err = st.finish(err)
	}
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// ImageSource is where ImageManager.Pull takes an image from: a remote
// image server, by Alias or by Fingerprint (one of them).
type ImageSource struct {
	Server      string `json:"server"`                // the image server's URL, https://…
	Protocol    string `json:"protocol,omitempty"`    // "simplestreams" (the default) or "lxd"
	Alias       string `json:"alias,omitempty"`       // e.g. "alpine/3.19"
	Fingerprint string `json:"fingerprint,omitempty"` // the image's (a prefix will do for LXD)
	// Certificate is the server's certificate (PEM), trusted for this
	// download: for a server with a self-signed certificate.
	Certificate string `json:"certificate,omitempty"`
	Secret      string `json:"secret,omitempty"`     // a private LXD image's, from its Secret
	ImageType   string `json:"image_type,omitempty"` // "container" or "virtual-machine"
}

// ImagePullOptions tune ImageManager.Pull. The zero value (or nil) makes a
// private image without aliases.
type ImagePullOptions struct {
	Aliases    []ImageAlias // made for the image on this server
	Public     bool
	AutoUpdate bool // LXD then refreshes it from the image server
}

// Pull brings an image from a remote image server (simplestreams, or
// another LXD) onto this client's server, as `lxc image copy
// images:alpine/3.19 local:` does: the LXD server downloads it itself, so
// it must reach the image server. With wait it returns the image, loaded;
// without, at once (Object.Operation; the image learns its fingerprint when
// that ends). The server having the image already is no error. A source
// that names no server, or neither or both of Alias and Fingerprint, is
// ErrInvalidArgument; a download that fails ErrOperationFailed (the
// message says why).
func (m *ImageManager) Pull(source ImageSource, opts *ImagePullOptions, wait bool) (*Object, error) {
	const op = "Images.Pull"
	src, _ := json.Marshal(source) // strings only
	var doc []byte
	if opts != nil {
		doc, _ = json.Marshal(struct {
			Aliases    []ImageAlias `json:"aliases,omitempty"`
			Public     bool         `json:"public,omitempty"`
			AutoUpdate bool         `json:"auto_update,omitempty"`
		}{opts.Aliases, opts.Public, opts.AutoUpdate})
	}
	cs := cstrings{op: op}
	defer cs.free()
	cSrc, err := cs.json("source", src)
	if err != nil {
		return nil, err
	}
	cOpts, err := cs.json("options", doc)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = m.c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxd_image_pull(p, cSrc, cOpts, C.bool(wait), &out)
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// exportImage is Export for an image: its file (unified) or files (split:
// metadata, then rootfs) into folder.
func (o *Object) exportImage(op, folder string, progress ProgressFunc) ([]string, error) {
	cs := cstrings{op: op}
	defer cs.free()
	cFolder, err := cs.str("folder", folder)
	if err != nil {
		return nil, err
	}
	var out *C.char
	err = transfer(o, op, progress, func(p *C.lxd_obj, h C.uintptr_t) C.lxd_status {
		return C.lxdgo_image_export(p, cFolder, h, &out)
	})
	if err != nil {
		return nil, err
	}
	var files []string
	if err := json.Unmarshal(takeString(out), &files); err != nil {
		return nil, &Error{Code: StatusProtocol, Op: op, Message: "the list of files does not decode: " + err.Error(), cause: err}
	}
	return files, nil
}

// ImagePublishOptions tune Object.Publish. The zero value (or nil) makes a
// private image without aliases, compressed as LXD's default.
type ImagePublishOptions struct {
	Aliases              []ImageAlias
	Public               bool
	AutoUpdate           bool
	Properties           map[string]string
	CompressionAlgorithm string    // e.g. "gzip", "none"; "": LXD's default
	ExpiresAt            time.Time // zero: never
	Filename             string
	Profiles             []string // the image's profiles
}

// Publish makes an image of an instance (which must be stopped: LXD refuses
// a running one with ErrOperationFailed) or of a snapshot, on the same
// server and project, as `lxc publish` does. With wait it returns the image,
// loaded; without, at once (Object.Operation; the image learns its
// fingerprint when the operation ends).
func (o *Object) Publish(opts *ImagePublishOptions, wait bool) (*Object, error) {
	const op = "Object.Publish"
	var doc []byte
	if opts != nil {
		d := map[string]any{}
		if len(opts.Aliases) > 0 {
			d["aliases"] = opts.Aliases
		}
		if opts.Public {
			d["public"] = true
		}
		if opts.AutoUpdate {
			d["auto_update"] = true
		}
		if len(opts.Properties) > 0 {
			d["properties"] = opts.Properties
		}
		if opts.CompressionAlgorithm != "" {
			d["compression_algorithm"] = opts.CompressionAlgorithm
		}
		if !opts.ExpiresAt.IsZero() {
			d["expires_at"] = opts.ExpiresAt.Format(time.RFC3339Nano)
		}
		if opts.Filename != "" {
			d["filename"] = opts.Filename
		}
		if opts.Profiles != nil {
			d["profiles"] = opts.Profiles
		}
		doc, _ = json.Marshal(d) // strings, bools, lists and maps of strings
	}
	cs := cstrings{op: op}
	defer cs.free()
	cOpts, err := cs.json("options", doc)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	if err := o.do(op, func(p *C.lxd_obj) C.lxd_status { return C.lxd_image_publish(p, cOpts, C.bool(wait), &out) }); err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// CopyOptions are the options of Object.CopyTo: *ImageCopyOptions for an
// image, *InstanceCopyOptions for an instance (nil: the defaults),
// *VolumeCopyOptions for a storage volume (required: it names the pool).
type CopyOptions interface {
	copyOptions() (family Kind, doc []byte)
}

// ImageCopyOptions tune Object.CopyTo for an image. The zero value gives
// lxc image copy's defaults: the aliases go along, the copy is private.
type ImageCopyOptions struct {
	// CopyAliases: the image's aliases are made on the target too; nil
	// means true.
	CopyAliases *bool
	Aliases     []ImageAlias // more aliases for the copy
	Public      bool         // the copy is public (default private)
	AutoUpdate  bool
}

func (o *ImageCopyOptions) copyOptions() (Kind, []byte) {
	if o == nil {
		return KindImage, nil
	}
	doc, _ := json.Marshal(struct {
		CopyAliases *bool        `json:"copy_aliases,omitempty"`
		Aliases     []ImageAlias `json:"aliases,omitempty"`
		Public      bool         `json:"public,omitempty"`
		AutoUpdate  bool         `json:"auto_update,omitempty"`
	}{o.CopyAliases, o.Aliases, o.Public, o.AutoUpdate})
	return KindImage, doc
}

// InstanceCopyOptions tune Object.CopyTo and MoveTo for an instance. The
// zero value copies under the same name, with the snapshots, in pull mode.
type InstanceCopyOptions struct {
	Name string // the copy's name ("": the source's)
	// Mode is how the data travels: "pull" (the default: the target
	// connects to the source, which must listen on a network address the
	// target reaches), "push" (the source connects to the target) or
	// "relay" (this client connects to both and carries the data, for
	// servers that cannot reach each other; it needs wait).
	Mode         string
	InstanceOnly bool              // without the snapshots
	Refresh      bool              // bring an existing copy up to date
	Config       map[string]string // keys set on the copy
	// Profiles are the copy's profiles; nil: the source's (which must
	// exist on the target); an empty, non-nil slice: none.
	Profiles []string
	Pool     string // the target's storage pool for the root disk
}

func (o *InstanceCopyOptions) copyOptions() (Kind, []byte) {
	return KindInstance, o.json()
}

func (o *InstanceCopyOptions) json() []byte {
	if o == nil {
		return nil
	}
	d := map[string]any{}
	if o.Name != "" {
		d["name"] = o.Name
	}
	if o.Mode != "" {
		d["mode"] = o.Mode
	}
	if o.InstanceOnly {
		d["instance_only"] = true
	}
	if o.Refresh {
		d["refresh"] = true
	}
	if len(o.Config) > 0 {
		d["config"] = o.Config
	}
	if o.Profiles != nil {
		d["profiles"] = o.Profiles
	}
	if o.Pool != "" {
		d["pool"] = o.Pool
	}
	doc, _ := json.Marshal(d) // strings, bools, lists and maps of strings
	return doc
}

// withTarget runs f with this object's and the target client's pointers.
func (o *Object) withTarget(op string, target *Client, f func(p *C.lxd_obj, t *C.lxd_client) C.lxd_status) error {
	if target == nil {
		return argError(op, "nil target *Client")
	}
	return target.h.use(op, "target client", func(t *C.lxd_client) error {
		return o.do(op, func(p *C.lxd_obj) C.lxd_status { return f(p, t) })
	})
}

// CopyTo copies this image or instance to the server of target (which may
// be this object's own server: then it is LXD's local copy of an instance),
// and returns the copy, an object of target.
//
// An image (`lxc image copy`; opts an *ImageCopyOptions or nil): the target
// pulls it from this image's server over HTTPS, so that server must listen
// on a network address the target reaches (else ErrInvalidArgument); a
// private image goes through a one-time secret. The target having the
// image already is no error. The image's profiles go along (they must
// exist on the target).
//
// An instance (`lxc copy`; opts an *InstanceCopyOptions or nil), with its
// snapshots unless InstanceOnly: a running one is copied as its files are
// (stop it for a consistent copy). A name taken on the target is
// ErrConflict (or ErrOperationFailed, as LXD words it); the source is
// unchanged on any failure.
//
// With wait it returns the copy, loaded; without, at once, the copy
// pending on the target's operation (Object.Operation). Options of the
// other kind are ErrInvalidArgument.
func (o *Object) CopyTo(target *Client, opts CopyOptions, wait bool) (*Object, error) {
	const op = "Object.CopyTo"
	kind := o.Kind()
	if kind == KindStorageVolume {
		vo, _ := opts.(*VolumeCopyOptions)
		if vo == nil {
			return nil, argError(op, "a storage volume's copy needs *VolumeCopyOptions naming the target pool")
		}
		return o.volumeTransfer(op, target, vo, wait, false)
	}
	var doc []byte
	if opts != nil {
		var family Kind
		family, doc = opts.copyOptions()
		if (family == KindImage) != (kind == KindImage) || family == KindStorageVolume {
			if kind >= 0 {
				return nil, argError(op, "options of the wrong kind for "+kind.String()+" objects")
			}
		}
	}
	cs := cstrings{op: op}
	defer cs.free()
	cOpts, err := cs.json("options", doc)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = o.withTarget(op, target, func(p *C.lxd_obj, t *C.lxd_client) C.lxd_status {
		if Kind(C.lxd_obj_kind(p)) == KindImage {
			return C.lxd_image_copy_to(p, t, cOpts, C.bool(wait), &out)
		}
		return C.lxd_instance_copy_to(p, t, cOpts, C.bool(wait), &out)
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// MoveTo moves a stopped instance to the server of target (`lxc move`):
// CopyTo with wait, then the source is deleted (this Object then names a
// deleted instance). opts as for CopyTo (Name renames it on the way); nil
// for the defaults. It returns the moved instance, an object of target. A
// running instance is ErrInvalidArgument (nothing is done); a failed copy
// leaves the source untouched; when the copy succeeded but the source could
// not be deleted, that error says both exist.
//
// A custom storage volume (opts a *VolumeCopyOptions, naming the target
// pool): LXD moves it between pools of one server (renaming it with Name);
// to another server it is copied, then the source deleted. It must not be
// attached to an instance.
func (o *Object) MoveTo(target *Client, opts CopyOptions) (*Object, error) {
	op := "Instance.MoveTo"
	if o.Kind() == KindStorageVolume {
		op = "StorageVolume.MoveTo"
		vo, _ := opts.(*VolumeCopyOptions)
		if vo == nil {
			return nil, argError(op, "a storage volume's move needs *VolumeCopyOptions naming the target pool")
		}
		return o.volumeTransfer(op, target, vo, true, true)
	}
	var doc []byte
	if opts != nil {
		var family Kind
		if family, doc = opts.copyOptions(); family != KindInstance {
			return nil, argError(op, "MoveTo moves instances and storage volumes: options of the wrong kind")
		}
	}
	cs := cstrings{op: op}
	defer cs.free()
	cOpts, err := cs.json("options", doc)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_obj
	err = o.withTarget(op, target, func(p *C.lxd_obj, t *C.lxd_client) C.lxd_status {
		return C.lxd_instance_move_to(p, t, cOpts, &out)
	})
	if err != nil {
		return nil, err
	}
	return newObject(out, nil), nil
}

// Secret asks LXD for a one-time secret of this image, with which another
// server may fetch it even when it is private (ImageSource.Secret; CopyTo
// uses one by itself). The secret's operation runs until the secret is
// used: Object.Operation gives it (to Cancel it, if it will not be used).
func (o *Object) Secret() (string, error) {
	const op = "Image.Secret"
	doc, err := o.docCall(op, nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_image_secret(p, a, false, out)
	})
	if err != nil {
		return "", err
	}
	var opDoc struct {
		Metadata struct {
			Secret string `json:"secret"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(doc, &opDoc); err != nil || opDoc.Metadata.Secret == "" {
		return "", &Error{Code: StatusProtocol, Op: op, Message: "the secret operation names no secret: " + string(doc)}
	}
	return opDoc.Metadata.Secret, nil
}

// Refresh asks LXD to refresh the image from the server it came from (an
// image copied or pulled with AutoUpdate), as `lxc image refresh`. With wait
// it returns the ended operation; without, the operation as it started
// (Object.Operation also gives it).
func (o *Object) Refresh(wait bool) (json.RawMessage, error) {
	return o.docCall("Image.Refresh", nil, func(p *C.lxd_obj, a *C.char, out **C.char) C.lxd_status {
		return C.lxd_image_refresh(p, a, C.bool(wait), out)
	})
}
