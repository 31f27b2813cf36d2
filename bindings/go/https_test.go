package lxd_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

// makeCert makes a client certificate in dir and returns its paths and
// SHA-256 fingerprint.
func makeCert(t *testing.T, dir, cn string) (cert, key, fingerprint string) {
	t.Helper()
	cert, key = filepath.Join(dir, cn+".crt"), filepath.Join(dir, cn+".key")
	out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN="+cn).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v: %s", err, out)
	}
	pemBytes, err := os.ReadFile(cert)
	must(t, err)
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("no PEM block")
	}
	sum := sha256.Sum256(block.Bytes)
	return cert, key, hex.EncodeToString(sum[:])
}

func TestHTTPSClient(t *testing.T) {
	dir := t.TempDir()
	cert, key, fp := makeCert(t, dir, "lxdt-go")
	trustName := uniq("trust")
	lxc(t, "config", "trust", "add", cert, "--name", trustName)
	t.Cleanup(func() { _, _ = lxcTry("config", "trust", "remove", fp) })

	c, err := lxd.NewClient("https://127.0.0.1:8443", &lxd.Options{Cert: cert, Key: key, ServerCert: "/var/lib/lxd/server.crt"})
	must(t, err)
	defer c.Close()
	if !c.Trusted() {
		t.Fatal("the trusted certificate is not trusted")
	}
	must(t, c.Authenticate("anything: already trusted, nothing is sent"))
	// Real work over HTTPS: a profile made, checked by lxc, deleted.
	name := uniq("tls")
	t.Cleanup(func() { _, _ = lxcTry("profile", "delete", name) })
	p, err := c.Profiles().Create(map[string]any{"name": name, "config": map[string]string{"user.via": "https"}}, true)
	must(t, err)
	defer p.Close()
	if got := lxc(t, "profile", "get", name, "user.via"); got != "https" {
		t.Errorf("lxc profile get = %q", got)
	}
	// Our certificate, through the certificates manager.
	cobj, err := c.Certificates().Get(fp)
	must(t, err)
	if n := getString(t, cobj, "name"); n != trustName {
		t.Errorf("certificate name %q", n)
	}
	cobj.Close()
	ok, err := c.Certificates().Exists(fp)
	if err != nil || !ok {
		t.Errorf("Certificates().Exists = %v, %v", ok, err)
	}
	must(t, p.Delete(true))
	if _, err := lxcTry("profile", "show", name); err == nil {
		t.Error("profile still there")
	}
	// Options: Verify false accepts the self-signed server; a timeout.
	c2, err := lxd.NewClient("https://127.0.0.1:8443", &lxd.Options{Cert: cert, Key: key, Verify: lxd.Ptr(false), Timeout: 20e9})
	must(t, err)
	info, err := c2.HostInfo()
	must(t, err)
	if !strings.Contains(string(info), `"auth":"trusted"`) {
		t.Errorf("host info over https: %.200s", info)
	}
	c2.Close()
	// Default verification refuses LXD's self-signed certificate.
	_, err = lxd.NewClient("https://127.0.0.1:8443", &lxd.Options{Cert: cert, Key: key})
	wantErr(t, err, lxd.ErrTLS)

	// An untrusted certificate: not trusted, a wrong password refused.
	ucert, ukey, _ := makeCert(t, dir, "lxdt-go-untrusted")
	u, err := lxd.NewClient("https://127.0.0.1:8443", &lxd.Options{Cert: ucert, Key: ukey, ServerCert: "/var/lib/lxd/server.crt"})
	must(t, err)
	defer u.Close()
	if u.Trusted() {
		t.Fatal("an unknown certificate is trusted")
	}
	wantErr(t, u.Authenticate("lxdt-go-wrong-password"), lxd.ErrForbidden)
	_, err = u.Profiles().Get("default")
	if err == nil {
		t.Error("an untrusted client read a profile")
	}
}

// A daemon that is not there.
func TestConnectionRefused(t *testing.T) {
	_, err := lxd.NewClient(filepath.Join(t.TempDir(), "none.socket"), nil)
	wantErr(t, err, lxd.ErrConnection)
}
