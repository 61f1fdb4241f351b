package conn

import (
	"container/heap"
	"sort"
)

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

// timerQueue is a min-heap by time, then insertion order. Entries are
// invalidated lazily: a removed connection bumps its generation, a
// cancelled or replaced timer bumps its sub-generation.
type timerQueue []timerEntry

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *timerQueue) Push(x any)   { *q = append(*q, x.(timerEntry)) }
func (q *timerQueue) Pop() any {
	old := *q
	n := len(old)
	e := old[n-1]
	old[n-1] = timerEntry{}
	*q = old[:n-1]
	return e
}

func (t *Tracker) pushTimer(c *Conn, kind timerKind, sub uint32, at int64) {
	t.timerSeq++
	heap.Push(&t.tq, timerEntry{t: at, seq: t.timerSeq, c: c, gen: c.gen, sub: sub, kind: kind})
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
