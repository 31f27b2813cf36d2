package lxd_test

import (
	"errors"
	"strings"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

func TestNotFoundCarriesServerMessage(t *testing.T) {
	name := uniq("nosuch")
	_, err := client.Instances().Get(name)
	if !errors.Is(err, lxd.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	var e *lxd.Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not *lxd.Error", err)
	}
	if e.HTTPStatus != 404 || e.Code != lxd.StatusNotFound {
		t.Errorf("HTTPStatus %d, Code %v", e.HTTPStatus, e.Code)
	}
	// What LXD itself answers, as lxc shows it: "Error: Instance not found".
	out, lerr := lxcTry("query", "/1.0/instances/"+name)
	if lerr == nil {
		t.Fatal("lxc query found it")
	}
	server := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), "Error:"))
	if server == "" || !strings.Contains(e.Message, server) {
		t.Errorf("message %q lacks the server's %q", e.Message, server)
	}
	// The message is the failed request, then the server's text (as the
	// README says), and Error() adds the call, status and HTTP status.
	if want := "GET /1.0/instances/" + name + ": " + server; e.Message != want {
		t.Errorf("Message %q, want %q", e.Message, want)
	}
	if want := "lxd: Instances.Get: " + e.Message + " (LXD_ERR_NOT_FOUND, HTTP 404)"; err.Error() != want {
		t.Errorf("Error() %q, want %q", err.Error(), want)
	}
	if !strings.Contains(err.Error(), server) || !strings.Contains(err.Error(), "LXD_ERR_NOT_FOUND") || !strings.Contains(err.Error(), "404") {
		t.Errorf("Error() = %q", err.Error())
	}
	if errors.Is(err, lxd.ErrConflict) || errors.Is(err, lxd.ErrClosed) {
		t.Error("errors.Is matches other sentinels")
	}
	if e.Op == "" {
		t.Error("no Op")
	}
}

func TestStatusNames(t *testing.T) {
	want := []string{"LXD_OK", "LXD_ERR_INVALID_ARGUMENT", "LXD_ERR_CONNECTION", "LXD_ERR_TLS",
		"LXD_ERR_TIMEOUT", "LXD_ERR_NOT_FOUND", "LXD_ERR_CONFLICT", "LXD_ERR_PRECONDITION_FAILED",
		"LXD_ERR_FORBIDDEN", "LXD_ERR_API", "LXD_ERR_OPERATION_FAILED", "LXD_ERR_UNKNOWN_ATTRIBUTE",
		"LXD_ERR_READ_ONLY", "LXD_ERR_EXTENSION_MISSING", "LXD_ERR_PROTOCOL", "LXD_ERR_CANCELLED",
		"LXD_ERR_INTERNAL", "LXD_ERR_UNSAFE_PATH", "LXD_ERR_RESPONSE_TOO_LARGE", "LXD_ERR_OPERATION_LOST"}
	sentinels := []error{nil, lxd.ErrInvalidArgument, lxd.ErrConnection, lxd.ErrTLS, lxd.ErrTimeout,
		lxd.ErrNotFound, lxd.ErrConflict, lxd.ErrPreconditionFailed, lxd.ErrForbidden, lxd.ErrAPI,
		lxd.ErrOperationFailed, lxd.ErrUnknownAttribute, lxd.ErrReadOnly, lxd.ErrExtensionMissing,
		lxd.ErrProtocol, lxd.ErrCancelled, lxd.ErrInternal, lxd.ErrUnsafePath, lxd.ErrResponseTooLarge,
		lxd.ErrOperationLost}
	consts := []lxd.Status{lxd.StatusOK, lxd.StatusInvalidArgument, lxd.StatusConnection, lxd.StatusTLS,
		lxd.StatusTimeout, lxd.StatusNotFound, lxd.StatusConflict, lxd.StatusPreconditionFailed,
		lxd.StatusForbidden, lxd.StatusAPI, lxd.StatusOperationFailed, lxd.StatusUnknownAttribute,
		lxd.StatusReadOnly, lxd.StatusExtensionMissing, lxd.StatusProtocol, lxd.StatusCancelled,
		lxd.StatusInternal, lxd.StatusUnsafePath, lxd.StatusResponseTooLarge, lxd.StatusOperationLost}
	if len(sentinels) != len(want) || len(consts) != len(want) {
		t.Fatalf("%d names, %d sentinels, %d constants", len(want), len(sentinels), len(consts))
	}
	for i, name := range want {
		if got := lxd.Status(i).String(); got != name {
			t.Errorf("Status(%d) = %q, want %q", i, got, name)
		}
		if consts[i] != lxd.Status(i) {
			t.Errorf("the constant for %s is %d, want %d", name, consts[i], i)
		}
		if i > 0 {
			e := &lxd.Error{Code: lxd.Status(i), Message: "m"}
			if !errors.Is(e, sentinels[i]) {
				t.Errorf("%s does not match its sentinel", name)
			}
			if errors.Is(e, sentinels[1+i%(len(sentinels)-1)]) {
				t.Errorf("%s matches the wrong sentinel", name)
			}
		}
	}
	// The first value after the last code is none (lxd_status_name says so).
	for _, s := range []lxd.Status{lxd.Status(len(want)), 99, -1} {
		if got := s.String(); got != "LXD_ERR_UNKNOWN_STATUS" {
			t.Errorf("Status(%d) = %q", int32(s), got)
		}
	}
}

