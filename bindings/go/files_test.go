package lxd_test

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

func TestFileRoundTripBinary(t *testing.T) {
	c := box(t)
	f := c.Files()
	data := make([]byte, 300000)
	for i := range data {
		data[i] = byte(i*31 + i/256)
	}
	dir := "/root/" + uniq("files")
	must(t, f.Mkdir(dir+"/a/b", &lxd.FileOptions{Parents: true, Mode: lxd.Ptr(os.FileMode(0o750))}))
	if got := lxc(t, "exec", boxName, "--", "stat", "-c", "%a %F", dir+"/a/b"); got != "750 directory" {
		t.Errorf("lxc stat of the folder: %q", got)
	}
	path := dir + "/a/b/blob.bin"
	must(t, f.Put(path, data, &lxd.FileOptions{Mode: lxd.Ptr(os.FileMode(0o640)), UID: lxd.Ptr(5), GID: lxd.Ptr(6)}))
	if got := lxc(t, "exec", boxName, "--", "md5sum", path); !strings.HasPrefix(got, fmt.Sprintf("%x", md5.Sum(data))) {
		t.Errorf("lxc md5sum %q, want %x", got, md5.Sum(data))
	}
	if got := lxc(t, "exec", boxName, "--", "stat", "-c", "%a %u %g %s", path); got != fmt.Sprintf("640 5 6 %d", len(data)) {
		t.Errorf("lxc stat: %q", got)
	}
	back, err := f.Get(path)
	must(t, err)
	if !bytes.Equal(back, data) {
		t.Fatalf("Get gave %d bytes, not what was put", len(back))
	}
	// Append, and an empty file.
	must(t, f.Put(path, []byte("\x00tail"), &lxd.FileOptions{Append: true}))
	back, err = f.Get(path)
	must(t, err)
	if !bytes.Equal(back, append(append([]byte{}, data...), "\x00tail"...)) {
		t.Error("append did not add at the end")
	}
	must(t, f.Put(dir+"/empty", nil, nil))
	if b, err := f.Get(dir + "/empty"); err != nil || len(b) != 0 {
		t.Errorf("empty file: %d bytes, %v", len(b), err)
	}
	// Errors.
	_, err = f.Get(dir + "/missing")
	wantErr(t, err, lxd.ErrNotFound)
	wantErr(t, f.Put(dir+"/no/such/dir/x", []byte("x"), nil), lxd.ErrNotFound)
	_, err = f.Get(dir)
	wantErr(t, err, lxd.ErrInvalidArgument)
	wantErr(t, f.Mkdir(path, nil), lxd.ErrConflict)
	wantErr(t, f.Put(path, nil, &lxd.FileOptions{Parents: true}), lxd.ErrInvalidArgument)
	// Delete.
	must(t, f.Delete(path))
	if _, err := lxcTry("exec", boxName, "--", "test", "-e", path); err == nil {
		t.Error("lxc still sees the deleted file")
	}
	wantErr(t, f.Delete(path), lxd.ErrNotFound)
}

