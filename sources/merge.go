package sources

import (
	"errors"
	"fmt"
	"io"
)

// Merger reads several sources as one stream in timestamp order: each
// call to Next returns the frame with the smallest timestamp among the
// heads of all sources, ties going to the source with the lower index, so
// the same inputs always merge into the same order. Within one source,
// frames keep their capture order even if its timestamps go backwards.
//
// A source that fails is dropped and its error kept for Errors; the others
// go on. Next allocates nothing.
//
// Ownership: the frame Next returns belongs to the source it came from and
// stays valid until the following call to Next on the Merger. Each source's
// head frame must stay intact while the others are read, which is why a
// source is advanced only on the call after its frame was handed out.
//
// A Merger is not safe for concurrent use, except Progress.
type Merger struct {
	srcs   []Source
	heads  []Frame // the next frame of each source in the heap
	heap   []int   // indices of the sources with a head, a min-heap by (TS, index)
	counts []int64
	errs   []error
	last   int // the source of the frame returned last, still at heap[0]; -1 if none
	primed bool
}

// NewMerger merges srcs; frames from srcs[i] come out with Source = i.
// The sources must be distinct (each owns the buffer of its head frame).
// The Merger does not read anything until the first call to Next.
func NewMerger(srcs []Source) *Merger {
	return &Merger{
		srcs:   srcs,
		heads:  make([]Frame, len(srcs)),
		heap:   make([]int, 0, len(srcs)),
		counts: make([]int64, len(srcs)),
		last:   -1,
	}
}

// Next fills f with the earliest frame of all sources and sets f.Source.
// It returns io.EOF when every source has ended or failed; Errors then
// tells which failed.
func (m *Merger) Next(f *Frame) error {
	if !m.primed {
		m.primed = true
		for i := range m.srcs {
			if m.read(i) {
				m.heap = append(m.heap, i)
				m.up(len(m.heap) - 1)
			}
		}
	} else if m.last >= 0 {
		// The frame handed out last is no longer needed: only now may its
		// source overwrite it. It is still the top of the heap.
		if m.read(m.last) {
			m.down(0)
		} else {
			n := len(m.heap) - 1
			m.heap[0] = m.heap[n]
			m.heap = m.heap[:n]
			m.down(0)
		}
		m.last = -1
	}
	if len(m.heap) == 0 {
		return io.EOF
	}
	i := m.heap[0]
	*f = m.heads[i]
	f.Source = i
	m.counts[i]++
	m.last = i
	return nil
}

// read advances source i into its head slot and reports whether it has a
// frame; an error other than io.EOF is kept.
func (m *Merger) read(i int) bool {
	err := m.srcs[i].Next(&m.heads[i])
	if err == nil {
		return true
	}
	if err != io.EOF {
		m.errs = append(m.errs, err)
	}
	m.heads[i] = Frame{} // drop the reference to the source's buffer
	return false
}

// less orders sources by the timestamp of their head frame, then by index.
func (m *Merger) less(a, b int) bool {
	ta, tb := m.heads[a].TS, m.heads[b].TS
	return ta < tb || ta == tb && a < b
}

// up and down are container/heap's algorithms on a plain []int, which,
// unlike heap.Interface, costs no allocation and no indirect call.
func (m *Merger) up(j int) {
	h := m.heap
	for j > 0 {
		p := (j - 1) / 2
		if !m.less(h[j], h[p]) {
			break
		}
		h[p], h[j] = h[j], h[p]
		j = p
	}
}

func (m *Merger) down(j int) {
	h := m.heap
	n := len(h)
	for {
		c := 2*j + 1
		if c >= n {
			return
		}
		if r := c + 1; r < n && m.less(h[r], h[c]) {
			c = r
		}
		if !m.less(h[c], h[j]) {
			return
		}
		h[j], h[c] = h[c], h[j]
		j = c
	}
}

// Errors returns the errors of the sources that failed, in the order they
// failed. Each names its source (see Source.Next).
func (m *Merger) Errors() []error { return m.errs }

// Counts returns how many frames each source has contributed so far,
// indexed like the sources given to NewMerger.
func (m *Merger) Counts() []int64 { return append([]int64(nil), m.counts...) }

// Name implements Source.
func (m *Merger) Name() string { return fmt.Sprintf("merge of %d sources", len(m.srcs)) }

// Close closes every source and returns their errors joined.
func (m *Merger) Close() error {
	var errs []error
	for _, s := range m.srcs {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	m.heap = m.heap[:0]
	m.last = -1
	return errors.Join(errs...)
}

// Progress implements Progresser over the sources that do: bytes done and
// total summed. Total is -1 if any of those sources does not know its own.
func (m *Merger) Progress() (done, total int64) {
	for _, s := range m.srcs {
		p, ok := s.(Progresser)
		if !ok {
			continue
		}
		d, t := p.Progress()
		done += d
		if t < 0 || total < 0 {
			total = -1
		} else {
			total += t
		}
	}
	return done, total
}

// Interface guards.
var (
	_ Source     = (*Merger)(nil)
	_ Progresser = (*Merger)(nil)
)
