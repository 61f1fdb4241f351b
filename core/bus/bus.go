// Package bus delivers events to plugins.
//
// The engine hands the bus batches of events already in their final,
// deterministic order (network time, then a stable tie-break). The bus
// gives each plugin only the kinds it subscribed to, in that order, batched.
// Deliver blocks until every plugin has taken the batch: replay is lossless
// and a slow plugin slows the replay down (backpressure) rather than
// dropping events.
//
// A live sensor must never stall capture on a slow output instead. With
// Queue set, each plugin gets its own goroutine behind a bounded queue:
// Deliver, Flush and Rotate only enqueue, and a plugin whose queue is full
// loses the batch, counted, while capture and the other plugins go on.
package bus

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/weirnet/weir/core/event"
)

// Plugin is what the bus talks to. The in-process log plugins implement it
// directly; the out-of-process host implements it by forwarding batches
// over gRPC to a plugin process.
//
// Lifecycle: Subscriptions → Open → Handle* → Close. Handle receives events
// whose payloads the plugin may keep; the slice itself is reused by the bus
// after Handle returns.
type Plugin interface {
	Name() string
	// Subscriptions lists the event kinds the plugin wants.
	Subscriptions() []event.Kind
	// Open is called once before the first batch, with the network time of
	// the first packet (used for log headers).
	Open(ts int64) error
	// Handle processes one batch. An error stops the replay.
	Handle(batch []event.Event) error
	// Close flushes and closes the plugin's outputs at network time ts.
	Close(ts int64) error
}

// Bus fans batches out to plugins by subscription.
type Bus struct {
	subs   []sub
	opened bool

	// Isolate keeps a live sensor running when a plugin fails (a full
	// disk, a broken plugin): the plugin is cut off, OnError is told once,
	// its further events are counted as dropped, and the other plugins
	// and capture go on. Without it (replay), a plugin error stops the run.
	Isolate bool
	OnError func(plugin string, err error)

	// Queue, if positive, decouples the caller from the plugins (a live
	// sensor): every plugin that does not queue by itself (SelfQueuer) is
	// driven by its own goroutine through a queue of at most Queue events.
	// Deliver, Flush, Rotate and RotateLarger return at once; a batch that
	// does not fit is dropped for that plugin and counted (Dropped); Close
	// drains every queue. Set it before Open. A queued
	// plugin's errors are isolated as with Isolate: there is no caller
	// left to return them to.
	Queue int
	// DrainTimeout bounds how long Close waits for the queued plugins to
	// drain and close (0: no bound). A plugin stuck on its output past it
	// is abandoned; its queued events are counted as dropped and Close
	// says so.
	DrainTimeout time.Duration

	// OnRotate is told the files a rotation closed (e.g. to run a
	// shipper). With Queue it is called from the plugins' goroutines,
	// possibly at the same time, once per plugin.
	OnRotate func(paths []string)
}

// SelfQueuer is implemented by plugins that bound their own queue and never
// block Handle when live (the out-of-process host); the bus calls them
// directly even when Queue is set.
type SelfQueuer interface {
	SelfQueued() bool
}

type sub struct {
	p       Plugin
	kinds   [256]bool
	buf     []event.Event
	n       atomic.Uint64 // events delivered, readable from any goroutine
	dropped atomic.Uint64 // events not delivered: the plugin failed, or its queue was full
	failed  atomic.Bool
	q       *queue // nil: called synchronously
}

// fail cuts a plugin off (Isolate or Queue) or returns the error.
func (b *Bus) fail(s *sub, err error) error {
	if !b.Isolate && s.q == nil {
		return err
	}
	if !s.failed.Swap(true) && b.OnError != nil {
		b.OnError(s.p.Name(), err)
	}
	return nil
}

// pluginErr names the plugin, and the step if not handling events.
func pluginErr(s *sub, step string, err error) error {
	if step == "" {
		return fmt.Errorf("plugin %s: %w", s.p.Name(), err)
	}
	return fmt.Errorf("plugin %s: %s: %w", s.p.Name(), step, err)
}

