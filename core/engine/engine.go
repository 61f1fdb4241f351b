// Package engine is weir's event loop: it reads frames from the merged
// sources, decodes them, shards them by flow onto workers that track
// connections, and publishes the events they produce to the bus in a
// deterministic order.
//
// Ordering. The dispatcher counts frames; every EpochFrames frames it ends
// an epoch: each worker advances its timers to the network time of the
// epoch's last frame, sorts the events it produced during the epoch by
// (time, key, seq) and hands them to the collector, which merges the
// epoch's events from all workers (and the dispatcher's own weirds) into one
// sorted batch for the bus. Epoch boundaries depend only on the input, the
// sort key only on the connection, so the output does not depend on the
// number of workers.
//
// Ownership. Frames are owned by their source until the next read; the
// dispatcher decodes them in place. With one worker, the dispatcher runs
// the tracker inline. With more, it copies each decoded packet's payload
// into a per-worker batch arena before handing the batch over; batches are
// recycled, so steady state allocates nothing per packet.
package engine

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/conn"
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/core/flow"
	"github.com/weirnet/weir/sources"
)

// Config configures the engine.
type Config struct {
	Workers     int
	EpochFrames int // frames per ordering epoch; default 8192
	// EpochInterval also ends an epoch when network time has advanced this
	// much (ns; default 1 s), so a slow link still publishes promptly.
	EpochInterval int64
	// Live makes the bus flush plugin outputs after every epoch, so logs
	// reach the disk while the sensor runs.
	Live bool
	// RotateInterval rotates the logs when network time crosses a multiple
	// of it (ns; 0: never), as Zeek's Log::default_rotation_interval. The
	// bus's OnRotate is told the rotated files.
	RotateInterval int64
	// RotateSize rotates a log once its current file holds this many
	// bytes of records (before compression; 0: never).
	RotateSize int64
	// StatsInterval publishes a Stats event (stats.log, capture_loss.log)
	// every so much network time (ns; 0: never). Its counters depend on
	// timing, so it is meant for live sensors, not reproducible replays.
	// CaptureStats, if set, reports the live sources' received and
	// kernel-dropped frames.
	StatsInterval int64
	CaptureStats  func() (received, dropped uint64)

	Decode decode.Config
	Conn   conn.Config
	// Filter, if set, is applied to each frame before decoding; frames
	// for which it returns false are skipped (counted as filtered).
	Filter func(f *sources.Frame) bool
}

// Stats is what the engine counted.
type Stats struct {
	Frames   uint64
	Filtered uint64
	Decode   decode.Stats
	Conn     conn.Stats // summed over workers
	Events   uint64
	FirstTS  int64
	LastTS   int64
}

// FrameSource is what the engine reads: normally a *sources.Merger.
type FrameSource interface {
	Next(f *sources.Frame) error
}

// Engine runs the pipeline.
type Engine struct {
	cfg      Config
	bus      *bus.Bus
	frames   atomic.Uint64
	filtered atomic.Uint64
	events   atomic.Uint64
	trackers atomic.Pointer[[]*conn.Tracker]
	stats    Stats
	rotSlot  int64 // collector's: the rotation interval slot of the open files
	rotIvl   int64 // collector's: the interval rotSlot counts in
	// The rotation settings in force (SetRotation may change them).
	rotInterval, rotSize atomic.Int64
	// connSet holds connection settings SetConnSettings asked for; the
	// workers put them in force at their next epoch boundary.
	connSet atomic.Pointer[conn.Settings]
	rotNow  atomic.Bool
}

// SetRotation changes the rotation interval and size limit (0: none) of a
// running engine (a sensor's reload); they take effect after the current
// batch. A new interval starts counting from the current network time, so
// the change itself rotates nothing. Safe from any goroutine.
func (e *Engine) SetRotation(interval, size int64) {
	e.rotInterval.Store(max(interval, 0))
	e.rotSize.Store(max(size, 0))
}

