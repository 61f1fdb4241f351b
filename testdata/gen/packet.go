package main

import (
	"encoding/binary"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// host is one end of the scripted traffic: an address, the MAC derived
// from it, and the per-host IPv4 identification counter.
type host struct {
	addr netip.Addr
	mac  [6]byte
	id   uint16
	ttl  uint8
}

// newHost makes a host for an address. The MAC is locally administered
// (02:00:) followed by the last four bytes of the address, and the first IP
// ID is taken from the address too, so every file is a pure function of
// its script.
func newHost(s string) *host {
	a := netip.MustParseAddr(s)
	b := a.As16()
	return &host{
		addr: a,
		mac:  [6]byte{0x02, 0x00, b[12], b[13], b[14], b[15]},
		id:   0x4000 ^ binary.BigEndian.Uint16(b[14:16])*61,
		ttl:  64,
	}
}

func (h *host) v6() bool { return h.addr.Is6() && !h.addr.Is4In6() }

func (h *host) ip() net.IP { return net.IP(h.addr.AsSlice()) }

func (h *host) nextID() uint16 {
	id := h.id
	h.id++
	return id
}

// linkMAC is the Ethernet destination for a host: its own MAC, or the
// multicast MAC of a multicast group address.
func (h *host) linkMAC() [6]byte {
	if h.addr.IsMulticast() {
		b := h.addr.As16()
		if h.v6() {
			return [6]byte{0x33, 0x33, b[12], b[13], b[14], b[15]}
		}
		return [6]byte{0x01, 0x00, 0x5e, b[13] & 0x7f, b[14], b[15]}
	}
	return h.mac
}

var serializeOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

// serialize lays out layers with lengths and checksums computed.
func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serializeOpts, ls...); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// ipLayer returns the IPv4 or IPv6 header from src to dst. TCP gets DF set
// as Linux does; everything else leaves it clear.
func ipLayer(src, dst *host, proto layers.IPProtocol) gopacket.NetworkLayer {
	if src.v6() {
		return &layers.IPv6{
			Version:    6,
			HopLimit:   src.ttl,
			NextHeader: proto,
			SrcIP:      src.ip(),
			DstIP:      dst.ip(),
		}
	}
	ip := &layers.IPv4{
		Version:  4,
		TTL:      src.ttl,
		Id:       src.nextID(),
		Protocol: proto,
		SrcIP:    src.ip(),
		DstIP:    dst.ip(),
	}
	if proto == layers.IPProtocolTCP {
		ip.Flags = layers.IPv4DontFragment
	}
	return ip
}

type checksummer interface {
	SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
}

// ipPacket serializes an IP packet: the network header from ipLayer
// followed by l4 (a transport header and its payload).
func ipPacket(src, dst *host, proto layers.IPProtocol, l4 ...gopacket.SerializableLayer) []byte {
	return ipPacketWith(ipLayer(src, dst, proto), l4...)
}

// ipPacketWith serializes an IP packet with a network header the caller
// built, setting it as the pseudo-header of the transport checksum.
func ipPacketWith(ip gopacket.NetworkLayer, l4 ...gopacket.SerializableLayer) []byte {
	for _, l := range l4 {
		if cs, ok := l.(checksummer); ok {
			if err := cs.SetNetworkLayerForChecksum(ip); err != nil {
				panic(err)
			}
		}
	}
	return serialize(append([]gopacket.SerializableLayer{ip.(gopacket.SerializableLayer)}, l4...)...)
}

// udpPacket is a UDP datagram from src to dst.
func udpPacket(src, dst *host, sport, dport uint16, payload []byte) []byte {
	return ipPacket(src, dst, layers.IPProtocolUDP,
		&layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)},
		gopacket.Payload(payload))
}

// l4Offset is where the transport header starts in an IP packet without
// extension headers.
func l4Offset(ip []byte) int {
	if ip[0]>>4 == 6 {
		return 40
	}
	return int(ip[0]&0x0f) * 4
}

// corruptL4Checksum spoils the TCP or UDP checksum of an IP packet.
func corruptL4Checksum(ip []byte) {
	off := l4Offset(ip)
	proto := ip[9]
	if ip[0]>>4 == 6 {
		proto = ip[6]
	}
	switch layers.IPProtocol(proto) {
	case layers.IPProtocolTCP:
		off += 16
	case layers.IPProtocolUDP:
		off += 6
	default:
		panic("corruptL4Checksum: not TCP or UDP")
	}
	ip[off] ^= 0x5a
	ip[off+1] ^= 0xa5
}

// onesSum is the 16-bit one's complement sum of b, folded.
func onesSum(sum uint32, b []byte) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return sum
}

// ipv4HeaderChecksum recomputes the checksum of the IPv4 header at the
// start of b over hlen bytes (which may be a deliberately wrong length).
func ipv4HeaderChecksum(b []byte, hlen int) {
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:12], ^uint16(onesSum(0, b[:hlen])))
}

// xorshift is a tiny deterministic generator whose output will never
// change under us, unlike a library's.
type xorshift uint64

func (x *xorshift) next() uint64 {
	v := uint64(*x)
	v ^= v << 13
	v ^= v >> 7
	v ^= v << 17
	*x = xorshift(v)
	return v
}
