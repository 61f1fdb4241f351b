package weirdlog

import (
	"testing"

	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
)

func TestSnapshotRestore(t *testing.T) {
	p := New(logs.Options{Dir: t.TempDir()})
	ev := event.Event{Kind: event.KindWeird, Time: 1, Weird: &event.Weird{TS: 1, UID: "Cabc", Name: "bad_TCP_checksum"}}
	if err := p.Handle([]event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	state, err := p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	q := New(logs.Options{Dir: t.TempDir()})
	if err := q.Restore(state); err != nil {
		t.Fatal(err)
	}
	if err := q.Handle([]event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if q.W != nil {
		t.Error("a weird already logged before the restart was logged again")
	}
}
