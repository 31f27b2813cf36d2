package lxd_test

// Images that move, against the real daemons: upload from files (unified
// and split, options, progress, waited or not; twice is a conflict), export
// to files, aliases as a kind, publish of an instance and of a snapshot,
// copies to the second server, secrets, refresh, and pull's refusals.
//
// Every image is made here from the busybox tarball with a file of its own
// (so a fingerprint of its own) and deleted afterwards from both servers.
// lxc (LXD_DIR set for the second server) and sha256 of the files check the
// outcomes.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

const secondDir = "/var/lib/lxd-liblxd-second"

var (
	secondOnce   sync.Once
	secondClient *lxd.Client
	secondErr    error
)

// second is a client of the second server (scripts/lxd-private.sh second),
// on its unix socket, shared by the tests and closed by TestMain.
func second(t testing.TB) *lxd.Client {
	t.Helper()
	secondOnce.Do(func() {
		secondClient, secondErr = lxd.NewClient(secondDir+"/unix.socket", nil)
		if secondErr == nil {
			atExit = append(atExit, func() { secondClient.Close() })
		}
	})
	if secondErr != nil {
		t.Fatalf("the second server (bash scripts/lxd-private.sh second): %v", secondErr)
	}
	return secondClient
}

// lxc2Try runs lxc against the second server.
func lxc2Try(args ...string) (string, error) {
	cmd := exec.Command("lxc", args...)
	cmd.Env = append(os.Environ(), "LXD_DIR="+secondDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("LXD_DIR=%s lxc %s: %v: %s", secondDir, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// lxc2 runs lxc against the second server, failing the test if it fails;
// returns its output trimmed.
func lxc2(t testing.TB, args ...string) string {
	t.Helper()
	out, err := lxc2Try(args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// sh runs a shell command, failing the test if it fails; returns its
// output trimmed.
func sh(t testing.TB, script string) string {
	t.Helper()
	out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", script, err, out)
	}
	return strings.TrimSpace(string(out))
}

// sha256Of is the hex sha256 of the files' contents one after the other.
func sha256Of(t testing.TB, paths ...string) string {
	t.Helper()
	h := sha256.New()
	for _, p := range paths {
		f, err := os.Open(p)
		must(t, err)
		_, err = io.Copy(h, f)
		f.Close()
		must(t, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fileSize(t testing.TB, path string) uint64 {
	t.Helper()
	st, err := os.Stat(path)
	must(t, err)
	return uint64(st.Size())
}

// testImage is a unique image as files: unified (one tarball) and split
// (metadata tarball + squashfs), with /lxdt-id holding ID.
type testImage struct {
	ID                      string
	Unified, Meta, Rootfs   string
	UnifiedFP, SplitFP, Dir string
}

// makeImages builds a unique image from the newest busybox tarball.
func makeImages(t testing.TB, what string) *testImage {
	t.Helper()
	dir := t.TempDir()
	id := uniq(what)
	sh(t, fmt.Sprintf(`cd %q; tb=$(ls -t /var/cache/liblxd/busybox-rev*.tar.gz | head -n 1)
mkdir x; tar -xzf "$tb" -C x; echo %q > x/rootfs/lxdt-id
tar --numeric-owner -C x -czf unified.tar.gz metadata.yaml rootfs
tar --numeric-owner -C x -czf meta.tar.gz metadata.yaml
mksquashfs x/rootfs rootfs.squashfs -quiet -noappend -all-root >/dev/null; rm -rf x`, dir, id))
	img := &testImage{ID: id, Dir: dir, Unified: filepath.Join(dir, "unified.tar.gz"),
		Meta: filepath.Join(dir, "meta.tar.gz"), Rootfs: filepath.Join(dir, "rootfs.squashfs")}
	img.UnifiedFP = sha256Of(t, img.Unified)
	img.SplitFP = sha256Of(t, img.Meta, img.Rootfs)
	forgetImage(t, img.UnifiedFP)
	forgetImage(t, img.SplitFP)
	return img
}

// forgetImage deletes image fp from both servers when the test ends.
func forgetImage(t testing.TB, fp string) {
	t.Cleanup(func() {
		_, _ = lxcTry("image", "delete", fp)
		_, _ = lxc2Try("image", "delete", fp)
	})
}

// imageDoc is what `lxc query /1.0/images/FP` shows of an image.
type imageDoc struct {
	Fingerprint string            `json:"fingerprint"`
	Public      bool              `json:"public"`
	AutoUpdate  bool              `json:"auto_update"`
	Filename    string            `json:"filename"`
	Properties  map[string]string `json:"properties"`
	Aliases     []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"aliases"`
}

func queryImage(t testing.TB, lxcFn func(testing.TB, ...string) string, fp string) imageDoc {
	t.Helper()
	var doc imageDoc
	must(t, json.Unmarshal([]byte(lxcFn(t, "query", "/1.0/images/"+fp)), &doc))
	return doc
}

// progressMeter records the calls of a ProgressFunc.
type progressMeter struct {
	mu                 sync.Mutex
	calls, done, total uint64
}

func (m *progressMeter) fn(done, total uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	m.done, m.total = done, total
	return nil
}

// A unified tarball with every option: what lxc shows is what was asked;
// the same image again is ErrConflict; its export is the tarball itself.
func TestImageUploadUnifiedAndExport(t *testing.T) {
	ti := makeImages(t, "img-u")
	alias := uniq("alias-u")
	var m progressMeter
	img, err := client.Images().Upload(ti.Unified, &lxd.ImageUploadOptions{
		Public:     true,
		Aliases:    []lxd.ImageAlias{{Name: alias, Description: "from Go"}},
		Properties: map[string]string{"lxdt.id": ti.ID},
		Filename:   "lxdt.tar.gz",
	}, true, m.fn)
	must(t, err)
	defer img.Close()
	if fp := getString(t, img, "fingerprint"); fp != ti.UnifiedFP {
		t.Errorf("the image's fingerprint %s, the tarball's sha256 %s", fp, ti.UnifiedFP)
	}
	if size := fileSize(t, ti.Unified); m.calls < 1 || m.done != size || m.total != size {
		t.Errorf("progress: %d calls, %d of %d bytes; the file has %d", m.calls, m.done, m.total, size)
	}
	doc := queryImage(t, lxc, ti.UnifiedFP)
	if !doc.Public || doc.Properties["lxdt.id"] != ti.ID || doc.Filename != "lxdt.tar.gz" ||
		len(doc.Aliases) != 1 || doc.Aliases[0].Name != alias || doc.Aliases[0].Description != "from Go" {
		t.Errorf("lxc shows %+v", doc)
	}
	if got := lxc(t, "image", "list", alias, "--format", "csv", "-c", "l"); !strings.Contains(got, alias) {
		t.Errorf("lxc image list %s: %q", alias, got)
	}

	// Twice: the server has it.
	again, err := client.Images().Upload(ti.Unified, nil, true, nil)
	wantErr(t, err, lxd.ErrConflict)
	if again != nil {
		t.Error("a failed upload gave an object")
	}
	_, err = client.Images().Upload(filepath.Join(ti.Dir, "absent.tar.gz"), nil, true, nil)
	wantErr(t, err, lxd.ErrNotFound)

	// Export: one file, the tarball itself.
	out := t.TempDir()
	files, err := img.Export(out, nil)
	must(t, err)
	if len(files) != 1 || filepath.Dir(files[0]) != out {
		t.Fatalf("Export wrote %v", files)
	}
	if sum := sha256Of(t, files[0]); sum != ti.UnifiedFP {
		t.Errorf("the exported file's sha256 %s, the image %s", sum, ti.UnifiedFP)
	}
}

// A split image, not waited for: the object learns its fingerprint from
// the operation; its export is two files, metadata first, whose contents
// one after the other hash to the fingerprint. A progress error stops an
// export and leaves nothing.
func TestImageUploadSplitAndExport(t *testing.T) {
	ti := makeImages(t, "img-s")
	var m progressMeter
	img, err := client.Images().Upload(ti.Meta, &lxd.ImageUploadOptions{Rootfs: ti.Rootfs}, false, m.fn)
	must(t, err)
	defer img.Close()
	op, err := img.Operation()
	must(t, err)
	if op == nil {
		t.Fatal("an upload without wait has no operation")
	}
	defer op.Close()
	must(t, op.Wait(-1))
	if fp := getString(t, img, "fingerprint"); fp != ti.SplitFP {
		t.Errorf("the image's fingerprint %q, sha256 of metadata + rootfs %s", fp, ti.SplitFP)
	}
	// The total is the files' bytes. (liblxd's done overshoots it by the
	// multipart boundary between the two files: it counts that boundary
	// as file bytes. Reported; the done >= total check is what holds.)
	if size := fileSize(t, ti.Meta) + fileSize(t, ti.Rootfs); m.calls < 2 || m.total != size || m.done < size {
		t.Errorf("progress: %d calls, %d of %d bytes; the files have %d", m.calls, m.done, m.total, size)
	}
	if got := lxc(t, "query", "/1.0/images/"+ti.SplitFP); !strings.Contains(got, ti.SplitFP) {
		t.Errorf("lxc does not show the image: %s", got)
	}

	out := t.TempDir()
	var e progressMeter
	files, err := img.Export(out, e.fn)
	must(t, err)
	if len(files) != 2 || !strings.Contains(filepath.Base(files[0]), "meta") {
		t.Fatalf("Export wrote %v", files)
	}
	if sum := sha256Of(t, files[0], files[1]); sum != ti.SplitFP {
		t.Errorf("the exported files hash to %s, the image is %s", sum, ti.SplitFP)
	}
	if sha256Of(t, files[1]) != sha256Of(t, ti.Rootfs) {
		t.Error("the second exported file is not the rootfs uploaded")
	}
	// Progress counts the bytes as they arrive: LXD's multipart response,
	// framing included, of Content-Length total (0 when LXD sends none).
	if e.calls < 2 || e.done < fileSize(t, files[0])+fileSize(t, files[1]) || (e.total != 0 && e.done != e.total) {
		t.Errorf("export progress: %d calls, %d of %d bytes", e.calls, e.done, e.total)
	}

	stop := errors.New("lxdt: enough")
	out2 := t.TempDir()
	files, err = img.Export(out2, func(done, total uint64) error { return stop })
	wantErr(t, err, lxd.ErrCancelled)
	if !errors.Is(err, stop) || files != nil {
		t.Errorf("a stopped export: %v, %v", files, err)
	}
	if left, _ := os.ReadDir(out2); len(left) != 0 {
		t.Errorf("a stopped export left %d files", len(left))
	}
	_, err = img.Export(filepath.Join(out2, "absent"), nil)
	wantErr(t, err, lxd.ErrNotFound)
}

// Aliases are a kind: create, read, update through Save, rename, delete,
// each seen by lxc.
func TestImageAliases(t *testing.T) {
	base, err := client.Images().GetByAlias("busybox")
	must(t, err)
	defer base.Close()
	fp := getString(t, base, "fingerprint")
	name, renamed := uniq("alias"), uniq("alias-ren")
	t.Cleanup(func() {
		_, _ = lxcTry("image", "alias", "delete", name)
		_, _ = lxcTry("image", "alias", "delete", renamed)
	})
	a, err := client.ImageAliases().Create(map[string]string{"name": name, "target": fp, "description": "one"}, true)
	must(t, err)
	defer a.Close()
	var alias struct {
		Target      string `json:"target"`
		Description string `json:"description"`
	}
	must(t, json.Unmarshal([]byte(lxc(t, "query", "/1.0/images/aliases/"+name)), &alias))
	if alias.Target != fp || alias.Description != "one" {
		t.Errorf("lxc shows %+v", alias)
	}
	if ok, err := client.ImageAliases().Exists(name); err != nil || !ok {
		t.Errorf("Exists(%s) = %v, %v", name, ok, err)
	}
	all, err := client.ImageAliases().All()
	must(t, err)
	found := false
	for _, o := range all {
		if k, _ := o.Key(); k == name {
			found = getString(t, o, "target") == fp
		}
		o.Close()
	}
	if !found {
		t.Errorf("All() lacks %s → %s", name, fp)
	}

	must(t, a.Set("description", []byte(`"two"`)))
	must(t, a.Save(true))
	if got := lxc(t, "query", "/1.0/images/aliases/"+name); !strings.Contains(got, `"two"`) {
		t.Errorf("after Save lxc shows %s", got)
	}
	must(t, a.Rename(renamed, true))
	list := lxc(t, "image", "alias", "list", "--format", "csv")
	if !strings.Contains(list, renamed+",") || strings.Contains(list, name+",") {
		t.Errorf("after Rename lxc lists:\n%s", list)
	}
	by, err := client.Images().GetByAlias(renamed)
	must(t, err)
	if got := getString(t, by, "fingerprint"); got != fp {
		t.Errorf("the renamed alias points at %s", got)
	}
	by.Close()
	must(t, a.Delete(true))
	if ok, err := client.ImageAliases().Exists(renamed); err != nil || ok {
		t.Errorf("Exists after Delete = %v, %v", ok, err)
	}
	_, err = client.ImageAliases().Get(renamed)
	wantErr(t, err, lxd.ErrNotFound)
	if _, err := lxcTry("query", "/1.0/images/aliases/"+renamed); err == nil {
		t.Error("lxc still shows the deleted alias")
	}
}

// Publish a stopped instance (waited, with options) and its snapshot (not
// waited): the images hold the instance's file.
func TestImagePublish(t *testing.T) {
	src := migrationSource(t)
	alias := uniq("pub")
	t.Cleanup(func() { _, _ = lxcTry("image", "alias", "delete", alias) })
	img, err := src.obj.Publish(&lxd.ImagePublishOptions{
		Aliases:              []lxd.ImageAlias{{Name: alias}},
		Public:               true,
		Properties:           map[string]string{"lxdt.from": src.name},
		CompressionAlgorithm: "none",
	}, true)
	if img != nil {
		if fp, err := img.Key(); err == nil {
			forgetImage(t, fp)
		}
	}
	must(t, err)
	defer img.Close()
	fp := getString(t, img, "fingerprint")
	doc := queryImage(t, lxc, fp)
	if !doc.Public || doc.Properties["lxdt.from"] != src.name || len(doc.Aliases) != 1 || doc.Aliases[0].Name != alias {
		t.Errorf("lxc shows %+v", doc)
	}
	files, err := img.Export(t.TempDir(), nil)
	must(t, err)
	if len(files) != 1 {
		t.Fatalf("the published image exported as %v", files)
	}
	// Uncompressed: a plain tar holding the instance's file.
	if got := sh(t, fmt.Sprintf("tar -xOf %q rootfs%s | sha256sum | cut -d' ' -f1", files[0], migrationMark)); got != src.sum {
		t.Errorf("the published image's %s has sha256 %s, the instance's %s", migrationMark, got, src.sum)
	}

	snap, err := src.obj.Snapshots().Get("s0")
	must(t, err)
	defer snap.Close()
	img2, err := snap.Publish(nil, false)
	must(t, err)
	defer img2.Close()
	op, err := img2.Operation()
	must(t, err)
	if op == nil {
		t.Fatal("a publish without wait has no operation")
	}
	defer op.Close()
	must(t, op.Wait(-1))
	fp2 := getString(t, img2, "fingerprint")
	forgetImage(t, fp2)
	if len(fp2) != 64 || fp2 == fp {
		t.Fatalf("the snapshot's image: fingerprint %q", fp2)
	}
	if doc := queryImage(t, lxc, fp2); doc.Fingerprint != fp2 || doc.Public {
		t.Errorf("lxc shows %+v", doc)
	}

	// Not an instance nor a snapshot.
	_, err = img.Publish(nil, true)
	wantErr(t, err, lxd.ErrInvalidArgument)
}

// Copies to the second server: a private image (its alias travels; the
// copy stays private), again (no error), and a public split one not waited
// for.
func TestImageCopyToSecondServer(t *testing.T) {
	other := second(t)
	ti := makeImages(t, "img-c")
	alias := uniq("copied")
	t.Cleanup(func() { _, _ = lxc2Try("image", "alias", "delete", alias) })
	priv, err := client.Images().Upload(ti.Unified, &lxd.ImageUploadOptions{Aliases: []lxd.ImageAlias{{Name: alias}}}, true, nil)
	must(t, err)
	defer priv.Close()
	if before := lxc2(t, "image", "list", "--format", "csv", "-c", "F"); strings.Contains(before, ti.UnifiedFP) {
		t.Fatal("the second server has the image already")
	}
	copied, err := priv.CopyTo(other, nil, true)
	must(t, err)
	defer copied.Close()
	if got := getString(t, copied, "fingerprint"); got != ti.UnifiedFP {
		t.Errorf("the copy's fingerprint %s", got)
	}
	if list := lxc2(t, "image", "list", "--format", "csv", "-c", "F"); !strings.Contains(list, ti.UnifiedFP) {
		t.Errorf("LXD_DIR=%s lxc image list lacks %s:\n%s", secondDir, ti.UnifiedFP, list)
	}
	if doc := queryImage(t, lxc2, ti.UnifiedFP); doc.Public || len(doc.Aliases) != 1 || doc.Aliases[0].Name != alias {
		t.Errorf("the second server shows %+v", doc)
	}
	// Again: the target has it; LXD leaves it as it is.
	dup, err := priv.CopyTo(other, &lxd.ImageCopyOptions{CopyAliases: lxd.Ptr(false)}, true)
	must(t, err)
	if got := getString(t, dup, "fingerprint"); got != ti.UnifiedFP {
		t.Errorf("the second copy's fingerprint %s", got)
	}
	dup.Close()

	// Public, split, not waited for.
	pub, err := client.Images().Upload(ti.Meta, &lxd.ImageUploadOptions{Rootfs: ti.Rootfs, Public: true}, true, nil)
	must(t, err)
	defer pub.Close()
	later, err := pub.CopyTo(other, &lxd.ImageCopyOptions{Public: true}, false)
	must(t, err)
	defer later.Close()
	op, err := later.Operation()
	must(t, err)
	if op == nil {
		t.Fatal("a copy without wait has no operation")
	}
	defer op.Close()
	must(t, op.Wait(-1))
	if got := getString(t, later, "fingerprint"); got != ti.SplitFP {
		t.Errorf("the copy learnt fingerprint %q", got)
	}
	if doc := queryImage(t, lxc2, ti.SplitFP); !doc.Public {
		t.Errorf("the public copy shows %+v", doc)
	}

	// Options of the other kind.
	_, err = pub.CopyTo(other, &lxd.InstanceCopyOptions{Name: "x"}, true)
	wantErr(t, err, lxd.ErrInvalidArgument)
}

// A secret lets the second server pull a private image from the main one
// by itself (Pull, LXD protocol, the main server's certificate); the
// pulled image, with auto_update, refreshes from its source.
func TestImageSecretPullAndRefresh(t *testing.T) {
	other := second(t)
	ti := makeImages(t, "img-p")
	img, err := client.Images().Upload(ti.Unified, nil, true, nil)
	must(t, err)
	defer img.Close()
	secret, err := img.Secret()
	must(t, err)
	if len(secret) < 16 {
		t.Fatalf("secret %q", secret)
	}
	op, err := img.Operation()
	must(t, err)
	if op == nil {
		t.Fatal("Secret left no operation")
	}
	defer op.Close()
	opID, err := op.Key()
	must(t, err)
	var opDoc struct {
		Status   string            `json:"status"`
		Metadata map[string]string `json:"metadata"`
	}
	must(t, json.Unmarshal([]byte(lxc(t, "query", "/1.0/operations/"+opID)), &opDoc))
	if opDoc.Status != "Running" || opDoc.Metadata["secret"] != secret {
		t.Fatalf("the server's operation %s: %+v", opID, opDoc)
	}

	cert, err := os.ReadFile("/var/lib/lxd/server.crt")
	must(t, err)
	alias := uniq("pulled")
	t.Cleanup(func() { _, _ = lxc2Try("image", "alias", "delete", alias) })
	pulled, err := other.Images().Pull(lxd.ImageSource{
		Server: "https://127.0.0.1:8443", Protocol: "lxd", Fingerprint: ti.UnifiedFP,
		Certificate: string(cert), Secret: secret,
	}, &lxd.ImagePullOptions{Aliases: []lxd.ImageAlias{{Name: alias}}, AutoUpdate: true}, true)
	must(t, err)
	defer pulled.Close()
	if got := getString(t, pulled, "fingerprint"); got != ti.UnifiedFP {
		t.Errorf("pulled fingerprint %s", got)
	}
	doc := queryImage(t, lxc2, ti.UnifiedFP)
	if doc.Public || !doc.AutoUpdate || len(doc.Aliases) != 1 || doc.Aliases[0].Name != alias {
		t.Errorf("the second server shows %+v", doc)
	}
	// The secret is spent: its operation ended.
	if got := lxc(t, "query", "/1.0/operations/"+opID); strings.Contains(got, `"Running"`) {
		t.Errorf("the secret's operation still runs: %s", got)
	}

	// Pulled by fingerprint, LXD records no source to refresh from.
	_, err = pulled.Refresh(true)
	wantErr(t, err, lxd.ErrOperationFailed)
	if doc := queryImage(t, lxc2, ti.UnifiedFP); doc.Fingerprint != ti.UnifiedFP {
		t.Errorf("after the failed Refresh the second server shows %+v", doc)
	}

	// A second secret, not used: cancelled through its operation.
	_, err = img.Secret()
	must(t, err)
	op2, err := img.Operation()
	must(t, err)
	if op2 == nil {
		t.Fatal("the second Secret left no operation")
	}
	defer op2.Close()
	id2, err := op2.Key()
	must(t, err)
	must(t, op2.Cancel())
	if got, err := lxcTry("query", "/1.0/operations/"+id2); err == nil && strings.Contains(got, `"Running"`) {
		t.Errorf("the cancelled secret's operation: %s", got)
	}
}

// An image pulled by alias with AutoUpdate refreshes from its source: once
// the alias there names another image, Refresh brings that one.
func TestImageRefresh(t *testing.T) {
	other := second(t)
	ti := makeImages(t, "img-r")
	alias := uniq("refreshed")
	t.Cleanup(func() {
		_, _ = lxcTry("image", "alias", "delete", alias)
		_, _ = lxc2Try("image", "alias", "delete", alias)
	})
	first, err := client.Images().Upload(ti.Meta, &lxd.ImageUploadOptions{Rootfs: ti.Rootfs, Public: true,
		Aliases: []lxd.ImageAlias{{Name: alias}}}, true, nil)
	must(t, err)
	defer first.Close()
	cert, err := os.ReadFile("/var/lib/lxd/server.crt")
	must(t, err)
	pulled, err := other.Images().Pull(lxd.ImageSource{Server: "https://127.0.0.1:8443", Protocol: "lxd",
		Alias: alias, Certificate: string(cert)}, &lxd.ImagePullOptions{AutoUpdate: true}, true)
	must(t, err)
	defer pulled.Close()
	if got := getString(t, pulled, "fingerprint"); got != ti.SplitFP {
		t.Fatalf("pulled %s, the alias names %s", got, ti.SplitFP)
	}

	// Nothing newer: the image stays.
	res, err := pulled.Refresh(true)
	must(t, err)
	if refreshed(t, res) {
		t.Errorf("a refresh with nothing newer: %s", res)
	}
	if list := lxc2(t, "image", "list", "--format", "csv", "-c", "F"); !strings.Contains(list, ti.SplitFP) {
		t.Errorf("after a refresh with nothing newer the second server lists:\n%s", list)
	}

	// The alias moves to a newer image on the main server.
	newer, err := client.Images().Upload(ti.Unified, &lxd.ImageUploadOptions{Public: true}, true, nil)
	must(t, err)
	defer newer.Close()
	a, err := client.ImageAliases().Get(alias)
	must(t, err)
	defer a.Close()
	must(t, a.SetFrom("target", ti.UnifiedFP))
	must(t, a.Save(true))
	res, err = pulled.Refresh(true)
	must(t, err)
	if !refreshed(t, res) {
		t.Errorf("a refresh with a newer image: %s", res)
	}
	list := lxc2(t, "image", "list", "--format", "csv", "-c", "F")
	if !strings.Contains(list, ti.UnifiedFP) {
		t.Errorf("after the refresh the second server lacks the newer image:\n%s", list)
	}
}

// refreshed reads metadata.refreshed of a finished refresh operation.
func refreshed(t testing.TB, op json.RawMessage) bool {
	t.Helper()
	var doc struct {
		Status   string `json:"status"`
		Metadata struct {
			Refreshed *bool `json:"refreshed"`
		} `json:"metadata"`
	}
	must(t, json.Unmarshal(op, &doc))
	if doc.Status != "Success" || doc.Metadata.Refreshed == nil {
		t.Fatalf("refresh operation: %s", op)
	}
	return *doc.Metadata.Refreshed
}

// Pull is wrapped; a source it cannot use is refused before any request.
func TestImagePullRefusesBadSources(t *testing.T) {
	for _, src := range []lxd.ImageSource{
		{},
		{Server: "https://127.0.0.1:8443"},
		{Server: "https://127.0.0.1:8443", Alias: "a", Fingerprint: "abc"},
		{Server: "https://127.0.0.1:8443", Alias: "a", Protocol: "carrier-pigeon"},
		{Server: "not a url", Alias: "a"},
	} {
		img, err := client.Images().Pull(src, nil, true)
		if img != nil {
			img.Close()
		}
		if !errors.Is(err, lxd.ErrInvalidArgument) {
			t.Errorf("Pull(%+v): %v, want ErrInvalidArgument", src, err)
		}
	}
}
