package conn

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/core/flow"
)

// recAnalyzer records what its sessions receive. It detects "HELLO" from
// the originator, confirms on "OK" from the responder and reports a
// violation on "BAD".
type recAnalyzer struct {
	ports    []uint16
	sessions []*recSession
}

type recSession struct {
	c          *analyzer.Conn
	orig, resp bytes.Buffer
	gaps       []string
	ended      bool
}

func (a *recAnalyzer) Name() string                   { return "rec" }
func (a *recAnalyzer) Transports() analyzer.Transport { return analyzer.TCP | analyzer.UDP }
func (a *recAnalyzer) Ports() []uint16                { return a.ports }
func (a *recAnalyzer) Detect(isOrig bool, b []byte) analyzer.Verdict {
	if !isOrig {
		return analyzer.NoMatch
	}
	if len(b) < 5 {
		if strings.HasPrefix("HELLO", string(b)) {
			return analyzer.NeedMore
		}
		return analyzer.NoMatch
	}
	if string(b[:5]) == "HELLO" {
		return analyzer.Match
	}
	return analyzer.NoMatch
}
func (a *recAnalyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	s := &recSession{c: c}
	a.sessions = append(a.sessions, s)
	return s
}
func (s *recSession) Stream(ts int64, isOrig bool, b []byte) {
	if isOrig {
		s.orig.Write(b)
	} else {
		s.resp.Write(b)
		if bytes.Contains(s.resp.Bytes(), []byte("OK")) {
			s.c.Confirm()
		}
		if bytes.Contains(b, []byte("BAD")) {
			s.c.Violation("bad reply")
		}
	}
}
func (s *recSession) Gap(ts int64, isOrig bool, n uint64) {
	s.gaps = append(s.gaps, fmt.Sprintf("%v:%d", isOrig, n))
	if isOrig {
		s.orig.WriteString(fmt.Sprintf("<gap %d>", n))
	}
}
func (s *recSession) Datagram(ts int64, isOrig bool, b []byte) { s.Stream(ts, isOrig, b) }
func (s *recSession) End(ts int64)                             { s.ended = true }

type dseg struct {
	c2s      bool
	flags    uint8
	seq, ack uint32
	data     string
}

// runApp runs a TCP exchange on port 80 (the scenarios use the client as
// originator) through a tracker with the recording analyzer.
func runApp(t *testing.T, an *recAnalyzer, port uint16, segs []dseg) (*event.Conn, *recAnalyzer) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Analyzers = []analyzer.Analyzer{an}
	tr := NewTracker(cfg)
	for i, s := range segs {
		p := tcpPacket(seg{c2s: s.c2s, flags: s.flags, seq: s.seq, ack: s.ack, n: len(s.data), at: int64(i), win: 1000})
		copy(p.Payload, s.data)
		if s.c2s {
			p.DstPort = port
		} else {
			p.SrcPort = port
		}
		tr.Packet(p, p.TS)
	}
	tr.Flush(t0 + 1e9)
	var end *event.Conn
	for _, ev := range tr.TakeEvents() {
		if ev.Kind == event.KindConnEnd {
			end = ev.Conn
		}
	}
	return end, an
}

func handshake() []dseg {
	return []dseg{
		{c2s: true, flags: decode.SYN, seq: 100},
		{flags: decode.SYN | decode.ACK, seq: 500, ack: 101},
		{c2s: true, flags: decode.ACK, seq: 101, ack: 501},
	}
}

func TestReassemblyInOrderAndDetection(t *testing.T) {
	segs := append(handshake(),
		dseg{c2s: true, flags: PA, seq: 101, ack: 501, data: "HELLO "},
		dseg{c2s: true, flags: PA, seq: 107, ack: 501, data: "world"},
		dseg{flags: PA, seq: 501, ack: 112, data: "OK"},
	)
	end, an := runApp(t, &recAnalyzer{}, 4444, segs)
	if len(an.sessions) != 1 {
		t.Fatalf("%d sessions, want 1 (content detection on a non-standard port)", len(an.sessions))
	}
	s := an.sessions[0]
	if s.orig.String() != "HELLO world" || s.resp.String() != "OK" || !s.ended {
		t.Errorf("orig %q resp %q ended %v", s.orig.String(), s.resp.String(), s.ended)
	}
	if len(end.Service) != 1 || end.Service[0] != "rec" {
		t.Errorf("service %v, want [rec]", end.Service)
	}
}

