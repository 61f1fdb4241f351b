package logs

import (
	"io"
	"net/netip"
	"sync"

	"github.com/weirnet/weir/logs/schema"
)

// connRec is a conn.log record as a producer would hold it. Pointers and
// nil slices stand for unset values.
type connRec struct {
	ts                   int64
	uid                  string
	origH                netip.Addr
	origP                uint16
	respH                netip.Addr
	respP                uint16
	proto                string
	service              *string
	duration             *int64
	origBytes, respBytes *uint64
	connState            string
	localOrig, localResp *bool
	missedBytes          uint64
	history              string
	origPkts, origIP     uint64
	respPkts, respIP     uint64
	tunnelParents        []string
	tunnelParentsSet     bool
	ipProto              uint64
	communityID          string
}

func ptr[T any](v T) *T { return &v }

// writeConn writes r in conn.log's schema order.
func writeConn(w *Writer, r *connRec) error {
	w.Begin()
	w.Time(r.ts)
	w.String(r.uid)
	w.Addr(r.origH)
	w.Port(r.origP)
	w.Addr(r.respH)
	w.Port(r.respP)
	w.Enum(r.proto)
	if r.service != nil {
		w.String(*r.service)
	} else {
		w.Unset()
	}
	if r.duration != nil {
		w.Interval(*r.duration)
	} else {
		w.Unset()
	}
	optCount(w, r.origBytes)
	optCount(w, r.respBytes)
	w.String(r.connState)
	optBool(w, r.localOrig)
	optBool(w, r.localResp)
	w.Count(r.missedBytes)
	w.String(r.history)
	w.Count(r.origPkts)
	w.Count(r.origIP)
	w.Count(r.respPkts)
	w.Count(r.respIP)
	if r.tunnelParentsSet {
		w.StringSet(r.tunnelParents)
	} else {
		w.Unset()
	}
	w.Count(r.ipProto)
	w.String(r.communityID)
	return w.End()
}

func optCount(w *Writer, c *uint64) {
	if c != nil {
		w.Count(*c)
	} else {
		w.Unset()
	}
}

func optBool(w *Writer, b *bool) {
	if b != nil {
		w.Bool(*b)
	} else {
		w.Unset()
	}
}

// typicalConn is a conn-like record of the usual size (about 250 bytes of
// TSV), the one the allocation test and the benchmarks write.
var typicalConn = connRec{
	ts:          1300475167096535000,
	uid:         "CHhAvVGS1DHFjwGM9",
	origH:       netip.MustParseAddr("141.142.220.118"),
	origP:       48649,
	respH:       netip.MustParseAddr("208.80.152.118"),
	respP:       80,
	proto:       "tcp",
	service:     ptr("http"),
	duration:    ptr(int64(2683796000)),
	origBytes:   ptr(uint64(1136)),
	respBytes:   ptr(uint64(72934)),
	connState:   "SF",
	localOrig:   ptr(true),
	localResp:   ptr(false),
	history:     "ShADadttfF",
	origPkts:    31,
	origIP:      2788,
	respPkts:    59,
	respIP:      76006,
	ipProto:     6,
	communityID: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
}

func mustSchema(path string) *schema.Log {
	l, err := schema.Get(path)
	if err != nil {
		panic(err)
	}
	return l
}

// discardFS accepts files and throws their bytes away, counting them; the
// benchmarks use it so that they measure the writer, not the disk.
type discardFS struct {
	mu sync.Mutex
	n  int64
}

type countingDiscard struct{ fs *discardFS }

func (d countingDiscard) Write(b []byte) (int, error) {
	d.fs.mu.Lock()
	d.fs.n += int64(len(b))
	d.fs.mu.Unlock()
	return len(b), nil
}
func (countingDiscard) Close() error { return nil }

func (d *discardFS) Open(string, bool) (io.WriteCloser, error) { return countingDiscard{d}, nil }
func (*discardFS) Rename(string, string) error                 { return nil }
func (*discardFS) Exists(string) bool                          { return false }
func (*discardFS) MkdirAll(string) error                       { return nil }
