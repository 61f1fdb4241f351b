package antest

import (
	"errors"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/file"
)

// FeedPcap is a test-only stand-in for the connection tracker: it reads a
// capture, reassembles each TCP connection in the simplest way that is
// right for clean captures (in-order delivery, retransmissions trimmed,
// out-of-order segments held until the hole fills, FIN and RST passed on),
// and drives one analyzer session per connection. Like Zeek's HTTP
// analyzer, it ignores connections whose SYN was not captured.

type PcapConn[S analyzer.Sink] struct {
	ID      event.ConnID
	origKey netip.AddrPort
	dirs    [2]pcapDir
	sess    analyzer.Session
	Sink    S
	started bool // session created (first payload seen)
	partial bool // no SYN seen: not analyzed
	ended   bool
	first   int64
}

type pcapDir struct {
	isnSet  bool
	next    uint32 // next expected sequence number
	held    map[uint32][]byte
	fin     bool
	finSeq  uint32
	eofSent bool
}

type flowKey struct{ a, b netip.AddrPort }

func mkKey(src, dst netip.AddrPort) flowKey {
	if src.Addr().Less(dst.Addr()) || src.Addr() == dst.Addr() && src.Port() < dst.Port() {
		return flowKey{src, dst}
	}
	return flowKey{dst, src}
}

// SessionFactory starts a session for a connection whose first payload is
// first (from the originator when isOrig); nil means not this protocol.
type SessionFactory func(c *analyzer.Conn, isOrig bool, first []byte) analyzer.Session

// FeedPcap runs every TCP connection of the capture through sessions made
// by mk, each reporting to a sink from newSink, and returns the connections
// in start order.
func FeedPcap[S analyzer.Sink](t testing.TB, path string, newSink func() S, mk SessionFactory) []*PcapConn[S] {
	t.Helper()
	src, err := file.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dec := decode.NewDecoder(decode.Config{})
	conns := map[flowKey]*PcapConn[S]{}
	var order []*PcapConn[S]
	var frame sources.Frame
	var pkt, inner decode.Packet
	var lastTS int64
	for {
		if err := src.Next(&frame); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Logf("%s: %v", path, err)
			}
			break
		}
		pkt.TS, pkt.Link, pkt.Data, pkt.WireLen = frame.TS, frame.Link, frame.Data, frame.WireLen
		dec.Decode(&pkt)
		p := &pkt
		for p.Status == decode.OK && p.Tunnel.InnerLink != 0 {
			dec.DecodeInner(p, &inner)
			p = &inner
		}
		if p.Status != decode.OK || p.Proto != 6 {
			continue
		}
		lastTS = p.TS
		s := netip.AddrPortFrom(pcapAddr(p.Src), p.SrcPort)
		d := netip.AddrPortFrom(pcapAddr(p.Dst), p.DstPort)
		k := mkKey(s, d)
		c := conns[k]
		syn := p.TCPFlags&decode.SYN != 0
		if c != nil && c.ended && syn && p.TCPFlags&decode.ACK == 0 {
			c = nil // port reuse
		}
		if c == nil {
			c = &PcapConn[S]{first: p.TS, Sink: newSink()}
			orig, resp := s, d
			if syn && p.TCPFlags&decode.ACK != 0 {
				orig, resp = d, s // SYN-ACK first: the other side opened
			}
			c.origKey = orig
			c.ID = event.ConnID{OrigH: orig.Addr(), OrigP: orig.Port(), RespH: resp.Addr(), RespP: resp.Port(), Proto: event.TransportTCP}
			c.partial = !syn
			conns[k] = c
			order = append(order, c)
		}
		if c.ended || c.partial {
			continue
		}
		isOrig := s == c.origKey
		di := &c.dirs[dir(isOrig)]
		seq := p.Seq
		payload := p.Payload
		if syn {
			di.isnSet = true
			di.next = seq + 1
			continue
		}
		if !di.isnSet {
			di.isnSet = true
			di.next = seq
		}
		if p.TCPFlags&decode.RST != 0 {
			if c.sess != nil {
				if r, ok := c.sess.(interface{ Reset(int64) }); ok {
					r.Reset(p.TS)
				}
			}
			continue
		}
		if p.TCPFlags&decode.FIN != 0 {
			di.fin = true
			di.finSeq = seq + uint32(len(payload))
		}
		if len(payload) > 0 {
			if !c.started {
				c.started = true
				conn := analyzer.NewConn("C"+strconv.Itoa(len(order)), c.ID, c.first, "test", c.Sink)
				c.sess = mk(conn, isOrig, payload)
			}
			c.deliver(di, isOrig, seq, payload, p.TS)
		}
		c.checkEOF(di, isOrig, p.TS)
	}
	for _, c := range order {
		if c.sess != nil && !c.ended {
			c.sess.End(lastTS)
		}
	}
	return order
}

func pcapAddr(a [16]byte) netip.Addr { return netip.AddrFrom16(a).Unmap() }

func (c *PcapConn[S]) deliver(di *pcapDir, isOrig bool, seq uint32, b []byte, ts int64) {
	if c.sess == nil {
		return
	}
	// Trim what was delivered already.
	if d := int32(di.next - seq); d > 0 {
		if int(d) >= len(b) {
			return
		}
		b, seq = b[d:], di.next
	}
	if seq != di.next {
		if di.held == nil {
			di.held = map[uint32][]byte{}
		}
		di.held[seq] = slices.Clone(b)
		return
	}
	c.sess.Stream(ts, isOrig, b)
	di.next += uint32(len(b))
	for {
		progressed := false
		for s, hb := range di.held {
			if d := int32(di.next - s); d >= 0 {
				delete(di.held, s)
				if int(d) < len(hb) {
					c.sess.Stream(ts, isOrig, hb[d:])
					di.next += uint32(len(hb) - int(d))
				}
				progressed = true
			}
		}
		if !progressed {
			return
		}
	}
}

func (c *PcapConn[S]) checkEOF(di *pcapDir, isOrig bool, ts int64) {
	if c.sess == nil || !di.fin || di.eofSent || di.next != di.finSeq {
		return
	}
	di.eofSent = true
	if e, ok := c.sess.(interface{ EndOfStream(int64, bool) }); ok {
		e.EndOfStream(ts, isOrig)
	}
}
