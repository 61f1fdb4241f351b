package sdk

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/sdk/event"
	"github.com/weirnet/weir/sdk/internal/pb"
	"github.com/weirnet/weir/sdk/internal/wire"
)

// msg is one batch the test core sends: events, and maybe a rotation.
type msg struct {
	events   []event.Event
	rotate   bool
	rotateTS int64
}

// rotatingRun is the test's sequence: data batches of events(8), a
// rotation in an empty batch after the second (as the host sends one when
// nothing was pending; a crash after the second batch resumes from a
// checkpoint there, so the rotation finds the logs not yet continued by a
// writer), and one in the sixth batch itself.
func rotatingRun() []msg {
	var out []msg
	for i, b := range events(8) {
		m := msg{events: b}
		if i == 5 {
			m.rotate, m.rotateTS = true, b[len(b)-1].Time+500e6
		}
		out = append(out, m)
		if i == 1 {
			out = append(out, msg{rotate: true, rotateTS: b[len(b)-1].Time + 500e6})
		}
	}
	return out
}

// feedMsgs applies msgs[from-1:to] as batches from..to and returns the
// rotations the Acks named, by batch.
func feedMsgs(t *testing.T, s *server, msgs []msg, from, to uint64) map[uint64][]string {
	t.Helper()
	rotated := map[uint64][]string{}
	for seq := from; seq <= to; seq++ {
		m := msgs[seq-1]
		b := wire.AppendBatch(nil, seq, m.rotate, m.events)
		if m.rotate {
			b = wire.AppendRotate(b, m.rotateTS)
		}
		var ack pb.Ack
		send, err := s.apply(b, &ack)
		if err != nil {
			t.Fatal(err)
		}
		if m.rotate && (!send || ack.Seq != seq) {
			t.Fatalf("rotating batch %d: ack %v (sent %v)", seq, ack.Seq, send)
		}
		for _, r := range ack.Rotations {
			rotated[r.Seq] = r.Paths
		}
	}
	return rotated
}

// TestRotate: a rotating batch closes every log after its events, with
// #close at the rotation time, under Zeek's rotated name; the Ack names the
// files; the next records go to new files that open at the rotation time.
func TestRotate(t *testing.T) {
	msgs := rotatingRun()
	lo := logs.Options{Dir: t.TempDir()}
	s, _ := process(t, &counter{oddAfter: 6}, lo, false)
	rotated := feedMsgs(t, s, msgs, 1, uint64(len(msgs)))
	closeServer(t, s, 2e18)
	got := readDir(t, lo.Dir)

	first, second := zeekTime(msgs[2].rotateTS), zeekTime(msgs[6].rotateTS)
	open := zeekTime(msgs[0].events[0].Time)
	oddOpen := zeekTime(msgs[1].events[1].Time) // total 7: the first odd one past 6
	want := map[uint64][]string{
		3: {"count." + open + "-" + first + ".log", "odd." + oddOpen + "-" + first + ".log"},
		7: {"count." + first + "-" + second + ".log", "odd." + first + "-" + second + ".log"},
	}
	if len(rotated) != len(want) {
		t.Fatalf("rotations %v, want %v", rotated, want)
	}
	for seq, names := range want {
		var paths []string
		for _, n := range names {
			paths = append(paths, filepath.Join(lo.Dir, n))
		}
		if !slices.Equal(rotated[seq], paths) {
			t.Errorf("batch %d rotated %v, want %v", seq, rotated[seq], paths)
		}
		for _, n := range names {
			f, ok := got[n]
			if !ok {
				t.Errorf("%s missing; have %v", n, keys(got))
				continue
			}
			closeTS := first
			if seq == 7 {
				closeTS = second
			}
			if !strings.HasSuffix(f, "#close\t"+closeTS+"\n") {
				t.Errorf("%s does not end with its #close at %s:\n%s", n, closeTS, f)
			}
		}
	}
	// Records split where the rotations were: the count log's totals run
	// 1..10, 11..30, 31..40.
	for n, span := range map[string][2]int{
		"count." + open + "-" + first + ".log":   {1, 10},
		"count." + first + "-" + second + ".log": {11, 30},
		"count.log":                              {31, 40},
	} {
		recs := records(got[n])
		if len(recs) != span[1]-span[0]+1 || !strings.HasSuffix(recs[0], fmt.Sprintf("\t%d", span[0])) ||
			!strings.HasSuffix(recs[len(recs)-1], fmt.Sprintf("\t%d", span[1])) {
			t.Errorf("%s holds %d records %q ... %q, want totals %d..%d", n, len(recs), first1(recs), last1(recs), span[0], span[1])
		}
	}
	if !strings.Contains(got["count.log"], "#open\t"+second+"\n") {
		t.Errorf("the current count.log does not open at the last rotation:\n%s", got["count.log"])
	}
}

