package lxd_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

type event struct {
	Type     string `json:"type"`
	Metadata struct {
		Action string `json:"action"`
		Source string `json:"source"`
	} `json:"metadata"`
}

// waitEvent reads the stream until an event for source with action comes.
func waitEvent(t *testing.T, s *lxd.EventStream, source, action string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		raw, err := s.Next(5 * time.Second)
		if err != nil {
			wantErr(t, err, lxd.ErrTimeout)
			continue
		}
		var ev event
		must(t, json.Unmarshal(raw, &ev))
		if ev.Type == "lifecycle" && ev.Metadata.Action == action && strings.HasSuffix(ev.Metadata.Source, "/"+source) {
			return
		}
	}
	t.Fatalf("no %s event for %s", action, source)
}

func TestEventsPull(t *testing.T) {
	s, err := client.Events("lifecycle")
	must(t, err)
	defer s.Close()
	name := uniq("ev")
	t.Cleanup(func() { _, _ = lxcTry("profile", "delete", name) })
	lxc(t, "profile", "create", name) // made by lxc, seen through the stream
	waitEvent(t, s, name, "profile-created")
	p, err := client.Profiles().Get(name)
	must(t, err)
	must(t, p.SetFrom("description", "evented"))
	must(t, p.Save(true))
	waitEvent(t, s, name, "profile-updated")
	p.Close()

	// A timeout is ErrTimeout and the stream stays usable (others may be
	// making lifecycle events meanwhile: read until a timeout comes).
	timedOut := false
	for i := 0; i < 500 && !timedOut; i++ {
		_, err := s.Next(0)
		if err != nil {
			wantErr(t, err, lxd.ErrTimeout)
			timedOut = true
		}
	}
	if !timedOut {
		t.Error("no ErrTimeout from Next(0)")
	}
	lxc(t, "profile", "delete", name)
	waitEvent(t, s, name, "profile-deleted")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.NextContext(ctx); err != context.Canceled {
		t.Errorf("NextContext with a cancelled context: %v", err)
	}
	must(t, s.Close())
	must(t, s.Close())
	_, err = s.Next(0)
	wantErr(t, err, lxd.ErrClosed)

	// Close from another goroutine ends a Next that waits without limit.
	s2, err := client.Events("lifecycle")
	must(t, err)
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := s2.Next(-1); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	must(t, s2.Close())
	if err := <-done; err == nil {
		t.Error("Next went on after Close")
	}
}

func TestEventsListener(t *testing.T) {
	name := uniq("lis")
	t.Cleanup(func() { _, _ = lxcTry("profile", "delete", name) })
	var mu sync.Mutex
	seen := make(chan struct{})
	var once sync.Once
	l, err := client.Listen(func(raw []byte, err error) bool {
		if err != nil {
			return false
		}
		var ev event
		if json.Unmarshal(raw, &ev) == nil && ev.Metadata.Action == "profile-created" && strings.HasSuffix(ev.Metadata.Source, "/"+name) {
			mu.Lock()
			once.Do(func() { close(seen) })
			mu.Unlock()
		}
		return true
	}, "lifecycle")
	must(t, err)
	lxc(t, "profile", "create", name)
	select {
	case <-seen:
	case <-time.After(60 * time.Second):
		t.Fatal("the listener got no profile-created event")
	}
	must(t, l.Close())
	must(t, l.Close())
	if l.Err() != nil {
		t.Error(l.Err())
	}

	// A panicking function stops the listener without crashing.
	l2, err := client.Listen(func([]byte, error) bool { panic("listener panic (test)") }, "lifecycle")
	must(t, err)
	lxc(t, "profile", "set", name, "user.x", "y")
	deadline := time.Now().Add(60 * time.Second)
	for l2.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if l2.Err() == nil || !strings.Contains(l2.Err().Error(), "listener panic (test)") {
		t.Errorf("Err() = %v", l2.Err())
	}
	must(t, l2.Close())
	_, err = client.Listen(nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
}
