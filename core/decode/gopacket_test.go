package decode

import (
	"bytes"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/weirnet/weir/sources"
)

// genFrame is a random valid Ethernet frame and what went into it that
// gopacket's decoding cannot tell back (both VLAN ids of a QinQ frame).
type genFrame struct {
	data            []byte
	vlan, innerVLAN uint16
	corruptChecksum bool // damage the transport checksum
}

func randIP(rng *rand.Rand, n int) net.IP {
	ip := make(net.IP, n)
	for i := range ip {
		ip[i] = byte(rng.IntN(256))
	}
	if n == 4 && ip[0] == 0 {
		ip[0] = 1
	}
	return ip
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// randomFrame builds Ethernet [VLAN [VLAN]] IPv4|IPv6 TCP|UDP|ICMP payload
// with random fields, through gopacket's serializers.
func randomFrame(tb testing.TB, rng *rand.Rand) genFrame {
	var g genFrame
	var ls []gopacket.SerializableLayer
	v6 := rng.IntN(2) == 0
	ipType := layers.EthernetTypeIPv4
	if v6 {
		ipType = layers.EthernetTypeIPv6
	}

	eth := &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: ipType}
	ls = append(ls, eth)
	switch tags := rng.IntN(3); tags {
	case 1:
		g.vlan = uint16(rng.IntN(4096))
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: g.vlan, Priority: uint8(rng.IntN(8)), Type: ipType})
	case 2:
		g.vlan, g.innerVLAN = uint16(rng.IntN(4096)), uint16(rng.IntN(4096))
		eth.EthernetType = []layers.EthernetType{layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q, 0x9100}[rng.IntN(3)]
		ls = append(ls,
			&layers.Dot1Q{VLANIdentifier: g.vlan, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: g.innerVLAN, Type: ipType})
	}

	var netLayer gopacket.NetworkLayer
	kind := rng.IntN(3) // TCP, UDP, ICMP
	protos := []layers.IPProtocol{layers.IPProtocolTCP, layers.IPProtocolUDP, layers.IPProtocolICMPv4}
	if v6 {
		protos[2] = layers.IPProtocolICMPv6
		ip := &layers.IPv6{
			Version: 6, TrafficClass: uint8(rng.IntN(256)), FlowLabel: rng.Uint32() & 0xFFFFF,
			HopLimit: uint8(rng.IntN(256)), NextHeader: protos[kind], SrcIP: randIP(rng, 16), DstIP: randIP(rng, 16),
		}
		netLayer = ip
		ls = append(ls, ip)
	} else {
		ip := &layers.IPv4{
			Version: 4, IHL: 5, TOS: uint8(rng.IntN(256)), Id: uint16(rng.Uint32()), TTL: uint8(rng.IntN(256)),
			Protocol: protos[kind], SrcIP: randIP(rng, 4), DstIP: randIP(rng, 4),
		}
		if rng.IntN(2) == 0 {
			ip.Flags = layers.IPv4DontFragment
		}
		if rng.IntN(4) == 0 {
			ip.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
		}
		netLayer = ip
		ls = append(ls, ip)
	}

	switch kind {
	case 0:
		tcp := &layers.TCP{
			SrcPort: layers.TCPPort(rng.IntN(65536)), DstPort: layers.TCPPort(rng.IntN(65536)),
			Seq: rng.Uint32(), Ack: rng.Uint32(), Window: uint16(rng.Uint32()),
		}
		f := rng.IntN(256)
		tcp.FIN, tcp.SYN, tcp.RST, tcp.PSH = f&1 != 0, f&2 != 0, f&4 != 0, f&8 != 0
		tcp.ACK, tcp.URG, tcp.ECE, tcp.CWR = f&16 != 0, f&32 != 0, f&64 != 0, f&128 != 0
		if rng.IntN(2) == 0 {
			tcp.Options = []layers.TCPOption{
				{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xB4}},
				{OptionType: layers.TCPOptionKindNop},
				{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
			}
		}
		tcp.SetNetworkLayerForChecksum(netLayer)
		ls = append(ls, tcp)
	case 1:
		udp := &layers.UDP{SrcPort: layers.UDPPort(rng.IntN(65536)), DstPort: layers.UDPPort(rng.IntN(65536))}
		udp.SetNetworkLayerForChecksum(netLayer)
		ls = append(ls, udp)
	case 2:
		if v6 {
			ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(uint8(rng.IntN(256)), uint8(rng.IntN(256)))}
			ic.SetNetworkLayerForChecksum(netLayer)
			ls = append(ls, ic)
		} else {
			ls = append(ls, &layers.ICMPv4{
				TypeCode: layers.CreateICMPv4TypeCode(uint8(rng.IntN(256)), uint8(rng.IntN(256))),
				Id:       uint16(rng.Uint32()), Seq: uint16(rng.Uint32()),
			})
		}
	}
	n := rng.IntN(1400)
	if rng.IntN(4) == 0 {
		n = rng.IntN(8) // short frames get Ethernet padding
	}
	if kind == 2 && v6 {
		n = max(n, 4) // gopacket's ICMPv6 header is 4 bytes; every message has 8 (Zeek's minimum too)
	}
	ls = append(ls, gopacket.Payload(randBytes(rng, n)))
	g.data = serialize(tb, ls...)
	if rng.IntN(8) == 0 {
		g.data = append(g.data, randBytes(rng, 1+rng.IntN(8))...) // a trailer
	}
	g.corruptChecksum = rng.IntN(8) == 0
	return g
}

