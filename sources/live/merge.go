package live

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/weirnet/weir/sources"
)

// Defaults for the zero values of Config.
const (
	DefaultWindow       = 50 * time.Millisecond
	DefaultIdleTimeout  = 100 * time.Millisecond
	DefaultDedupWindow  = 5 * time.Millisecond
	DefaultDedupEntries = 1 << 16
)

// multiWaitTick bounds a wait on one quiet source while others are quiet
// too, so that each is looked at this often.
const multiWaitTick = 2 * time.Millisecond

// Config configures a Merger. The zero value of each field takes the
// default named beside it.
type Config struct {
	// Window is how long after its timestamp (by the wall clock) a frame
	// may be held, waiting for an earlier frame from a source that has
	// nothing ready yet. It must exceed the latency of every source (for
	// afpacket its block timeout) for the output to be in timestamp order;
	// frames later than that are still delivered and counted as Late.
	Window time.Duration // DefaultWindow
	// IdleTimeout is how long Next waits, with no frame to emit, before it
	// returns ErrIdle.
	IdleTimeout time.Duration // DefaultIdleTimeout

	// Dedup drops a frame when the same bytes (same captured data and
	// wire length) came from another source within DedupWindow before it:
	// the second copy of a frame seen by two taps. A repeat on the same
	// source (a retransmission) is never dropped. The table of recent
	// frames holds DedupEntries (a power of two) hashes: bounded memory,
	// at the risk that a copy is missed when more distinct frames than
	// that arrive within DedupWindow.
	Dedup        bool
	DedupWindow  time.Duration // DefaultDedupWindow
	DedupEntries int           // DefaultDedupEntries
}

// Merger merges live sources into one stream in timestamp order, within a
// bounded reordering window, without copying frames.
//
// Each source holds at most one frame in the Merger (its head), in the
// source's own buffer. Next hands out the earliest head once no source can
// still deliver an earlier frame: each source without a head has been
// found empty at a wall-clock time (its watermark) more than Window after
// the candidate's timestamp. Otherwise it waits, for a frame from a quiet
// source or for the candidate to become old enough. The reordering window
// thus costs latency (up to Window when one link is quiet), never memory:
// the frames waiting are in the sources' kernel rings.
//
// Ownership: the frame Next returns belongs to its source and stays valid
// until the next call to Next on the Merger.
//
// Next is to be called from one goroutine; Close may be called from
// another to end it, and Stats, CaptureStats and Errors from anywhere.
type Merger struct {
	cfg   Config
	srcs  []Waiter
	state []srcState
	last  int // the source whose head was handed out last; -1 if none
	rr    int // round robin over quiet sources
	dedup *dedup

	closed atomic.Bool
	late   atomic.Uint64
	lastTS int64
	errs   atomic.Pointer[[]error]
}

type srcState struct {
	head   sources.Frame
	has    bool  // head holds a frame
	wm     int64 // wall clock when the source was last found empty
	done   bool  // ended (io.EOF) or failed
	frames atomic.Uint64
	dups   atomic.Uint64
}

// Stats are the Merger's counters, per source in the order given to
// NewMerger.
type Stats struct {
	Frames     []uint64 // frames handed out
	Duplicates []uint64 // frames dropped as copies of one from another source
	Late       uint64   // frames handed out with a timestamp before one handed out earlier
}

// NewMerger merges srcs; frames from srcs[i] come out with Source = i.
// Nothing is read before the first Next.
func NewMerger(srcs []Waiter, cfg Config) (*Merger, error) {
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.DedupWindow <= 0 {
		cfg.DedupWindow = DefaultDedupWindow
	}
	if cfg.DedupEntries <= 0 {
		cfg.DedupEntries = DefaultDedupEntries
	}
	if len(srcs) == 0 {
		return nil, errors.New("live: no source to merge")
	}
	m := &Merger{cfg: cfg, srcs: srcs, state: make([]srcState, len(srcs)), last: -1}
	if cfg.Dedup {
		d, err := newDedup(cfg.DedupEntries, cfg.DedupWindow)
		if err != nil {
			return nil, err
		}
		m.dedup = d
	}
	return m, nil
}

// Next fills f with the next frame in timestamp order and sets f.Source.
// It returns ErrIdle (f.TS = the network time the Merger can vouch for:
// the oldest watermark less the window) after IdleTimeout with nothing to
// hand out, and io.EOF once every source has ended or failed (Errors tells
// which failed) or the Merger was closed.
func (m *Merger) Next(f *sources.Frame) error {
	if m.last >= 0 {
		// Only now may the source overwrite the frame handed out last.
		m.poll(m.last, 0)
		m.last = -1
	}
	w := int64(m.cfg.Window)
	var idleUntil time.Time // set when first needed: time.Now costs
	for {
		if m.closed.Load() {
			*f = sources.Frame{}
			return io.EOF
		}
		c := m.earliest()
		var waitUntil time.Time
		if c >= 0 {
			ts := m.state[c].head.TS
			ready, got := true, false
			for j := range m.state {
				s := &m.state[j]
				if s.done || s.has || ts+w <= s.wm {
					continue
				}
				// Not known to be past the candidate: look again, without
				// waiting.
				if got = m.poll(j, 0); got {
					break
				}
				ready = ready && ts+w <= s.wm
			}
			if got {
				continue // a quiet source has a frame now: compare again
			}
			if ready {
				if m.dedup != nil && m.dedup.seen(&m.state[c].head, c) {
					m.state[c].dups.Add(1)
					m.poll(c, 0)
					continue
				}
				return m.emit(c, f)
			}
			waitUntil = time.Unix(0, ts+w)
		} else {
			active := false
			for j := range m.state {
				active = active || !m.state[j].done
			}
			if !active {
				*f = sources.Frame{}
				return io.EOF
			}
			if now := time.Now(); idleUntil.IsZero() {
				idleUntil = now.Add(m.cfg.IdleTimeout)
			} else if !now.Before(idleUntil) {
				return m.idle(f)
			}
			waitUntil = idleUntil
		}
		m.waitQuiet(waitUntil)
	}
}

