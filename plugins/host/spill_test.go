package host

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
)

// TestSpillRing: records come back in the order written, across the
// writer wrapping around; a record that does not fit is refused and
// leaves the ring as it was; the file never exceeds the bound and is gone
// when the ring is empty.
func TestSpillRing(t *testing.T) {
	const max = 4096
	path := filepath.Join(t.TempDir(), "ring.spill")
	s := newSpill(path, max)
	rng := rand.New(rand.NewPCG(1, 2))
	var fifo [][]byte // the model
	var nextSeq uint64
	full, wraps := 0, 0
	for step := 0; step < 5000; step++ {
		if rng.IntN(2) == 0 {
			n := rng.IntN(1200)
			data := bytes.Repeat([]byte{byte(step)}, n)
			wrapped := s.wrapped
			err := s.append(data, nextSeq+1, n, n%2 == 0, n%3 == 0)
			if errors.Is(err, errSpillFull) {
				full++
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if !wrapped && s.wrapped {
				wraps++
			}
			nextSeq++
			fifo = append(fifo, data)
		} else if s.len() > 0 {
			seq := nextSeq - uint64(s.count) + 1
			rec, got, err := s.read(s.head, s.segmentEnd(), seq, nil)
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			if !bytes.Equal(got, fifo[0]) || rec.events != len(got) || rec.sync != (len(got)%2 == 0) || rec.rotate != (len(got)%3 == 0) {
				t.Fatalf("step %d: batch %d came back as %d bytes %+v, want %d bytes", step, seq, len(got), rec, len(fifo[0]))
			}
			fifo = fifo[1:]
			if err := s.pop(rec); err != nil {
				t.Fatal(err)
			}
		}
		if s.len() != len(fifo) {
			t.Fatalf("step %d: %d records, want %d", step, s.len(), len(fifo))
		}
		fi, err := os.Stat(path)
		switch {
		case len(fifo) == 0 && !errors.Is(err, fs.ErrNotExist):
			t.Fatalf("step %d: empty spill, file %v, %v", step, fi, err)
		case len(fifo) > 0 && err != nil:
			t.Fatal(err)
		case len(fifo) > 0 && (fi.Size() > max || s.bytes > max):
			t.Fatalf("step %d: file of %d bytes, %d in records, bound %d", step, fi.Size(), s.bytes, max)
		}
	}
	if full == 0 || wraps == 0 {
		t.Fatalf("the walk never filled (%d) or wrapped (%d) the ring", full, wraps)
	}
	if err := s.discard(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after discard: %v", err)
	}
}

// TestSpillNoAllocs: spilling a batch and reading it back into a buffer
// of the right size allocates nothing.
func TestSpillNoAllocs(t *testing.T) {
	s := newSpill(filepath.Join(t.TempDir(), "a.spill"), 1<<20)
	defer s.discard()
	data := bytes.Repeat([]byte("x"), 10_000)
	buf := make([]byte, 0, len(data))
	if err := s.append(data, 1, 1, false, false); err != nil { // keeps the file open
		t.Fatal(err)
	}
	seq := uint64(1)
	allocs := testing.AllocsPerRun(200, func() {
		seq++
		if err := s.append(data, seq, 1, false, false); err != nil {
			t.Fatal(err)
		}
		rec, b, err := s.read(s.head, s.segmentEnd(), seq-uint64(s.count)+1, buf)
		if err != nil || len(b) != len(data) {
			t.Fatal(err)
		}
		if err := s.pop(rec); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch spilled and read back", allocs)
	}
}

// TestSpillCorrupt: a record damaged on disk, or not the batch expected,
// is an error, never bytes handed to the plugin.
func TestSpillCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.spill")
	s := newSpill(path, 1<<20)
	for seq := uint64(1); seq <= 2; seq++ {
		if err := s.append([]byte("batch bytes"), seq, 1, false, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.read(s.head, s.segmentEnd(), 2, nil); err == nil || !strings.Contains(err.Error(), "not the record of batch 2") {
		t.Fatalf("reading batch 1 as 2: %v", err)
	}
	rec, _, err := s.read(s.head, s.segmentEnd(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.pop(rec); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("X"), s.head+spillHeaderSize+3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, _, err := s.read(s.head, s.segmentEnd(), 2, nil); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("reading a damaged record: %v", err)
	}
	// A length beyond the record's segment is refused before anything
	// is allocated for it.
	f, err = os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff, 0xff, 0xff, 0x7f}, s.head+4); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, _, err := s.read(s.head, s.segmentEnd(), 2, nil); err == nil || !strings.Contains(err.Error(), "not the record of batch 2") {
		t.Fatalf("reading a record with a huge length: %v", err)
	}
}

// TestSpillOrder, without a process: a batch sealed while the spill is
// not empty goes behind it even when the queue has room; the sender reads
// the oldest back. When the spill cannot give a batch back, its batches
// are dropped, counted, and their sequence numbers taken back, so that the
// next batch follows the last one queued: the plugin (which refuses gaps)
// sees none.
func TestSpillOrder(t *testing.T) {
	var logged lockedBuffer
	p := &Plugin{
		cfg:    Config{Live: true, BatchEvents: 64, Window: 2, LiveQueue: 2},
		logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: &logged}),
		spill:  newSpill(filepath.Join(t.TempDir(), "l.spill"), MinSpillMaxBytes),
		state:  stateRunning,
	}
	p.cond = sync.NewCond(&p.mu)
	events := connEvents(64 * 8)
	if err := p.Handle(events[:64*6]); err != nil {
		t.Fatal(err)
	}
	if len(p.queue) != 4 || p.spill.len() != 2 || p.nextSeq != 6 {
		t.Fatalf("%d queued, %d spilled, next %d; want 4, 2, 6", len(p.queue), p.spill.len(), p.nextSeq)
	}
	// The plugin acknowledges batch 1: room in the queue, but batch 7
	// must go behind 5 and 6.
	p.mu.Lock()
	p.sent = 4
	p.ackThrough(1, nil)
	p.mu.Unlock()
	if err := p.Handle(events[64*6 : 64*7]); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	if len(p.queue) != 3 || p.spill.len() != 3 || p.nextSeq != 7 {
		t.Fatalf("%d queued, %d spilled, next %d; want 3, 3, 7", len(p.queue), p.spill.len(), p.nextSeq)
	}
	// The sender reads batch 5 back.
	if !p.canUnspill() {
		t.Fatal("room in the queue, a spilled batch, and no read")
	}
	p.unspill()
	if n := len(p.queue); n != 4 || p.queue[3].seq != 5 || p.queue[3].events != 64 || !bytes.Equal(p.queue[3].data[:2], []byte{8, 5}) {
		t.Fatalf("after reading back: %d queued, last %+v", n, p.queue[n-1])
	}
	// Batch 6 is damaged on disk.
	if err := os.WriteFile(p.spill.path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.ackThrough(2, nil)
	p.unspill()
	if p.spill.len() != 0 || p.nextSeq != 5 || p.stats.Dropped != 128 {
		t.Fatalf("after a failed read: %d spilled, next %d, %d dropped; want 0, 5, 128", p.spill.len(), p.nextSeq, p.stats.Dropped)
	}
	p.mu.Unlock()
	if _, err := os.Stat(p.spill.path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("spill file after the failure: %v", err)
	}
	if err := p.Handle(events[64*7:]); err != nil {
		t.Fatal(err)
	}
	if n := len(p.queue); n != 4 || p.queue[n-1].seq != 6 {
		t.Fatalf("the next batch: %d queued, last seq %d; want 4, 6", n, p.queue[n-1].seq)
	}
	if s := p.Stats(); s.Delivered+s.Dropped+s.Pending != uint64(len(events)) {
		t.Errorf("stats %+v do not add up to %d", s, len(events))
	}
	if n := strings.Count(logged.String(), "reading the spill file failed"); n != 1 {
		t.Errorf("logged %d lines about the failure, want 1:\n%s", n, logged.String())
	}
}

// lockedBuffer is a bytes.Buffer for a logger that several goroutines use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// spillEvents is the number of events of the live-mode spill tests: at
// about 300 bytes each encoded, several MB, more than MinSpillMaxBytes.
const spillEvents = 20_000

var (
	spillRefOnce sync.Once
	spillRef     map[string]string
)

// spillReference is the conn log of connEvents(spillEvents) in process.
func spillReference(t *testing.T) map[string]string {
	spillRefOnce.Do(func() { spillRef = inProcess(t, connEvents(spillEvents), logs.Options{}) })
	return spillRef
}

// stalledConfig is a live conn log plugin with a small queue, held back
// from the batch holding event stallAt on until the file gate exists.
func stalledConfig(t *testing.T, gate string, stallAt int) Config {
	cfg := builtinConfig(t, "conn", logs.Options{Dir: t.TempDir()})
	cfg.Live, cfg.BatchEvents, cfg.Window, cfg.LiveQueue = true, 64, 2, 2
	cfg.BackoffMin = 10 * time.Millisecond
	cfg.Options = map[string]any{"stall_until": gate, "stall_at": stallAt}
	return cfg
}

// deliverLive hands events to p through a new bus in the engine's way,
// and fails the test if that blocked (live mode must not).
func deliverLive(t *testing.T, p *Plugin, events []event.Event) *bus.Bus {
	t.Helper()
	b := bus.New(p)
	if err := b.Open(events[0].Time); err != nil {
		t.Fatal(err)
	}
	feed(t, b, events)
	return b
}

// feed hands events to b, and fails the test if that blocked.
func feed(t *testing.T, b *bus.Bus, events []event.Event) {
	t.Helper()
	start := time.Now()
	for i := 0; i < len(events); i += 100 {
		if err := b.Deliver(events[i:min(i+100, len(events))]); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("live delivery took %v: the bus was blocked", d)
	}
}

// checkCounts: every event handed over is delivered, dropped or pending,
// or still in the batch being filled.
func checkCounts(t *testing.T, p *Plugin, handed int) Stats {
	t.Helper()
	p.fillMu.Lock()
	filling := 0
	if p.cur != nil {
		filling = p.cur.events
	}
	s := p.Stats()
	p.fillMu.Unlock()
	t.Logf("stats %+v, %d events being batched", s, filling)
	if got := s.Delivered + s.Dropped + s.Pending + uint64(filling); got != uint64(handed) {
		t.Errorf("stats %+v and %d events being batched: %d, want %d", s, filling, got, handed)
	}
	return s
}

// TestLiveSpill: a live plugin held back while many batches are sealed,
// then let go while more are. With a spill nothing is dropped: the
// batches wait on disk, those sealed while the plugin catches up queue
// behind them, and every event is in the log once and in order (the log
// equals the in-process one); the file is gone after Close. Without a
// spill the same run drops. A spill file of a previous run is removed at
// launch, with a word in the log.
func TestLiveSpill(t *testing.T) {
	events := connEvents(spillEvents)
	want := spillReference(t)
	for _, spill := range []bool{true, false} {
		name := "without"
		if spill {
			name = "with"
		}
		t.Run(name, func(t *testing.T) {
			gate := filepath.Join(t.TempDir(), "gate")
			cfg := stalledConfig(t, gate, 0)
			// Slow enough to catch up while the last quarter is sealed.
			cfg.Options["slow_batch"] = "1ms"
			var logged lockedBuffer
			cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: &logged})
			var path string
			if spill {
				cfg.SpillDir = filepath.Join(t.TempDir(), "spill")
				if err := os.MkdirAll(cfg.SpillDir, 0o700); err != nil {
					t.Fatal(err)
				}
				path = filepath.Join(cfg.SpillDir, "weir-conn.spill")
				if err := os.WriteFile(path, []byte("a dead run's batches"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			p := launch(t, cfg)
			if spill {
				if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the previous run's spill file after launch: %v", err)
				}
				if !strings.Contains(logged.String(), "removed the spill file of a previous run") {
					t.Errorf("no word of the old spill file in the log:\n%s", logged.String())
				}
			}
			held := 3 * len(events) / 4
			b := deliverLive(t, p, events[:held])
			s := checkCounts(t, p, held)
			if !spill {
				if s.Dropped == 0 || s.SpilledEvents != 0 {
					t.Errorf("without a spill: stats %+v, want drops", s)
				}
			} else {
				if s.Dropped != 0 || s.SpilledBatches == 0 || s.SpillEvents != s.SpilledEvents || s.SpillBytes <= 0 {
					t.Errorf("with a spill: stats %+v, want no drops and batches spilled", s)
				}
				if fi, err := os.Stat(path); err != nil || fi.Size() < s.SpillBytes || fi.Mode().Perm() != 0o600 {
					t.Errorf("spill file %v, %v: want mode 0600, at least %d bytes", fi, err, s.SpillBytes)
				}
			}
			if err := os.WriteFile(gate, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the plugin to catch up", func() bool { return p.Stats().Delivered > 0 })
			feed(t, b, events[held:])
			if spill {
				s := checkCounts(t, p, len(events))
				if s.SpilledEvents <= uint64(held)-4*64 {
					t.Errorf("stats %+v: no batch sealed while the spill drained went to the spill", s)
				}
			}
			if err := b.Close(events[len(events)-1].Time); err != nil {
				t.Fatal(err)
			}
			s = p.Stats()
			if s.Delivered+s.Dropped != uint64(len(events)) || s.Pending != 0 || s.SpillEvents != 0 || s.SpillBytes != 0 || s.Restarts != 0 {
				t.Errorf("after Close: stats %+v", s)
			}
			if !spill {
				return
			}
			if s.Delivered != uint64(len(events)) {
				t.Errorf("delivered %d of %d", s.Delivered, len(events))
			}
			sameLogs(t, readLogs(t, cfg.Logs.Dir), want)
			if ents, err := os.ReadDir(cfg.SpillDir); err != nil || len(ents) != 0 {
				t.Errorf("spill directory after Close: %v, %v; want it empty", ents, err)
			}
		})
	}
}

// TestSpillMaxBytes: the spill holds at most spill_max_bytes; what does
// not fit is dropped and counted, and what was spilled reaches the log,
// in order, once.
func TestSpillMaxBytes(t *testing.T) {
	events := connEvents(spillEvents)
	want := recordLines(spillReference(t)["conn.log"])
	gate := filepath.Join(t.TempDir(), "gate")
	cfg := stalledConfig(t, gate, 0)
	cfg.SpillDir, cfg.SpillMaxBytes = t.TempDir(), MinSpillMaxBytes
	p := launch(t, cfg)
	b := deliverLive(t, p, events)
	s := checkCounts(t, p, len(events))
	if s.Dropped == 0 || s.SpilledEvents == 0 || s.SpillBytes > cfg.SpillMaxBytes || s.SpillBytes < cfg.SpillMaxBytes/2 {
		t.Errorf("stats %+v: want drops beyond a spill of nearly %d bytes", s, cfg.SpillMaxBytes)
	}
	if fi, err := os.Stat(p.spill.path); err != nil || fi.Size() > cfg.SpillMaxBytes {
		t.Errorf("spill file %v, %v: over the bound", fi, err)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(events[len(events)-1].Time); err != nil {
		t.Fatal(err)
	}
	s = p.Stats()
	if s.Delivered+s.Dropped != uint64(len(events)) || s.Pending != 0 || s.Delivered <= s.SpilledEvents {
		t.Fatalf("after Close: stats %+v; want delivered + dropped = %d", s, len(events))
	}
	got := recordLines(readLogs(t, cfg.Logs.Dir)["conn.log"])
	if len(got) != int(s.Delivered) {
		t.Fatalf("%d records in the log, %d events delivered", len(got), s.Delivered)
	}
	// In order and once each: a subsequence of the undisturbed log.
	j := 0
	for i, r := range got {
		for j < len(want) && want[j] != r {
			j++
		}
		if j == len(want) {
			t.Fatalf("record %d %q is out of order or repeated", i, r)
		}
		j++
	}
	if _, err := os.Stat(p.spill.path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("spill file after Close: %v", err)
	}
}

// recordLines returns the records of a TSV log.
func recordLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// TestSpillAcrossRestart: the plugin process is killed while batches sit
// in the spill; the new process resumes from its checkpoint, gets the
// queue again and then the spill, and the log is exactly the undisturbed
// one.
func TestSpillAcrossRestart(t *testing.T) {
	events := connEvents(spillEvents)
	want := spillReference(t)
	gate := filepath.Join(t.TempDir(), "gate")
	cfg := stalledConfig(t, gate, 3000)
	cfg.Window, cfg.LiveQueue = 4, 4
	cfg.SpillDir = t.TempDir()
	p := launch(t, cfg)
	b := deliverLive(t, p, events)
	waitFor(t, "the plugin to checkpoint and stall", func() bool {
		s := p.Stats()
		return s.Delivered >= 2048 && s.SpillEvents > 0
	})
	pid := p.pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the restart", func() bool {
		s := p.Stats()
		return s.Restarts == 1 && s.State == "running"
	})
	if s := checkCounts(t, p, len(events)); s.SpillEvents == 0 || s.Dropped != 0 {
		t.Errorf("after the restart: stats %+v; want batches still in the spill", s)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(events[len(events)-1].Time); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Restarts != 1 || s.Delivered != uint64(len(events)) || s.Dropped != 0 || s.SpillBytes != 0 {
		t.Errorf("stats %+v", s)
	}
	sameLogs(t, readLogs(t, cfg.Logs.Dir), want)
	if ents, err := os.ReadDir(cfg.SpillDir); err != nil || len(ents) != 0 {
		t.Errorf("spill directory after Close: %v, %v; want it empty", ents, err)
	}
}

// TestSpillWriteFails: a spill that cannot be written (here its file
// cannot be created) falls back to dropping, counted, with one line in
// the log; nothing blocks or crashes.
func TestSpillWriteFails(t *testing.T) {
	events := connEvents(5000)
	gate := filepath.Join(t.TempDir(), "gate")
	cfg := stalledConfig(t, gate, 0)
	cfg.SpillDir = t.TempDir()
	var logged lockedBuffer
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: &logged})
	p := launch(t, cfg)
	// A directory with something in it where the file should go: it can
	// be neither created nor replaced (root ignores permissions).
	if err := os.MkdirAll(filepath.Join(p.spill.path, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	b := deliverLive(t, p, events)
	s := checkCounts(t, p, len(events))
	if s.Dropped == 0 || s.SpilledEvents != 0 {
		t.Errorf("stats %+v: want drops, nothing spilled", s)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(events[len(events)-1].Time); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Delivered+s.Dropped != uint64(len(events)) || s.Pending != 0 {
		t.Errorf("after Close: stats %+v", s)
	}
	if n := strings.Count(logged.String(), "spilling to disk failed"); n != 1 {
		t.Errorf("logged %d lines about the failing spill, want 1:\n%s", n, logged.String())
	}
}

// TestSpillRotate: rotations that wait in the spill happen where they were
// asked for: the files split between exactly the events before and after
// each Rotate, and their names reach OnRotate, as without a spill.
func TestSpillRotate(t *testing.T) {
	events := spreadEvents(spillEvents)
	rots := testRotations(events)
	lo := logs.Options{Dir: t.TempDir()}
	cfg := builtinConfig(t, "conn", lo)
	cfg.Live, cfg.BatchEvents, cfg.Window, cfg.LiveQueue = true, 64, 2, 2
	cfg.Options = map[string]any{"slow_batch": "2ms"}
	cfg.SpillDir = t.TempDir()
	p := launch(t, cfg)
	rotated := deliverRotating(t, events, 1000, rots, p)
	s := p.Stats()
	if s.Dropped != 0 || s.Delivered != uint64(len(events)) || s.SpilledEvents < uint64(rots[1].at) {
		t.Errorf("stats %+v: want everything delivered, the rotations through the spill", s)
	}
	checkRotated(t, readLogs(t, lo.Dir), relative(t, lo.Dir, rotated), events, rots, lo)
}
