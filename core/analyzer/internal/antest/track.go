package antest

import (
	"net/netip"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/conn"
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
)

// Addresses of the connections Track builds (RFC 2544 benchmarking space).
var (
	Client = netip.MustParseAddr("198.18.0.1")
	Server = netip.MustParseAddr("198.18.0.2")
)

const (
	trackT0     = int64(1_700_000_000_000_000_000)
	trackStep   = int64(1_000_000) // 1 ms between packets
	clientPort  = 40000
	clientISN   = 1000
	serverISN   = 5000
	trackIPHdrs = 40
)

// TrackTCP runs a whole TCP connection from the client to port through the
// connection tracker with the given analyzers: handshake, one segment per
// piece (each acknowledged), FIN from both sides. It returns the
// connection's conn.log record, so a test sees the service exactly as the
// core computes it.
func TrackTCP(analyzers []analyzer.Analyzer, port uint16, pieces ...Piece) *event.Conn {
	cfg := conn.DefaultConfig()
	cfg.Analyzers = analyzers
	tr := conn.NewTracker(cfg)
	ts := trackT0
	cseq, sseq := uint32(clientISN), uint32(serverISN)
	send := func(c2s bool, flags uint8, payload []byte) {
		p := &decode.Packet{TS: ts, Status: decode.OK, IPVersion: 4, Proto: 6, Window: 65535}
		src, dst, sp, dp := Client, Server, uint16(clientPort), port
		seq, ack := cseq, sseq
		if !c2s {
			src, dst, sp, dp = Server, Client, port, clientPort
			seq, ack = sseq, cseq
		}
		p.Src, p.Dst, p.SrcPort, p.DstPort = src.As16(), dst.As16(), sp, dp
		p.Seq, p.Ack, p.TCPFlags = seq, ack, flags
		p.Payload, p.PayloadLen = payload, len(payload)
		p.IPTotalLen = trackIPHdrs + len(payload)
		tr.Packet(p, ts)
		ts += trackStep
		n := uint32(len(payload))
		if flags&(decode.SYN|decode.FIN) != 0 {
			n++
		}
		if c2s {
			cseq += n
		} else {
			sseq += n
		}
	}
	send(true, decode.SYN, nil)
	send(false, decode.SYN|decode.ACK, nil)
	send(true, decode.ACK, nil)
	for _, pc := range pieces {
		send(pc.IsOrig, decode.PSH|decode.ACK, pc.Data)
		send(!pc.IsOrig, decode.ACK, nil)
	}
	send(true, decode.FIN|decode.ACK, nil)
	send(false, decode.FIN|decode.ACK, nil)
	send(true, decode.ACK, nil)
	tr.Flush(ts + int64(3600e9))
	return connEnd(tr)
}

// TrackUDP runs datagrams between the client and port through the
// tracker and returns the connection's record.
func TrackUDP(analyzers []analyzer.Analyzer, port uint16, pieces ...Piece) *event.Conn {
	cfg := conn.DefaultConfig()
	cfg.Analyzers = analyzers
	tr := conn.NewTracker(cfg)
	ts := trackT0
	for _, pc := range pieces {
		p := &decode.Packet{TS: ts, Status: decode.OK, IPVersion: 4, Proto: 17}
		src, dst, sp, dp := Client, Server, uint16(clientPort), port
		if !pc.IsOrig {
			src, dst, sp, dp = Server, Client, port, clientPort
		}
		p.Src, p.Dst, p.SrcPort, p.DstPort = src.As16(), dst.As16(), sp, dp
		p.Payload, p.PayloadLen = pc.Data, len(pc.Data)
		p.IPTotalLen = 28 + len(pc.Data)
		tr.Packet(p, ts)
		ts += trackStep
	}
	tr.Flush(ts + int64(3600e9))
	return connEnd(tr)
}

func connEnd(tr *conn.Tracker) *event.Conn {
	for _, ev := range tr.TakeEvents() {
		if ev.Kind == event.KindConnEnd {
			return ev.Conn
		}
	}
	return nil
}

// FakeTLS is a stand-in for the TLS analyzer ("ssl") in tests of STARTTLS
// hand-offs: its sessions confirm on a TLS handshake record header and
// report a violation on anything else. It has no port hints and detects
// nothing by itself, so it runs only when handed a connection.
type FakeTLS struct{}

// Name implements analyzer.Analyzer.
func (FakeTLS) Name() string { return "ssl" }

// Transports implements analyzer.Analyzer.
func (FakeTLS) Transports() analyzer.Transport { return analyzer.TCP }

// Ports implements analyzer.Analyzer.
func (FakeTLS) Ports() []uint16 { return nil }

// Detect implements analyzer.Analyzer.
func (FakeTLS) Detect(bool, []byte) analyzer.Verdict { return analyzer.NoMatch }

// NewSession implements analyzer.Analyzer.
func (FakeTLS) NewSession(c *analyzer.Conn) analyzer.Session { return &fakeTLSSession{c: c} }

type fakeTLSSession struct {
	c    *analyzer.Conn
	done bool
}

func (s *fakeTLSSession) Stream(ts int64, isOrig bool, b []byte) {
	if s.done || len(b) == 0 {
		return
	}
	s.done = true
	if len(b) >= 3 && b[0] == 0x16 && b[1] == 3 {
		s.c.Confirm()
	} else {
		s.c.Violation("not a TLS record")
	}
}
func (s *fakeTLSSession) Gap(int64, bool, uint64)      {}
func (s *fakeTLSSession) Datagram(int64, bool, []byte) {}
func (s *fakeTLSSession) End(int64)                    {}

var _ analyzer.Analyzer = FakeTLS{}