// SetConnSettings changes the connection-tracking settings of a running
// engine (a sensor's reload). Each worker puts them in force at its next
// epoch boundary (within EpochInterval of network time); they apply to
// connections created from then on. Safe from any goroutine.
func (e *Engine) SetConnSettings(s conn.Settings) { e.connSet.Store(&s) }

// RotateNow asks for the logs to be rotated after the current batch (a
// sensor's SIGHUP, for logrotate-style tools). Safe from any goroutine.
func (e *Engine) RotateNow() { e.rotNow.Store(true) }

// Snapshot is what the engine has done so far; safe to call from any
// goroutine while Run runs (metrics).
type Snapshot struct {
	Frames, Filtered, Events uint64
	LiveConns                int64
}

// Snapshot reads the live counters.
func (e *Engine) Snapshot() Snapshot {
	s := Snapshot{Frames: e.frames.Load(), Filtered: e.filtered.Load(), Events: e.events.Load()}
	if tp := e.trackers.Load(); tp != nil {
		for _, t := range *tp {
			s.LiveConns += t.LiveConns()
		}
	}
	return s
}

// New returns an engine delivering to b.
func New(cfg Config, b *bus.Bus) *Engine {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.EpochFrames <= 0 {
		cfg.EpochFrames = 8192
	}
	if cfg.EpochInterval <= 0 {
		cfg.EpochInterval = 1e9
	}
	e := &Engine{cfg: cfg, bus: b}
	e.SetRotation(cfg.RotateInterval, cfg.RotateSize)
	return e
}

// applyConnSettings puts the latest SetConnSettings in force in tr if it
// has not been yet (applied is what tr has), and returns what tr has now.
func (e *Engine) applyConnSettings(tr *conn.Tracker, applied *conn.Settings, now int64) *conn.Settings {
	if s := e.connSet.Load(); s != applied {
		tr.Apply(*s, now)
		return s
	}
	return applied
}

// FramesRead is safe to call from another goroutine (progress display).
func (e *Engine) FramesRead() uint64 { return e.frames.Load() }

// Stats returns the counters after Run.
func (e *Engine) Stats() Stats { return e.stats }

const batchSize = 256

type batch struct {
	pkts    [batchSize]decode.Packet
	now     [batchSize]int64
	parent  [batchSize]string // uid of the innermost tunnel, "" if none
	n       int
	arena   []byte
	barrier bool  // end of an epoch after the packets
	final   bool  // end of input: flush all connections
	ts      int64 // network time of the barrier
}

type epochResult struct {
	events []event.Event
	final  bool
	ts     int64 // network time at the end of the epoch (dispatcher's result)
}

// maybeRotate rotates the logs when network time ts has crossed into a new
// rotation interval. It runs on the collector, between batches.
func (e *Engine) maybeRotate(ts int64) error {
	ivl := e.rotInterval.Load()
	if ivl <= 0 {
		return nil
	}
	slot := ts / ivl
	if ivl != e.rotIvl { // a new interval: count from here
		e.rotIvl, e.rotSlot = ivl, slot
		return nil
	}
	if slot <= e.rotSlot {
		return nil
	}
	e.rotSlot = slot
	return e.bus.Rotate(slot * ivl)
}

