package host

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/connlog"
	"github.com/weirnet/weir/sdk/protocol"
)

// rotation is a bus.Rotate call in a test run: after the first at events,
// at network time ts.
type rotation struct {
	at int
	ts int64
}

// deliverRotating is deliver with bus.Rotate calls between batches; it
// returns the files the bus's OnRotate was told, in order.
func deliverRotating(t testing.TB, events []event.Event, n int, rots []rotation, ps ...bus.Plugin) []string {
	t.Helper()
	b := bus.New(ps...)
	var mu sync.Mutex
	var rotated []string
	b.OnRotate = func(paths []string) {
		mu.Lock()
		rotated = append(rotated, paths...)
		mu.Unlock()
	}
	for _, p := range ps {
		if hp, ok := p.(*Plugin); ok {
			hp.OnRotate(b.OnRotate)
		}
	}
	if err := b.Open(events[0].Time); err != nil {
		t.Fatal(err)
	}
	next := 0
	for i := 0; i < len(events); i += n {
		for next < len(rots) && rots[next].at <= i {
			if err := b.Rotate(rots[next].ts); err != nil {
				t.Fatal(err)
			}
			next++
		}
		if err := b.Deliver(events[i:min(i+n, len(events))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(events[len(events)-1].Time); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return rotated
}

// spreadEvents is connEvents over 20 s of network time (1 ms apart), so
// that a log opened after a restart would open a different second.
func spreadEvents(n int) []event.Event {
	evs := connEvents(n)
	for i := range evs {
		evs[i].Time = evs[0].Time + int64(i)*1e6
		evs[i].Conn.Start = evs[i].Time - 1
	}
	return evs
}

// testRotations are two rotations at different network times, at batch
// boundaries of deliverRotating with n = 1000.
func testRotations(events []event.Event) []rotation {
	return []rotation{
		{at: 7000, ts: events[6999].Time + 10e9},
		{at: 15000, ts: events[14999].Time + 20e9},
	}
}

// relative returns paths relative to dir, failing on a path elsewhere.
func relative(t testing.TB, dir string, paths []string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		if filepath.Dir(p) != dir {
			t.Errorf("rotated file %s is not in the log directory %s", p, dir)
		}
		out = append(out, filepath.Base(p))
	}
	return out
}

// records returns a log's record lines, without header and footer.
func records(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// checkRotated checks the rotated files of a conn log: two, named
// Zeek-style after their open and close times, each closed with its
// #close, the records split where the rotations were, and all the records
// together those of an unrotated run.
func checkRotated(t *testing.T, got map[string]string, rotated []string, events []event.Event, rots []rotation, lo logs.Options) {
	t.Helper()
	zt := func(ts int64) string { return time.Unix(0, ts).UTC().Format("2006-01-02-15-04-05") }
	ext := ".log" + lo.Compress.Ext()
	want := []string{
		"conn." + zt(events[0].Time) + "-" + zt(rots[0].ts) + ext,
		"conn." + zt(rots[0].ts) + "-" + zt(rots[1].ts) + ext,
	}
	if !slices.Equal(rotated, want) {
		t.Fatalf("rotated %v, want %v", rotated, want)
	}
	parts := []string{got[want[0]], got[want[1]], got["conn"+ext]}
	bounds := []int{0, rots[0].at, rots[1].at, len(events)}
	var all []string
	for i, part := range parts {
		recs := records(part)
		if len(recs) != bounds[i+1]-bounds[i] {
			t.Errorf("file %d holds %d records, want %d", i, len(recs), bounds[i+1]-bounds[i])
		} else if !strings.Contains(recs[0], events[bounds[i]].Conn.UID) || !strings.Contains(recs[len(recs)-1], events[bounds[i+1]-1].Conn.UID) {
			t.Errorf("file %d runs from %q to %q, want events %d to %d", i, recs[0], recs[len(recs)-1], bounds[i], bounds[i+1]-1)
		}
		all = append(all, recs...)
		if lo.Format == logs.TSV && i < 2 && !strings.HasSuffix(part, "#close\t"+zt(rots[i].ts)+"\n") {
			t.Errorf("%s does not end with #close at %s", want[i], zt(rots[i].ts))
		}
	}
	unrotated := inProcess(t, events, logs.Options{Format: lo.Format})["conn.log"]
	if !slices.Equal(all, records(unrotated)) {
		t.Errorf("the rotated files hold other records than an unrotated run (%d, want %d)", len(all), len(records(unrotated)))
	}
}

// TestRotateOutOfProcess: the conn log written out of process rotates as
// the in-process one does, file for file and byte for byte, between
// exactly the events delivered before and after each Rotate; the bus's
// OnRotate (post_rotate) is told the closed files.
func TestRotateOutOfProcess(t *testing.T) {
	events := connEvents(20_000)
	rots := testRotations(events)
	for _, lo := range []logs.Options{{}, {Format: logs.JSON}, {Compress: logs.Gzip}} {
		t.Run(lo.Format.String()+string(lo.Compress), func(t *testing.T) {
			in := lo
			in.Dir = t.TempDir()
			wantRot := deliverRotating(t, events, 1000, rots, connlog.New(in))
			want := readLogs(t, in.Dir)

			out := lo
			out.Dir = t.TempDir()
			cfg := builtinConfig(t, "conn", out)
			cfg.BatchEvents, cfg.Window = 256, 8
			p := launch(t, cfg)
			gotRot := deliverRotating(t, events, 1000, rots, p)
			got := readLogs(t, out.Dir)
			sameLogs(t, got, want)
			if g, w := relative(t, out.Dir, gotRot), relative(t, in.Dir, wantRot); !slices.Equal(g, w) {
				t.Errorf("rotated %v, want %v", g, w)
			}
			checkRotated(t, got, relative(t, out.Dir, gotRot), events, rots, lo)
			if s := p.Stats(); s.Restarts != 0 || s.Dropped != 0 || s.Delivered != uint64(len(events)) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// TestRotateAcrossCrash: the plugin crashes before, between and after the
// rotations (once each run); the restarted process resumes from its
// checkpoint, and every rotation is done exactly once: the files are those
// of a run without crash, each reported once.
func TestRotateAcrossCrash(t *testing.T) {
	events := spreadEvents(20_000)
	rots := testRotations(events)
	for _, format := range []logs.Format{logs.TSV, logs.JSON} {
		in := logs.Options{Dir: t.TempDir(), Format: format}
		wantRot := relative(t, in.Dir, deliverRotating(t, events, 1000, rots, connlog.New(in)))
		want := readLogs(t, in.Dir)
		checkRotated(t, want, wantRot, events, rots, in)
		for _, tc := range []struct {
			failAt int
			mode   string
		}{
			{6_900, "exit"},  // in the batch the first rotation closes: it is resent and rotates
			{7_001, "panic"}, // right after the first rotation's checkpoint
			{9_500, "exit"},  // between the rotations
			{15_100, "exit"}, // after both
		} {
			t.Run(fmt.Sprintf("%v/%s-at-%d", format, tc.mode, tc.failAt), func(t *testing.T) {
				lo := logs.Options{Dir: t.TempDir(), Format: format}
				cfg := builtinConfig(t, "conn", lo)
				cfg.Options = map[string]any{"fail_at": tc.failAt, "fail_mode": tc.mode, "fail_once": filepath.Join(t.TempDir(), "marker")}
				cfg.BatchEvents, cfg.Window, cfg.BackoffMin = 256, 8, 10*time.Millisecond
				p := launch(t, cfg)
				gotRot := relative(t, lo.Dir, deliverRotating(t, events, 1000, rots, p))
				if s := p.Stats(); s.Restarts != 1 || s.Dropped != 0 || s.Delivered != uint64(len(events)) {
					t.Errorf("stats %+v", s)
				}
				if !slices.Equal(gotRot, wantRot) {
					t.Errorf("rotated %v, want %v (once each)", gotRot, wantRot)
				}
				sameLogs(t, readLogs(t, lo.Dir), want)
			})
		}
	}
}

// TestRotateLiveMode: in live mode Rotate returns at once; the closed files
// reach the OnRotate callback when the plugin acknowledges the rotation.
// Size-based rotation works from the sizes the plugin reports.
func TestRotateLiveMode(t *testing.T) {
	events := connEvents(10_000)
	lo := logs.Options{Dir: t.TempDir()}
	cfg := builtinConfig(t, "conn", lo)
	cfg.Live = true
	cfg.BatchEvents, cfg.Window = 256, 8
	p := launch(t, cfg)
	var mu sync.Mutex
	var rotated []string
	p.OnRotate(func(paths []string) {
		mu.Lock()
		rotated = append(rotated, paths...)
		mu.Unlock()
	})
	b := bus.New(p)
	b.Queue = 1000
	if err := b.Open(events[0].Time); err != nil {
		t.Fatal(err)
	}
	if err := b.Deliver(events[:5000]); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if path, err := p.Rotate(events[4999].Time + 1e9); path != "" || err != nil {
		t.Fatalf("live Rotate = %q, %v: want nothing at once", path, err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("live Rotate took %v", d)
	}
	waitFor(t, "the rotated file", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(rotated) == 1
	})
	if err := b.Deliver(events[5000:]); err != nil {
		t.Fatal(err)
	}
	// The plugin reports its file size in acknowledgements, which come
	// every half window of batches.
	waitFor(t, "a file size", func() bool { f, _ := p.LogBytes(); return f > 0 })
	if err := b.RotateLarger(1, events[len(events)-1].Time+2e9); err != nil {
		t.Fatal(err)
	}
	if f, _ := p.LogBytes(); f != 0 {
		t.Errorf("file size %d right after a size rotation", f)
	}
	if err := b.Close(events[len(events)-1].Time + 3e9); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(rotated) != 2 {
		t.Fatalf("rotated %v", rotated)
	}
	got := readLogs(t, lo.Dir)
	var n int
	for _, name := range append(relative(t, lo.Dir, rotated), "conn.log") {
		n += len(records(got[name]))
	}
	if n != len(events) || len(got) != 3 {
		t.Errorf("%d records in %d files %v, want %d in 3", n, len(got), rotated, len(events))
	}
}

// TestRotateNotSupported: a plugin that does not rotate (built with an
// SDK from before rotation: here one that declares so) keeps working; its
// log is simply not rotated.
func TestRotateNotSupported(t *testing.T) {
	events := connEvents(5_000)
	lo := logs.Options{Dir: t.TempDir()}
	cfg := builtinConfig(t, "conn", lo)
	cfg.Args = []string{"conn-norotate"}
	p := launch(t, cfg)
	rots := []rotation{{at: 2000, ts: events[1999].Time + 1e9}, {at: 4000, ts: events[3999].Time + 1e9}}
	if rotated := deliverRotating(t, events, 1000, rots, p); len(rotated) != 0 {
		t.Errorf("rotated %v", rotated)
	}
	sameLogs(t, readLogs(t, lo.Dir), inProcess(t, events, logs.Options{}))
	// Three batches of events and Close's: no batch was sealed early to
	// carry a rotation the plugin would ignore.
	if s := p.Stats(); s.Delivered != uint64(len(events)) || s.Batches > 4 {
		t.Errorf("stats %+v", s)
	}
}

// TestRotatedPathOutsideLogDir: the host believes only files in the log
// directory, since the hook runs commands on them.
func TestRotatedPathOutsideLogDir(t *testing.T) {
	p := &Plugin{cfg: Config{Logs: logs.Options{Dir: "/var/log/weir"}}}
	for path, want := range map[string]bool{
		"/var/log/weir/conn.2026-01-01-00-00-00-2026-01-01-01-00-00.log": true,
		"/var/log/weir/../conn.log":                                      false,
		"/etc/passwd":                                                    false,
		"/var/log/weir/sub/x.log":                                        false,
		"/var/log/weir":                                                  false,
		"/var/log/weir/":                                                 false,
	} {
		if got := p.inLogDir(path); got != want {
			t.Errorf("inLogDir(%q) = %v", path, got)
		}
	}
	p.cfg.Logs.Dir = ""
	if !p.inLogDir("conn.x.log") || p.inLogDir("../conn.x.log") {
		t.Error("relative paths in the current directory")
	}
}

// TestRotationReportedOnResume: the files of a rotating batch whose
// acknowledgement died with the process come from the resumed plugin's
// checkpoint (ConfigureResponse.rotations), which attach hands to
// ackThrough: live mode passes them to the callback, replay mode to the
// waiting Rotate. Only the batch's own rotation counts, and only files in
// the log directory.
func TestRotationReportedOnResume(t *testing.T) {
	rots := []protocol.Rotation{
		{Seq: 3, Paths: []string{"/logs/conn.a-b.log"}}, // acknowledged long ago
		{Seq: 5, Paths: []string{"/logs/conn.b-c.log", "/elsewhere/x.log"}},
	}
	for _, live := range []bool{true, false} {
		p := &Plugin{cfg: Config{Live: live, Logs: logs.Options{Dir: "/logs"}}, logger: quietLogger(t)}
		p.cond = sync.NewCond(&p.mu)
		p.queue = []*message{{seq: 4}, {seq: 5, rotate: true}, {seq: 6}}
		p.mu.Lock()
		notify := p.ackThrough(5, rots)
		p.mu.Unlock()
		want := []string{"/logs/conn.b-c.log"}
		got := notify
		if !live {
			got = p.rotated[5]
			if len(notify) != 0 {
				t.Errorf("replay: callback told %v", notify)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("live %v: reported %v, want %v", live, got, want)
		}
		if len(p.queue) != 1 || p.acked != 5 {
			t.Errorf("live %v: queue %d, acked %d", live, len(p.queue), p.acked)
		}
	}
}

// TestRotateLiveQueueFull: in live mode a rotation asked for while the
// plugin lags behind a full queue still happens (the events before it that
// do not fit are dropped and counted), one beyond the bound; a second one
// on top of it is dropped. Rotate never blocks.
func TestRotateLiveQueueFull(t *testing.T) {
	events := connEvents(2_000)
	lo := logs.Options{Dir: t.TempDir()}
	cfg := builtinConfig(t, "conn", lo)
	cfg.Live, cfg.BatchEvents, cfg.Window, cfg.LiveQueue = true, 64, 2, 2
	cfg.Options = map[string]any{"slow_batch": "200ms"}
	p := launch(t, cfg)
	var mu sync.Mutex
	var rotated []string
	p.OnRotate(func(paths []string) {
		mu.Lock()
		rotated = append(rotated, paths...)
		mu.Unlock()
	})
	b := bus.New(p)
	if err := b.Open(events[0].Time); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := b.Deliver(events[:1000]); err != nil { // 16 batches: the queue is full
		t.Fatal(err)
	}
	if err := b.Deliver(events[1000:1010]); err != nil {
		t.Fatal(err)
	}
	if err := b.Rotate(events[1009].Time + 1e9); err != nil { // kept, without its 10 events
		t.Fatal(err)
	}
	if err := b.Rotate(events[1009].Time + 2e9); err != nil { // dropped: nothing left to carry it
		t.Fatal(err)
	}
	if d := time.Since(start); d > 150*time.Millisecond { // well before the first batch is handled
		t.Errorf("live delivery and rotation took %v", d)
	}
	if err := b.Close(events[len(events)-1].Time); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(rotated) != 1 {
		t.Fatalf("rotated %v, want one file", rotated)
	}
	s := p.Stats()
	if s.Dropped < 10 || s.Delivered+s.Dropped != 1010 {
		t.Errorf("stats %+v", s)
	}
	got := readLogs(t, lo.Dir)
	if n := len(records(got[filepath.Base(rotated[0])])); uint64(n) != s.Delivered {
		t.Errorf("the rotated file holds %d records, %d were delivered", n, s.Delivered)
	}
}
