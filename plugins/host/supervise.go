package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/weirnet/weir/sdk/protocol"
)

// attach makes pr the current process: batches up to resumeSeq are in its
// checkpoint, every later one is sent (again). rots are the rotations the
// checkpoint names, for rotating batches whose Ack was lost with the
// process.
func (p *Plugin) attach(pr *proc, resumeSeq uint64, rots []protocol.Rotation) {
	p.mu.Lock()
	notify := p.ackThrough(resumeSeq, rots)
	defer p.notifyRotated(notify)
	defer p.mu.Unlock()
	p.sent = 0
	p.gen++
	pr.gen = p.gen
	p.proc = pr
	p.state = stateRunning
	p.lastAck = time.Now()
	pr.wg.Add(2)
	go p.send(pr)
	go p.recv(pr)
	p.cond.Broadcast()
}

// send writes the queued batches to pr's stream, in order. Once it has
// sent the whole queue, it moves spilled batches into the queue while
// there is room (unspill).
func (p *Plugin) send(pr *proc) {
	defer pr.wg.Done()
	for {
		p.mu.Lock()
		for pr.gen == p.gen && p.sent >= len(p.queue) && !p.canUnspill() {
			p.cond.Wait()
		}
		if pr.gen != p.gen {
			p.mu.Unlock()
			return
		}
		if p.sent >= len(p.queue) {
			p.unspill()
			p.mu.Unlock()
			continue
		}
		m := p.queue[p.sent]
		p.sent++
		m.sentAt = time.Now()
		data := m.data
		p.mu.Unlock()
		// m stays in the queue, unmodified, until acknowledged, which
		// cannot happen before gRPC has written it.
		if err := pr.stream.Send(data); err != nil {
			// io.EOF: the plugin ended the stream; recv gets its
			// status, which says why.
			if !errors.Is(err, io.EOF) {
				p.fail(pr, fmt.Errorf("sending batch %d: %w", m.seq, rpcError(err)))
			}
			return
		}
	}
}

// recv takes acknowledgements from pr's stream.
func (p *Plugin) recv(pr *proc) {
	defer pr.wg.Done()
	for {
		ack, err := pr.stream.Recv()
		if err != nil {
			p.fail(pr, fmt.Errorf("events stream: %w", rpcError(err)))
			return
		}
		seq := ack.Seq
		p.mu.Lock()
		if pr.gen != p.gen {
			p.mu.Unlock()
			return
		}
		if p.sent == 0 || seq > p.queue[p.sent-1].seq {
			p.mu.Unlock()
			p.fail(pr, fmt.Errorf("acknowledged batch %d, which was not sent", seq))
			return
		}
		notify := p.ackThrough(seq, ack.Rotations)
		if seq >= p.rotSeq { // sizes from before the last rotation are stale
			p.fileBytes.Store(ack.FileBytes)
		}
		p.logBytes.Store(ack.TotalBytes)
		p.mu.Unlock()
		p.notifyRotated(notify)
	}
}