func TestAgainstGopacket(t *testing.T) {
	var (
		eth     layers.Ethernet
		dot1q   layers.Dot1Q
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		udp     layers.UDP
		icmp4   layers.ICMPv4
		icmp6   layers.ICMPv6
		payload gopacket.Payload
		decoded []gopacket.LayerType
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &udp, &icmp4, &icmp6, &payload)
	parser.IgnoreUnsupported = true

	rng := rand.New(rand.NewPCG(2026, 1))
	d := NewDecoder(DefaultConfig())
	bad := 0
	for i := range 5000 {
		g := randomFrame(t, rng)
		p := &Packet{Link: sources.LinkEthernet, Data: g.data, WireLen: len(g.data)}
		d.Decode(p)
		if p.Status != OK {
			t.Fatalf("frame %d: status %v %q\n%x", i, p.Status, p.Weird, g.data)
		}
		if g.corruptChecksum {
			// Now that the offsets are known, damage the checksum and
			// decode again.
			off := map[uint8]int{protoTCP: 16, protoUDP: 6, protoICMP: 2, protoICMPv6: 2}[p.Proto]
			g.data[cap(p.Data)-cap(p.L4)+off] ^= 0x10 // L4 ends where Data does
			d.Decode(p)
		}
		// gopacket knows 0x9100 as no EtherType: show it 802.1ad instead.
		theirs := g.data
		if be16(theirs[12:14]) == 0x9100 {
			theirs = append([]byte(nil), theirs...)
			theirs[12], theirs[13] = 0x88, 0xA8
		}
		if err := parser.DecodeLayers(theirs, &decoded); err != nil {
			t.Fatalf("frame %d: gopacket: %v", i, err)
		}
		if last := decoded[len(decoded)-1]; last != layers.LayerTypeTCP && last != layers.LayerTypeUDP &&
			last != layers.LayerTypeICMPv4 && last != layers.LayerTypeICMPv6 && last != gopacket.LayerTypePayload {
			t.Fatalf("frame %d: gopacket stopped at %v", i, decoded)
		}
		if p.VLAN != g.vlan || p.InnerVLAN != g.innerVLAN {
			t.Fatalf("frame %d: vlan %d/%d, want %d/%d", i, p.VLAN, p.InnerVLAN, g.vlan, g.innerVLAN)
		}
		compareGopacket(t, i, p, decoded, &ip4, &ip6, &tcp, &udp, &icmp4, &icmp6)
		if p.BadChecksum {
			bad++
		}
	}
	if bad < 300 {
		t.Fatalf("only %d of 5000 frames had a bad checksum", bad)
	}
}