// New returns a bus for the given plugins.
func New(plugins ...Plugin) *Bus {
	b := &Bus{subs: make([]sub, len(plugins))}
	for i, p := range plugins {
		b.subs[i].p = p
		for _, k := range p.Subscriptions() {
			b.subs[i].kinds[k] = true
		}
	}
	return b
}

// Open opens every plugin.
func (b *Bus) Open(ts int64) error {
	if b.opened {
		return nil
	}
	b.opened = true
	for i := range b.subs {
		s := &b.subs[i]
		if err := s.p.Open(ts); err != nil {
			return fmt.Errorf("plugin %s: open: %w", s.p.Name(), err)
		}
	}
	if b.Queue > 0 {
		for i := range b.subs {
			s := &b.subs[i]
			if sq, ok := s.p.(SelfQueuer); ok && sq.SelfQueued() {
				continue
			}
			s.q = newQueue(b.Queue)
			go b.drive(s)
		}
	}
	return nil
}

// Deliver hands a batch to every subscribed plugin.
func (b *Bus) Deliver(batch []event.Event) error {
	if len(batch) == 0 {
		return nil
	}
	for i := range b.subs {
		s := &b.subs[i]
		if cap(s.buf) < len(batch) {
			s.buf = make([]event.Event, 0, len(batch))
		}
		s.buf = s.buf[:0]
		for _, ev := range batch {
			if s.kinds[ev.Kind] {
				s.buf = append(s.buf, ev)
			}
		}
		if len(s.buf) == 0 {
			continue
		}
		if s.failed.Load() {
			s.dropped.Add(uint64(len(s.buf)))
			continue
		}
		if s.q != nil {
			if !s.q.put(item{op: opBatch, batch: s.buf}) {
				s.dropped.Add(uint64(len(s.buf)))
			}
			continue
		}
		s.n.Add(uint64(len(s.buf)))
		if err := s.p.Handle(s.buf); err != nil {
			if err := b.fail(s, pluginErr(s, "", err)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flusher is implemented by plugins that buffer output: Flush pushes it to
// its destination (a live sensor flushes after every batch).
type Flusher interface {
	Flush() error
}

// Flush flushes every plugin that buffers.
func (b *Bus) Flush() error {
	var errs []error
	for i := range b.subs {
		s := &b.subs[i]
		if f, ok := s.p.(Flusher); ok && !s.failed.Load() {
			if s.q != nil {
				s.q.put(item{op: opFlush})
				continue
			}
			if err := f.Flush(); err != nil {
				if err := b.fail(s, pluginErr(s, "flush", err)); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Rotator is implemented by plugins whose output files rotate: Rotate
// closes the current file at network time ts and returns its new path ("" if
// there was none).
type Rotator interface {
	Rotate(ts int64) (string, error)
}

// Rotate rotates every plugin's files at network time ts and hands the
// closed files to OnRotate.
func (b *Bus) Rotate(ts int64) error {
	return b.rotate(ts, func(*sub) bool { return true })
}

// rotate rotates the files of the plugins pick selects. A failed
// rotation cuts the plugin off (Isolate) or is returned.
func (b *Bus) rotate(ts int64, pick func(*sub) bool) error {
	var paths []string
	var errs []error
	for i := range b.subs {
		s := &b.subs[i]
		if _, ok := s.p.(Rotator); !ok || s.failed.Load() || !pick(s) {
			continue
		}
		if s.q != nil {
			s.q.put(item{op: opRotate, ts: ts})
			continue
		}
		ps, err := b.rotateOne(s, ts)
		if err != nil {
			errs = append(errs, err)
		}
		paths = append(paths, ps...)
	}
	if len(paths) > 0 && b.OnRotate != nil {
		b.OnRotate(paths)
	}
	return errors.Join(errs...)
}

// MultiRotator is implemented by plugins whose rotation may close several
// files (an out-of-process plugin writing several logs); the bus prefers
// it to Rotator.
type MultiRotator interface {
	RotateAll(ts int64) ([]string, error)
}

// rotateOne rotates one plugin's files, returning the closed ones.
func (b *Bus) rotateOne(s *sub, ts int64) ([]string, error) {
	var paths []string
	var err error
	if mr, ok := s.p.(MultiRotator); ok {
		paths, err = mr.RotateAll(ts)
	} else {
		var p string
		if p, err = s.p.(Rotator).Rotate(ts); p != "" {
			paths = []string{p}
		}
	}
	if err != nil {
		err = b.fail(s, pluginErr(s, "rotate", err))
	}
	return paths, err
}

// Sizer is implemented by plugins that write files: the record bytes in
// the current file and written in all. Safe to call from any goroutine.
type Sizer interface {
	LogBytes() (file, total int64)
}

// RotateLarger rotates the files of plugins whose current file holds at
// least limit bytes (size-based rotation).
func (b *Bus) RotateLarger(limit int64, ts int64) error {
	return b.rotate(ts, func(s *sub) bool {
		sz, ok := s.p.(Sizer)
		if !ok {
			return false
		}
		if s.q != nil && s.q.rotating.Load() > 0 {
			return false // one size rotation at a time: its bytes are still counted
		}
		f, _ := sz.LogBytes()
		return f >= limit
	})
}

// LogBytes returns, per plugin that writes files, the record bytes written;
// safe from any goroutine.
func (b *Bus) LogBytes() map[string]int64 {
	m := make(map[string]int64)
	for i := range b.subs {
		if sz, ok := b.subs[i].p.(Sizer); ok {
			_, m[b.subs[i].p.Name()] = sz.LogBytes()
		}
	}
	return m
}

// Close closes every plugin, returning all errors. Queued plugins first
// drain their queues (all of them at once), so nothing accepted is lost.
func (b *Bus) Close(ts int64) error {
	for i := range b.subs {
		if q := b.subs[i].q; q != nil {
			q.put(item{op: opClose, ts: ts})
		}
	}
	var deadline <-chan time.Time
	if b.DrainTimeout > 0 {
		t := time.NewTimer(b.DrainTimeout)
		defer t.Stop()
		deadline = t.C
	}
	var errs []error
	for i := range b.subs {
		s := &b.subs[i]
		var err error
		if s.q != nil {
			select {
			case <-s.q.done:
				err = s.q.closeErr
			case <-deadline:
				deadline = closedChan // the time is up for every other plugin too
			}
			select {
			case <-s.q.done:
			default:
				n := s.q.len()
				s.dropped.Add(uint64(n))
				err = fmt.Errorf("output stuck for %v: %d queued events lost, log not closed", b.DrainTimeout, n)
			}
		} else {
			err = s.p.Close(ts)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("plugin %s: close: %w", s.p.Name(), err))
		}
	}
	return errors.Join(errs...)
}

var closedChan = func() chan time.Time { c := make(chan time.Time); close(c); return c }()

// Dropped returns, per plugin that missed events (cut off by Isolate, or
// its queue full), how many; safe to call from any goroutine.
func (b *Bus) Dropped() map[string]uint64 {
	m := make(map[string]uint64)
	for i := range b.subs {
		if d := b.subs[i].dropped.Load(); d > 0 || b.subs[i].failed.Load() {
			m[b.subs[i].p.Name()] = d
		}
	}
	return m
}

// Failed reports, per plugin, whether it was cut off after an error.
func (b *Bus) Failed() map[string]bool {
	m := make(map[string]bool)
	for i := range b.subs {
		if b.subs[i].failed.Load() {
			m[b.subs[i].p.Name()] = true
		}
	}
	return m
}

// Queued returns, per queued plugin, the events waiting in its queue;
// safe to call from any goroutine.
func (b *Bus) Queued() map[string]int {
	m := make(map[string]int)
	for i := range b.subs {
		if q := b.subs[i].q; q != nil {
			m[b.subs[i].p.Name()] = q.len()
		}
	}
	return m
}

// Delivered returns how many events each plugin received; safe to call
// from any goroutine.
func (b *Bus) Delivered() map[string]uint64 {
	m := make(map[string]uint64, len(b.subs))
	for i := range b.subs {
		m[b.subs[i].p.Name()] = b.subs[i].n.Load()
	}
	return m
}