// TestRotateAcrossCrash: with rotations in the run, a process that dies
// after any batch and is replaced (twice) leaves exactly the files of a run
// without crash, whether the rotation was before the checkpoint it resumes
// from (not done again, its files named again when resuming) or after (done
// by the new process, on a log it continues).
func TestRotateAcrossCrash(t *testing.T) {
	msgs := rotatingRun()
	n := uint64(len(msgs))
	end := int64(2e18)
	for _, format := range []logs.Format{logs.TSV, logs.JSON} {
		lo := logs.Options{Dir: t.TempDir(), Format: format}
		s, _ := process(t, &counter{oddAfter: 6}, lo, false)
		wantRot := feedMsgs(t, s, msgs, 1, n)
		closeServer(t, s, end)
		want := readDir(t, lo.Dir)
		if len(want) != 6 {
			t.Fatalf("%v: reference run wrote %v", format, keys(want))
		}
		for crash := uint64(1); crash < n; crash++ {
			t.Run(fmt.Sprintf("%v/crash-after-%d", format, crash), func(t *testing.T) {
				lo := logs.Options{Dir: t.TempDir(), Format: format}
				s, _ := process(t, &counter{oddAfter: 6}, lo, false)
				gotRot := feedMsgs(t, s, msgs, 1, crash)
				s, from := process(t, &counter{oddAfter: 6}, lo, true)
				for _, r := range s.rotations { // what Configure reports
					gotRot[r.Seq] = r.Paths
				}
				second := min(from+3, n)
				for k, v := range feedMsgs(t, s, msgs, from+1, second) {
					gotRot[k] = v
				}
				s, from = process(t, &counter{oddAfter: 6}, lo, true)
				for _, r := range s.rotations {
					gotRot[r.Seq] = r.Paths
				}
				for k, v := range feedMsgs(t, s, msgs, from+1, n) {
					gotRot[k] = v
				}
				closeServer(t, s, end)
				got := readDir(t, lo.Dir)
				for name, w := range want {
					if got[name] != w {
						t.Errorf("%s:\n got %q\nwant %q", name, got[name], w)
					}
				}
				if len(got) != len(want) {
					t.Errorf("files %v, want %v", keys(got), keys(want))
				}
				for seq, w := range wantRot {
					g := gotRot[seq]
					for i := range g {
						g[i] = filepath.Base(g[i])
					}
					var wb []string
					for _, p := range w {
						wb = append(wb, filepath.Base(p))
					}
					if !slices.Equal(g, wb) {
						t.Errorf("rotation of batch %d named %v, want %v", seq, g, wb)
					}
				}
			})
		}
	}
}

