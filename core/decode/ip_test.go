package decode

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/weirnet/weir/sources"
)

// ipCase is a raw IP frame (link type 101), maybe with a wire length other
// than its captured length, and what Decode must make of it.
type ipCase struct {
	name    string
	frame   []byte
	wire    int // 0: len(frame)
	noCheck bool
	status  Status
	weird   string
	extra   WeirdSet
	check   func(t *testing.T, p *Packet)
}

func runIPCases(t *testing.T, cases []ipCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.CheckChecksums = !c.noCheck
			p := &Packet{Link: sources.LinkRaw, Data: c.frame, WireLen: c.wire}
			if p.WireLen == 0 {
				p.WireLen = len(c.frame)
			}
			NewDecoder(cfg).Decode(p)
			if p.Status != c.status || p.Weird != c.weird {
				t.Fatalf("status %v weird %q, want %v %q", p.Status, p.Weird, c.status, c.weird)
			}
			if p.ExtraWeird != c.extra {
				t.Errorf("extra weirds %q, want %q", p.ExtraWeird, c.extra)
			}
			if c.check != nil {
				c.check(t, p)
			}
		})
	}
}

// mutate returns a copy of b changed by f.
func mutate(b []byte, f func(b []byte)) []byte {
	b = append([]byte(nil), b...)
	f(b)
	return b
}

func TestIPv4(t *testing.T) {
	v4 := ipv4TCP(t, []byte("hello"))
	big := ipv4TCP(t, make([]byte, 100))
	withOptions := func() []byte {
		ip := ipv4Layer(layers.IPProtocolUDP)
		ip.Options = []layers.IPv4Option{{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}}} // router alert
		return serialize(t, ip, udpLayer(ip), gopacket.Payload("opt"))
	}()
	runIPCases(t, []ipCase{
		{name: "valid", frame: v4, check: func(t *testing.T, p *Packet) {
			if p.IPVersion != 4 || p.Src != mapped(ip4a) || p.Dst != mapped(ip4b) || p.TTL != 64 || p.Proto != 6 ||
				p.IPHdrLen != 20 || p.IPTotalLen != len(v4) || len(p.L4) != len(v4)-20 {
				t.Errorf("fields %+v", p)
			}
			if p.SrcPort != 40000 || p.DstPort != 80 || p.Seq != 1000 || p.Ack != 2000 || p.TCPFlags != SYN|ACK || p.Window != 512 {
				t.Errorf("tcp fields %+v", p)
			}
			if string(p.Payload) != "hello" || p.PayloadLen != 5 || p.Truncated || p.BadChecksum || p.Reassembled {
				t.Errorf("payload %q len %d trunc %v bad %v", p.Payload, p.PayloadLen, p.Truncated, p.BadChecksum)
			}
		}},
		{name: "options", frame: withOptions, check: func(t *testing.T, p *Packet) {
			if p.IPHdrLen != 24 || string(p.Payload) != "opt" || p.BadChecksum {
				t.Errorf("hdr %d payload %q bad %v", p.IPHdrLen, p.Payload, p.BadChecksum)
			}
		}},
		{name: "link padding", frame: cat(v4, []byte("PADDING!")), check: func(t *testing.T, p *Packet) {
			if len(p.IP) != len(v4) || string(p.Payload) != "hello" || p.Truncated {
				t.Errorf("IP %d bytes, payload %q", len(p.IP), p.Payload)
			}
		}},
		{name: "snap length", frame: v4[:len(v4)-3], wire: len(v4), check: func(t *testing.T, p *Packet) {
			if !p.Truncated || string(p.Payload) != "he" || p.PayloadLen != 5 || p.IPTotalLen != len(v4) || p.BadChecksum {
				t.Errorf("trunc %v payload %q len %d", p.Truncated, p.Payload, p.PayloadLen)
			}
		}},
		{name: "short", frame: v4[:19], status: Weird, weird: "truncated_IP"},
		{name: "version", frame: mutate(v4, func(b []byte) { b[0] = 0x55 }), status: Weird, weird: "unknown_ip_version"},
		{name: "wire shorter than total", frame: v4[:30], status: Weird, weird: "truncated_IP_len"},
		{name: "header longer than total", frame: mutate(v4, func(b []byte) { b[0] = 0x4F; binary.BigEndian.PutUint16(b[2:], 40) }),
			status: Weird, weird: "invalid_IP_header_size"},
		{name: "header cut by capture", frame: mutate(big, func(b []byte) { b[0] = 0x4F })[:40], wire: len(big),
			status: Weird, weird: "internally_truncated_header"},
		{name: "ihl below 5", frame: mutate(v4, func(b []byte) { b[0] = 0x44 }), status: Weird, weird: "IPv4_min_header_size"},
		{name: "bad header checksum", frame: mutate(v4, func(b []byte) { b[10]++ }), status: Weird, weird: "bad_IP_checksum",
			check: func(t *testing.T, p *Packet) {
				if p.Src != mapped(ip4a) || p.Dst != mapped(ip4b) {
					t.Errorf("addresses not kept for the weird: %x %x", p.Src, p.Dst)
				}
			}},
		{name: "bad header checksum unchecked", frame: mutate(v4, func(b []byte) { b[10]++ }), noCheck: true},
		{name: "zero total length", frame: mutate(v4, func(b []byte) { b[2], b[3] = 0, 0; fixIPv4Checksum(b) }),
			status: Weird, weird: "ip_hdr_len_zero"},
		{name: "zero total length unchecked", frame: mutate(v4, func(b []byte) { b[2], b[3] = 0, 0; fixIPv4Checksum(b) }),
			noCheck: true, extra: WeirdIPHdrLenZero, check: func(t *testing.T, p *Packet) {
				if p.IPTotalLen != len(v4) || string(p.Payload) != "hello" {
					t.Errorf("total %d payload %q", p.IPTotalLen, p.Payload)
				}
			}},
		{name: "other protocol", frame: mutate(v4, func(b []byte) { b[9] = 132; fixIPv4Checksum(b) }), check: func(t *testing.T, p *Packet) {
			if p.Proto != 132 || len(p.L4) != len(v4)-20 || p.Payload != nil || p.SrcPort != 0 {
				t.Errorf("proto %d L4 %d payload %q", p.Proto, len(p.L4), p.Payload)
			}
		}},
	})
}

