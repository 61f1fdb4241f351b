package decode

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/weirnet/weir/sources"
)

// Benchmark frames: a full-size TCP segment, a DNS-sized UDP datagram, and a
// VLAN-tagged TCP ACK, as captured on Ethernet.
func benchFrames(b *testing.B) map[string][]byte {
	return map[string][]byte{
		"EthIPv4TCP": ethernet(0x0800, ipv4TCP(b, make([]byte, 1400))),
		"EthIPv6UDP": ethernet(0x86DD, ipv6UDP(b, make([]byte, 100))),
		"VLANIPv4TCP": func() []byte {
			return ethernet(0x8100, cat(u16(100), u16(0x0800), ipv4TCP(b, nil)))
		}(),
	}
}

func benchDecode(b *testing.B, name string, checksums bool) {
	frame := benchFrames(b)[name]
	cfg := DefaultConfig()
	cfg.CheckChecksums = checksums
	d := NewDecoder(cfg)
	p := &Packet{Link: sources.LinkEthernet, Data: frame, WireLen: len(frame)}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(p)
	}
	if p.Status != OK || p.BadChecksum {
		b.Fatalf("status %v %q", p.Status, p.Weird)
	}
}

func BenchmarkDecodeEthIPv4TCP(b *testing.B) {
	b.Run("checksums", func(b *testing.B) { benchDecode(b, "EthIPv4TCP", true) })
	b.Run("no-checksums", func(b *testing.B) { benchDecode(b, "EthIPv4TCP", false) })
}

func BenchmarkDecodeEthIPv6UDP(b *testing.B) {
	b.Run("checksums", func(b *testing.B) { benchDecode(b, "EthIPv6UDP", true) })
	b.Run("no-checksums", func(b *testing.B) { benchDecode(b, "EthIPv6UDP", false) })
}

func BenchmarkDecodeVLANIPv4TCP(b *testing.B) {
	b.Run("checksums", func(b *testing.B) { benchDecode(b, "VLANIPv4TCP", true) })
	b.Run("no-checksums", func(b *testing.B) { benchDecode(b, "VLANIPv4TCP", false) })
}

// BenchmarkDecodeFragments reassembles a 3000-byte UDP datagram from three
// fragments per iteration.
func BenchmarkDecodeFragments(b *testing.B) {
	dg := bigUDP4(b, 3000, 1)
	frags := fragV4(dg, even(len(dg)-20, 1480)...)
	d := NewDecoder(DefaultConfig())
	p := &Packet{Link: sources.LinkRaw}
	b.ReportAllocs()
	for b.Loop() {
		for _, fr := range frags {
			p.Data, p.WireLen = fr, len(fr)
			d.Decode(p)
		}
	}
	if !p.Reassembled {
		b.Fatal("not reassembled")
	}
}

// BenchmarkGopacketDLP decodes the same frames with gopacket's
// DecodingLayerParser, the fastest way gopacket has, as the baseline: it
// checks no checksum, so compare it with our no-checksums runs.
func BenchmarkGopacketDLP(b *testing.B) {
	frames := benchFrames(b)
	for _, name := range []string{"EthIPv4TCP", "EthIPv6UDP", "VLANIPv4TCP"} {
		b.Run(name, func(b *testing.B) {
			var (
				eth     layers.Ethernet
				dot1q   layers.Dot1Q
				ip4     layers.IPv4
				ip6     layers.IPv6
				tcp     layers.TCP
				udp     layers.UDP
				payload gopacket.Payload
			)
			parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &udp, &payload)
			parser.IgnoreUnsupported = true
			decoded := make([]gopacket.LayerType, 0, 8)
			frame := frames[name]
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if err := parser.DecodeLayers(frame, &decoded); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchTunnel decodes frame and the frame it encapsulates per iteration.
func benchTunnel(b *testing.B, frame []byte, checksums bool) {
	cfg := DefaultConfig()
	cfg.CheckChecksums = checksums
	d := NewDecoder(cfg)
	p := &Packet{Link: sources.LinkEthernet, Data: frame, WireLen: len(frame)}
	var in Packet
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(p)
		d.DecodeInner(p, &in)
	}
	if in.Status != OK || in.BadChecksum || in.Encap.Len() != 1 {
		b.Fatalf("inner status %v %q", in.Status, in.Weird)
	}
}

// BenchmarkDecodeVXLAN: Ethernet/IPv4/UDP/VXLAN carrying
// Ethernet/IPv4/TCP with a 1400-byte payload, outer and inner decoded.
func BenchmarkDecodeVXLAN(b *testing.B) {
	frame := ethernet(0x0800, udpOver(b, 49152, 4789, cat(vxlanHdr(7), ethernet(0x0800, ipv4TCP(b, make([]byte, 1400))))))
	b.Run("checksums", func(b *testing.B) { benchTunnel(b, frame, true) })
	b.Run("no-checksums", func(b *testing.B) { benchTunnel(b, frame, false) })
}

// BenchmarkDecodeGRE: Ethernet/IPv4/GRE (with a key) carrying IPv4/TCP
// with a 1400-byte payload, outer and inner decoded.
func BenchmarkDecodeGRE(b *testing.B) {
	frame := ethernet(0x0800, ipOver(b, layers.IPProtocolGRE, cat(greHdr(0x2000, 0x0800, 1), ipv4TCP(b, make([]byte, 1400)))))
	b.Run("checksums", func(b *testing.B) { benchTunnel(b, frame, true) })
	b.Run("no-checksums", func(b *testing.B) { benchTunnel(b, frame, false) })
}
