package lxd_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

// One client, 16 goroutines doing real work at once: gets, sets and saves
// on their own profiles, exec in a shared container, raw API calls and
// errors (each goroutine must see its own error details).
func TestSixteenGoroutinesOneClient(t *testing.T) {
	c := box(t)
	const n = 16
	names := make([]string, n)
	for i := range names {
		names[i] = uniq(fmt.Sprintf("g%d-", i))
		name := names[i]
		t.Cleanup(func() { _, _ = lxcTry("profile", "delete", name) })
	}
	var wg sync.WaitGroup
	errs := make(chan error, n*8)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			fail := func(format string, args ...any) {
				errs <- fmt.Errorf("goroutine %d: "+format, append([]any{i}, args...)...)
			}
			p, err := client.Profiles().Create(map[string]any{"name": names[i]}, true)
			if err != nil {
				fail("create: %v", err)
				return
			}
			defer p.Close()
			for round := 0; round < 3; round++ {
				if err := p.SetFrom("config", map[string]string{"user.owner": fmt.Sprintf("g%d-r%d", i, round)}); err != nil {
					fail("set: %v", err)
					return
				}
				if err := p.Save(true); err != nil {
					fail("save: %v", err)
					return
				}
				got, err := client.Profiles().Get(names[i])
				if err != nil {
					fail("get: %v", err)
					return
				}
				var cfg map[string]string
				err = got.GetInto("config", &cfg)
				got.Close()
				if err != nil || cfg["user.owner"] != fmt.Sprintf("g%d-r%d", i, round) {
					fail("read back %v, %v", cfg, err)
				}
				r, err := c.Exec([]string{"echo", fmt.Sprintf("hello %d.%d", i, round)}, nil, nil)
				if err != nil || string(r.Stdout) != fmt.Sprintf("hello %d.%d\n", i, round) {
					fail("exec: %v %v", r, err)
				}
				// An error's details belong to the goroutine that got it.
				missing := fmt.Sprintf("lxdt-go-missing-%d-%d", i, round)
				_, err = client.API("GET", "/1.0/profiles/"+missing, nil)
				if e := (*lxd.Error)(nil); err == nil || !asErr(err, &e) || e.HTTPStatus != 404 || !strings.Contains(e.Op, missing) {
					fail("404 details: %v", err)
				}
				if _, err := client.Instances().All(); err != nil {
					fail("all: %v", err)
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, name := range names {
		if got := lxc(t, "profile", "get", name, "user.owner"); got != fmt.Sprintf("g%d-r2", i) {
			t.Errorf("lxc: %s user.owner = %q", name, got)
		}
	}
}

// Many goroutines on one object: calls are serialised, nothing breaks.
func TestConcurrentCallsOnOneObject(t *testing.T) {
	p, name := profile(t, "shared")
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := p.Get("config"); err != nil {
					t.Error(err)
					return
				}
				_ = p.Dirty()
				if j%5 == 0 {
					if err := p.Sync(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}(i)
	}
	wg.Wait()
	if k, _ := p.Key(); k != name {
		t.Errorf("key %q", k)
	}
}
