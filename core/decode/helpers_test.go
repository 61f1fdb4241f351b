package decode

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Addresses and MACs used by the hand-built packets.
var (
	mac1  = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	mac2  = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	ip4a  = net.IPv4(10, 0, 0, 1).To4()
	ip4b  = net.IPv4(192, 168, 1, 2).To4()
	ip6a  = net.ParseIP("2001:db8::1")
	ip6b  = net.ParseIP("2001:db8::2")
	ip6fd = net.ParseIP("2001:db8::ffff")
)

// serialize builds a frame from gopacket layers, lengths and checksums
// computed.
func serialize(tb testing.TB, ls ...gopacket.SerializableLayer) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		tb.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func ipv4Layer(proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0x1234, Protocol: proto, SrcIP: ip4a, DstIP: ip4b}
}

func ipv6Layer(next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 63, NextHeader: next, SrcIP: ip6a, DstIP: ip6b}
}

func tcpLayer(net gopacket.NetworkLayer) *layers.TCP {
	t := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 1000, Ack: 2000, SYN: true, ACK: true, Window: 512}
	t.SetNetworkLayerForChecksum(net)
	return t
}

func udpLayer(net gopacket.NetworkLayer) *layers.UDP {
	u := &layers.UDP{SrcPort: 5353, DstPort: 53}
	u.SetNetworkLayerForChecksum(net)
	return u
}

// ipv4TCP is an IPv4 datagram (no link header) carrying TCP and payload.
func ipv4TCP(tb testing.TB, payload []byte) []byte {
	ip := ipv4Layer(layers.IPProtocolTCP)
	return serialize(tb, ip, tcpLayer(ip), gopacket.Payload(payload))
}

// ipv6UDP is an IPv6 datagram carrying UDP and payload.
func ipv6UDP(tb testing.TB, payload []byte) []byte {
	ip := ipv6Layer(layers.IPProtocolUDP)
	return serialize(tb, ip, udpLayer(ip), gopacket.Payload(payload))
}

// ipv4UDP is an IPv4 datagram carrying UDP and payload.
func ipv4UDP(tb testing.TB, payload []byte) []byte {
	ip := ipv4Layer(layers.IPProtocolUDP)
	return serialize(tb, ip, udpLayer(ip), gopacket.Payload(payload))
}

// ethernet prepends an Ethernet II header of type t.
func ethernet(t uint16, rest []byte) []byte {
	b := make([]byte, 14, 14+len(rest))
	copy(b, mac2)
	copy(b[6:], mac1)
	binary.BigEndian.PutUint16(b[12:], t)
	return append(b, rest...)
}

// cat concatenates.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func le16(v uint16) []byte {
	return binary.LittleEndian.AppendUint16(nil, v)
}
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// fixIPv4Checksum recomputes the header checksum of the IPv4 datagram b.
func fixIPv4Checksum(b []byte) {
	hl := int(b[0]&0xF) * 4
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:12], Checksum(b[:hl]))
}

// mapped returns the 16-byte form Packet uses for ip.
func mapped(ip net.IP) [16]byte {
	var a [16]byte
	copy(a[:], ip.To16())
	return a
}

// decodeOne decodes one frame with a fresh checking decoder.
func decodeOne(link uint32, data []byte) *Packet {
	return decodeWith(NewDecoder(DefaultConfig()), link, data)
}

func decodeWith(d *Decoder, link uint32, data []byte) *Packet {
	p := &Packet{Link: link, Data: data, WireLen: len(data)}
	d.Decode(p)
	return p
}
