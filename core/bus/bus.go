// Package bus delivers events to plugins.
//
// The engine hands the bus batches of events already in their final,
// deterministic order (network time, then a stable tie-break). The bus
// gives each plugin only the kinds it subscribed to, in that order, batched.
// Deliver blocks until every plugin has taken the batch: replay is lossless
// and a slow plugin slows the replay down (backpressure) rather than
// dropping events.
package bus

import (
	"errors"
	"fmt"
	"sync/atomic"

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
}

type sub struct {
	p       Plugin
	kinds   [256]bool
	buf     []event.Event
	n       atomic.Uint64 // events delivered, readable from any goroutine
	dropped atomic.Uint64 // events not delivered because the plugin failed
	failed  atomic.Bool
}

// fail cuts a plugin off (Isolate) or returns the error.
func (b *Bus) fail(s *sub, err error) error {
	if !b.Isolate {
		return err
	}
	if !s.failed.Swap(true) && b.OnError != nil {
		b.OnError(s.p.Name(), err)
	}
	return nil
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
		s.n.Add(uint64(len(s.buf)))
		if err := s.p.Handle(s.buf); err != nil {
			if err := b.fail(s, fmt.Errorf("plugin %s: %w", s.p.Name(), err)); err != nil {
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
			if err := f.Flush(); err != nil {
				if err := b.fail(s, fmt.Errorf("plugin %s: flush: %w", s.p.Name(), err)); err != nil {
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

// Rotate rotates every plugin's files and returns the rotated paths.
func (b *Bus) Rotate(ts int64) ([]string, error) {
	return b.rotate(ts, func(*sub) bool { return true })
}

// rotate rotates the files of the plugins pick selects.
func (b *Bus) rotate(ts int64, pick func(*sub) bool) ([]string, error) {
	var paths []string
	var errs []error
	for i := range b.subs {
		s := &b.subs[i]
		r, ok := s.p.(Rotator)
		if !ok || !pick(s) {
			continue
		}
		p, err := r.Rotate(ts)
		if err != nil {
			errs = append(errs, fmt.Errorf("plugin %s: rotate: %w", s.p.Name(), err))
		}
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths, errors.Join(errs...)
}

// Sizer is implemented by plugins that write files: the record bytes in
// the current file and written in all. Safe to call from any goroutine.
type Sizer interface {
	LogBytes() (file, total int64)
}

// RotateLarger rotates the files of plugins whose current file holds at
// least limit bytes (size-based rotation).
func (b *Bus) RotateLarger(limit int64, ts int64) ([]string, error) {
	return b.rotate(ts, func(s *sub) bool {
		sz, ok := s.p.(Sizer)
		if !ok || s.failed.Load() {
			return false
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

// Close closes every plugin, returning all errors.
func (b *Bus) Close(ts int64) error {
	var errs []error
	for i := range b.subs {
		s := &b.subs[i]
		if err := s.p.Close(ts); err != nil {
			errs = append(errs, fmt.Errorf("plugin %s: close: %w", s.p.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// Dropped returns, per plugin cut off by Isolate, the events it missed;
// safe to call from any goroutine.
func (b *Bus) Dropped() map[string]uint64 {
	m := make(map[string]uint64)
	for i := range b.subs {
		if b.subs[i].failed.Load() {
			m[b.subs[i].p.Name()] = b.subs[i].dropped.Load()
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
