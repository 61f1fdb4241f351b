package main

import "time"

// The TCP scenarios. Each script runs against an Ethernet capture whose
// clock starts at the scenario's slot; client is 198.18.0.10 (or
// 2001:db8::10), server 198.18.0.20 (or 2001:db8::20).

func client4() *host { return newHost("198.18.0.10") }
func server4() *host { return newHost("198.18.0.20") }
func client6() *host { return newHost("2001:db8::10") }
func server6() *host { return newHost("2001:db8::20") }

// sfConn is a complete short HTTP connection: handshake, one request and
// response, close by the client.
func sfConn(c *capture, cli, srv *host, cport, sport uint16) *tcpConn {
	t := c.tcp(cli, srv, cport, sport)
	t.handshake()
	t.exchange(httpGet("/index.html"), httpOK(512))
	t.close(orig)
	return t
}

func tcpSF(c *capture) { sfConn(c, client4(), server4(), c.cport(0), 80) }

func tcpIPv6SF(c *capture) { sfConn(c, client6(), server6(), c.cport(0), 80) }

func tcpREJ(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 8080)
	t.seg(orig, "S", nil)
	t.c.wait(150 * usec)
	t.seq[resp] = 0 // Linux answers a SYN to a closed port with seq 0
	t.seg(resp, "RA", nil)
}

func tcpS0(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.seg(orig, "S", nil)
}

func tcpS0Retrans(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.seg(orig, "S", nil)
	c.wait(time.Second)
	t.resend(orig, t.iss[orig], "S", nil)
	c.wait(2 * time.Second)
	t.resend(orig, t.iss[orig], "S", nil)
}

func tcpSH(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.seg(orig, "S", nil)
	c.wait(300 * msec)
	t.seg(orig, "F", nil)
}

func tcpSHR(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.seq[orig]++ // the SYN was not captured
	t.seg(resp, "SA", nil)
	c.wait(300 * msec)
	t.seg(resp, "FA", nil)
}

func tcpS1(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/"), httpOK(300))
}

func tcpRSTO(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/"), httpOK(300))
	c.wait(10 * msec)
	t.seg(orig, "RA", nil)
}

func tcpRSTR(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/"), httpOK(300))
	c.wait(10 * msec)
	t.seg(resp, "RA", nil)
}

func tcpRSTOS0(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.seg(orig, "S", nil)
	c.wait(500 * msec)
	t.seg(orig, "R", nil)
}

func tcpRSTRH(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.seq[orig]++ // the SYN was not captured
	t.seg(resp, "SA", nil)
	c.wait(time.Second)
	t.seg(resp, "R", nil)
}

func tcpOTHMidstream(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	// Capture starts in the middle of a keep-alive connection.
	t.seq[orig] += 1000
	t.seq[resp] += 50000
	t.exchange(httpGet("/second"), httpOK(700))
	c.wait(200 * msec)
	t.exchange(httpGet("/third"), httpOK(200))
}

func tcpS2(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/"), httpOK(300))
	c.wait(5 * msec)
	t.seg(orig, "FA", nil)
	c.wait(t.rtt)
	t.ack(resp)
}

func tcpS3(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/"), httpOK(300))
	c.wait(5 * msec)
	t.seg(resp, "FA", nil)
	c.wait(60 * usec)
	t.ack(orig)
}

func tcpRetransmit(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	req := httpGet("/retransmit")
	c.wait(80 * usec)
	s := t.seq[orig]
	t.seg(orig, "PA", req)
	// No ACK within the RTO: the client sends the request again.
	c.wait(210 * msec)
	t.resend(orig, s, "PA", req)
	c.wait(t.rtt)
	t.ack(resp)
	c.wait(msec)
	// Three response segments; the client acknowledges only the first,
	// twice (duplicate ACK), and the server retransmits the second.
	rsp := httpOK(3 * 1400)
	segs := t.segments(rsp)
	var seqs []uint32
	for i, p := range segs {
		seqs = append(seqs, t.seq[resp])
		flags := "A"
		if i == len(segs)-1 {
			flags = "PA"
		}
		t.seg(resp, flags, p)
		c.wait(t.gap)
	}
	next := t.seq[resp]
	t.seq[resp] = seqs[1]
	c.wait(40 * usec)
	t.ack(orig)
	c.wait(t.gap)
	t.ack(orig)
	t.seq[resp] = next
	c.wait(t.rtt)
	t.resend(resp, seqs[1], "A", segs[1])
	c.wait(40 * usec)
	t.ack(orig)
	t.close(orig)
}

