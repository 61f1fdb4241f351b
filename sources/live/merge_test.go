package live

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/weirnet/weir/sources"
)

// fake is a scripted live source: each frame becomes readable at its
// time (by the wall clock), and carries its own timestamp.
type fake struct {
	name   string
	frames []fakeFrame
	i      int
	end    error // returned after the last frame; nil: stay idle
	closed bool
}

type fakeFrame struct {
	at   time.Time
	ts   int64
	data []byte
}

func (s *fake) NextWait(f *sources.Frame, d time.Duration) error {
	if s.closed {
		return io.EOF
	}
	deadline := time.Now().Add(d)
	for {
		now := time.Now()
		if s.i < len(s.frames) {
			fr := &s.frames[s.i]
			if !now.Before(fr.at) {
				s.i++
				*f = sources.Frame{TS: fr.ts, Data: fr.data, WireLen: len(fr.data), Link: sources.LinkEthernet}
				return nil
			}
			if wait := min(fr.at.Sub(now), deadline.Sub(now)); wait > 0 {
				time.Sleep(wait)
				continue
			}
		} else if s.end != nil {
			return s.end
		} else if wait := deadline.Sub(now); wait > 0 {
			time.Sleep(min(wait, time.Millisecond))
			continue
		}
		*f = sources.Frame{TS: now.UnixNano()}
		return ErrIdle
	}
}

func (s *fake) Next(f *sources.Frame) error { return s.NextWait(f, 10*time.Millisecond) }
func (s *fake) Name() string                { return s.name }
func (s *fake) Close() error                { s.closed = true; return nil }

func collect(t *testing.T, m *Merger, n int) (ts []int64, srcs []int, data []string) {
	t.Helper()
	var f sources.Frame
	deadline := time.Now().Add(5 * time.Second)
	for len(ts) < n && time.Now().Before(deadline) {
		err := m.Next(&f)
		if errors.Is(err, ErrIdle) {
			continue
		}
		if err != nil {
			t.Fatalf("after %d frames: %v", len(ts), err)
		}
		ts = append(ts, f.TS)
		srcs = append(srcs, f.Source)
		data = append(data, string(f.Data))
	}
	return
}

