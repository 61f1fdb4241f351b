package sources

import (
	"fmt"
	"io"
	"slices"
	"testing"
)

// fakeSource yields frames with the given timestamps. Like a real source it
// hands out a buffer that it overwrites on the next call, so a merger that
// advanced a source too early would return the wrong bytes.
type fakeSource struct {
	name   string
	ts     []int64
	failAt int // index at which Next fails; -1 never
	loop   bool
	i      int
	buf    [16]byte
	closed bool
}

func newFake(name string, ts ...int64) *fakeSource {
	return &fakeSource{name: name, ts: ts, failAt: -1}
}

func (s *fakeSource) Next(f *Frame) error {
	if s.i == s.failAt {
		return fmt.Errorf("read %s: packet %d: broken", s.name, s.i+1)
	}
	if s.i == len(s.ts) {
		if !s.loop {
			return io.EOF
		}
		s.i = 0
	}
	n := copy(s.buf[:], fmt.Appendf(s.buf[:0], "%s#%d", s.name, s.i))
	*f = Frame{TS: s.ts[s.i], Data: s.buf[:n], WireLen: n, Link: LinkEthernet, Source: -1}
	s.i++
	return nil
}

func (s *fakeSource) Name() string { return s.name }
func (s *fakeSource) Close() error { s.closed = true; return nil }

type merged struct {
	ts   int64
	data string
	src  int
}

func mergeAll(t *testing.T, m *Merger) []merged {
	t.Helper()
	var out []merged
	var f Frame
	for {
		err := m.Next(&f)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, merged{f.TS, string(f.Data), f.Source})
	}
}

func TestMergerOrder(t *testing.T) {
	a := newFake("a", 1, 3, 5, 5)
	b := newFake("b", 2, 3, 5)
	c := newFake("c", 0, 5, 9)
	m := NewMerger([]Source{a, b, c})
	got := mergeAll(t, m)
	want := []merged{
		{0, "c#0", 2},
		{1, "a#0", 0},
		{2, "b#0", 1},
		{3, "a#1", 0}, // equal timestamps: the lower source index first
		{3, "b#1", 1},
		{5, "a#2", 0},
		{5, "a#3", 0}, // a's second 5 still comes before b's
		{5, "b#2", 1},
		{5, "c#1", 2},
		{9, "c#2", 2},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("merged\n got %v\nwant %v", got, want)
	}
	if counts := m.Counts(); !slices.Equal(counts, []int64{4, 3, 3}) {
		t.Errorf("Counts() = %v", counts)
	}
	if len(m.Errors()) != 0 {
		t.Errorf("Errors() = %v", m.Errors())
	}
	var f Frame
	if err := m.Next(&f); err != io.EOF {
		t.Errorf("Next after the end = %v, want io.EOF", err)
	}
}

func TestMergerFailingSource(t *testing.T) {
	a := newFake("a", 1, 4, 7)
	b := newFake("b", 2, 5, 8)
	b.failAt = 2
	c := newFake("c", 3, 6, 9)
	bad := newFake("bad", 0)
	bad.failAt = 0 // fails on its first read
	m := NewMerger([]Source{a, b, c, bad})
	got := mergeAll(t, m)
	var ts []int64
	for _, g := range got {
		ts = append(ts, g.ts)
	}
	if want := []int64{1, 2, 3, 4, 5, 6, 7, 9}; !slices.Equal(ts, want) {
		t.Fatalf("timestamps %v, want %v", ts, want)
	}
	errs := m.Errors()
	if len(errs) != 2 || errs[0].Error() != "read bad: packet 1: broken" || errs[1].Error() != "read b: packet 3: broken" {
		t.Fatalf("Errors() = %q", errs)
	}
	if counts := m.Counts(); !slices.Equal(counts, []int64{3, 2, 3, 0}) {
		t.Errorf("Counts() = %v", counts)
	}
	if err := m.Close(); err != nil || !a.closed || !bad.closed {
		t.Errorf("Close = %v; sources closed: a %v, bad %v", err, a.closed, bad.closed)
	}
}

func TestMergerEmpty(t *testing.T) {
	var f Frame
	if err := NewMerger(nil).Next(&f); err != io.EOF {
		t.Fatalf("Next on no sources = %v", err)
	}
	m := NewMerger([]Source{newFake("e"), newFake("one", 42)})
	if got := mergeAll(t, m); !slices.Equal(got, []merged{{42, "one#0", 1}}) {
		t.Fatalf("got %v", got)
	}
}

type progressFake struct {
	*fakeSource
	done, total int64
}

func (p progressFake) Progress() (int64, int64) { return p.done, p.total }

func TestMergerProgress(t *testing.T) {
	m := NewMerger([]Source{progressFake{newFake("a"), 10, 100}, newFake("b"), progressFake{newFake("c"), 5, 50}})
	if d, tot := m.Progress(); d != 15 || tot != 150 {
		t.Fatalf("Progress() = %d, %d", d, tot)
	}
	m = NewMerger([]Source{progressFake{newFake("a"), 10, 100}, progressFake{newFake("pipe"), 5, -1}})
	if d, tot := m.Progress(); d != 15 || tot != -1 {
		t.Fatalf("Progress() with an unknown total = %d, %d", d, tot)
	}
}

// cycleSource yields the same few frames forever without allocating.
type cycleSource struct {
	ts, step int64
	buf      [64]byte
}

func (s *cycleSource) Next(f *Frame) error {
	s.ts += s.step
	*f = Frame{TS: s.ts, Data: s.buf[:], WireLen: 64}
	return nil
}
func (s *cycleSource) Name() string { return "cycle" }
func (s *cycleSource) Close() error { return nil }

func cycles(n int) []Source {
	srcs := make([]Source, n)
	for i := range srcs {
		srcs[i] = &cycleSource{ts: int64(i), step: int64(3 + i%5)}
	}
	return srcs
}

func TestMergerDoesNotAllocate(t *testing.T) {
	m := NewMerger(cycles(5))
	var f Frame
	if err := m.Next(&f); err != nil {
		t.Fatal(err)
	}
	last := f.TS
	allocs := testing.AllocsPerRun(10000, func() {
		if err := m.Next(&f); err != nil {
			t.Fatal(err)
		}
		if f.TS < last {
			t.Fatalf("time went back: %d after %d", f.TS, last)
		}
		last = f.TS
	})
	if allocs != 0 {
		t.Fatalf("Merger.Next allocates %.2f times per frame", allocs)
	}
}

func BenchmarkMerger(b *testing.B) {
	for _, n := range []int{1, 4, 32} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m := NewMerger(cycles(n))
			var f Frame
			for b.Loop() {
				if err := m.Next(&f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
