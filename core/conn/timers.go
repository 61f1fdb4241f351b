package conn

import "sort"

type timerKind uint8

const (
	timerInactivity timerKind = iota
	timerExpire
	timerAttempt
	timerDelete
	timerAppExpire // an analyzer's idle expiry (analyzer.Conn.ExpireIdle)
)

type timerEntry struct {
	t    int64
	seq  uint64
	c    *Conn
	gen  uint32
	sub  uint32
	kind timerKind
}

// timerQueue holds the pending timers in order of time, then insertion
// (seq). Entries are invalidated lazily: a removed connection bumps its
// generation, a cancelled or replaced timer bumps its sub-generation.
//
// Nearly every timer is "now plus a constant" (inactivity, attempt,
// expiry), so timers mostly arrive in time order. They go to a few FIFO
// lanes, each kept sorted by accepting only entries not earlier than its
// tail (patience sorting): push and pop are O(1) there. An entry no lane
// takes goes to a binary heap. The earliest timer is the least of the lane
// heads and the heap's top, compared by (time, seq), so the order is the
// same as one heap's.
type timerQueue struct {
	lanes [timerLanes]timerLane
	heap  []timerEntry
	free  [][]timerEntry // lane blocks to reuse
}

const timerLanes = 4

// timerLane is a FIFO of entries in (t, seq) order, in fixed-size blocks
// so that a long queue (a million flows) grows without copying.
type timerLane struct {
	blocks [][]timerEntry // blocks[0][head:] is the front; the last block is being filled
	head   int
	n      int // entries queued
}

const (
	timerBlock         = 4096
	maxFreeTimerBlocks = 64
)

func (l *timerLane) empty() bool { return l.n == 0 }

func (l *timerLane) front() *timerEntry { return &l.blocks[0][l.head] }

func (l *timerLane) back() *timerEntry {
	b := l.blocks[len(l.blocks)-1]
	return &b[len(b)-1]
}

func (l *timerLane) pushBack(e timerEntry, free *[][]timerEntry) {
	if len(l.blocks) == 0 || len(l.blocks[len(l.blocks)-1]) == timerBlock {
		var b []timerEntry
		if k := len(*free); k > 0 {
			b, *free = (*free)[k-1], (*free)[:k-1]
		} else {
			b = make([]timerEntry, 0, timerBlock)
		}
		l.blocks = append(l.blocks, b)
	}
	last := &l.blocks[len(l.blocks)-1]
	*last = append(*last, e)
	l.n++
}

func (l *timerLane) popFront(free *[][]timerEntry) {
	b := l.blocks[0]
	b[l.head] = timerEntry{} // drop the *Conn
	l.head++
	l.n--
	if l.head == len(b) && (len(l.blocks) > 1 || len(b) == timerBlock || l.n == 0) {
		if len(*free) < maxFreeTimerBlocks { // beyond, a flood's peak is left to the GC
			*free = append(*free, b[:0])
		}
		l.blocks = append(l.blocks[:0], l.blocks[1:]...)
		l.head = 0
	}
}

func timerLess(a, b *timerEntry) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.seq < b.seq
}

// push adds e, whose seq is larger than any queued.
func (q *timerQueue) push(e timerEntry) {
	best := -1
	for i := range q.lanes {
		l := &q.lanes[i]
		if l.empty() {
			if best < 0 {
				best = i // an empty lane, if no better fit
			}
			continue
		}
		if tail := l.back().t; tail <= e.t && (best < 0 || q.lanes[best].empty() || tail > q.lanes[best].back().t) {
			best = i // the fullest fit keeps room for later, earlier entries
		}
	}
	if best >= 0 {
		q.lanes[best].pushBack(e, &q.free)
		return
	}
	q.heap = append(q.heap, e)
	q.up(len(q.heap) - 1)
}

// first returns the earliest entry's place: a lane index, or -1 for the
// heap; ok is false when the queue is empty.
func (q *timerQueue) first() (from int, e *timerEntry, ok bool) {
	if len(q.heap) > 0 {
		from, e, ok = -1, &q.heap[0], true
	}
	for i := range q.lanes {
		l := &q.lanes[i]
		if !l.empty() && (!ok || timerLess(l.front(), e)) {
			from, e, ok = i, l.front(), true
		}
	}
	return from, e, ok
}

// popDue removes and returns the earliest entry if it is due at now.
func (q *timerQueue) popDue(now int64) (timerEntry, bool) {
	from, e, ok := q.first()
	if !ok || e.t > now {
		return timerEntry{}, false
	}
	out := *e
	if from >= 0 {
		q.lanes[from].popFront(&q.free)
		return out, true
	}
	n := len(q.heap) - 1
	q.heap[0] = q.heap[n]
	q.heap[n] = timerEntry{}
	q.heap = q.heap[:n]
	if n > 0 {
		q.down(0)
	}
	return out, true
}

// reset empties the queue, keeping its memory.
func (q *timerQueue) reset() {
	for i := range q.lanes {
		l := &q.lanes[i]
		for _, b := range l.blocks {
			clear(b)
			if len(q.free) < maxFreeTimerBlocks {
				q.free = append(q.free, b[:0])
			}
		}
		l.blocks, l.head, l.n = l.blocks[:0], 0, 0
	}
	clear(q.heap)
	q.heap = q.heap[:0]
}

func (q *timerQueue) up(i int) {
	h := q.heap
	for i > 0 {
		p := (i - 1) / 2
		if !timerLess(&h[i], &h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *timerQueue) down(i int) {
	h := q.heap
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && timerLess(&h[r], &h[l]) {
			m = r
		}
		if !timerLess(&h[m], &h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (t *Tracker) pushTimer(c *Conn, kind timerKind, sub uint32, at int64) {
	t.timerSeq++
	t.tq.push(timerEntry{t: at, seq: t.timerSeq, c: c, gen: c.gen, sub: sub, kind: kind})
}

// addTimer adds a TCP session timer unless the session cancelled its timers.
func (t *Tracker) addTimer(c *Conn, kind timerKind, at int64) {
	if c.timersCanceled {
		return
	}
	t.pushTimer(c, kind, c.adapterGen, at)
}

// addTimerForce adds a timer even after cancelTimers (the delete timer).
func (t *Tracker) addTimerForce(c *Conn, kind timerKind, at int64) {
	t.pushTimer(c, kind, c.adapterGen, at)
}

// cancelTimers cancels the TCP session's pending timers (not the
// connection's inactivity timer), as Zeek's Analyzer::CancelTimers.
func (t *Tracker) cancelTimers(c *Conn) {
	c.adapterGen++
	c.timersCanceled = true
}

// setInactivity sets the inactivity timeout and (re)arms its timer from the
// last activity (Zeek's Session::SetInactivityTimeout).
func (t *Tracker) setInactivity(c *Conn, d int64) {
	if d == c.inactivity {
		return
	}
	c.inactGen++
	c.inactivity = d
	if d > 0 {
		t.pushTimer(c, timerInactivity, c.inactGen, c.last+d)
	}
}

func sortConns(cs []*Conn) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].start != cs[j].start {
			return cs[i].start < cs[j].start
		}
		return cs[i].uid < cs[j].uid
	})
}
