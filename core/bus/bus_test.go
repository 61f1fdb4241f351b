package bus

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/weirnet/weir/core/event"
)

type fakePlugin struct {
	name string
	got  int
	err  error
}

func (p *fakePlugin) Name() string                { return p.name }
func (p *fakePlugin) Subscriptions() []event.Kind { return []event.Kind{event.KindConnEnd} }
func (p *fakePlugin) Open(int64) error            { return nil }
func (p *fakePlugin) Close(int64) error           { return nil }
func (p *fakePlugin) Handle(b []event.Event) error {
	if p.err != nil {
		return p.err
	}
	p.got += len(b)
	return nil
}

func batch(n int) []event.Event {
	b := make([]event.Event, n)
	for i := range b {
		b[i].Kind = event.KindConnEnd
	}
	return append(b, event.Event{Kind: event.KindWeird}) // not subscribed
}

// In replay a failing plugin stops the run; a live sensor cuts it off,
// counts what it misses and keeps the others going.
func TestPluginFailure(t *testing.T) {
	disk := errors.New("no space left on device")
	bad, good := &fakePlugin{name: "bad", err: disk}, &fakePlugin{name: "good"}
	if err := New(bad, good).Deliver(batch(3)); !errors.Is(err, disk) {
		t.Fatalf("replay: %v, want the plugin's error", err)
	}

	bad, good = &fakePlugin{name: "bad", err: disk}, &fakePlugin{name: "good"}
	b := New(bad, good)
	b.Isolate = true
	var told []string
	b.OnError = func(p string, err error) { told = append(told, p) }
	for i := 0; i < 3; i++ {
		if err := b.Deliver(batch(4)); err != nil {
			t.Fatalf("live: %v", err)
		}
	}
	if good.got != 12 {
		t.Errorf("healthy plugin got %d events, want 12", good.got)
	}
	if len(told) != 1 || told[0] != "bad" {
		t.Errorf("OnError calls %v, want one for bad", told)
	}
	if d := b.Dropped()["bad"]; d != 8 {
		t.Errorf("dropped %d, want 8 (the batches after the failure)", d)
	}
}

// gatePlugin blocks in Handle until its gate opens, like a log on a
// stalled disk, and records what it was given, in order.
type gatePlugin struct {
	gate    chan struct{}
	got     []int64 // event times, in order
	flushes int
	rotated []int64 // after how many events each rotation came
	closed  bool
}

func (p *gatePlugin) Name() string                { return "slow" }
func (p *gatePlugin) Subscriptions() []event.Kind { return []event.Kind{event.KindConnEnd} }
func (p *gatePlugin) Open(int64) error            { return nil }
func (p *gatePlugin) Close(int64) error           { p.closed = true; return nil }
func (p *gatePlugin) Flush() error                { p.flushes++; return nil }
func (p *gatePlugin) Handle(b []event.Event) error {
	<-p.gate
	for _, ev := range b {
		p.got = append(p.got, ev.Time)
	}
	return nil
}
func (p *gatePlugin) Rotate(ts int64) (string, error) {
	p.rotated = append(p.rotated, int64(len(p.got)))
	return "rotated", nil
}

// timed is n subscribed events with times from t.
func timed(t0 int64, n int) []event.Event {
	b := make([]event.Event, n)
	for i := range b {
		b[i] = event.Event{Kind: event.KindConnEnd, Time: t0 + int64(i)}
	}
	return b
}

// With a queue, a plugin stuck on its disk does not hold up the caller:
// batches beyond the bound are dropped and counted, the rest arrive in
// order with the rotations between the right batches, and Close drains.
func TestQueueNeverBlocks(t *testing.T) {
	slow, fast := &gatePlugin{gate: make(chan struct{})}, &fakePlugin{name: "fast"}
	b := New(slow, fast)
	b.Queue = 10
	b.Isolate = true
	var rotated []string
	b.OnRotate = func(p []string) { rotated = append(rotated, p...) }
	if err := b.Open(0); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := int64(0); i < 10; i++ {
			if err := b.Deliver(timed(i*4, 4)); err != nil {
				t.Error(err)
			}
			b.Flush()
			if i == 1 {
				b.Rotate(i)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Deliver blocked on a stalled plugin")
	}
	if q := b.Queued()["slow"]; q != 8 {
		t.Errorf("queued %d events, want 8: two batches of 4 fit in 10", q)
	}
	close(slow.gate)
	if err := b.Close(10); err != nil {
		t.Fatal(err)
	}
	if !slow.closed {
		t.Fatal("Close did not reach the queued plugin")
	}
	// A batch counts against the bound until the plugin has handled it:
	// two batches of 4 fit in 10, a third does not.
	if len(slow.got) != 8 {
		t.Fatalf("slow plugin got %d events %v, want 8", len(slow.got), slow.got)
	}
	for i, ts := range slow.got {
		if ts != int64(i) {
			t.Fatalf("events out of order: %v", slow.got)
		}
	}
	if d := b.Dropped()["slow"]; d != 40-8 {
		t.Errorf("dropped %d, want %d", d, 40-8)
	}
	if b.Failed()["slow"] {
		t.Error("a lagging plugin is not a failed one")
	}
	if len(slow.rotated) != 1 || slow.rotated[0] != 8 || len(rotated) != 1 {
		t.Errorf("rotation after %v events (want [8]), reported %v", slow.rotated, rotated)
	}
	if slow.flushes == 0 || slow.flushes > 3 {
		t.Errorf("%d flushes: consecutive flushes should collapse", slow.flushes)
	}
	// The other plugin is not held up by the slow one; it may lag behind
	// a burst too, but every event is delivered or counted.
	if n := uint64(fast.got) + b.Dropped()["fast"]; n != 40 || fast.got < 8 {
		t.Errorf("fast plugin got %d, dropped %d: want all 40 accounted for", fast.got, b.Dropped()["fast"])
	}
}

// A queued plugin that fails is cut off and reported once; the caller
// never sees the error.
func TestQueueIsolatesFailure(t *testing.T) {
	disk := errors.New("no space left on device")
	bad := &fakePlugin{name: "bad", err: disk}
	b := New(bad)
	b.Queue = 100
	var told []error
	b.OnError = func(p string, err error) { told = append(told, err) }
	b.Open(0)
	for i := 0; i < 3; i++ {
		if err := b.Deliver(batch(5)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(0); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || !errors.Is(told[0], disk) {
		t.Errorf("OnError got %v, want the disk error once", told)
	}
	if !b.Failed()["bad"] || b.Dropped()["bad"] != 10 {
		t.Errorf("failed %v dropped %d, want true and 10", b.Failed()["bad"], b.Dropped()["bad"])
	}
}

// A plugin stuck on its output does not keep a sensor from shutting down:
// after DrainTimeout, Close gives up on it, counts its queued events and
// says so.
func TestQueueDrainTimeout(t *testing.T) {
	stuck := &gatePlugin{gate: make(chan struct{})}
	defer close(stuck.gate)
	b := New(stuck)
	b.Queue = 100
	b.DrainTimeout = 50 * time.Millisecond
	b.Open(0)
	b.Deliver(timed(0, 5))
	b.Deliver(timed(5, 5))
	start := time.Now()
	err := b.Close(1)
	if err == nil || !strings.Contains(err.Error(), "10 queued events lost") {
		t.Fatalf("Close: %v, want the stuck plugin named with its lost events", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Close waited far past DrainTimeout")
	}
	if d := b.Dropped()["slow"]; d != 10 {
		t.Errorf("dropped %d, want 10", d)
	}
}
