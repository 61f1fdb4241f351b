package main

import (
	"encoding/binary"
	"hash/fnv"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ---- Tunnels -----------------------------------------------------------
//
// Each tunnel scenario runs an ordinary script (a complete TCP connection
// and a UDP exchange between the usual inner hosts) through a linkFunc
// that wraps every inner packet in the tunnel and an outer Ethernet/IP
// frame between two tunnel endpoints. The endpoint next to the client
// (tunA) sends what the client sends; the other one (tunB) what the
// servers send.

const (
	tunA = "198.18.1.1"
	tunB = "198.18.1.2"
)

// tunnelEnds are the outer hosts of a tunnel and the inner addresses on
// the A side.
type tunnelEnds struct {
	a, b    *host
	clients map[netip.Addr]bool
}

func newTunnelEnds(a, b string) *tunnelEnds {
	return &tunnelEnds{a: newHost(a), b: newHost(b), clients: map[netip.Addr]bool{
		client4().addr: true, client6().addr: true,
	}}
}

// outer returns the outer source and destination for an inner packet
// from src.
func (e *tunnelEnds) outer(src *host) (*host, *host) {
	if e.clients[src.addr] {
		return e.a, e.b
	}
	return e.b, e.a
}

// tunnelMix is the inner traffic of every tunnel file: tcp_sf's connection
// over IPv4 and a DNS AAAA exchange over IPv6 (both over IPv6 when v4 is
// false: Teredo carries IPv6 only).
func tunnelMix(v4 bool) func(c *capture) {
	return func(c *capture) {
		cli, srv := client4(), server4()
		if !v4 {
			cli, srv = client6(), server6()
		}
		sfConn(c, cli, srv, c.cport(0), 80)
		c.wait(10 * msec)
		q := dnsQuery(0x7d01, "www.example.test", layers.DNSTypeAAAA)
		c.dns(client6(), newHost("2001:db8::53"), c.cport(1), q, dnsReply(q, "2001:db8::80"))
	}
}

// onTunnel runs script through the tunnel that mk builds for the capture.
func onTunnel(mk func(c *capture) linkFunc, script func(*capture)) func(int) []byte {
	return func(slot int) []byte {
		c := newCapture(slot, layers.LinkTypeEthernet, nil)
		c.link = mk(c)
		script(c)
		return c.pcap()
	}
}

// entropyPort is the UDP source port a VXLAN or Geneve endpoint derives
// from the inner flow (RFC 7348 §5): a hash of its addresses and ports,
// the same both ways, in the dynamic range.
func entropyPort(ip []byte) uint16 {
	var a, b []byte
	var proto byte
	off := l4Offset(ip)
	if ip[0]>>4 == 6 {
		a, b, proto = ip[8:24], ip[24:40], ip[6]
	} else {
		a, b, proto = ip[12:16], ip[16:20], ip[9]
	}
	pa, pb := ip[off:off+2], ip[off+2:off+4]
	if string(a)+string(pa) > string(b)+string(pb) {
		a, b, pa, pb = b, a, pb, pa
	}
	h := fnv.New32a()
	for _, s := range [][]byte{a, pa, b, pb, {proto}} {
		h.Write(s)
	}
	return uint16(49152 + h.Sum32()%16384)
}

// greTunnel: GRE (RFC 2890) with a key, carrying IPv4 (0x0800) or IPv6
// (0x86dd).
func greTunnel(c *capture) linkFunc {
	e := newTunnelEnds(tunA, tunB)
	return func(src, dst *host, ip []byte) []byte {
		o1, o2 := e.outer(src)
		g := &layers.GRE{Protocol: layers.EthernetType(etherTypeOf(ip)), KeyPresent: true, Key: 100}
		return ethernet(o1, o2, ipPacket(o1, o2, layers.IPProtocolGRE, g, gopacket.Payload(ip)))
	}
}

// udpTunnel wraps the inner frame (an Ethernet frame when eth is set,
// else the IP packet) in hdr and a UDP datagram from sport (0: the inner
// flow's entropy port) to dport.
func udpTunnel(e *tunnelEnds, sport, dport uint16, eth bool, hdr func(src *host) gopacket.SerializableLayer) linkFunc {
	return func(src, dst *host, ip []byte) []byte {
		o1, o2 := e.outer(src)
		inner := ip
		if eth {
			inner = ethernet(src, dst, ip)
		}
		sp := sport
		if sp == 0 {
			sp = entropyPort(ip)
		}
		u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dport)}
		return ethernet(o1, o2, ipPacket(o1, o2, layers.IPProtocolUDP, u, hdr(src), gopacket.Payload(inner)))
	}
}

// vxlanTunnel: VXLAN (RFC 7348), VNI 100, carrying Ethernet frames.
func vxlanTunnel(c *capture) linkFunc {
	return udpTunnel(newTunnelEnds(tunA, tunB), 0, 4789, true, func(*host) gopacket.SerializableLayer {
		return &layers.VXLAN{ValidIDFlag: true, VNI: 100}
	})
}

// geneveTunnel: Geneve (RFC 8926), VNI 200, one 4-byte option, carrying
// Ethernet frames.
func geneveTunnel(c *capture) linkFunc {
	return udpTunnel(newTunnelEnds(tunA, tunB), 0, 6081, true, func(*host) gopacket.SerializableLayer {
		return &layers.Geneve{Protocol: layers.EthernetTypeTransparentEthernetBridging, VNI: 200,
			Options: []*layers.GeneveOption{{Class: 0x0103, Type: 0x01, Data: []byte{0, 0, 0, 7}}}}
	})
}