func TestMergeOrders(t *testing.T) {
	now := time.Now()
	base := now.UnixNano()
	var a, b fake
	a.name, b.name = "a", "b"
	for i := 0; i < 100; i++ {
		// Both sources deliver at once, interleaved timestamps.
		a.frames = append(a.frames, fakeFrame{now, base + int64(2*i), []byte(fmt.Sprint("a", i))})
		b.frames = append(b.frames, fakeFrame{now, base + int64(2*i+1), []byte(fmt.Sprint("b", i))})
	}
	a.end, b.end = io.EOF, io.EOF
	m, err := NewMerger([]Waiter{&a, &b}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts, srcs, _ := collect(t, m, 200)
	if len(ts) != 200 || !slices.IsSorted(ts) {
		t.Fatalf("%d frames, sorted %v", len(ts), slices.IsSorted(ts))
	}
	for i, s := range srcs {
		if s != i%2 {
			t.Fatalf("frame %d from source %d", i, s)
		}
	}
	var f sources.Frame
	if err := m.Next(&f); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
	if st := m.Stats(); st.Frames[0] != 100 || st.Frames[1] != 100 || st.Late != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A frame is held while a quiet source may still deliver an earlier one,
// and the earlier one, delivered late (within the window), comes first.
func TestMergeWindow(t *testing.T) {
	now := time.Now()
	base := now.UnixNano()
	a := &fake{name: "a", frames: []fakeFrame{{now, base + 2e6, []byte("a late-stamped")}}}
	// b's frame is stamped earlier but becomes readable 20ms later, as
	// from a ring whose block timeout is 20ms.
	b := &fake{name: "b", frames: []fakeFrame{{now.Add(20 * time.Millisecond), base + 1e6, []byte("b early-stamped")}}}
	m, _ := NewMerger([]Waiter{a, b}, Config{Window: 60 * time.Millisecond})
	start := time.Now()
	_, _, data := collect(t, m, 2)
	if !slices.Equal(data, []string{"b early-stamped", "a late-stamped"}) {
		t.Fatalf("order %q", data)
	}
	if el := time.Since(start); el < 15*time.Millisecond {
		t.Fatalf("emitted after %v: did not wait for the quiet source", el)
	}

	// With a window shorter than b's delay, a's frame goes first and b's
	// is late.
	now = time.Now()
	base = now.UnixNano()
	a = &fake{name: "a", frames: []fakeFrame{{now, base + 2e6, []byte("a")}}}
	b = &fake{name: "b", frames: []fakeFrame{{now.Add(300 * time.Millisecond), base + 1e6, []byte("b")}}}
	m, _ = NewMerger([]Waiter{a, b}, Config{Window: 5 * time.Millisecond})
	if _, _, data := collect(t, m, 2); !slices.Equal(data, []string{"a", "b"}) {
		t.Fatalf("order %q", data)
	}
	if st := m.Stats(); st.Late != 1 {
		t.Fatalf("late %d, want 1", st.Late)
	}
}

func TestMergeDedup(t *testing.T) {
	now := time.Now()
	base := now.UnixNano()
	a := &fake{name: "a", end: io.EOF, frames: []fakeFrame{
		{now, base, []byte("one")},
		{now, base + 10, []byte("two")},
		{now, base + 20, []byte("two")}, // a repeat on the same tap: kept
		{now, base + 100e6, []byte("late copy")},
	}}
	b := &fake{name: "b", end: io.EOF, frames: []fakeFrame{
		{now, base + 5, []byte("one")},         // copy: dropped
		{now, base + 15, []byte("two")},        // copy of a's first "two": dropped
		{now, base + 25, []byte("three")},      // not a copy
		{now, base + 1e6, []byte("late copy")}, // the original here; a's comes 99ms later: kept
	}}
	m, err := NewMerger([]Waiter{a, b}, Config{Dedup: true, DedupWindow: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, srcs, data := collect(t, m, 6)
	want := []string{"one", "two", "two", "three", "late copy", "late copy"}
	if !slices.Equal(data, want) || !slices.Equal(srcs, []int{0, 0, 0, 1, 1, 0}) {
		t.Fatalf("got %q from %v, want %q", data, srcs, want)
	}
	if st := m.Stats(); st.Duplicates[0] != 0 || st.Duplicates[1] != 2 {
		t.Fatalf("duplicates %v, want [0 2]", st.Duplicates)
	}
	if _, err := NewMerger([]Waiter{a}, Config{Dedup: true, DedupEntries: 1000}); err == nil {
		t.Fatal("DedupEntries 1000 accepted")
	}
}

func TestMergeIdleAndErrors(t *testing.T) {
	a := &fake{name: "a"}
	boom := errors.New("boom")
	b := &fake{name: "b", end: boom}
	m, _ := NewMerger([]Waiter{a, b}, Config{IdleTimeout: 20 * time.Millisecond, Window: 10 * time.Millisecond})
	var f sources.Frame
	before := time.Now().UnixNano()
	start := time.Now()
	if err := m.Next(&f); !errors.Is(err, ErrIdle) {
		t.Fatalf("Next on quiet sources: %v", err)
	}
	if el := time.Since(start); el < 15*time.Millisecond || el > time.Second {
		t.Errorf("idle after %v", el)
	}
	// The idle time is the watermark less the window.
	if f.TS < before-int64(10*time.Millisecond) || f.TS > time.Now().UnixNano()-int64(10*time.Millisecond) {
		t.Errorf("idle TS %d, want about %d", f.TS, before-int64(10*time.Millisecond))
	}
	errs := m.Errors()
	if len(errs) != 1 || !errors.Is(errs[0], boom) {
		t.Fatalf("errors %v", errs)
	}
	t.Log(errs[0])
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Next(&f); err != io.EOF {
		t.Fatalf("after Close: %v", err)
	}
	if cs := m.CaptureStats(); cs[0].Name != "a" {
		t.Fatalf("capture stats %+v", cs)
	}
	if _, err := NewMerger(nil, Config{}); err == nil {
		t.Fatal("no sources accepted")
	}
}

// ring is a source with an endless supply of frames, for allocation
// tests and benchmarks.
type ring struct {
	ts   int64
	step int64
	data []byte
}

func (r *ring) NextWait(f *sources.Frame, _ time.Duration) error {
	r.ts += r.step
	*f = sources.Frame{TS: r.ts, Data: r.data, WireLen: len(r.data)}
	return nil
}
func (r *ring) Next(f *sources.Frame) error { return r.NextWait(f, 0) }
func (r *ring) Name() string                { return "ring" }
func (r *ring) Close() error                { return nil }

func newRings(dedup bool) *Merger {
	base := time.Now().UnixNano() - int64(time.Hour)
	data := make([]byte, 1500)
	srcs := []Waiter{&ring{ts: base, step: 2, data: data}, &ring{ts: base + 1, step: 2, data: data[:1400]}}
	m, _ := NewMerger(srcs, Config{Dedup: dedup})
	return m
}

func TestMergeDoesNotAllocate(t *testing.T) {
	for _, dedup := range []bool{false, true} {
		m := newRings(dedup)
		var f sources.Frame
		if a := testing.AllocsPerRun(1000, func() {
			if err := m.Next(&f); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Fatalf("dedup %v: %v allocations per frame", dedup, a)
		}
	}
}

func BenchmarkMerge(b *testing.B) {
	for _, dedup := range []bool{false, true} {
		b.Run(fmt.Sprint("dedup=", dedup), func(b *testing.B) {
			m := newRings(dedup)
			var f sources.Frame
			b.ReportAllocs()
			for b.Loop() {
				m.Next(&f)
			}
		})
	}
}
