package main

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Directions of a scripted connection.
const (
	orig = 0 // the client, the side that sends the SYN
	resp = 1 // the server
)

const (
	usec = time.Microsecond
	msec = time.Millisecond
)

// tcpConn scripts one TCP connection. seq holds the next sequence number
// each side will send; a pure ACK acknowledges everything the other side
// has sent, which is what a receiver does when the capture point, not the
// network, missed a segment.
type tcpConn struct {
	c    *capture
	h    [2]*host
	port [2]uint16
	iss  [2]uint32
	seq  [2]uint32
	win  [2]uint16
	mss  int
	rtt  time.Duration // time from a client packet to the server's answer
	gap  time.Duration // time between back-to-back segments
}

// tcp starts scripting a connection from cli:cport to srv:sport. The
// initial sequence numbers are a hash of the 5-tuple and the start time,
// so two connections on the same 5-tuple get different ones.
func (c *capture) tcp(cli, srv *host, cport, sport uint16) *tcpConn {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s %d %s %d %d", cli.addr, cport, srv.addr, sport, c.now.UnixNano())
	s := h.Sum64()
	t := &tcpConn{
		c:    c,
		h:    [2]*host{cli, srv},
		port: [2]uint16{cport, sport},
		iss:  [2]uint32{uint32(s), uint32(s >> 32)},
		win:  [2]uint16{502, 509},
		mss:  1460,
		rtt:  20 * msec,
		gap:  12 * usec,
	}
	if cli.v6() {
		t.mss = 1440
	}
	t.seq = t.iss
	return t
}

// build makes the IP packet for one segment. flags is a string of
// S, A, F, R, P, U letters.
func (t *tcpConn) build(dir int, seq, ack uint32, flags string, payload []byte) []byte {
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(t.port[dir]),
		DstPort: layers.TCPPort(t.port[1-dir]),
		Seq:     seq,
		SYN:     strings.Contains(flags, "S"),
		ACK:     strings.Contains(flags, "A"),
		FIN:     strings.Contains(flags, "F"),
		RST:     strings.Contains(flags, "R"),
		PSH:     strings.Contains(flags, "P"),
		URG:     strings.Contains(flags, "U"),
		Window:  t.win[dir],
	}
	if tcp.ACK {
		tcp.Ack = ack
	}
	if tcp.RST {
		tcp.Window = 0 // as Linux sends its resets
	}
	if tcp.SYN {
		// Linux's SYN options without timestamps: MSS, SACK permitted,
		// window scale 7.
		tcp.Window = 64240
		if tcp.ACK {
			tcp.Window = 65160
		}
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{byte(t.mss >> 8), byte(t.mss)}},
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		}
	}
	return ipPacket(t.h[dir], t.h[1-dir], layers.IPProtocolTCP, tcp, gopacket.Payload(payload))
}

func seqLen(flags string, payload []byte) uint32 {
	n := uint32(len(payload))
	if strings.Contains(flags, "S") {
		n++
	}
	if strings.Contains(flags, "F") {
		n++
	}
	return n
}

// seg sends a segment at the side's next sequence number and advances it.
func (t *tcpConn) seg(dir int, flags string, payload []byte) {
	t.c.send(t.h[dir], t.h[1-dir], t.build(dir, t.seq[dir], t.seq[1-dir], flags, payload))
	t.seq[dir] += seqLen(flags, payload)
}

// resend sends a segment at an earlier sequence number (a retransmission)
// without moving the side's next sequence number.
func (t *tcpConn) resend(dir int, seq uint32, flags string, payload []byte) {
	t.c.send(t.h[dir], t.h[1-dir], t.build(dir, seq, t.seq[1-dir], flags, payload))
}

