package bus

import (
	"sync"
	"sync/atomic"

	"github.com/weirnet/weir/core/event"
)

// A queue stands between the bus and one plugin when Bus.Queue is set: the
// bus puts batches and commands, the plugin's goroutine (drive) takes them
// in order. Batches are bounded by their events; commands (flush, rotate,
// close) always fit, since they are few and must not be lost. Consecutive
// flushes collapse into one.
type queue struct {
	mu     sync.Mutex
	wake   sync.Cond
	items  []item // FIFO: items[head:]
	head   int
	events int // events in queued batches
	limit  int
	free   [][]event.Event // batch slices to reuse

	rotating atomic.Int32 // rotations queued or running
	done     chan struct{}
	closeErr error // the plugin's Close error, readable after done
}

type opKind uint8

const (
	opBatch opKind = iota
	opFlush
	opRotate
	opClose
)

type item struct {
	op    opKind
	batch []event.Event // opBatch; the queue's own copy
	ts    int64         // opRotate, opClose
}

func newQueue(limit int) *queue {
	q := &queue{limit: limit, done: make(chan struct{})}
	q.wake.L = &q.mu
	return q
}

// put enqueues it, copying a batch (the caller reuses its slice). It
// reports false, enqueuing nothing, when a batch does not fit.
func (q *queue) put(it item) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch it.op {
	case opBatch:
		if q.events+len(it.batch) > q.limit && q.events > 0 {
			return false // an empty queue takes a batch of any size
		}
		var b []event.Event
		if n := len(q.free); n > 0 {
			b, q.free = q.free[n-1][:0], q.free[:n-1]
		}
		it.batch = append(b, it.batch...)
		q.events += len(it.batch)
	case opFlush:
		if n := len(q.items); n > q.head && q.items[n-1].op == opFlush {
			return true
		}
	case opRotate:
		q.rotating.Add(1)
	}
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.items = append(q.items, it)
	q.wake.Signal()
	return true
}

// take waits for the next item.
func (q *queue) take() item {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) {
		q.wake.Wait()
	}
	it := q.items[q.head]
	q.items[q.head] = item{}
	q.head++
	return it
}

// handled returns a batch's slice and room once the plugin has it.
func (q *queue) handled(b []event.Event) {
	clear(b) // do not keep the payloads alive
	q.mu.Lock()
	q.events -= len(b)
	q.free = append(q.free, b[:0])
	q.mu.Unlock()
}

// len is the number of events waiting.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.events
}

// drive runs a queued plugin: it does in order what the bus queued, until
// Close. A plugin that fails is cut off; what it is sent afterwards is
// counted as dropped.
func (b *Bus) drive(s *sub) {
	q := s.q
	defer close(q.done)
	for {
		it := q.take()
		switch it.op {
		case opBatch:
			if s.failed.Load() {
				s.dropped.Add(uint64(len(it.batch)))
			} else {
				s.n.Add(uint64(len(it.batch)))
				if err := s.p.Handle(it.batch); err != nil {
					b.fail(s, pluginErr(s, "", err))
				}
			}
			q.handled(it.batch)
		case opFlush:
			if !s.failed.Load() {
				if err := s.p.(Flusher).Flush(); err != nil {
					b.fail(s, pluginErr(s, "flush", err))
				}
			}
		case opRotate:
			if !s.failed.Load() {
				if ps, _ := b.rotateOne(s, it.ts); len(ps) > 0 && b.OnRotate != nil {
					b.OnRotate(ps)
				}
			}
			q.rotating.Add(-1)
		case opClose:
			q.closeErr = s.p.Close(it.ts)
			return
		}
	}
}
