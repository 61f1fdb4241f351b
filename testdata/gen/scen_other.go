package main

import (
	"encoding/binary"
	"net"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ---- UDP ----------------------------------------------------------------

// udp records a datagram.
func (c *capture) udp(src, dst *host, sport, dport uint16, payload []byte) {
	c.send(src, dst, udpPacket(src, dst, sport, dport, payload))
}

func dnsQuery(id uint16, name string, qt layers.DNSType) *layers.DNS {
	return &layers.DNS{
		ID: id, RD: true,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: qt, Class: layers.DNSClassIN}},
	}
}

// dnsReply answers q with the given addresses (A or AAAA by the query
// type), or NXDOMAIN when there are none.
func dnsReply(q *layers.DNS, addrs ...string) *layers.DNS {
	r := *q
	r.QR, r.RA = true, true
	r.Answers = nil
	for _, a := range addrs {
		r.Answers = append(r.Answers, layers.DNSResourceRecord{
			Name: q.Questions[0].Name, Type: q.Questions[0].Type, Class: layers.DNSClassIN,
			TTL: 300, IP: net.ParseIP(a),
		})
	}
	if len(addrs) == 0 {
		r.ResponseCode = layers.DNSResponseCodeNXDomain
	}
	return &r
}

// dns records a query from cli:cport to srv:53 and, if answer is set, the
// reply 3 ms later.
func (c *capture) dns(cli, srv *host, cport uint16, q *layers.DNS, answer *layers.DNS) {
	c.udp(cli, srv, cport, 53, serialize(q))
	if answer != nil {
		c.wait(3 * msec)
		c.udp(srv, cli, 53, cport, serialize(answer))
	}
}

func udpDNSLike(c *capture) {
	cli, srv := client4(), newHost("198.18.0.53")
	q := dnsQuery(0x1a2b, "www.example.test", layers.DNSTypeA)
	c.dns(cli, srv, c.cport(0), q, dnsReply(q, "198.18.0.80"))
	// A query that is never answered.
	c.wait(time.Second)
	q2 := dnsQuery(0x3c4d, "missing.example.test", layers.DNSTypeA)
	c.dns(cli, srv, c.cport(1), q2, nil)
	// An answer whose query the capture did not see.
	c.wait(time.Second)
	q3 := dnsQuery(0x5e6f, "late.example.test", layers.DNSTypeA)
	c.udp(srv, cli, 53, c.cport(2), serialize(dnsReply(q3, "198.18.0.81")))
}

func udpOneWay(c *capture) {
	cli, srv := client4(), newHost("198.18.0.30")
	for i := range 5 {
		msg := []byte("<134>1 2026-01-01T00:00:00Z client weir - - - one-way datagram " + string(rune('0'+i)))
		c.udp(cli, srv, c.cport(0), 514, msg)
		c.wait(time.Second)
	}
}

func udpBadChecksum(c *capture) {
	cli, srv := client4(), newHost("198.18.0.30")
	c.udp(cli, srv, c.cport(0), 7, []byte("echo request 1"))
	c.wait(400 * usec)
	bad := udpPacket(srv, cli, 7, c.cport(0), []byte("echo request 1"))
	corruptL4Checksum(bad)
	c.send(srv, cli, bad)
	c.wait(time.Second)
	c.udp(srv, cli, 7, c.cport(0), []byte("echo request 1"))
}

func udpIPv6(c *capture) {
	cli, srv := client6(), newHost("2001:db8::53")
	q := dnsQuery(0x6a6b, "www.example.test", layers.DNSTypeAAAA)
	c.dns(cli, srv, c.cport(0), q, dnsReply(q, "2001:db8::80"))
}

func udpInactivity(c *capture) {
	cli, srv := client4(), newHost("198.18.0.30")
	c.udp(cli, srv, c.cport(0), 5000, []byte("first request"))
	c.wait(300 * usec)
	c.udp(srv, cli, 5000, c.cport(0), []byte("first reply"))
	// 90 s of silence; Zeek's udp_inactivity_timeout is 1 min.
	c.wait(90 * time.Second)
	c.udp(cli, srv, c.cport(0), 5000, []byte("second request"))
	c.wait(300 * usec)
	c.udp(srv, cli, 5000, c.cport(0), []byte("second reply"))
}