func TestReassemblyOutOfOrderAndOverlap(t *testing.T) {
	segs := append(handshake(),
		dseg{c2s: true, flags: PA, seq: 107, ack: 501, data: "world"},  // early
		dseg{c2s: true, flags: PA, seq: 109, ack: 501, data: "XXXX!"},  // overlaps "rld", extends with "X!"... first copy wins
		dseg{c2s: true, flags: PA, seq: 101, ack: 501, data: "HELLO "}, // fills the hole
	)
	_, an := runApp(t, &recAnalyzer{}, 4444, segs)
	if len(an.sessions) != 1 {
		t.Fatalf("%d sessions", len(an.sessions))
	}
	if got := an.sessions[0].orig.String(); got != "HELLO worldX!" {
		t.Errorf("stream %q, want %q (in order, first copy wins)", got, "HELLO worldX!")
	}
}

func TestReassemblyGapDelivered(t *testing.T) {
	segs := append(handshake(),
		dseg{c2s: true, flags: PA, seq: 101, ack: 501, data: "HELLO "},
		dseg{c2s: true, flags: PA, seq: 117, ack: 501, data: "tail"}, // 10 bytes missing before
		dseg{flags: decode.ACK, seq: 501, ack: 121},
	)
	end, an := runApp(t, &recAnalyzer{}, 4444, segs)
	if len(an.sessions) != 1 {
		t.Fatalf("%d sessions", len(an.sessions))
	}
	if got := an.sessions[0].orig.String(); got != "HELLO <gap 10>tail" {
		t.Errorf("stream %q", got)
	}
	if end.MissedBytes != 10 || !strings.Contains(end.History, "G") {
		t.Errorf("missed_bytes %d history %q, want 10 and a G", end.MissedBytes, end.History)
	}
}

func TestPortHintAndViolation(t *testing.T) {
	segs := append(handshake(),
		dseg{c2s: true, flags: PA, seq: 101, ack: 501, data: "garbage"},
		dseg{flags: PA, seq: 501, ack: 108, data: "BAD"},
	)
	end, an := runApp(t, &recAnalyzer{ports: []uint16{80}}, 80, segs)
	if len(an.sessions) != 1 {
		t.Fatalf("port hint did not start the analyzer: %d sessions", len(an.sessions))
	}
	if len(end.Service) != 0 {
		t.Errorf("service %v after a violation, want none", end.Service)
	}
	// Without the port hint, garbage is never handed to the analyzer.
	_, an2 := runApp(t, &recAnalyzer{}, 80, segs)
	if len(an2.sessions) != 0 {
		t.Errorf("garbage on port 80 started %d sessions", len(an2.sessions))
	}
}

func TestReassemblyBounded(t *testing.T) {
	cfg := DefaultConfig()
	an := &recAnalyzer{}
	cfg.Analyzers = []analyzer.Analyzer{an}
	cfg.MaxReassemblyBytes = 4096
	tr := NewTracker(cfg)
	for i, s := range handshake() {
		p := tcpPacket(seg{c2s: s.c2s, flags: s.flags, seq: s.seq, ack: s.ack, at: int64(i), win: 1000})
		p.DstPort, p.SrcPort = 4444, 40000
		if !s.c2s {
			p.SrcPort, p.DstPort = 4444, 40000
		}
		tr.Packet(p, p.TS)
	}
	// First segment so detection starts, then a hole and a flood above it.
	first := tcpPacket(seg{c2s: true, flags: PA, seq: 101, ack: 501, n: 5, at: 5, win: 1000})
	copy(first.Payload, "HELLO")
	first.DstPort = 4444
	tr.Packet(first, first.TS)
	for i := 0; i < 1000; i++ {
		p := tcpPacket(seg{c2s: true, flags: PA, seq: uint32(2000 + i*1000), ack: 501, n: 1000, at: 6, win: 1000})
		p.DstPort = 4444
		tr.Packet(p, p.TS)
	}
	if tr.heldTotal > 4096 {
		t.Fatalf("held %d bytes, bound is 4096", tr.heldTotal)
	}
	if tr.Stats().ReassemblyRangesDropped == 0 {
		t.Error("no drops counted")
	}
	tr.Flush(t0 + 1e9)
	if tr.heldTotal != 0 {
		t.Errorf("%d bytes still held after flush", tr.heldTotal)
	}
}

