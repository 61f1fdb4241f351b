package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/logs/schema"
	"github.com/weirnet/weir/sdk/event"
	"github.com/weirnet/weir/sdk/internal/pb"
	"github.com/weirnet/weir/sdk/internal/wire"
)

const countSchema = `{"path": "count", "description": "Running totals, for tests.", "fields": [
	{"name": "ts", "type": "time", "description": "Event time."},
	{"name": "uid", "type": "string", "description": "Event key."},
	{"name": "total", "type": "count", "description": "Events so far."}]}`

const oddSchema = `{"path": "odd", "description": "Every odd total, for tests.", "fields": [
	{"name": "total", "type": "count", "description": "Events so far."}]}`

// counter keeps a running total across batches (state that a restart must
// restore) and writes two logs, the second created lazily, late.
type counter struct {
	total     uint64
	count     *logs.Writer
	odd       *logs.Writer
	oddAfter  uint64
	countLog  *schema.Log
	oddLog    *schema.Log
	failAfter uint64 // panic when total reaches it (0: never)
}

func (c *counter) Init(ctx *Context) error {
	var err error
	if c.countLog, err = schema.Parse([]byte(countSchema)); err != nil {
		return err
	}
	c.oddLog, err = schema.Parse([]byte(oddSchema))
	return err
}