func tcpGap(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	c.wait(80 * usec)
	// Request and response are three full segments each; the capture
	// misses the middle one of each. The receivers got them and ACK them.
	req := exactly(3*1460, func(n int) []byte { return httpPost("/upload", n) })
	t.data(orig, req, 0, 1)
	c.wait(t.rtt)
	t.ack(resp)
	c.wait(msec)
	rsp := exactly(3*1460, httpOK)
	t.data(resp, rsp, 0, 1)
	c.wait(40 * usec)
	t.ack(orig)
	t.close(orig)
}

func tcpFlipped(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.seq[orig]++ // the SYN was not captured
	t.seg(resp, "SA", nil)
	c.wait(60 * usec)
	t.ack(orig)
	t.exchange(httpGet("/flipped"), httpOK(400))
	t.close(orig)
}

func tcpBadChecksum(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	c.wait(80 * usec)
	req := httpGet("/checksum")
	t.badChecksum(orig, "PA", req)
	// The server dropped it; the client retransmits after the RTO.
	c.wait(210 * msec)
	t.seg(orig, "PA", req)
	c.wait(t.rtt)
	t.ack(resp)
	c.wait(msec)
	t.data(resp, httpOK(300), 2)
	t.close(orig)
}

func tcpZeroWindow(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	c.wait(80 * usec)
	segs := t.segments(httpPost("/upload", 8*1460-150))
	for _, s := range segs[:4] {
		t.seg(orig, "A", s)
		c.wait(t.gap)
	}
	// The server's application stops reading: it advertises a zero
	// window, then opens it again 300 ms later.
	c.wait(t.rtt)
	t.win[resp] = 0
	t.ack(resp)
	c.wait(300 * msec)
	t.win[resp] = 509
	t.ack(resp)
	c.wait(60 * usec)
	for i, s := range segs[4:] {
		flags := "A"
		if i == len(segs[4:])-1 {
			flags = "PA"
		}
		t.seg(orig, flags, s)
		c.wait(t.gap)
	}
	c.wait(t.rtt)
	t.ack(resp)
	c.wait(msec)
	t.data(resp, httpOK(100), 2)
	t.close(orig)
}

func tcpManyRetrans(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	c.wait(80 * usec)
	req := httpGet("/unreachable-for-a-while")
	s := t.seq[orig]
	t.seg(orig, "PA", req)
	// Twelve retransmissions with exponential backoff capped at 1.6 s.
	rto := 200 * msec
	for range 12 {
		c.wait(rto)
		t.resend(orig, s, "PA", req)
		rto = min(2*rto, 1600*msec)
	}
	c.wait(t.rtt)
	t.ack(resp)
	c.wait(msec)
	t.data(resp, httpOK(200), 2)
	t.close(orig)
}

func tcpBulk(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/bulk.bin"), httpOK(200000))
	t.close(orig)
}

func tcpInactivity(c *capture) {
	cli, srv := client4(), server4()
	t := c.tcp(cli, srv, c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/first"), httpOK(300))
	// Six minutes of silence (Zeek's tcp_inactivity_timeout is 5 min),
	// then the same 5-tuple opens again.
	c.wait(6 * time.Minute)
	sfConn(c, cli, srv, c.cport(0), 80)
}

func tcpPortReuse(c *capture) {
	cli, srv := client4(), server4()
	sfConn(c, cli, srv, c.cport(0), 80)
	c.wait(10 * time.Second)
	sfConn(c, cli, srv, c.cport(0), 80)
}