// A port tap publishes the reassembled stream as StreamData events, with
// offsets, even without any analyzer.
func TestStreamDataTap(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Taps = []Tap{{Transport: analyzer.TCP, Ports: []uint16{6379}}}
	tr := NewTracker(cfg)
	segs := append(handshake(),
		dseg{c2s: true, flags: PA, seq: 107, ack: 501, data: "world"},
		dseg{c2s: true, flags: PA, seq: 101, ack: 501, data: "hello "},
		dseg{flags: PA, seq: 501, ack: 112, data: "+OK"},
	)
	for i, s := range segs {
		p := tcpPacket(seg{c2s: s.c2s, flags: s.flags, seq: s.seq, ack: s.ack, n: len(s.data), at: int64(i), win: 1000})
		copy(p.Payload, s.data)
		if s.c2s {
			p.DstPort = 6379
		} else {
			p.SrcPort = 6379
		}
		tr.Packet(p, p.TS)
	}
	var orig, resp string
	for _, ev := range tr.TakeEvents() {
		if ev.Kind == event.KindStreamData {
			if ev.Data.IsOrig {
				orig += fmt.Sprintf("%d:%s|", ev.Data.Seq, ev.Data.Bytes)
			} else {
				resp += fmt.Sprintf("%d:%s|", ev.Data.Seq, ev.Data.Bytes)
			}
		}
	}
	if orig != "0:hello |6:world|" || resp != "0:+OK|" {
		t.Errorf("stream data orig %q resp %q", orig, resp)
	}
}

// flipAnalyzer flips the roles on a datagram that starts with "REPLY" from
// the originator, like Zeek's NTP and DNS analyzers on a reply seen first.
type flipAnalyzer struct{ ids []event.ConnID }

type flipSession struct {
	a *flipAnalyzer
	c *analyzer.Conn
}

func (a *flipAnalyzer) Name() string                   { return "flip" }
func (a *flipAnalyzer) Transports() analyzer.Transport { return analyzer.UDP }
func (a *flipAnalyzer) Ports() []uint16                { return nil }
func (a *flipAnalyzer) Detect(_ bool, b []byte) analyzer.Verdict {
	if strings.HasPrefix(string(b), "RE") {
		return analyzer.Match
	}
	return analyzer.NoMatch
}
func (a *flipAnalyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	return &flipSession{a: a, c: c}
}
func (s *flipSession) Datagram(ts int64, isOrig bool, b []byte) {
	if isOrig && strings.HasPrefix(string(b), "REPLY") {
		if !s.c.FlipRoles() {
			panic("the tracker refused to flip a UDP connection")
		}
	}
	s.a.ids = append(s.a.ids, s.c.ID)
}
func (s *flipSession) Stream(int64, bool, []byte) {}
func (s *flipSession) Gap(int64, bool, uint64)    {}
func (s *flipSession) End(int64)                  {}

// A UDP analyzer's FlipRoles swaps the connection's roles as Zeek's
// Connection::FlipRoles: conn.log's endpoints and counters swap, a '^'
// joins the history, the session's ID follows, later datagrams carry the
// new roles, and the datagram that flipped stays counted for the
// originator (Zeek counts after its analyzers).
func TestUDPFlipRoles(t *testing.T) {
	an := &flipAnalyzer{}
	cfg := DefaultConfig()
	cfg.Analyzers = []analyzer.Analyzer{an}
	tr := NewTracker(cfg)
	srvPort, cliPort := uint16(7777), uint16(40000) // neither a likely server port
	// The server's reply is seen first, then the client's next request.
	reply := &decode.Packet{TS: t0, Status: decode.OK, IPVersion: 4, Proto: 17, Src: addr16(srv), Dst: addr16(cli),
		SrcPort: srvPort, DstPort: cliPort, PayloadLen: 10, IPTotalLen: 38, Payload: []byte("REPLY 0001")}
	req := &decode.Packet{TS: t0 + 1000, Status: decode.OK, IPVersion: 4, Proto: 17, Src: addr16(cli), Dst: addr16(srv),
		SrcPort: cliPort, DstPort: srvPort, PayloadLen: 7, IPTotalLen: 35, Payload: []byte("REQUEST")}
	tr.Packet(reply, reply.TS)
	tr.Packet(req, req.TS)
	tr.Flush(t0 + 1e9)
	var end *event.Conn
	for _, ev := range tr.TakeEvents() {
		if ev.Kind == event.KindConnEnd {
			end = ev.Conn
		}
	}
	if end == nil {
		t.Fatal("no connection")
	}
	if end.ID.OrigH != flow.Addr(addr16(cli)) || end.ID.OrigP != cliPort || end.ID.RespP != srvPort {
		t.Errorf("originator %v:%d, responder port %d: want the client as originator", end.ID.OrigH, end.ID.OrigP, end.ID.RespP)
	}
	if end.History != "D^" || end.OrigPkts != 2 || end.OrigBytes != 17 || end.OrigIPBytes != 73 || end.RespPkts != 0 || end.ConnState != "S0" {
		t.Errorf("history %q orig %d pkts %d bytes %d ip, resp %d pkts, state %s; want D^, 2/17/73, 0, S0",
			end.History, end.OrigPkts, end.OrigBytes, end.OrigIPBytes, end.RespPkts, end.ConnState)
	}
	if len(an.ids) != 2 || an.ids[0] != end.ID || an.ids[1] != end.ID {
		t.Errorf("session saw ids %v, want the flipped %v", an.ids, end.ID)
	}
}

