package conn

import (
	"net/netip"
	"testing"
	"time"

	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
)

// Endpoints used by the scripted scenarios.
var (
	cli = netip.MustParseAddr("198.18.0.1")
	srv = netip.MustParseAddr("198.18.0.2")
)

const (
	cport = 40000
	sport = 80
	t0    = int64(1_700_000_000_000_000_000)
	ms    = int64(time.Millisecond)
)

// seg describes one TCP segment of a scenario: from the client (c2s) or the
// server, flags, sequence and ack numbers, payload length, time offset.
type seg struct {
	c2s      bool
	flags    uint8
	seq, ack uint32
	n        int
	at       int64
	win      uint16
	bad      bool
	trunc    bool
}

const (
	S  = decode.SYN
	A  = decode.ACK
	F  = decode.FIN
	R  = decode.RST
	P  = decode.PSH
	SA = decode.SYN | decode.ACK
	FA = decode.FIN | decode.ACK
	RA = decode.RST | decode.ACK
	PA = decode.PSH | decode.ACK
)

func addr16(a netip.Addr) [16]byte { return a.As16() }

func tcpPacket(s seg) *decode.Packet {
	p := &decode.Packet{TS: t0 + s.at*ms, Status: decode.OK, IPVersion: 4, Proto: 6}
	src, dst, sp, dp := cli, srv, uint16(cport), uint16(sport)
	if !s.c2s {
		src, dst, sp, dp = srv, cli, sport, cport
	}
	p.Src, p.Dst, p.SrcPort, p.DstPort = addr16(src), addr16(dst), sp, dp
	p.Seq, p.Ack, p.TCPFlags = s.seq, s.ack, s.flags
	p.Window = s.win
	p.PayloadLen = s.n
	if !s.trunc {
		p.Payload = make([]byte, s.n)
	} else {
		p.Truncated = true
	}
	p.IPTotalLen = 40 + s.n
	p.BadChecksum = s.bad
	return p
}

// runTCP feeds the segments and returns the ConnEnd records in order.
func runTCP(t *testing.T, segs []seg) []*event.Conn {
	t.Helper()
	cfg := DefaultConfig()
	tr := NewTracker(cfg)
	var now int64
	for _, s := range segs {
		p := tcpPacket(s)
		if p.TS > now {
			now = p.TS
		}
		tr.Packet(p, now)
	}
	tr.Flush(now)
	var out []*event.Conn
	for _, ev := range tr.TakeEvents() {
		if ev.Kind == event.KindConnEnd {
			out = append(out, ev.Conn)
		}
	}
	return out
}

