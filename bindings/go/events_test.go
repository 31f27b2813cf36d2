package lxd_test

import (
	"context"
	"encoding/json"
	"errors"
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

// NextContext ends with the context's own error: context.Canceled for a
// cancelled context, context.DeadlineExceeded for an expired one, whether
// it was done before the call or while the call waited. Events that
// others cause on the shared daemon may come first: they are read on.
func TestNextContextErrors(t *testing.T) {
	s, err := client.Events("lifecycle")
	must(t, err)
	defer s.Close()
	// untilErr calls NextContext until it fails (bounded: a done context
	// ends it within a slice, events or not).
	untilErr := func(ctx context.Context) error {
		t.Helper()
		limit := time.Now().Add(60 * time.Second)
		for time.Now().Before(limit) {
			if _, err := s.NextContext(ctx); err != nil {
				return err
			}
		}
		t.Fatal("NextContext never returned the context's error")
		return nil
	}
	check := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", what, err, want)
		}
		other := context.Canceled
		if want == context.Canceled {
			other = context.DeadlineExceeded
		}
		if errors.Is(err, other) {
			t.Errorf("%s: %v is also %v", what, err, other)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.NextContext(ctx)
	check("cancelled before", err, context.Canceled)

	ctx, cancel = context.WithTimeout(context.Background(), time.Nanosecond)
	time.Sleep(time.Millisecond)
	_, err = s.NextContext(ctx)
	cancel()
	check("expired before", err, context.DeadlineExceeded)

	ctx, cancel = context.WithCancel(context.Background())
	timer := time.AfterFunc(300*time.Millisecond, cancel)
	check("cancelled while waiting", untilErr(ctx), context.Canceled)
	timer.Stop()

	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	check("expired while waiting", untilErr(ctx), context.DeadlineExceeded)
	cancel()

	// The stream stays usable.
	if _, err := s.Next(0); err != nil {
		wantErr(t, err, lxd.ErrTimeout)
	}
}