// Bad input gives clear errors, never a crash.
func TestBadInput(t *testing.T) {
	p, name := profile(t, "bad")
	must(t, p.Sync())

	// Invalid JSON, everywhere JSON goes in.
	wantErr(t, p.Set("description", []byte(`{"not json`)), lxd.ErrInvalidArgument)
	wantErr(t, p.Set("description", []byte(``)), lxd.ErrInvalidArgument)
	wantErr(t, p.Set("description", nil), lxd.ErrInvalidArgument)
	if p.Dirty() {
		t.Error("a rejected Set made the object dirty")
	}
	_, err := client.Profiles().Create(`{"name": `, true)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = client.Profiles().Create(nil, true)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = client.Profiles().Create([]int{1}, true) // not an object
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = client.Profiles().Create(map[string]any{"bad": make(chan int)}, true) // not marshallable
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = lxd.NewClient("", &lxd.Options{Timeout: -1, Cert: "/nonexistent/cert.pem"})
	if err == nil {
		t.Error("a client with a missing certificate file was created")
	}

	// NUL bytes: refused before C would cut the string.
	_, err = client.Profiles().Get(name + "\x00tail")
	wantErr(t, err, lxd.ErrInvalidArgument)
	wantErr(t, p.Set("description", []byte("\"a\"\x00garbage")), lxd.ErrInvalidArgument)
	_, err = p.Get("desc\x00ription")
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = lxd.NewClient("/tmp/x\x00y", nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = client.API("GET", "/1.0\x00", nil)
	wantErr(t, err, lxd.ErrInvalidArgument)

	// Invalid UTF-8.
	_, err = client.Profiles().Get("lxdt-go-\xff\xfe")
	wantErr(t, err, lxd.ErrInvalidArgument)
	wantErr(t, p.Set("description", []byte("\"\xff\"")), lxd.ErrInvalidArgument)

	// Attributes: unknown, read-only.
	_, err = p.Get("no_such_attribute")
	wantErr(t, err, lxd.ErrUnknownAttribute)
	wantErr(t, p.Set("no_such_attribute", []byte(`1`)), lxd.ErrUnknownAttribute)
	wantErr(t, p.Set("name", []byte(`"other"`)), lxd.ErrReadOnly)
	var n int
	err = p.GetInto("description", &n) // a string into an int
	wantErr(t, err, lxd.ErrInvalidArgument)

	// A value LXD rejects: its message, and the change stays local.
	must(t, p.SetFrom("config", map[string]string{"limits.cpu": "not-a-number"}))
	err = p.Save(true)
	if err == nil {
		t.Fatal("LXD accepted limits.cpu=not-a-number")
	}
	var e *lxd.Error
	if !errors.As(err, &e) || e.HTTPStatus < 400 || !strings.Contains(e.Message, "CPU limit") {
		t.Errorf("rejected save: %v", err)
	}
	if !p.Dirty() {
		t.Error("the failed save dropped the change")
	}
	if got := lxc(t, "profile", "get", name, "limits.cpu"); got != "" {
		t.Errorf("the server got limits.cpu=%q", got)
	}
	must(t, p.Rollback())

	// Names that do not exist, for several kinds.
	for _, m := range []*lxd.Manager{client.Profiles(), client.Projects(), client.StoragePools(), client.Networks()} {
		_, err := m.Get(uniq("missing"))
		wantErr(t, err, lxd.ErrNotFound)
	}
	_, err = client.Images().GetByAlias(uniq("noalias"))
	wantErr(t, err, lxd.ErrNotFound)

	// Non-instances have no instance actions; Rename refuses images.
	wantErr(t, p.Start(lxd.DefaultTimeout, false, true), lxd.ErrInvalidArgument)
	_, err = p.Exec([]string{"true"}, nil, nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
	wantErr(t, p.Wait(0), lxd.ErrInvalidArgument)
	_, err = p.Exec(nil, nil, nil)
	wantErr(t, err, lxd.ErrInvalidArgument)

	// Operations cannot be created; an unknown warning mode is refused.
	_, err = client.Operations().Create(`{"name":"x"}`, true)
	wantErr(t, err, lxd.ErrInvalidArgument)
	wantErr(t, lxd.SetWarningMode(lxd.WarningMode(42)), lxd.ErrInvalidArgument)
	_, err = client.Manager(lxd.Kind(42)).All()
	wantErr(t, err, lxd.ErrInvalidArgument)
}