func TestTCPStates(t *testing.T) {
	const ci, si = 1000, 5000 // initial sequence numbers
	tests := []struct {
		name      string
		segs      []seg
		state     string
		history   string
		ob, rb    uint64
		op, rp    uint64
		origIsCli bool
	}{
		{
			name: "SF full exchange",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1},
				{c2s: true, flags: A, seq: ci + 1, ack: si + 1, at: 2},
				{c2s: true, flags: PA, seq: ci + 1, ack: si + 1, n: 100, at: 3},
				{flags: A, seq: si + 1, ack: ci + 101, at: 4},
				{flags: PA, seq: si + 1, ack: ci + 101, n: 300, at: 5},
				{c2s: true, flags: A, seq: ci + 101, ack: si + 301, at: 6},
				{c2s: true, flags: FA, seq: ci + 101, ack: si + 301, at: 7},
				{flags: FA, seq: si + 301, ack: ci + 102, at: 8},
				{c2s: true, flags: A, seq: ci + 102, ack: si + 302, at: 9},
			},
			state: "SF", history: "ShADadFf", ob: 100, rb: 300, op: 6, rp: 4, origIsCli: true,
		},
		{
			name: "REJ",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: RA, seq: 0, ack: ci + 1, at: 1},
			},
			state: "REJ", history: "Sr", op: 1, rp: 1, origIsCli: true,
		},
		{
			name:  "S0 with retransmitted SYN",
			segs:  []seg{{c2s: true, flags: S, seq: ci, at: 0}, {c2s: true, flags: S, seq: ci, at: 1000}, {c2s: true, flags: S, seq: ci, at: 3000}},
			state: "S0", history: "S", op: 3, origIsCli: true,
		},
		{
			name: "S1 established, no close",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1},
				{c2s: true, flags: A, seq: ci + 1, ack: si + 1, at: 2},
			},
			state: "S1", history: "ShA", op: 2, rp: 1, origIsCli: true,
		},
		{
			name: "RSTO after data",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1},
				{c2s: true, flags: PA, seq: ci + 1, ack: si + 1, n: 10, at: 2},
				{flags: A, seq: si + 1, ack: ci + 11, at: 3},
				{c2s: true, flags: RA, seq: ci + 11, ack: si + 1, at: 4},
			},
			state: "RSTO", history: "ShDaR", ob: 10, op: 3, rp: 2, origIsCli: true,
		},
		{
			name: "RSTR after data",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1},
				{c2s: true, flags: PA, seq: ci + 1, ack: si + 1, n: 10, at: 2},
				{flags: RA, seq: si + 1, ack: ci + 11, at: 3},
			},
			state: "RSTR", history: "ShDr", ob: 10, op: 2, rp: 2, origIsCli: true,
		},
		{
			name: "RSTOS0",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{c2s: true, flags: R, seq: ci + 1, at: 1},
			},
			state: "RSTOS0", history: "SR", op: 2, origIsCli: true,
		},
		{
			name: "SH: SYN then FIN",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{c2s: true, flags: F, seq: ci + 1, at: 1},
			},
			state: "SH", history: "SF", op: 2, origIsCli: true,
		},
		{
			name: "retransmitted data",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1},
				{c2s: true, flags: A, seq: ci + 1, ack: si + 1, at: 2},
				{c2s: true, flags: PA, seq: ci + 1, ack: si + 1, n: 100, at: 3},
				{c2s: true, flags: PA, seq: ci + 1, ack: si + 1, n: 100, at: 300},
				{flags: A, seq: si + 1, ack: ci + 101, at: 301},
			},
			state: "S1", history: "ShADTa", ob: 100, op: 4, rp: 2, origIsCli: true,
		},
		{
			name: "content gap",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1},
				{c2s: true, flags: A, seq: ci + 1, ack: si + 1, at: 2},
				{c2s: true, flags: PA, seq: ci + 101, ack: si + 1, n: 100, at: 3}, // first 100 bytes lost
				{flags: A, seq: si + 1, ack: ci + 201, at: 4},
			},
			state: "S1", history: "ShADaG", ob: 200, op: 3, rp: 2, origIsCli: true,
		},
		{
			name: "midstream (no SYN): OTH, flipped by port",
			segs: []seg{
				{flags: PA, seq: si + 1, ack: ci + 1, n: 50, at: 0},
				{c2s: true, flags: A, seq: ci + 1, ack: si + 51, at: 1},
			},
			state: "OTH", history: "^dA", rb: 50, op: 1, rp: 1, origIsCli: true,
		},
		{
			name: "bad checksum ignored",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1, bad: true},
			},
			state: "S0", history: "Sc", op: 1, origIsCli: true,
		},
		{
			name:  "multi-flag SYN+FIN (Q)",
			segs:  []seg{{c2s: true, flags: S | F, seq: ci, at: 0}},
			state: "SH", history: "Q", op: 1, origIsCli: true,
		},
		{
			name: "FIN+RST (I)",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1},
				{c2s: true, flags: F | R | A, seq: ci + 1, ack: si + 1, at: 2},
			},
			state: "RSTO", history: "ShI", op: 2, rp: 1, origIsCli: true,
		},
		{
			// The SYN-ACK from port 80 makes the server the responder at
			// once (likely server port); the late SYN leaves the
			// originator in SYN_SENT, so Zeek calls it OTH.
			name: "SYN-ACK seen before SYN: flipped by port (^)",
			segs: []seg{
				{flags: SA, seq: si, ack: ci + 1, at: 0},
				{c2s: true, flags: S, seq: ci, at: 1},
				{c2s: true, flags: A, seq: ci + 1, ack: si + 1, at: 2},
			},
			state: "OTH", history: "^hSA", op: 2, rp: 1, origIsCli: true,
		},
		{
			name: "FIN repeated at a new sequence number repeats F",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1},
				{c2s: true, flags: A, seq: ci + 1, ack: si + 1, at: 2},
				{c2s: true, flags: FA, seq: ci + 1, ack: si + 1, at: 3},
				{c2s: true, flags: PA, seq: ci + 1, ack: si + 1, n: 10, at: 4},
				{c2s: true, flags: FA, seq: ci + 11, ack: si + 1, at: 5},
			},
			state: "S2", history: "ShAFDF", ob: 10, op: 5, rp: 1, origIsCli: true,
		},
		{
			name: "zero window",
			segs: []seg{
				{c2s: true, flags: S, seq: ci, at: 0},
				{flags: SA, seq: si, ack: ci + 1, at: 1},
				{c2s: true, flags: A, seq: ci + 1, ack: si + 1, at: 2, win: 0},
			},
			state: "S1", history: "ShAW", op: 2, rp: 1, origIsCli: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Windows default to 65535 except where a scenario sets 0 explicitly.
			for i := range tc.segs {
				if tc.segs[i].win == 0 && !(tc.name == "zero window" && i == 2) {
					tc.segs[i].win = 65535
				}
			}
			got := runTCP(t, tc.segs)
			if len(got) != 1 {
				t.Fatalf("got %d connections, want 1", len(got))
			}
			c := got[0]
			if c.ConnState != tc.state || c.History != tc.history {
				t.Errorf("state %s history %q, want %s %q", c.ConnState, c.History, tc.state, tc.history)
			}
			if c.Duration > 0 && (c.OrigBytes != tc.ob || c.RespBytes != tc.rb) {
				t.Errorf("bytes %d/%d, want %d/%d", c.OrigBytes, c.RespBytes, tc.ob, tc.rb)
			}
			if c.OrigPkts != tc.op || c.RespPkts != tc.rp {
				t.Errorf("pkts %d/%d, want %d/%d", c.OrigPkts, c.RespPkts, tc.op, tc.rp)
			}
			if (c.ID.OrigH == cli) != tc.origIsCli {
				t.Errorf("originator %s, want client=%v", c.ID.OrigH, tc.origIsCli)
			}
		})
	}
}