// badChecksum sends a segment whose TCP checksum is wrong. The receiver
// drops it, so the sequence number does not move: the script resends.
func (t *tcpConn) badChecksum(dir int, flags string, payload []byte) {
	ip := t.build(dir, t.seq[dir], t.seq[1-dir], flags, payload)
	corruptL4Checksum(ip)
	t.c.send(t.h[dir], t.h[1-dir], ip)
}

// skip accounts for n bytes that were sent but not captured.
func (t *tcpConn) skip(dir int, n int) { t.seq[dir] += uint32(n) }

func (t *tcpConn) ack(dir int) { t.seg(dir, "A", nil) }

// handshake is SYN, SYN-ACK, ACK as seen near the client.
func (t *tcpConn) handshake() {
	t.seg(orig, "S", nil)
	t.c.wait(t.rtt)
	t.seg(resp, "SA", nil)
	t.c.wait(60 * usec)
	t.ack(orig)
}

// segments splits data into MSS-sized pieces.
func (t *tcpConn) segments(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		n := min(t.mss, len(data))
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// data sends data from dir in MSS-sized segments, PSH on the last, with
// the other side sending a pure ACK after every ackEvery segments and
// after the last (ackEvery 0: no ACKs). Segments whose index is in lost
// were sent but not captured.
func (t *tcpConn) data(dir int, data []byte, ackEvery int, lost ...int) {
	segs := t.segments(data)
	for i, s := range segs {
		flags := "A"
		if i == len(segs)-1 {
			flags = "PA"
		}
		if contains(lost, i) {
			t.skip(dir, len(s))
		} else {
			t.seg(dir, flags, s)
		}
		t.c.wait(t.gap)
		if ackEvery > 0 && ((i+1)%ackEvery == 0 || i == len(segs)-1) {
			t.c.wait(40 * usec)
			t.ack(1 - dir)
			t.c.wait(t.gap)
		}
	}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// exchange is a request from the client, a pure ACK from the server
// ('a' in Zeek's history), then the response, acknowledged by the client
// every second segment.
func (t *tcpConn) exchange(req, rsp []byte) {
	t.c.wait(80 * usec)
	t.data(orig, req, 0)
	t.c.wait(t.rtt)
	t.ack(resp)
	t.c.wait(time.Millisecond)
	t.data(resp, rsp, 2)
}

// close is FIN from dir, FIN-ACK from the other side, last ACK.
func (t *tcpConn) close(dir int) {
	t.c.wait(5 * msec)
	t.seg(dir, "FA", nil)
	t.c.wait(t.rtt)
	t.seg(1-dir, "FA", nil)
	t.c.wait(60 * usec)
	t.ack(dir)
}

// httpGet is an HTTP/1.1 request.
func httpGet(path string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\n" +
		"Host: www.example.test\r\n" +
		"User-Agent: weir-testdata/1\r\n" +
		"Accept: */*\r\n\r\n")
}

// httpPost is an HTTP/1.1 request with a body of n bytes.
func httpPost(path string, n int) []byte {
	h := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: weir-testdata/1\r\n"+
		"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", path, n)
	return append([]byte(h), body(n, 1)...)
}

// httpOK is an HTTP/1.1 200 response with a body of n bytes.
func httpOK(n int) []byte {
	h := fmt.Sprintf("HTTP/1.1 200 OK\r\nServer: weir-testdata\r\nContent-Type: text/plain\r\n"+
		"Content-Length: %d\r\n\r\n", n)
	return append([]byte(h), body(n, 2)...)
}

// exactly returns mk(n) for the body length n that makes the message
// total bytes long.
func exactly(total int, mk func(n int) []byte) []byte {
	for n := total - len(mk(0)); n >= 0; n-- {
		if m := mk(n); len(m) == total {
			return m
		}
	}
	panic("exactly: no body length fits")
}

// body is n bytes of numbered text lines, different for each seed.
func body(n int, seed int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "weir testdata %d line %06d abcdefghijklmnopqrstuvwxyz\n", seed, i)
	}
	return []byte(b.String()[:n])
}