// udpChecksumFFFF sends a datagram whose checksum computes to 0x0000 and
// is therefore sent as 0xFFFF (RFC 768). The last two payload bytes are
// chosen to make the sum come out so.
func udpChecksumFFFF(c *capture) {
	cli, srv := client4(), newHost("198.18.0.30")
	payload := []byte("checksum is all ones....\x00\x00")
	ip := udpPacket(cli, srv, c.cport(0), 5001, payload)
	u := ip[20:]
	c0 := binary.BigEndian.Uint16(u[6:8]) // the checksum with the last word 0
	binary.BigEndian.PutUint16(u[len(u)-2:], c0)
	binary.BigEndian.PutUint16(u[6:8], 0xffff)
	if sum := onesSum(pseudoSum(ip), u); sum != 0xffff {
		panic("udpChecksumFFFF: checksum does not verify")
	}
	c.send(cli, srv, ip)
	c.wait(300 * usec)
	c.udp(srv, cli, 5001, c.cport(0), []byte("reply"))
}

// udpChecksumZero sends IPv4 datagrams whose checksum field is 0: no
// checksum was computed, which IPv4 allows.
func udpChecksumZero(c *capture) {
	cli, srv := client4(), newHost("198.18.0.30")
	for i, d := range []struct {
		src, dst     *host
		sport, dport uint16
		msg          string
	}{
		{cli, srv, c.cport(0), 5002, "no checksum request"},
		{srv, cli, 5002, c.cport(0), "no checksum reply"},
	} {
		if i > 0 {
			c.wait(300 * usec)
		}
		ip := udpPacket(d.src, d.dst, d.sport, d.dport, []byte(d.msg))
		ip[26], ip[27] = 0, 0
		c.send(d.src, d.dst, ip)
	}
}

// pseudoSum is the one's complement sum of the IPv4 or IPv6
// pseudo-header of a packet without extension headers.
func pseudoSum(ip []byte) uint32 {
	var s uint32
	if ip[0]>>4 == 6 {
		s = onesSum(0, ip[8:40])
		s += uint32(binary.BigEndian.Uint16(ip[4:6])) + uint32(ip[6])
	} else {
		hl := int(ip[0]&0x0f) * 4
		s = onesSum(0, ip[12:20])
		s += uint32(binary.BigEndian.Uint16(ip[2:4])) - uint32(hl) + uint32(ip[9])
	}
	return onesSum(s, nil)
}

// fixL4Checksum recomputes the TCP or UDP checksum of a packet after a
// script altered it, over the bytes the IP header says are there.
func fixL4Checksum(ip []byte, csumAt int) {
	off := l4Offset(ip)
	end := len(ip)
	ip[off+csumAt], ip[off+csumAt+1] = 0, 0
	binary.BigEndian.PutUint16(ip[off+csumAt:], ^uint16(onesSum(pseudoSum(ip), ip[off:end])))
}

// ---- ICMP ---------------------------------------------------------------

func pingPayload(seq int) []byte {
	p := make([]byte, 56)
	binary.BigEndian.PutUint64(p, uint64(seq)) // where ping puts its timestamp
	for i := 8; i < len(p); i++ {
		p[i] = byte(i)
	}
	return p
}

func icmpEcho(c *capture) {
	cli, srv := client4(), server4()
	for seq := 1; seq <= 3; seq++ {
		req := ipPacket(cli, srv, layers.IPProtocolICMPv4,
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 0x5a17, Seq: uint16(seq)},
			gopacket.Payload(pingPayload(seq)))
		c.send(cli, srv, req)
		c.wait(350 * usec)
		rep := ipPacket(srv, cli, layers.IPProtocolICMPv4,
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoReply, 0), Id: 0x5a17, Seq: uint16(seq)},
			gopacket.Payload(pingPayload(seq)))
		c.send(srv, cli, rep)
		c.wait(time.Second - 350*usec)
	}
}