func TestScaledHistory(t *testing.T) {
	c := &Conn{}
	var cnt, th uint32 = 0, 1
	for i := 0; i < 150; i++ {
		c.scaledHistory('t', &cnt, &th)
	}
	if got := string(c.history); got != "ttt" {
		t.Fatalf("history after 150 retransmissions %q, want ttt (at 1, 10, 100)", got)
	}
}

func TestRSTOS0Pattern(t *testing.T) {
	for h, want := range map[string]bool{"SR": true, "^SR": true, "SdR": true, "SAR": false, "ShR": true, "SHR": false, "R": false, "SRf": true} {
		if got := rstos0([]byte(h)); got != want {
			t.Errorf("rstos0(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestInactivityTimeoutSplitsUDP(t *testing.T) {
	tr := NewTracker(DefaultConfig())
	mk := func(at int64) *decode.Packet {
		return &decode.Packet{TS: t0 + at, Status: decode.OK, IPVersion: 4, Proto: 17,
			Src: addr16(cli), Dst: addr16(srv), SrcPort: 5000, DstPort: 53, PayloadLen: 20, IPTotalLen: 48}
	}
	tr.Packet(mk(0), t0)
	tr.Packet(mk(int64(2*time.Minute)), t0+int64(2*time.Minute))
	tr.Flush(t0 + int64(2*time.Minute))
	var ends []*event.Conn
	for _, ev := range tr.TakeEvents() {
		if ev.Kind == event.KindConnEnd {
			ends = append(ends, ev.Conn)
		}
	}
	if len(ends) != 2 {
		t.Fatalf("got %d connections, want 2 (split by the 1 min UDP inactivity timeout)", len(ends))
	}
	if ends[0].ConnState != "S0" || ends[0].History != "D" || ends[0].UID == ends[1].UID {
		t.Errorf("first conn %+v", ends[0])
	}
}

func TestTrackerNoAllocs(t *testing.T) {
	tr := NewTracker(DefaultConfig())
	segs := []seg{
		{c2s: true, flags: S, seq: 1, win: 1000},
		{flags: SA, seq: 9, ack: 2, win: 1000},
		{c2s: true, flags: PA, seq: 2, ack: 10, n: 100, win: 1000},
		{flags: A, seq: 10, ack: 102, win: 1000},
	}
	pkts := make([]*decode.Packet, len(segs))
	for i, s := range segs {
		pkts[i] = tcpPacket(s)
	}
	now := t0
	for _, p := range pkts {
		tr.Packet(p, now)
	}
	// Steady state: packets on an existing connection.
	data := tcpPacket(seg{c2s: true, flags: PA, seq: 102, ack: 10, n: 100, win: 1000})
	ack := tcpPacket(seg{flags: A, seq: 10, ack: 202, win: 1000})
	seq := uint32(102)
	allocs := testing.AllocsPerRun(1000, func() {
		data.Seq = seq
		ack.Ack = seq + 100
		seq += 100
		tr.Packet(data, now)
		tr.Packet(ack, now)
		tr.TakeEvents()
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per packet pair on an established connection, want 0", allocs)
	}
}

// A SYN with a new initial sequence number on a live 5-tuple starts a new
// connection (Zeek's IsReuse) and both get distinct uids.
func TestSYNWithNewSeqIsReuse(t *testing.T) {
	got := runTCP(t, []seg{
		{c2s: true, flags: S, seq: 1000, at: 0, win: 100},
		{c2s: true, flags: S, seq: 9000, at: 1000, win: 100},
	})
	if len(got) != 2 || got[0].UID == got[1].UID {
		t.Fatalf("got %d connections, want 2 with distinct uids", len(got))
	}
}

// Apply changes a running tracker: a lower connection bound evicts the
// longest idle at once; a new UDP timeout applies to new connections.
func TestApplySettings(t *testing.T) {
	tr := NewTracker(DefaultConfig())
	for i := 0; i < 10; i++ {
		p := &decode.Packet{TS: t0 + int64(i), Status: decode.OK, IPVersion: 4, Proto: 17, Src: addr16(cli), Dst: addr16(srv),
			SrcPort: uint16(5000 + i), DstPort: 53, PayloadLen: 20, IPTotalLen: 48}
		tr.Packet(p, p.TS)
	}
	s := DefaultConfig().Settings()
	s.MaxConns = 4
	s.UDPInactivity = time.Second
	tr.Apply(s, t0+100)
	var ends []*event.Conn
	for _, ev := range tr.TakeEvents() {
		if ev.Kind == event.KindConnEnd {
			ends = append(ends, ev.Conn)
		}
	}
	if len(ends) != 6 || ends[0].ID.OrigP != 5000 || tr.Stats().EvictedByLimit != 6 {
		t.Fatalf("%d connections ended (first from port %d), want the 6 idle longest", len(ends), ends[0].ID.OrigP)
	}
	p := &decode.Packet{TS: t0 + 200, Status: decode.OK, IPVersion: 4, Proto: 17, Src: addr16(cli), Dst: addr16(srv),
		SrcPort: 6000, DstPort: 53, PayloadLen: 20, IPTotalLen: 48}
	tr.Packet(p, p.TS)
	tr.TakeEvents()
	tr.Advance(t0 + 200 + int64(2*time.Second))
	n := 0
	for _, ev := range tr.TakeEvents() {
		if ev.Kind == event.KindConnEnd && ev.Conn.ID.OrigP == 6000 {
			n++
		}
	}
	if n != 1 {
		t.Error("a connection created after Apply did not use its 1 s UDP timeout")
	}
}
