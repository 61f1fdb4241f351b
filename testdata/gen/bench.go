package main

import (
	"bufio"
	"encoding/binary"
	"net/netip"
	"os"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// benchWriter streams a large Ethernet pcap for tests and benchmarks that
// make their input in a temporary directory instead of committing it.
type benchWriter struct {
	w *pcapgo.Writer
}

func (b *benchWriter) write(r record) { must(b.w.WritePacket(ci(r), r.data)) }

func writeBench(path string, fn func(*benchWriter)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := pcapgo.NewWriter(bw)
	if err := w.WriteFileHeader(defaultSnaplen, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return err
	}
	fn(&benchWriter{w: w})
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchStart is after every scenario's slot.
var benchStart = epoch.Add(200 * time.Hour)

// benchClient is the i-th client address and port: ports 1024..64999 on
// 198.18.0.1, then on 198.18.0.2, and so on up the /15.
func benchClient(i int) (*host, uint16) {
	const ports = 64000
	b := [4]byte{198, 18, 0, 0}
	v := binary.BigEndian.Uint32(b[:]) + 1 + uint32(i/ports)
	binary.BigEndian.PutUint32(b[:], v)
	return newHost(netip.AddrFrom4(b).String()), uint16(1024 + i%ports)
}

// floodFlows writes n SYNs, 10 µs apart, each from its own client
// address and port to 198.19.255.254:80: n connections of one packet.
func floodFlows(w *benchWriter, n int) {
	srv := newHost("198.19.255.254")
	c := newCapture(0, layers.LinkTypeEthernet, ethernet)
	for i := range n {
		c.recs = c.recs[:0]
		c.now = benchStart.Add(time.Duration(i) * 10 * usec)
		cli, port := benchClient(i)
		c.tcp(cli, srv, port, 80).seg(orig, "S", nil)
		w.write(c.recs[0])
	}
}

// shortHTTPConns writes n complete HTTP/1.1 connections (handshake, GET,
// 200 with a 128-byte body, close), one starting every 200 µs, so that
// about thirty are open at once.
func shortHTTPConns(w *benchWriter, n int) {
	srv := newHost("198.19.0.80")
	var pending []record
	for i := range n {
		start := benchStart.Add(time.Duration(i) * 200 * usec)
		c := newCapture(0, layers.LinkTypeEthernet, ethernet)
		c.now = start
		cli, port := benchClient(i)
		t := c.tcp(cli, srv, port, 80)
		t.rtt = 100 * usec
		t.handshake()
		t.exchange(httpGet("/"), httpOK(128))
		t.close(orig)
		pending = sorted(append(pending, c.recs...))
		next := start.Add(200 * usec)
		k := 0
		for k < len(pending) && pending[k].ts.Before(next) {
			w.write(pending[k])
			k++
		}
		pending = append(pending[:0], pending[k:]...)
	}
	for _, r := range pending {
		w.write(r)
	}
}

// dnsPairs writes n DNS query/answer pairs over UDP, 2 µs apart, from
// client ports that rotate over a few thousand (so flows are reused, as a
// busy resolver's clients are), to 198.19.0.53:53: 2n DNS messages.
func dnsPairs(w *benchWriter, n int) {
	srv := newHost("198.19.0.53")
	c := newCapture(0, layers.LinkTypeEthernet, ethernet)
	names := []string{"www.example.test", "mail.example.test", "a-long-label-for-tunnel-like-traffic-0123456789.cdn.example.test", "api.example.test"}
	// Answers come 3 ms after their query, in query order: a FIFO keeps
	// the file in time order.
	var answers []record
	for i := range n {
		start := benchStart.Add(time.Duration(i) * 2 * usec)
		for len(answers) > 0 && answers[0].ts.Before(start) {
			w.write(answers[0])
			answers = answers[1:]
		}
		c.recs = c.recs[:0]
		c.now = start
		cli, port := benchClient(i % 4096)
		q := dnsQuery(uint16(i), names[i%len(names)], layers.DNSTypeA)
		c.dns(cli, srv, port, q, dnsReply(q, "198.18.0.80"))
		w.write(c.recs[0])
		answers = append(answers, c.recs[1])
	}
	for _, r := range answers {
		w.write(r)
	}
}