// ipv6Ext builds an IPv6 datagram whose extension headers are exts (raw,
// each starting with its next-header byte, which is filled in) followed by
// a transport of protocol last with body l4.
func ipv6Ext(t testing.TB, first uint8, exts [][]byte, types []uint8, last uint8, l4 []byte) []byte {
	t.Helper()
	var body []byte
	for i, e := range exts {
		e = append([]byte(nil), e...)
		if i+1 < len(exts) {
			e[0] = types[i+1]
		} else {
			e[0] = last
		}
		body = append(body, e...)
	}
	body = append(body, l4...)
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(body)))
	h[6] = first
	h[7] = 63
	copy(h[8:], ip6a.To16())
	copy(h[24:], ip6b.To16())
	return append(h, body...)
}

func TestIPv6(t *testing.T) {
	v6 := ipv6UDP(t, []byte("world"))
	udp := v6[40:]
	hbh := []byte{0, 0, 1, 4, 0, 0, 0, 0}                          // PadN
	dst := []byte{0, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // 16 bytes
	ah := make([]byte, 24)
	ah[1] = 4 // (4+2)*4 = 24
	withExt := ipv6Ext(t, 0, [][]byte{hbh, dst, ah}, []uint8{0, 60, 51}, 17, udp)
	atomic := ipv6Ext(t, 44, [][]byte{{0, 0, 0, 0, 0, 0, 0, 9}}, []uint8{44}, 17, udp)

	// A type 0 routing header with a segment left: the UDP checksum is over
	// the final destination.
	routed := func() []byte {
		ip := ipv6Layer(layers.IPProtocolUDP)
		ip.DstIP = ip6fd
		u := udpLayer(ip)
		b := serialize(t, ip, u, gopacket.Payload("routed"))
		rh := cat([]byte{17, 2, 0, 1}, make([]byte, 4), ip6fd.To16())
		out := cat(b[:40], rh, b[40:])
		out[6] = 43
		binary.BigEndian.PutUint16(out[4:], uint16(len(out)-40))
		copy(out[24:40], ip6b.To16()) // the next hop
		return out
	}()
	routedDone := mutate(routed, func(b []byte) { b[43] = 0; copy(b[24:40], ip6fd.To16()) })

	runIPCases(t, []ipCase{
		{name: "valid", frame: v6, check: func(t *testing.T, p *Packet) {
			if p.IPVersion != 6 || p.Src != mapped(ip6a) || p.Dst != mapped(ip6b) || p.TTL != 63 || p.Proto != 17 ||
				p.IPHdrLen != 40 || p.IPTotalLen != len(v6) || p.SrcPort != 5353 || p.DstPort != 53 ||
				string(p.Payload) != "world" || p.PayloadLen != 5 || p.BadChecksum {
				t.Errorf("fields %+v", p)
			}
		}},
		{name: "extension headers", frame: withExt, check: func(t *testing.T, p *Packet) {
			if p.Proto != 17 || p.IPHdrLen != 40+8+16+24 || string(p.Payload) != "world" || p.BadChecksum {
				t.Errorf("proto %d hdr %d payload %q bad %v", p.Proto, p.IPHdrLen, p.Payload, p.BadChecksum)
			}
		}},
		{name: "atomic fragment", frame: atomic, check: func(t *testing.T, p *Packet) {
			if p.Proto != 17 || p.IPHdrLen != 48 || string(p.Payload) != "world" || p.Reassembled {
				t.Errorf("proto %d hdr %d payload %q", p.Proto, p.IPHdrLen, p.Payload)
			}
		}},
		{name: "routing0 segments left", frame: routed, extra: WeirdRouting0SegLeft, check: func(t *testing.T, p *Packet) {
			if p.Dst != mapped(ip6fd) || p.BadChecksum || string(p.Payload) != "routed" {
				t.Errorf("dst %x bad %v payload %q", p.Dst, p.BadChecksum, p.Payload)
			}
		}},
		{name: "routing0 done", frame: routedDone, extra: WeirdRouting0Hdr, check: func(t *testing.T, p *Packet) {
			if p.Dst != mapped(ip6fd) || p.BadChecksum {
				t.Errorf("dst %x bad %v", p.Dst, p.BadChecksum)
			}
		}},
		{name: "no next header", frame: ipv6Ext(t, 59, nil, nil, 0, nil), status: Weird, weird: "ipv6_no_next",
			check: func(t *testing.T, p *Packet) {
				if p.Proto != 59 {
					t.Errorf("proto %d", p.Proto)
				}
			}},
		{name: "esp", frame: ipv6Ext(t, 50, nil, nil, 0, []byte("encrypted...")), check: func(t *testing.T, p *Packet) {
			if p.Proto != 50 || string(p.L4) != "encrypted..." {
				t.Errorf("proto %d L4 %q", p.Proto, p.L4)
			}
		}},
		{name: "short", frame: v6[:39], status: Weird, weird: "truncated_IP"},
		{name: "wire shorter than total", frame: v6[:45], status: Weird, weird: "truncated_IP_len"},
		{name: "snap length", frame: v6[:50], wire: len(v6), check: func(t *testing.T, p *Packet) {
			if !p.Truncated || p.PayloadLen != 5 || string(p.Payload) != "wo" || p.BadChecksum {
				t.Errorf("trunc %v len %d payload %q", p.Truncated, p.PayloadLen, p.Payload)
			}
		}},
		{name: "ext header past payload length", frame: mutate(withExt, func(b []byte) { binary.BigEndian.PutUint16(b[4:], 12) })[:52],
			status: Weird, weird: "truncated_header"},
		{name: "ext header past capture", frame: withExt[:50], wire: len(withExt), status: Weird, weird: "internally_truncated_header"},
	})
}

func TestTransportWeirds(t *testing.T) {
	v4 := ipv4TCP(t, []byte("hello"))
	setTotal := func(n int) func(b []byte) {
		return func(b []byte) { binary.BigEndian.PutUint16(b[2:], uint16(n)); fixIPv4Checksum(b) }
	}
	udp4 := ipv4UDP(t, []byte("0123456789"))
	setULen := func(n int) func(b []byte) {
		return func(b []byte) { binary.BigEndian.PutUint16(b[24:], uint16(n)); b[26], b[27] = 0, 0 }
	}
	icmp := func() []byte {
		ip := ipv4Layer(layers.IPProtocolICMPv4)
		return serialize(t, ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 7, Seq: 1}, gopacket.Payload("ping"))
	}()
	icmp6 := func() []byte {
		ip := ipv6Layer(layers.IPProtocolICMPv6)
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}
		ic.SetNetworkLayerForChecksum(ip)
		return serialize(t, ip, ic, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 2}, gopacket.Payload("echo-body"))
	}()
	runIPCases(t, []ipCase{
		{name: "tcp cut by ip length", frame: mutate(v4[:30], setTotal(30)), status: Weird, weird: "truncated_header"},
		{name: "tcp cut by capture", frame: v4[:30], wire: len(v4), status: Weird, weird: "internally_truncated_header"},
		{name: "tcp data offset below 5", frame: mutate(v4, func(b []byte) { b[32] = 0x40 }), status: Weird, weird: "bad_TCP_header_len"},
		{name: "tcp options past ip length", frame: mutate(v4, func(b []byte) { b[32] = 0xF0 }), status: Weird, weird: "truncated_header"},
		{name: "tcp options past capture", frame: mutate(v4, func(b []byte) { b[32] = 0x60 })[:43], wire: len(v4),
			status: Weird, weird: "truncated_header"},
		{name: "tcp bad checksum", frame: mutate(v4, func(b []byte) { b[len(b)-1] ^= 1 }), check: func(t *testing.T, p *Packet) {
			if !p.BadChecksum || p.Status != OK {
				t.Errorf("bad checksum %v", p.BadChecksum)
			}
		}},
		{name: "tcp bad checksum unchecked", frame: mutate(v4, func(b []byte) { b[len(b)-1] ^= 1 }), noCheck: true,
			check: func(t *testing.T, p *Packet) {
				if p.BadChecksum {
					t.Error("checked with checking off")
				}
			}},
		{name: "udp cut by ip length", frame: mutate(udp4[:26], setTotal(26)), status: Weird, weird: "truncated_header"},
		{name: "udp cut by capture", frame: udp4[:26], wire: len(udp4), status: Weird, weird: "internally_truncated_header"},
		{name: "udp length past ip", frame: mutate(udp4, setULen(100)), extra: WeirdUDPDatagramLengthMismatch,
			check: func(t *testing.T, p *Packet) {
				if p.PayloadLen != 92 || string(p.Payload) != "0123456789" {
					t.Errorf("payload len %d %q", p.PayloadLen, p.Payload)
				}
			}},
		{name: "udp length short of ip", frame: mutate(udp4, setULen(12)), extra: WeirdUDPDatagramLengthMismatch,
			check: func(t *testing.T, p *Packet) {
				if p.PayloadLen != 4 || string(p.Payload) != "0123" {
					t.Errorf("payload len %d %q", p.PayloadLen, p.Payload)
				}
			}},
		{name: "udp length below header", frame: mutate(udp4, setULen(3)), extra: WeirdUDPDatagramLengthMismatch,
			check: func(t *testing.T, p *Packet) {
				if p.PayloadLen != 0 || string(p.Payload) != "0123456789" {
					t.Errorf("payload len %d %q", p.PayloadLen, p.Payload)
				}
			}},
		{name: "udp v4 no checksum", frame: mutate(udp4, func(b []byte) { b[26], b[27] = 0, 0 }), check: func(t *testing.T, p *Packet) {
			if p.BadChecksum {
				t.Error("zero UDP checksum over IPv4 means none")
			}
		}},
		{name: "icmp", frame: icmp, check: func(t *testing.T, p *Packet) {
			if p.Proto != 1 || p.ICMPType != 8 || p.ICMPCode != 0 || string(p.Payload) != "ping" || p.PayloadLen != 4 || p.BadChecksum {
				t.Errorf("icmp %d/%d payload %q bad %v", p.ICMPType, p.ICMPCode, p.Payload, p.BadChecksum)
			}
		}},
		{name: "icmp bad checksum", frame: mutate(icmp, func(b []byte) { b[len(b)-1]++ }), check: func(t *testing.T, p *Packet) {
			if !p.BadChecksum {
				t.Error("bad ICMP checksum not seen")
			}
		}},
		{name: "icmp cut", frame: mutate(icmp[:26], setTotal(26)), status: Weird, weird: "truncated_header"},
		{name: "icmpv6", frame: icmp6, check: func(t *testing.T, p *Packet) {
			if p.Proto != 58 || p.ICMPType != 128 || string(p.Payload) != "echo-body" || p.BadChecksum {
				t.Errorf("icmp6 %d payload %q bad %v", p.ICMPType, p.Payload, p.BadChecksum)
			}
		}},
		{name: "icmpv6 bad checksum", frame: mutate(icmp6, func(b []byte) { b[len(b)-1]++ }), check: func(t *testing.T, p *Packet) {
			if !p.BadChecksum {
				t.Error("bad ICMPv6 checksum not seen")
			}
		}},
	})
}