// As Zeek's DPD::ignore_violations_after: a violation once the connection
// carries more than the limit is ignored; the service stays and the
// session goes on.
func TestViolationIgnoredDeepIntoConnection(t *testing.T) {
	big := strings.Repeat("x", 6000)
	segs := append(handshake(),
		dseg{c2s: true, flags: PA, seq: 101, ack: 501, data: "HELLO" + big},
		dseg{flags: PA, seq: 501, ack: 6106, data: "OK" + big},
		dseg{flags: PA, seq: 6503, ack: 6106, data: "BAD"},
	)
	end, _ := runApp(t, &recAnalyzer{}, 9999, segs)
	if len(end.Service) != 1 || end.Service[0] != "rec" {
		t.Errorf("service %v after a violation 12 KB in, want rec kept", end.Service)
	}
	// Early, the same violation removes the service.
	segs = append(handshake(),
		dseg{c2s: true, flags: PA, seq: 101, ack: 501, data: "HELLO"},
		dseg{flags: PA, seq: 501, ack: 106, data: "OK"},
		dseg{flags: PA, seq: 503, ack: 106, data: "BAD"},
	)
	if end, _ := runApp(t, &recAnalyzer{}, 9999, segs); len(end.Service) != 0 {
		t.Errorf("service %v after an early violation, want none", end.Service)
	}
}

// expiring asks, on its first datagram, for the connection to be removed
// once idle 9 s, checked every 10 s (Zeek's DNS analyzer over UDP).
type expiring struct{ flipAnalyzer }

type expiringSession struct{ flipSession }

func (a *expiring) Name() string { return "exp" }
func (a *expiring) NewSession(c *analyzer.Conn) analyzer.Session {
	c.ExpireIdle(10e9, 9e9)
	return &expiringSession{flipSession{a: &a.flipAnalyzer, c: c}}
}
func (s *expiringSession) Datagram(int64, bool, []byte) {}

// An analyzer's idle expiry removes the connection once idle long enough,
// so a flow that pauses past it becomes two connections, as in Zeek.
func TestAnalyzerIdleExpiry(t *testing.T) {
	run := func(gaps ...int64) []*event.Conn {
		cfg := DefaultConfig()
		cfg.Analyzers = []analyzer.Analyzer{&expiring{}}
		tr := NewTracker(cfg)
		at := t0
		for _, g := range append([]int64{0}, gaps...) {
			at += g
			p := &decode.Packet{TS: at, Status: decode.OK, IPVersion: 4, Proto: 17, Src: addr16(cli), Dst: addr16(srv),
				SrcPort: 40000, DstPort: 7777, PayloadLen: 7, IPTotalLen: 35, Payload: []byte("REQUEST")}
			tr.Advance(at)
			tr.Packet(p, at)
		}
		tr.Flush(at + 1)
		var ends []*event.Conn
		for _, ev := range tr.TakeEvents() {
			if ev.Kind == event.KindConnEnd {
				ends = append(ends, ev.Conn)
			}
		}
		return ends
	}
	// 8 s of quiet: at the 10 s check the flow was idle 2 s; one connection.
	if ends := run(8e9); len(ends) != 1 || ends[0].OrigPkts != 2 {
		t.Errorf("8 s pause: %d connections, want 1 with both packets", len(ends))
	}
	// 25 s of quiet: removed at the 10 s check (idle 10 s); two connections,
	// the first lasting no longer than its one packet.
	if ends := run(25e9); len(ends) != 2 || ends[0].Duration != 0 || ends[0].OrigPkts != 1 {
		t.Errorf("25 s pause: %d connections (%+v), want 2", len(ends), ends)
	}
}
