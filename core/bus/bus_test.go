package bus

import (
	"errors"
	"testing"

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