// TestWithoutRotation: a plugin that opts out says so, and ignores a
// rotation request (as one built before rotation existed does).
func TestWithoutRotation(t *testing.T) {
	lo := logs.Options{Dir: t.TempDir()}
	s := newServer("counter", &counter{oddAfter: 1000}, WithoutRotation())
	resp, err := s.Configure(t.Context(), &pb.ConfigureRequest{Instance: "counter", Logs: &pb.LogOptions{Dir: lo.Dir}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Rotates {
		t.Fatal("Rotates set by a plugin without rotation")
	}
	msgs := rotatingRun()
	feedMsgs(t, s, msgs, 1, uint64(len(msgs)))
	closeServer(t, s, 2e18)
	if got := keys(readDir(t, lo.Dir)); !slices.Equal(got, []string{"count.log"}) {
		t.Fatalf("files %v", got)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func records(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func first1(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func last1(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// crashDuring applies batch seq of msgs, a rotating one, and stops the
// rotation before its step-th file (or at its end), as if the process were
// killed there.
func crashDuring(t *testing.T, s *server, msgs []msg, seq uint64, step int) {
	t.Helper()
	type crash struct{}
	s.ctx.logs.rotateStep = func(i int) {
		if i == step {
			panic(crash{})
		}
	}
	defer func() {
		if r := recover(); r == nil {
			t.Fatalf("the rotation of batch %d has no step %d", seq, step)
		} else if _, ok := r.(crash); !ok {
			panic(r)
		}
	}()
	m := msgs[seq-1]
	b := wire.AppendRotate(wire.AppendBatch(nil, seq, true, m.events), m.rotateTS)
	_, _ = s.apply(b, new(pb.Ack))
}

// TestRotateInterrupted: a process killed in the middle of a rotation
// (before the first file, between files, after the last but before the
// checkpoint) is replaced by one that completes the rotation from the
// checkpoint saved before it began: the files are those of a run without
// crash, and the rotation's files are reported to the core on resuming.
func TestRotateInterrupted(t *testing.T) {
	msgs := rotatingRun()
	n := uint64(len(msgs))
	for _, format := range []logs.Format{logs.TSV, logs.JSON} {
		lo := logs.Options{Dir: t.TempDir(), Format: format}
		s, _ := process(t, &counter{oddAfter: 6}, lo, false)
		wantRot := feedMsgs(t, s, msgs, 1, n)
		closeServer(t, s, 2e18)
		want := readDir(t, lo.Dir)
		for _, seq := range []uint64{3, 7} {
			for step := range 3 {
				// resumedFirst: the rotating process is itself a
				// resumed one, continuing the logs through staging.
				for _, resumedFirst := range []bool{false, true} {
					name := fmt.Sprintf("%v/batch-%d/step-%d/resumed-%v", format, seq, step, resumedFirst)
					t.Run(name, func(t *testing.T) {
						lo := logs.Options{Dir: t.TempDir(), Format: format}
						s, _ := process(t, &counter{oddAfter: 6}, lo, false)
						feedMsgs(t, s, msgs, 1, seq-1)
						if resumedFirst {
							var from uint64
							s, from = process(t, &counter{oddAfter: 6}, lo, true)
							feedMsgs(t, s, msgs, from+1, seq-1)
						}
						crashDuring(t, s, msgs, seq, step)
						s, from := process(t, &counter{oddAfter: 6}, lo, true)
						if from != seq {
							t.Fatalf("resumed from %d, want the rotating batch %d", from, seq)
						}
						var reported []string
						for _, r := range s.rotations {
							if r.Seq == seq {
								reported = r.Paths
							}
						}
						if !slices.Equal(baseNames(reported), baseNames(wantRot[seq])) {
							t.Errorf("resumed process reports %v for batch %d, want %v", reported, seq, wantRot[seq])
						}
						feedMsgs(t, s, msgs, from+1, n)
						closeServer(t, s, 2e18)
						got := readDir(t, lo.Dir)
						for name, w := range want {
							if got[name] != w {
								t.Errorf("%s:\n got %q\nwant %q", name, got[name], w)
							}
						}
						if len(got) != len(want) {
							t.Errorf("files %v, want %v", keys(got), keys(want))
						}
					})
				}
			}
		}
	}
}

func baseNames(paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, filepath.Base(p))
	}
	return out
}

// TestRunRotations: Run rotates where its configuration says, as the core
// would ask.
func TestRunRotations(t *testing.T) {
	dir := t.TempDir()
	batches := events(4)
	rotTS := batches[1][4].Time + 1e9
	err := Run("counter", &counter{oddAfter: 1000}, RunConfig{Logs: logs.Options{Dir: dir}, OpenTS: 1e18, CloseTS: 2e18,
		Rotations: map[int]int64{1: rotTS}}, batches)
	if err != nil {
		t.Fatal(err)
	}
	got := readDir(t, dir)
	rotated := "count." + zeekTime(batches[0][0].Time) + "-" + zeekTime(rotTS) + ".log"
	if len(records(got[rotated])) != 10 || len(records(got["count.log"])) != 10 {
		t.Fatalf("files %v", keys(got))
	}
}
