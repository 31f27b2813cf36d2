package lxd_test

import (
	"runtime"
	"testing"
	"time"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

func TestCloseIdempotentAndUseAfterClose(t *testing.T) {
	c, err := lxd.NewClient("", nil)
	must(t, err)
	p, name := profile(t, "close")
	obj, err := c.Profiles().Get(name)
	must(t, err)
	list, err := c.Profiles().All()
	must(t, err)
	ev, err := c.Events("lifecycle")
	must(t, err)

	must(t, c.Close())
	must(t, c.Close())
	_, err = c.Profiles().Get(name)
	wantErr(t, err, lxd.ErrClosed)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = c.HostInfo()
	wantErr(t, err, lxd.ErrClosed)
	_, err = c.API("GET", "/1.0", nil)
	wantErr(t, err, lxd.ErrClosed)
	_, err = c.Events()
	wantErr(t, err, lxd.ErrClosed)
	_, err = c.Listen(func([]byte, error) bool { return true })
	wantErr(t, err, lxd.ErrClosed)
	wantErr(t, c.Authenticate("x"), lxd.ErrClosed)
	if c.Trusted() || c.HasAPIExtension("instances") {
		t.Error("a closed client reports trusted / extensions")
	}

	// Objects, lists and streams outlive their client.
	must(t, obj.SetFrom("description", "after client close"))
	must(t, obj.Save(true))
	if got := lxc(t, "query", "/1.0/profiles/"+name); !contains([]byte(got), "after client close") {
		t.Error("save after the client was closed did not reach the server")
	}
	for _, o := range list {
		if _, err := o.Get("name"); err != nil {
			t.Error(err)
		}
	}
	_, err = ev.Next(0)
	if err != nil {
		wantErr(t, err, lxd.ErrTimeout)
	}
	must(t, ev.Close())

	must(t, obj.Close())
	must(t, obj.Close())
	_, err = obj.Get("config")
	wantErr(t, err, lxd.ErrClosed)
	wantErr(t, obj.Save(true), lxd.ErrClosed)
	wantErr(t, obj.Set("description", []byte(`"x"`)), lxd.ErrClosed)
	_, err = obj.Exec([]string{"true"}, nil, nil)
	wantErr(t, err, lxd.ErrClosed)
	_, err = obj.Files().Get("/x")
	wantErr(t, err, lxd.ErrClosed)
	if obj.Dirty() || obj.Kind() != -1 || obj.String() != "<closed lxd.Object>" {
		t.Error("a closed object still answers")
	}
	// List objects close one by one; the list is freed with the last one.
	for i, o := range list {
		must(t, o.Close())
		if i == 0 && len(list) > 1 {
			if _, err := list[1].Get("name"); err != nil {
				t.Errorf("closing one list object broke another: %v", err)
			}
		}
	}

	// nil receivers give errors, not crashes.
	var nc *lxd.Client
	_, err = nc.HostInfo()
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = nc.Containers().Get("x")
	wantErr(t, err, lxd.ErrInvalidArgument)
	var no *lxd.Object
	_, err = no.Get("name")
	wantErr(t, err, lxd.ErrInvalidArgument)
	must(t, no.Close())
	var ns *lxd.Session
	_, err = ns.Read(make([]byte, 1))
	wantErr(t, err, lxd.ErrInvalidArgument)
	var nev *lxd.EventStream
	_, err = nev.Next(0)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_ = p
}

// Forgotten handles are freed by finalizers.
func TestFinalizersFree(t *testing.T) {
	_, name := profile(t, "fin")
	runtime.GC()
	before := lxd.LiveHandles()
	func() {
		c, err := lxd.NewClient("", nil)
		must(t, err)
		for i := 0; i < 20; i++ {
			o, err := c.Profiles().Get(name)
			must(t, err)
			_ = o
		}
		list, err := c.Profiles().All()
		must(t, err)
		_ = list
	}()
	deadline := time.Now().Add(30 * time.Second)
	for lxd.LiveHandles() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	if n := lxd.LiveHandles(); n > before {
		t.Errorf("%d handles live after GC, %d before", n, before)
	}
}