// ipipTunnel: IPv4 in IPv4 (protocol 4) and IPv6 in IPv4 (6in4, 41).
func ipipTunnel(c *capture) linkFunc {
	e := newTunnelEnds(tunA, tunB)
	return func(src, dst *host, ip []byte) []byte {
		o1, o2 := e.outer(src)
		proto := layers.IPProtocolIPv4
		if ip[0]>>4 == 6 {
			proto = layers.IPProtocolIPv6
		}
		return ethernet(o1, o2, ipPacket(o1, o2, proto, gopacket.Payload(ip)))
	}
}

// gtpTunnel: GTPv1-U G-PDUs on UDP 2152 between an eNodeB (A) and a
// serving gateway (B), one TEID each way. Uplink packets carry a PDU
// session container extension header (QFI 9) and a sequence number.
// The outer path has an MTU of 1500: a full-size inner segment makes an
// outer datagram that is sent in two IPv4 fragments.
func gtpTunnel(c *capture) linkFunc {
	e := newTunnelEnds(tunA, tunB)
	var seq uint16
	return func(src, dst *host, ip []byte) []byte {
		o1, o2 := e.outer(src)
		g := &layers.GTPv1U{Version: 1, ProtocolType: 1, MessageType: 0xff, TEID: 0x20000001}
		if o1 == e.a {
			seq++
			g.TEID, g.SequenceNumberFlag, g.SequenceNumber = 0x10000001, true, seq
			g.GTPExtensionHeaders = []layers.GTPExtensionHeader{{Type: 0x85, Content: []byte{0x10, 0x09}}}
		}
		u := &layers.UDP{SrcPort: 2152, DstPort: 2152}
		out := ipPacket(o1, o2, layers.IPProtocolUDP, u, g, gopacket.Payload(ip))
		if len(out) <= 1500 {
			return ethernet(o1, o2, out)
		}
		frs := fragments4(o1, o2, out, 1480)
		for _, fr := range frs[:len(frs)-1] {
			c.frame(ethernet(o1, o2, fr))
		}
		return ethernet(o1, o2, frs[len(frs)-1])
	}
}

// gtpMix is tunnelMix with a response large enough for full-size
// segments.
func gtpMix(c *capture) {
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/large"), httpOK(4000))
	t.close(orig)
	c.wait(10 * msec)
	q := dnsQuery(0x7d02, "www.example.test", layers.DNSTypeAAAA)
	c.dns(client6(), newHost("2001:db8::53"), c.cport(1), q, dnsReply(q, "2001:db8::80"))
}

// teredoTunnel: Teredo (RFC 4380) between a client behind its NAT (A,
// 198.18.1.10, port cport(15)) and a relay (B, 198.18.1.20, port 3544).
// A bubble from the relay carries an origin indication.
func teredoTunnel(c *capture) linkFunc {
	e := newTunnelEnds("198.18.1.10", "198.18.1.20")
	cport := c.cport(15)
	return func(src, dst *host, ip []byte) []byte {
		o1, o2 := e.outer(src)
		sp, dp := cport, uint16(3544)
		var pre []byte
		if o1 == e.b {
			sp, dp = dp, sp
			if ip[6] == 59 { // a bubble: tell the client its mapped address and port
				pre = binary.BigEndian.AppendUint16(pre, 0)
				pre = binary.BigEndian.AppendUint16(pre, cport^0xffff)
				a := e.a.addr.As4()
				pre = binary.BigEndian.AppendUint32(pre, binary.BigEndian.Uint32(a[:])^0xffffffff)
			}
		}
		u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
		return ethernet(o1, o2, ipPacket(o1, o2, layers.IPProtocolUDP, u, gopacket.Payload(append(pre, ip...))))
	}
}

// teredoBubble is an IPv6 packet without payload or next header.
func teredoBubble(src, dst *host) []byte {
	return serialize(&layers.IPv6{Version: 6, HopLimit: 21, NextHeader: layers.IPProtocolNoNextHeader, SrcIP: src.ip(), DstIP: dst.ip()})
}

func teredoMix(c *capture) {
	cli, srv := client6(), server6()
	c.send(cli, srv, teredoBubble(cli, srv))
	c.wait(20 * msec)
	c.send(srv, cli, teredoBubble(srv, cli))
	c.wait(time.Millisecond)
	tunnelMix(false)(c)
}

// erspanTunnel: a switch (A) mirrors both directions of the traffic to a
// collector (B), one way: TCP in ERSPAN type II (GRE 0x88be with sequence
// numbers), UDP in ERSPAN type III (0x22eb), session 7.
func erspanTunnel(c *capture) linkFunc {
	e := newTunnelEnds(tunA, tunB)
	var seq uint32
	return func(src, dst *host, ip []byte) []byte {
		seq++
		frame := ethernet(src, dst, ip)
		proto := ip[9]
		if ip[0]>>4 == 6 {
			proto = ip[6]
		}
		var hdr []byte
		g := &layers.GRE{Protocol: layers.EthernetTypeERSPAN, SeqPresent: true, Seq: seq}
		if proto == byte(layers.IPProtocolTCP) {
			hdr = serialize(&layers.ERSPANII{Version: 1, SessionID: 7, Index: 1})
		} else {
			g.Protocol = 0x22eb
			// ERSPAN type III: version 2, VLAN 0; session 7; a timestamp
			// in 100 µs units; no SGT; no platform sub-header.
			hdr = binary.BigEndian.AppendUint16(nil, 0x2000)
			hdr = binary.BigEndian.AppendUint16(hdr, 7)
			hdr = binary.BigEndian.AppendUint32(hdr, uint32(c.now.Sub(epoch)/(100*time.Microsecond)))
			hdr = append(hdr, 0, 0, 0, 0)
		}
		return ethernet(e.a, e.b, ipPacket(e.a, e.b, layers.IPProtocolGRE, g, gopacket.Payload(append(hdr, frame...))))
	}
}
