package conn

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The lanes and the heap together hand out timers in exactly the order one
// heap would: by time, then insertion.
func TestTimerQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q timerQueue
	var want []timerEntry
	var seq uint64
	now := int64(0)
	push := func(at int64) {
		seq++
		e := timerEntry{t: at, seq: seq}
		q.push(e)
		want = append(want, e)
	}
	var got []timerEntry
	for round := 0; round < 200; round++ {
		for i := 0; i < 500; i++ {
			now += r.Int64N(3)
			switch r.IntN(10) {
			case 0, 1, 2, 3: // now + a constant: the common case
				push(now + 60)
			case 4, 5:
				push(now + 5)
			case 6:
				push(now + 300)
			default: // anything
				push(now + r.Int64N(400))
			}
		}
		for {
			e, ok := q.popDue(now)
			if !ok {
				break
			}
			got = append(got, e)
		}
	}
	q.reset()
	slices.SortFunc(want, func(a, b timerEntry) int {
		if timerLess(&a, &b) {
			return -1
		}
		return 1
	})
	// Everything due by the last now came out, in order.
	var due []timerEntry
	for _, e := range want {
		if e.t <= now {
			due = append(due, e)
		}
	}
	if len(got) != len(due) {
		t.Fatalf("popped %d timers, want %d", len(got), len(due))
	}
	for i := range got {
		if got[i].seq != due[i].seq {
			t.Fatalf("timer %d: got seq %d at %d, want seq %d at %d", i, got[i].seq, got[i].t, due[i].seq, due[i].t)
		}
	}
	if _, ok := q.popDue(1 << 62); ok {
		t.Error("reset left timers behind")
	}
}