func (c *counter) Handle(ctx *Context, batch []event.Event) error {
	for _, ev := range batch {
		c.total++
		if c.count == nil {
			var err error
			if c.count, err = ctx.CreateLog(c.countLog, ev.Time); err != nil {
				return err
			}
		}
		c.count.Begin()
		c.count.Time(ev.Time)
		c.count.String(ev.Key)
		c.count.Count(c.total)
		if err := c.count.End(); err != nil {
			return err
		}
		if c.total > c.oddAfter && c.total%2 == 1 {
			if c.odd == nil {
				var err error
				if c.odd, err = ctx.CreateLog(c.oddLog, ev.Time); err != nil {
					return err
				}
			}
			c.odd.Begin()
			c.odd.Count(c.total)
			if err := c.odd.End(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *counter) Snapshot() ([]byte, error) { return json.Marshal(c.total) }
func (c *counter) Restore(b []byte) error    { return json.Unmarshal(b, &c.total) }

func events(n int) [][]event.Event {
	var out [][]event.Event
	for b := range n {
		var batch []event.Event
		for i := range 5 {
			batch = append(batch, event.Event{Kind: event.KindConnEnd, Time: int64(1e18) + int64(b*5+i)*1e9,
				Key: fmt.Sprintf("C%d", b*5+i)})
		}
		out = append(out, batch)
	}
	return out
}

// process is one plugin process: a server fed batches from first on.
func process(t *testing.T, h Handler, lo logs.Options, resume bool) (*server, uint64) {
	t.Helper()
	s := newServer("counter", h)
	req := &pb.ConfigureRequest{Instance: "counter", Resume: resume, AckEvery: 2,
		Logs: &pb.LogOptions{Dir: lo.Dir, Compress: string(lo.Compress)}}
	if lo.Format == logs.JSON {
		req.Logs.Format = pb.LogFormat_LOG_FORMAT_JSON
	}
	resp, err := s.Configure(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(context.Background(), &pb.OpenRequest{Ts: 1e18}); err != nil {
		t.Fatal(err)
	}
	return s, resp.ResumeSeq
}

func feed(t *testing.T, s *server, batches [][]event.Event, from, to uint64) (acked uint64) {
	t.Helper()
	for seq := from; seq <= to; seq++ {
		var ack pb.Ack
		send, err := s.apply(wire.AppendBatch(nil, seq, false, batches[seq-1]), &ack)
		if err != nil {
			t.Fatal(err)
		}
		if send {
			acked = ack.Seq
		}
	}
	return acked
}

func closeServer(t *testing.T, s *server, ts int64) {
	t.Helper()
	if _, err := s.Close(context.Background(), &pb.CloseRequest{Ts: ts}); err != nil {
		t.Fatal(err)
	}
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".weir-") {
			t.Errorf("%s left behind", e.Name())
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// TestResumeAfterCrash: a process that dies after batches it did not
// checkpoint is replaced; the new one truncates the logs to the
// checkpoint, restores the handler's state, gets the later batches again,
// and the logs come out as without the crash, for every crash point.
func TestResumeAfterCrash(t *testing.T) {
	batches := events(10)
	end := int64(2e18)
	for _, format := range []logs.Format{logs.TSV, logs.JSON} {
		want := func() map[string]string {
			lo := logs.Options{Dir: t.TempDir(), Format: format}
			s, _ := process(t, &counter{oddAfter: 20}, lo, false)
			feed(t, s, batches, 1, 10)
			closeServer(t, s, end)
			return readDir(t, lo.Dir)
		}()
		if len(want) != 2 {
			t.Fatalf("reference run wrote %d logs", len(want))
		}
		// Crash after each batch; and a second crash after the
		// resumed process has checkpointed once.
		for crash := uint64(1); crash <= 9; crash++ {
			t.Run(fmt.Sprintf("%v/crash-after-%d", format, crash), func(t *testing.T) {
				lo := logs.Options{Dir: t.TempDir(), Format: format}
				s, _ := process(t, &counter{oddAfter: 20}, lo, false)
				feed(t, s, batches, 1, crash) // the process dies here: no Close
				s, from := process(t, &counter{oddAfter: 20}, lo, true)
				if want := crash / 2 * 2; from != want {
					t.Fatalf("resumed from %d, want the checkpoint at %d", from, want)
				}
				second := min(from+3, 10)
				feed(t, s, batches, from+1, second) // and dies again
				s, from = process(t, &counter{oddAfter: 20}, lo, true)
				feed(t, s, batches, from+1, 10)
				closeServer(t, s, end)
				got := readDir(t, lo.Dir)
				for name, w := range want {
					if got[name] != w {
						t.Errorf("%s:\n got %q\nwant %q", name, got[name], w)
					}
				}
				if len(got) != len(want) {
					t.Errorf("files %v", got)
				}
			})
		}
	}
}

// TestResumeCompressed: a compressed log is split at the crash: the part
// up to the checkpoint keeps a numbered name, and together the parts hold
// every record once.
func TestResumeCompressed(t *testing.T) {
	batches := events(6)
	lo := logs.Options{Dir: t.TempDir(), Compress: logs.Zstd}
	s, _ := process(t, &counter{oddAfter: 1000}, lo, false)
	feed(t, s, batches, 1, 5)
	s, from := process(t, &counter{oddAfter: 1000}, lo, true)
	if from != 4 {
		t.Fatalf("resumed from %d", from)
	}
	feed(t, s, batches, 5, 6)
	closeServer(t, s, 2e18)
	for _, name := range []string{"count.1.log.zst", "count.log.zst"} {
		if _, err := os.Stat(filepath.Join(lo.Dir, name)); err != nil {
			t.Error(err)
		}
	}
}

// TestDuplicateBatchesSkipped: a batch the plugin already applied is not
// applied again; a gap in the sequence is an error.
func TestDuplicateBatchesSkipped(t *testing.T) {
	batches := events(3)
	lo := logs.Options{Dir: t.TempDir()}
	c := &counter{oddAfter: 1000}
	s, _ := process(t, c, lo, false)
	feed(t, s, batches, 1, 2)
	feed(t, s, batches, 2, 2)
	if c.total != 10 {
		t.Fatalf("total %d after a resent batch", c.total)
	}
	if _, err := s.apply(wire.AppendBatch(nil, 9, false, batches[2]), new(pb.Ack)); err == nil {
		t.Fatal("batch 9 after 2 accepted")
	}
}

func TestDecodeOptionsRejectsUnknownKeys(t *testing.T) {
	ctx := &Context{instance: "x", options: []byte(`{"port": 1, "prot": 2}`)}
	var v struct {
		Port int `json:"port"`
	}
	if err := ctx.DecodeOptions(&v); err == nil || !strings.Contains(err.Error(), `"prot"`) {
		t.Fatalf("DecodeOptions = %v", err)
	}
}

func TestHeaderLen(t *testing.T) {
	for in, want := range map[string]int{
		"#a\n#b\nrec\n": 6, "rec\n": 0, "": 0, "#a\n#b": 3, `{"x":1}` + "\n": 0,
	} {
		if got := headerLen([]byte(in)); got != want {
			t.Errorf("headerLen(%q) = %d, want %d", in, got, want)
		}
	}
	_ = bytes.Equal
}