func icmpUnreach(c *capture) {
	cli, srv := client4(), server4()
	probe := udpPacket(cli, srv, c.cport(0), 33434, []byte("traceroute-like probe 0123456789"))
	c.send(cli, srv, probe)
	c.wait(250 * usec)
	ip := ipLayer(srv, cli, layers.IPProtocolICMPv4).(*layers.IPv4)
	ip.TOS = 0xc0 // Linux marks ICMP errors as network control
	c.send(srv, cli, ipPacketWith(ip,
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)},
		gopacket.Payload(probe)))
}

func icmpv6EchoND(c *capture) {
	cli, srv := client6(), server6()
	group := newHost("ff02::1:ff00:20") // solicited-node multicast of ::20
	nd := func(src, dst *host, tc layers.ICMPv6TypeCode, body gopacket.SerializableLayer) []byte {
		ip := ipLayer(src, dst, layers.IPProtocolICMPv6).(*layers.IPv6)
		ip.HopLimit = 255
		return ipPacketWith(ip, &layers.ICMPv6{TypeCode: tc}, body)
	}
	c.send(cli, group, nd(cli, group, layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborSolicitation, 0),
		&layers.ICMPv6NeighborSolicitation{
			TargetAddress: srv.ip(),
			Options:       layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: cli.mac[:]}},
		}))
	c.wait(200 * usec)
	c.send(srv, cli, nd(srv, cli, layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborAdvertisement, 0),
		&layers.ICMPv6NeighborAdvertisement{
			Flags:         0x60, // solicited, override
			TargetAddress: srv.ip(),
			Options:       layers.ICMPv6Options{{Type: layers.ICMPv6OptTargetAddress, Data: srv.mac[:]}},
		}))
	c.wait(100 * usec)
	for seq := 1; seq <= 2; seq++ {
		c.send(cli, srv, ipPacket(cli, srv, layers.IPProtocolICMPv6,
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)},
			&layers.ICMPv6Echo{Identifier: 0x6b18, SeqNumber: uint16(seq)},
			gopacket.Payload(pingPayload(seq))))
		c.wait(400 * usec)
		c.send(srv, cli, ipPacket(srv, cli, layers.IPProtocolICMPv6,
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoReply, 0)},
			&layers.ICMPv6Echo{Identifier: 0x6b18, SeqNumber: uint16(seq)},
			gopacket.Payload(pingPayload(seq))))
		c.wait(time.Second - 400*usec)
	}
}

// ---- link layers --------------------------------------------------------

// linkMix is the traffic of every link-layer file: a complete TCP
// connection over IPv4 and, where the link can carry IPv6, a DNS query
// and answer over IPv6.
func linkMix(v6 bool) func(c *capture) {
	return func(c *capture) {
		sfConn(c, client4(), server4(), c.cport(0), 80)
		if v6 {
			c.wait(10 * msec)
			q := dnsQuery(0x7c7d, "www.example.test", layers.DNSTypeAAAA)
			c.dns(client6(), newHost("2001:db8::53"), c.cport(1), q, dnsReply(q, "2001:db8::80"))
		}
	}
}

// ---- IP -----------------------------------------------------------------

// fragments4 splits the IPv4 packet ip into fragments of at most size
// payload bytes (a multiple of 8), keeping its header fields.
func fragments4(src, dst *host, ip []byte, size int) [][]byte {
	hl := int(ip[0]&0x0f) * 4
	id := binary.BigEndian.Uint16(ip[4:6])
	body := ip[hl:]
	var out [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		h := &layers.IPv4{
			Version: 4, TTL: src.ttl, Id: id, Protocol: layers.IPProtocol(ip[9]),
			FragOffset: uint16(off / 8), SrcIP: src.ip(), DstIP: dst.ip(),
		}
		if end < len(body) {
			h.Flags = layers.IPv4MoreFragments
		}
		out = append(out, serialize(h, gopacket.Payload(body[off:end])))
	}
	return out
}

// fragments6 splits the IPv6 packet ip (no extension headers) into
// fragments with a Fragment header.
func fragments6(src, dst *host, ip []byte, size int, ident uint32) [][]byte {
	body := ip[40:]
	var out [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		out = append(out, serialize(
			&layers.IPv6{Version: 6, HopLimit: src.ttl, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: src.ip(), DstIP: dst.ip()},
			&layers.IPv6Fragment{NextHeader: layers.IPProtocol(ip[6]), FragmentOffset: uint16(off / 8), MoreFragments: end < len(body), Identification: ident},
			gopacket.Payload(body[off:end])))
	}
	return out
}