// zeroSumUDP returns a UDP datagram (IPv4 or IPv6) whose one's complement
// sum, checksum field excluded, is 0xFFFF: its correct checksum is 0x0000,
// or equally 0xFFFF.
func zeroSumUDP(t *testing.T, v6 bool, checksum uint16) []byte {
	var b []byte
	var l4 int
	if v6 {
		b, l4 = ipv6UDP(t, []byte("xxxxxxzz")), 40
	} else {
		b, l4 = ipv4UDP(t, []byte("xxxxxxzz")), 20
	}
	p := &Packet{}
	if v6 {
		p.IPVersion = 6
		copy(p.Src[:], b[8:24])
		copy(p.Dst[:], b[24:40])
	} else {
		p.IPVersion = 4
		p.Src, p.Dst = v4Mapped(b[12:16]), v4Mapped(b[16:20])
	}
	n := len(b)
	b[l4+6], b[l4+7], b[n-2], b[n-1] = 0, 0, 0, 0
	s := csumFold(csumAdd(pseudoSum(p, protoUDP, n-l4), b[l4:]))
	binary.BigEndian.PutUint16(b[n-2:], ^s)
	if got := csumFold(csumAdd(pseudoSum(p, protoUDP, n-l4), b[l4:])); got != 0xFFFF {
		t.Fatalf("constructed sum %#x", got)
	}
	binary.BigEndian.PutUint16(b[l4+6:], checksum)
	return b
}