// Run processes src until it is exhausted or ctx is cancelled. It returns
// the first error from the source (after processing everything before it)
// or from the bus.
func (e *Engine) Run(ctx context.Context, src FrameSource) error {
	n := e.cfg.Workers
	dec := decode.NewDecoder(e.cfg.Decode)

	// Collector: merges epoch results from the workers and the dispatcher
	// and delivers them to the bus on its own goroutine, so log writing
	// overlaps with packet processing.
	workerOut := make([]chan epochResult, n)
	for i := range workerOut {
		workerOut[i] = make(chan epochResult, 4)
	}
	dispOut := make(chan epochResult, 4)
	busErr := make(chan error, 1)
	var collectorWG sync.WaitGroup
	collectorWG.Add(1)
	opened := make(chan int64, 1)
	go func() {
		defer collectorWG.Done()
		var err error
		openTS, ok := <-opened
		if ok {
			err = e.bus.Open(openTS)
			if ivl := e.rotInterval.Load(); ivl > 0 {
				e.rotIvl, e.rotSlot = ivl, openTS/ivl
			}
		}
		var merged []event.Event
		for {
			merged = merged[:0]
			final := false
			r := <-dispOut
			merged = append(merged, r.events...)
			final = r.final
			for i := range workerOut {
				wr := <-workerOut[i]
				merged = append(merged, wr.events...)
			}
			if err == nil {
				sortEvents(merged)
				e.events.Add(uint64(len(merged)))
				err = e.bus.Deliver(merged)
				if err == nil && e.cfg.Live {
					err = e.bus.Flush()
				}
				if err == nil && !final {
					err = e.maybeRotate(r.ts)
				}
				if size := e.rotSize.Load(); err == nil && !final && size > 0 {
					err = e.bus.RotateLarger(size, r.ts)
				}
				if err == nil && !final && e.rotNow.Swap(false) {
					err = e.bus.Rotate(r.ts)
				}
			}
			if final {
				busErr <- err
				return
			}
		}
	}()

	// Workers.
	trackers := make([]*conn.Tracker, n)
	for i := range trackers {
		trackers[i] = conn.NewTracker(e.cfg.Conn)
	}
	e.trackers.Store(&trackers)
	var workerWG sync.WaitGroup
	var in []chan *batch
	var free chan *batch
	if n > 1 {
		free = make(chan *batch, n*8)
		for i := 0; i < n*8; i++ {
			free <- &batch{}
		}
		in = make([]chan *batch, n)
		for i := range in {
			in[i] = make(chan *batch, 4)
			workerWG.Add(1)
			go func(i int) {
				defer workerWG.Done()
				tr := trackers[i]
				var applied *conn.Settings
				for b := range in[i] {
					for j := 0; j < b.n; j++ {
						tr.PacketIn(&b.pkts[j], b.now[j], b.parent[j])
					}
					if b.barrier {
						applied = e.applyConnSettings(tr, applied, b.ts)
						if b.final {
							tr.Flush(b.ts)
						} else {
							tr.Advance(b.ts)
						}
						workerOut[i] <- epochResult{events: takeSorted(tr), final: b.final}
					}
					b.n = 0
					b.arena = b.arena[:0]
					b.barrier, b.final = false, false
					free <- b
				}
			}(i)
		}
	}
	cur := make([]*batch, n)
	getBatch := func(i int) *batch {
		if cur[i] == nil {
			cur[i] = <-free
		}
		return cur[i]
	}

	var (
		f          sources.Frame
		p          decode.Packet
		now        int64
		inEpoch    int
		dispEvents []event.Event
		srcErr     error
		first      = true
		epochTS    int64 // network time of the last epoch end
		bytesIn    uint64
		nextStats  int64
		prevStats  statsMark
		frameNo    uint64
		weirdNames [32]string
		applied1   *conn.Settings // the settings worker 0 has in force (one worker)
	)
	endEpoch := func(final bool) {
		evs := slices.Clone(dispEvents)
		dispEvents = dispEvents[:0]
		sortEvents(evs)
		dispOut <- epochResult{events: evs, final: final, ts: now}
		if n == 1 {
			tr := trackers[0]
			applied1 = e.applyConnSettings(tr, applied1, now)
			if final {
				tr.Flush(now)
			} else {
				tr.Advance(now)
			}
			workerOut[0] <- epochResult{events: takeSorted(tr), final: final}
			return
		}
		for i := 0; i < n; i++ {
			b := getBatch(i)
			b.barrier, b.final, b.ts = true, final, now
			in[i] <- b
			cur[i] = nil
		}
	}

	// maybeStats publishes a Stats event when network time crosses the
	// next stats boundary (live sensors).
	maybeStats := func() {
		if e.cfg.StatsInterval <= 0 || now < nextStats {
			return
		}
		if nextStats != 0 {
			dispEvents = append(dispEvents, e.statsEvent(now, &prevStats, frameNo, bytesIn))
		} else {
			prevStats.TS = now
		}
		nextStats = now - now%e.cfg.StatsInterval + e.cfg.StatsInterval
	}
	var p2 decode.Packet
	tunnels := newTunnelTable(e.cfg.Conn.UIDSeed)
	dispatch := func(p *decode.Packet, parent string) {
		if n == 1 {
			trackers[0].PacketIn(p, now, parent)
			return
		}
		var sp, dp uint16
		switch p.Proto {
		case 6, 17:
			sp, dp = p.SrcPort, p.DstPort
		case 1, 58:
			sp, dp, _ = flow.ICMPPorts(p.Proto == 58, p.ICMPType, p.ICMPCode)
		}
		k, _ := flow.MakeKey(p.Src, p.Dst, sp, dp, p.Proto)
		w := int(k.Hash() % uint64(n))
		b := getBatch(w)
		q := &b.pkts[b.n]
		*q = *p
		off := len(b.arena)
		b.arena = append(b.arena, p.Payload...)
		q.Payload = b.arena[off:len(b.arena):len(b.arena)]
		q.Data, q.IP, q.L4 = nil, nil, nil
		b.now[b.n] = now
		b.parent[b.n] = parent
		b.n++
		if b.n == batchSize {
			in[w] <- b
			cur[w] = nil
		}
	}

	for {
		if err := ctx.Err(); err != nil {
			srcErr = err
			break
		}
		err := src.Next(&f)
		if errors.Is(err, sources.ErrIdle) {
			// A quiet live link: network time follows the wall clock so
			// timers fire and logs flush.
			if !first {
				if f.TS > now {
					now = f.TS
				}
				maybeStats()
				inEpoch = 0
				epochTS = now
				endEpoch(false)
			}
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				srcErr = err
			}
			break
		}
		frameNo++
		e.frames.Store(frameNo)
		if e.cfg.Filter != nil && !e.cfg.Filter(&f) {
			e.filtered.Add(1)
			continue
		}
		if first {
			first = false
			epochTS = f.TS
			e.stats.FirstTS = f.TS
			opened <- f.TS
			close(opened)
		}
		if f.TS > now {
			now = f.TS
		}
		bytesIn += uint64(f.WireLen)
		maybeStats()
		p.TS, p.Link, p.Data, p.WireLen, p.Iface = f.TS, f.Link, f.Data, f.WireLen, f.Iface
		dec.Decode(&p)
		// A frame may carry tunnels: the outer packet, then each inner one.
		// Packets alternate between two buffers (DecodeInner reads outer
		// while writing inner).
		pk, other := &p, &p2
		parent := ""
		for depth := 0; ; depth++ {
			if pk.ExtraWeird != 0 {
				for i, name := range pk.ExtraWeirdNames(weirdNames[:0]) {
					dispEvents = append(dispEvents, packetWeird(pk, name, frameNo<<6|uint64(depth)<<3|uint64(i&7)))
				}
			}
			if pk.Status == decode.Weird {
				dispEvents = append(dispEvents, packetWeird(pk, pk.Weird, frameNo<<6|uint64(depth)<<3|7))
			}
			if pk.Status != decode.OK {
				break
			}
			tun := pk.Tunnel.Kind != decode.TunnelNone
			if !tun || pk.Tunnel.OuterIsConn {
				dispatch(pk, parent)
			}
			if !tun || pk.InnerFrame() == nil {
				break
			}
			parent = tunnels.uid(pk.Tunnel.Key(), pk.TS)
			dec.DecodeInner(pk, other)
			pk, other = other, pk
		}
		inEpoch++
		if inEpoch == e.cfg.EpochFrames || now-epochTS >= e.cfg.EpochInterval {
			inEpoch = 0
			epochTS = now
			endEpoch(false)
		}
	}
	if first {
		close(opened)
	}
	endEpoch(true)
	if n > 1 {
		for i := range in {
			close(in[i])
		}
		workerWG.Wait()
	}
	err := <-busErr
	collectorWG.Wait()

	e.stats.Frames = frameNo
	e.stats.Filtered = e.filtered.Load()
	e.stats.Events = e.events.Load()
	e.stats.LastTS = now
	e.stats.Decode = dec.Stats()
	for _, tr := range trackers {
		s := tr.Stats()
		e.stats.Conn.Packets += s.Packets
		e.stats.Conn.ConnsCreated += s.ConnsCreated
		e.stats.Conn.ConnsRemoved += s.ConnsRemoved
		e.stats.Conn.EvictedByLimit += s.EvictedByLimit
		e.stats.Conn.ReassemblyRangesDropped += s.ReassemblyRangesDropped
	}
	if closeErr := e.bus.Close(now); err == nil {
		err = closeErr
	}
	return errors.Join(srcErr, err)
}