func ipFragV4(c *capture) {
	cli, srv := client4(), server4()
	full := udpPacket(cli, srv, c.cport(0), 9999, body(3500, 4))
	fr := fragments4(cli, srv, full, 1480)
	for i, k := range []int{2, 0, 1} {
		if i > 0 {
			c.wait(15 * usec)
		}
		c.send(cli, srv, fr[k])
	}
	c.wait(500 * usec)
	c.udp(srv, cli, 9999, c.cport(0), []byte("got 3500 bytes"))
}

func ipFragV6(c *capture) {
	cli, srv := client6(), server6()
	full := udpPacket(cli, srv, c.cport(0), 9999, body(3000, 5))
	fr := fragments6(cli, srv, full, 1448, 0x2f6a81c3)
	for i, k := range []int{2, 1, 0} {
		if i > 0 {
			c.wait(15 * usec)
		}
		c.send(cli, srv, fr[k])
	}
	c.wait(500 * usec)
	c.udp(srv, cli, 9999, c.cport(0), []byte("got 3000 bytes"))
}

func ipFragIncomplete(c *capture) {
	cli, srv := client4(), server4()
	// Datagram 1: the middle of three fragments never arrives.
	fr := fragments4(cli, srv, udpPacket(cli, srv, c.cport(0), 9999, body(4000, 6)), 1480)
	c.send(cli, srv, fr[0])
	c.wait(15 * usec)
	c.send(cli, srv, fr[2])
	// Datagram 2: only its last fragment arrives.
	c.wait(time.Second)
	fr = fragments4(cli, srv, udpPacket(cli, srv, c.cport(1), 9999, body(2000, 7)), 1480)
	c.send(cli, srv, fr[1])
	// Traffic goes on: a complete datagram and its answer 30 s later.
	c.wait(30 * time.Second)
	c.udp(cli, srv, c.cport(2), 9998, []byte("complete datagram"))
	c.wait(300 * usec)
	c.udp(srv, cli, 9998, c.cport(2), []byte("reply"))
}

func unknownTransport(c *capture) {
	cli, srv := client4(), server4()
	// SCTP INIT and INIT-ACK (protocol 132).
	c.send(cli, srv, ipPacket(cli, srv, layers.IPProtocolSCTP,
		&layers.SCTP{SrcPort: layers.SCTPPort(c.cport(0)), DstPort: 38412},
		&layers.SCTPInit{SCTPChunk: layers.SCTPChunk{Type: layers.SCTPChunkTypeInit},
			InitiateTag: 0x11223344, AdvertisedReceiverWindowCredit: 106496, OutboundStreams: 10, InboundStreams: 65535, InitialTSN: 0x0a0b0c0d}))
	c.wait(300 * usec)
	c.send(srv, cli, ipPacket(srv, cli, layers.IPProtocolSCTP,
		&layers.SCTP{SrcPort: 38412, DstPort: layers.SCTPPort(c.cport(0)), VerificationTag: 0x11223344},
		&layers.SCTPInit{SCTPChunk: layers.SCTPChunk{Type: layers.SCTPChunkTypeInitAck},
			InitiateTag: 0x55667788, AdvertisedReceiverWindowCredit: 106496, OutboundStreams: 10, InboundStreams: 10, InitialTSN: 0x01020304}))
	// GRE (protocol 47) carrying an ICMP echo between two inner hosts.
	c.wait(time.Second)
	gw1, gw2 := newHost("198.18.0.1"), newHost("198.18.0.2")
	in1, in2 := newHost("198.18.100.1"), newHost("198.18.100.2")
	inner := ipPacket(in1, in2, layers.IPProtocolICMPv4,
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 7, Seq: 1},
		gopacket.Payload(pingPayload(1)))
	c.send(gw1, gw2, ipPacket(gw1, gw2, layers.IPProtocolGRE,
		&layers.GRE{Protocol: layers.EthernetTypeIPv4}, gopacket.Payload(inner)))
	// Protocol 253, reserved for experiments (RFC 3692): nobody's
	// transport.
	c.wait(time.Second)
	c.send(cli, srv, ipPacket(cli, srv, layers.IPProtocol(253), gopacket.Payload([]byte("experimental protocol 253 payload"))))
}