// zeroSumTCP is zeroSumUDP for TCP over IPv4.
func zeroSumTCP(t *testing.T, checksum uint16) []byte {
	b := ipv4TCP(t, []byte("xxxxzz"))
	p := &Packet{IPVersion: 4, Src: v4Mapped(b[12:16]), Dst: v4Mapped(b[16:20])}
	n := len(b)
	b[36], b[37], b[n-2], b[n-1] = 0, 0, 0, 0
	s := csumFold(csumAdd(pseudoSum(p, protoTCP, n-20), b[20:]))
	binary.BigEndian.PutUint16(b[n-2:], ^s)
	binary.BigEndian.PutUint16(b[36:], checksum)
	return b
}

func TestChecksumZeroRepresentations(t *testing.T) {
	bad := func(want bool) func(t *testing.T, p *Packet) {
		return func(t *testing.T, p *Packet) {
			if p.BadChecksum != want {
				t.Errorf("BadChecksum %v, want %v", p.BadChecksum, want)
			}
		}
	}
	runIPCases(t, []ipCase{
		{name: "tcp 0x0000", frame: zeroSumTCP(t, 0x0000), check: bad(false)},
		{name: "tcp 0xffff", frame: zeroSumTCP(t, 0xFFFF), check: bad(false)},
		{name: "tcp 0x0001", frame: zeroSumTCP(t, 0x0001), check: bad(true)},
		{name: "udp4 0xffff", frame: zeroSumUDP(t, false, 0xFFFF), check: bad(false)},
		{name: "udp4 0x0000 means none", frame: zeroSumUDP(t, false, 0), check: bad(false)},
		{name: "udp4 0xfffe", frame: zeroSumUDP(t, false, 0xFFFE), check: bad(true)},
		{name: "udp6 0xffff", frame: zeroSumUDP(t, true, 0xFFFF), check: bad(false)},
		{name: "udp6 0x0000 is invalid", frame: zeroSumUDP(t, true, 0), check: bad(true)},
	})
}

// refChecksum is RFC 1071's algorithm, word by word.
func refChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xFFFF {
		s = s>>16 + s&0xFFFF
	}
	return ^uint16(s)
}

func TestChecksumMatchesReference(t *testing.T) {
	buf := make([]byte, 1600)
	for i := range buf {
		buf[i] = byte(i*7 + i>>8*13)
	}
	for _, fill := range []byte{0x00, 0xFF} {
		ones := make([]byte, 100)
		for i := range ones {
			ones[i] = fill
		}
		for n := range ones {
			if got, want := Checksum(ones[:n]), refChecksum(ones[:n]); got != want && !(got == 0xFFFF && want == 0 || got == 0 && want == 0xFFFF) {
				t.Fatalf("fill %#x len %d: %#04x, want %#04x", fill, n, got, want)
			}
		}
	}
	for n := 0; n <= len(buf); n++ {
		if got, want := Checksum(buf[:n]), refChecksum(buf[:n]); got != want {
			t.Fatalf("len %d: %#04x, want %#04x", n, got, want)
		}
	}
}