// earliest returns the source whose head has the smallest timestamp (ties
// to the lower index), or -1 if no source has a head.
func (m *Merger) earliest() int {
	c := -1
	for j := range m.state {
		s := &m.state[j]
		if s.has && (c < 0 || s.head.TS < m.state[c].head.TS) {
			c = j
		}
	}
	return c
}

// waitQuiet waits, until the deadline at most, for one of the sources with
// no head to deliver one: all of it on the only such source, a tick on one
// of several (taken in turn).
func (m *Merger) waitQuiet(deadline time.Time) {
	n, first := 0, -1
	for k := range m.state {
		j := (m.rr + k) % len(m.state)
		if s := &m.state[j]; !s.done && !s.has {
			if first < 0 {
				first = j
			}
			n++
		}
	}
	d := time.Until(deadline)
	if first < 0 || d <= 0 {
		return
	}
	if n > 1 {
		d = min(d, multiWaitTick)
		m.rr = first + 1
	}
	m.poll(first, d)
}

// poll reads the next frame of source j into its head, waiting at most d,
// and reports whether it got one.
func (m *Merger) poll(j int, d time.Duration) bool {
	s := &m.state[j]
	if s.done {
		return false
	}
	err := m.srcs[j].NextWait(&s.head, d)
	switch {
	case err == nil:
		s.has = true
		return true
	case errors.Is(err, ErrIdle):
		s.wm = max(s.wm, s.head.TS)
	case err == io.EOF:
		s.done = true
	default:
		s.done = true
		m.addErr(fmt.Errorf("live: %s: %w", m.srcs[j].Name(), err))
	}
	s.has = false
	s.head = sources.Frame{}
	return false
}

func (m *Merger) emit(c int, f *sources.Frame) error {
	s := &m.state[c]
	*f = s.head
	f.Source = c
	s.has = false
	s.frames.Add(1)
	if f.TS < m.lastTS {
		m.late.Add(1)
	} else {
		m.lastTS = f.TS
	}
	m.last = c
	return nil
}

// idle reports ErrIdle with the network time every source vouches for.
func (m *Merger) idle(f *sources.Frame) error {
	wm := int64(-1)
	for j := range m.state {
		if s := &m.state[j]; !s.done && (wm < 0 || s.wm < wm) {
			wm = s.wm
		}
	}
	*f = sources.Frame{TS: max(wm-int64(m.cfg.Window), m.lastTS)}
	return ErrIdle
}

func (m *Merger) addErr(err error) {
	for {
		old := m.errs.Load()
		var errs []error
		if old != nil {
			errs = append(errs, *old...)
		}
		errs = append(errs, err)
		if m.errs.CompareAndSwap(old, &errs) {
			return
		}
	}
}

// Errors returns the errors of the sources that failed, in the order they
// failed; each names its source.
func (m *Merger) Errors() []error {
	if p := m.errs.Load(); p != nil {
		return *p
	}
	return nil
}

// Stats returns the counters.
func (m *Merger) Stats() Stats {
	st := Stats{Frames: make([]uint64, len(m.state)), Duplicates: make([]uint64, len(m.state)), Late: m.late.Load()}
	for j := range m.state {
		st.Frames[j] = m.state[j].frames.Load()
		st.Duplicates[j] = m.state[j].dups.Load()
	}
	return st
}

// CaptureStats returns the capture counters of each source that keeps
// them (see Statser), in the order given to NewMerger; the others are
// named only.
func (m *Merger) CaptureStats() []CaptureStats {
	out := make([]CaptureStats, len(m.srcs))
	for j, s := range m.srcs {
		if st, ok := s.(Statser); ok {
			out[j] = st.CaptureStats()
		} else {
			out[j].Name = s.Name()
		}
	}
	return out
}

// Name implements sources.Source.
func (m *Merger) Name() string { return fmt.Sprintf("live merge of %d sources", len(m.srcs)) }

// Close closes every source, which wakes a Next waiting on one of them;
// Next then returns io.EOF.
func (m *Merger) Close() error {
	m.closed.Store(true)
	var errs []error
	for _, s := range m.srcs {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Interface guards.
var _ sources.Source = (*Merger)(nil)

// Refilter replaces the filter of every source with expr (tcpdump
// syntax): all or none. Each expression is checked on every source first,
// so a bad one, or a source that cannot change its filter, changes
// nothing; then each is put in place. Safe to call while Next runs.
func (m *Merger) Refilter(expr string) error {
	applies := make([]func() error, 0, len(m.srcs))
	for _, s := range m.srcs {
		r, ok := s.(Refilterer)
		if !ok {
			return fmt.Errorf("%s: its filter cannot be changed while it runs", s.Name())
		}
		apply, err := r.Refilter(expr)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name(), err)
		}
		applies = append(applies, apply)
	}
	var errs []error
	for _, apply := range applies {
		errs = append(errs, apply())
	}
	return errors.Join(errs...)
}