func ipTruncated(c *capture) {
	c.snaplen = 96
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/large"), httpOK(4000))
	t.close(orig)
}

func malformed(c *capture) {
	cli, srv := client4(), server4()
	eth := func(ip []byte) { c.send(cli, srv, ip); c.wait(100 * msec) }
	udp := func(port int) []byte {
		return udpPacket(cli, srv, c.cport(port), 30000+uint16(port), []byte("malformed test datagram"))
	}
	// 1. A runt frame: 10 bytes, not even an Ethernet header.
	c.frame(ethernet(cli, srv, nil)[:10])
	c.wait(100 * msec)
	// 2. IPv4 IHL 4 (16-byte header), checksum over those 16 bytes.
	p := udp(1)
	p[0] = 0x44
	ipv4HeaderChecksum(p, 16)
	eth(p)
	// 3. IPv4 total length 16, less than the 20-byte header.
	p = udp(2)
	binary.BigEndian.PutUint16(p[2:4], 16)
	ipv4HeaderChecksum(p, 20)
	eth(p)
	// 4. IPv4 total length 1000 in a frame that holds 51 bytes of IP.
	p = udp(3)
	binary.BigEndian.PutUint16(p[2:4], 1000)
	ipv4HeaderChecksum(p, 20)
	eth(p)
	// 5. Ethertype IPv4 but version 6 in the header.
	p = udp(4)
	p[0] = 0x65
	ipv4HeaderChecksum(p, 20)
	c.frame(padEthernet(append(be16(ethHeader(cli, srv), 0x0800), p...)))
	c.wait(100 * msec)
	// 6. TCP data offset 4 (16 bytes), less than the minimum of 5.
	t := c.tcp(cli, srv, c.cport(5), 80)
	p = t.build(orig, t.seq[orig], 0, "S", nil)
	p = p[:40] // drop the SYN options
	binary.BigEndian.PutUint16(p[2:4], 40)
	ipv4HeaderChecksum(p, 20)
	p[32] = 0x40
	fixL4Checksum(p, 16)
	eth(p)
	// 7. TCP data offset 15 (60 bytes) with only 20 bytes of TCP.
	t = c.tcp(cli, srv, c.cport(6), 80)
	p = t.build(orig, t.seq[orig], 0, "S", nil)[:40]
	binary.BigEndian.PutUint16(p[2:4], 40)
	ipv4HeaderChecksum(p, 20)
	p[32] = 0xf0
	fixL4Checksum(p, 16)
	eth(p)
	// 8. UDP length 4, less than the UDP header.
	p = udp(7)
	binary.BigEndian.PutUint16(p[24:26], 4)
	fixL4Checksum(p, 6)
	eth(p)
	// 9. UDP length 200, more than the 31 bytes the IP packet holds.
	p = udp(8)
	binary.BigEndian.PutUint16(p[24:26], 200)
	fixL4Checksum(p, 6)
	eth(p)
	// 10. IPv6 payload length 1000 with 31 bytes present.
	c6, s6 := client6(), server6()
	p = udpPacket(c6, s6, c.cport(9), 30009, []byte("malformed test datagram"))
	binary.BigEndian.PutUint16(p[4:6], 1000)
	c.send(c6, s6, p)
	c.wait(100 * msec)
	// 11. ICMP with 2 bytes: shorter than its 8-byte header.
	p = ipPacket(cli, srv, layers.IPProtocolICMPv4, gopacket.Payload([]byte{8, 0}))
	eth(p)
	// 12. A fragment whose offset plus length passes 65535 bytes.
	h := &layers.IPv4{Version: 4, TTL: 64, Id: 0x7fff, Protocol: layers.IPProtocolUDP,
		FragOffset: 8189, SrcIP: cli.ip(), DstIP: srv.ip()}
	eth(serialize(h, gopacket.Payload(body(100, 8))))
	// 13. Then a valid exchange: decoding goes on after all of the above.
	c.udp(cli, srv, c.cport(12), 30012, []byte("valid request after malformed packets"))
	c.wait(300 * usec)
	c.udp(srv, cli, 30012, c.cport(12), []byte("valid reply"))
}