func compareGopacket(t *testing.T, i int, p *Packet, decoded []gopacket.LayerType,
	ip4 *layers.IPv4, ip6 *layers.IPv6, tcp *layers.TCP, udp *layers.UDP, icmp4 *layers.ICMPv4, icmp6 *layers.ICMPv6) {
	t.Helper()
	fail := func(what string, got, want any) {
		t.Helper()
		t.Fatalf("frame %d: %s = %v, gopacket says %v", i, what, got, want)
	}
	var valid bool
	var netLayer gopacket.NetworkLayer
	for _, lt := range decoded {
		switch lt {
		case layers.LayerTypeIPv4:
			netLayer = ip4
			if p.IPVersion != 4 {
				fail("version", p.IPVersion, 4)
			}
			if p.Src != mapped(ip4.SrcIP) || p.Dst != mapped(ip4.DstIP) {
				fail("addresses", [2]net.IP{p.Src[:], p.Dst[:]}, [2]net.IP{ip4.SrcIP, ip4.DstIP})
			}
			if p.TTL != ip4.TTL || p.Proto != uint8(ip4.Protocol) || p.IPHdrLen != int(ip4.IHL)*4 || p.IPTotalLen != int(ip4.Length) {
				fail("ttl/proto/hdr/len", []int{int(p.TTL), int(p.Proto), p.IPHdrLen, p.IPTotalLen},
					[]int{int(ip4.TTL), int(ip4.Protocol), int(ip4.IHL) * 4, int(ip4.Length)})
			}
			if !bytes.Equal(p.L4, ip4.Payload) {
				fail("L4", len(p.L4), len(ip4.Payload))
			}
		case layers.LayerTypeIPv6:
			netLayer = ip6
			if p.IPVersion != 6 {
				fail("version", p.IPVersion, 6)
			}
			if p.Src != mapped(ip6.SrcIP) || p.Dst != mapped(ip6.DstIP) {
				fail("addresses", [2]net.IP{p.Src[:], p.Dst[:]}, [2]net.IP{ip6.SrcIP, ip6.DstIP})
			}
			if p.TTL != ip6.HopLimit || p.Proto != uint8(ip6.NextHeader) || p.IPHdrLen != 40 || p.IPTotalLen != 40+int(ip6.Length) {
				fail("hoplimit/proto/hdr/len", []int{int(p.TTL), int(p.Proto), p.IPHdrLen, p.IPTotalLen},
					[]int{int(ip6.HopLimit), int(ip6.NextHeader), 40, 40 + int(ip6.Length)})
			}
			if !bytes.Equal(p.L4, ip6.Payload) {
				fail("L4", len(p.L4), len(ip6.Payload))
			}
		case layers.LayerTypeTCP:
			var flags uint8
			for bit, set := range []bool{tcp.FIN, tcp.SYN, tcp.RST, tcp.PSH, tcp.ACK, tcp.URG, tcp.ECE, tcp.CWR} {
				if set {
					flags |= 1 << bit
				}
			}
			if p.SrcPort != uint16(tcp.SrcPort) || p.DstPort != uint16(tcp.DstPort) || p.Seq != tcp.Seq || p.Ack != tcp.Ack ||
				p.TCPFlags != flags || p.Window != tcp.Window {
				fail("tcp header", *p, *tcp)
			}
			if !bytes.Equal(p.Payload, tcp.Payload) || p.PayloadLen != len(tcp.Payload) {
				fail("tcp payload", len(p.Payload), len(tcp.Payload))
			}
			tcp.SetNetworkLayerForChecksum(netLayer)
			valid = verify(t, tcp)
		case layers.LayerTypeUDP:
			if p.SrcPort != uint16(udp.SrcPort) || p.DstPort != uint16(udp.DstPort) || p.PayloadLen != int(udp.Length)-8 {
				fail("udp header", []int{int(p.SrcPort), int(p.DstPort), p.PayloadLen}, udp)
			}
			if !bytes.Equal(p.Payload, udp.Payload) {
				fail("udp payload", len(p.Payload), len(udp.Payload))
			}
			udp.SetNetworkLayerForChecksum(netLayer)
			valid = verify(t, udp)
			if p.IPVersion == 6 && udp.Checksum == 0 {
				valid = false // gopacket takes zero as "none" for IPv6 too
			}
		case layers.LayerTypeICMPv4:
			if p.ICMPType != icmp4.TypeCode.Type() || p.ICMPCode != icmp4.TypeCode.Code() {
				fail("icmp type/code", [2]uint8{p.ICMPType, p.ICMPCode}, icmp4.TypeCode)
			}
			if !bytes.Equal(p.Payload, icmp4.Payload) {
				fail("icmp payload", len(p.Payload), len(icmp4.Payload))
			}
			valid = verify(t, icmp4)
		case layers.LayerTypeICMPv6:
			if p.ICMPType != icmp6.TypeCode.Type() || p.ICMPCode != icmp6.TypeCode.Code() {
				fail("icmp6 type/code", [2]uint8{p.ICMPType, p.ICMPCode}, icmp6.TypeCode)
			}
			// gopacket's ICMPv6 header is 4 bytes; ours 8, like ICMPv4's.
			if !bytes.Equal(p.L4[4:], icmp6.Payload) {
				fail("icmp6 body", len(p.L4)-4, len(icmp6.Payload))
			}
			icmp6.SetNetworkLayerForChecksum(ip6)
			valid = verify(t, icmp6)
		}
	}
	if p.BadChecksum == valid {
		fail("BadChecksum", p.BadChecksum, !valid)
	}
}

type verifier interface {
	VerifyChecksum() (error, gopacket.ChecksumVerificationResult)
}

func verify(t *testing.T, v verifier) bool {
	t.Helper()
	err, res := v.VerifyChecksum()
	if err != nil {
		t.Fatalf("gopacket VerifyChecksum: %v", err)
	}
	return res.Valid
}