func TestFilePushPullProgress(t *testing.T) {
	c := box(t)
	f := c.Files()
	local := t.TempDir()
	src := filepath.Join(local, "src")
	must(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	big := bytes.Repeat([]byte("0123456789abcdef"), 65536) // 1 MiB
	must(t, os.WriteFile(filepath.Join(src, "big.bin"), big, 0o644))
	must(t, os.WriteFile(filepath.Join(src, "sub", "small.txt"), []byte("small\n"), 0o600))
	must(t, os.Symlink("small.txt", filepath.Join(src, "sub", "link")))

	remote := "/root/" + uniq("tree")
	var last, total uint64
	calls := 0
	must(t, f.Push(src, remote, nil, func(done, all uint64) error {
		calls++
		if done < last {
			return fmt.Errorf("progress went back: %d < %d", done, last)
		}
		last, total = done, all
		return nil
	}))
	if calls == 0 || last != uint64(len(big)+6) || total != last {
		t.Errorf("progress: %d calls, last %d/%d", calls, last, total)
	}
	if got := lxc(t, "exec", boxName, "--", "cat", remote+"/sub/link"); got != "small" {
		t.Errorf("lxc cat of the pushed symlink: %q", got)
	}
	if got := lxc(t, "exec", boxName, "--", "readlink", remote+"/sub/link"); got != "small.txt" {
		t.Errorf("pushed symlink points to %q", got)
	}
	if got := lxc(t, "exec", boxName, "--", "md5sum", remote+"/big.bin"); !strings.HasPrefix(got, fmt.Sprintf("%x", md5.Sum(big))) {
		t.Errorf("pushed big.bin: %s", got)
	}

	dst := filepath.Join(local, "dst")
	calls = 0
	must(t, f.Pull(remote, dst, func(done, all uint64) error { calls++; return nil }))
	if calls == 0 {
		t.Error("no progress on pull")
	}
	got, err := os.ReadFile(filepath.Join(dst, "big.bin"))
	must(t, err)
	if !bytes.Equal(got, big) {
		t.Error("pulled big.bin differs")
	}
	if l, err := os.Readlink(filepath.Join(dst, "sub", "link")); err != nil || l != "small.txt" {
		t.Errorf("pulled symlink: %q, %v", l, err)
	}
	// A progress error stops the transfer: ErrCancelled wrapping it.
	stop := errors.New("stop here (test)")
	err = f.Pull(remote+"/big.bin", filepath.Join(local, "partial"), func(done, all uint64) error { return stop })
	wantErr(t, err, lxd.ErrCancelled)
	if !errors.Is(err, stop) {
		t.Errorf("the progress error is not wrapped: %v", err)
	}
	// An unsafe symlink (pointing out of the tree) refuses the pull.
	lxc(t, "exec", boxName, "--", "ln", "-s", "/etc/passwd", remote+"/sub/escape")
	err = f.Pull(remote, filepath.Join(local, "unsafe"), nil)
	wantErr(t, err, lxd.ErrUnsafePath)
	if _, err := os.Stat(filepath.Join(local, "unsafe", "big.bin")); err == nil {
		t.Error("the refused pull wrote files")
	}
	lxc(t, "exec", boxName, "--", "rm", "-rf", remote)
}

// Pull drops the set-uid, set-gid and sticky bits (as lxc file pull does);
// PullWith with KeepSpecialBits keeps them.
func TestFilePullSpecialBits(t *testing.T) {
	c := box(t)
	f := c.Files()
	dir := "/root/" + uniq("sb")
	t.Cleanup(func() { _, _ = lxcTry("exec", boxName, "--", "rm", "-rf", dir) })
	lxc(t, "exec", boxName, "--", "sh", "-c", "mkdir -p "+dir+" && printf s > "+dir+"/suid && chmod 4755 "+dir+"/suid && "+
		"printf t > "+dir+"/sticky && chmod 1777 "+dir+"/sticky")
	if got := lxc(t, "exec", boxName, "--", "stat", "-c", "%a", dir+"/suid"); got != "4755" {
		t.Fatalf("lxc stat of the remote file: %q", got)
	}
	local := t.TempDir()
	mode := func(path string) uint32 {
		t.Helper()
		var st syscall.Stat_t
		must(t, syscall.Stat(path, &st))
		return st.Mode & 0o7777
	}
	wantMode := func(path string, want uint32) {
		t.Helper()
		if got := mode(path); got != want {
			t.Errorf("%s pulled with mode %#o, want %#o", filepath.Base(path), got, want)
		}
	}

	must(t, f.Pull(dir+"/suid", filepath.Join(local, "plain"), nil))
	wantMode(filepath.Join(local, "plain"), 0o755)
	must(t, f.PullWith(dir+"/suid", filepath.Join(local, "nil-options"), nil, nil))
	wantMode(filepath.Join(local, "nil-options"), 0o755)
	must(t, f.PullWith(dir+"/suid", filepath.Join(local, "default"), &lxd.FileOptions{}, nil))
	wantMode(filepath.Join(local, "default"), 0o755)
	calls := 0
	must(t, f.PullWith(dir+"/suid", filepath.Join(local, "kept"), &lxd.FileOptions{KeepSpecialBits: true},
		func(done, total uint64) error { calls++; return nil }))
	wantMode(filepath.Join(local, "kept"), 0o4755)
	if calls == 0 {
		t.Error("no progress on PullWith")
	}
	// A folder: every file keeps its bits.
	must(t, f.PullWith(dir, filepath.Join(local, "tree"), &lxd.FileOptions{KeepSpecialBits: true}, nil))
	wantMode(filepath.Join(local, "tree", "suid"), 0o4755)
	wantMode(filepath.Join(local, "tree", "sticky"), 0o1777)
	must(t, f.Pull(dir, filepath.Join(local, "tree-plain"), nil))
	wantMode(filepath.Join(local, "tree-plain", "suid"), 0o755)
	wantMode(filepath.Join(local, "tree-plain", "sticky"), 0o777)

	// Options a pull does not take are refused; so is the pull option elsewhere.
	err := f.PullWith(dir+"/suid", filepath.Join(local, "bad"), &lxd.FileOptions{Mode: lxd.Ptr(os.FileMode(0o600))}, nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
	wantErr(t, f.Put(dir+"/x", []byte("x"), &lxd.FileOptions{KeepSpecialBits: true}), lxd.ErrInvalidArgument)
	err = f.PullWith(dir+"/suid", filepath.Join(local, "nul\x00"), nil, nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
}
