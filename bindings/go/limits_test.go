package lxd_test

// The client's limits against the real daemon: Options.MaxResponseBytes
// (ErrResponseTooLarge) and Options.Deadline (ErrTimeout for a whole call).

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

func TestMaxResponseBytes(t *testing.T) {
	// NewClient reads GET /1.0 (a few KiB of server information): with a
	// 200-byte cap that response is already too large.
	_, err := lxd.NewClient("", &lxd.Options{MaxResponseBytes: 200})
	e := wantErr(t, err, lxd.ErrResponseTooLarge)
	if e.Code != lxd.StatusResponseTooLarge || e.Message == "" {
		t.Errorf("NewClient with a 200-byte cap: %+v", e)
	}

	// A cap that admits GET /1.0 but not a list holding a profile with a
	// description twice that size.
	host, err := client.API("GET", "/1.0", nil)
	must(t, err)
	limit := int64(4 * len(host))
	p, name := profile(t, "big")
	must(t, p.SetFrom("description", strings.Repeat("x", int(2*limit))))
	must(t, p.Save(true))

	small, err := lxd.NewClient("", &lxd.Options{MaxResponseBytes: limit})
	must(t, err)
	defer small.Close()
	_, err = small.Profiles().All()
	wantErr(t, err, lxd.ErrResponseTooLarge)
	_, err = small.API("GET", "/1.0/profiles?recursion=1", nil)
	wantErr(t, err, lxd.ErrResponseTooLarge)
	// The client goes on working for what fits.
	ok, err := small.Profiles().Exists("default")
	must(t, err)
	if !ok {
		t.Error("the capped client does not see the default profile")
	}

	// A client with the default cap lists them all.
	all, err := client.Profiles().All()
	must(t, err)
	found := false
	for _, o := range all {
		if k, err := o.Key(); err == nil && k == name {
			found = true
		}
		o.Close()
	}
	if !found {
		t.Errorf("the list lacks %s", name)
	}
}

func TestDeadlineBoundsACall(t *testing.T) {
	box(t)
	dc, err := lxd.NewClient("", &lxd.Options{Deadline: 1500 * time.Millisecond})
	must(t, err)
	defer dc.Close()
	c, err := dc.Containers().Get(boxName)
	must(t, err)
	defer c.Close()

	// Quick calls fit in the deadline: it bounds each call, not the client.
	r, err := c.Exec([]string{"true"}, nil, nil)
	must(t, err)
	if r.ExitCode != 0 {
		t.Errorf("true exited %d", r.ExitCode)
	}

	// A command with no timeout of its own ends with the call's deadline:
	// ErrTimeout well before it would have ended, and it is killed. (A
	// sleep far longer than the test's patience, with a unique argument, so
	// that its disappearance can only be the kill.)
	secs := 3000 + atomic.AddInt64(&counter, 1)
	marker := fmt.Sprintf("sleep %d", secs)
	start := time.Now()
	_, err = c.Exec([]string{"sleep", fmt.Sprint(secs)}, nil, nil)
	took := time.Since(start)
	wantErr(t, err, lxd.ErrTimeout)
	if took > 4500*time.Millisecond {
		t.Errorf("the call with a 1.5 s deadline took %v", took)
	}
	waitGone(t, marker)
}