func takeSorted(tr *conn.Tracker) []event.Event {
	evs := slices.Clone(tr.TakeEvents())
	sortEvents(evs)
	return evs
}

func sortEvents(evs []event.Event) {
	slices.SortFunc(evs, func(a, b event.Event) int {
		switch {
		case a.Time != b.Time:
			if a.Time < b.Time {
				return -1
			}
			return 1
		case a.Key != b.Key:
			if a.Key < b.Key {
				return -1
			}
			return 1
		case a.Seq != b.Seq:
			if a.Seq < b.Seq {
				return -1
			}
			return 1
		}
		return 0
	})
}

// statsMark is where the previous Stats interval ended.
type statsMark struct {
	TS                                             int64
	frames, bytes, recv, drops, events, acks, gaps uint64
	created                                        [4]int64
}

// statsEvent reports the interval since prev and moves prev to now.
func (e *Engine) statsEvent(now int64, prev *statsMark, frames, bytes uint64) event.Event {
	var recv, drops uint64
	if e.cfg.CaptureStats != nil {
		recv, drops = e.cfg.CaptureStats()
	}
	var acks, gaps uint64
	var active, created [4]int64
	if tp := e.trackers.Load(); tp != nil {
		for _, t := range *tp {
			a, g := t.AckGaps()
			acks, gaps = acks+a, gaps+g
			l, c := t.ConnCounts()
			for i := range active {
				active[i], created[i] = active[i]+l[i], created[i]+c[i]
			}
		}
	}
	var queued uint64
	for _, n := range e.bus.Queued() {
		queued += uint64(n)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	events := e.events.Load()
	st := &event.Stats{TS: now, Delta: now - prev.TS, Pkts: frames - prev.frames, Bytes: bytes - prev.bytes,
		KernelRecv: recv - prev.recv, KernelDrops: drops - prev.drops, Events: events - prev.events,
		MemMB: ms.HeapInuse >> 20, Acks: acks - prev.acks, Gaps: gaps - prev.gaps,
		Queued: queued, Active: active}
	for i := range st.New {
		st.New[i] = uint64(created[i] - prev.created[i])
	}
	if e.cfg.Live {
		st.Lag = time.Now().UnixNano() - now
	}
	*prev = statsMark{TS: now, frames: frames, bytes: bytes, recv: recv, drops: drops, events: events, acks: acks, gaps: gaps,
		created: created}
	return event.Event{Kind: event.KindStats, Time: now, Seq: frames<<6 | 62, Stats: st}
}

// packetWeird is a weird not tied to a connection (a malformed packet).
// Its tie-break is the frame number, which does not depend on workers.
func packetWeird(p *decode.Packet, name string, frameNo uint64) event.Event {
	return event.Event{Kind: event.KindWeird, Time: p.TS, Seq: frameNo,
		Weird: &event.Weird{TS: p.TS, Name: name, Source: "IP"}}
}