// fail abandons pr, if it is still the current process, and has the
// supervisor replace it.
func (p *Plugin) fail(pr *proc, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr.gen != p.gen || p.state != stateRunning {
		return
	}
	if t := pr.stderr.lastLines(8); t != "" {
		err = fmt.Errorf("%w; its last output:\n%s", err, t)
	}
	p.state = stateRestarting
	p.failure = err
	p.gen++
	p.cond.Broadcast()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// supervise replaces failed processes and watches the current one: acks
// overdue, health checks, partial batches to push out.
func (p *Plugin) supervise() {
	defer close(p.supDone)
	tick := min(p.cfg.FlushInterval, p.cfg.HealthInterval, p.cfg.AckTimeout) / 4
	ticker := time.NewTicker(max(tick, 10*time.Millisecond))
	defer ticker.Stop()
	var lastHealth time.Time
	for {
		select {
		case <-p.done:
			return
		case <-p.wake:
			p.restart()
		case now := <-ticker.C:
			p.flushIdle(now)
			if p.overdue(now) {
				continue
			}
			if now.Sub(lastHealth) >= p.cfg.HealthInterval {
				lastHealth = now
				p.healthCheck()
			}
		}
	}
}

// flushIdle pushes out a partial batch, or asks for an acknowledgement,
// when nothing was sealed for FlushInterval: a quiet live sensor's events
// reach the logs, and every sent batch is acknowledged in bounded time
// (which is what makes the ack timeout meaningful).
func (p *Plugin) flushIdle(now time.Time) {
	if !p.fillMu.TryLock() { // the bus is handing over events: it seals soon
		return
	}
	defer p.fillMu.Unlock()
	p.mu.Lock()
	idle := now.Sub(p.lastSeal) >= p.cfg.FlushInterval && p.state == stateRunning
	unacked := len(p.queue) > 0 && !p.queue[len(p.queue)-1].sync
	// With fillMu held nobody else adds to the queue: with room, seal
	// does not wait (the supervisor must never block).
	room := len(p.queue) < p.cfg.Window
	p.mu.Unlock()
	if !idle || !room || p.cur == nil && !unacked {
		return
	}
	if p.cur == nil {
		p.cur = p.newMessage()
	}
	p.seal(true)
}

// overdue fails the current process if a batch has been waiting for its
// acknowledgement too long: the plugin is hung (a handler that never
// returns, a stopped process).
func (p *Plugin) overdue(now time.Time) bool {
	p.mu.Lock()
	pr := p.proc
	if p.state != stateRunning || p.sent == 0 {
		p.mu.Unlock()
		return false
	}
	seq, sentAt, lastAck := p.queue[0].seq, p.queue[0].sentAt, p.lastAck
	p.mu.Unlock()
	limit := p.cfg.AckTimeout + p.cfg.FlushInterval
	if now.Sub(sentAt) < limit || now.Sub(lastAck) < limit {
		return false
	}
	p.fail(pr, fmt.Errorf("no acknowledgement for batch %d in %v: the plugin is hung", seq, now.Sub(sentAt).Round(time.Millisecond)))
	return true
}

func (p *Plugin) healthCheck() {
	p.mu.Lock()
	pr := p.proc
	running := p.state == stateRunning
	p.mu.Unlock()
	if !running || pr == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.HealthInterval)
	defer cancel()
	if err := pr.rpc.Health(ctx); err != nil {
		p.fail(pr, fmt.Errorf("health check: %w", rpcError(err)))
	}
}

// restart replaces the failed process, with backoff, or disables the
// plugin when it failed too often.
func (p *Plugin) restart() {
	p.mu.Lock()
	if p.state != stateRestarting {
		p.mu.Unlock()
		return
	}
	pr, failure := p.proc, p.failure
	p.proc = nil
	p.mu.Unlock()
	if pr != nil {
		p.stop(pr, true)
	}
	for {
		now := time.Now()
		recent := p.failures[:0]
		for _, t := range p.failures {
			if now.Sub(t) < p.cfg.RestartWindow {
				recent = append(recent, t)
			}
		}
		p.failures = append(recent, now)
		if len(p.failures) > p.cfg.MaxRestarts {
			p.disable(fmt.Errorf("plugin %s disabled: it failed %d times within %v; the last failure: %w",
				p.cfg.Name, len(p.failures), p.cfg.RestartWindow, failure))
			return
		}
		p.logger.Warn("plugin failed; restarting it", "error", failure.Error())
		backoff := p.cfg.BackoffMin << (len(p.failures) - 1)
		if backoff > p.cfg.BackoffMax || backoff <= 0 {
			backoff = p.cfg.BackoffMax
		}
		select {
		case <-p.done:
			return
		case <-time.After(backoff):
		}
		p.openMu.Lock()
		npr, desc, err := p.start(true, false)
		if err == nil {
			p.attach(npr, desc.ResumeSeq, desc.Rotations)
		}
		p.openMu.Unlock()
		if err == nil {
			p.mu.Lock()
			p.stats.Restarts++
			p.mu.Unlock()
			return
		}
		failure = err
	}
}

// disable gives up on the plugin: its batches are dropped, from now on its
// events too.
func (p *Plugin) disable(err error) {
	p.mu.Lock()
	p.state = stateDisabled
	p.err = err
	for _, m := range p.queue {
		p.stats.Dropped += uint64(m.events)
		p.recycle(m)
	}
	p.queue, p.sent = nil, 0
	p.dropSpill()
	p.disabled.Store(true)
	p.cond.Broadcast()
	p.mu.Unlock()
	// No process runs (restart stopped the last one) and none will.
	p.removeSocketDir()
	p.logger.Error(err.Error())
}

// tail keeps the last bytes a process wrote to stderr, for error messages
// (a panic's message and stack). Safe for concurrent use.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

// lastLines returns up to n of the last complete lines, preferring the
// start of a Go panic if there is one.
func (t *tail) lastLines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := bytes.TrimRight(t.buf, "\n")
	if i := bytes.LastIndex(b, []byte("panic: ")); i >= 0 {
		b = b[i:]
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) > n {
		if bytes.HasPrefix(b, []byte("panic: ")) {
			lines = lines[:n]
		} else {
			lines = lines[len(lines)-n:]
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
