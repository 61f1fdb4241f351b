package dns

import (
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// discardSink counts what sessions report and keeps nothing.
type discardSink struct{ records, weirds int }

func (d *discardSink) Emit(ev event.Event)         { d.records++ }
func (d *discardSink) Confirm(string)              {}
func (d *discardSink) Violation(string, string)    {}
func (d *discardSink) Weird(string, string, int64) { d.weirds++ }
func (d *discardSink) Skip(string, bool)           {}
func (d *discardSink) Start(string) bool           { return false }
func (d *discardSink) Redetect()                   {}
func (d *discardSink) conn(id event.ConnID) *analyzer.Conn {
	return analyzer.NewConn("Cbench", id, 0, Name, d)
}

// A typical exchange: a query with EDNS, a reply with a CNAME and two
// addresses, compressed, plus the OPT record.
var (
	benchQuery = newMsg(0x4a2f, fRD).q("www.example.com", typeA, 1).
			rr(3, wire(""), typeOPT, 1232, 0, nil).bytes()
	benchReply = newMsg(0x4a2f, fQR|fRD|fRA).q("www.example.com", typeA, 1).
			rr(1, ptr(12), typeCNAME, 1, 300, cat([]byte{3, 'c', 'd', 'n'}, ptr(16))).
			rr(1, ptr(45), typeA, 1, 60, []byte{192, 0, 2, 1}).
			rr(1, ptr(45), typeA, 1, 60, []byte{192, 0, 2, 2}).
			rr(3, wire(""), typeOPT, 1232, 0, nil).bytes()
)

// TestDatagramAllocs guards the parse path: parsing allocates nothing once
// the session is warm, and a completed record costs two allocations (the
// event with its answers, and one string for its text).
func TestDatagramAllocs(t *testing.T) {
	a, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var sink discardSink
	s := a.newSession(sink.conn(udpID(53)))
	ts := int64(1)
	pair := func() {
		ts += 1000
		s.Datagram(ts, true, benchQuery)
		s.Datagram(ts+500, false, benchReply)
	}
	pair() // warm up buffers
	if n := testing.AllocsPerRun(200, pair); n != 2 {
		t.Errorf("query and reply: %v allocations, want 2 (the record)", n)
	}
	if sink.records < 200 {
		t.Fatalf("%d records", sink.records)
	}
	// Messages that publish nothing allocate nothing: a reply of a NetBIOS
	// opcode dns.log does not track, a malformed message, Detect.
	nb := a.newSession(sink.conn(udpID(137)))
	release := newMsg(1, fQR|opFlags(6)).q("EBEBEBEBEBEBEBEBEBEBEBEBEBEBEBAA", typeNBS, 1).
		an("EBEBEBEBEBEBEBEBEBEBEBEBEBEBEBAA", typeNBS, 0, []byte{0, 0, 198, 18, 0, 1}).bytes()
	bad := append([]byte(nil), benchReply[:40]...)
	if n := testing.AllocsPerRun(200, func() {
		nb.Datagram(ts, false, release)
		nb.Datagram(ts, false, bad[:5])
		a.Detect(true, benchReply)
	}); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// BenchmarkDNSDatagram measures parse, pairing, formatting and publication
// of DNS over UDP, in messages per second.
func BenchmarkDNSDatagram(b *testing.B) {
	a, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	var sink discardSink
	// report gives messages per second and per-message cost in wall time
	// and in process CPU time (GC included), which stays meaningful when
	// other processes share the cores.
	var cpu0 int64
	report := func(b *testing.B, msgs int) {
		b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(msgs), "ns/msg")
		if cpu := processCPU() - cpu0; cpu > 0 {
			b.ReportMetric(float64(cpu)/float64(msgs), "cpu-ns/msg")
		}
	}
	b.Run("pair-same-conn", func(b *testing.B) {
		s := a.newSession(sink.conn(udpID(53)))
		b.ReportAllocs()
		ts := int64(0)
		cpu0 = processCPU()
		for b.Loop() {
			ts += 1000
			s.Datagram(ts, true, benchQuery)
			s.Datagram(ts+500, false, benchReply)
		}
		report(b, 2*b.N)
	})
	b.Run("pair-new-conn", func(b *testing.B) {
		// Each transaction on its own connection (a new source port), as
		// resolvers send them: session start and End included.
		conn := sink.conn(udpID(53))
		b.ReportAllocs()
		ts := int64(0)
		cpu0 = processCPU()
		for b.Loop() {
			ts += 1000
			s := a.NewSession(conn)
			s.Datagram(ts, true, benchQuery)
			s.Datagram(ts+500, false, benchReply)
			s.End(ts + 1000)
		}
		report(b, 2*b.N)
	})
}
