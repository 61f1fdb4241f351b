package decode

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Tunnel endpoints of the hand-built tunnel packets, distinct from the
// inner packets' addresses (ip4a, ip4b, ip6a, ip6b).
var (
	tun4a = net.IPv4(198, 18, 0, 1).To4()
	tun4b = net.IPv4(198, 18, 0, 2).To4()
	tun6a = net.ParseIP("2001:db8:1::1")
	tun6b = net.ParseIP("2001:db8:1::2")
)

// ipOver is an IPv4 datagram from tun4a to tun4b of the protocol, carrying
// payload, with a correct header checksum.
func ipOver(tb testing.TB, proto layers.IPProtocol, payload []byte) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0x7777, Protocol: proto, SrcIP: tun4a, DstIP: tun4b}
	return serialize(tb, ip, gopacket.Payload(payload))
}

// ip6Over is ipOver over IPv6, from tun6a to tun6b.
func ip6Over(tb testing.TB, next layers.IPProtocol, payload []byte) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: tun6a, DstIP: tun6b}
	return serialize(tb, ip, gopacket.Payload(payload))
}

// udpOver is an IPv4 UDP datagram between the tunnel endpoints with a
// correct checksum.
func udpOver(tb testing.TB, sport, dport uint16, payload []byte) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0x7778, Protocol: layers.IPProtocolUDP, SrcIP: tun4a, DstIP: tun4b}
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(tb, ip, u, gopacket.Payload(payload))
}

// udp6Over is udpOver over IPv6, with the UDP checksum zeroed if zero.
func udp6Over(tb testing.TB, sport, dport uint16, payload []byte, zero bool) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: tun6a, DstIP: tun6b}
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	b := serialize(tb, ip, u, gopacket.Payload(payload))
	if zero {
		b[46], b[47] = 0, 0
	}
	return b
}

// greHdr is a GRE header built by hand: flags and version, protocol, and
// the optional words in order.
func greHdr(fv, proto uint16, words ...uint32) []byte {
	b := cat(u16(fv), u16(proto))
	for _, w := range words {
		b = append(b, u32(w)...)
	}
	return b
}

// greLayer serializes a GRE header with gopacket.
func greLayer(tb testing.TB, g *layers.GRE) []byte { return serialize(tb, g) }

// vxlanHdr is a VXLAN header with the I flag and the VNI.
func vxlanHdr(vni uint32) []byte { return cat([]byte{0x08, 0, 0, 0}, u32(vni<<8)) }

// geneveHdr is a Geneve header of version 0 with the protocol and options
// (each a multiple of 4 bytes, header included).
func geneveHdr(proto uint16, vni uint32, opts ...[]byte) []byte {
	o := cat(opts...)
	return cat([]byte{byte(len(o) / 4), 0}, u16(proto), u32(vni<<8), o)
}

// geneveOpt is a Geneve option with data (a multiple of 4 bytes).
func geneveOpt(class uint16, typ byte, data []byte) []byte {
	return cat(u16(class), []byte{typ, byte(len(data) / 4)}, data)
}

// teredoOrigin is a Teredo origin indication for port and IPv4 address,
// both obfuscated as RFC 4380 §5.1.1 says.
func teredoOrigin(port uint16, addr net.IP) []byte {
	a := binary.BigEndian.Uint32(addr.To4())
	return cat(u16(0), u16(port^0xFFFF), u32(a^0xFFFFFFFF))
}

// teredoAuth is a Teredo authentication header.
func teredoAuth(id, auth []byte) []byte {
	return cat(u16(1), []byte{byte(len(id)), byte(len(auth))}, id, auth, make([]byte, 8), []byte{0})
}

// bubble is a Teredo bubble: an IPv6 header with no payload and no next
// header, between the addresses.
func bubble(src, dst net.IP) []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	b[6] = 59
	b[7] = 21
	copy(b[8:], src.To16())
	copy(b[24:], dst.To16())
	return b
}

// teredoAddr gives the IPv6 UDP datagram ip a Teredo source address
// (2001:0::/32), its UDP checksum fixed.
func teredoAddr(ip []byte) []byte {
	ip = append([]byte(nil), ip...)
	copy(ip[8:24], net.ParseIP("2001:0:4136:e378::1"))
	ip[46], ip[47] = 0, 0
	var p Packet
	copy(p.Src[:], ip[8:24])
	copy(p.Dst[:], ip[24:40])
	p.IPVersion = 6
	binary.BigEndian.PutUint16(ip[46:], ^csumFold(csumAdd(pseudoSum(&p, protoUDP, len(ip)-40), ip[40:])))
	return ip
}

// ayiyaHdr is an AYIYA header (identity of 16 bytes, SHA-1 signature of 20)
// with the opcode and next header.
func ayiyaHdr(op, next byte) []byte {
	return cat([]byte{0x41, 0x52, 0x10 | op, next}, u32(0x65000000), make([]byte, 16), make([]byte, 20))
}

// gtpHdr serializes a GTPv1-U header with gopacket: a G-PDU with the TEID,
// extension headers (each content 2 bytes short of a multiple of 4) and
// lengths fixed for payload.
func gtpHdr(tb testing.TB, teid uint32, payload []byte, ext ...layers.GTPExtensionHeader) []byte {
	g := &layers.GTPv1U{Version: 1, ProtocolType: 1, MessageType: 0xFF, TEID: teid, GTPExtensionHeaders: ext}
	return serialize(tb, g, gopacket.Payload(payload))
}

// erspan2Hdr is an ERSPAN type II header for the session.
func erspan2Hdr(session uint16) []byte { return cat(u16(0x1000), u16(session&0x3FF), u32(0)) }

// erspan3Hdr is an ERSPAN type III header, with the platform-specific
// sub-header when sub is set.
func erspan3Hdr(session uint16, sub bool) []byte {
	b := cat(u16(0x2000), u16(session&0x3FF), u32(0x01020304), u16(0), u16(0))
	if sub {
		b[11] |= 1
		b = cat(b, make([]byte, 8))
	}
	return b
}

// pppHdr is the PPP header PPTP puts after enhanced GRE.
func pppHdr(proto uint16) []byte { return cat([]byte{0xFF, 0x03}, u16(proto)) }
